//! osd_op (CEPH_MSG_OSD_OP, 42): a client's request to an OSD, MOSDOp
//! encoding version 8 as Ceph since Luminous sends it
//! (messages/MOSDOp.h encode_payload, header.version 8), and version 9,
//! which Squid sends to peers with SERVER_SQUID: the same with an
//! OpenTelemetry span context after the blkin trace:
//!
//! ```text
//! spg_t pgid | le32 hash | le32 osdmap_epoch | le32 flags | osd_reqid_t reqid
//! | blkin_trace_info | [v9: jspan_context] | le32 client_inc | utime_t mtime | object_locator_t
//! | string oid | le16 num_ops | num_ops x ceph_osd_op | le64 snapid
//! | le64 snap_seq | vector<le64> snaps | le32 retry_attempt | le64 features
//! ```
//!
//! Each op's input (a write's bytes, an xattr's name and value) is its
//! `payload_len` bytes of the data segment, in op order
//! (OSDOp::merge_osd_op_vector_in_data).

use super::denc::{self, snap_text, Oloc, Reqid, Spg, Trace};
use super::osd_ops::{self, flag_names, flags_text, Op, OpDefs, OP_LEN};
use super::out::{count16, Out};
use super::out::{Start, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{bool_, count, i32_, le32, le64, raw, string, u8_, utime};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.osd_op", "OSD op", None, "MOSDOp: a client's operations on one object.";
    PGID = "ceph.osd_op.pgid", "PG", Str, "The placement group the client mapped the object to (spg_t).";
    HASH = "ceph.osd_op.hash", "Object hash", Hex, "rjenkins hash of the object name (or locator key).";
    RAW_PG = "ceph.osd_op.raw_pg", "Raw PG", Str, "pool.hash, as Ceph prints an op it has not decoded further.";
    EPOCH = "ceph.osd_op.epoch", "OSD map epoch", Uint, "The client's OSD map epoch.";
    FLAGS = "ceph.osd_op.flags", "Flags", Hex, "CEPH_OSD_FLAG_* bits.";
    FLAG = "ceph.osd_op.flag", "Flag", Str, "Name of one flag that is set (ondisk, write, read, known_if_redirected, ...).";
    REQID = "ceph.osd_op.reqid", "Request id", Str, "osd_reqid_t as sent (empty: the OSD uses the sender and the header's tid).";
    CLIENT_INC = "ceph.osd_op.client_inc", "Client incarnation", Uint, "Client incarnation.";
    MTIME = "ceph.osd_op.mtime", "Modification time", Time, "Modification time for writes.";
    OLOC = "ceph.osd_op.oloc", "Object locator", Str, "object_locator_t: pool, key, namespace, hash.";
    OID = "ceph.osd_op.oid", "Object", Str, "Object name.";
    OBJECT = "ceph.osd_op.object", "Object id", Str, "The object as Ceph prints an hobject_t (pool:hash:nspace:key:name:snap).";
    NUM_OPS = "ceph.osd_op.num_ops", "Number of ops", Uint, "Operations that follow.";
    OP = "ceph.osd_op.op", "Op", Str, "One ceph_osd_op.";
    OP_CODE = "ceph.osd_op.op.code", "Op code", Enum, "CEPH_OSD_OP_* named as Ceph's ceph_osd_op_name.";
    OP_FLAGS = "ceph.osd_op.op.flags", "Op flags", Hex, "CEPH_OSD_OP_FLAG_* bits (fadvise, excl, failok).";
    OP_OFFSET = "ceph.osd_op.op.offset", "Offset", Uint, "Extent offset.";
    OP_LENGTH = "ceph.osd_op.op.length", "Length", Uint, "Extent length.";
    OP_TRUNC_SIZE = "ceph.osd_op.op.truncate_size", "Truncate size", Uint, "Extent truncate size.";
    OP_TRUNC_SEQ = "ceph.osd_op.op.truncate_seq", "Truncate seq", Uint, "Extent truncate sequence.";
    OP_NAME_LEN = "ceph.osd_op.op.name_len", "Name length", Uint, "Xattr name length (the name leads the op's data).";
    OP_VALUE_LEN = "ceph.osd_op.op.value_len", "Value length", Uint, "Xattr value length.";
    OP_CLASS_LEN = "ceph.osd_op.op.class_len", "Class length", Uint, "Object class name length (leads the op's data).";
    OP_METHOD_LEN = "ceph.osd_op.op.method_len", "Method length", Uint, "Object class method name length.";
    OP_COUNT = "ceph.osd_op.op.count", "Count", Uint, "Entries wanted by a listing op.";
    OP_START_EPOCH = "ceph.osd_op.op.start_epoch", "Start epoch", Uint, "Map epoch a PG listing started at.";
    OP_COOKIE = "ceph.osd_op.op.cookie", "Cookie", Hex, "Watch or notify cookie.";
    OP_SNAPID = "ceph.osd_op.op.snapid", "Snap id", Uint, "Snapshot to roll back to.";
    OP_ARGS = "ceph.osd_op.op.args", "Arguments", Bytes, "Union bytes of the op not broken down.";
    OP_PAYLOAD_LEN = "ceph.osd_op.op.payload_len", "Payload length", Uint, "Bytes of the data segment that are this op's input.";
    OP_DATA = "ceph.osd_op.op.data", "Op input", Bytes, "This op's bytes of the data segment.";
    SNAPID = "ceph.osd_op.snapid", "Snap id", Uint, "Snapshot read (CEPH_NOSNAP: head).";
    SNAP_SEQ = "ceph.osd_op.snap_seq", "Snap context seq", Uint, "Writer's snap context sequence.";
    SNAPS = "ceph.osd_op.snaps", "Snaps", None, "Writer's snap context snapshots.";
    SNAPS_COUNT = "ceph.osd_op.snaps.count", "Count", Uint, "Number of snapshots.";
    SNAP = "ceph.osd_op.snap", "Snap", Uint, "One snapshot of the snap context.";
    RETRY = "ceph.osd_op.retry_attempt", "Retry attempt", Int, "0 for the first attempt, -1 unknown.";
    FEATURES = "ceph.osd_op.features", "Features", Hex, "The client's feature bits.";
    OTEL = "ceph.osd_op.otel_trace", "OpenTelemetry trace", None, "jspan_context of MOSDOp v9 (Squid): ENCODE_START(1, 1), bool valid, then trace id, span id and flags when valid.";
    OTEL_VALID = "ceph.osd_op.otel_trace.valid", "Valid", Bool, "Whether a span context follows.";
    OTEL_TRACE_ID = "ceph.osd_op.otel_trace.trace_id", "Trace id", Bytes, "16-byte OpenTelemetry trace id.";
    OTEL_SPAN_ID = "ceph.osd_op.otel_trace.span_id", "Span id", Bytes, "8-byte OpenTelemetry span id.";
    OTEL_FLAGS = "ceph.osd_op.otel_trace.flags", "Trace flags", Hex, "OpenTelemetry trace flags (bit 0: sampled).";
}

