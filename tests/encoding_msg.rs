//! Encoding conformance of message bodies: every decoded message type of
//! the real captures (none-crc, cephx-crc), mutated where its decoded
//! tree says each rule applies, re-sealed by the project's encoder and
//! sent in a synthetic connection: exact kind, field and stream offset of
//! the finding, and the frame after it still decodes. The helpers are
//! tests/support/mutants.rs.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use cephshark::decode::messages::tree;
use cephshark::decode::{Header2, MsgType};
use cephshark::model::{FieldNode, Group, ProblemKind, Source, Value};
use cephshark::msgr2::Tag;
use std::collections::BTreeMap;
use std::path::Path;
use support::mutants::*;

/// Structures whose compat is not checked here (DENC_START, or bodies
/// kept as bytes): a raised struct_compat passes, inserted bytes are
/// part of their body.
const UNCHECKED: [&str; 5] = [
    "ceph.osd_op.reqid",
    "ceph.osd_boot.superblock",
    "ceph.mgrmap.map",
    "ceph.pg_create2.history",
    "ceph.pg_create2.past_intervals",
];

/// One real example of every message type and version in none-crc,
/// cephx-crc and lab-reconnect (whose daemons talk in crc mode: ping,
/// osd_alive, pg_created, pg_create2, ...): its segments and decoded front
/// nodes (front at offset 0).
fn msg_examples() -> Vec<(u16, [Vec<u8>; 4], Vec<FieldNode>)> {
    let mut seen = BTreeMap::new();
    for name in ["none-crc.pcap", "cephx-crc.pcap", "lab-reconnect.pcap"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name);
        for ((tag, ty), segs) in examples(&records(&std::fs::read(p).unwrap())) {
            if tag == Tag::Message.raw() {
                let v = Header2::parse(&segs[0]).map_or(0, |h| h.version);
                seen.entry((ty, v)).or_insert(segs);
            }
        }
    }
    seen.into_iter()
        .map(|((ty, v), segs)| {
            let nodes = tree(
                MsgType(ty),
                v,
                [(&segs[1], 0), (&[], 0), (&[], 0)],
                Source::Wire,
            );
            (ty, segs, nodes)
        })
        .collect()
}

/// (abbrev, front range, value, parent abbrev) of every leaf.
fn leaves_of(
    nodes: &[FieldNode],
) -> Vec<(&'static str, std::ops::Range<usize>, u64, &'static str)> {
    fn walk(
        n: &FieldNode,
        parent: &'static str,
        out: &mut Vec<(&'static str, std::ops::Range<usize>, u64, &'static str)>,
    ) {
        if n.children.is_empty() {
            if let Some(s) = &n.span {
                let v = match n.value {
                    Value::Uint(v) => v,
                    _ => 0,
                };
                out.push((n.def.abbrev, s.range.clone(), v, parent));
            }
        }
        for c in &n.children {
            walk(c, n.def.abbrev, out);
        }
    }
    let mut out = Vec::new();
    for n in nodes.iter().take(1) {
        walk(n, "", &mut out);
    }
    out
}

/// Send the mutated message in `wire`'s mode; its one encoding error and
/// the stream offset of byte `at` of its front (the keepalive after it is
/// clean).
fn one_error(
    wire: Wire,
    ty: u16,
    segs: &[Vec<u8>; 4],
    at: usize,
    what: &str,
) -> (cephshark::model::Problem, u64) {
    let (r, ka) = wire.send(Tag::Message.raw(), segs);
    assert_eq!(ka.status(), "ok", "type {ty} {what} ({wire:?})");
    let errs = encoding_errors(&r);
    assert_eq!(
        errs.len(),
        1,
        "type {ty} {what} ({wire:?}): {:?}",
        r.problems()
    );
    assert!(r.is_faulty(), "type {ty} {what} ({wire:?})");
    let e = errs.into_iter().next().unwrap();
    (e, wire.offset(&r, segs, 1, at))
}

