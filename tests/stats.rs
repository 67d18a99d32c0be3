//! `-z` statistics against ground truth: message counts per type equal the
//! `<==` lines of Ceph's own logs for the captured connections, every
//! osd_op is paired with its reply (as many pairs as the clients logged
//! osd_op_reply lines), and the other tables agree with the rows.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;

use cephshark::analysis::stats::{StatKind, Stats};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::msgr2::keys::KeyLog;
use cephshark::tcp::{ConnId, Direction};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn config(name: &str) -> Config {
    match std::fs::read_to_string(dir().join(format!("{name}.keys"))) {
        Ok(text) => Config {
            keys: Some(Arc::new(KeyLog::parse(&text).unwrap())),
            ..Config::default()
        },
        Err(_) => Config::default(),
    }
}

fn rows(name: &str) -> Vec<Record> {
    let bytes = std::fs::read(dir().join(format!("{name}.pcap"))).unwrap();
    let mut out = Vec::new();
    let s = dissect(&bytes[..], config(name), &mut |r| out.push(r)).unwrap();
    assert!(s.read_error.is_none());
    out
}

/// Log lines and packets share the clock; a line is logged within a few
/// milliseconds of its frame.
const SLACK: f64 = 0.05;

type Key = (ConnId, Direction);

/// How a captured direction matched a log group: messages covered, whether
/// they are the direction's last (a tail) rather than its first, the covered
/// lines' type names, and the group (log file, connection pointer, first
/// message's seq and time).
struct Matched {
    n: usize,
    from_end: bool,
    names: Vec<String>,
    file: String,
    con: String,
    first: (u64, f64),
}

/// Match each captured direction to the log group that recorded its
/// messages (as tests/ground_truth.rs does): exactly, as the log's tail
/// for a capture that began mid-connection, or as a prefix for a process
/// that closed before logging its last messages. Returns, per direction,
/// how many of its messages (from the start, or from the end for a tail)
/// the log covers, and the covered log lines' type names.
/// A captured message: seq, type, front/middle/data lengths, time.
type CapMsg = (u64, u16, [u32; 3], f64);
/// A log group: its messages (seq, type, lengths), type names, first and last time.
type LogGroup = (Vec<(u64, u16, [u32; 3])>, Vec<String>, f64, f64);

fn matched(name: &str, recs: &[Record]) -> BTreeMap<Key, Matched> {
    let groups = ceph_logs::received(&dir().join(format!("{name}.logs")));
    let mut by_dir: BTreeMap<Key, Vec<CapMsg>> = BTreeMap::new();
    for r in recs {
        if let Some(h) = r.msg {
            let l = r.segment_lens();
            by_dir.entry((r.conn, r.dir)).or_default().push((
                h.seq,
                h.msg_type,
                [l[1], l[2], l[3]],
                r.ts.as_f64(),
            ));
        }
    }
    let keys: Vec<_> = groups.keys().cloned().collect();
    let firsts: Vec<(u64, f64)> = groups
        .values()
        .map(|g| g.first().map_or((0, 0.0), |m| (m.seq, m.time)))
        .collect();
    let logs: Vec<LogGroup> = groups
        .values()
        .map(|g| {
            let v = g
                .iter()
                .map(|m| {
                    (
                        m.seq,
                        ceph_logs::type_number(&m.name).unwrap(),
                        [m.sizes.0, m.sizes.1, m.sizes.2],
                    )
                })
                .collect();
            let names = g.iter().map(|m| m.name.clone()).collect();
            (
                v,
                names,
                g.first().map_or(0.0, |m| m.time),
                g.last().map_or(0.0, |m| m.time),
            )
        })
        .collect();
    let mut used = vec![false; logs.len()];
    let mut out = BTreeMap::new();
    for pass in 0..2 {
        for (key, got) in &by_dir {
            if out.contains_key(key) {
                continue;
            }
            let plain: Vec<(u64, u16, [u32; 3])> = got.iter().map(|m| (m.0, m.1, m.2)).collect();
            let (t0, t1) = (got.first().unwrap().3, got.last().unwrap().3);
            let hit = logs
                .iter()
                .enumerate()
                .filter(|(i, (want, _, first, last))| {
                    let near = t0 <= last + SLACK && t1 >= first - SLACK;
                    let fits = if pass == 0 {
                        *want == plain || want.ends_with(&plain)
                    } else {
                        !want.is_empty() && plain.starts_with(want)
                    };
                    !used[*i] && near && fits
                })
                .min_by(|a, b| (a.1 .2 - t0).abs().total_cmp(&(b.1 .2 - t0).abs()));
            if let Some((i, (want, names, _, _))) = hit {
                used[i] = true;
                let n = want.len().min(plain.len());
                let from_end = want.len() > plain.len();
                let covered = if from_end {
                    names[names.len() - n..].to_vec()
                } else {
                    names.clone()
                };
                let (file, con, _) = keys[i].clone();
                out.insert(
                    *key,
                    Matched {
                        n,
                        from_end,
                        names: covered,
                        file,
                        con,
                        first: firsts[i],
                    },
                );
            }
        }
    }
    let unmatched: Vec<&Key> = by_dir.keys().filter(|k| !out.contains_key(*k)).collect();
    assert!(unmatched.is_empty(), "{name}: no log records {unmatched:?}");
    out
}

