//! Unit tests of `frame.rs`: on-wire lengths, late bytes, and a real
//! frame's layout parsed from every prefix.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::msgr2::preamble::{encode, SegmentDesc};

fn pre(lens: &[u32]) -> Preamble {
    let segs: Vec<_> = lens
        .iter()
        .map(|&len| SegmentDesc { len, align: 8 })
        .collect();
    Preamble::parse(&encode(17, &segs, 0)).unwrap_or_else(|| unreachable!())
}

// RESEARCH.md A4 on-wire length table (test_frames_v2.cc round_trip_instances).
#[test]
fn onwire_lengths() {
    let cases: &[(&[u32], u64, u64)] = &[
        (&[0], 32 + 17, 32),
        (&[0, 0, 0, 303], 32 + 303 + 17, 32 + 303 + 13),
        (&[0, 101], 32 + 101 + 17, 32 + 101 + 13),
        (&[1], 32 + 1 + 17, 32 + 5),
        (&[48], 32 + 48 + 17, 32 + 52),
        (&[49], 32 + 49 + 17, 32 + 53),
        (
            &[49, 0, 202, 303],
            32 + 49 + 202 + 303 + 17,
            32 + 53 + 202 + 303 + 13,
        ),
    ];
    for (lens, rev0, rev1) in cases {
        let p = pre(lens);
        assert_eq!(crc_layout(&p, Rev::V0).total, *rev0, "{lens:?}");
        assert_eq!(crc_layout(&p, Rev::V1).total, *rev1, "{lens:?}");
        // The parser walks the same layout the arithmetic gives.
        for rev in [Rev::V0, Rev::V1] {
            let layout = crc_layout(&p, rev);
            let wire = vec![0u8; layout.total as usize + 3];
            let (rest, parts) = crc_frame(&p, rev)(&wire).unwrap();
            assert_eq!(rest.len(), 3);
            assert_eq!(parts.total as u64, layout.total);
            assert_eq!(parts.segments, layout.segments.clone().map(|r| urange(&r)));
            assert_eq!(
                parts.seg0_crc.map(|(at, _)| at as u64),
                layout.seg0_crc.map(|r| r.start)
            );
            assert_eq!(
                parts.epilogue.map(|(at, _)| at as u64),
                layout.epilogue.map(|r| r.start)
            );
        }
    }
}

fn urange(r: &Range<u64>) -> Range<usize> {
    r.start as usize..r.end as usize
}

// The client's first MESSAGE frame in captures/none-crc.pcap (packet
// 26, 42644 -> 43500, client stream offset 614): msgr2.1, header 41
// bytes, front 29 (a mon_subscribe), no middle, no data.
const REAL_MESSAGE: [u8; 119] = [
    0x11, 0x02, 0x29, 0x00, 0x00, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfb, 0x0c, 0x16, 0xb4,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0f, 0x00, 0x7f, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x40, 0x88, 0x9b, 0x55, 0x01, 0x00, 0x00,
    0x00, 0x06, 0x00, 0x00, 0x00, 0x6d, 0x67, 0x72, 0x6d, 0x61, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x76, 0x6d, 0x0e, 0x2e, 0x60, 0x64, 0x1e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

#[test]
fn real_message_frame() {
    let (_, p) = preamble::preamble(&REAL_MESSAGE).unwrap();
    assert!(p.crc_ok());
    assert_eq!(
        (p.tag, p.nseg(), p.seg_len(0), p.seg_len(1)),
        (Tag::Message, 2, 41, 29)
    );
    let (rest, parts) = crc_frame(&p, Rev::V1)(&REAL_MESSAGE).unwrap();
    assert!(rest.is_empty());
    assert_eq!(parts.segments, [32..73, 77..106, 106..106, 106..106]);
    assert_eq!(parts.seg0_crc, Some((73, 0x559b_8840)));
    let (e_at, e) = parts.epilogue.unwrap();
    assert_eq!((e_at, e.late), (106, LATE_STATUS_COMPLETE));
    assert_eq!(e.crcs, [None, Some(0x1e64_602e), Some(0), Some(0)]);
    assert_eq!(parts.total, 119);
    assert_eq!(parts.stored_crc(Rev::V1, 0), Some((73, 0x559b_8840)));
    assert_eq!(parts.stored_crc(Rev::V1, 1), Some((107, 0x1e64_602e)));
    assert_eq!(parts.stored_crc(Rev::V1, 3), Some((115, 0)));
    // Until the whole frame is in, the parser asks for exactly the rest.
    for n in 0..REAL_MESSAGE.len() {
        assert_eq!(
            crc_frame(&p, Rev::V1)(&REAL_MESSAGE[..n]),
            Err(nom::Err::Incomplete(nom::Needed::new(119 - n))),
            "prefix {n}"
        );
    }
    let f = decode_crc(p, Rev::V1, 614, &parts, Bytes::from_static(&REAL_MESSAGE));
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!((f.offset, f.wire_len), (614, 119));
    let got: Vec<_> = f
        .checks
        .iter()
        .map(|c| (c.kind, c.offset, c.stored, c.status))
        .collect();
    assert_eq!(
        got,
        [
            (CheckKind::Preamble, 642, 0xb416_0cfb, CheckStatus::Good),
            (CheckKind::Segment(0), 687, 0x559b_8840, CheckStatus::Good),
            (CheckKind::Segment(1), 721, 0x1e64_602e, CheckStatus::Good),
            (CheckKind::Segment(2), 725, 0, CheckStatus::Good),
            (CheckKind::Segment(3), 729, 0, CheckStatus::Good),
        ]
    );
    assert_eq!(
        f.late,
        Some(Late {
            value: 0x0e,
            offset: 720,
            aborted: false
        })
    );
    assert_eq!(f.segment_offsets, [646, 691, 720, 720]);
    assert_eq!(f.segment(1).map(<[u8]>::len), Some(29));
}

#[test]
fn late_rules() {
    assert_eq!(judge_late(Rev::V1, 0x0e), (false, None));
    assert_eq!(judge_late(Rev::V1, 0x01), (true, None));
    assert_eq!(
        judge_late(Rev::V1, 0x1e),
        (false, Some(ProblemKind::LateReservedBits))
    );
    assert_eq!(
        judge_late(Rev::V1, 0x00),
        (false, Some(ProblemKind::LateStatusBad))
    );
    assert_eq!(
        judge_late(Rev::V1, 0x0f),
        (false, Some(ProblemKind::LateStatusBad))
    );
    assert_eq!(judge_late(Rev::V0, 0x00), (false, None));
    assert_eq!(judge_late(Rev::V0, 0x01), (true, None));
    assert_eq!(
        judge_late(Rev::V0, 0x02),
        (false, Some(ProblemKind::LateReservedBits))
    );
}
