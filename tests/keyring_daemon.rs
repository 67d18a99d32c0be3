//! `--keyring` with a daemon's own key (lab-secure.pcap, captured from
//! before the monitor started): osd.0's key opens its own monitor
//! sessions; the rotating secrets of its GET_ROTATING_KEY reply open every
//! client's connection to the OSD; GET_PRINCIPAL_SESSION_KEY renewals
//! inside monitor sessions join the ticket table. Decryption is compared
//! frame for frame with the key file the daemons' keylog wrote, and the
//! decrypted values with what Ceph logged (debug_auth=10, debug_ms=1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::{Record, Summary};
use cephshark::cephx::{CephxConn, Keyring, TicketTable};
use cephshark::model::Value;
use cephshark::tcp::Direction;
use flate2::read::GzDecoder;
use std::io::Read;
use support::cephx_nodes::leaf;
use support::conform::path;
use support::keyring_cmp::{conn_rows, messages, origins, run_with, same_as_key_file};

const PCAP: &str = "lab-secure.pcap";

fn read(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

fn log(name: &str) -> String {
    let f = std::fs::File::open(path("lab-secure.logs").join(name)).unwrap();
    let mut s = String::new();
    GzDecoder::new(f).read_to_string(&mut s).unwrap();
    s
}

/// The capture's keyring cut to osd.0's section (the last one).
fn osd0_ring() -> String {
    let ring = read("lab-secure.keyring");
    let at = ring.find("[osd.0]").unwrap();
    ring[at..].to_string()
}

fn run(keys: Option<&str>, keyring: Option<&str>) -> (Vec<Record>, Summary) {
    run_with(PCAP, keys, keyring)
}

/// A base64 CryptoKey as Ceph logs it, to its AES secret.
fn secret(b64: &str) -> Vec<u8> {
    let k = Keyring::parse(&format!("[k]\nkey = {b64}\n")).unwrap();
    k.entries[0].key.secret.clone()
}

/// The same, from a process's `<==` lines on one connection.
fn logged(file: &str, con: &str) -> Vec<(u64, u16, [u32; 3])> {
    let groups = ceph_logs::received(&path("lab-secure.logs"));
    groups[&(file.to_string(), con.to_string(), 0)]
        .iter()
        .map(|m| {
            // MLogAck prints as `log(last N)`: CEPH_MSG_LOGACK.
            let t = if m.text.starts_with("log(last ") {
                53
            } else {
                ceph_logs::type_number(&m.name).unwrap_or(0)
            };
            (m.seq, t, [m.sizes.0, m.sizes.1, m.sizes.2])
        })
        .collect()
}

#[test]
fn an_osd_key_alone_opens_its_own_monitor_sessions() {
    let ring = osd0_ring();
    let (by_ring, s) = run(None, Some(&ring));
    let (by_keys, _) = run(Some(&read("lab-secure.keys")), None);
    // Two start-up sessions of `ceph-osd --mkfs`, then the daemon's.
    let secure: Vec<usize> = [2, 3, 4]
        .iter()
        .map(|&c| same_as_key_file(&by_ring, &by_keys, c))
        .collect();
    assert_eq!(secure, [11, 11, 62]);
    for c in [2, 3, 4] {
        assert_eq!(origins(&s, c), ["keyring osd.0: AUTH_DONE"; 2], "conn {c}");
    }
    // The daemon's session is what both ends logged: every message the
    // OSD received from mon.0 and the monitor from osd.0.
    let got = messages(&by_ring, 4, Direction::ServerToClient);
    let want = logged("osd.0.log.gz", "0x563d29da9420");
    assert_eq!((got.len(), want.len()), (22, 22));
    assert_eq!(got, want);
    let got = messages(&by_ring, 4, Direction::ClientToServer);
    let want = logged("mon.a.log.gz", "0x7fd9e400ccb0");
    // The monitor logged one more: osd.0's MOSDMarkMeDown at 23:12:45.718,
    // when it was stopped after tcpdump: not in the capture.
    assert_eq!((got.len(), want.len()), (26, 27));
    assert_eq!(got, want[..26]);
    let boot = conn_rows(&by_ring, 4)
        .into_iter()
        .find(|r| r.msg_type().is_some_and(|t| t.0 == 71))
        .unwrap();
    assert_eq!(
        boot.info(),
        "2.1 secure segs=41+1915+0+0 seq=9 type=71 tid=0 osd_boot(osd.0 booted 0 features 4540138314316775423 v4)"
    );
    // client.admin's sessions stay closed, and say why.
    assert_eq!(origins(&s, 0), ["Missing"; 2]);
    let why: Vec<String> = conn_rows(&by_ring, 0)
        .iter()
        .flat_map(|r| r.problems())
        .map(|p| p.found)
        .collect();
    assert!(!why.is_empty());
    assert!(
        why.iter()
            .all(|w| w.starts_with("none: client.admin is not in the keyring")),
        "{why:?}"
    );
}

#[test]
fn rotating_secrets_of_the_osd_open_every_client_connection_to_it() {
    let ring = osd0_ring();
    let (by_ring, s) = run(None, Some(&ring));
    let (by_keys, _) = run(Some(&read("lab-secure.keys")), None);
    // The daemon's GET_ROTATING_KEY reply: the secrets it logged.
    let reply = conn_rows(&by_ring, 4)
        .into_iter()
        .find(|r| r.msg_type().is_some_and(|t| t.0 == 18))
        .unwrap();
    assert_eq!(reply.msg.unwrap().seq, 4);
    assert_eq!(
        leaf(reply, "ceph.cephx.dec.request"),
        [Value::Str("get_rotating_key".into())]
    );
    assert_eq!(
        leaf(reply, "ceph.cephx.dec.key_from"),
        [Value::Str("keyring osd.0".into())]
    );
    assert_eq!(
        leaf(reply, "ceph.cephx.dec.secret_id"),
        [1, 2, 3].map(Value::Uint)
    );
    let osd_log = log("osd.0.log.gz");
    let dumped: Vec<Value> = osd_log
        .lines()
        .filter(|l| l.starts_with("2026-12-01T23:11:53.698") && l.contains("auth:  id "))
        .take(3)
        .map(|l| Value::Bytes(secret(l.split_whitespace().nth(6).unwrap())))
        .collect();
    assert_eq!(dumped.len(), 3);
    assert_eq!(leaf(reply, "ceph.cephx.dec.rotating_secret"), dumped);
    // Every connection to the OSD (127.0.0.1:45201), opened from the
    // rotating secret its ticket names, as the key file opens it.
    let mut to_osd: Vec<u32> = by_ring
        .iter()
        .filter(|r| r.dst.port() == 45201)
        .map(|r| r.conn.0)
        .collect();
    to_osd.sort_unstable();
    to_osd.dedup();
    assert_eq!(to_osd, [16, 20, 24, 28]);
    let secure: Vec<usize> = to_osd
        .iter()
        .map(|&c| same_as_key_file(&by_ring, &by_keys, c))
        .collect();
    assert_eq!(secure, [7, 6, 36, 6]);
    for c in to_osd {
        assert_eq!(
            origins(&s, c),
            ["keyring osd.0, tcp.stream 2: rotating secret osd #2"; 2]
        );
        let req = conn_rows(&by_ring, c)
            .into_iter()
            .find(|r| !leaf(r, "ceph.cephx.dec.holder").is_empty())
            .unwrap();
        assert_eq!(req.tag_name(), "AUTH_REQUEST");
        assert_eq!(
            leaf(req, "ceph.cephx.dec.holder"),
            [Value::Str("client.admin".into())]
        );
        assert_eq!(
            leaf(req, "ceph.cephx.dec.struct"),
            ["CephXServiceTicketInfo", "CephXAuthorize"].map(|s| Value::Str(s.into()))
        );
    }
}

/// (service, session key) of every ticket a process logged.
fn logged_tickets(text: &str) -> Vec<(String, Vec<u8>)> {
    text.lines()
        .filter(|l| l.contains("verify_service_ticket_reply service "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let at = w.iter().position(|x| *x == "service").unwrap();
            (w[at + 1].to_string(), secret(w[at + 5]))
        })
        .collect()
}

#[test]
fn renewed_tickets_are_opened_and_join_the_table() {
    let (rows, _) = run(None, Some(&read("lab-secure.keyring")));
    let renewals: Vec<&Record> = rows
        .iter()
        .filter(|r| {
            leaf(r, "ceph.cephx.dec.request")
                == vec![Value::Str("get_principal_session_key".into()); 3]
        })
        .collect();
    // The monitor logged three: osd.0 twice, the watch client once.
    let at: Vec<(u32, u64)> = renewals
        .iter()
        .map(|r| (r.conn.0, r.msg.unwrap().seq))
        .collect();
    assert_eq!(at, [(4, 21), (23, 7), (4, 22)]);
    let mut known = logged_tickets(&log("osd.0.log.gz"));
    known.extend(logged_tickets(&log("client.5141.log.gz")));
    for r in &renewals {
        let services = leaf(r, "ceph.cephx.dec.service");
        assert_eq!(
            services,
            ["mon", "osd", "mgr"].map(|s| Value::Str(s.into()))
        );
        for (svc, key) in services.iter().zip(leaf(r, "ceph.cephx.dec.session_key")) {
            let (Value::Str(svc), Value::Bytes(key)) = (svc, key) else {
                panic!()
            };
            assert!(
                known.contains(&(svc.clone(), key)),
                "{svc} in row {}",
                r.number
            );
        }
    }
    // Replayed through the library: conn 4's renewals join the table.
    let ring = Keyring::parse(&osd0_ring()).unwrap();
    let mut conn = CephxConn::default();
    let mut table = TicketTable::default();
    for r in conn_rows(&rows, 4) {
        if let Some(c) = r.control() {
            conn.observe(c, &ring, &mut table, "tcp.stream 4");
        }
        if let (Some(h), Some(f)) = (r.msg, r.frame()) {
            conn.observe_message(
                h.msg_type,
                f.segment(1).unwrap(),
                &ring,
                &mut table,
                "tcp.stream 4",
            );
        }
    }
    let renewed: Vec<(u32, &str)> = table
        .tickets
        .iter()
        .map(|t| (t.service_id, t.from.as_str()))
        .collect();
    let r = "keyring osd.0, tcp.stream 4, renewal";
    let h = "keyring osd.0, tcp.stream 4";
    assert_eq!(
        renewed,
        [
            (1, h),
            (4, h),
            (16, h),
            (1, r),
            (4, r),
            (16, r),
            (1, r),
            (4, r),
            (16, r)
        ]
    );
    assert_eq!(
        table
            .rotating
            .iter()
            .map(|k| (k.service_id, k.secret_id))
            .collect::<Vec<_>>(),
        [(4, 1), (4, 2), (4, 3)]
    );
}

#[test]
fn z_keys_and_the_tree_show_the_rotating_secret() {
    let f = std::env::temp_dir().join(format!("cephshark-osd0-{}.keyring", std::process::id()));
    std::fs::write(&f, osd0_ring()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-q", "-z", "keys", "--keyring", f.to_str().unwrap()])
        .arg(path(PCAP))
        .output()
        .unwrap();
    let tree = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "-V",
            "-Y",
            "ceph.cephx.dec.request == \"get_rotating_key\" && tcp.stream == 4",
        ])
        .args(["--keyring", f.to_str().unwrap()])
        .arg(path(PCAP))
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&f);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(
        rows.iter()
            .filter(|l| l.ends_with("rotating secret osd #2"))
            .count(),
        8
    );
    assert!(
        text.contains(
            "  16  c2s  127.0.0.1:58970 -> 127.0.0.1:45201             keyring osd.0, tcp.stream 2: rotating secret osd #2\n"
        ),
        "{text}"
    );
    assert_eq!(tree.status.code(), Some(0));
    let tree = String::from_utf8_lossy(&tree.stdout);
    for want in [
        "Structure: RotatingSecrets",
        "Decrypted with: keyring osd.0",
        "Request: get_rotating_key",
        "Secret id: 3",
    ] {
        assert!(tree.contains(want), "{want}: {tree}");
    }
}

