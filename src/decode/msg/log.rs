//! log (MSG_LOG, 52): cluster log entries a daemon sends to the monitor,
//! MLog (messages/MLog.h: paxos header, uuid fsid, deque<LogEntry>; print
//! `log(N entries from seq S at STAMP)`, or `log()` when empty).
//!
//! ```text
//! LogEntry: ENCODE_START(5, 2) EntityName name | entity_name_t rank
//!   | entity_addrvec_t addrs | utime_t stamp | le64 seq | le16 prio
//!   | string msg | string channel
//! ```
//!
//! Source: common/LogEntry.cc (LogEntry::encode). Entries of an older
//! encoding (struct_v < 5) keep their body as bytes.

use super::denc::{count, paxos, time_text, utime, uuid, versioned};
use super::{rest, Body, MsgContext, Parts};
use crate::decode::addr::{addrvec_tree, entity_name_tree, name_t_tree};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.log", "Log", None, "MLog: cluster log entries.";
    FSID = "ceph.log.fsid", "Cluster fsid", Str, "Cluster fsid.";
    COUNT = "ceph.log.count", "Entries", Uint, "Number of entries.";
    ENTRY = "ceph.log.entry", "Entry", Str, "One LogEntry.";
    STAMP = "ceph.log.entry.stamp", "Time", Time, "When it was logged.";
    SEQ = "ceph.log.entry.seq", "Seq", Uint, "Sequence number of the entry.";
    PRIO = "ceph.log.entry.prio", "Priority", Enum, "clog_type: debug, info, sec, warn, error.";
    MSG = "ceph.log.entry.msg", "Message", Str, "The log message.";
    CHANNEL = "ceph.log.entry.channel", "Channel", Str, "Log channel (cluster, audit).";
    LEGACY = "ceph.log.entry.legacy", "Legacy body", Bytes, "Body of an older LogEntry encoding, not broken down.";
}

/// common/LogEntry.h clog_type.
fn prio_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "debug",
        1 => "info",
        2 => "sec",
        3 => "warn",
        4 => "error",
        _ => return None,
    })
}

/// A decoded MLog: the first entry's seq and stamp, and the count.
#[derive(Debug, Default)]
pub struct Log {
    entries: u64,
    first: Option<(u64, (u32, u32))>,
}

fn entry(t: &mut Tree<'_>) -> Res<Option<(u64, (u32, u32))>> {
    let (r, node) = versioned(t, &ENTRY, 5, |t, v| {
        if v < 5 {
            rest(t, &LEGACY)?;
            return Ok(None);
        }
        entity_name_tree(t)?;
        name_t_tree(t)?;
        addrvec_tree(t)?;
        let stamp = utime(t, &STAMP)?;
        let seq = t.uint(&SEQ, 8)?;
        t.enumerated(&PRIO, 2, prio_name)?;
        t.string(&MSG)?;
        t.string(&CHANNEL)?;
        Ok(Some((seq, stamp)))
    })?;
    if let Some((seq, _)) = r {
        node.value = Value::Str(format!("seq {seq}"));
    }
    Ok(r)
}

impl Body for Log {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        paxos(t)?;
        uuid(t, &FSID)?;
        self.entries = count(t, &COUNT)?;
        for i in 0..self.entries {
            let e = entry(t)?;
            if i == 0 {
                self.first = e;
            }
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        match self.first {
            Some((seq, (s, ns))) if self.entries > 0 => {
                format!(
                    "log({} entries from seq {seq} at {})",
                    self.entries,
                    time_text(s, ns)
                )
            }
            _ if self.entries > 0 => format!("log({} entries)", self.entries),
            _ => "log()".into(),
        }
    }
}
