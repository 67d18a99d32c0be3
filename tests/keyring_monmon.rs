//! `--keyring` between monitors (captures/lab-monmon.pcap: two monitors,
//! cephx and secure mode everywhere, tcpdump started before them). A
//! monitor's authorizer to another carries a ticket blob it builds itself,
//! encrypted with the `mon.` key and secret_id -1 (Monitor.cc
//! `get_authorizer`: "mon to mon authentication uses the private monitor
//! shared key and not the rotating key"); the `mon.` key alone therefore
//! opens both monitor-to-monitor connections. Compared frame for frame with
//! the key file the monitors' keylog wrote, and message for message with
//! what each monitor logged (debug_ms=1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::{Record, Summary};
use cephshark::decode::control::Control;
use cephshark::model::Value;
use cephshark::msgr2::Tag;
use cephshark::tcp::Direction;
use std::process::Command;
use support::cephx_nodes::leaf;
use support::conform::path;
use support::keyring_cmp::{conn_rows, messages, origins, run_with, same_as_key_file};

const PCAP: &str = "lab-monmon.pcap";

fn read(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

/// The capture's keyring cut to the `mon.` section (the first one).
fn mon_ring() -> String {
    let ring = read("lab-monmon.keyring");
    let end = ring.find("[client.admin]").unwrap();
    ring[..end].to_string()
}

fn run(keys: Option<&str>, keyring: Option<&str>) -> (Vec<Record>, Summary) {
    run_with(PCAP, keys, keyring)
}

/// Connections whose client says it is a monitor in its HELLO (sent in
/// the clear, before any key is involved): CEPH_ENTITY_TYPE_MON is 1.
fn mon_to_mon(rows: &[Record]) -> Vec<u32> {
    let mut out: Vec<u32> = rows
        .iter()
        .filter(|r| r.dir == Direction::ClientToServer)
        .filter_map(|r| match r.control() {
            Some(Control::Hello(h)) if h.entity_type.v == 1 => Some(r.conn.0),
            _ => None,
        })
        .collect();
    out.dedup();
    out
}

/// msg/Message.h: the monitor-internal types the logs name.
fn type_of(name: &str) -> Option<u16> {
    Some(match name {
        "election" => 65, // MSG_MON_ELECTION
        "paxos" => 66,    // MSG_MON_PAXOS
        "mon_probe" => 67,
        "forward" => 46, // MSG_FORWARD
        "route" => 47,   // MSG_ROUTE
        "log" => 52,     // MSG_LOG
        _ => return None,
    })
}

/// (seq, type or 0 when the name has no number above, sizes) of the
/// messages `file` logged as received from `peer` (`mon.0`, `mon.1`).
fn logged(file: &str, peer: &str) -> Vec<(u64, u16, [u32; 3])> {
    let text = {
        use std::io::Read;
        let f = std::fs::File::open(path("lab-monmon.logs").join(file)).unwrap();
        let mut s = String::new();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let from = format!(" <== {peer} ");
    text.lines()
        .filter(|l| l.contains(&from))
        .filter_map(ceph_logs::parse_recv)
        .map(|(m, _)| {
            let t = type_of(&m.name).unwrap_or(0);
            (m.seq, t, [m.sizes.0, m.sizes.1, m.sizes.2])
        })
        .collect()
}

/// Zero the types the table above does not name, as `logged` does.
fn masked(
    v: Vec<(u64, u16, [u32; 3])>,
    want: &[(u64, u16, [u32; 3])],
) -> Vec<(u64, u16, [u32; 3])> {
    v.into_iter()
        .zip(want)
        .map(|((s, t, l), (_, w, _))| (s, if *w == 0 { 0 } else { t }, l))
        .collect()
}

#[test]
fn the_mon_key_alone_opens_every_connection_between_monitors() {
    let (by_ring, s) = run(None, Some(&mon_ring()));
    let (by_keys, _) = run(Some(&read("lab-monmon.keys")), None);
    let mons = mon_to_mon(&by_keys);
    // mon.b dialled mon.a (faulted when both connected at once: the
    // connection race), and mon.a dialled mon.b.
    assert_eq!(mons, [1, 2]);
    let secure: Vec<usize> = mons
        .iter()
        .map(|&c| same_as_key_file(&by_ring, &by_keys, c))
        .collect();
    assert!(secure.iter().all(|&n| n > 0), "{secure:?}");
    for &c in &mons {
        assert_eq!(
            origins(&s, c),
            ["keyring mon.: the mon. key (mon <-> mon)"; 2],
            "conn {c}"
        );
    }
    // Every other connection needs another entity's key.
    assert!(s
        .conns
        .values()
        .filter(|c| !mons.contains(&c.conn.0))
        .all(|c| c
            .keys
            .iter()
            .all(|k| !matches!(k, cephshark::analysis::KeyStatus::Opened(_)))));
    // What each monitor logged receiving on the session that stayed up.
    let want = logged("mon.b.log.gz", "mon.0");
    let got = messages(&by_ring, 2, Direction::ClientToServer);
    assert_eq!(got.len(), want.len());
    assert_eq!(masked(got, &want), want);
    let want = logged("mon.a.log.gz", "mon.1");
    let got = messages(&by_ring, 2, Direction::ServerToClient);
    assert_eq!(got.len(), want.len());
    assert_eq!(masked(got, &want), want);
}

#[test]
fn the_ticket_is_the_monitors_own_and_the_signatures_verify() {
    let (rows, _) = run(None, Some(&mon_ring()));
    for conn in [1, 2] {
        let r = conn_rows(&rows, conn);
        let req = r
            .iter()
            .find(|x| x.frame().is_some_and(|f| f.tag() == Tag::AuthRequest))
            .unwrap();
        // Monitor.cc get_authorizer: a ticket named for the mon type, no
        // id, global_id 0, secret_id (uint64_t)-1.
        assert_eq!(
            leaf(req, "ceph.cephx.dec.holder"),
            [Value::Str("mon.".into())]
        );
        assert_eq!(leaf(req, "ceph.cephx.dec.global_id"), [Value::Uint(0)]);
        assert_eq!(
            leaf(req, "ceph.cephx.dec.secret_id"),
            [Value::Uint(u64::MAX)]
        );
        // Both AUTH_SIGNATUREs are the HMAC of what their sender received.
        let sigs: Vec<Value> = r
            .iter()
            .filter(|x| x.frame().is_some_and(|f| f.tag() == Tag::AuthSignature))
            .flat_map(|x| leaf(x, "ceph.cephx.dec.signature"))
            .collect();
        assert_eq!(
            sigs,
            [Value::Str("good".into()), Value::Str("good".into())],
            "conn {conn}"
        );
    }
}

#[test]
fn the_whole_keyring_opens_the_whole_capture() {
    let out = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("verify")
        .arg("--keyring")
        .arg(path("lab-monmon.keyring"))
        .arg(path(PCAP))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // tcpdump: "1602 packets captured".
    assert!(text.contains(": OK — 1602 packets, "), "{text}");
    assert!(text.contains(", 0 problems"), "{text}");
}
