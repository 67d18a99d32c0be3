//! `ceph_osd_op`, one operation of an osd_op or osd_op_reply, with Ceph's
//! names for op codes and flags and its way of printing an op.
//!
//! ```text
//!  0     2       6                              34            38
//!  | op  | flags | union (28 bytes, by op type) | payload_len |
//!  union: extent  le64 offset | le64 length | le64 truncate_size | le32 truncate_seq
//!         xattr   le32 name_len | le32 value_len | u8 cmp_op | u8 cmp_mode
//!         cls     u8 class_len | u8 method_len | u8 argc | le32 indata_len
//!         pgls    le64 count | le32 start_epoch
//!         watch   le64 cookie | le64 ver | u8 op | le32 gen | le32 timeout
//!         notify  le64 cookie          snap  le64 snapid
//! ```
//!
//! `payload_len` bytes of the message's data segment belong to each op, in
//! op order: its input data in a request, its output data in a reply.
//! Sources: include/rados.h (struct ceph_osd_op, __CEPH_FORALL_OSD_OPS,
//! CEPH_OSD_FLAG_*, CEPH_OSD_OP_FLAG_*), osd/osd_types.cc (ceph_osd_flag_name,
//! ceph_osd_op_flag_name, operator<<(OSDOp)), common/ceph_strings.cc.

use super::denc::{snap_text, time_text};
use super::out::Out;
use crate::decode::grammar::prim::raw;
use crate::decode::grammar::{In, PResult, Sp};
use crate::model::{FieldDef, Value};
use std::ops::Range;

/// Size of `struct ceph_osd_op` (rados.h static_assert: 2+4+(2*8+8+4)+4).
pub const OP_LEN: usize = 38;
/// Size of its union.
const UNION_LEN: usize = 28;
/// Offset of the union in the op.
const UNION_AT: usize = 6;
/// Offset of payload_len.
const PAYLOAD_LEN_AT: usize = 34;

/// The fields one message uses for its ops (requests and replies have
/// their own names).
#[derive(Debug)]
pub struct OpDefs {
    /// The op group.
    pub op: &'static FieldDef,
    /// Op code.
    pub code: &'static FieldDef,
    /// Per-op flags.
    pub flags: &'static FieldDef,
    /// Extent offset.
    pub offset: &'static FieldDef,
    /// Extent length.
    pub length: &'static FieldDef,
    /// Truncate size.
    pub truncate_size: &'static FieldDef,
    /// Truncate seq.
    pub truncate_seq: &'static FieldDef,
    /// Xattr name length.
    pub name_len: &'static FieldDef,
    /// Xattr value length.
    pub value_len: &'static FieldDef,
    /// Class name length.
    pub class_len: &'static FieldDef,
    /// Method name length.
    pub method_len: &'static FieldDef,
    /// Listing count.
    pub count: &'static FieldDef,
    /// Listing start epoch.
    pub start_epoch: &'static FieldDef,
    /// Watch/notify cookie.
    pub cookie: &'static FieldDef,
    /// Snap id.
    pub snapid: &'static FieldDef,
    /// Union bytes not broken down.
    pub args: &'static FieldDef,
    /// Payload length.
    pub payload_len: &'static FieldDef,
    /// The op's bytes in the data segment.
    pub data: &'static FieldDef,
}

/// One decoded op.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Op {
    /// CEPH_OSD_OP_* code.
    pub code: u16,
    /// CEPH_OSD_OP_FLAG_* flags.
    pub flags: u32,
    /// The 28-byte union, raw.
    pub args: Vec<u8>,
    /// Bytes of the data segment that belong to it.
    pub payload_len: u32,
    /// Frame offset of its first byte.
    pub at: usize,
}

