//! osd_op_reply (CEPH_MSG_OSD_OPREPLY, 43): an OSD's answer to an osd_op,
//! MOSDOpReply encoding version 8 (messages/MOSDOpReply.h encode_payload,
//! with NEW_OSDOPREPLY_ENCODING):
//!
//! ```text
//! string oid | pg_t pgid | le64 flags | le32 result | eversion_t bad_replay_version
//! | le32 osdmap_epoch | le32 num_ops | num_ops x ceph_osd_op | le32 retry_attempt
//! | num_ops x le32 rval | eversion_t replay_version | le64 user_version
//! | u8 do_redirect | [request_redirect_t] | blkin_trace_info
//! ```
//!
//! The reply's transaction id is the header's tid; each op's output (a
//! read's bytes) is its `payload_len` bytes of the data segment
//! (OSDOp::merge_osd_op_vector_out_data).

use super::denc::{strerror, text_if, Eversion, Oloc, Pg, Trace};
use super::osd_op::flags_view;
use super::osd_ops::{self, Op, OpDefs, OP_LEN};
use super::out::{Out, Start, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{bool_, count, i32_, le32, le64, lenbytes, string};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;

fields! {
    NODE = "ceph.osd_op_reply", "OSD op reply", None, "MOSDOpReply: the result of an osd_op.";
    OID = "ceph.osd_op_reply.oid", "Object", Str, "Object name.";
    PGID = "ceph.osd_op_reply.pgid", "PG", Str, "Placement group (pg_t).";
    FLAGS = "ceph.osd_op_reply.flags", "Flags", Hex, "CEPH_OSD_FLAG_* bits (ondisk, ack, ...).";
    FLAG = "ceph.osd_op_reply.flag", "Flag", Str, "Name of one flag that is set.";
    RESULT = "ceph.osd_op_reply.result", "Result", Int, "0 or a negative errno.";
    BAD_REPLAY_VERSION = "ceph.osd_op_reply.bad_replay_version", "Legacy replay version", Str, "eversion_t for old clients.";
    EPOCH = "ceph.osd_op_reply.epoch", "OSD map epoch", Uint, "The OSD's map epoch.";
    NUM_OPS = "ceph.osd_op_reply.num_ops", "Number of ops", Uint, "Operations that follow.";
    OP = "ceph.osd_op_reply.op", "Op", Str, "One ceph_osd_op, as the OSD ran it.";
    OP_CODE = "ceph.osd_op_reply.op.code", "Op code", Enum, "CEPH_OSD_OP_* named as Ceph's ceph_osd_op_name.";
    OP_FLAGS = "ceph.osd_op_reply.op.flags", "Op flags", Hex, "CEPH_OSD_OP_FLAG_* bits.";
    OP_OFFSET = "ceph.osd_op_reply.op.offset", "Offset", Uint, "Extent offset.";
    OP_LENGTH = "ceph.osd_op_reply.op.length", "Length", Uint, "Extent length (a read's: the bytes returned).";
    OP_TRUNC_SIZE = "ceph.osd_op_reply.op.truncate_size", "Truncate size", Uint, "Extent truncate size.";
    OP_TRUNC_SEQ = "ceph.osd_op_reply.op.truncate_seq", "Truncate seq", Uint, "Extent truncate sequence.";
    OP_NAME_LEN = "ceph.osd_op_reply.op.name_len", "Name length", Uint, "Xattr name length.";
    OP_VALUE_LEN = "ceph.osd_op_reply.op.value_len", "Value length", Uint, "Xattr value length.";
    OP_CLASS_LEN = "ceph.osd_op_reply.op.class_len", "Class length", Uint, "Object class name length.";
    OP_METHOD_LEN = "ceph.osd_op_reply.op.method_len", "Method length", Uint, "Object class method name length.";
    OP_COUNT = "ceph.osd_op_reply.op.count", "Count", Uint, "Entries wanted by a listing op.";
    OP_START_EPOCH = "ceph.osd_op_reply.op.start_epoch", "Start epoch", Uint, "Map epoch a PG listing started at.";
    OP_COOKIE = "ceph.osd_op_reply.op.cookie", "Cookie", Hex, "Watch or notify cookie.";
    OP_SNAPID = "ceph.osd_op_reply.op.snapid", "Snap id", Uint, "Snapshot rolled back to.";
    OP_ARGS = "ceph.osd_op_reply.op.args", "Arguments", Bytes, "Union bytes of the op not broken down.";
    OP_PAYLOAD_LEN = "ceph.osd_op_reply.op.payload_len", "Payload length", Uint, "Bytes of the data segment that are this op's output.";
    OP_DATA = "ceph.osd_op_reply.op.data", "Op output", Bytes, "This op's bytes of the data segment.";
    RETRY = "ceph.osd_op_reply.retry_attempt", "Retry attempt", Int, "The request's retry attempt.";
    RVAL = "ceph.osd_op_reply.rval", "Op result", Int, "Return value of one op, in op order.";
    REPLAY_VERSION = "ceph.osd_op_reply.replay_version", "Replay version", Str, "eversion_t of the PG log entry (epoch'version).";
    USER_VERSION = "ceph.osd_op_reply.user_version", "User version", Uint, "Object version visible to the user.";
    DO_REDIRECT = "ceph.osd_op_reply.do_redirect", "Redirect", Bool, "Whether a redirect follows.";
    REDIRECT = "ceph.osd_op_reply.redirect", "Redirect target", Str, "request_redirect_t: where to resend.";
    REDIRECT_OBJECT = "ceph.osd_op_reply.redirect.object", "Object", Str, "Object to resend to.";
    REDIRECT_OLOC = "ceph.osd_op_reply.redirect.oloc", "Locator", Str, "Locator to resend to.";
    REDIRECT_LEGACY = "ceph.osd_op_reply.redirect.legacy_len", "Legacy length", Uint, "Length of the removed osd_instructions (0).";
    REDIRECT_LEGACY_DATA = "ceph.osd_op_reply.redirect.legacy", "Legacy data", Bytes, "Bytes of the removed osd_instructions.";
}

/// The op fields of a reply.
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

// rados.h CEPH_OSD_FLAG_ONDISK, CEPH_OSD_FLAG_ONNVRAM.
const FLAG_ONDISK: u32 = 0x4;
const FLAG_ONNVRAM: u32 = 0x2;

/// A decoded MOSDOpReply.
#[derive(Debug, Clone, Default)]
pub struct OsdOpReply {
    /// Object name.
    pub oid: Sp<String>,
    /// PG.
    pub pgid: Pg,
    /// Flags (int64 on the wire; the low 32 bits are defined, rados.h).
    pub flags: Sp<u32>,
    /// Result.
    pub result: Sp<i32>,
    /// Legacy replay version.
    pub bad_replay_version: Eversion,
    /// Map epoch.
    pub epoch: Sp<u32>,
    /// Number of ops.
    pub num_ops: Sp<u32>,
    /// Ops.
    pub ops: Vec<Op>,
    /// Retry attempt.
    pub retry: Sp<i32>,
    /// Per-op results.
    pub rvals: Vec<Sp<i32>>,
    /// Replay version.
    pub replay_version: Eversion,
    /// User version.
    pub user_version: Sp<u64>,
    /// Whether a redirect follows.
    pub do_redirect: Sp<bool>,
    /// Redirect target.
    pub redirect: Option<Redirect>,
    /// blkin trace.
    pub trace: Trace,
}

/// request_redirect_t (osd_types.cc request_redirect_t::decode:
/// DECODE_START(1) object_locator_t, string object, bufferlist legacy
/// osd_instructions).
#[derive(Debug, Clone, Default)]
pub struct Redirect {
    /// Header.
    pub h: Vh,
    /// Locator to resend to.
    pub oloc: Oloc,
    /// Object to resend to.
    pub object: Sp<String>,
    /// Legacy osd_instructions length.
    pub legacy_len: Sp<u32>,
    /// Its bytes.
    pub legacy: Option<Sp<()>>,
    /// Fully read.
    pub done: bool,
}

impl Redirect {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (rest, body) = self.h.start(Start::Decode(1), i)?;
        let (body, ()) = self.oloc.parse(&REDIRECT_OLOC, body)?;
        let (body, obj) = string(&REDIRECT_OBJECT)(body)?;
        self.object = obj;
        let (body, (n, b)) = lenbytes(&REDIRECT_LEGACY, &REDIRECT_LEGACY_DATA)(body)?;
        self.legacy_len = n.clone();
        self.legacy = (b.len > 0).then_some(Sp {
            v: (),
            at: b.at,
            len: b.len,
        });
        self.h.finish(&REDIRECT, &body);
        self.done = true;
        Ok((rest, ()))
    }

    fn text(&self) -> String {
        format!("object {}, locator{{{}}}", self.object.v, self.oloc)
    }

    fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.done, || self.text());
        o.group(&REDIRECT, value, None, |o| {
            o.vh_head(&self.h);
            self.oloc.view(o, &REDIRECT_OLOC);
            o.str(&REDIRECT_OBJECT, &self.object);
            o.uint(&REDIRECT_LEGACY, &self.legacy_len);
            o.raw(&REDIRECT_LEGACY_DATA, &self.legacy, 0);
            o.vh_tail(&self.h);
        });
    }
}

