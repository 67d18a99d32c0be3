//! Ground truth: the MESSAGE frames cephshark finds in each real capture
//! equal, connection direction by connection direction, what the receiving
//! Ceph process logged (`<==` lines of `debug_ms=1`): seq, type and the
//! front+middle+data sizes. Expected values come from the logs only.

#[path = "support/ceph_logs.rs"]
mod ceph_logs;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::tcp::{ConnId, Direction};
use std::collections::BTreeMap;
use std::path::Path;

type Msg = (u64, u16, u32, u32, u32);
type TimedMsg = (u64, u16, u32, u32, u32, f64);

/// Messages per direction, every row, and whether each connection's handshake was captured.
type Captured = (
    BTreeMap<(ConnId, Direction), Vec<TimedMsg>>,
    Vec<Record>,
    BTreeMap<ConnId, bool>,
);

/// cephshark's name for each message type equals the name Ceph's log printed.
fn check_names(logged: &[String], got: &[Msg]) {
    for (name, m) in logged.iter().zip(got) {
        assert_eq!(
            cephshark::decode::MsgType(m.1).log_name(),
            Some(name.as_str()),
            "type {} is {name} in Ceph's log",
            m.1
        );
    }
}

fn untimed(v: &[TimedMsg]) -> Vec<Msg> {
    v.iter().map(|m| (m.0, m.1, m.2, m.3, m.4)).collect()
}

/// Log lines and packets share the machine's clock; a log line is written
/// within a few milliseconds of its frame crossing loopback.
const CLOCK_SLACK: f64 = 0.05;

fn config(name: &str) -> Config {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(format!("{name}.keys"));
    let mut cfg = Config::default();
    if let Ok(text) = std::fs::read_to_string(&keys) {
        let log = cephshark::msgr2::keys::KeyLog::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        cfg.keys = Some(std::sync::Arc::new(log));
    }
    cfg
}

fn captured(path: &Path, cfg: Config) -> Captured {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut recs = Vec::new();
    let summary = dissect(std::io::BufReader::new(f), cfg, &mut |r| recs.push(r))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(summary.read_error.is_none(), "{:?}", summary.read_error);
    let mut by_dir: BTreeMap<(ConnId, Direction), Vec<TimedMsg>> = BTreeMap::new();
    for r in &recs {
        if let Some(h) = r.msg {
            let l = r.segment_lens();
            by_dir.entry((r.conn, r.dir)).or_default().push((
                h.seq,
                h.msg_type,
                l[1],
                l[2],
                l[3],
                r.ts.as_f64(),
            ));
        }
    }
    let handshake = summary
        .conns
        .iter()
        .map(|(k, c)| (*k, c.handshake_seen))
        .collect();
    (by_dir, recs, handshake)
}

