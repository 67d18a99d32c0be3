//! Encoding conformance: payloads that Ceph's decoder would reject are
//! errors of their own kind, located at their field, in every output, and
//! `verify` fails on them; the frame after a bad one still decodes.
//!
//! Real payloads come from captures/none-crc.pcap (Ceph 16.2). Each mutant
//! is re-sealed by the project's encoder (correct CRCs) and sent in a
//! synthetic connection, so only the encoding is wrong.

mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::model::{Group, ProblemKind, Severity};
use cephshark::msgr2::banner;
use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
use cephshark::msgr2::{Rev, Tag};
use std::collections::BTreeMap;
use std::path::Path;
use support::synth::{connection, Send};

fn records(pcap: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(pcap, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

fn real() -> Vec<Record> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap");
    records(&std::fs::read(p).unwrap_or_else(|e| panic!("{e}")))
}

/// One real example of every control tag and message type in the capture:
/// the frame's segments.
fn examples(recs: &[Record]) -> BTreeMap<(u8, u16), [Vec<u8>; 4]> {
    let mut out = BTreeMap::new();
    for r in recs {
        let Some(f) = r.frame() else { continue };
        let ty = r.msg.map_or(0, |h| h.msg_type);
        let segs = [0, 1, 2, 3].map(|i| f.segment(i).unwrap_or(&[]).to_vec());
        out.entry((f.tag().raw(), ty)).or_insert(segs);
    }
    out
}

fn frame(tag: u8, segs: &[Vec<u8>; 4]) -> Vec<u8> {
    let spec = if tag == Tag::Message.raw() {
        FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
    } else {
        FrameSpec::control(tag, &segs[0])
    };
    encode_crc(Rev::V1, &spec)
}

/// A conversation: banners, the frame under test from the client, then a
/// good KEEPALIVE2 from the client. Returns the rows of the tested frame
/// and of the keepalive.
fn send(tag: u8, segs: &[Vec<u8>; 4]) -> (Record, Record) {
    let ka = encode_crc(
        Rev::V1,
        &FrameSpec::control(Tag::Keepalive2.raw(), &[1, 0, 0, 0, 2, 0, 0, 0]),
    );
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
            data: frame(tag, segs),
        },
        Send {
            from_client: true,
            data: ka,
        },
    ];
    let recs = records(&connection(40000, 3300, &sends, 1400));
    let frames: Vec<Record> = recs.into_iter().filter(|r| r.frame().is_some()).collect();
    assert_eq!(frames.len(), 2, "{frames:#?}");
    let mut it = frames.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        unreachable!()
    };
    (a, b)
}

fn encoding_errors(r: &Record) -> Vec<cephshark::model::Problem> {
    r.problems()
        .into_iter()
        .filter(|p| p.kind.group() == Group::Encoding && p.kind.severity() == Severity::Error)
        .collect()
}

/// Stream offset of byte `at` of segment `seg` of a frame sent right after
/// the client's banner (26 bytes) in msgr2.1 crc mode.
fn wire_offset(segs: &[Vec<u8>; 4], seg: usize, at: usize) -> u64 {
    // preamble 32 | seg0 | crc 4 | seg1 | seg2 | seg3 (msgr2.1, frames_v2.cc)
    let mut off = 26 + 32;
    for (i, s) in segs.iter().enumerate().take(seg) {
        off += s.len() + if i == 0 { 4 } else { 0 };
    }
    (off + at) as u64
}

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
        assert_eq!(r.status(), "ok", "tag {tag} type {ty}: {:?}", r.problems());
        assert_eq!(ka.status(), "ok");
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

mod secure {
    //! The same mutants sent in secure mode (msgr2.1, AES-128-GCM): the
    //! client's frames after AUTH_DONE(mode secure) are sealed by the
    //! encoder with a key the dissector is given.

    use super::*;
    use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
    use cephshark::msgr2::encoder::encode_secure;
    use cephshark::msgr2::keys::KeyLog;
    use std::sync::Arc;

