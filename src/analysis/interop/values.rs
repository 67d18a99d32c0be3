//! Values no Ceph release defines, in an osd_op: op codes Ceph prints as
//! `???` (osd_types.cc ceph_osd_op_name) and answers with -EOPNOTSUPP
//! (PrimaryLogPG::do_osd_ops `default:` case), and flag bits outside
//! every CEPH_OSD_FLAG_* / CEPH_OSD_OP_FLAG_* (rados.h), which Ceph prints
//! as `???` too. Notes: the message is well-formed, its receiver just
//! will not do what the sender meant.

use crate::decode::msg::osd_op::OsdOp;
use crate::decode::msg::osd_ops::{op_name, KNOWN_FLAGS, KNOWN_OP_FLAGS};
use crate::decode::payload::{stream_offset, PayloadDecode};
use crate::msgr2::{Frame, Problem, ProblemKind};

/// CEPH_MSG_OSD_OP.
const OSD_OP: u16 = 42;

/// The notes for the unknown values of a message (osd_op only).
pub fn unknown(msg_type: u16, p: &PayloadDecode, f: &Frame) -> Vec<Problem> {
    let mut out = Vec::new();
    if msg_type != OSD_OP {
        return out;
    }
    let Some(op) = p.front::<OsdOp>() else {
        return out;
    };
    if op.flags.len > 0 && op.flags.v & !KNOWN_FLAGS != 0 {
        out.push(
            Problem::new(
                ProblemKind::OsdFlagsUnknown,
                stream_offset(f, op.flags.at),
                4,
                "ceph.osd_op.flags",
            )
            .values(
                format!("bits within {KNOWN_FLAGS:#x}"),
                format!(
                    "{:#x} (??? bits {:#x})",
                    op.flags.v,
                    op.flags.v & !KNOWN_FLAGS
                ),
            ),
        );
    }
    for o in &op.ops {
        if op_name(u64::from(o.code)).is_none() {
            out.push(
                Problem::new(
                    ProblemKind::OsdOpUnknown,
                    stream_offset(f, o.at),
                    2,
                    "ceph.osd_op.op.code",
                )
                .values(
                    "an op code of rados.h __CEPH_FORALL_OSD_OPS",
                    format!("{:#06x} (???)", o.code),
                ),
            );
        }
        if o.flags & !KNOWN_OP_FLAGS != 0 {
            out.push(
                Problem::new(
                    ProblemKind::OsdFlagsUnknown,
                    stream_offset(f, o.at.saturating_add(2)),
                    4,
                    "ceph.osd_op.op.flags",
                )
                .values(
                    format!("bits within {KNOWN_OP_FLAGS:#x}"),
                    format!("{:#x} (??? bits {:#x})", o.flags, o.flags & !KNOWN_OP_FLAGS),
                ),
            );
        }
    }
    out
}
