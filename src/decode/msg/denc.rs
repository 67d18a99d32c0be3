//! Ceph's shared encodings inside message bodies: typed values parsed by
//! the wire grammar, their field views, and how Ceph prints them.
//!
//! ```text
//! ENCODE_START(v, compat, bl):  u8 struct_v | u8 struct_compat | le32 struct_len | struct_len bytes
//! string / bufferlist:          le32 len | len bytes
//! vector / set / map:           le32 count | count x element (map: key then value)
//! utime_t:                      le32 sec | le32 nsec
//! uuid_d:                       16 raw bytes
//! eversion_t:                   le64 version | le32 epoch
//! pg_t:                         u8 v=1 | le64 pool | le32 seed | le32 preferred (-1)
//! spg_t:                        ENCODE_START(1,1) pg_t | s8 shard
//! osd_reqid_t:                  DENC_START(2,2) entity_name_t | le64 tid | le32 inc
//! object_locator_t:             ENCODE_START(6,3) le64 pool | le32 preferred | string key
//!                               | string nspace | le64 hash
//! blkin_trace_info:             le64 trace_id | le64 span_id | le64 parent_span_id
//! PaxosServiceMessage header:   le64 version | le16 session_mon | le64 session_mon_tid
//! ```
//!
//! Sources: include/encoding.h (DECODE_START, containers), include/denc.h
//! (DENC_START), include/utime.h, include/uuid.h, osd/osd_types.h and
//! osd_types.cc (eversion_t, pg_t, spg_t, osd_reqid_t, object_locator_t),
//! msg/Message.cc (encode_trace), messages/PaxosServiceMessage.h.
//!
//! Each value fills itself field by field, so a payload cut short keeps
//! the fields read before the fault; its view shows only those.

use super::out::{Out, Start, Vh};
pub use super::print::{list_text, snap_text, strerror, time_text, uuid_text};
use crate::decode::addr::{name_t_nodes, NameT};
use crate::decode::grammar::prim::{i32_, i64_, i8_, le16, le32, le64, string, u8_};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};
use std::fmt;

fields! {
    STRUCT_V = "ceph.denc.struct_v", "Struct version", Uint, "Encoding version of a versioned structure (ENCODE_START).";
    STRUCT_COMPAT = "ceph.denc.struct_compat", "Struct compat", Uint, "Oldest encoding version able to decode the structure.";
    STRUCT_LEN = "ceph.denc.struct_len", "Struct length", Uint, "Bytes of the versioned structure's body that follow.";
    EXTRA = "ceph.denc.extra", "Newer fields", Bytes, "Bytes of a newer structure version past the known fields; Ceph skips them too.";
    PAXOS = "ceph.paxos", "Paxos service header", None, "PaxosServiceMessage header of monitor-bound messages.";
    PAXOS_VERSION = "ceph.paxos.version", "Version", Uint, "Map version the sender has (PaxosServiceMessage::version).";
    SESSION_MON = "ceph.paxos.session_mon", "Session mon", Int, "Deprecated session monitor rank (-1).";
    SESSION_MON_TID = "ceph.paxos.session_mon_tid", "Session mon tid", Uint, "Deprecated session monitor transaction id.";
    PG = "ceph.pg", "Placement group", Str, "A pg_t inside another structure.";
    PG_V = "ceph.pg.struct_v", "Version", Uint, "pg_t encoding version (1).";
    PG_POOL = "ceph.pg.pool", "Pool", Int, "Pool id.";
    PG_SEED = "ceph.pg.seed", "Placement seed", Hex, "Placement seed (the ps of pool.ps).";
    PG_PREFERRED = "ceph.pg.preferred", "Preferred", Int, "Obsolete preferred OSD (-1).";
    SHARD = "ceph.pg.shard", "Shard", Int, "Erasure-code shard of an spg_t (-1: none).";
    EV_VERSION = "ceph.eversion.version", "Version", Uint, "Version part of an eversion_t.";
    EV_EPOCH = "ceph.eversion.epoch", "Epoch", Uint, "Epoch part of an eversion_t.";
    REQID_TID = "ceph.reqid.tid", "Tid", Uint, "Transaction id of an osd_reqid_t.";
    REQID_INC = "ceph.reqid.inc", "Incarnation", Int, "Client incarnation of an osd_reqid_t.";
    OLOC_POOL = "ceph.oloc.pool", "Pool", Int, "Pool of an object_locator_t.";
    OLOC_PREFERRED = "ceph.oloc.preferred", "Preferred", Int, "Obsolete preferred OSD (-1).";
    OLOC_KEY = "ceph.oloc.key", "Key", Str, "Locator key (hashes in place of the object name when set).";
    OLOC_NSPACE = "ceph.oloc.nspace", "Namespace", Str, "Namespace of the object.";
    OLOC_HASH = "ceph.oloc.hash", "Hash", Int, "Explicit placement hash (-1: none).";
    TRACE = "ceph.trace", "Trace", None, "blkin trace info carried by some messages (zero when tracing is off).";
    TRACE_ID = "ceph.trace.trace_id", "Trace id", Hex, "blkin trace id.";
    SPAN_ID = "ceph.trace.span_id", "Span id", Hex, "blkin span id.";
    PARENT_SPAN_ID = "ceph.trace.parent_span_id", "Parent span id", Hex, "blkin parent span id.";
}