impl Body for OsdOpReply {
    const NODE: &'static FieldDef = &NODE;

    fn supports(version: u16) -> bool {
        version == 8
    }

    /// messages/MOSDOpReply.h decode_payload (NEW_OSDOPREPLY_ENCODING).
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, oid) = string(&OID)(i)?;
        self.oid = oid;
        let (i, ()) = self.pgid.parse(i)?;
        let (i, flags) = le64(&FLAGS)(i)?;
        self.flags = Sp {
            v: u32::try_from(flags.v & u64::from(u32::MAX)).unwrap_or(0),
            at: flags.at,
            len: flags.len,
        };
        let (i, r) = i32_(&RESULT)(i)?;
        self.result = r;
        let (i, ()) = self.bad_replay_version.parse(i)?;
        let (i, e) = le32(&EPOCH)(i)?;
        self.epoch = e;
        // Each op brings its ceph_osd_op and, after retry_attempt, its rval.
        let (mut i, n) = count(&NUM_OPS, OP_LEN + 4)(i)?;
        self.num_ops = n.clone();
        for _ in 0..n.v {
            let (rest, op) = Op::parse(&OP_DEFS, i)?;
            self.ops.push(op);
            i = rest;
        }
        let (mut i, retry) = i32_(&RETRY)(i)?;
        self.retry = retry;
        for _ in 0..n.v {
            let (rest, r) = i32_(&RVAL)(i)?;
            self.rvals.push(r);
            i = rest;
        }
        let (i, ()) = self.replay_version.parse(i)?;
        let (i, uv) = le64(&USER_VERSION)(i)?;
        self.user_version = uv;
        let (mut i, d) = bool_(&DO_REDIRECT)(i)?;
        self.do_redirect = d.clone();
        if d.v {
            let r = self.redirect.insert(Redirect::default());
            let (rest, ()) = r.parse(i)?;
            i = rest;
        }
        let (i, ()) = self.trace.parse(i)?;
        Ok((i, ()))
    }

    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.str(&OID, &self.oid);
        self.pgid.view(o, &PGID);
        flags_view(o, &FLAGS, &FLAG, &self.flags);
        o.result(&RESULT, &self.result);
        self.bad_replay_version.view(o, &BAD_REPLAY_VERSION);
        o.uint(&EPOCH, &self.epoch);
        o.uint(&NUM_OPS, &self.num_ops);
        for op in &self.ops {
            op.view(o, &OP_DEFS);
        }
        o.int(&RETRY, &self.retry);
        for r in &self.rvals {
            o.result(&RVAL, r);
        }
        self.replay_version.view(o, &REPLAY_VERSION);
        o.uint(&USER_VERSION, &self.user_version);
        o.boolean(&DO_REDIRECT, &self.do_redirect);
        if let Some(r) = &self.redirect {
            r.view(o);
        }
        self.trace.view(o);
    }

    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        self.ops
            .iter()
            .map(|o| (&OP_DATA as &'static FieldDef, u64::from(o.payload_len)))
            .collect()
    }

    /// MOSDOpReply::print: `osd_op_reply(tid oid [ops] vE'V uvN ondisk = r)`.
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String {
        let flags = self.flags.v;
        let ack = if flags & FLAG_ONDISK != 0 {
            "ondisk"
        } else if flags & FLAG_ONNVRAM != 0 {
            "onnvram"
        } else {
            "ack"
        };
        let result = i64::from(self.result.v);
        let mut s = format!(
            "osd_op_reply({} {} {} v{} uv{} {ack} = {}",
            ctx.tid_text(),
            self.oid.v,
            osd_ops::ops_text(&self.ops, p.data, p.elided.as_ref(), true),
            self.replay_version,
            self.user_version.v,
            result
        );
        if result < 0 {
            s.push_str(&format!(" ({})", strerror(result)));
        }
        if let Some(r) = &self.redirect {
            s.push_str(&format!(" redirect: {{ {} }}", r.text()));
        }
        s.push(')');
        s
    }
}