/// Match every captured direction to the one log group that recorded exactly
/// its messages (a capture that starts mid-connection holds a suffix).
/// Returns the number of matched directions and messages.
fn check(name: &str, file: &str) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let groups = ceph_logs::received(&dir.join(format!("{name}.logs")));
    let first_times: Vec<f64> = groups
        .values()
        .map(|g| g.first().map_or(0.0, |m| m.time))
        .collect();
    // Ceph's own name of every logged message, in the same order.
    let names: Vec<Vec<String>> = groups
        .values()
        .map(|g| g.iter().map(|m| m.name.clone()).collect())
        .collect();
    let expected: Vec<((String, String, usize), Vec<Msg>)> = groups
        .into_iter()
        .map(|(k, msgs)| {
            let v = msgs
                .iter()
                .map(|m| {
                    let t = ceph_logs::type_number(&m.name)
                        .unwrap_or_else(|| panic!("no type number for {}", m.name));
                    (m.seq, t, m.sizes.0, m.sizes.1, m.sizes.2)
                })
                .collect();
            (k, v)
        })
        .collect();
    let all_times: Vec<Vec<f64>> = ceph_logs::received(&dir.join(format!("{name}.logs")))
        .values()
        .map(|g| g.iter().map(|m| m.time).collect())
        .collect();
    let times: Vec<f64> = all_times
        .iter()
        .map(|g| g.last().copied().unwrap_or(0.0))
        .collect();
    let (by_dir, recs, handshake) = captured(&dir.join(file), config(name));
    // Every row is intact: no problem of warning level or worse.
    let faulty: Vec<_> = recs
        .iter()
        .filter(|r| r.is_faulty())
        .map(|r| (r.number, r.status()))
        .collect();
    assert!(faulty.is_empty(), "{name}: {faulty:?}");
    let capture_start = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MAX, f64::min);
    let capture_end = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MIN, f64::max);
    assert!(!recs.is_empty());
    let mut used = vec![false; expected.len()];
    let mut msgs = 0;
    let mut unmatched_dirs = Vec::new();
    // Pass 1: exact matches (or, for a capture that starts mid-connection,
    // the log's tail).
    // A log group can only describe a direction whose traffic was on the
    // wire when the group's first message was logged.
    let near = |i: usize, got: &[TimedMsg]| {
        let (lo, hi) = (first_times[i] - CLOCK_SLACK, times[i] + CLOCK_SLACK);
        got.first().is_some_and(|m| m.5 <= hi) && got.last().is_some_and(|m| m.5 >= lo)
    };
    for ((conn, d), timed) in &by_dir {
        let got = &untimed(timed);
        let mid = !handshake.get(conn).copied().unwrap_or(true);
        let dist = |i: usize| (first_times[i] - timed.first().map_or(0.0, |m| m.5)).abs();
        let hit = expected
            .iter()
            .enumerate()
            .filter(|(i, (_, want))| {
                !used[*i] && (want == got || (mid && want.ends_with(got))) && near(*i, timed)
            })
            .min_by(|a, b| dist(a.0).total_cmp(&dist(b.0)));
        match hit {
            Some((i, (_, want))) => {
                used[i] = true;
                msgs += got.len();
                // The captured messages are the log's tail (or all of it).
                check_names(&names[i][want.len() - got.len()..], got);
            }
            None => unmatched_dirs.push(((*conn, *d), timed)),
        }
    }
    // Pass 2: a process that closes a connection right after reading its
    // last frames logs only the messages it dispatched, so its log is a
    // prefix of what crossed the wire (librados' short-lived bootstrap
    // MonClient does this). Every message it did log must still match.
    let mut prefix_matches = 0;
    for ((conn, d), timed) in unmatched_dirs {
        let got = untimed(timed);
        let dist = |i: usize| (first_times[i] - timed.first().map_or(0.0, |m| m.5)).abs();
        let hit = expected
            .iter()
            .enumerate()
            .filter(|(i, (_, want))| {
                !used[*i] && !want.is_empty() && got.starts_with(want) && near(*i, timed)
            })
            .min_by(|a, b| dist(a.0).total_cmp(&dist(b.0)));
        let Some((i, _)) = hit else {
            panic!(
                "{name}: conn {conn} {d:?}: no log records these {} messages: {got:?}",
                got.len()
            );
        };
        used[i] = true;
        msgs += got.len();
        prefix_matches += 1;
        let n = names[i].len();
        check_names(&names[i], &got[..n]);
    }
    assert!(
        prefix_matches <= 2,
        "{name}: {prefix_matches} directions only partly logged"
    );
    // No log group left unmatched received a message while the capture ran
    // (with slack for clock granularity): nothing the logs record during
    // the capture is missing from cephshark's output.
    for (i, ((file, con, _), want)) in expected.iter().enumerate() {
        if !used[i] {
            assert!(
                all_times[i].iter().all(|t| *t < capture_start + CLOCK_SLACK || *t > capture_end - CLOCK_SLACK),
                "{name}: {file} {con} logged {} messages during the capture that were not found: {want:?}",
                want.len()
            );
        }
    }
    (by_dir.len(), msgs)
}

#[test]
fn none_crc_messages_match_ceph_logs() {
    let (dirs, msgs) = check("none-crc", "none-crc.pcap");
    assert_eq!(
        (dirs, msgs),
        (65, 193),
        "directions and messages matched to the logs"
    );
    assert!(dirs > 0 && msgs > 0);
}

#[test]
fn cephx_crc_messages_match_ceph_logs() {
    let (dirs, msgs) = check("cephx-crc", "cephx-crc.pcap");
    assert_eq!(
        (dirs, msgs),
        (60, 179),
        "directions and messages matched to the logs"
    );
    assert!(dirs > 0 && msgs > 0);
}

#[test]
fn cephx_secure_messages_match_ceph_logs_after_decryption() {
    let (dirs, msgs) = check("cephx-secure", "cephx-secure.pcap");
    assert!(dirs > 0 && msgs > 0);
    // The same packets as pcapng give the same result.
    assert_eq!(check("cephx-secure", "cephx-secure.pcapng"), (dirs, msgs));
}
