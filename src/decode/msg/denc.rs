//! Ceph's shared encodings inside message bodies, and how Ceph prints them.
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
//! osd_reqid_t:                  ENCODE_START(2,2) entity_name_t | le64 tid | le32 inc
//! object_locator_t:             ENCODE_START(6,3) le64 pool | le32 preferred | string key
//!                               | string nspace | le64 hash
//! blkin_trace_info:             le64 trace_id | le64 span_id | le64 parent_span_id
//! PaxosServiceMessage header:   le64 version | le16 session_mon | le64 session_mon_tid
//! ```
//!
//! Sources: include/encoding.h (ENCODE_START, containers), include/denc.h,
//! include/utime.h, include/uuid.h, osd/osd_types.h and osd_types.cc
//! (eversion_t, pg_t, spg_t, osd_reqid_t, object_locator_t),
//! msg/Message.cc (encode_trace), messages/PaxosServiceMessage.h.
//!
//! A length-delimited body is decoded inside a child cursor and consumed
//! exactly. When the input ends before the declared length, the body is
//! decoded as far as the bytes go, so a truncated message reads as a prefix
//! of its full decoding with one malformed item where the bytes ran out.

pub use super::print::{list_text, snap_text, strerror, time_text, uuid_text};
use crate::decode::addr::{name_t_tree, EntityNameT};
use crate::fields;
use crate::model::tree::{Malformed, Res, Tree};
use crate::model::{FieldDef, FieldNode, Source, Value};
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

/// The byte source of a cursor's nodes.
fn source(t: &Tree<'_>) -> Source {
    t.span(0, 0).source
}

/// What becomes of bytes a body's decoder leaves unread.
#[derive(Debug, Clone, Copy)]
pub enum Tail {
    /// They are an error (`ceph.trailing`).
    Trailing,
    /// They are fields of a newer version when `struct_v > known`
    /// (`ceph.denc.extra`); otherwise trailing.
    Newer {
        /// struct_v on the wire.
        v: u64,
        /// Newest version this decoder knows.
        known: u64,
    },
}

/// Decode the next `len` bytes with `build` in a cursor bounded to them
/// (`build` also sees them raw); their nodes go into `t`. If fewer than `len` bytes are left, decode what
/// is there and report the shortfall where `build` stopped.
pub fn body<'a, R>(
    t: &mut Tree<'a>,
    what: &str,
    len: u64,
    tail: Tail,
    build: impl FnOnce(&mut Tree<'a>, &'a [u8]) -> Res<R>,
) -> Res<R> {
    let avail = t.remaining();
    let start = t.offset();
    let (short, take) = match usize::try_from(len) {
        Ok(n) if n <= avail => (false, n),
        _ => (true, avail),
    };
    let (bytes, _) = t.take(take, what)?;
    let mut child = Tree::new(bytes, start, source(t));
    let res = build(&mut child, bytes).and_then(|r| {
        if short {
            return Err(Malformed {
                offset: child.offset(),
                what: format!("{what}: {len} bytes declared, {avail} left"),
            });
        }
        if let Tail::Newer { v, known } = tail {
            if v > known && child.remaining() > 0 {
                child.bytes(&EXTRA, child.remaining())?;
            }
        }
        Ok(r)
    });
    let nodes = match &res {
        Ok(_) => child.finish_with(Ok(())),
        Err(_) => child.into_nodes(),
    };
    for n in nodes {
        t.push(n);
    }
    res
}

