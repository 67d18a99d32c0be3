//! cephx message signatures on msgr1 (captures/lab-v1.pcap, a v1-only
//! Ceph 16.2 cluster with cephx, and its keyring): client.admin's key opens
//! the monitor's MAuthReply (the AUTH session key), the renewal that grants
//! the OSD ticket, and through it each OSD connection's authorizer; the
//! signature Ceph wrote in every signed footer equals the one computed from
//! that session key (CephxSessionHandler.cc `_calc_signature`). A front
//! byte changed with its CRC re-sealed makes the signature bad. Expected
//! counts come from the OSD's and clients' logs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::cephx::Keyring;
use cephshark::model::Value;
use cephshark::msgr2::ProblemKind;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use support::capture_conv::read_all;
use support::cephx_nodes::{leaf, v1_write_op};
use support::flip::{capture, write, Placement};

/// CEPH_MSG_FOOTER_SIGNED (msgr.h).
const FOOTER_SIGNED: u8 = 4;

fn keyring_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.keyring"))
        .unwrap()
}

/// The capture's keyring cut to client.admin's section.
fn admin_ring() -> String {
    let ring = keyring_text();
    let at = ring.find("[client.admin]").unwrap();
    let end = ring[at..].find("[osd.0]").map_or(ring.len(), |e| at + e);
    ring[at..end].to_string()
}

fn rows(pcap: &[u8], keyring: Option<&str>) -> Vec<Record> {
    let cfg = Config {
        keyring: keyring.map(|k| Arc::new(Keyring::parse(k).unwrap())),
        ..Config::default()
    };
    let mut recs = Vec::new();
    dissect(pcap, cfg, &mut |r| recs.push(r)).unwrap();
    recs
}

fn verdict(r: &Record) -> Option<String> {
    match leaf(r, "ceph.cephx.dec.signature").first() {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Messages of the OSD sessions as Ceph logged them: osd_op received by
/// osd.0 from clients, osd_op_reply received by the clients from osd.0.
fn logged_osd_messages(start: f64) -> Vec<(u64, u16)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.logs");
    let mut out = Vec::new();
    for ((file, _, _), msgs) in ceph_logs::received(&dir) {
        // Logged while tcpdump ran (client.4112's op came before it).
        for m in msgs.into_iter().filter(|m| m.time >= start) {
            let client_op = file.starts_with("osd.0") && m.name == "osd_op";
            if client_op || (file.starts_with("client") && m.name == "osd_op_reply") {
                out.push((m.seq, ceph_logs::type_number(&m.name).unwrap()));
            }
        }
    }
    out.sort_unstable();
    out
}

#[test]
fn every_signed_message_verifies_with_the_keyring() {
    let recs = rows(&capture("lab-v1.pcap"), Some(&admin_ring()));
    let mut checked = Vec::new();
    for r in &recs {
        let Some(m) = r.msgr1().and_then(|it| it.msg()) else {
            continue;
        };
        let flags = m.footer.map_or(0, |f| f.flags);
        let v = verdict(r);
        // Every footer Ceph signed is checked, and only those: a monitor
        // session authenticated by MAuth has no session security in
        // ProtocolV1 (its footers carry sig 0 without SIGNED).
        assert_eq!(
            v.is_some(),
            flags & FOOTER_SIGNED != 0,
            "row {}: flags {flags:#x}, {v:?}",
            r.number
        );
        if let Some(v) = v {
            assert_eq!(v, "good", "row {}", r.number);
            assert!(r.problems().is_empty(), "row {}", r.number);
            // CEPHX_V2 is negotiated between Pacific peers.
            assert_eq!(
                leaf(r, "ceph.cephx.dec.signature_form"),
                vec![Value::Str("cephx v2".into())]
            );
            checked.push((m.header.seq, m.header.msg_type));
        }
    }
    checked.sort_unstable();
    let start = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MAX, f64::min);
    let logged = logged_osd_messages(start);
    assert_eq!(logged.len(), 12, "{logged:?}");
    assert_eq!(checked, logged);
}

#[test]
fn the_session_keys_come_from_the_monitor_replies() {
    let recs = rows(&capture("lab-v1.pcap"), Some(&admin_ring()));
    // The AUTH ticket of each MAuthReply granting a session key opens with
    // client.admin's key; the renewals grant the osd tickets.
    let auth_replies: Vec<&Record> = recs
        .iter()
        .filter(|r| !leaf(r, "ceph.cephx.dec.session_key").is_empty())
        .collect();
    assert!(!auth_replies.is_empty());
    let services: Vec<Value> = auth_replies
        .iter()
        .flat_map(|r| leaf(r, "ceph.cephx.dec.service"))
        .collect();
    assert!(
        services.contains(&Value::Str("auth".into())),
        "{services:?}"
    );
    assert!(services.contains(&Value::Str("osd".into())), "{services:?}");
    // Without a keyring nothing is checked and nothing is reported.
    let plain = rows(&capture("lab-v1.pcap"), None);
    assert!(plain.iter().all(|r| verdict(r).is_none()));
    assert!(plain.iter().all(|r| r.problems().is_empty()));
}