fn le_put(b: &mut [u8], at: usize, width: usize, v: u64) {
    b[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

#[test]
fn message_examples_cover_the_captured_types() {
    let ex = msg_examples();
    let types: Vec<u16> = ex.iter().map(|e| e.0).collect();
    // mon_map, mon_getmap, mon_subscribe, osd_map, osd_op, osd_op_reply,
    // mon_command(_ack), config, mgrmap; from the daemons: ping,
    // osd_alive, osd_pg_created, pg_create2.
    for t in [2, 4, 5, 15, 41, 42, 43, 50, 51, 62, 73, 116, 120, 0x704] {
        assert!(types.contains(&t), "{types:?}");
    }
}

#[test]
fn message_struct_compat_raised_is_compat_too_new() {
    let mut checked = 0;
    for (ty, segs, nodes) in msg_examples() {
        for (ab, r, _, parent) in leaves_of(&nodes) {
            if ab != "ceph.denc.struct_compat" {
                continue;
            }
            let mut m = segs.clone();
            m[1][r.start] = 0xff;
            if UNCHECKED.contains(&parent) {
                let (rec, _) = send(Tag::Message.raw(), &m);
                assert!(encoding_errors(&rec).is_empty(), "type {ty} {parent}");
                continue;
            }
            // encoding.h DECODE_START: struct_compat > v -> malformed_input.
            for wire in WIRES {
                let (e, at) = one_error(wire, ty, &m, r.start, parent);
                let kind = ProblemKind::EncodingCompatTooNew;
                assert_eq!(e.kind, kind, "type {ty} {parent} ({wire:?})");
                assert_eq!(e.field, "ceph.denc.struct_compat");
                assert_eq!(e.offset, at, "type {ty} {parent} ({wire:?})");
                assert_eq!(e.found, "255");
                checked += 1;
            }
        }
    }
    // At least 6 structures, each in crc and secure mode.
    assert!(checked >= 12, "{checked}");
}

#[test]
fn message_struct_len_past_the_front() {
    let mut checked = 0;
    for (ty, segs, nodes) in msg_examples() {
        for (ab, r, _, parent) in leaves_of(&nodes) {
            if ab != "ceph.denc.struct_len" {
                continue;
            }
            let mut m = segs.clone();
            let past = (m[1].len() - r.end + 1) as u64;
            le_put(&mut m[1], r.start, 4, past);
            // DECODE_START: struct_len > remaining -> malformed_input
            // (DECODE_ERR_PAST); DENC_START reads on into end_of_buffer.
            let want = if parent == "ceph.osd_op.reqid" {
                ProblemKind::EncodingEndOfBuffer
            } else {
                ProblemKind::EncodingMalformed
            };
            for wire in WIRES {
                let (e, at) = one_error(wire, ty, &m, r.start, parent);
                assert_eq!(e.kind, want, "type {ty} {parent} ({wire:?})");
                assert_eq!(e.field, "ceph.denc.struct_len");
                assert_eq!(e.offset, at, "type {ty} {parent} ({wire:?})");
                checked += 1;
            }
        }
    }
    // At least 8 structures, each in crc and secure mode.
    assert!(checked >= 16, "{checked}");
}

#[test]
fn message_counts_that_cannot_fit() {
    let mut checked = 0;
    for (ty, segs, nodes) in msg_examples() {
        for (ab, r, _, _) in leaves_of(&nodes) {
            let is_count =
                ab.ends_with(".count") || ab.ends_with("_count") || ab.ends_with(".num_ops");
            if !is_count || ab.starts_with("ceph.addrvec") {
                continue;
            }
            let mut m = segs.clone();
            le_put(&mut m[1], r.start, r.len(), 0x7fff_ffff);
            for wire in WIRES {
                let (e, at) = one_error(wire, ty, &m, r.start, ab);
                let kind = ProblemKind::EncodingEndOfBuffer;
                assert_eq!(e.kind, kind, "type {ty} {ab} ({wire:?})");
                assert_eq!(e.field, ab);
                assert_eq!(e.offset, at, "type {ty} {ab} ({wire:?})");
                checked += 1;
            }
        }
    }
    // At least 12 counts, each in crc and secure mode.
    assert!(checked >= 24, "{checked}");
}

#[test]
fn message_truncations_are_blamed_exactly() {
    let mut checked = 0;
    for (ty, segs, nodes) in msg_examples() {
        let Some(front) = nodes.first() else { continue };
        for c in &front.children {
            let Some(s) = c.span.as_ref().filter(|s| !s.range.is_empty()) else {
                continue;
            };
            let r = s.range.clone();
            // A top-level field cut in its middle: end_of_buffer at its
            // start (a string's length runs past: at the length).
            // A versioned structure cut inside its body: refused at its
            // struct_len (malformed_input).
            // A count whose elements (and, for a reply's ops, their rvals)
            // the cut leaves short is refused at the count.
            let claim = |k: &FieldNode| match (k.def.abbrev, &k.value) {
                ("ceph.osd_op_reply.num_ops", Value::Uint(n)) => *n as usize * 42,
                _ => 0,
            };
            let claimed = |cut: usize| {
                front.children.iter().find(|k| {
                    k.span
                        .as_ref()
                        .is_some_and(|s| s.range.end <= cut && s.range.end + claim(k) > cut)
                })
            };
            let (cut, at, kind, field) = if c.children.is_empty() {
                let cut = r.start + r.len() / 2;
                match claimed(cut) {
                    Some(k) => (
                        cut,
                        k.span.as_ref().unwrap().range.start,
                        ProblemKind::EncodingEndOfBuffer,
                        k.def.abbrev,
                    ),
                    None => (cut, r.start, ProblemKind::EncodingEndOfBuffer, c.def.abbrev),
                }
            } else if let Some(l) = c
                .children
                .iter()
                .find(|k| k.def.abbrev == "ceph.denc.struct_len")
                .filter(|_| !UNCHECKED.contains(&c.def.abbrev))
            {
                let lr = l.span.as_ref().unwrap().range.clone();
                (
                    lr.end + 1,
                    lr.start,
                    ProblemKind::EncodingMalformed,
                    "ceph.denc.struct_len",
                )
            } else {
                continue;
            };
            if cut >= segs[1].len() {
                continue;
            }
            let mut m = segs.clone();
            m[1].truncate(cut);
            for wire in WIRES {
                let (e, at) = one_error(wire, ty, &m, at, c.def.abbrev);
                let what = format!("type {ty} {} cut {cut} ({wire:?})", c.def.abbrev);
                assert_eq!(e.kind, kind, "{what}");
                assert_eq!(e.field, field, "{what}");
                assert_eq!(e.offset, at, "{what}");
                checked += 1;
            }
        }
    }
    // At least 30 cuts, each in crc and secure mode.
    assert!(checked >= 60, "{checked}");
}

#[test]
fn message_extra_bytes_inside_a_struct_len_are_a_note() {
    let mut checked = 0;
    for (ty, segs, nodes) in msg_examples() {
        let leaves = leaves_of(&nodes);
        for (ab, r, len, parent) in &leaves {
            if *ab != "ceph.denc.struct_len" || UNCHECKED.contains(parent) {
                continue;
            }
            let end = r.end + *len as usize;
            let mut m = segs.clone();
            m[1].splice(end..end, [0xee; 3]);
            // This structure and every one (and every length) around the
            // insertion grow by 3.
            for (ab2, r2, len2, _) in &leaves {
                if !matches!(*ab2, "ceph.denc.struct_len" | "ceph.monmap.len") {
                    continue;
                }
                let body = r2.end..r2.end + *len2 as usize;
                let grows = body.start <= end
                    && end <= body.end
                    && (r2 == r || body.end > end || r2.start < r.start);
                if grows {
                    le_put(&mut m[1], r2.start, 4, len2 + 3);
                }
            }
            let (rec, ka) = send(Tag::Message.raw(), &m);
            assert_eq!(ka.status(), "ok");
            assert!(
                encoding_errors(&rec).is_empty(),
                "type {ty} {parent}: {:?}",
                rec.problems()
            );
            let notes: Vec<_> = rec
                .problems()
                .into_iter()
                .filter(|p| p.kind.group() == Group::Encoding)
                .collect();
            assert_eq!(notes.len(), 1, "type {ty} {parent}: {notes:?}");
            assert_eq!(notes[0].kind, ProblemKind::EncodingExtra);
            assert_eq!(notes[0].field, *parent);
            assert_eq!(
                notes[0].offset,
                wire_offset(&m, 1, end),
                "type {ty} {parent}"
            );
            assert_eq!(notes[0].len, 3);
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}