/// A versioned structure (ENCODE_START) as a group of `def`: its header
/// fields, then what `build` reads from its body (given struct_v).
pub fn versioned<'a, 't, R>(
    t: &'t mut Tree<'a>,
    def: &'static FieldDef,
    known: u64,
    build: impl FnOnce(&mut Tree<'a>, u64) -> Res<R>,
) -> Res<(R, &'t mut FieldNode)> {
    let mut out = None;
    let node = t.group(def, |t| {
        let v = t.uint(&STRUCT_V, 1)?;
        t.uint(&STRUCT_COMPAT, 1)?;
        let len = t.uint(&STRUCT_LEN, 4)?;
        out = Some(body(
            t,
            def.abbrev,
            len,
            Tail::Newer { v, known },
            |c, _| build(c, v),
        )?);
        Ok(())
    })?;
    match out {
        Some(r) => Ok((r, node)),
        None => Err(Malformed {
            offset: 0,
            what: "internal: structure without a body".into(),
        }),
    }
}

/// A bufferlist holding one encoded structure (`le32 len` + bytes) as a
/// group of `def`: the length as `len_def`, then what `build` reads from
/// the bytes, which it must consume exactly.
pub fn sized<'a, 't, R>(
    t: &'t mut Tree<'a>,
    def: &'static FieldDef,
    len_def: &'static FieldDef,
    build: impl FnOnce(&mut Tree<'a>) -> Res<R>,
) -> Res<(R, &'t mut FieldNode)> {
    let mut out = None;
    let node = t.group(def, |t| {
        let len = t.uint(len_def, 4)?;
        out = Some(body(t, def.abbrev, len, Tail::Trailing, |c, _| build(c))?);
        Ok(())
    })?;
    match out {
        Some(r) => Ok((r, node)),
        None => Err(Malformed {
            offset: 0,
            what: "internal: bufferlist without a body".into(),
        }),
    }
}

/// A count of a container, checked only by the reads that follow (every
/// element takes at least one byte, so a bad count fails at the first
/// element that is not there).
pub fn count(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<u64> {
    t.uint(def, 4)
}

/// A `vector<string>` / `set<string>` as a group: count, then each string.
pub fn strings(
    t: &mut Tree<'_>,
    group: &'static FieldDef,
    count_def: &'static FieldDef,
    item: &'static FieldDef,
) -> Res<Vec<String>> {
    let mut v = Vec::new();
    t.group(group, |t| {
        let n = count(t, count_def)?;
        for _ in 0..n {
            v.push(t.string(item)?);
        }
        Ok(())
    })?;
    Ok(v)
}

/// A `map<string,string>` as a group: count, then one `entry` group (key,
/// value) per element.
pub fn string_map(
    t: &mut Tree<'_>,
    group: &'static FieldDef,
    count_def: &'static FieldDef,
    entry: &'static FieldDef,
    key: &'static FieldDef,
    val: &'static FieldDef,
) -> Res<Vec<(String, String)>> {
    let mut v = Vec::new();
    t.group(group, |t| {
        let n = count(t, count_def)?;
        for _ in 0..n {
            let mut kv = (String::new(), String::new());
            let node = t.group(entry, |t| {
                kv.0 = t.string(key)?;
                kv.1 = t.string(val)?;
                Ok(())
            })?;
            node.value = Value::Str(format!("{}={}", kv.0, kv.1));
            v.push(kv);
        }
        Ok(())
    })?;
    Ok(v)
}

/// A `utime_t` (include/utime.h: le32 sec, le32 nsec) as one time field.
pub fn utime(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<(u32, u32)> {
    let start = t.offset();
    let (sec, _) = t.read_uint(4, def.abbrev)?;
    let (nsec, _) = t
        .read_uint(4, def.abbrev)
        .map_err(|e| Malformed { offset: start, ..e })?;
    let (sec, nsec) = (u32_of(sec), u32_of(nsec));
    t.push(FieldNode::new(
        def,
        Value::Time(i64::from(sec), nsec),
        Some(t.span(start, 8)),
    ));
    Ok((sec, nsec))
}

/// A `uuid_d` (16 raw bytes) as text.
pub fn uuid(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<String> {
    let (b, span) = t.take(16, def.abbrev)?;
    let s = uuid_text(b);
    t.push(FieldNode::new(def, Value::Str(s.clone()), Some(span)));
    Ok(s)
}

/// A snapid_t (le64) with Ceph's text for it as the node's summary.
pub fn snap(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<u64> {
    let (v, span) = t.read_uint(8, def.abbrev)?;
    let node = t.push(FieldNode::new(def, Value::Uint(v), Some(span)));
    node.summary = Some(snap_text(v));
    Ok(v)
}

/// A `u32` from a value read as 4 bytes.
pub fn u32_of(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A `pg_t` (osd_types.h pg_t::encode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pg {
    /// Pool.
    pub pool: i64,
    /// Placement seed.
    pub seed: u32,
}

impl fmt::Display for Pg {
    /// osd_types.cc operator<<(pg_t): `pool.seed` with the seed in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:x}", self.pool, self.seed)
    }
}

/// A `pg_t` as a group of `def` valued `pool.seed`.
pub fn pg(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<Pg> {
    let mut p = Pg::default();
    let node = t.group(def, |t| {
        t.uint(&PG_V, 1)?;
        p.pool = t.int(&PG_POOL, 8)?;
        p.seed = u32_of(t.uint(&PG_SEED, 4)?);
        t.int(&PG_PREFERRED, 4)?;
        Ok(())
    })?;
    node.value = Value::Str(p.to_string());
    Ok(p)
}

/// An `spg_t`: a pg and an erasure-code shard (-1 for none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spg {
    /// The pg.
    pub pg: Pg,
    /// Shard; -1 (shard_id_t::NO_SHARD) for replicated pools.
    pub shard: i64,
}

impl fmt::Display for Spg {
    /// osd_types.h operator<<(spg_t): the pg, then `s<shard>` if sharded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.pg)?;
        if self.shard >= 0 {
            write!(f, "s{}", self.shard)?;
        }
        Ok(())
    }
}

/// An `spg_t` (ENCODE_START(1,1): pg_t, s8 shard) as a group of `def`.
pub fn spg(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<Spg> {
    let (s, node) = versioned(t, def, 1, |t, _| {
        let pg = pg(t, &PG)?;
        let shard = t.int(&SHARD, 1)?;
        Ok(Spg { pg, shard })
    })?;
    node.value = Value::Str(s.to_string());
    Ok(s)
}

/// An `eversion_t` (le64 version, le32 epoch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Eversion {
    /// Version.
    pub version: u64,
    /// Epoch.
    pub epoch: u32,
}

impl fmt::Display for Eversion {
    /// osd_types.h operator<<(eversion_t): `epoch'version`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'{}", self.epoch, self.version)
    }
}

/// An `eversion_t` as a group of `def` valued `epoch'version`.
pub fn eversion(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<Eversion> {
    let mut e = Eversion::default();
    let node = t.group(def, |t| {
        e.version = t.uint(&EV_VERSION, 8)?;
        e.epoch = u32_of(t.uint(&EV_EPOCH, 4)?);
        Ok(())
    })?;
    node.value = Value::Str(e.to_string());
    Ok(e)
}

/// An `osd_reqid_t`: who sent a request and its transaction id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reqid {
    /// Sender (type 0, number 0 when the sender left it for the receiver to fill in).
    pub name: EntityNameT,
    /// Transaction id.
    pub tid: u64,
    /// Client incarnation.
    pub inc: i32,
}

impl Reqid {
    /// Whether the sender left it empty (MOSDOp::get_reqid then uses the
    /// connection's peer and the header's tid).
    pub fn is_empty(&self) -> bool {
        self.name.entity_type == 0 && self.name.num == 0 && self.tid == 0
    }
}

impl fmt::Display for Reqid {
    /// osd_types.h operator<<(osd_reqid_t): `name.inc:tid`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}:{}", self.name, self.inc, self.tid)
    }
}

/// An `osd_reqid_t` (DENC_START(2,2): entity_name_t, le64 tid, le32 inc).
pub fn reqid(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<Reqid> {
    let (r, node) = versioned(t, def, 2, |t, _| {
        let name = name_t_tree(t)?;
        let tid = t.uint(&REQID_TID, 8)?;
        let inc = i32::try_from(t.int(&REQID_INC, 4)?).unwrap_or(-1);
        Ok(Reqid { name, tid, inc })
    })?;
    node.value = Value::Str(r.to_string());
    Ok(r)
}

/// An `object_locator_t`: where an object lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Oloc {
    /// Pool.
    pub pool: i64,
    /// Locator key.
    pub key: String,
    /// Namespace.
    pub nspace: String,
    /// Explicit hash, -1 for none.
    pub hash: i64,
}

impl fmt::Display for Oloc {
    /// osd_types.cc operator<<(object_locator_t): `@pool[;nspace][:key][@hash]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.pool)?;
        if !self.nspace.is_empty() {
            write!(f, ";{}", self.nspace)?;
        }
        if !self.key.is_empty() {
            write!(f, ":{}", self.key)?;
        }
        if self.hash != -1 {
            write!(f, "@{}", self.hash)?;
        }
        Ok(())
    }
}

/// An `object_locator_t` (osd_types.cc: ENCODE_START(6, 3)) as a group of `def`.
pub fn oloc(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<Oloc> {
    let (o, node) = versioned(t, def, 6, |t, v| {
        let mut o = Oloc {
            hash: -1,
            ..Oloc::default()
        };
        o.pool = t.int(&OLOC_POOL, 8)?;
        t.int(&OLOC_PREFERRED, 4)?;
        o.key = t.string(&OLOC_KEY)?;
        if v >= 5 {
            o.nspace = t.string(&OLOC_NSPACE)?;
        }
        if v >= 6 {
            o.hash = t.int(&OLOC_HASH, 8)?;
        }
        Ok(o)
    })?;
    node.value = Value::Str(o.to_string());
    Ok(o)
}

/// A `blkin_trace_info` (Message::encode_trace: three le64) as a group.
pub fn trace(t: &mut Tree<'_>) -> Res<()> {
    t.group(&TRACE, |t| {
        t.uint(&TRACE_ID, 8)?;
        t.uint(&SPAN_ID, 8)?;
        t.uint(&PARENT_SPAN_ID, 8)?;
        Ok(())
    })?;
    Ok(())
}

/// The PaxosServiceMessage header (paxos_encode); returns its version.
pub fn paxos(t: &mut Tree<'_>) -> Res<u64> {
    let mut version = 0;
    let node = t.group(&PAXOS, |t| {
        version = t.uint(&PAXOS_VERSION, 8)?;
        t.int(&SESSION_MON, 2)?;
        t.uint(&SESSION_MON_TID, 8)?;
        Ok(())
    })?;
    node.summary = Some(format!("version {version}"));
    Ok(version)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn versioned_body_is_exact_and_truncation_is_a_prefix() {
        // spg_t 1.7: struct_v 1, compat 1, len 18, pg_t (v1, pool 1, seed 7, preferred -1), shard -1.
        let b = [
            1u8, 1, 18, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
            0xff,
        ];
        let mut t = Tree::new(&b, 10, Source::Wire);
        let r = spg(&mut t, &PG).map(|s| assert_eq!(s.to_string(), "1.7"));
        let nodes = t.finish_with(r);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].span.as_ref().unwrap().range, 10..34);
        for cut in 0..b.len() {
            let mut t = Tree::new(&b[..cut], 10, Source::Wire);
            let r = spg(&mut t, &PG).map(|_| ());
            let nodes = t.finish_with(r);
            let bad: Vec<_> = nodes
                .iter()
                .flat_map(FieldNode::walk)
                .filter(|n| n.def.abbrev == "ceph.malformed")
                .collect();
            assert_eq!(bad.len(), 1, "cut {cut}");
        }
    }
}
