//! Large crc-mode frames arriving in many packets: their segment CRCs are
//! folded in while the bytes come, and must say exactly what a check of
//! the whole frame says, a damaged byte anywhere included.

use cephshark::msgr2::banner;
use cephshark::msgr2::encoder::{encode_crc, msg_header2, FrameSpec};
use cephshark::msgr2::Storages;
use cephshark::msgr2::{
    CheckKind, CheckStatus, ConnDecoder, DecoderConfig, Event, Frame, ProblemKind, Rev, Tag,
};
use cephshark::tcp::Direction;
use std::sync::Arc;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// Ceph's segment CRC, computed here from its definition: the raw
/// Castagnoli register seeded with -1, no final inversion
/// (frames_v2.cc `bufferlist::crc32c(-1)`; the crc32c crate inverts both).
fn ceph_segment_crc(bytes: &[u8]) -> u32 {
    !crc32c::crc32c_append(!0xFFFF_FFFF, bytes)
}

fn supported(rev: Rev) -> u64 {
    match rev {
        Rev::V0 => 0,
        Rev::V1 => banner::FEATURE_REVISION_1,
    }
}

/// The frames of a c2s stream (after both banners) fed `chunk` bytes at a
/// time, then an ACK.
fn decode(rev: Rev, body: &[u8], chunk: usize) -> Vec<Frame> {
    decode_with(rev, body, chunk, DecoderConfig::default(), false)
}

/// [`decode`] with a decoder configuration, each piece given with its
/// CRC32C (crate form) when `crcs`, as a reader thread computes them, and
/// storages for elided frames as a dissection gives.
fn decode_with(rev: Rev, body: &[u8], chunk: usize, cfg: DecoderConfig, crcs: bool) -> Vec<Frame> {
    let mut d = ConnDecoder::new(cfg, true).with_storages(Arc::new(Storages::default()));
    let mut out = Vec::new();
    d.feed(S2C, 0, &banner::encode(supported(rev), 0), &mut out);
    let mut stream = banner::encode(supported(rev), 0);
    stream.extend_from_slice(body);
    stream.extend(encode_crc(
        rev,
        &FrameSpec::control(Tag::Ack.raw(), &7u64.to_le_bytes()),
    ));
    let mut off = 0u64;
    for piece in stream.chunks(chunk) {
        let crc = crcs.then(|| crc32c::crc32c(piece));
        d.feed_crc(C2S, off, (piece, crc), &mut out);
        off += piece.len() as u64;
    }
    d.finish(&mut out);
    out.into_iter()
        .filter_map(|(dir, e)| match e {
            Event::Frame(f) if dir == C2S => Some(*f),
            _ => None,
        })
        .collect()
}

/// Byte positions of the front and the data in a MESSAGE frame of
/// [`msg_header2`] and a front of `front_len` bytes (segment 0's CRC
/// follows it in msgr2.1).
fn positions(rev: Rev, front_len: usize) -> (usize, usize) {
    let header = msg_header2(3, 1, 42).len();
    let front_at = 32 + header + if rev == Rev::V1 { 4 } else { 0 };
    (front_at, front_at + front_len)
}

fn segment_checks(f: &Frame) -> Vec<(u64, u32, u32, CheckStatus)> {
    f.checks
        .iter()
        .filter(|c| c.kind != CheckKind::Preamble)
        .map(|c| (c.offset, c.stored, c.computed, c.status))
        .collect()
}

#[test]
fn large_frames_checked_as_they_come_match_their_whole_check() {
    let pat = |n: usize, k: u8| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(k))
            .collect()
    };
    let front = pat(300 << 10, 1);
    let data = pat((1 << 20) + 3, 2);
    let spec = FrameSpec::message(&msg_header2(3, 1, 42), &front, b"", &data);
    for rev in [Rev::V0, Rev::V1] {
        let wire = encode_crc(rev, &spec);
        let (front_at, data_at) = positions(rev, front.len());
        for damaged in [
            None,
            Some(front_at),
            Some(data_at + 500_000),
            Some(data_at + data.len() - 1),
        ] {
            let mut body = wire.clone();
            if let Some(i) = damaged {
                body[i] ^= 0x40;
            }
            let whole = decode(rev, &body, body.len() + 1000);
            for chunk in [1448, 65_483] {
                let got = decode(rev, &body, chunk);
                assert_eq!(got.len(), 2, "{rev:?} {damaged:?} {chunk}");
                assert_eq!(segment_checks(&got[0]), segment_checks(&whole[0]));
                assert_eq!(got[0].problems, whole[0].problems);
                assert_eq!(got[1].tag(), Tag::Ack);
                assert!(got[1].problems.is_empty());
            }
            // What was computed is Ceph's CRC of the bytes as they are.
            let f = &whole[0];
            let front_now = &body[data_at - front.len()..data_at];
            let data_now = &body[data_at..data_at + data.len()];
            let computed: Vec<u32> = segment_checks(f).iter().map(|c| c.2).collect();
            assert!(computed.contains(&ceph_segment_crc(front_now)), "{rev:?}");
            assert!(computed.contains(&ceph_segment_crc(data_now)), "{rev:?}");
            let bad: Vec<_> = f
                .problems
                .iter()
                .filter(|p| p.kind == ProblemKind::SegmentCrcBad)
                .collect();
            assert_eq!(
                bad.len(),
                usize::from(damaged.is_some()),
                "{rev:?} {damaged:?}"
            );
            if damaged.is_some() {
                let c = segment_checks(f)
                    .into_iter()
                    .find(|c| c.3 == CheckStatus::Bad)
                    .unwrap();
                assert_eq!(bad[0].found, format!("{:#010x}", c.1));
                assert_eq!(bad[0].expected, format!("{:#010x}", c.2));
            }
        }
    }
}