/// jspan_context (common/tracer.cc encode: ENCODE_START(1, 1), bool
/// is_valid, then when valid the trace id (16 bytes) and span id (8 bytes)
/// with no length, and the u8 trace flags).
#[derive(Debug, Clone, Default)]
pub struct Otel {
    /// Header.
    pub h: Vh,
    /// Whether valid.
    pub valid: Sp<bool>,
    /// Trace id.
    pub trace_id: Option<Sp<()>>,
    /// Span id.
    pub span_id: Option<Sp<()>>,
    /// Flags.
    pub flags: Sp<u8>,
}

impl Otel {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        // tracer.cc decode: DECODE_START(1, bl).
        let (rest, body) = self.h.start(Start::Decode(1), i)?;
        let (body, valid) = bool_(&OTEL_VALID)(body)?;
        self.valid = valid.clone();
        let body = if valid.v {
            let (body, t) = raw(&OTEL_TRACE_ID, 16)(body)?;
            self.trace_id = Some(Sp {
                v: (),
                at: t.at,
                len: t.len,
            });
            let (body, s) = raw(&OTEL_SPAN_ID, 8)(body)?;
            self.span_id = Some(Sp {
                v: (),
                at: s.at,
                len: s.len,
            });
            let (body, f) = u8_(&OTEL_FLAGS)(body)?;
            self.flags = f;
            body
        } else {
            body
        };
        self.h.finish(&OTEL, &body);
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>) {
        o.group(&OTEL, Value::None, None, |o| {
            o.vh_head(&self.h);
            o.boolean(&OTEL_VALID, &self.valid);
            o.raw(&OTEL_TRACE_ID, &self.trace_id, 0);
            o.raw(&OTEL_SPAN_ID, &self.span_id, 0);
            o.uint(&OTEL_FLAGS, &self.flags);
            o.vh_tail(&self.h);
        });
    }

    /// The bytes (a test's encoder): an invalid context, or a valid one.
    pub fn encode(valid: Option<([u8; 16], [u8; 8], u8)>) -> Vec<u8> {
        let mut body = vec![u8::from(valid.is_some())];
        if let Some((t, s, f)) = valid {
            body.extend_from_slice(&t);
            body.extend_from_slice(&s);
            body.push(f);
        }
        let mut o = vec![1, 1];
        o.extend_from_slice(&u32::try_from(body.len()).unwrap_or(0).to_le_bytes());
        o.extend_from_slice(&body);
        o
    }
}

