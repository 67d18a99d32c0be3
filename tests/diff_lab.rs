//! `diff` on a real two-point capture (`scripts/record-twopoint.sh`,
//! captures/README.md): a client's traffic to a Ceph 16.2 cluster captured
//! before (A) and after (B) a router that set byte 100 of the TCP payload
//! of one in 40 of the client's larger packets to 0x5a. The damaged bytes
//! are found here on their own, by comparing the two captures' TCP
//! payloads packet by packet; `diff` must report exactly the frames that
//! hold them, each at its first damaged byte, and nothing else. The OSD's
//! log says the same of the frames it received: one `bad segment crc` line
//! per damaged frame, with the CRC stored and the one it computed.

mod support;

use cephshark::analysis::diff::{FindingKind, DEFAULT_HELD_BYTES};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::capture::parse_tcp;
use cephshark::cli::diff::compare_captures;
use cephshark::msgr2::{CheckKind, CheckStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use support::capture_conv::read_all;
use support::flip::capture;

/// `(src, dst)` as text.
type Dir = (String, String);

/// Every payload byte's value by direction and stream offset (from the
/// direction's SYN), and for B the packets holding a byte A has otherwise.
fn payloads(pcap: &[u8]) -> HashMap<Dir, BTreeMap<u64, Vec<u8>>> {
    let mut isn: HashMap<Dir, u32> = HashMap::new();
    let mut out: HashMap<Dir, BTreeMap<u64, Vec<u8>>> = HashMap::new();
    for p in read_all(pcap) {
        let t = parse_tcp(p.link, &p.data)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("not TCP"));
        let key = (t.src.to_string(), t.dst.to_string());
        if t.flags.syn {
            isn.insert(key.clone(), t.seq.wrapping_add(1));
        }
        if t.payload.is_empty() {
            continue;
        }
        let s = *isn
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} without SYN"));
        let at = u64::from(t.seq.wrapping_sub(s));
        // Every copy of a segment, retransmissions too, kept by offset.
        out.entry(key)
            .or_default()
            .entry(at)
            .or_insert_with(|| t.payload.to_vec());
    }
    out
}

