//! mon_command (MSG_MON_COMMAND, 50) and mon_command_ack (51): a command
//! for the monitor, as JSON strings, and its result.
//!
//! ```text
//! MMonCommand:     PaxosServiceMessage header | uuid fsid | vector<string> cmd
//! MMonCommandAck:  PaxosServiceMessage header | le32 r | string rs | vector<string> cmd
//! ```
//!
//! The data segment carries the command's input (MMonCommand) or output
//! (MMonCommandAck). Sources: messages/MMonCommand.h and
//! messages/MMonCommandAck.h (encode_payload; print `mon_command(cmd v N)`,
//! `mon_command_ack([cmd]=r rs vN)`).

use super::denc::{list_text, Paxos};
use super::out::{ListDefs, Out, Strings};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{array, i32_, string};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;

fields! {
    NODE = "ceph.mon_command", "Monitor command", None, "MMonCommand: a command for the monitor.";
    FSID = "ceph.mon_command.fsid", "Cluster fsid", Str, "Cluster fsid.";
    CMD = "ceph.mon_command.cmd", "Command", None, "The command strings (JSON).";
    CMD_COUNT = "ceph.mon_command.cmd.count", "Count", Uint, "Number of strings.";
    CMD_STR = "ceph.mon_command.json", "Command JSON", Str, "One command string.";
    INPUT = "ceph.mon_command.input", "Input", Bytes, "The command's input data.";
    ACK = "ceph.mon_command_ack", "Monitor command ack", None, "MMonCommandAck: a command's result.";
    R = "ceph.mon_command_ack.r", "Result", Int, "0 or a negative errno.";
    RS = "ceph.mon_command_ack.rs", "Status", Str, "Result text.";
    ACK_CMD = "ceph.mon_command_ack.cmd", "Command", None, "The command answered.";
    ACK_CMD_COUNT = "ceph.mon_command_ack.cmd.count", "Count", Uint, "Number of strings.";
    ACK_CMD_STR = "ceph.mon_command_ack.json", "Command JSON", Str, "One command string.";
    OUTPUT = "ceph.mon_command_ack.output", "Output", Bytes, "The command's output data.";
}

static CMD_DEFS: ListDefs = ListDefs {
    group: &CMD,
    count: &CMD_COUNT,
    item: &CMD_STR,
};

static ACK_CMD_DEFS: ListDefs = ListDefs {
    group: &ACK_CMD,
    count: &ACK_CMD_COUNT,
    item: &ACK_CMD_STR,
};

fn data_len(p: &Parts<'_>) -> u64 {
    u64::try_from(p.data.len()).unwrap_or(u64::MAX)
}

/// A decoded MMonCommand.
#[derive(Debug, Default)]
pub struct Command {
    paxos: Paxos,
    fsid: Sp<[u8; 16]>,
    cmd: Strings,
    data_len: u64,
}

impl Body for Command {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MMonCommand.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, fsid) = array::<16>(&FSID)(i)?;
        self.fsid = fsid;
        let (i, ()) = self.cmd.parse(&CMD_DEFS, i)?;
        self.data_len = data_len(p);
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.uuid(&FSID, &self.fsid);
        self.cmd.view(o, &CMD_DEFS);
    }
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        vec![(&INPUT, self.data_len)]
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_command({} v {})",
            self.cmd.values().join(" "),
            self.paxos.version.v
        )
    }
}

/// A decoded MMonCommandAck.
#[derive(Debug, Default)]
pub struct CommandAck {
    paxos: Paxos,
    /// The command's result: 0 or a negative errno.
    pub r: Sp<i32>,
    rs: Sp<String>,
    cmd: Strings,
    data_len: u64,
}

impl Body for CommandAck {
    const NODE: &'static FieldDef = &ACK;
    /// messages/MMonCommandAck.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, r) = i32_(&R)(i)?;
        self.r = r;
        let (i, rs) = string(&RS)(i)?;
        self.rs = rs;
        let (i, ()) = self.cmd.parse(&ACK_CMD_DEFS, i)?;
        self.data_len = data_len(p);
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.result(&R, &self.r);
        o.str(&RS, &self.rs);
        self.cmd.view(o, &ACK_CMD_DEFS);
    }
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        vec![(&OUTPUT, self.data_len)]
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_command_ack({}={} {} v{})",
            list_text(&self.cmd.values()),
            self.r.v,
            self.rs.v,
            self.paxos.version.v
        )
    }
}
