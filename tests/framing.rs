//! msgr2 framing against the library's own encoder: every mode and shape
//! decodes byte-exactly, every corruption is detected and named, and no
//! chunking of the input changes the result.

use cephshark::msgr2::banner;
use cephshark::msgr2::encoder::{encode_crc, msg_header2, FrameSpec};
use cephshark::msgr2::{
    CheckKind, CheckStatus, ConnDecoder, DecoderConfig, Event, ProblemKind, Rev, Tag,
};
use cephshark::tcp::Direction;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

fn supported(rev: Rev) -> u64 {
    match rev {
        Rev::V0 => 0,
        Rev::V1 => banner::FEATURE_REVISION_1,
    }
}

/// The spec's example shapes (msgr2.rst; test_frames_v2.cc round_trip_instances).
fn shapes() -> Vec<FrameSpec> {
    let pat = |n: usize, k: u8| {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(k))
            .collect::<Vec<u8>>()
    };
    let mut v = Vec::new();
    for (a, b, c, d) in [
        (0, 0, 0, 0),
        (20, 0, 0, 0),
        (0, 70, 0, 0),
        (20, 70, 0, 350),
        (1, 0, 0, 0),
        (48, 0, 0, 0),
        (49, 0, 202, 303),
        (0, 0, 0, 303),
        (105, 70, 0, 350),
    ] {
        let mut segs: Vec<(Vec<u8>, u16)> = vec![
            (pat(a, 1), 8),
            (pat(b, 2), 8),
            (pat(c, 3), 8),
            (pat(d, 4), 4096),
        ];
        while segs.len() > 1 && segs.last().is_some_and(|s| s.0.is_empty()) {
            segs.pop();
        }
        v.push(FrameSpec {
            tag: 17,
            segments: segs,
            flags: 0,
            late: None,
            no_data_crc: false,
        });
    }
    v.push(FrameSpec::control(
        Tag::Keepalive2.raw(),
        &[1, 2, 3, 4, 5, 6, 7, 8],
    ));
    v.push(FrameSpec::message(
        &msg_header2(5, 9, 42),
        b"front bytes",
        b"",
        b"data",
    ));
    v
}

/// Decode a c2s stream (after both banners) fed in chunks of `chunk` bytes.
fn decode(rev: Rev, body: &[u8], chunk: usize) -> Vec<Event> {
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    let mut out = Vec::new();
    d.feed(S2C, 0, &banner::encode(supported(rev), 0), &mut out);
    let mut stream = banner::encode(supported(rev), 0);
    stream.extend_from_slice(body);
    let mut off = 0usize;
    for piece in stream.chunks(chunk.max(1)) {
        d.feed(C2S, off as u64, piece, &mut out);
        off += piece.len();
    }
    d.finish(&mut out);
    out.into_iter()
        .filter(|(dir, _)| *dir == C2S)
        .map(|(_, e)| e)
        .collect()
}

fn frames(evs: &[Event]) -> Vec<&cephshark::msgr2::Frame> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(&**f),
            _ => None,
        })
        .collect()
}

#[test]
fn every_shape_round_trips_in_both_revisions() {
    for rev in [Rev::V0, Rev::V1] {
        for spec in shapes() {
            let wire = encode_crc(rev, &spec);
            let evs = decode(rev, &wire, usize::MAX);
            assert!(matches!(evs.first(), Some(Event::Banner(_))));
            let fs = frames(&evs);
            assert_eq!(fs.len(), 1, "{rev:?} {spec:?}");
            let f = fs[0];
            assert_eq!(f.rev, rev);
            assert_eq!(f.wire_len, wire.len() as u64);
            assert_eq!(f.offset, 26);
            assert_eq!(&f.data[..], &wire[..]);
            assert!(f.problems.is_empty(), "{:?}", f.problems);
            assert_eq!(f.tag().raw(), spec.tag);
            for (i, (seg, _)) in spec.segments.iter().enumerate() {
                assert_eq!(f.segment(i), Some(&seg[..]), "segment {i}");
            }
            assert!(f.checks.iter().all(|c| c.status == CheckStatus::Good));
            // Every used segment has its CRC checked (2.1: not an empty first one).
            let seg_checks = f
                .checks
                .iter()
                .filter(|c| matches!(c.kind, CheckKind::Segment(_)))
                .count();
            let expected = match rev {
                Rev::V0 => 4,
                Rev::V1 => {
                    usize::from(!spec.segments[0].0.is_empty())
                        + if spec.segments.len() > 1 { 3 } else { 0 }
                }
            };
            assert_eq!(seg_checks, expected);
            let late = f.late.map(|l| l.value);
            match rev {
                Rev::V0 => assert_eq!(late, Some(0)),
                Rev::V1 => assert_eq!(late, (spec.segments.len() > 1).then_some(0x0e)),
            }
        }
    }
}