#[test]
fn every_cut_of_a_real_auth_reply_is_read_without_harm() {
    let ring = Keyring::parse(&read("lab-secure.keyring")).unwrap();
    let (rows, _) = run(None, Some(&read("lab-secure.keyring")));
    // The OSD's rotating-key reply and its first renewal.
    let mut conn = CephxConn::default();
    let mut table = TicketTable::default();
    let mut fronts = Vec::new();
    for r in conn_rows(&rows, 4) {
        if let Some(c) = r.control() {
            conn.observe(c, &ring, &mut table, "tcp.stream 4");
        }
        if r.msg.is_some_and(|h| h.msg_type == 18) {
            fronts.push(r.frame().unwrap().segment(1).unwrap().to_vec());
        }
    }
    assert_eq!(
        fronts.iter().map(Vec::len).collect::<Vec<_>>(),
        [194, 580, 580]
    );
    for front in &fronts[..2] {
        for n in 0..front.len() {
            let mut c = conn.clone();
            let mut t = TicketTable::default();
            let nodes = c.observe_message(18, &front[..n], &ring, &mut t, "cut");
            // A cut reply adds nothing: its bl lengths run past the bytes.
            assert!(t.rotating.is_empty() && t.tickets.is_empty(), "cut at {n}");
            assert!(nodes.is_empty(), "cut at {n}");
        }
        let mut c = conn.clone();
        let mut t = TicketTable::default();
        assert!(!c
            .observe_message(18, front, &ring, &mut t, "whole")
            .is_empty());
        assert_eq!(t.rotating.len() + t.tickets.len(), 3);
    }
}
