//! Encoding conformance: payloads that Ceph's decoder would reject are
//! errors of their own kind, located at their field, in every output, and
//! `verify` fails on them; the frame after a bad one still decodes.
//!
//! Real payloads come from captures/none-crc.pcap (Ceph 16.2). Each mutant
//! is re-sealed by the project's encoder (correct CRCs) and sent in a
//! synthetic connection, so only the encoding is wrong.

mod support;

use cephshark::model::{Group, ProblemKind};
use cephshark::msgr2::banner;
use cephshark::msgr2::Tag;
use std::collections::BTreeMap;
use std::path::Path;
use support::mutants::*;
use support::synth::{connection, Send};

#[test]
fn real_payloads_have_no_encoding_problems() {
    for name in ["none-crc.pcap", "cephx-crc.pcap", "keylog-rados.pcap"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name);
        let recs = records(&std::fs::read(p).unwrap_or_else(|e| panic!("{e}")));
        let found: Vec<_> = recs
            .iter()
            .flat_map(|r| r.problems())
            .filter(|p| p.kind.group() == Group::Encoding)
            .collect();
        assert!(found.is_empty(), "{name}: {found:#?}");
    }
}

#[test]
fn every_example_re_sealed_unchanged_is_clean() {
    let ex = examples(&real());
    // HELLO, AUTH_REQUEST, AUTH_DONE, AUTH_SIGNATURE, CLIENT_IDENT,
    // SERVER_IDENT, KEEPALIVE2(_ACK), ACK and the message types of the capture.
    assert!(ex.len() >= 15, "{:?}", ex.keys().collect::<Vec<_>>());
    for ((tag, ty), segs) in &ex {
        let (r, ka) = send(*tag, segs);
        // Sent alone after the banners: only the state machine objects.
        assert_eq!(
            status_alone(&r),
            "ok",
            "tag {tag} type {ty}: {:?}",
            r.problems()
        );
        assert_eq!(status_alone(&ka), "ok");
    }
}

#[test]
fn hello_address_marker_ceph_refuses() {
    let ex = examples(&real());
    let mut segs = ex
        .get(&(Tag::Hello.raw(), 0))
        .cloned()
        .unwrap_or_else(|| panic!("no HELLO"));
    // HELLO: u8 entity_type, entity_addr_t (u8 marker first); msg_types.cc
    // entity_addr_t::decode throws malformed_input for a marker above 1.
    assert_eq!(segs[0][1], 1);
    segs[0][1] = 9;
    let (r, ka) = send(Tag::Hello.raw(), &segs);
    let errs = encoding_errors(&r);
    assert_eq!(errs.len(), 1, "{:?}", r.problems());
    assert_eq!(errs[0].kind, ProblemKind::EncodingMalformed);
    assert_eq!(errs[0].offset, wire_offset(&segs, 0, 1));
    assert!(errs[0].found.contains('9'), "{:?}", errs[0]);
    assert_eq!(r.status(), "encoding_malformed");
    assert!(r.is_faulty());
    assert_eq!(ka.status(), "ok");
}