/// A `pg_t` (osd_types.h pg_t::decode: u8 v, le64 pool, le32 seed, le32 preferred).
#[derive(Debug, Clone, Default)]
pub struct Pg {
    /// Encoding version.
    pub v: Sp<u8>,
    /// Pool.
    pub pool: Sp<i64>,
    /// Placement seed.
    pub seed: Sp<u32>,
    /// Obsolete preferred OSD.
    pub preferred: Sp<i32>,
}

impl fmt::Display for Pg {
    /// osd_types.cc operator<<(pg_t): `pool.seed` with the seed in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:x}", self.pool.v, self.seed.v)
    }
}

impl Pg {
    /// Smallest encoding.
    pub const SIZE: usize = 17;

    /// Parse into `self`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = u8_(&PG_V)(i)?;
        self.v = v;
        let (i, pool) = i64_(&PG_POOL)(i)?;
        self.pool = pool;
        let (i, seed) = le32(&PG_SEED)(i)?;
        self.seed = seed;
        let (i, p) = i32_(&PG_PREFERRED)(i)?;
        self.preferred = p;
        Ok((i, ()))
    }

    /// Whether every field was read.
    pub fn done(&self) -> bool {
        self.preferred.len > 0
    }

    /// A group of `def` valued `pool.seed`.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = text_if(self.done(), || self.to_string());
        o.group(def, value, None, |o| {
            o.uint(&PG_V, &self.v);
            o.int(&PG_POOL, &self.pool);
            o.uint(&PG_SEED, &self.seed);
            o.int(&PG_PREFERRED, &self.preferred);
        });
    }
}

/// `Value::Str` of `text()` when `done`, else no value.
pub fn text_if(done: bool, text: impl FnOnce() -> String) -> Value {
    if done {
        Value::Str(text())
    } else {
        Value::None
    }
}

/// An `spg_t` (osd_types.h spg_t::decode: DECODE_START(1) pg_t, s8 shard).
#[derive(Debug, Clone, Default)]
pub struct Spg {
    /// Header.
    pub h: Vh,
    /// The pg.
    pub pg: Pg,
    /// Shard; -1 (shard_id_t::NO_SHARD) for replicated pools.
    pub shard: Sp<i8>,
    /// Fully read.
    pub done: bool,
}

impl fmt::Display for Spg {
    /// osd_types.h operator<<(spg_t): the pg, then `s<shard>` if sharded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.pg)?;
        if self.shard.v >= 0 {
            write!(f, "s{}", self.shard.v)?;
        }
        Ok(())
    }
}

impl Spg {
    /// Smallest encoding: header, pg_t, shard.
    pub const SIZE: usize = 6 + Pg::SIZE + 1;

    /// Parse into `self`.
    pub fn parse<'a>(&mut self, group: &'static FieldDef, i: In<'a>) -> PResult<'a, ()> {
        let (rest, body) = self.h.start(Start::Decode(1), i)?;
        let (body, ()) = self.pg.parse(body)?;
        let (body, shard) = i8_(&SHARD)(body)?;
        self.shard = shard;
        self.h.finish(group, &body);
        self.done = true;
        Ok((rest, ()))
    }

