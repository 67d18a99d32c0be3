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

use super::denc::{list_text, paxos, strings, uuid};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
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

/// A decoded MMonCommand.
#[derive(Debug, Default)]
pub struct Command {
    version: u64,
    cmd: Vec<String>,
    data_len: u64,
}

impl Body for Command {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        self.version = paxos(t)?;
        uuid(t, &FSID)?;
        self.cmd = strings(t, &CMD, &CMD_COUNT, &CMD_STR)?;
        self.data_len = u64::try_from(p.data.len()).unwrap_or(u64::MAX);
        Ok(())
    }
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        vec![(&INPUT, self.data_len)]
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mon_command({} v {})", self.cmd.join(" "), self.version)
    }
}

/// A decoded MMonCommandAck.
#[derive(Debug, Default)]
pub struct CommandAck {
    version: u64,
    r: i64,
    rs: String,
    cmd: Vec<String>,
    data_len: u64,
}

impl Body for CommandAck {
    const NODE: &'static FieldDef = &ACK;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        self.version = paxos(t)?;
        self.r = t.int(&R, 4)?;
        self.rs = t.string(&RS)?;
        self.cmd = strings(t, &ACK_CMD, &ACK_CMD_COUNT, &ACK_CMD_STR)?;
        self.data_len = u64::try_from(p.data.len()).unwrap_or(u64::MAX);
        Ok(())
    }
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        vec![(&OUTPUT, self.data_len)]
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_command_ack({}={} {} v{})",
            list_text(&self.cmd),
            self.r,
            self.rs,
            self.version
        )
    }
}
