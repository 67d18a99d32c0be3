//! Data segments checked without being kept: when no view shows a data
//! segment's bytes (verify, `-q` statistics without a filter on bytes),
//! the middle of a large crc-mode data segment is folded into its CRC as
//! it passes and not copied. What is reported must be exactly what a
//! decoder that keeps every byte reports, a damaged byte in that middle
//! included, with one thread or two (where the reader computes each
//! packet's CRC) and with the file read in place.
//!
//! none-crc.pcap and cephx-crc.pcap each hold a write of 3,000,000 bytes and
//! its read back, as their logs say (captures/*.logs: the OSD's `osd_op(...)
//! v8 ==== 212+0+3000000`, the client's `osd_op_reply(1 big [read
//! 0~3000000 out=3000000b] ...) v8 ==== 147+0+3000000`): two data segments
//! far larger than the 64 KiB kept at each end of one.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::capture::{parse_tcp, LinkType};
use cephshark::msgr2::{CheckKind, CheckStatus, ProblemKind};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::capture_conv::{read_all, OwnedPacket};
use support::flip::{capture, write, Placement};

fn rows(pcap: &[u8], elide: bool) -> Vec<Record> {
    let mut cfg = Config::default();
    cfg.decoder.elide_data = elide;
    let mut recs = Vec::new();
    dissect(pcap, cfg, &mut |r| recs.push(r)).unwrap();
    recs
}

/// Ceph's segment CRC: the Castagnoli register seeded with -1, no final
/// inversion (frames_v2.cc `bufferlist::crc32c(-1)`).
fn ceph_segment_crc(bytes: &[u8]) -> u32 {
    !crc32c::crc32c_append(!0xFFFF_FFFF, bytes)
}

/// The rows of frames with a data segment over 1 MiB.
fn large(recs: &[Record]) -> Vec<&Record> {
    recs.iter()
        .filter(|r| r.frame().is_some_and(|f| f.segments[3].len() > 1 << 20))
        .collect()
}

/// The logged data lengths: 3,000,000 each.
const LOGGED: usize = 3_000_000;

fn cephshark(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

/// The captures' large data segments are elided, every row is the same
/// as with every byte kept (checks, problems, decoded fields, summary).
#[test]
fn elided_rows_are_the_rows_of_a_whole_decode() {
    for name in ["none-crc.pcap", "cephx-crc.pcap"] {
        let pcap = capture(name);
        let (whole, elided) = (rows(&pcap, false), rows(&pcap, true));
        assert_eq!(whole.len(), elided.len(), "{name}");
        assert_eq!(large(&whole).len(), 2, "{name}");
        for r in large(&whole) {
            assert_eq!(r.frame().unwrap().segments[3].len(), LOGGED, "{name}");
        }
        for (a, b) in whole.iter().zip(&elided) {
            assert_eq!(a.range(), b.range(), "{name}");
            assert_eq!(a.problems(), b.problems(), "{name}");
            assert_eq!(a.info(), b.info(), "{name}");
            if let (Some(fa), Some(fb)) = (a.frame(), b.frame()) {
                assert_eq!(fa.checks, fb.checks, "{name}");
            }
        }
        for r in large(&elided) {
            let f = r.frame().unwrap();
            let e = f.elided.clone().unwrap();
            // All but the 64 KiB kept at each end, in whole packets (of
            // at most 64 KiB on this loopback).
            assert!(e.len() > LOGGED - (256 << 10), "{name}: {e:?}");
            assert!(f.segments[3].start + (64 << 10) <= e.start, "{name}");
            assert!(e.end + (64 << 10) <= f.segments[3].end, "{name}");
            assert_eq!(
                f.checks
                    .iter()
                    .filter(|c| c.status == CheckStatus::Bad)
                    .count(),
                0
            );
        }
        assert!(whole
            .iter()
            .filter_map(|r| r.frame())
            .all(|f| f.elided.is_none()));
    }
}

/// A byte flipped in the middle of each 4 MiB data segment: verify reports
/// the data segment's CRC as bad, the CRC found being the one the sender
/// wrote and the one expected Ceph's CRC of the damaged bytes, exactly as
/// when every byte is kept (a filter on bytes keeps them); the same with
/// `-j 2` and `--mmap`, and the statistics agree.
#[test]
fn a_damaged_middle_is_reported_as_when_kept() {
    let name = "none-crc.pcap";
    let mut pkts = read_all(&capture(name));
    let clean = rows(&write(&pkts), false);
    let place = Placement::new(&pkts);
    let mut want = Vec::new();
    for r in large(&clean) {
        let f = r.frame().unwrap();
        let seg = f.segments[3].clone();
        let mid = seg.start + seg.len() / 2 + 7;
        let at = f.stream_offset(mid);
        let (src, dst) = (r.src.to_string(), r.dst.to_string());
        assert!(place.flip(&mut pkts, (&src, &dst), at, 3) >= 1);
        let mut data = f.data[seg.clone()].to_vec();
        data[mid - seg.start] ^= 1 << 3;
        let stored = f
            .checks
            .iter()
            .find(|c| c.kind == CheckKind::Segment(3))
            .unwrap()
            .stored;
        want.push((
            format!("{:#010x}", ceph_segment_crc(&data)),
            format!("{stored:#010x}"),
        ));
    }
    assert_eq!(want.len(), 2);
    let pcap = write(&pkts);
    // The library: the same problems, kept or elided.
    let (whole, elided) = (rows(&pcap, false), rows(&pcap, true));
    for (a, b) in large(&whole).iter().zip(large(&elided)) {
        assert!(b.frame().unwrap().elided.is_some());
        assert_eq!(a.problems(), b.problems());
        let bad: Vec<_> = b
            .problems()
            .iter()
            .filter(|p| p.kind == ProblemKind::SegmentCrcBad)
            .map(|p| (p.expected.clone(), p.found.clone()))
            .collect();
        assert_eq!(bad.len(), 1);
        assert!(want.contains(&bad[0]), "{bad:?} {want:?}");
    }
    // The command line, on the capture as recorded (64 KiB packets) and
    // cut into packets of at most 1448 bytes, as on a 1500-byte MTU (where
    // a second thread computes each payload's CRC for the decoder).
    for (label, bytes) in [("64k", pcap.clone()), ("mtu", write(&mtu_1500(&pkts)))] {
        let path: PathBuf =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("elide-{label}.pcap"));
        std::fs::write(&path, &bytes).unwrap();
        command_line_agrees(path.to_str().unwrap(), &want);
        let _ = std::fs::remove_file(&path);
    }
}

