//! msgr1 on a real capture of a v1-only Ceph 16.2 cluster
//! (captures/lab-v1.pcap, `scripts/record-lab.sh v1`): every MSG equals
//! what the receiving process logged (`<==` lines of `debug_ms=1`: seq,
//! type, front+middle+data sizes and the footer's three CRCs), every CRC
//! checks, `verify` passes, and a bit flipped in a header, a front, a data
//! part or a footer is found and named by its field. Expected values come
//! from Ceph's logs and msgr.h only.

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::msgr2::{CheckStatus, ProblemKind};
use cephshark::tcp::{ConnId, Direction};
use std::collections::BTreeMap;
use std::path::Path;
use support::capture_conv::read_all;
use support::cephx_nodes::v1_write_op;
use support::flip::{capture, write, Placement};

/// seq, type, front, middle, data, front crc, middle crc, data crc.
type V1Msg = (u64, u16, u32, u32, u32, u32, u32, u32);

fn rows(pcap: &[u8]) -> Vec<Record> {
    let mut recs = Vec::new();
    dissect(pcap, Config::default(), &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    recs
}

fn captured(recs: &[Record]) -> BTreeMap<(ConnId, Direction), Vec<V1Msg>> {
    let mut by_dir: BTreeMap<(ConnId, Direction), Vec<V1Msg>> = BTreeMap::new();
    for r in recs {
        let Some(m) = r.msgr1().and_then(|it| it.msg()) else {
            continue;
        };
        let h = &m.header;
        let f = m
            .footer
            .unwrap_or_else(|| panic!("row {}: no footer", r.number));
        by_dir.entry((r.conn, r.dir)).or_default().push((
            h.seq,
            h.msg_type,
            h.front_len,
            h.middle_len,
            h.data_len,
            f.front_crc,
            f.middle_crc,
            f.data_crc,
        ));
    }
    by_dir
}

#[test]
fn every_msg_equals_ceph_logs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.logs");
    let groups = ceph_logs::received(&dir);
    let expected: Vec<(f64, Vec<V1Msg>)> = groups
        .values()
        .map(|g| {
            let v = g
                .iter()
                .map(|m| {
                    let t = ceph_logs::type_number(&m.name)
                        .unwrap_or_else(|| panic!("no type number for {}", m.name));
                    let (fc, mc, dc) = m.crcs.unwrap_or_else(|| panic!("no crcs: {}", m.text));
                    (m.seq, t, m.sizes.0, m.sizes.1, m.sizes.2, fc, mc, dc)
                })
                .collect();
            (g.first().map_or(0.0, |m| m.time), v)
        })
        .collect();
    let recs = rows(&capture("lab-v1.pcap"));
    let start = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MAX, f64::min);
    let mut used = vec![false; expected.len()];
    let mut matched = 0;
    let mut unmatched = Vec::new();
    for ((conn, d), got) in captured(&recs) {
        let hit = expected
            .iter()
            .enumerate()
            .find(|(i, (_, want))| !used[*i] && *want == got)
            .map(|(i, _)| i);
        match hit {
            Some(i) => {
                used[i] = true;
                matched += got.len();
            }
            None => unmatched.push(((conn, d), got)),
        }
    }
    // A process that closes a connection right after reading its last
    // messages logs only those it dispatched: its log is a prefix of what
    // crossed the wire (the `ceph` command's bootstrap monitor client). A
    // connection open before tcpdump started shows the log's tail
    // (osd.0's monitor session: the osdmap the monitor sent it).
    let (mut prefixes, mut suffixes) = (0, 0);
    for ((conn, d), got) in unmatched {
        let hit = expected.iter().enumerate().find_map(|(i, (t, want))| {
            if used[i] || want.is_empty() {
                None
            } else if got.starts_with(want) {
                Some((i, want.len(), false))
            } else if want.ends_with(&got) && *t < start {
                Some((i, got.len(), true))
            } else {
                None
            }
        });
        let Some((i, n, tail)) = hit else {
            panic!("conn {conn} {d:?}: no log records these messages: {got:?}");
        };
        used[i] = true;
        matched += n;
        if tail {
            suffixes += 1;
        } else {
            prefixes += 1;
        }
    }
    assert_eq!((prefixes, suffixes), (1, 1));
    // Every direction the logs record from after tcpdump started is in the
    // capture; the one left is osd.0's monitor session, open before it
    // (its rows are mid-stream).
    let left: Vec<_> = expected
        .iter()
        .zip(&used)
        .filter(|((t, _), u)| !**u && *t > start)
        .collect();
    assert!(left.is_empty(), "logged but not captured: {left:?}");
    // 26 connections from their banners (52 directions: 217 of their 218
    // messages logged, one read and not dispatched) and the mid-stream one
    // (its one message, the tail of the monitor's log of that session).
    assert_eq!(matched, 218);
    assert_eq!(used.iter().filter(|u| **u).count(), 53);
}

#[test]
fn every_crc_checks_and_verify_passes() {
    let recs = rows(&capture("lab-v1.pcap"));
    let mut checks = 0;
    for r in &recs {
        let Some(it) = r.msgr1() else { continue };
        assert_eq!(r.proto(), "msgr1");
        let kinds: Vec<ProblemKind> = it.problems.iter().map(|p| p.kind).collect();
        assert!(kinds.is_empty(), "row {}: {}", r.number, r.status());
        if it.msg().is_some() {
            // Header, front, middle and data CRCs: all checked, all good
            // (the cluster ran with ms_crc_data and ms_crc_header on).
            assert_eq!(it.checks.len(), 4, "row {}", r.number);
            for c in &it.checks {
                assert_eq!(c.status, CheckStatus::Good, "row {} {:?}", r.number, c.kind);
                assert_eq!(c.stored, c.computed);
            }
            checks += it.checks.len();
        }
    }
    assert_eq!(checks, 4 * 219);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("verify")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.pcap"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("27 msgr1 connections"), "{text}");
}