#[test]
fn a_front_byte_changed_with_its_crc_resealed_is_a_bad_signature() {
    let ring = admin_ring();
    let pcap = capture("lab-v1.pcap");
    let recs = rows(&pcap, Some(&ring));
    let (r, it) = v1_write_op(&recs);
    let m = it.msg().unwrap();
    let footer = m.footer.unwrap();
    let (src, dst) = (r.src.to_string(), r.dst.to_string());
    let mut pkts = read_all(&pcap);
    let place = Placement::new(&pkts);
    // Change a front byte and re-seal the front CRC: bit 2 of the third
    // last byte, in MOSDOp v8's last field (features, le64), which nothing
    // judges, so the payload still decodes.
    let mut front = it.bytes(&m.front).unwrap().to_vec();
    let at = front.len() - 3;
    front[at] ^= 1 << 2;
    assert!(
        place.flip(
            &mut pkts,
            (&src, &dst),
            it.offset + (m.front.start + at) as u64,
            2
        ) >= 1
    );
    // ceph_crc32c(0, bytes): msgr1 footers' seed.
    let new_crc = cephshark::msgr1::header::crc(&front);
    let diff = (new_crc ^ footer.front_crc).to_le_bytes();
    let crc_at = it.offset + m.footer_at as u64;
    for (i, d) in diff.iter().enumerate() {
        for bit in 0..8 {
            if d & (1 << bit) != 0 {
                assert!(place.flip(&mut pkts, (&src, &dst), crc_at + i as u64, bit) >= 1);
            }
        }
    }
    let damaged = write(&pkts);
    let after = rows(&damaged, Some(&ring));
    let all: Vec<_> = after.iter().flat_map(Record::problems).collect();
    // Exactly one problem: every CRC is good again, the signature is not.
    assert_eq!(all.len(), 1, "{all:?}");
    let p = &all[0];
    assert_eq!(
        (p.kind, p.field, p.offset, p.len),
        (
            ProblemKind::Msgr1SignatureBad,
            "msgr1.footer.sig",
            it.offset + m.footer_at as u64 + 12,
            8
        )
    );
    assert_eq!(p.found, format!("{:#018x}", footer.sig.unwrap()));
    assert!(p.expected.contains("cephx v2"), "{}", p.expected);
    assert!(p.expected.contains("osd ticket"), "{}", p.expected);
    assert_eq!(ProblemKind::Msgr1SignatureBad.name(), "msgr1_signature_bad");
    // verify --keyring fails on it and passes on the real capture.
    let dir = tempdir();
    let bad = dir.join("bad.pcap");
    std::fs::write(&bad, &damaged).unwrap();
    let key = dir.join("admin.keyring");
    std::fs::write(&key, &ring).unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.pcap");
    let verify = |p: &Path| {
        Command::new(env!("CARGO_BIN_EXE_cephshark"))
            .arg("verify")
            .arg(p)
            .arg("--keyring")
            .arg(&key)
            .output()
            .unwrap()
    };
    let out = verify(&bad);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("msgr1_signature_bad"), "{text}");
    assert!(
        text.contains("msgr1 message signatures: 11 good, 1 bad, 0 not checked"),
        "{text}"
    );
    let out = verify(&real);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("msgr1 message signatures: 12 good, 0 bad, 0 not checked\n"),
        "{text}"
    );
    // Without the keyring the same bytes pass: only the key tells.
    assert!(rows(&damaged, None).iter().all(|r| r.problems().is_empty()));
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-v1sig-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_wrong_key_checks_nothing_and_says_why() {
    // client.admin's section with osd.0's key.
    let ring = keyring_text();
    let osd_key = ring
        .split("[osd.0]")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.trim().strip_prefix("key = ")))
        .unwrap()
        .to_string();
    let wrong = format!("[client.admin]\n\tkey = {osd_key}\n");
    let recs = rows(&capture("lab-v1.pcap"), Some(&wrong));
    assert!(recs.iter().all(|r| verdict(r).is_none()));
    assert!(recs.iter().all(|r| r.problems().is_empty()));
    // The MAuthReply says its AUTH ticket does not open with that key.
    let why: Vec<Value> = recs
        .iter()
        .flat_map(|r| leaf(r, "ceph.cephx.dec.error"))
        .collect();
    assert!(
        why.iter().any(|v| matches!(v, Value::Str(s) if s.contains("auth service ticket does not open") && s.contains("(wrong key)"))),
        "{why:?}"
    );
    let dir = tempdir();
    let key = dir.join("wrong.keyring");
    std::fs::write(&key, &wrong).unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-v1.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-q", "-z", "keys", "--keyring"])
        .arg(&key)
        .arg(&real)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // The six OSD sessions, each with its two signed messages unchecked.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("-> 127.0.0.1:47701"))
        .collect();
    assert_eq!(lines.len(), 6, "{text}");
    for l in lines {
        let cols: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(cols[4..7], ["0", "0", "2"], "{l}");
        assert!(l.contains("none: ticket for osd (secret_id 2)"), "{l}");
        assert!(!l.contains("key file"), "{l}");
    }
}