/// Per type name: the stats' count over the messages the logs cover
/// equals the count of `<==` lines.
fn check_msgs(name: &str) -> (u64, u64) {
    let recs = rows(name);
    let m = matched(name, &recs);
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for g in m.values() {
        for n in &g.names {
            *want.entry(n.clone()).or_default() += 1;
        }
    }
    // Feed the statistics the covered messages of each direction.
    let mut stats = Stats::new(&[StatKind::Msgs]);
    let mut total_per_dir: BTreeMap<Key, usize> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.msg.is_some()) {
        *total_per_dir.entry((r.conn, r.dir)).or_default() += 1;
    }
    let mut seen: BTreeMap<Key, usize> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.msg.is_some()) {
        let k = (r.conn, r.dir);
        let i = seen.entry(k).or_default();
        let g = &m[&k];
        let total = total_per_dir[&k];
        let covered = if g.from_end {
            *i >= total - g.n
        } else {
            *i < g.n
        };
        *i += 1;
        if covered {
            stats.add(r, None);
        }
    }
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for ((t, _), c) in &stats.msgs {
        *got.entry(t.display_name()).or_default() += c.count;
    }
    assert_eq!(
        got, want,
        "{name}: messages per type, cephshark vs Ceph's logs"
    );
    // The whole capture's table: every message counted once, in its direction.
    let mut all = Stats::new(&[StatKind::Msgs]);
    for r in &recs {
        all.add(r, None);
    }
    let total: u64 = all.msgs.values().map(|c| c.count).sum();
    assert_eq!(
        total,
        recs.iter().filter(|r| r.msg.is_some()).count() as u64
    );
    for ((t, d), c) in &all.msgs {
        let n = recs
            .iter()
            .filter(|r| r.msg_type() == Some(*t) && r.dir == *d)
            .count() as u64;
        assert_eq!(c.count, n, "{name}: {} {d:?}", t.display_name());
    }
    (got.values().sum(), total)
}

#[test]
fn msgs_per_type_equal_ceph_logs_none_crc() {
    // 193 messages crossed the wire; 2 were read by processes that closed
    // the connection before logging them (see tests/ground_truth.rs).
    assert_eq!(check_msgs("none-crc"), (191, 193));
}

#[test]
fn msgs_per_type_equal_ceph_logs_cephx_crc() {
    assert_eq!(check_msgs("cephx-crc"), (178, 179));
}

#[test]
fn msgs_per_type_equal_ceph_logs_cephx_secure() {
    assert_eq!(check_msgs("cephx-secure"), (198, 200));
}

/// The first op of each osd_op_reply line the clients logged while the
/// capture ran (`osd_op_reply(1 obj1 [writefull 0~12813] ...)`). Log times
/// are cut to the millisecond and written just after the frame arrives: a
/// line more than 1 ms before the first packet was not captured.
fn logged_replies(name: &str, start: f64, end: f64) -> Vec<String> {
    ceph_logs::received(&dir().join(format!("{name}.logs")))
        .iter()
        .filter(|((file, _, _), _)| file.starts_with("client."))
        .flat_map(|(_, msgs)| msgs.iter())
        .filter(|m| m.name == "osd_op_reply" && m.time >= start - 0.001 && m.time <= end + SLACK)
        .map(|m| {
            m.text
                .split('[')
                .nth(1)
                .and_then(|o| o.split([' ', ']']).next())
                .unwrap()
                .to_string()
        })
        .collect()
}

