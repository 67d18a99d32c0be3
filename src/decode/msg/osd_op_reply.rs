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

use super::denc::{self, eversion, oloc, pg, strerror, u32_of, versioned, Eversion, Oloc, Pg};
use super::osd_op::flags_field;
use super::osd_ops::{self, op_tree, Op, OpDefs};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

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
    pub oid: String,
    /// PG.
    pub pgid: Pg,
    /// Flags.
    pub flags: u32,
    /// Result.
    pub result: i64,
    /// Map epoch.
    pub epoch: u32,
    /// Ops.
    pub ops: Vec<Op>,
    /// Per-op results.
    pub rvals: Vec<i64>,
    /// Replay version.
    pub replay_version: Eversion,
    /// User version.
    pub user_version: u64,
    /// Redirect target: (object, locator).
    pub redirect: Option<(String, Oloc)>,
}

/// request_redirect_t (osd_types.cc: ENCODE_START(1,1) object_locator_t,
/// string object, le32 legacy osd_instructions length + bytes).
fn redirect(t: &mut Tree<'_>) -> Res<(String, Oloc)> {
    let (r, node) = versioned(t, &REDIRECT, 1, |t, _| {
        let loc = oloc(t, &REDIRECT_OLOC)?;
        let obj = t.string(&REDIRECT_OBJECT)?;
        let legacy = t.uint(&REDIRECT_LEGACY, 4)?;
        if legacy > 0 {
            t.bytes(
                &REDIRECT_LEGACY_DATA,
                usize::try_from(legacy).unwrap_or(usize::MAX),
            )?;
        }
        Ok((obj, loc))
    })?;
    node.value = Value::Str(format!("object {}, locator{{{}}}", r.0, r.1));
    Ok(r)
}

impl Body for OsdOpReply {
    const NODE: &'static FieldDef = &NODE;

    fn supports(version: u16) -> bool {
        version == 8
    }

    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.oid = t.string(&OID)?;
        self.pgid = pg(t, &PGID)?;
        self.flags = flags_field(t, &FLAGS, &FLAG, 8)?;
        self.result = t.int(&RESULT, 4)?;
        eversion(t, &BAD_REPLAY_VERSION)?;
        self.epoch = u32_of(t.uint(&EPOCH, 4)?);
        let n = t.uint(&NUM_OPS, 4)?;
        for _ in 0..n {
            self.ops.push(op_tree(t, &OP_DEFS)?);
        }
        t.int(&RETRY, 4)?;
        for _ in 0..n {
            self.rvals.push(t.int(&RVAL, 4)?);
        }
        self.replay_version = eversion(t, &REPLAY_VERSION)?;
        self.user_version = t.uint(&USER_VERSION, 8)?;
        if t.bool(&DO_REDIRECT)? {
            self.redirect = Some(redirect(t)?);
        }
        denc::trace(t)?;
        Ok(())
    }

    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        self.ops
            .iter()
            .map(|o| (&OP_DATA as &'static FieldDef, u64::from(o.payload_len)))
            .collect()
    }

    /// MOSDOpReply::print: `osd_op_reply(tid oid [ops] vE'V uvN ondisk = r)`.
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String {
        let ack = if self.flags & FLAG_ONDISK != 0 {
            "ondisk"
        } else if self.flags & FLAG_ONNVRAM != 0 {
            "onnvram"
        } else {
            "ack"
        };
        let mut s = format!(
            "osd_op_reply({} {} {} v{} uv{} {ack} = {}",
            ctx.tid_text(),
            self.oid,
            osd_ops::ops_text(&self.ops, p.data, true),
            self.replay_version,
            self.user_version,
            self.result
        );
        if self.result < 0 {
            s.push_str(&format!(" ({})", strerror(self.result)));
        }
        if let Some((obj, loc)) = &self.redirect {
            s.push_str(&format!(" redirect: {{ object {obj}, locator{{{loc}}} }}"));
        }
        s.push(')');
        s
    }
}