#[test]
fn lengths_pushed_past_their_buffer() {
    let ex = examples(&real());
    // AUTH_DONE: le64 global_id | le32 con_mode | le32 payload_len | payload.
    let mut segs = ex
        .get(&(Tag::AuthDone.raw(), 0))
        .cloned()
        .unwrap_or_else(|| panic!("no AUTH_DONE"));
    let len = segs[0].len() as u32;
    segs[0][12..16].copy_from_slice(&(len + 100).to_le_bytes());
    let (r, ka) = send(Tag::AuthDone.raw(), &segs);
    let errs = encoding_errors(&r);
    assert_eq!(errs.len(), 1, "{:?}", r.problems());
    assert_eq!(errs[0].kind, ProblemKind::EncodingEndOfBuffer);
    let (lo, hi) = (
        wire_offset(&segs, 0, 12),
        wire_offset(&segs, 0, segs[0].len()),
    );
    assert!((lo..=hi).contains(&errs[0].offset), "{:?}", errs[0]);
    assert_eq!(ka.status(), "ok");

    // osd_op (MOSDOp v8, messages/MOSDOp.h): the object name's le32 length
    // runs past the front.
    let mut segs = ex
        .get(&(Tag::Message.raw(), 42))
        .cloned()
        .unwrap_or_else(|| panic!("no osd_op"));
    let name = b"obj1";
    let front = &segs[1];
    let at = front
        .windows(4 + name.len())
        .position(|w| w[..4] == (name.len() as u32).to_le_bytes() && &w[4..] == name)
        .unwrap_or_else(|| panic!("object name not found in the front"));
    let past = (front.len() as u32) + 1;
    segs[1][at..at + 4].copy_from_slice(&past.to_le_bytes());
    let (r, ka) = send(Tag::Message.raw(), &segs);
    let errs = encoding_errors(&r);
    assert_eq!(errs.len(), 1, "{:?}", r.problems());
    assert_eq!(errs[0].kind, ProblemKind::EncodingEndOfBuffer);
    let (lo, hi) = (
        wire_offset(&segs, 1, at),
        wire_offset(&segs, 1, segs[1].len()),
    );
    assert!((lo..=hi).contains(&errs[0].offset), "{:?}", errs[0]);
    assert_eq!(ka.status(), "ok");
}