/// With `elide_data` (no view shows data bytes), the middle of a large
/// data segment is checked as it arrives and not kept: the checks and the
/// problems are those of the whole frame, a damaged byte in the middle
/// included, whether the pieces come with their CRCs or not (small pieces
/// without theirs are kept); the frame says which bytes it does not hold,
/// and holds every other one.
#[test]
fn elided_middles_are_checked_as_the_whole_frame_is() {
    let data: Vec<u8> = (0..(1 << 20) + 3)
        .map(|i: usize| (i as u8).wrapping_mul(37).wrapping_add(5))
        .collect();
    let front = vec![7u8; 2000];
    let spec = FrameSpec::message(&msg_header2(3, 1, 42), &front, b"", &data);
    let elide = DecoderConfig {
        elide_data: true,
        ..DecoderConfig::default()
    };
    for rev in [Rev::V0, Rev::V1] {
        let wire = encode_crc(rev, &spec);
        let (front_at, data_at) = positions(rev, front.len());
        for damaged in [
            None,
            Some(data_at + 500_000),
            Some(data_at + 10),
            Some(front_at),
        ] {
            let mut body = wire.clone();
            if let Some(i) = damaged {
                body[i] ^= 0x40;
            }
            let whole = decode(rev, &body, body.len() + 1000);
            assert_eq!(whole[0].elided, None);
            for (chunk, crcs) in [(1448, false), (1448, true), (65_483, true), (65_483, false)] {
                let got = decode_with(rev, &body, chunk, elide, crcs);
                let what = format!("{rev:?} {damaged:?} {chunk} {crcs}");
                assert_eq!(got.len(), 2, "{what}");
                let f = &got[0];
                assert_eq!(segment_checks(f), segment_checks(&whole[0]), "{what}");
                assert_eq!(f.problems, whole[0].problems, "{what}");
                assert_eq!(
                    f.problems
                        .iter()
                        .filter(|p| p.kind == ProblemKind::SegmentCrcBad)
                        .count(),
                    usize::from(damaged.is_some()),
                    "{what}"
                );
                // The data segment's bytes in the frame; the first and
                // last 64 KiB of it are kept.
                let seg = f.segments[3].clone();
                assert_eq!(seg.len(), data.len(), "{what}");
                // Small pieces are elided only with their CRCs.
                if chunk < 24 << 10 && !crcs {
                    assert_eq!(f.elided, None, "{what}");
                    assert_eq!(f.segment(3).unwrap(), &body[data_at..data_at + data.len()]);
                    continue;
                }
                let e = f.elided.clone().unwrap_or_else(|| panic!("{what}"));
                assert!(seg.start + (64 << 10) <= e.start, "{what}: {e:?}");
                assert!(e.end + (64 << 10) <= seg.end, "{what}: {e:?}");
                assert!(e.len() > 800 << 10, "{what}: {e:?}");
                if damaged == Some(data_at + 500_000) {
                    assert!(e.contains(&(seg.start + 500_000)), "{what}");
                }
                let now = &body[data_at..data_at + data.len()];
                let (head, tail) = (e.start - seg.start, e.end - seg.start);
                assert_eq!(&f.data[seg.start..e.start], &now[..head], "{what}");
                assert_eq!(&f.data[e.end..seg.end], &now[tail..], "{what}");
                assert!(f.data[e.clone()].iter().all(|&b| b == 0), "{what}");
                assert_eq!(f.segment(1).unwrap(), &body[front_at..data_at], "{what}");
                assert_eq!(got[1].tag(), Tag::Ack);
                assert!(got[1].problems.is_empty());
            }
        }
    }
}