/// The op fields of a request.
pub static OP_DEFS: OpDefs = OpDefs {
    op: &OP,
    code: &OP_CODE,
    flags: &OP_FLAGS,
    offset: &OP_OFFSET,
    length: &OP_LENGTH,
    truncate_size: &OP_TRUNC_SIZE,
    truncate_seq: &OP_TRUNC_SEQ,
    name_len: &OP_NAME_LEN,
    value_len: &OP_VALUE_LEN,
    class_len: &OP_CLASS_LEN,
    method_len: &OP_METHOD_LEN,
    count: &OP_COUNT,
    start_epoch: &OP_START_EPOCH,
    cookie: &OP_COOKIE,
    snapid: &OP_SNAPID,
    args: &OP_ARGS,
    payload_len: &OP_PAYLOAD_LEN,
    data: &OP_DATA,
};

/// CEPH_OSD_FLAG_RETRY (rados.h).
const FLAG_RETRY: u32 = 0x8;

/// A decoded MOSDOp.
#[derive(Debug, Clone, Default)]
pub struct OsdOp {
    /// PG.
    pub pgid: Spg,
    /// Object hash.
    pub hash: Sp<u32>,
    /// Map epoch.
    pub epoch: Sp<u32>,
    /// CEPH_OSD_FLAG_*.
    pub flags: Sp<u32>,
    /// Request id as sent.
    pub reqid: Reqid,
    /// blkin trace.
    pub trace: Trace,
    /// OpenTelemetry span context (v9).
    pub otel: Option<Otel>,
    /// Client incarnation.
    pub client_inc: Sp<u32>,
    /// Modification time.
    pub mtime: Sp<(u32, u32)>,
    /// Locator.
    pub oloc: Oloc,
    /// Object name.
    pub oid: Sp<String>,
    /// Number of ops.
    pub num_ops: Sp<u16>,
    /// Ops.
    pub ops: Vec<Op>,
    /// Snap read.
    pub snapid: Sp<u64>,
    /// Snap context seq.
    pub snap_seq: Sp<u64>,
    /// Number of snap context snaps.
    pub snaps_count: Sp<u32>,
    /// Snap context snaps.
    pub snaps: Vec<Sp<u64>>,
    /// Retry attempt.
    pub retry: Sp<i32>,
    /// Features.
    pub features: Sp<u64>,
}

/// A flags leaf with one generated `flag` child-level node per set bit.
pub fn flags_view(o: &mut Out<'_>, def: &'static FieldDef, flag: &'static FieldDef, sp: &Sp<u32>) {
    if sp.len == 0 {
        return;
    }
    o.uint(def, sp);
    for n in flag_names(sp.v, osd_ops::flag_name) {
        o.gen(flag, Value::Str(n.to_string()));
    }
}

/// hobject_t as Ceph prints it (common/hobject.cc operator<<):
/// `pool:bitwise-hash:nspace:key:name:snap`, `%xx`-escaping `%`, `:`, `/`
/// and non-printable bytes.
pub fn hobject_text(
    pool: i64,
    hash: u32,
    nspace: &str,
    key: &str,
    name: &str,
    snap: u64,
) -> String {
    let esc = |s: &str| {
        let mut o = String::new();
        // The wire's bytes, not the model's carriers of non-UTF-8 ones.
        for &b in crate::model::wire_text::wire_bytes(s).iter() {
            if b == b'%' || b == b':' || b == b'/' || !(32..127).contains(&b) {
                o.push_str(&format!("%{b:02x}"));
            } else {
                o.push(char::from(b));
            }
        }
        o
    };
    format!(
        "{pool}:{:08x}:{}:{}:{}:{}",
        hash.reverse_bits(),
        esc(nspace),
        esc(key),
        esc(name),
        snap_text(snap)
    )
}

impl OsdOp {
    /// The request id Ceph prints (MOSDOp::get_reqid): the one sent, or,
    /// when empty, the sender's name with the header's tid.
    pub fn reqid_text(&self, ctx: &MsgContext) -> String {
        if !self.reqid.is_empty() {
            return self.reqid.to_string();
        }
        let name = ctx
            .source
            .clone()
            .unwrap_or_else(|| self.reqid.name.value().to_string());
        format!("{name}.{}:{}", self.reqid.inc.v, ctx.tid_text())
    }

    /// The object as an hobject_t prints.
    pub fn object_text(&self) -> String {
        // hobject_t::set_key keeps a locator key only when it differs from the name.
        let key = if self.oloc.key.v == self.oid.v {
            ""
        } else {
            self.oloc.key.v.as_str()
        };
        hobject_text(
            self.pgid.pg.pool.v,
            self.hash.v,
            &self.oloc.nspace.v,
            key,
            &self.oid.v,
            self.snapid.v,
        )
    }
}

impl Body for OsdOp {
    const NODE: &'static FieldDef = &NODE;