/// verify with every byte kept (a filter on bytes), then elided with one
/// and two threads and read in place: the same report, whose bad data
/// segment CRCs are `want`; and the statistics agree.
fn command_line_agrees(file: &str, want: &[(String, String)]) {
    let kept = cephshark(&["verify", "-j", "1", "-Y", "not ceph.trailing", file]);
    assert_eq!(kept.0, 1, "{}", kept.1);
    let lines: Vec<&str> = kept
        .1
        .lines()
        .filter(|l| l.contains("segment_crc_bad"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", kept.1);
    for (l, (expected, found)) in lines.iter().zip(want) {
        assert!(
            l.contains(&format!("expected {expected}, found {found}")),
            "{l}"
        );
    }
    for extra in [&["-j", "1"][..], &["-j", "2"], &["-j", "2", "--mmap"]] {
        let mut args = vec!["verify"];
        args.extend_from_slice(extra);
        args.push(file);
        assert_eq!(cephshark(&args), kept, "{file} {extra:?}");
        let stats = |filter: Option<&str>| {
            let mut a = vec!["-r", file, "-q", "-z", "conv", "-z", "msgs", "-z", "errors"];
            a.extend_from_slice(extra);
            if let Some(f) = filter {
                a.extend(["-Y", f]);
            }
            let (code, out) = cephshark(&a);
            (
                code,
                out.replace("Filter: not ceph.trailing", "Filter: <No Filter>"),
            )
        };
        assert_eq!(
            stats(None),
            stats(Some("not ceph.trailing")),
            "{file} {extra:?}"
        );
    }
}

/// Each Ethernet/IPv4 TCP packet cut into packets of at most 1448 bytes of
/// payload (IPv4 total length and TCP sequence number adjusted).
fn mtu_1500(pkts: &[OwnedPacket]) -> Vec<OwnedPacket> {
    const MSS: usize = 1448;
    let mut out = Vec::new();
    for p in pkts {
        let t = parse_tcp(p.link, &p.data).unwrap();
        let Some(t) = t.filter(|t| t.payload.len() > MSS) else {
            out.push(p.clone());
            continue;
        };
        assert_eq!(p.link, LinkType::ETHERNET);
        assert_eq!(&p.data[12..14], &[0x08, 0x00]);
        let ihl = usize::from(p.data[14] & 0x0f) * 4;
        let head = &p.data[..t.payload_offset];
        for (k, piece) in t.payload.chunks(MSS).enumerate() {
            let mut d = head.to_vec();
            let total = (t.payload_offset - 14 + piece.len()) as u16;
            d[16..18].copy_from_slice(&total.to_be_bytes());
            let seq = t.seq.wrapping_add((k * MSS) as u32);
            d[14 + ihl + 4..14 + ihl + 8].copy_from_slice(&seq.to_be_bytes());
            d.extend_from_slice(piece);
            out.push(OwnedPacket {
                origlen: d.len() as u32,
                data: d,
                ..p.clone()
            });
        }
    }
    out
}