#[test]
fn spec_onwire_sizes() {
    // msgr2.rst / RESEARCH.md A4 (rev0-crc, rev1-crc totals).
    let cases = [
        ((0, 0, 0, 0), 49, 32),
        ((20, 0, 0, 0), 69, 56),
        ((0, 70, 0, 0), 119, 115),
        ((20, 70, 0, 350), 489, 489),
    ];
    for ((a, b, c, d), r0, r1) in cases {
        let mut segs = vec![
            (vec![7u8; a], 8),
            (vec![8u8; b], 8),
            (vec![9u8; c], 8),
            (vec![1u8; d], 4096),
        ];
        while segs.len() > 1 && segs.last().is_some_and(|s| s.0.is_empty()) {
            segs.pop();
        }
        let spec = FrameSpec {
            tag: 17,
            segments: segs,
            flags: 0,
            late: None,
            no_data_crc: false,
        };
        assert_eq!(encode_crc(Rev::V0, &spec).len(), r0, "{a}+{b}+{c}+{d}");
        assert_eq!(encode_crc(Rev::V1, &spec).len(), r1, "{a}+{b}+{c}+{d}");
    }
}

#[test]
fn any_chunking_gives_identical_frames() {
    for rev in [Rev::V0, Rev::V1] {
        let body: Vec<u8> = shapes().iter().flat_map(|s| encode_crc(rev, s)).collect();
        let whole = decode(rev, &body, usize::MAX);
        let key = |evs: &[Event]| {
            frames(evs)
                .iter()
                .map(|f| (f.offset, f.wire_len, f.data.to_vec()))
                .collect::<Vec<_>>()
        };
        for chunk in [1, 2, 3, 7, 31, 32, 33, 100, 4096] {
            assert_eq!(
                key(&decode(rev, &body, chunk)),
                key(&whole),
                "{rev:?} chunk {chunk}"
            );
        }
        assert_eq!(frames(&whole).len(), shapes().len());
    }
}

#[test]
fn every_truncated_prefix_waits_then_reports_truncation() {
    for rev in [Rev::V0, Rev::V1] {
        let spec = &shapes()[3];
        let wire = encode_crc(rev, spec);
        for n in 0..wire.len() {
            let mut d = ConnDecoder::new(DecoderConfig::default(), true);
            let mut out = Vec::new();
            d.feed(S2C, 0, &banner::encode(supported(rev), 0), &mut out);
            let mut stream = banner::encode(supported(rev), 0);
            stream.extend_from_slice(&wire[..n]);
            d.feed(C2S, 0, &stream, &mut out);
            assert!(
                out.iter()
                    .all(|(_, e)| !matches!(e, Event::Frame(_) | Event::Undecoded(_))),
                "prefix {n} produced output before the end"
            );
            d.finish(&mut out);
            if n > 0 {
                let truncated = out.iter().any(|(_, e)| match e {
                    Event::Frame(f) => f.problems.iter().any(|p| p.kind == ProblemKind::Truncated),
                    Event::Undecoded(p) => p.kind == ProblemKind::Truncated,
                    _ => false,
                });
                assert!(truncated, "prefix {n}: {out:?}");
            }
        }
    }
}