    /// A group of `def` valued as Ceph prints it.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = text_if(self.done, || self.to_string());
        o.group(def, value, None, |o| {
            o.vh_head(&self.h);
            self.pg.view(o, &PG);
            o.int(&SHARD, &self.shard);
            o.vh_tail(&self.h);
        });
    }
}

/// An `eversion_t` (le64 version, le32 epoch).
#[derive(Debug, Clone, Default)]
pub struct Eversion {
    /// Version.
    pub version: Sp<u64>,
    /// Epoch.
    pub epoch: Sp<u32>,
}

impl fmt::Display for Eversion {
    /// osd_types.h operator<<(eversion_t): `epoch'version`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'{}", self.epoch.v, self.version.v)
    }
}

impl Eversion {
    /// Parse into `self`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = le64(&EV_VERSION)(i)?;
        self.version = v;
        let (i, e) = le32(&EV_EPOCH)(i)?;
        self.epoch = e;
        Ok((i, ()))
    }

    /// A group of `def` valued `epoch'version`.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = text_if(self.epoch.len > 0, || self.to_string());
        o.group(def, value, None, |o| {
            o.uint(&EV_VERSION, &self.version);
            o.uint(&EV_EPOCH, &self.epoch);
        });
    }
}

/// An `osd_reqid_t`: who sent a request and its transaction id.
#[derive(Debug, Clone, Default)]
pub struct Reqid {
    /// Header.
    pub h: Vh,
    /// Sender (type 0, number 0 when left for the receiver to fill in).
    pub name: NameT,
    /// Transaction id.
    pub tid: Sp<u64>,
    /// Client incarnation.
    pub inc: Sp<i32>,
    /// Fully read.
    pub done: bool,
}

impl Reqid {
    /// Whether the sender left it empty (MOSDOp::get_reqid then uses the
    /// connection's peer and the header's tid).
    pub fn is_empty(&self) -> bool {
        self.name.entity_type.v == 0 && self.name.num.v == 0 && self.tid.v == 0
    }

    /// Parse into `self` (osd_types.h osd_reqid_t: DENC_START(2, 2)).
    pub fn parse<'a>(&mut self, group: &'static FieldDef, i: In<'a>) -> PResult<'a, ()> {
        let (rest, body) = self.h.start(Start::Denc, i)?;
        let (body, ()) = self.name.parse(body)?;
        let (body, tid) = le64(&REQID_TID)(body)?;
        self.tid = tid;
        let (body, inc) = i32_(&REQID_INC)(body)?;
        self.inc = inc;
        self.h.finish(group, &body);
        self.done = true;
        Ok((rest, ()))
    }

    /// A group of `def` valued `name.inc:tid`.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = text_if(self.done, || self.to_string());
        o.group(def, value, None, |o| {
            o.vh_head(&self.h);
            name_t_nodes(&mut o.n, &self.name);
            o.uint(&REQID_TID, &self.tid);
            o.int(&REQID_INC, &self.inc);
            o.vh_tail(&self.h);
        });
    }
}

impl fmt::Display for Reqid {
    /// osd_types.h operator<<(osd_reqid_t): `name.inc:tid`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}:{}", self.name.value(), self.inc.v, self.tid.v)
    }
}

/// An `object_locator_t`: where an object lives.
#[derive(Debug, Clone, Default)]
pub struct Oloc {
    /// Header.
    pub h: Vh,
    /// Pool.
    pub pool: Sp<i64>,
    /// Obsolete preferred OSD.
    pub preferred: Sp<i32>,
    /// Locator key.
    pub key: Sp<String>,
    /// Namespace (v5+).
    pub nspace: Sp<String>,
    /// Explicit hash, -1 for none (v6+).
    pub hash: Sp<i64>,
    /// Fully read.
    pub done: bool,
}

impl fmt::Display for Oloc {
    /// osd_types.cc operator<<(object_locator_t): `@pool[;nspace][:key][@hash]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.pool.v)?;
        if !self.nspace.v.is_empty() {
            write!(f, ";{}", self.nspace.v)?;
        }
        if !self.key.v.is_empty() {
            write!(f, ":{}", self.key.v)?;
        }
        if self.hash.v != -1 {
            write!(f, "@{}", self.hash.v)?;
        }
        Ok(())
    }
}