    const KEY: [u8; 16] = *b"0123456789abcdef";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Banners, HELLOs, AUTH_REQUEST and AUTH_DONE(secure) in crc mode,
    /// then the client's AUTH_SIGNATURE, the frame under test and a
    /// KEEPALIVE2, sealed. Returns the rows of the tested frame and of
    /// the keepalive.
    pub fn send_secure(tag: u8, segs: &[Vec<u8>; 4]) -> (Record, Record) {
        let crc = |t: Tag, p: &[u8]| encode_crc(Rev::V1, &FrameSpec::control(t.raw(), p));
        let mut done = 4242u64.to_le_bytes().to_vec();
        done.extend_from_slice(&2u32.to_le_bytes()); // CEPH_CON_MODE_SECURE
        done.extend_from_slice(&0u32.to_le_bytes());
        let nonce = Nonce::from_parts(0x1111_2222, 7);
        let mut tx = GcmStream::new(&KEY, nonce, NonceFormat::Rev1);
        let mut sealed = encode_secure(
            &mut tx,
            Rev::V1,
            &FrameSpec::control(Tag::AuthSignature.raw(), &[7; 32]),
        );
        let spec = if tag == Tag::Message.raw() {
            FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
        } else {
            FrameSpec::control(tag, &segs[0])
        };
        sealed.extend(encode_secure(&mut tx, Rev::V1, &spec));
        sealed.extend(encode_secure(
            &mut tx,
            Rev::V1,
            &FrameSpec::control(Tag::Keepalive2.raw(), &[1, 0, 0, 0, 2, 0, 0, 0]),
        ));
        let c = |data: Vec<u8>| Send {
            from_client: true,
            data,
        };
        let s = |data: Vec<u8>| Send {
            from_client: false,
            data,
        };
        let sends = [
            c(banner::encode(1, 0)),
            s(banner::encode(1, 0)),
            c(crc(Tag::Hello, &[8, 1])),
            s(crc(Tag::Hello, &[1, 1])),
            c(crc(Tag::AuthRequest, &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
            s(crc(Tag::AuthDone, &done)),
            c(sealed),
        ];
        let pcap = connection(40000, 3300, &sends, 1400);
        let keys = KeyLog::parse(&format!("{} {}\n", hex(&KEY), hex(&nonce.0)))
            .unwrap_or_else(|e| panic!("{e}"));
        let cfg = Config {
            keys: Some(Arc::new(keys)),
            ..Config::default()
        };
        let mut recs = Vec::new();
        dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
        let secure: Vec<Record> = recs
            .into_iter()
            .filter(|r| r.frame().is_some_and(|f| f.decrypted))
            .collect();
        // AUTH_SIGNATURE, the frame, KEEPALIVE2.
        assert_eq!(secure.len(), 3, "{secure:#?}");
        let mut it = secure.into_iter().skip(1);
        let (Some(a), Some(b)) = (it.next(), it.next()) else {
            unreachable!()
        };
        (a, b)
    }

    #[test]
    fn real_payloads_sealed_unchanged_are_clean() {
        for ((tag, ty), segs) in &examples(&real()) {
            let (r, ka) = send_secure(*tag, segs);
            assert_eq!(r.status(), "ok", "tag {tag} type {ty}: {:?}", r.problems());
            assert_eq!(ka.status(), "ok");
        }
    }

    #[test]
    fn truncations_and_bad_lengths_in_secure_frames() {
        let ex = examples(&real());
        let mut checked = 0;
        for ((tag, ty), segs) in &ex {
            let seg = usize::from(*tag == Tag::Message.raw());
            let full = segs[seg].len();
            if full == 0 {
                continue;
            }
            let step = (full / 12).max(1);
            for cut in (0..full).step_by(step) {
                let mut m = segs.clone();
                m[seg].truncate(cut);
                let (r, ka) = send_secure(*tag, &m);
                let errs = encoding_errors(&r);
                assert_eq!(
                    errs.len(),
                    1,
                    "tag {tag} type {ty} cut {cut}: {:?}",
                    r.problems()
                );
                let f = r.frame().unwrap_or_else(|| unreachable!());
                assert!(
                    errs[0].offset >= f.offset && errs[0].offset <= f.offset + f.wire_len,
                    "{:?} outside the frame",
                    errs[0]
                );
                assert_eq!(ka.status(), "ok");
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn hello_marker_in_a_secure_frame() {
        let ex = examples(&real());
        let mut segs = ex
            .get(&(Tag::Hello.raw(), 0))
            .cloned()
            .unwrap_or_else(|| panic!("no HELLO"));
        segs[0][1] = 9;
        let (r, ka) = send_secure(Tag::Hello.raw(), &segs);
        let errs = encoding_errors(&r);
        assert_eq!(errs.len(), 1, "{:?}", r.problems());
        assert_eq!(errs[0].kind, ProblemKind::EncodingMalformed);
        // msgr2.1 secure: segment 0 starts right after the 32-byte
        // preamble inside the first GCM operation (frames_v2.cc).
        let f = r.frame().unwrap_or_else(|| unreachable!());
        assert_eq!(errs[0].offset, f.offset + 32 + 1);
        assert_eq!(ka.status(), "ok");
    }
}