#[test]
fn every_truncation_of_every_payload_is_an_error() {
    let ex = examples(&real());
    let mut checked = 0;
    for ((tag, ty), segs) in &ex {
        // The segment the payload lives in: 0 for control frames, the
        // front for messages (header2 stays whole).
        let seg = usize::from(*tag == Tag::Message.raw());
        let full = segs[seg].len();
        if full == 0 {
            continue;
        }
        // Every cut of small payloads, 48 spread over large ones.
        let step = (full / 48).max(1);
        for cut in (0..full).step_by(step) {
            let mut m = segs.clone();
            m[seg].truncate(cut);
            let (r, ka) = send(*tag, &m);
            let errs = encoding_errors(&r);
            assert_eq!(
                errs.len(),
                1,
                "tag {tag} type {ty} cut at {cut}/{full}: {:?}",
                r.problems()
            );
            let (lo, hi) = (wire_offset(&m, seg, 0), wire_offset(&m, seg, cut));
            assert!(
                (lo..=hi).contains(&errs[0].offset),
                "tag {tag} type {ty} cut {cut}: {:?} not in {lo}..={hi}",
                errs[0]
            );
            assert_eq!(ka.status(), "ok");
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn verify_exits_1_and_the_filter_finds_encoding_errors() {
    let ex = examples(&real());
    let mut segs = ex
        .get(&(Tag::Hello.raw(), 0))
        .cloned()
        .unwrap_or_else(|| panic!("no HELLO"));
    segs[0][1] = 9;
    let frame_bytes = frame(Tag::Hello.raw(), &segs);
    let sends = [
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: true,
            data: frame_bytes,
        },
    ];
    let pcap = connection(40000, 3300, &sends, 1400);
    let dir = std::env::temp_dir().join(format!("cephshark-encoding-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let f = dir.join("marker.pcap");
    std::fs::write(&f, &pcap).unwrap_or_else(|e| panic!("{e}"));
    let bin = env!("CARGO_BIN_EXE_cephshark");
    let out = std::process::Command::new(bin)
        .args(["verify", f.to_str().unwrap_or_default()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("encoding_malformed at ceph.addr"), "{text}");
    let out = std::process::Command::new(bin)
        .args([
            "-r",
            f.to_str().unwrap_or_default(),
            "-Y",
            "ceph.encoding",
            "-T",
            "fields",
            "-e",
            "msgr2.tag",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    let out = std::process::Command::new(bin)
        .args([
            "-r",
            f.to_str().unwrap_or_default(),
            "-Y",
            "msgr2.problem.group == encoding",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("HELLO") && text.contains("[encoding_malformed]"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn experts_list_every_kind_with_group_and_severity() {
    let bin = env!("CARGO_BIN_EXE_cephshark");
    let out = std::process::Command::new(bin)
        .args(["-G", "experts"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), ProblemKind::ALL.len());
    assert!(text.lines().any(|l| l
        == "E\tencoding_end_of_buffer\tencoding\terror\tA length, count or struct_len runs past the buffer that holds it, or the payload ends inside a field: Ceph's decoder throws `buffer::end_of_buffer` (include/buffer.h)."));
    assert!(text
        .lines()
        .any(|l| l.starts_with("E\tsegment_crc_bad\tchecksum\terror\t")));
}

/// Lengths and counts whose run past the buffer Ceph meets as
/// `end_of_buffer` (a sockaddr length is bounded by its family first:
/// msg_types.h "elen exceeds sockaddr len", `malformed_input`).
fn is_length(abbrev: &str) -> bool {
    abbrev.ends_with(".payload_len")
        || abbrev.ends_with(".count")
        || abbrev == "ceph.addr.struct_len"
        || abbrev == "ceph.addr.sockaddr_len"
}

/// Every length and count of every control tag in the real captures,
/// pushed past its buffer: an `end_of_buffer` at the field itself, with
/// its abbrev; the next frame still decodes.
#[test]
fn every_control_length_pushed_past_its_buffer() {
    let mut checked = BTreeMap::new();
    for (wire, (tag, segs)) in WIRES
        .iter()
        .flat_map(|w| control_examples().into_iter().map(move |e| (*w, e)))
    {
        for (r, abbrev, _) in payload_leaves(tag, &segs[0]) {
            if !is_length(abbrev) {
                continue;
            }
            let mut m = segs.clone();
            let past = u32::try_from(m[0].len() + 100).unwrap_or(u32::MAX);
            m[0][r.start..r.start + 4].copy_from_slice(&past.to_le_bytes());
            let (rec, ka) = wire.send(tag, &m);
            let kind = if abbrev == "ceph.addr.sockaddr_len" {
                ProblemKind::EncodingMalformed
            } else {
                ProblemKind::EncodingEndOfBuffer
            };
            let what = format!("tag {tag} {abbrev} at {}", r.start);
            assert_one_in(wire, &rec, &m, kind, abbrev, (0, r.start), &what);
            assert_eq!(ka.status(), "ok", "{what}");
            *checked.entry(tag).or_insert(0) += 1;
        }
    }
    // HELLO, AUTH_REQUEST, AUTH_REPLY_MORE, AUTH_REQUEST_MORE, AUTH_DONE,
    // CLIENT_IDENT, SERVER_IDENT carry lengths or counts.
    for tag in [
        Tag::Hello,
        Tag::AuthRequest,
        Tag::AuthReplyMore,
        Tag::AuthRequestMore,
        Tag::AuthDone,
        Tag::ClientIdent,
        Tag::ServerIdent,
    ] {
        assert!(checked.contains_key(&tag.raw()), "{tag:?}: {checked:?}");
    }
    // 15 in each mode.
    assert_eq!(checked.values().sum::<i32>(), 30, "{checked:?}");
}

/// Every control tag in the real captures cut at the start of each of its
/// fields: an `end_of_buffer` at that field, or, inside a length-prefixed
/// part, at the outermost length whose bytes are cut.
#[test]
fn every_control_truncation_blames_the_first_missing_field() {
    let ex = control_examples();
    // HELLO, AUTH_REQUEST, AUTH_REPLY_MORE, AUTH_REQUEST_MORE, AUTH_DONE,
    // AUTH_SIGNATURE, CLIENT_IDENT, SERVER_IDENT.
    assert_eq!(
        ex.keys().copied().collect::<Vec<_>>(),
        [1, 2, 4, 5, 6, 7, 8, 9]
    );
    let mut checked = 0;
    for (tag, segs) in ex {
        let leaves = payload_leaves(tag, &segs[0]);
        // Lengths fail when their bytes are cut; counts when the bytes
        // left cannot hold that many items at their smallest (4 bytes a
        // le32, 19 an address: grammar::prim::count).
        let fails = |cut: usize, (r, a, v): &(std::ops::Range<usize>, &str, u64)| {
            let body = r.end..*v as usize;
            if a.ends_with(".count") {
                let n = leaves.iter().find(|l| l.0 == *r).map_or(0, |_| {
                    u64::from_le_bytes(
                        segs[0][r.start..r.end]
                            .iter()
                            .chain([0u8; 4].iter())
                            .copied()
                            .take(8)
                            .collect::<Vec<_>>()
                            .try_into()
                            .unwrap_or([0; 8]),
                    )
                });
                let min = if a.starts_with("ceph.addrvec") { 19 } else { 4 };
                body.contains(&cut) && n * min > (cut - body.start) as u64
            } else {
                (r.end..r.end + *v as usize).contains(&cut)
            }
        };
        let mut cuts: Vec<usize> = leaves.iter().map(|(r, ..)| r.start).collect();
        cuts.dedup();
        for cut in cuts {
            let (at, field) = leaves
                .iter()
                .filter(|l| {
                    is_length(l.1) && l.1 != "ceph.addr.sockaddr_len" || l.1.ends_with(".count")
                })
                .find(|l| fails(cut, l))
                .map(|(r, a, _)| (r.start, *a))
                .or_else(|| {
                    leaves
                        .iter()
                        .find(|(r, ..)| r.start == cut)
                        .map(|(r, a, _)| (r.start, *a))
                })
                .unwrap_or_else(|| unreachable!());
            let mut m = segs.clone();
            m[0].truncate(cut);
            for wire in WIRES {
                let (rec, ka) = wire.send(tag, &m);
                let what = format!("tag {tag} cut at {cut}");
                let kind = ProblemKind::EncodingEndOfBuffer;
                assert_one_in(wire, &rec, &m, kind, field, (0, at), &what);
                assert_eq!(ka.status(), "ok", "{what}");
                checked += 1;
            }
        }
    }
    // At least 60 cuts, each in crc and secure mode.
    assert!(checked >= 120, "{checked}");
}

/// The address markers Ceph refuses, in every control tag that carries
/// one: an addrvec marker above 2 and an address marker above 1 are
/// `malformed_input` at the marker (msg_types.cc, msg_types.h).
#[test]
fn control_address_markers_ceph_refuses() {
    let mut seen = 0;
    for (tag, segs) in control_examples() {
        for (r, abbrev, _) in payload_leaves(tag, &segs[0]) {
            let bad = match abbrev {
                "ceph.addr.marker" => 2,
                "ceph.addrvec.marker" => 3,
                _ => continue,
            };
            let mut m = segs.clone();
            m[0][r.start] = bad;
            for wire in WIRES {
                let (rec, ka) = wire.send(tag, &m);
                let what = format!("tag {tag} {abbrev} at {}", r.start);
                let kind = ProblemKind::EncodingMalformed;
                assert_one_in(wire, &rec, &m, kind, abbrev, (0, r.start), &what);
                assert_eq!(ka.status(), "ok", "{what}");
                seen += 1;
            }
        }
    }
    // HELLO's address; CLIENT_IDENT's addrvec and target; SERVER_IDENT's
    // addrvec (and the addresses inside the vectors).
    // (Each in crc and secure mode.)
    assert!(seen >= 8, "{seen}");
}

/// Every length, bufferlist, string and ticket count of the cephx
/// structures in the real captures, pushed past its buffer: an
/// `end_of_buffer` at that field, with its abbrev.
#[test]
fn cephx_lengths_pushed_past_their_buffer() {
    let mut checked = BTreeMap::new();
    for (tag, segs) in cephx_frames() {
        for (r, abbrev, b) in cephx_leaves(tag, &segs[0]) {
            if b == Bound::Plain {
                continue;
            }
            let mut m = segs.clone();
            let past = u32::try_from(m[0].len() + 100).unwrap_or(u32::MAX);
            m[0][r.start..r.start + 4].copy_from_slice(&past.to_le_bytes());
            let (rec, ka) = send(tag, &m);
            let what = format!("tag {tag} {abbrev} at {}", r.start);
            assert_one(
                &rec,
                &m,
                ProblemKind::EncodingEndOfBuffer,
                abbrev,
                r.start,
                &what,
            );
            assert_eq!(ka.status(), "ok", "{what}");
            *checked.entry(abbrev).or_insert(0) += 1;
        }
    }
    assert_eq!(
        checked.keys().copied().collect::<Vec<_>>(),
        [
            "ceph.cephx.authorize",
            "ceph.cephx.connection_secret",
            "ceph.cephx.connection_secret_len",
            "ceph.cephx.extra_len",
            "ceph.cephx.service_ticket.session",
            "ceph.cephx.service_ticket.ticket_len",
            "ceph.cephx.ticket.blob",
            "ceph.cephx.ticket_reply.count",
            "ceph.entity_name.id",
        ],
        "{checked:?}"
    );
    assert_eq!(checked.values().sum::<i32>(), 30, "{checked:?}");
}

/// The cephx structures cut at the start of each of their fields, the
/// auth payload's length re-sealed to match: an `end_of_buffer` at that
/// field or at the outermost length or count whose bytes are cut.
#[test]
fn cephx_truncations_blame_the_first_missing_field() {
    let frames = cephx_frames();
    let layouts: Vec<(u8, usize)> = frames.iter().map(|(t, s)| (*t, s[0].len())).collect();
    // AUTH_REQUEST mon mode and authorizer; AUTH_REQUEST_MORE with
    // CephXAuthenticate and with the authorizer answering a challenge;
    // AUTH_DONE without and with extra tickets.
    assert_eq!(
        layouts,
        [(2, 38), (2, 190), (5, 40), (5, 178), (6, 226), (6, 776)]
    );
    let mut checked = 0;
    for (tag, segs) in frames {
        let leaves = cephx_leaves(tag, &segs[0]);
        let start = leaves[0].0.start;
        let len_at = start - 4;
        // The first bytes tell the layout: an auth mode, a request type,
        // a CephXResponseHeader (le16 + le32) for a mon's AUTH_DONE.
        let min = if tag == Tag::AuthDone.raw() { 6 } else { 1 };
        for (cut_leaf, ..) in leaves.iter().filter(|l| l.0.start >= start + min) {
            let cut = cut_leaf.start;
            let fails = |(r, _, b): &(std::ops::Range<usize>, &str, Bound)| match *b {
                Bound::Len(n) => cut < r.end + n,
                Bound::Count(n) => cut < r.end || n * 14 > cut - r.end,
                Bound::Bl | Bound::Plain => cut < r.end,
            };
            let blamed = leaves.iter().find(|l| fails(l));
            let mut m = segs.clone();
            m[0].truncate(cut);
            let n = u32::try_from(cut - start).unwrap_or(0);
            m[0][len_at..start].copy_from_slice(&n.to_le_bytes());
            let (rec, ka) = send(tag, &m);
            let what = format!("tag {tag} cut at {cut}");
            match blamed {
                // CephxClientHandler::handle_response reads the secret and
                // the extra tickets only when bytes remain.
                Some((r, "ceph.cephx.connection_secret_len", _)) if r.start == cut => {
                    assert_eq!(status_alone(&rec), "ok", "{what}: {:?}", rec.problems());
                }
                Some((r, a, _)) => {
                    let kind = ProblemKind::EncodingEndOfBuffer;
                    assert_one(&rec, &m, kind, a, r.start, &what);
                }
                None => unreachable!("{what}"),
            }
            assert_eq!(ka.status(), "ok", "{what}");
            checked += 1;
        }
    }
    assert_eq!(checked, 74);
}

/// A one-byte AUTH_REQUEST_MORE payload that is no authorizer: Ceph's
/// cephx server decodes the CephXRequestHeader first (le16), so it runs
/// out of buffer at the request type.
#[test]
fn cephx_request_header_cut() {
    let recs = real_named("cephx-crc.pcap");
    let mut segs = frames_of(&recs, Tag::AuthRequestMore)
        .into_iter()
        .find(|s| s[0].get(4..6) == Some(&[0, 1][..]))
        .unwrap_or_else(|| panic!("no CephXAuthenticate"));
    segs[0].truncate(5);
    segs[0][..4].copy_from_slice(&1u32.to_le_bytes());
    let (rec, ka) = send(Tag::AuthRequestMore.raw(), &segs);
    let (kind, field) = (ProblemKind::EncodingEndOfBuffer, "ceph.cephx.request_type");
    assert_one(&rec, &segs, kind, field, 4, "one byte");
    assert_eq!(ka.status(), "ok");
}