fn rows(pcap: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(pcap, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

/// `(stored, calculated)` of each `bad segment crc` line of the OSD's log
/// (ProtocolV2::handle_read_frame_epilogue_main, at debug_ms 1).
fn osd_bad_crcs() -> BTreeSet<(u32, u32)> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(&capture("lab-twopoint.logs/osd.0.log.gz")[..])
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .filter_map(|l| {
            l.split_once("bad segment crc calculated=")?
                .1
                .split_once(" expected=")
        })
        .map(|(calc, exp)| (exp.trim().parse().unwrap(), calc.trim().parse().unwrap()))
        .collect()
}

#[test]
fn diff_reports_exactly_the_frames_the_router_damaged() {
    let (a, b) = (
        capture("lab-twopoint-a.pcap"),
        capture("lab-twopoint-b.pcap"),
    );
    // The damaged bytes, from the packets: same segments at both points
    // (nothing was dropped), some bytes different.
    let (pa, pb) = (payloads(&a), payloads(&b));
    assert_eq!(pa.keys().collect::<BTreeSet<_>>(), pb.keys().collect());
    let mut damaged: BTreeMap<Dir, Vec<u64>> = BTreeMap::new();
    let mut packets = 0;
    for (dir, segs) in &pb {
        let theirs = &pa[dir];
        assert_eq!(
            segs.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
        for (at, bytes) in segs {
            let orig = &theirs[at];
            assert_eq!(orig.len(), bytes.len());
            let diffs: Vec<u64> = (0..bytes.len())
                .filter(|&i| bytes[i] != orig[i])
                .map(|i| at + i as u64)
                .collect();
            if !diffs.is_empty() {
                packets += 1;
                // Byte 100 of the payload, set to 0x5a: the router's rule.
                assert_eq!(diffs, [at + 100]);
                assert_eq!(bytes[100], 0x5a);
                damaged.entry(dir.clone()).or_default().push(at + 100);
            }
        }
    }
    // The router's counter (lab-twopoint.events) counted 13 rewrites.
    assert_eq!(packets, 13);
    // The frames of A holding damaged bytes, each with its first one.
    let ra = rows(&a);
    let mut expected: BTreeSet<(Dir, u64, u64)> = BTreeSet::new();
    for (dir, offsets) in &damaged {
        for at in offsets {
            let frame = ra
                .iter()
                .filter(|r| (r.src.to_string(), r.dst.to_string()) == *dir)
                .find(|r| {
                    let (o, l) = r.range();
                    (o..o + l).contains(at)
                });
            let Some(frame) = frame else {
                continue;
            };
            let (o, _) = frame.range();
            let first = offsets.iter().copied().filter(|x| *x >= o).min().unwrap();
            expected.insert((dir.clone(), o, first));
        }
    }
    assert!(!expected.is_empty());

    let report = compare_captures(&a[..], &b[..], &Config::default(), DEFAULT_HELD_BYTES)
        .unwrap_or_else(|e| panic!("{e}"));
    let found: BTreeSet<(Dir, u64, u64)> = report
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.kind, FindingKind::Differs);
            assert_eq!(f.verdict(), "corrupted in transit: A verifies, B does not");
            let (c, s) = (f.conn.client.to_string(), f.conn.server.to_string());
            let dir = match f.dir {
                cephshark::tcp::Direction::ClientToServer => (c, s),
                cephshark::tcp::Direction::ServerToClient => (s, c),
            };
            let first = f.first.unwrap_or_else(|| panic!("first byte"));
            assert_eq!(first.b, Some(0x5a));
            (dir, f.a.as_ref().unwrap().offset, first.stream_offset)
        })
        .collect();
    assert_eq!(found, expected);
    assert_eq!(report.findings.len(), expected.len());

    // Ceph's own verdict on those frames: the OSD logged one bad segment
    // CRC per damaged frame, with the stored and the computed CRC.
    let rb = rows(&b);
    let bad: BTreeSet<(u32, u32)> = report
        .findings
        .iter()
        .map(|f| {
            let row = f.b.as_ref().unwrap().row;
            let r = rb.iter().find(|r| r.number == row).unwrap();
            let c = r
                .frame()
                .unwrap()
                .checks
                .iter()
                .find(|c| c.status == CheckStatus::Bad)
                .unwrap_or_else(|| panic!("a bad check"));
            assert!(matches!(c.kind, CheckKind::Segment(_)));
            (c.stored, c.computed)
        })
        .collect();
    assert_eq!(bad, osd_bad_crcs());
    assert_eq!(bad.len(), report.findings.len());

    // Same clock at both points: a tiny offset, delays of microseconds.
    let o = report.summary.delays.offset.unwrap();
    assert!(o.offset_ns.abs() < 1_000_000, "{o:?}");
    assert!(o.from_handshakes);
}

/// A against itself: no difference. B against itself: the damaged
/// frames are the same on both sides and verify on neither, which is how
/// frames sent wrong look.
#[test]
fn each_point_against_itself() {
    let a = capture("lab-twopoint-a.pcap");
    let r = compare_captures(&a[..], &a[..], &Config::default(), DEFAULT_HELD_BYTES)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.same());
    assert_eq!(
        (r.summary.conns_both, r.summary.identical),
        (25, r.summary.matched)
    );
    let b = capture("lab-twopoint-b.pcap");
    let r = compare_captures(&b[..], &b[..], &Config::default(), DEFAULT_HELD_BYTES)
        .unwrap_or_else(|e| panic!("{e}"));
    let rows_b = rows(&b);
    let bad: Vec<u64> = rows_b
        .iter()
        .filter(|r| r.status() == "segment_crc_bad")
        .map(|r| r.number)
        .collect();
    assert_eq!(bad.len(), osd_bad_crcs().len());
    let sent_wrong: Vec<u64> = r
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.kind, FindingKind::SentWrong);
            assert_eq!(
                f.verdict(),
                "sent wrong: same bytes in A and B, neither verifies"
            );
            f.a.as_ref().unwrap().row
        })
        .collect();
    let mut sorted = sent_wrong.clone();
    sorted.sort();
    assert_eq!(sorted, bad);
}
