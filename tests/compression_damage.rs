//! msgr2 on-wire compression gone wrong: compressed data that does not
//! decompress, claims past the cap, methods with no decoder here, and
//! compressed frames on a connection that negotiated no compression. Each
//! is a registered problem on the frame; nothing panics, nothing large is
//! allocated, and decoding goes on.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use cephshark::analysis::{dissect, Config};
use cephshark::model::ProblemKind;
use cephshark::msgr2::compress::Method;
use cephshark::msgr2::encoder::FrameSpec;
use support::compress_conv::*;

#[test]
fn truncated_compressed_data_is_decompress_failed_naming_the_method() {
    let [_, _, op, _] = real();
    for secure in [false, true] {
        for m in methods() {
            let mut spec = message(&op).compressed(m).unwrap();
            let d = &mut spec.segments[3].0;
            d.truncate(d.len() - 5);
            let recs = converse(secure, Some((true, m.raw())), &[(true, spec)]);
            let r = osd_op_row_or_frame(&recs);
            let p: Vec<_> = r.problems();
            let bad: Vec<_> = p
                .iter()
                .filter(|p| p.kind == ProblemKind::DecompressFailed)
                .collect();
            assert_eq!(bad.len(), 1, "{m} secure={secure}: {p:?}");
            assert!(bad[0]
                .expected
                .starts_with(&format!("{m} data in segment 3")));
            assert_eq!(bad[0].field, "msgr2.segment.data");
            // CRCs / GCM tags are over the compressed bytes and still good.
            assert!(!p
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::SegmentCrcBad | ProblemKind::GcmTagBad)));
            let f = r.frame().unwrap();
            assert!(!f.decompressed() && f.segment(3).is_none());
            assert!(r.msg.is_none(), "{m}: not decoded from compressed bytes");
        }
    }
}

#[test]
fn huge_claimed_sizes_are_refused() {
    let [_, _, op, _] = real();
    // zstd: the le32 length; lz4: an origin length in the block table;
    // snappy: the varint in front of the block.
    type Claim = fn(&mut Vec<u8>);
    let cases: [(Method, Claim, u64); 3] = [
        (
            Method::Zstd,
            |d| d[..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes()),
            0xffff_fff0,
        ),
        (
            Method::Lz4,
            |d| d[4..8].copy_from_slice(&0xfff0_0000u32.to_le_bytes()),
            0xfff0_0000,
        ),
        (
            Method::Snappy,
            |d| {
                let n = d.iter().position(|b| b & 0x80 == 0).unwrap();
                d.splice(..=n, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            },
            0xffff_ffff,
        ),
    ];
    for (m, claim, claimed) in cases {
        let mut spec = message(&op).compressed(m).unwrap();
        claim(&mut spec.segments[3].0);
        let recs = converse(false, Some((true, m.raw())), &[(true, spec)]);
        let r = osd_op_row_or_frame(&recs);
        let p = r.problems();
        let big: Vec<_> = p
            .iter()
            .filter(|p| p.kind == ProblemKind::DecompressTooLong)
            .collect();
        assert_eq!(big.len(), 1, "{m}: {p:?}");
        assert_eq!(big[0].found, format!("{claimed} bytes"), "{m}");
        assert!(!r.frame().unwrap().decompressed());
    }
    // zlib has no claim: output past the cap (here a 64 KiB cap) is refused.
    let zeros = vec![0u8; 200_000];
    let spec = FrameSpec::message(&op[0], &op[1], &[], &zeros)
        .compressed(Method::Zlib)
        .unwrap();
    let mut cfg = Config::default();
    cfg.decoder.max_segment_len = 64 << 10;
    let (pcap, cfg) = capture(false, Some((true, 2)), &[(true, spec)], cfg);
    let mut recs = Vec::new();
    dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap();
    let r = osd_op_row_or_frame(&recs);
    let big: Vec<_> = r
        .problems()
        .into_iter()
        .filter(|p| p.kind == ProblemKind::DecompressTooLong)
        .collect();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].found, format!("{} bytes", (64 << 10) + 1));
}

#[test]
fn brotli_and_unknown_methods_are_unsupported() {
    let [_, _, op, _] = real();
    // Any bytes: an unsupported method's segments are not read.
    let spec = message(&op).compressed(Method::Zstd).unwrap();
    for (id, name) in [(5u32, "brotli"), (9, "UNKNOWN(9)")] {
        let recs = converse(false, Some((true, id)), &[(true, spec.clone())]);
        let r = osd_op_row_or_frame(&recs);
        let p = r.problems();
        let u: Vec<_> = p
            .iter()
            .filter(|p| p.kind == ProblemKind::CompressionUnsupported)
            .collect();
        assert_eq!(u.len(), 1, "{name}: {p:?}");
        assert_eq!(u[0].found, name);
        assert!(!p.iter().any(|p| p.kind == ProblemKind::DecompressFailed));
        assert!(r.msg.is_none());
    }
}

#[test]
fn compressed_frames_without_compression_on_are_reported() {
    let [_, _, op, _] = real();
    let spec = message(&op).compressed(Method::Snappy).unwrap();
    for (done, found) in [
        (None, "no COMPRESSION_DONE in the capture"),
        (Some((false, 0)), "COMPRESSION_DONE with compression off"),
    ] {
        let recs = converse(false, done, &[(true, spec.clone())]);
        let r = osd_op_row_or_frame(&recs);
        let p = r.problems();
        let n: Vec<_> = p
            .iter()
            .filter(|p| p.kind == ProblemKind::CompressionNotNegotiated)
            .collect();
        assert_eq!(n.len(), 1, "{p:?}");
        assert_eq!(n[0].found, found);
        assert!(r.msg.is_none());
    }
}