fn le(b: &[u8], at: usize, n: usize) -> u64 {
    let mut v = 0u64;
    for i in (0..n).rev() {
        v = (v << 8) | u64::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

impl Op {
    fn arg(&self, at: usize, n: usize) -> u64 {
        le(&self.args, at, n)
    }
    /// extent.offset.
    pub fn offset(&self) -> u64 {
        self.arg(0, 8)
    }
    /// extent.length.
    pub fn length(&self) -> u64 {
        self.arg(8, 8)
    }

    /// Parse one `ceph_osd_op` (its 38 bytes are read whole: the caller's
    /// count check already made sure they are there).
    pub fn parse<'a>(d: &OpDefs, i: In<'a>) -> PResult<'a, Op> {
        let (i, b) = raw(d.op, OP_LEN)(i)?;
        let at = b.at;
        let b = b.v;
        let op = Op {
            code: u16::try_from(le(b, 0, 2)).unwrap_or(0),
            flags: u32::try_from(le(b, 2, 4)).unwrap_or(0),
            args: b.get(UNION_AT..PAYLOAD_LEN_AT).unwrap_or(&[]).to_vec(),
            payload_len: u32::try_from(le(b, PAYLOAD_LEN_AT, 4)).unwrap_or(0),
            at,
        };
        Ok((i, op))
    }

    /// The op group of `d.op`, its union broken down by the op's type.
    pub fn view(&self, o: &mut Out<'_>, d: &OpDefs) {
        let at = self.at;
        let sp = |v: u64, off: usize, len: usize| Sp {
            v,
            at: at.saturating_add(off),
            len,
        };
        o.group(d.op, Value::Str(op_text(self, &[], &[])), None, |o| {
            o.named(d.code, &sp(u64::from(self.code), 0, 2), op_name);
            o.uint(d.flags, &sp(u64::from(self.flags), 2, 4));
            let mut used = 0;
            for (def, off, len) in union_fields(d, self.code) {
                o.uint(def, &sp(self.arg(off, len), UNION_AT + off, len));
                used = off + len;
            }
            if used < UNION_LEN {
                let rest = Sp {
                    v: (),
                    at: at.saturating_add(UNION_AT + used),
                    len: UNION_LEN - used,
                };
                o.raw(d.args, &Some(rest), 0);
            }
            o.uint(
                d.payload_len,
                &sp(u64::from(self.payload_len), PAYLOAD_LEN_AT, 4),
            );
        });
    }
}

// rados.h: op = MODE | TYPE | nr.
const TYPE_MASK: u16 = 0x0f00;
const TYPE_DATA: u16 = 0x0200;
const TYPE_ATTR: u16 = 0x0300;
const TYPE_EXEC: u16 = 0x0400;
const TYPE_PG: u16 = 0x0500;

/// ceph_osd_op_name (rados.h __CEPH_FORALL_OSD_OPS).
pub fn op_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0x1201 => "read",
        0x1202 => "stat",
        0x1203 => "mapext",
        0x121f => "checksum",
        0x1204 => "masktrunc",
        0x1205 => "sparse-read",
        0x1206 => "notify",
        0x1207 => "notify-ack",
        0x1208 => "assert-version",
        0x1209 => "list-watchers",
        0x120a => "list-snaps",
        0x120b => "sync_read",
        0x2201 => "write",
        0x2202 => "writefull",
        0x2203 => "truncate",
        0x2204 => "zero",
        0x2205 => "delete",
        0x2206 => "append",
        0x2207 => "startsync",
        0x2208 => "settrunc",
        0x2209 => "trimtrunc",
        0x320a => "tmapup",
        0x220b => "tmapput",
        0x120c => "tmapget",
        0x220d => "create",
        0x220e => "rollback",
        0x220f => "watch",
        0x1211 => "omap-get-keys",
        0x1212 => "omap-get-vals",
        0x1213 => "omap-get-header",
        0x1214 => "omap-get-vals-by-keys",
        0x2215 => "omap-set-vals",
        0x2216 => "omap-set-header",
        0x2217 => "omap-clear",
        0x2218 => "omap-rm-keys",
        0x1219 => "omap-cmp",
        0x221a => "copy-from",
        0x221c => "undirty",
        0x121d => "isdirty",
        0x121e => "copy-get",
        0x821f => "cache-flush",
        0x8220 => "cache-evict",
        0x8221 => "cache-try-flush",
        0x3222 => "tmap2omap",
        0x2223 => "set-alloc-hint",
        0x2224 => "cache-pin",
        0x2225 => "cache-unpin",
        0x2226 => "write-same",
        0x1220 => "cmpext",
        0x2227 => "set-redirect",
        0x2228 => "set-chunk",
        0x2229 => "tier-promote",
        // Added after Mimic (rados.h __CEPH_FORALL_OSD_OPS, Octopus on).
        0x222a => "unset-manifest",
        0x822b => "tier-flush",
        0x822c => "tier-evict",
        0x8228 => "set-chunk",
        0x222c => "omap-rm-key-range",
        0x222d => "copy-from2",
        0x1301 => "getxattr",
        0x1302 => "getxattrs",
        0x1303 => "cmpxattr",
        0x2301 => "setxattr",
        0x2302 => "setxattrs",
        0x2303 => "resetxattrs",
        0x2304 => "rmxattr",
        0x4001 => "pull",
        0x4002 => "push",
        0x4003 => "balance-reads",
        0x4004 => "unbalance-reads",
        0x4005 => "scrub",
        0x4006 => "scrub-reserve",
        0x4007 => "scrub-unreserve",
        0x4009 => "scrub-map",
        0x1401 => "call",
        0x1501 => "pgls",
        0x1502 => "pgls-filter",
        0x1503 => "pg-hitset-ls",
        0x1504 => "pg-hitset-get",
        0x1505 => "pgnls",
        0x1506 => "pgnls-filter",
        0x1507 => "scrubls",
        _ => return None,
    })
}

