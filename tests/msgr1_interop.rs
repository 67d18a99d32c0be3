//! msgr1 beside msgr2: a side that sends the other protocol's banner is an
//! interop failure naming both banners (msgr.h CEPH_BANNER `ceph v027`,
//! CEPH_BANNER_V2_PREFIX `ceph v2`), whichever side spoke first; and a
//! capture holding msgr1 and msgr2 connections lists both, each row and
//! connection saying which.

mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::msgr1::encoder::legacy_addr;
use cephshark::msgr2::ProblemKind;
use support::capture_conv::read_all;
use support::flip::{capture, write};
use support::synth::{connection, Send};

fn rows(pcap: &[u8]) -> Vec<Record> {
    let mut recs = Vec::new();
    dissect(pcap, Config::default(), &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    recs
}

/// msgr2's banner: `ceph v2\n`, payload length 16, supported and required
/// features (msgr.h; ProtocolV2.cc `_banner_exchange`).
fn v2_banner() -> Vec<u8> {
    let mut b = b"ceph v2\n".to_vec();
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b
}

fn v1_client_hello() -> Vec<u8> {
    let mut b = b"ceph v027".to_vec();
    b.extend(legacy_addr([127, 0, 0, 1], 0, 7));
    b
}

fn v1_server_hello() -> Vec<u8> {
    let mut b = b"ceph v027".to_vec();
    b.extend(legacy_addr([127, 0, 0, 1], 3300, 0));
    b.extend(legacy_addr([127, 0, 0, 1], 40000, 0));
    b
}

fn mismatch(recs: &[Record]) -> Vec<(String, String, String)> {
    recs.iter()
        .flat_map(|r| r.problems())
        .filter(|p| p.kind == ProblemKind::BannerMismatch)
        .map(|p| (p.field.to_string(), p.expected, p.found))
        .collect()
}

#[test]
fn msgr1_client_at_a_msgr2_listener() {
    // The v2 server's banner comes first, then the v1 client's.
    let pcap = connection(
        40000,
        3300,
        &[
            Send {
                from_client: false,
                data: v2_banner(),
            },
            Send {
                from_client: true,
                data: v1_client_hello(),
            },
        ],
        1460,
    );
    let recs = rows(&pcap);
    assert_eq!(
        mismatch(&recs),
        [(
            "msgr2.banner".to_string(),
            "ceph v2 (msgr2, the peer's banner)".to_string(),
            "ceph v027 (msgr1)".to_string()
        )]
    );
    let r = recs
        .iter()
        .find(|r| !r.problems().is_empty())
        .unwrap_or_else(|| unreachable!());
    assert_eq!(r.tag_name(), "[BANNER-MISMATCH]");
    assert_eq!(r.src.port(), 40000);
    assert!(r.is_faulty());
}

#[test]
fn msgr2_client_at_a_msgr1_listener() {
    // The v1 server speaks first; the client answers with msgr2's banner.
    let pcap = connection(
        40000,
        6789,
        &[
            Send {
                from_client: false,
                data: v1_server_hello(),
            },
            Send {
                from_client: true,
                data: v2_banner(),
            },
        ],
        1460,
    );
    let recs = rows(&pcap);
    assert_eq!(
        mismatch(&recs),
        [(
            "msgr1.banner".to_string(),
            "ceph v027 (msgr1, the peer's banner)".to_string(),
            "ceph v2 (msgr2)".to_string()
        )]
    );
    // The server's side decodes as msgr1.
    let names: Vec<String> = recs
        .iter()
        .filter(|r| r.msgr1().is_some())
        .map(Record::tag_name)
        .collect();
    assert_eq!(names, ["BANNER", "ADDR"]);
}

#[test]
fn a_mixed_capture_lists_both() {
    // Two real captures' packets in one file: msgr2 (port 44600 and up)
    // and msgr1 (47700 and up) connections side by side.
    let mut pkts = read_all(&capture("none-crc.pcap"));
    pkts.extend(read_all(&capture("lab-v1.pcap")));
    let recs = rows(&write(&pkts));
    let count = |proto: &str| {
        recs.iter()
            .filter(|r| r.proto() == proto && r.is_message())
            .count()
    };
    // lab-v1: 219 MSGs (tests/msgr1.rs); none-crc: its MESSAGE frames.
    let v2 = rows(&capture("none-crc.pcap"))
        .iter()
        .filter(|r| r.is_message())
        .count();
    assert_eq!(count("msgr1"), 219);
    assert_eq!(count("msgr2"), v2);
    assert!(recs
        .iter()
        .all(|r| r.proto() == "msgr2" || r.src.port() >= 47700 || r.dst.port() >= 47700));
    assert!(recs
        .iter()
        .filter(|r| r.proto() == "msgr1")
        .all(|r| !r.is_faulty()));
}
