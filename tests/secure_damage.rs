//! Damage to the first secure frame of a direction in the real secure
//! capture: that frame alone is flagged, the key is still found, and every
//! other row comes out as in the undamaged capture.

mod support;

use cephshark::analysis::{dissect, Config, KeyStatus, Record, RecordKind};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{Mode, ProblemKind};
use std::sync::Arc;
use support::capture_conv::{read_all, OwnedPacket};
use support::flip::{capture, write, Placement};

fn config() -> Config {
    let text = String::from_utf8(capture("cephx-secure.keys")).unwrap_or_else(|e| panic!("{e}"));
    Config {
        keys: Some(Arc::new(
            KeyLog::parse(&text).unwrap_or_else(|e| panic!("{e}")),
        )),
        ..Config::default()
    }
}

/// A row as (src, dst, offset, len, tag, status, segment lengths, plaintext).
type Row = (String, String, u64, u64, String, String, [u32; 4], Vec<u8>);

fn row(r: &Record) -> Row {
    let (off, len) = r.range();
    (
        r.src.to_string(),
        r.dst.to_string(),
        off,
        len,
        r.tag_name(),
        r.status(),
        r.segment_lens(),
        r.frame().map(|f| f.data.to_vec()).unwrap_or_default(),
    )
}

fn rows(pcap: &[u8]) -> (Vec<Record>, cephshark::analysis::Summary) {
    let mut recs = Vec::new();
    let s = dissect(pcap, config(), &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    (recs, s)
}

/// Flip bit `bit` of the byte at stream offset `at` of the direction
/// `src -> dst`, in every packet that carries it.
fn flip(pkts: &mut [OwnedPacket], src: &str, dst: &str, at: u64, bit: u8) -> usize {
    Placement::new(pkts).flip(pkts, (src, dst), at, bit)
}

#[test]
fn a_damaged_first_secure_frame_costs_only_that_frame() {
    let pkts = read_all(&capture("cephx-secure.pcap"));
    let (recs, _) = rows(&write(&pkts));
    // Rows by direction and offset: a damaged frame's row comes once the
    // next frame is found, after rows of the other direction.
    let sorted = |recs: &[Record]| {
        let mut v: Vec<Row> = recs.iter().map(row).collect();
        v.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        v
    };
    let want = sorted(&recs);
    assert!(recs.iter().all(|r| !r.is_faulty()));
    // The first secure frame of each direction of the first connections.
    let mut firsts: Vec<&Record> = Vec::new();
    for r in &recs {
        let secure = r.frame().is_some_and(|f| f.mode == Mode::Secure);
        if secure && !firsts.iter().any(|f| f.conn == r.conn && f.dir == r.dir) {
            firsts.push(r);
        }
    }
    let conns: Vec<_> = firsts.iter().map(|r| r.conn).collect();
    let picked: Vec<&&Record> = firsts
        .iter()
        .filter(|r| {
            conns
                .iter()
                .position(|c| *c == r.conn)
                .is_some_and(|i| i < 6)
        })
        .take(4)
        .collect();
    assert_eq!(picked.len(), 4);
    // (byte within the frame, bit, the problem it gives): the preamble, the
    // inline part of segment 0, the first operation's tag.
    let spots = [
        (5u64, 3u8, ProblemKind::PreambleCrcBad),
        (40, 0, ProblemKind::GcmTagBad),
        (90, 7, ProblemKind::GcmTagBad),
        // The last byte of the first operation's plaintext: padding after
        // a short segment 0. Unverified plaintext gets no padding verdict:
        // the tag alone is reported.
        (79, 2, ProblemKind::GcmTagBad),
    ];
    for target in picked {
        let (off, len) = target.range();
        assert!(target.segment_lens()[0] < 47, "{:?}", target.segment_lens());
        let (src, dst) = (target.src.to_string(), target.dst.to_string());
        for (pos, bit, kind) in spots {
            let what = format!("{src}->{dst} frame at {off}: byte {pos}");
            let mut damaged = pkts.clone();
            assert_eq!(flip(&mut damaged, &src, &dst, off + pos, bit), 1, "{what}");
            let (got_recs, summary) = rows(&write(&damaged));
            let got = sorted(&got_recs);
            assert_eq!(got.len(), want.len(), "{what}");
            for (g, w) in got.iter().zip(&want) {
                if (&w.0, &w.1, w.2) == (&src, &dst, off) {
                    // That frame, flagged with exactly the damage. A
                    // damaged preamble's row starts at the CRC it fails
                    // (bytes 28..32) and runs to the next frame.
                    let skip = if kind == ProblemKind::PreambleCrcBad {
                        28
                    } else {
                        0
                    };
                    assert_eq!((g.2, g.3), (off + skip, len - skip), "{what}");
                    assert_eq!(g.5, kind.name(), "{what}");
                } else {
                    assert_eq!(g, w, "{what}");
                }
            }
            assert!(
                got_recs.iter().all(|r| !matches!(&r.kind,
                    RecordKind::Undecoded(p) if p.kind == ProblemKind::NoKey)),
                "{what}"
            );
            let conn = &summary.conns[&target.conn];
            assert!(
                conn.keys.iter().all(|k| matches!(k, KeyStatus::Opened(_))),
                "{what}: {:?}",
                conn.keys
            );
        }
    }
}

#[test]
fn a_damaged_last_frame_is_named_not_called_a_loss() {
    let pkts = read_all(&capture("cephx-secure.pcap"));
    let (recs, _) = rows(&write(&pkts));
    // The last secure frame of the first direction that has one.
    let first = recs
        .iter()
        .find(|r| r.frame().is_some_and(|f| f.mode == Mode::Secure))
        .unwrap_or_else(|| panic!("no secure frame"));
    let last = recs
        .iter()
        .rfind(|r| r.conn == first.conn && r.dir == first.dir)
        .unwrap_or_else(|| panic!("no row"));
    let (off, len) = last.range();
    let (src, dst) = (last.src.to_string(), last.dst.to_string());
    let mut damaged = pkts.clone();
    assert_eq!(flip(&mut damaged, &src, &dst, off + 9, 4), 1);
    let (got, _) = rows(&write(&damaged));
    let mine: Vec<&Record> = got
        .iter()
        .filter(|r| r.conn == first.conn && r.dir == first.dir)
        .collect();
    let tail = mine.last().unwrap_or_else(|| panic!("no row"));
    assert_eq!(tail.range(), (off + 28, len - 28));
    let RecordKind::Undecoded(p) = &tail.kind else {
        panic!("{:?}", tail.kind)
    };
    assert_eq!(p.kind, ProblemKind::PreambleCrcBad);
    assert_eq!(p.field, "msgr2.preamble.crc");
    assert!(p.found.ends_with(" (decrypted)"), "{}", p.found);
    assert!(
        p.expected.starts_with("0x") && p.expected.len() == 10,
        "{}",
        p.expected
    );
    assert_eq!(
        got.iter().filter(|r| r.status() != "ok").count(),
        1,
        "no secure_sync_lost, nothing else flagged"
    );
    assert_eq!(got.len(), recs.len());
}