/// Flip every byte of a frame (one at a time) and check the decoder names
/// the damage: preamble bytes break the preamble CRC, segment bytes and
/// CRC bytes break a segment CRC, late bytes are judged by the late rules.
#[test]
fn every_single_corrupted_byte_is_detected_and_named() {
    for rev in [Rev::V0, Rev::V1] {
        let spec = FrameSpec::message(&msg_header2(3, 1, 42), &[0x5a; 70], b"", &[0xa5; 350]);
        let wire = encode_crc(rev, &spec);
        let trailer = FrameSpec::control(Tag::Ack.raw(), &7u64.to_le_bytes());
        let next = encode_crc(rev, &trailer);
        let epi_start = wire.len() - if rev == Rev::V0 { 17 } else { 13 };
        for i in 0..wire.len() {
            let mut body = wire.clone();
            body[i] ^= 0x40;
            body.extend_from_slice(&next);
            let evs = decode(rev, &body, usize::MAX);
            let problems: Vec<_> = evs
                .iter()
                .flat_map(|e| match e {
                    Event::Frame(f) => f.problems.clone(),
                    Event::Undecoded(p) => vec![p.clone()],
                    _ => vec![],
                })
                .collect();
            let at = 26 + i as u64;
            if i < 32 {
                let p = problems
                    .iter()
                    .find(|p| p.kind == ProblemKind::PreambleCrcBad);
                let p = p.unwrap_or_else(|| panic!("{rev:?} byte {i}: {problems:?}"));
                assert_eq!((p.offset, p.field), (26 + 28, "msgr2.preamble.crc"));
            } else if i == epi_start {
                assert!(
                    problems.iter().any(|p| matches!(
                        p.kind,
                        ProblemKind::LateStatusBad
                            | ProblemKind::LateReservedBits
                            | ProblemKind::Aborted
                    )),
                    "{rev:?} late byte: {problems:?}"
                );
            } else {
                let p = problems
                    .iter()
                    .find(|p| p.kind == ProblemKind::SegmentCrcBad);
                let p = p.unwrap_or_else(|| panic!("{rev:?} byte {i}: {problems:?}"));
                assert_eq!(p.field, "msgr2.segment.crc");
                assert_ne!(p.expected, p.found);
                let _ = at;
            }
            // The frame after the damaged one always decodes cleanly.
            let last = frames(&evs)
                .last()
                .map(|f| (f.tag(), f.problems.is_empty()));
            assert_eq!(last, Some((Tag::Ack, true)), "{rev:?} byte {i}");
        }
    }
}

#[test]
fn zero_crc_is_absent_not_bad() {
    let mut spec = FrameSpec::message(&msg_header2(1, 1, 42), b"front", b"", b"");
    spec.no_data_crc = true;
    let evs = decode(Rev::V1, &encode_crc(Rev::V1, &spec), usize::MAX);
    let f = frames(&evs)[0];
    let kinds: Vec<_> = f.problems.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&ProblemKind::SegmentCrcAbsent), "{kinds:?}");
    assert!(!kinds.contains(&ProblemKind::SegmentCrcBad));
}

#[test]
fn late_status_values() {
    for (late, aborted, bad) in [
        (0x0e, false, false),
        (0x01, true, false),
        (0x00, false, true),
        (0x07, false, true),
        (0xfe, false, false),
    ] {
        let mut spec = FrameSpec::message(&msg_header2(1, 1, 42), b"front", b"", b"");
        spec.late = Some(late);
        let evs = decode(Rev::V1, &encode_crc(Rev::V1, &spec), usize::MAX);
        let f = frames(&evs)[0];
        assert_eq!(f.aborted(), aborted, "{late:#x}");
        assert_eq!(
            f.problems
                .iter()
                .any(|p| p.kind == ProblemKind::LateStatusBad),
            bad,
            "{late:#x}"
        );
    }
    // msgr2.0: late_flags bit 0 = aborted.
    let mut spec = FrameSpec::control(Tag::Ack.raw(), &1u64.to_le_bytes());
    spec.late = Some(1);
    let evs = decode(Rev::V0, &encode_crc(Rev::V0, &spec), usize::MAX);
    assert!(frames(&evs)[0].aborted());
}