    fn supports(version: u16) -> bool {
        // MOSDOp.h: HEAD_VERSION 8 (luminous .. reef), 9 (squid).
        version == 8 || version == 9
    }

    /// messages/MOSDOp.h decode_payload and finish_decode (header.version
    /// 8, and 9 with the otel trace after the blkin trace).
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.pgid.parse(&PGID, i)?;
        let (i, hash) = le32(&HASH)(i)?;
        self.hash = hash;
        let (i, epoch) = le32(&EPOCH)(i)?;
        self.epoch = epoch;
        let (i, flags) = le32(&FLAGS)(i)?;
        self.flags = flags;
        let (i, ()) = self.reqid.parse(&REQID, i)?;
        let (i, ()) = self.trace.parse(i)?;
        let i = if p.version >= 9 {
            let (i, ()) = self.otel.insert(Otel::default()).parse(i)?;
            i
        } else {
            i
        };
        let (i, inc) = le32(&CLIENT_INC)(i)?;
        self.client_inc = inc;
        let (i, mtime) = utime(&MTIME)(i)?;
        self.mtime = mtime;
        let (i, ()) = self.oloc.parse(&OLOC, i)?;
        let (i, oid) = string(&OID)(i)?;
        self.oid = oid;
        // __u16 num_ops, then num_ops x ceph_osd_op (38 bytes each).
        let (mut i, n) = count16(&NUM_OPS, OP_LEN)(i)?;
        self.num_ops = n.clone();
        for _ in 0..n.v {
            let (rest, op) = Op::parse(&OP_DEFS, i)?;
            self.ops.push(op);
            i = rest;
        }
        let (i, snapid) = le64(&SNAPID)(i)?;
        self.snapid = snapid;
        let (i, seq) = le64(&SNAP_SEQ)(i)?;
        self.snap_seq = seq;
        let (mut i, n) = count(&SNAPS_COUNT, 8)(i)?;
        self.snaps_count = n.clone();
        for _ in 0..n.v {
            let (rest, s) = le64(&SNAP)(i)?;
            self.snaps.push(s);
            i = rest;
        }
        let (i, retry) = i32_(&RETRY)(i)?;
        self.retry = retry;
        let (i, f) = le64(&FEATURES)(i)?;
        self.features = f;
        Ok((i, ()))
    }

    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.pgid.view(o, &PGID);
        o.uint(&HASH, &self.hash);
        if self.hash.len > 0 {
            o.gen(
                &RAW_PG,
                Value::Str(format!("{}.{:x}", self.pgid.pg.pool.v, self.hash.v)),
            );
        }
        o.uint(&EPOCH, &self.epoch);
        flags_view(o, &FLAGS, &FLAG, &self.flags);
        self.reqid.view(o, &REQID);
        self.trace.view(o);
        if let Some(t) = &self.otel {
            t.view(o);
        }
        o.uint(&CLIENT_INC, &self.client_inc);
        o.time(&MTIME, &self.mtime);
        self.oloc.view(o, &OLOC);
        o.str(&OID, &self.oid);
        o.uint(&NUM_OPS, &self.num_ops);
        for op in &self.ops {
            op.view(o, &OP_DEFS);
        }
        o.snap(&SNAPID, &self.snapid);
        if self.snapid.len > 0 {
            o.gen(&OBJECT, Value::Str(self.object_text()));
        }
        o.snap(&SNAP_SEQ, &self.snap_seq);
        o.group(&SNAPS, Value::None, None, |o| {
            o.uint(&SNAPS_COUNT, &self.snaps_count);
            for s in &self.snaps {
                o.snap(&SNAP, s);
            }
        });
        o.int(&RETRY, &self.retry);
        o.uint(&FEATURES, &self.features);
    }

    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        self.ops
            .iter()
            .map(|o| (&OP_DATA as &'static FieldDef, u64::from(o.payload_len)))
            .collect()
    }

    /// MOSDOp::print once fully decoded, as the sender logs it:
    /// `osd_op(reqid pgid hobject [ops] snapc seq=[snaps] flags eN)`.
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String {
        let snaps: Vec<String> = self.snaps.iter().map(|s| snap_text(s.v)).collect();
        let mut s = format!(
            "osd_op({} {} {} {} snapc {}={}",
            self.reqid_text(ctx),
            self.pgid,
            self.object_text(),
            osd_ops::ops_text(&self.ops, p.data, p.elided.as_ref(), false),
            snap_text(self.snap_seq.v),
            denc::list_text(&snaps)
        );
        if self.flags.v & FLAG_RETRY != 0 {
            s.push_str(&format!(" RETRY={}", self.retry.v));
        }
        s.push_str(&format!(" {} e{})", flags_text(self.flags.v), self.epoch.v));
        s
    }
}
