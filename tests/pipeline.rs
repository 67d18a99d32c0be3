//! The whole pipeline on rewritten captures: other link types, pcapng and
//! byte orders give identical frame lists.

mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::capture::LinkType;
use std::path::Path;
use std::sync::Arc;
use support::capture_conv::{convert_pcap, convert_pcap_with, to_pcapng, to_pcapng_with};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Everything a row says except its time (pcapng interface 0 keeps
/// microseconds, like the source) and link-dependent packet sizes.
type Row = (
    u64,
    u32,
    &'static str,
    String,
    String,
    String,
    [u32; 4],
    String,
    u64,
    u64,
    Option<(u64, u16)>,
    Vec<u64>,
);

fn rows(capture: &[u8], cfg: Config) -> Vec<Row> {
    let mut recs: Vec<Record> = Vec::new();
    let s = dissect(capture, cfg, &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.read_error.is_none(), "{:?}", s.read_error);
    recs.iter()
        .map(|r| {
            let (off, len) = r.range();
            (
                r.number,
                r.conn.0,
                r.dir.short(),
                r.src.to_string(),
                r.dst.to_string(),
                r.tag_name(),
                r.segment_lens(),
                r.status(),
                off,
                len,
                r.msg.map(|h| (h.seq, h.msg_type)),
                r.packets.iter().map(|p| p.0).collect(),
            )
        })
        .collect()
}

fn times(capture: &[u8]) -> Vec<(i64, u32)> {
    let mut out = Vec::new();
    dissect(capture, Config::default(), &mut |r| {
        out.push((r.ts.secs, r.ts.nanos))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn every_link_type_and_format_gives_the_same_frames() {
    for name in ["none-crc.pcap", "cephx-crc.pcap"] {
        let orig = read(name);
        let want = rows(&orig, Config::default());
        assert!(want.len() > 400);
        for link in [
            LinkType::LINUX_SLL,
            LinkType::LINUX_SLL2,
            LinkType::NULL,
            LinkType::LOOP,
            LinkType::RAW,
            LinkType::IPV4,
        ] {
            for big in [false, true] {
                let conv = convert_pcap_with(&orig, link, big);
                assert_eq!(
                    rows(&conv, Config::default()),
                    want,
                    "{name} as link type {} (big-endian {big})",
                    link.0
                );
            }
        }
        for big in [false, true] {
            assert_eq!(
                rows(&to_pcapng_with(&orig, big), Config::default()),
                want,
                "{name} as pcapng (big-endian {big})"
            );
        }
        // Nanosecond pcap keeps the times exactly.
        assert_eq!(
            times(&convert_pcap(&orig, LinkType::LINUX_SLL2)),
            times(&orig)
        );
    }
}

#[test]
fn secure_capture_decrypts_the_same_under_every_layout() {
    let keys = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/cephx-secure.keys"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = Config {
        keys: Some(Arc::new(
            cephshark::msgr2::keys::KeyLog::parse(&keys).unwrap_or_else(|e| panic!("{e}")),
        )),
        ..Config::default()
    };
    let orig = read("cephx-secure.pcap");
    let want = rows(&orig, cfg.clone());
    assert!(
        want.iter().all(|r| r.7 == "ok" || r.7 == "mid_stream"),
        "all intact"
    );
    assert_eq!(rows(&read("cephx-secure.pcapng"), cfg.clone()), want);
    assert_eq!(rows(&to_pcapng(&orig), cfg.clone()), want);
    assert_eq!(rows(&convert_pcap(&orig, LinkType::LINUX_SLL2), cfg), want);
}