#[test]
fn huge_segment_claim_is_flagged_and_skipped_without_allocating() {
    for rev in [Rev::V0, Rev::V1] {
        // A preamble with a valid CRC claiming a 4 GiB - 1 segment.
        let pre = cephshark::msgr2::preamble::encode(
            17,
            &[cephshark::msgr2::preamble::SegmentDesc {
                len: u32::MAX,
                align: 8,
            }],
            0,
        );
        let mut body = pre.to_vec();
        body.extend_from_slice(&[0u8; 100]);
        let ok = FrameSpec::control(Tag::Keepalive2.raw(), &[9; 8]);
        body.extend_from_slice(&encode_crc(rev, &ok));
        let evs = decode(rev, &body, 1000);
        let tl = evs.iter().find_map(|e| match e {
            Event::Undecoded(p) if p.kind == ProblemKind::SegmentTooLong => Some(p.clone()),
            _ => None,
        });
        let tl = tl.unwrap_or_else(|| panic!("{evs:?}"));
        assert_eq!(tl.offset, 26 + 2);
        assert_eq!(tl.found, u32::MAX.to_string());
        assert_eq!(
            frames(&evs).iter().map(|f| f.tag()).collect::<Vec<_>>(),
            vec![Tag::Keepalive2]
        );
    }
}

#[test]
fn gap_flags_the_frame_and_resyncs() {
    let rev = Rev::V1;
    let specs = shapes();
    let wires: Vec<Vec<u8>> = specs.iter().map(|s| encode_crc(rev, s)).collect();
    let mut stream = banner::encode(1, 0);
    let starts: Vec<usize> = wires
        .iter()
        .scan(stream.len(), |at, w| {
            let s = *at;
            *at += w.len();
            Some(s)
        })
        .collect();
    for w in &wires {
        stream.extend_from_slice(w);
    }
    // Lose 10 bytes in the middle of frame 3 (20+70+0+350).
    let lost_at = starts[3] + 50;
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    let mut out = Vec::new();
    d.feed(S2C, 0, &banner::encode(1, 0), &mut out);
    d.feed(C2S, 0, &stream[..lost_at], &mut out);
    d.gap(C2S, lost_at as u64, 10, &mut out);
    d.feed(C2S, lost_at as u64 + 10, &stream[lost_at + 10..], &mut out);
    d.finish(&mut out);
    let evs: Vec<Event> = out
        .into_iter()
        .filter(|(dir, _)| *dir == C2S)
        .map(|(_, e)| e)
        .collect();
    let fs = frames(&evs);
    // Frames 0..3 intact, frame 3 incomplete, frames 4.. intact.
    assert_eq!(fs.len(), wires.len());
    for (i, f) in fs.iter().enumerate() {
        assert_eq!(f.offset, starts[i] as u64);
        if i == 3 {
            assert!(f.problems.iter().any(|p| p.kind == ProblemKind::Incomplete));
        } else {
            assert!(f.problems.is_empty(), "frame {i}: {:?}", f.problems);
        }
    }
    assert!(evs
        .iter()
        .any(|e| matches!(e, Event::Lost { offset, len: 10 } if *offset == lost_at as u64)));
    // The rest of frame 3 after the gap is reported as undecoded, nothing more.
    let und: Vec<_> = evs
        .iter()
        .filter(|e| matches!(e, Event::Undecoded(_)))
        .collect();
    assert_eq!(und.len(), 1, "{und:?}");
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x1234_5678u32;
    for round in 0..200 {
        let n = (round * 37) % 3000;
        let mut body = Vec::with_capacity(n);
        for _ in 0..n {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            body.push(seed as u8);
        }
        for rev in [Rev::V0, Rev::V1] {
            let evs = decode(rev, &body, 1 + round % 50);
            assert!(frames(&evs).is_empty());
        }
        // Garbage instead of a banner.
        let mut d = ConnDecoder::new(DecoderConfig::default(), true);
        let mut out = Vec::new();
        d.feed(C2S, 0, &body, &mut out);
        d.finish(&mut out);
    }
}
