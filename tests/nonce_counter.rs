//! The nonce of each secure frame, as a field: `msgr2.nonce` and its
//! counter from the initial nonce (`msgr2.nonce.counter`). The counter
//! follows Ceph's rules (crypto_onwire.cc, frames_v2.cc): a direction's
//! first secure frame uses the initial nonce, and msgr2.1 steps it once per
//! GCM operation: the preamble with the first 48 bytes of segment 0, the
//! rest of segment 0 when its padded length passes 48, and segments 1 to 3
//! with the epilogue when there are more than one.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod lab_support;

use cephshark::analysis::{dissect, record_tree, Config, KeyStatus, Record};
use cephshark::model::Value;
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::Frame;
use std::collections::BTreeMap;
use std::sync::Arc;

fn rows(name: &str) -> (Vec<Record>, cephshark::analysis::Summary) {
    let dir = lab_support::dir();
    let text = std::fs::read_to_string(dir.join(format!("{name}.keys"))).unwrap();
    let cfg = Config {
        keys: Some(Arc::new(KeyLog::parse(&text).unwrap())),
        ..Config::default()
    };
    let bytes = std::fs::read(dir.join(format!("{name}.pcap"))).unwrap();
    let mut out = Vec::new();
    let s = dissect(&bytes[..], cfg, &mut |r| out.push(r)).unwrap();
    (out, s)
}

/// GCM operations of a msgr2.1 secure frame (frames_v2.cc).
fn ops(f: &Frame) -> u64 {
    let p = &f.preamble;
    let seg0 = u64::from(p.seg_len(0)).div_ceil(16) * 16;
    1 + u64::from(seg0 > 48) + u64::from(p.nseg() > 1)
}

/// Counter fields of a row's tree.
fn counter(r: &Record) -> Option<u64> {
    let t = record_tree(r);
    let n = t.find("msgr2.nonce.counter")?;
    match n.value {
        Value::Uint(v) => Some(v),
        _ => None,
    }
}

/// Per (connection, direction): the decrypted frames in stream order.
fn by_direction(rows: &[Record]) -> BTreeMap<(u32, usize), Vec<&Record>> {
    let mut m: BTreeMap<(u32, usize), Vec<&Record>> = BTreeMap::new();
    for r in rows {
        if r.frame().is_some_and(|f| f.decrypted) {
            m.entry((r.conn.0, r.dir.index())).or_default().push(r);
        }
    }
    for v in m.values_mut() {
        v.sort_by_key(|r| r.frame().unwrap().offset);
    }
    m
}

fn assert_steps(name: &str, frames: &[&Record]) {
    for w in frames.windows(2) {
        let (a, b) = (w[0], w[1]);
        assert_eq!(
            counter(b).unwrap(),
            counter(a).unwrap() + ops(a.frame().unwrap()),
            "{name}: rows {} then {}",
            a.number,
            b.number
        );
    }
}

#[test]
fn a_directions_secure_frames_count_from_the_initial_nonce() {
    let (rows, _) = rows("cephx-secure");
    let dirs = by_direction(&rows);
    assert!(dirs.len() >= 60, "{}", dirs.len());
    for frames in dirs.values() {
        assert_eq!(counter(frames[0]), Some(0), "row {}", frames[0].number);
        assert_steps("cephx-secure", frames);
    }
    // The nonce itself: 12 bytes whose le64 counter is the initial one's
    // plus the steps; -V shows both.
    let r = dirs.values().next().unwrap()[1];
    let t = record_tree(r);
    let n = t.find("msgr2.nonce").unwrap();
    let Value::Bytes(b) = &n.value else { panic!() };
    assert_eq!(b.len(), 12);
    assert!(n
        .to_string()
        .ends_with(&format!("(initial nonce + {})", counter(r).unwrap())));
}

#[test]
fn a_direction_joined_mid_stream_shows_the_counter_found() {
    let (rows, s) = rows("lab-midstream");
    let dirs = by_direction(&rows);
    let mut joined = 0;
    for ((conn, d), frames) in &dirs {
        let c = &s.conns[&cephshark::tcp::ConnId(*conn)];
        let KeyStatus::Opened(o) = &c.keys[*d] else {
            panic!("{o:?}", o = c.keys[*d])
        };
        if let Some(rest) = o.split("(mid-stream: nonce counter +").nth(1) {
            // The first frame decoded is at the counter the search found.
            let found: u64 = rest.trim_end_matches(')').parse().unwrap();
            assert_eq!(counter(frames[0]), Some(found));
            assert!(found > 0);
            joined += 1;
        } else {
            assert_eq!(counter(frames[0]), Some(0));
        }
        assert_steps("lab-midstream", frames);
    }
    // osd.0's monitor session one way, the watch client's two sessions
    // both ways (one direction of each monitor session carried nothing).
    assert!(joined >= 4, "{joined}");
}