fn check_oplat(name: &str, replies: usize) {
    let recs = rows(name);
    let mut stats = Stats::new(&[StatKind::OpLat]);
    for r in &recs {
        stats.add(r, None);
    }
    let start = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MAX, f64::min);
    let end = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MIN, f64::max);
    let logged = logged_replies(name, start, end);
    assert_eq!(
        logged.len(),
        replies,
        "{name}: osd_op_reply lines in the client logs"
    );
    let o = &stats.oplat;
    assert_eq!(
        o.paired(),
        logged.len() as u64,
        "{name}: every osd_op paired with its reply"
    );
    // Named by their first op once osd_op bodies are decoded.
    if cephshark::analysis::registry::by_abbrev(cephshark::analysis::stats::OSD_OP_CODE).is_some() {
        let mut per_op: BTreeMap<String, u64> = BTreeMap::new();
        for op in &logged {
            *per_op.entry(op.clone()).or_default() += 1;
        }
        let ours: BTreeMap<String, u64> = o.ops.iter().map(|(k, l)| (k.clone(), l.count)).collect();
        assert_eq!(
            ours, per_op,
            "{name}: pairs per first op, cephshark vs the clients' logs"
        );
    }
    assert_eq!(
        (o.unanswered(), o.orphan_replies, o.overflow),
        (0, 0, 0),
        "{name}"
    );
    // Latencies computed here from the rows: reply time minus request time,
    // same connection, opposite direction, same tid.
    let mut lat: Vec<u64> = Vec::new();
    for rep in recs
        .iter()
        .filter(|r| r.msg.is_some_and(|h| h.msg_type == 43))
    {
        let h = rep.msg.unwrap();
        let req = recs
            .iter()
            .find(|r| {
                r.conn == rep.conn
                    && r.dir != rep.dir
                    && r.msg.is_some_and(|q| q.msg_type == 42 && q.tid == h.tid)
            })
            .unwrap_or_else(|| panic!("{name}: no osd_op for reply row {}", rep.number));
        let ns = |t: cephshark::capture::Timestamp| {
            i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos)
        };
        lat.push(u64::try_from(ns(rep.ts) - ns(req.ts)).unwrap());
    }
    lat.sort_unstable();
    let all: Vec<_> = o.ops.values().collect();
    let count: u64 = all.iter().map(|l| l.count).sum();
    assert_eq!(count as usize, lat.len());
    let min = all.iter().map(|l| l.min).min().unwrap();
    let max = all.iter().map(|l| l.max).max().unwrap();
    assert_eq!((min, max), (lat[0], lat[lat.len() - 1]), "{name}");
    if let [(_, only)] = o.ops.iter().collect::<Vec<_>>()[..] {
        // One op name (no op decoding): nearest-rank median and p99.
        assert_eq!(only.quantile(0.5), lat[lat.len().div_ceil(2) - 1]);
        assert_eq!(only.quantile(0.99), lat[lat.len() - 1]);
    }
}

#[test]
fn oplat_pairs_every_osd_op_none_crc() {
    check_oplat("none-crc", 15);
}

#[test]
fn oplat_pairs_every_osd_op_cephx_crc() {
    // The clients' first object write ended 47 ms before tcpdump started:
    // 15 replies logged by the clients' runs, 14 while the capture ran.
    check_oplat("cephx-crc", 14);
}

#[test]
fn oplat_pairs_every_osd_op_cephx_secure() {
    check_oplat("cephx-secure", 15);
}

#[test]
fn conv_tags_and_errors_agree_with_the_rows() {
    let mut bytes = std::fs::read(dir().join("none-crc.pcap")).unwrap();
    bytes[300_000] ^= 0x01;
    let mut recs = Vec::new();
    dissect(&bytes[..], Config::default(), &mut |r| recs.push(r)).unwrap();
    let mut s = Stats::new(&[
        StatKind::Conv,
        StatKind::Tags,
        StatKind::Errors,
        StatKind::Conv,
    ]);
    assert_eq!(s.kinds, [StatKind::Conv, StatKind::Tags, StatKind::Errors]);
    for r in &recs {
        s.add(r, None);
    }
    // errors: the one flipped bit, located.
    let bad: Vec<&Record> = recs.iter().filter(|r| r.is_faulty()).collect();
    assert_eq!(bad.len(), 1);
    let g = &s.errors["segment_crc_bad"];
    assert_eq!((g.count, g.first.len()), (1, 1));
    assert_eq!(
        (g.first[0].row, g.first[0].conn, g.first[0].packet),
        (bad[0].number, bad[0].conn, bad[0].problem_packets[0])
    );
    // conv: frames each way and the faulty row's connection.
    assert_eq!(s.conv.len(), 33);
    for (id, c) in &s.conv {
        for d in [Direction::ClientToServer, Direction::ServerToClient] {
            let n = recs
                .iter()
                .filter(|r| r.conn == *id && r.dir == d && r.frame().is_some())
                .count() as u64;
            assert_eq!(c.frames[d.index()], n);
        }
        assert_eq!(c.errors, u64::from(*id == bad[0].conn));
    }
    // tags: one count per row.
    assert_eq!(s.tags["MESSAGE"].count, 193);
    assert_eq!(
        s.tags.values().map(|c| c.count).sum::<u64>(),
        recs.len() as u64
    );
}