/// Large frames one after the other, each dropped once decoded (as the
/// report of `verify` drops its rows): each grows into the storage the
/// last one left, whose middle must read as zeros again wherever the new
/// frame elides, though the frames differ in length, in where their data
/// segment lies and in what their kept bytes hold. Each frame is checked
/// against a decode of the whole stream without elision.
#[test]
fn frames_one_after_another_reuse_one_storage_and_read_as_their_bytes() {
    let elide = DecoderConfig {
        elide_data: true,
        ..DecoderConfig::default()
    };
    // (front length, data length, byte damaged in the data segment)
    let shapes: [(usize, usize, Option<usize>); 6] = [
        (2000, 1 << 20, None),
        (200, (1 << 20) + 50_000, Some(300_000)),
        (90_000, 700 << 10, None),
        (2000, (1 << 20) - 7, None),
        (40, 3 << 20, Some(5)),
        (2000, 1 << 20, None),
    ];
    for rev in [Rev::V0, Rev::V1] {
        let mut body = Vec::new();
        let mut at = Vec::new();
        for (k, &(front_len, data_len, damaged)) in shapes.iter().enumerate() {
            let front: Vec<u8> = (0..front_len).map(|i| (i + k) as u8).collect();
            let data: Vec<u8> = (0..data_len)
                .map(|i| (i as u8).wrapping_mul(13).wrapping_add(k as u8 * 50 + 1))
                .collect();
            let spec = FrameSpec::message(&msg_header2(3 + k as u64, 1, 42), &front, b"", &data);
            let mut wire = encode_crc(rev, &spec);
            let (_, data_at) = positions(rev, front_len);
            if let Some(d) = damaged {
                wire[data_at + d] ^= 0x08;
            }
            at.push(banner::encode(supported(rev), 0).len() + body.len());
            body.extend(wire);
        }
        let whole = decode(rev, &body, body.len() + 1000);
        assert_eq!(whole.len(), shapes.len() + 1);

        let storages = Arc::new(Storages::default());
        let mut d = ConnDecoder::new(elide, true).with_storages(Arc::clone(&storages));
        let mut out = Vec::new();
        d.feed(S2C, 0, &banner::encode(supported(rev), 0), &mut out);
        let mut stream = banner::encode(supported(rev), 0);
        stream.extend_from_slice(&body);
        let mut off = 0u64;
        let mut seen = 0;
        let mut places = Vec::new();
        for piece in stream.chunks(1448) {
            d.feed_crc(C2S, off, (piece, Some(crc32c::crc32c(piece))), &mut out);
            off += piece.len() as u64;
            for (dir, e) in out.drain(..) {
                let Event::Frame(f) = e else { continue };
                if dir != C2S {
                    continue;
                }
                let w = &whole[seen];
                let what = format!("{rev:?} frame {seen}");
                assert_eq!(f.offset, at[seen] as u64, "{what}");
                assert_eq!(segment_checks(&f), segment_checks(w), "{what}");
                assert_eq!(f.problems, w.problems, "{what}");
                assert_eq!(
                    f.problems
                        .iter()
                        .filter(|p| p.kind == ProblemKind::SegmentCrcBad)
                        .count(),
                    usize::from(shapes[seen].2.is_some()),
                    "{what}"
                );
                let e = f.elided.clone().unwrap_or_else(|| panic!("{what}"));
                assert!(e.len() > 500 << 10, "{what}: {e:?}");
                assert_eq!(f.data.len(), w.data.len(), "{what}");
                assert_eq!(&f.data[..e.start], &w.data[..e.start], "{what}");
                assert_eq!(&f.data[e.end..], &w.data[e.end..], "{what}");
                assert!(f.data[e.clone()].iter().all(|&b| b == 0), "{what}");
                places.push(f.data.as_ptr() as usize);
                seen += 1;
                // The frame goes here, as a row of verify's does.
            }
        }
        assert_eq!(seen, shapes.len(), "{rev:?}");
        // Every frame grew where the one before it had, but the one of
        // 3 MiB: larger than that storage, it has a new one; the next
        // frame takes the smaller one again. Both are kept.
        let first = places[0];
        let same: Vec<bool> = places.iter().map(|&p| p == first).collect();
        assert_eq!(
            same,
            [true, true, true, true, false, true],
            "{rev:?}: {places:x?}"
        );
        let (small, large) = (1_310_720, 3_407_872);
        assert_eq!(storages.memory(), small + large, "{rev:?}");
    }
}

/// Frames still held when the next one comes: each grows into a storage
/// of its own, and all read as their bytes.
#[test]
fn frames_still_held_do_not_share_their_storage() {
    let elide = DecoderConfig {
        elide_data: true,
        ..DecoderConfig::default()
    };
    let mut body = Vec::new();
    let mut datas = Vec::new();
    for k in 0..3u8 {
        let data: Vec<u8> = (0..(1usize << 20))
            .map(|i| (i as u8) ^ k.wrapping_mul(77))
            .collect();
        let spec = FrameSpec::message(&msg_header2(3, 1, 1), &[k; 100], b"", &data);
        body.extend(encode_crc(Rev::V1, &spec));
        datas.push(data);
    }
    let frames = decode_with(Rev::V1, &body, 1448, elide, true);
    assert_eq!(frames.len(), 4);
    let mut places: Vec<usize> = frames[..3]
        .iter()
        .map(|f| f.data.as_ptr() as usize)
        .collect();
    for (f, data) in frames.iter().zip(&datas) {
        let e = f.elided.clone().unwrap();
        let seg = f.segments[3].clone();
        assert_eq!(&f.data[seg.start..e.start], &data[..e.start - seg.start]);
        assert_eq!(&f.data[e.end..seg.end], &data[e.end - seg.start..]);
        assert!(f.data[e].iter().all(|&b| b == 0));
        assert!(f.problems.is_empty());
    }
    places.dedup();
    assert_eq!(places.len(), 3);
}