impl Oloc {
    /// Parse into `self` (osd_types.cc object_locator_t::decode:
    /// DECODE_START_LEGACY_COMPAT_LEN(6, 3, 3)).
    pub fn parse<'a>(&mut self, group: &'static FieldDef, i: In<'a>) -> PResult<'a, ()> {
        self.hash.v = -1;
        let (rest, body) = self.h.start(Start::Decode(6), i)?;
        let (body, pool) = i64_(&OLOC_POOL)(body)?;
        self.pool = pool;
        let (body, p) = i32_(&OLOC_PREFERRED)(body)?;
        self.preferred = p;
        let (mut body, key) = string(&OLOC_KEY)(body)?;
        self.key = key;
        if self.h.v.v >= 5 {
            let (b, ns) = string(&OLOC_NSPACE)(body)?;
            self.nspace = ns;
            body = b;
        }
        if self.h.v.v >= 6 {
            let (b, hash) = i64_(&OLOC_HASH)(body)?;
            self.hash = hash;
            body = b;
        }
        self.h.finish(group, &body);
        self.done = true;
        Ok((rest, ()))
    }

    /// A group of `def` valued as Ceph prints it.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = text_if(self.done, || self.to_string());
        o.group(def, value, None, |o| {
            o.vh_head(&self.h);
            o.int(&OLOC_POOL, &self.pool);
            o.int(&OLOC_PREFERRED, &self.preferred);
            o.str(&OLOC_KEY, &self.key);
            o.str(&OLOC_NSPACE, &self.nspace);
            o.int(&OLOC_HASH, &self.hash);
            o.vh_tail(&self.h);
        });
    }
}

/// A `blkin_trace_info` (Message::encode_trace: three le64).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Trace id.
    pub trace_id: Sp<u64>,
    /// Span id.
    pub span_id: Sp<u64>,
    /// Parent span id.
    pub parent: Sp<u64>,
}

impl Trace {
    /// Parse into `self`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, a) = le64(&TRACE_ID)(i)?;
        self.trace_id = a;
        let (i, b) = le64(&SPAN_ID)(i)?;
        self.span_id = b;
        let (i, c) = le64(&PARENT_SPAN_ID)(i)?;
        self.parent = c.clone();
        Ok((i, ()))
    }

    /// The `ceph.trace` group.
    pub fn view(&self, o: &mut Out<'_>) {
        o.group(&TRACE, Value::None, None, |o| {
            o.uint(&TRACE_ID, &self.trace_id);
            o.uint(&SPAN_ID, &self.span_id);
            o.uint(&PARENT_SPAN_ID, &self.parent);
        });
    }
}

/// The PaxosServiceMessage header (paxos_encode).
#[derive(Debug, Clone, Default)]
pub struct Paxos {
    /// Map version the sender has.
    pub version: Sp<u64>,
    /// Deprecated session monitor rank.
    pub session_mon: Sp<i16>,
    /// Deprecated session monitor tid.
    pub session_mon_tid: Sp<u64>,
}

impl Paxos {
    /// Bytes it takes.
    pub const SIZE: usize = 18;

    /// Parse into `self`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = le64(&PAXOS_VERSION)(i)?;
        self.version = v;
        let (i, m) = le16(&SESSION_MON)(i)?;
        self.session_mon = Sp {
            v: i16::from_le_bytes(m.v.to_le_bytes()),
            at: m.at,
            len: m.len,
        };
        let (i, t) = le64(&SESSION_MON_TID)(i)?;
        self.session_mon_tid = t;
        Ok((i, ()))
    }

    /// The `ceph.paxos` group, summarised `version N`.
    pub fn view(&self, o: &mut Out<'_>) {
        let summary = (self.session_mon_tid.len > 0).then(|| format!("version {}", self.version.v));
        o.group(&PAXOS, Value::None, summary, |o| {
            o.uint(&PAXOS_VERSION, &self.version);
            o.int(&SESSION_MON, &self.session_mon);
            o.uint(&SESSION_MON_TID, &self.session_mon_tid);
        });
    }
}