/// Names of CEPH_OSD_FLAG_* bits (osd_types.cc ceph_osd_flag_name; values rados.h).
pub fn flag_name(bit: u32) -> &'static str {
    match bit {
        0x1 => "ack",
        0x2 => "onnvram",
        0x4 => "ondisk",
        0x8 => "retry",
        0x10 => "read",
        0x20 => "write",
        0x40 => "ordersnap",
        0x80 => "peerstat_old",
        0x100 => "balance_reads",
        0x200 => "parallelexec",
        0x400 => "pgop",
        0x800 => "exec",
        0x1000 => "exec_public",
        0x2000 => "localize_reads",
        0x4000 => "rwordered",
        0x8000 => "ignore_cache",
        0x10000 => "skiprwlocks",
        0x20000 => "ignore_overlay",
        0x40000 => "flush",
        0x80000 => "map_snap_clone",
        0x100000 => "enforce_snapc",
        0x200000 => "redirected",
        0x400000 => "known_if_redirected",
        0x800000 => "full_try",
        0x1000000 => "full_force",
        0x2000000 => "ignore_redirect",
        // rados.h: CEPH_OSD_FLAG_RETURNVEC (Octopus), SUPPORTSPOOLEIO (Quincy).
        0x4000000 => "returnvec",
        0x8000000 => "supports_pool_eio",
        _ => "???",
    }
}

/// Names of CEPH_OSD_OP_FLAG_* bits (osd_types.cc ceph_osd_op_flag_name).
fn op_flag_name(bit: u32) -> &'static str {
    match bit {
        0x1 => "excl",
        0x2 => "failok",
        0x4 => "fadvise_random",
        0x8 => "fadvise_sequential",
        0x10 => "fadvise_willneed",
        0x20 => "fadvise_dontneed",
        0x40 => "fadvise_nocache",
        _ => "???",
    }
}

