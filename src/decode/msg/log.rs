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

use super::denc::{text_if, time_text, Paxos};
use super::out::{span_to, Out, Start, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::addr::{
    addrvec_nodes, entity_name_nodes, name_t_nodes, AddrVec, EntityName, NameT,
};
use crate::decode::grammar::prim::{array, count, le16, le64, string, utime};
use crate::decode::grammar::{offset, In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;
use nom::Input;

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

/// One LogEntry (common/LogEntry.cc LogEntry::decode:
/// DECODE_START_LEGACY_COMPAT_LEN(5, 2, 2)).
#[derive(Debug, Clone, Default)]
pub struct Entry {
    h: Vh,
    name: EntityName,
    rank: NameT,
    addrs: AddrVec,
    stamp: Sp<(u32, u32)>,
    seq: Sp<u64>,
    prio: Sp<u16>,
    msg: Sp<String>,
    channel: Sp<String>,
    legacy: Option<Sp<()>>,
    done: bool,
}

impl Entry {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (rest, b) = self.h.start(Start::Decode(5), i)?;
        if self.h.v.v < 5 {
            let at = offset(&b);
            let (b, _) = b.take_split(b.input_len());
            self.legacy = Some(span_to(at, &b));
            return Ok((rest, ()));
        }
        let (b, ()) = self.name.parse(b)?;
        let (b, ()) = self.rank.parse(b)?;
        let (b, ()) = self.addrs.parse(b)?;
        let (b, t) = utime(&STAMP)(b)?;
        self.stamp = t;
        let (b, s) = le64(&SEQ)(b)?;
        self.seq = s;
        let (b, p) = le16(&PRIO)(b)?;
        self.prio = p;
        let (b, m) = string(&MSG)(b)?;
        self.msg = m;
        let (b, c) = string(&CHANNEL)(b)?;
        self.channel = c.clone();
        self.h.finish(&ENTRY, &b);
        self.done = true;
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.done, || format!("seq {}", self.seq.v));
        o.group(&ENTRY, value, None, |o| {
            o.vh_head(&self.h);
            o.raw(&LEGACY, &self.legacy, 0);
            entity_name_nodes(&mut o.n, &self.name);
            name_t_nodes(&mut o.n, &self.rank);
            addrvec_nodes(&mut o.n, &self.addrs);
            o.time(&STAMP, &self.stamp);
            o.uint(&SEQ, &self.seq);
            o.named(&PRIO, &self.prio, prio_name);
            o.str(&MSG, &self.msg);
            o.str(&CHANNEL, &self.channel);
            o.vh_tail(&self.h);
        });
    }
}

/// A decoded MLog.
#[derive(Debug, Default)]
pub struct Log {
    paxos: Paxos,
    fsid: Sp<[u8; 16]>,
    count: Sp<u32>,
    entries: Vec<Entry>,
}

impl Body for Log {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MLog.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, f) = array::<16>(&FSID)(i)?;
        self.fsid = f;
        // An entry is a versioned structure: 6 bytes at least.
        let (mut i, n) = count(&COUNT, 6)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let mut e = Entry::default();
            let r = e.parse(i);
            self.entries.push(e);
            i = r?.0;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.uuid(&FSID, &self.fsid);
        o.uint(&COUNT, &self.count);
        for e in &self.entries {
            e.view(o);
        }
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let n = self.entries.len();
        match self.entries.first() {
            Some(e) if e.done => format!(
                "log({n} entries from seq {} at {})",
                e.seq.v,
                time_text(e.stamp.v.0, e.stamp.v.1)
            ),
            Some(_) => format!("log({n} entries)"),
            None => "log()".into(),
        }
    }
}