/// Flip bit `bit` at `at` bytes into the write op's item and return the
/// problems of the damaged capture's rows in that direction.
fn flipped(at: u64, bit: u8) -> Vec<cephshark::msgr2::Problem> {
    let pcap = capture("lab-v1.pcap");
    let recs = rows(&pcap);
    let (r, it) = v1_write_op(&recs);
    let (src, dst) = (r.src.to_string(), r.dst.to_string());
    let mut pkts = read_all(&pcap);
    let hits = Placement::new(&pkts).flip(&mut pkts, (&src, &dst), it.offset + at, bit);
    assert!(hits >= 1);
    rows(&write(&pkts))
        .iter()
        .filter(|x| x.conn == r.conn && x.dir == r.dir)
        .flat_map(Record::problems)
        .collect()
}

#[test]
fn bit_flips_are_named_by_field() {
    let pcap = capture("lab-v1.pcap");
    let recs = rows(&pcap);
    let (_, it) = v1_write_op(&recs);
    let m = it.msg().unwrap_or_else(|| unreachable!());
    let front = m.front.start as u64;
    let data = m.data.start as u64;
    let footer = m.footer_at as u64;
    // msgr.h: the tag byte, then ceph_msg_header; tid is header bytes 8..16,
    // the CRC header bytes 49..53.
    let p = flipped(1 + 9, 0);
    assert_eq!(
        p.first().map(|p| (p.kind, p.field)),
        Some((ProblemKind::Msgr1HeaderCrcBad, "msgr1.header.crc"))
    );
    assert_eq!(p.first().map(|p| p.offset), Some(it.offset + 1 + 49));
    // A front byte: the front CRC in the footer no longer matches.
    let p = flipped(front + 5, 3);
    assert_eq!(
        p.iter().map(|p| (p.kind, p.field)).collect::<Vec<_>>(),
        vec![(ProblemKind::Msgr1CrcBad, "msgr1.footer.front_crc")]
    );
    assert_eq!(p.first().map(|p| p.offset), Some(it.offset + footer));
    // A data byte: the data CRC.
    let p = flipped(data + 4000, 7);
    assert_eq!(
        p.iter().map(|p| (p.kind, p.field)).collect::<Vec<_>>(),
        vec![(ProblemKind::Msgr1CrcBad, "msgr1.footer.data_crc")]
    );
    // The footer's stored front CRC itself: found is the damaged value.
    let stored = m.footer.map(|f| f.front_crc).unwrap_or_default();
    let p = flipped(footer, 0);
    assert_eq!(
        p.iter().map(|p| (p.kind, p.field)).collect::<Vec<_>>(),
        vec![(ProblemKind::Msgr1CrcBad, "msgr1.footer.front_crc")]
    );
    assert_eq!(
        p.first().map(|p| p.found.clone()),
        Some(format!("{:#010x}", stored ^ 1))
    );
    assert_eq!(
        p.first().map(|p| p.expected.clone()),
        Some(format!("{stored:#010x}"))
    );
}

#[test]
fn cephx_authorizers_name_the_clients_the_osd_logged() {
    use cephshark::msgr1::Body;
    let recs = rows(&capture("lab-v1.pcap"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.logs");
    let osd: Vec<String> = ceph_logs::received(&dir)
        .into_iter()
        .filter(|((file, _, _), _)| file.starts_with("osd.0"))
        .flat_map(|(_, g)| g.into_iter().map(|m| m.text))
        .collect();
    let mut seen = 0;
    let mut conns = std::collections::BTreeSet::new();
    for r in &recs {
        let Some(Body::Connect(c, _, Some(a))) = r.msgr1().map(|it| &it.body) else {
            continue;
        };
        // CEPH_AUTH_CEPHX for CEPH_ENTITY_TYPE_OSD (4).
        assert_eq!((c.authorizer_protocol, a.service_id.v), (2, 4));
        let id = a.global_id.v;
        // Each osd_op on that connection comes from that client, as the
        // OSD logged it (`osd_op(client.4115.0:1 ...`).
        let ops: Vec<u64> = recs
            .iter()
            .filter(|x| x.conn == r.conn && x.dir == r.dir)
            .filter_map(|x| x.msgr1()?.msg())
            .filter(|m| m.header.msg_type == 42)
            .map(|m| m.header.src_num)
            .collect();
        assert!(
            !ops.is_empty() && ops.iter().all(|n| *n == id),
            "{ops:?} vs {id}"
        );
        let name = format!("osd_op(client.{id}.0:1 ");
        assert!(osd.iter().any(|t| t.starts_with(&name)), "{name}");
        seen += 1;
        conns.insert(r.conn);
    }
    // One OSD session per rados command that touched an object: two puts,
    // two gets, two stats (the `ceph` command talks to the monitor only);
    // each connects twice, the first answered CHALLENGE_AUTHORIZER
    // (ProtocolV1.cc handle_connect_message_2).
    assert_eq!((conns.len(), seen), (6, 12));
}