/// The names of the set bits, in bit order.
pub fn flag_names(flags: u32, name: fn(u32) -> &'static str) -> Vec<&'static str> {
    (0..32)
        .map(|i| 1u32 << i)
        .filter(|b| flags & b != 0)
        .map(name)
        .collect()
}

/// ceph_osd_flag_string: set flags joined by `+`, or `-` for none.
pub fn flags_text(flags: u32) -> String {
    joined(flags, flag_name)
}

fn joined(flags: u32, name: fn(u32) -> &'static str) -> String {
    let v = flag_names(flags, name);
    if v.is_empty() {
        "-".into()
    } else {
        v.join("+")
    }
}

/// The union's fields for the op's type: (field, offset, width).
fn union_fields(d: &OpDefs, code: u16) -> Vec<(&'static FieldDef, usize, usize)> {
    match (code, code & TYPE_MASK) {
        (0x220e, _) => vec![(d.snapid, 0, 8)],
        (0x220f | 0x1206 | 0x1207, _) => vec![(d.cookie, 0, 8)],
        (_, TYPE_DATA) if uses_extent(code) => vec![
            (d.offset, 0, 8),
            (d.length, 8, 8),
            (d.truncate_size, 16, 8),
            (d.truncate_seq, 24, 4),
        ],
        (_, TYPE_ATTR) => vec![(d.name_len, 0, 4), (d.value_len, 4, 4)],
        (_, TYPE_EXEC) => vec![(d.class_len, 0, 1), (d.method_len, 1, 1)],
        (_, TYPE_PG) => vec![(d.count, 0, 8), (d.start_epoch, 8, 4)],
        _ => Vec::new(),
    }
}

/// rados.h ceph_osd_op_uses_extent.
fn uses_extent(code: u16) -> bool {
    matches!(
        code,
        0x1201
            | 0x1203
            | 0x1204
            | 0x1205
            | 0x120b
            | 0x2201
            | 0x2202
            | 0x2203
            | 0x2204
            | 0x2206
            | 0x2209
            | 0x1220
    )
}

/// Ops as osd_types.cc operator<<(OSDOp) prints them, `[a,b]`: `indata`
/// and `outdata` are each op's bytes of the data segment (one of them is
/// empty: requests carry input, replies output). An op whose names lie
/// in `elided` (bytes checked but not kept: zeros) is printed without them.
pub fn ops_text(ops: &[Op], data: &[u8], elided: Option<&Range<usize>>, reply: bool) -> String {
    let mut at = 0usize;
    let mut parts = Vec::new();
    for op in ops {
        let n = usize::try_from(op.payload_len).unwrap_or(usize::MAX);
        let end = at.saturating_add(n).min(data.len());
        let chunk = data.get(at.min(end)..end).unwrap_or(&[]);
        let head = at..end.min(at.saturating_add(name_bytes(op)));
        let names = !elided.is_some_and(|e| e.start < head.end && head.start < e.end);
        at = end;
        let (indata, outdata) = if reply {
            (&[][..], chunk)
        } else {
            (chunk, &[][..])
        };
        parts.push(op_text_named(op, (indata, outdata), names));
    }
    format!("[{}]", parts.join(","))
}

/// How many bytes at the start of an op's data [`op_text`] prints: an
/// xattr's name, or a class and a method name.
fn name_bytes(op: &Op) -> usize {
    match op.code & TYPE_MASK {
        TYPE_ATTR => usize::try_from(op.arg(0, 4)).unwrap_or(usize::MAX),
        TYPE_EXEC => usize::try_from(op.arg(0, 1) + op.arg(1, 1)).unwrap_or(usize::MAX),
        _ => 0,
    }
}

/// One op as osd_types.cc operator<<(OSDOp) prints it.
pub fn op_text(op: &Op, indata: &[u8], outdata: &[u8]) -> String {
    op_text_named(op, (indata, outdata), true)
}

/// [`op_text`], the names in `indata` printed only with `names`.
fn op_text_named(op: &Op, (indata, outdata): (&[u8], &[u8]), names: bool) -> String {
    let code = op.code;
    let mut s = op_name(u64::from(code)).unwrap_or("???").to_string();
    match code & TYPE_MASK {
        TYPE_DATA => match code {
            0x1208 => s.push_str(&format!(" v{}", op.arg(8, 8))),
            0x2203 => s.push_str(&format!(" {}", op.offset())),
            0x1204 | 0x2209 => s.push_str(&format!(" {}@{}", op.arg(24, 4), signed(op.arg(16, 8)))),
            0x220e => s.push_str(&format!(" {}", snap_text(op.arg(0, 8)))),
            0x220f => {
                s.push_str(&format!(
                    " {} cookie {}",
                    watch_op_name(op.arg(16, 1)),
                    op.arg(0, 8)
                ));
                if op.arg(17, 4) != 0 {
                    s.push_str(&format!(" gen {}", op.arg(17, 4)));
                }
            }
            0x1206 => s.push_str(&format!(" cookie {}", op.arg(0, 8))),
            0x121e => s.push_str(&format!(" max {}", op.arg(0, 8))),
            0x221a => s.push_str(&format!(" ver {}", op.arg(8, 8))),
            0x2223 => s.push_str(&format!(
                " object_size {} write_size {}",
                op.arg(0, 8),
                op.arg(8, 8)
            )),
            0x1201 | 0x1205 | 0x120b | 0x2201 | 0x2202 | 0x2204 | 0x2206 | 0x1203 | 0x1220 => {
                s.push_str(&format!(" {}~{}", op.offset(), op.length()));
                let tseq = op.arg(24, 4);
                if tseq != 0 {
                    s.push_str(&format!(" [{tseq}@{}]", signed(op.arg(16, 8))));
                }
                if op.flags != 0 {
                    s.push_str(&format!(" [{}]", joined(op.flags, op_flag_name)));
                }
            }
            _ => {}
        },
        TYPE_ATTR => {
            let name_len = usize::try_from(op.arg(0, 4)).unwrap_or(usize::MAX);
            if names && name_len > 0 && !indata.is_empty() {
                let name = indata.get(..name_len).unwrap_or(indata);
                s.push(' ');
                s.push_str(&crate::model::wire_text::from_wire(name));
            }
            let value_len = op.arg(4, 4);
            if value_len != 0 {
                s.push_str(&format!(" ({value_len})"));
            }
            if code == 0x1303 {
                s.push_str(&format!(" op {} mode {}", op.arg(8, 1), op.arg(9, 1)));
            }
        }
        TYPE_EXEC => {
            let cl = usize::try_from(op.arg(0, 1)).unwrap_or(0);
            let ml = usize::try_from(op.arg(1, 1)).unwrap_or(0);
            if names && cl > 0 && !indata.is_empty() {
                let class = indata.get(..cl).unwrap_or(indata);
                let method = indata.get(cl..cl.saturating_add(ml)).unwrap_or(&[]);
                s.push_str(&format!(
                    " {}.{}",
                    crate::model::wire_text::from_wire(class),
                    crate::model::wire_text::from_wire(method)
                ));
            }
        }
        TYPE_PG => match code {
            0x1501 | 0x1502 | 0x1505 | 0x1506 => {
                s.push_str(&format!(" start_epoch {}", op.arg(8, 4)))
            }
            0x1504 => s.push_str(&format!(
                " {}",
                time_text(
                    u32::try_from(op.arg(0, 4)).unwrap_or(0),
                    u32::try_from(op.arg(4, 4)).unwrap_or(0)
                )
            )),
            _ => {}
        },
        _ => {}
    }
    if !indata.is_empty() {
        s.push_str(&format!(" in={}b", indata.len()));
    }
    if !outdata.is_empty() {
        s.push_str(&format!(" out={}b", outdata.len()));
    }
    s
}

/// A truncate size as Ceph prints it: cast to int64_t (osd_types.cc).
fn signed(v: u64) -> i64 {
    i64::from_le_bytes(v.to_le_bytes())
}

/// ceph_osd_watch_op_name (common/ceph_strings.cc).
fn watch_op_name(o: u64) -> &'static str {
    match o {
        0 => "unwatch",
        3 => "watch",
        5 => "reconnect",
        7 => "ping",
        _ => "???",
    }
}