/// From the typed HELLO (entity type) and IDENT (gid) values decoded with
/// each row, each side's name is the peer name Ceph logged for the
/// messages that side sent.
#[test]
fn conv_names_equal_the_peers_ceph_logged() {
    if cephshark::analysis::registry::by_abbrev("msgr2.hello.entity_type").is_none() {
        eprintln!("SKIPPED: HELLO fields are not decoded yet; entity names cannot be checked");
        return;
    }
    let mut checked = 0;
    for name in ["none-crc", "cephx-crc", "cephx-secure"] {
        let recs = rows(name);
        let m = matched(name, &recs);
        let mut s = Stats::new(&[StatKind::Conv]);
        for r in &recs {
            s.add(r, None);
        }
        // (file, con, seq, time) -> peer name, from every `<==` line.
        let mut peers: Vec<(String, String, u64, f64, String)> = Vec::new();
        for e in std::fs::read_dir(dir().join(format!("{name}.logs"))).unwrap() {
            let path = e.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
                &mut text,
            )
            .unwrap();
            for line in text.lines() {
                if let Some((msg, con)) = ceph_logs::parse_recv(line) {
                    let peer = line
                        .split(" <== ")
                        .nth(1)
                        .and_then(|r| r.split(' ').next())
                        .unwrap()
                        .to_string();
                    peers.push((file.clone(), con, msg.seq, msg.time, peer));
                }
            }
        }
        for (id, c) in &s.conv {
            for (side, d) in [
                (0, Direction::ClientToServer),
                (1, Direction::ServerToClient),
            ] {
                let (Some(ours), Some(g)) = (&c.names[side], m.get(&(*id, d))) else {
                    continue;
                };
                let logged = peers
                    .iter()
                    .find(|p| p.0 == g.file && p.1 == g.con && p.2 == g.first.0 && p.3 == g.first.1)
                    .map(|p| p.4.clone())
                    .unwrap();
                assert_eq!(ours, &logged, "{name}: conn {id} {d:?}");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked, 192,
        "names checked: both sides of every connection whose HELLO and IDENT were captured"
    );
}

/// The printed tables carry the numbers computed.
#[test]
fn cli_prints_the_tables_after_the_frames() {
    let p = dir().join("none-crc.pcap");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "-r",
            p.to_str().unwrap(),
            "-Y",
            "tcp.stream == 10",
            "-z",
            "msgs",
            "-z",
            "oplat",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let first_rule = lines.iter().position(|l| l.starts_with("=====")).unwrap();
    assert_eq!(first_rule, 26, "26 rows of connection 10, then the tables");
    assert!(lines.contains(&"Filter: tcp.stream == 10"));
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .copied()
            .unwrap_or("")
    };
    let bytes: u64 = rows("none-crc")
        .iter()
        .filter(|r| r.conn == ConnId(10) && r.msg.is_some_and(|h| h.msg_type == 42))
        .map(|r| {
            r.segment_lens()[1..]
                .iter()
                .map(|l| u64::from(*l))
                .sum::<u64>()
        })
        .sum();
    let op: Vec<&str> = row("osd_op").split_whitespace().collect();
    assert_eq!(
        op,
        ["osd_op", "42", "8", bytes.to_string().as_str(), "0", "0"]
    );
    let reply: Vec<&str> = row("osd_op_reply").split_whitespace().collect();
    assert_eq!(&reply[..5], ["osd_op_reply", "43", "0", "0", "8"]);
    assert!(
        out.contains("paired: 8  unanswered: 0  replies without request: 0"),
        "{out}"
    );
    let q = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", p.to_str().unwrap(), "-q", "-z", "tags"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&q.stdout);
    assert!(out.starts_with("====="), "-q: no frame list");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["MESSAGE", "193", "6150844"]),
        "{out}"
    );
}