/// CEPH_OSD_FLAG_* bits some Ceph release defines (rados.h: 0x1 ack ...
/// 0x8000000 supports_pool_eio).
pub const KNOWN_FLAGS: u32 = 0x0fff_ffff;

/// CEPH_OSD_OP_FLAG_* bits some Ceph release defines (rados.h: excl ...
/// fadvise_nocache 0x40, with_reference 0x80, bypass_clean_cache 0x100).
pub const KNOWN_OP_FLAGS: u32 = 0x1ff;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn op(code: u16, args: &[(usize, u64, usize)], payload_len: u32) -> Op {
        let mut a = vec![0u8; 28];
        for &(at, v, n) in args {
            a[at..at + n].copy_from_slice(&v.to_le_bytes()[..n]);
        }
        Op {
            code,
            args: a,
            payload_len,
            ..Op::default()
        }
    }

    /// A write of 200 000 bytes then a setxattr of `user.k` = `v`
    /// (rados_write_op: CEPH_OSD_OP_WRITE 0x2201, CEPH_OSD_OP_SETXATTR
    /// 0x2301, whose indata is the name then the value): the name is
    /// printed as osd_types.cc does, unless its bytes were elided; the
    /// lengths are printed either way.
    #[test]
    fn names_are_not_read_from_elided_bytes() {
        let ops = [
            op(0x2201, &[(0, 0, 8), (8, 200_000, 8)], 200_000),
            op(0x2301, &[(0, 6, 4), (4, 1, 4)], 7),
        ];
        let mut data = vec![0xabu8; 200_000];
        data.extend_from_slice(b"user.kv");
        assert_eq!(
            ops_text(&ops, &data, None, false),
            "[write 0~200000 in=200000b,setxattr user.k (1) in=7b]"
        );
        // The write's middle elided: the name is still there.
        assert_eq!(
            ops_text(&ops, &data, Some(&(65_536..134_464)), false),
            "[write 0~200000 in=200000b,setxattr user.k (1) in=7b]"
        );
        // Elided up to the name's third byte: not printed from zeros.
        data[65_536..200_003].fill(0);
        assert_eq!(
            ops_text(&ops, &data, Some(&(65_536..200_003)), false),
            "[write 0~200000 in=200000b,setxattr (1) in=7b]"
        );
    }
}
