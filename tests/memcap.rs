//! The memory cap: with a small `--memcap` the idlest connections are
//! evicted and each is reported with the bytes that were not analysed;
//! with the default cap the real captures dissect exactly as with none.

use cephshark::analysis::{dissect, Config, Record, Summary};
use cephshark::msgr2::ProblemKind;
use std::path::{Path, PathBuf};
use std::process::Command;

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn run(name: &str, memcap: usize) -> (Vec<Record>, Summary) {
    let bytes = std::fs::read(path(name)).unwrap_or_else(|e| panic!("{e}"));
    let cfg = Config {
        memcap,
        ..Config::default()
    };
    let mut recs = Vec::new();
    let s = dissect(&bytes[..], cfg, &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    (recs, s)
}

/// Everything a row says, as the text listing and verify show it.
fn show(r: &Record) -> String {
    format!(
        "{} {} {} {} {:?} {:?} {} {:?}",
        r.number,
        r.conn,
        r.dir.short(),
        r.tag_name(),
        r.range(),
        r.packets,
        r.status(),
        r.problems()
    )
}

/// `(conn, dir, offset, bytes not analysed, packet of eviction)` of each
/// eviction row.
fn evictions(recs: &[Record]) -> Vec<(u32, &'static str, u64, u64, u64)> {
    recs.iter()
        .flat_map(|r| {
            r.problems()
                .into_iter()
                .filter(|p| p.kind == ProblemKind::MemcapEvicted)
                .map(move |p| (r.conn.0, r.dir.short(), p.offset, p.len, r.packets[0].0))
        })
        .collect()
}

fn cephshark(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_small_cap_evicts_the_idlest_connections_and_names_the_bytes() {
    let (recs, _) = run("cephx-crc.pcap", 64 << 10);
    // Connection 23 (an OSD session writing 3 MB) is the idlest when the
    // cap is first reached at packet 652, then 22; and so on. Each
    // direction's row starts where analysis stopped.
    let want = [
        (23, "c2s", 765, 3_000_302, 652),
        (23, "s2c", 450, 237, 652),
        (22, "c2s", 928, 0, 652),
        (27, "s2c", 450, 3_454_787, 843),
        (26, "c2s", 928, 0, 843),
        (29, "c2s", 1098, 152, 1047),
        (29, "s2c", 3930, 73_967, 1047),
    ];
    assert_eq!(evictions(&recs), want);
    let row = recs
        .iter()
        .find(|r| r.conn.0 == 29 && r.tag_name() == "[EVICTED]")
        .unwrap_or_else(|| panic!("no eviction row"));
    assert_eq!(row.status(), "memcap_evicted");
    assert_eq!(
        row.problems()[0].found,
        "152 bytes not analysed: connection evicted at packet 1047, memory cap reached"
    );
}

#[test]
fn verify_fails_on_evicted_connections() {
    let file = path("cephx-crc.pcap");
    let file = file.to_str().unwrap_or_else(|| panic!("path"));
    let (code, out) = cephshark(&["verify", "--memcap", "64K", file]);
    assert_eq!(code, 1);
    assert_eq!(out.matches("memcap_evicted").count(), 7);
    assert!(out.contains(
        "conn 23 c2s frame 426 ([EVICTED]) stream offset 765 packet 652: memcap_evicted at \
         tcp.evicted: expected analysed, found 3000302 bytes not analysed: connection evicted \
         at packet 652, memory cap reached"
    ));
    assert!(out.ends_with("FAILED — 1054 packets, 30 msgr2 connections, 473 frames, 7 problems\n"));
    let line = out
        .lines()
        .find(|l| l.contains("conn 29 s2c") && l.contains("[EVICTED]"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("stream offset 3930 packet 1047: memcap_evicted at tcp.evicted"));
    assert!(line.contains("found 73967 bytes not analysed"));
    // The same capture passes with the default cap.
    let (code, out) = cephshark(&["verify", file]);
    assert_eq!(code, 0, "{out}");
    // A cap that is not a size is refused.
    let (code, _) = cephshark(&["verify", "--memcap", "lots", file]);
    assert_eq!(code, 2);
}

#[test]
fn the_default_cap_changes_nothing_on_real_captures() {
    for name in ["none-crc.pcap", "cephx-crc.pcap", "cephx-secure.pcap"] {
        let (capped, a) = run(name, Config::default().memcap);
        let (free, b) = run(name, usize::MAX);
        assert!(evictions(&capped).is_empty(), "{name}");
        let show_all = |rs: &[Record]| rs.iter().map(show).collect::<Vec<_>>();
        assert_eq!(show_all(&capped), show_all(&free), "{name}");
        assert_eq!(a.conns, b.conns, "{name}");
    }
}

#[test]
fn syn_only_flows_are_not_msgr2_connections() {
    use cephshark::capture::{PcapOptions, PcapWriter, Timestamp};
    use etherparse::PacketBuilder;
    let mut w =
        PcapWriter::new(Vec::new(), PcapOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    for (i, port) in (40_000u16..40_100).enumerate() {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(port, 3300, 1000, 65535)
            .syn();
        let mut pkt = Vec::new();
        b.write(&mut pkt, &[]).unwrap_or_else(|e| panic!("{e}"));
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: u32::try_from(i).unwrap_or(0) * 1000,
        };
        let len = u32::try_from(pkt.len()).unwrap_or(0);
        w.write_packet(ts, len, &pkt)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bytes = w.into_inner().unwrap_or_else(|e| panic!("{e}"));
    let mut rows = 0;
    let s = dissect(&bytes[..], Config::default(), &mut |_| rows += 1)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((rows, s.packets, s.conns.len()), (0, 100, 0));
    let file = std::env::temp_dir().join(format!("cephshark-syn-{}.pcap", std::process::id()));
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = cephshark(&["verify", file.to_str().unwrap_or("-")]);
    let _ = std::fs::remove_file(&file);
    // Nothing but SYNs: no msgr2 was checked, which verify does not pass.
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "{0}: no msgr2 traffic: 100 packets (100 Ethernet, 0 not TCP), 0 TCP connections with data, no msgr2 banner or preamble found\n\
             {0}: FAILED — 100 packets, 0 msgr2 connections, 0 frames, 0 problems\n",
            file.display()
        )
    );
}

/// Dissect `name` while the caller says it holds `caller` bytes per
/// connection on the dissection's behalf.
fn run_charged(name: &str, caller: usize) -> Vec<Record> {
    use cephshark::analysis::Dissector;
    use cephshark::capture::CaptureReader;
    let bytes = std::fs::read(path(name)).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = CaptureReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
    let mut d = Dissector::new(Config::default());
    let mut recs = Vec::new();
    d.charge_caller(caller);
    while let Some(pkt) = reader.next_packet().unwrap_or_else(|e| panic!("{e}")) {
        d.packet(&pkt, &mut |r| recs.push(r));
    }
    d.finish(&mut |r| recs.push(r));
    recs
}

/// What the caller keeps per connection (the statistics of `-z conv`)
/// counts against the cap past the fixed allowance: a caller that holds
/// the whole cap leaves no room for any connection's state.
#[test]
fn what_the_caller_holds_is_charged_past_the_allowance() {
    use cephshark::analysis::memcap::{DEFAULT_MEMCAP, OUTSIDE_ALLOWANCE};
    let (free, _) = run("cephx-crc.pcap", usize::MAX);
    let within = run_charged("cephx-crc.pcap", OUTSIDE_ALLOWANCE);
    assert!(evictions(&within).is_empty());
    let show_all = |rs: &[Record]| rs.iter().map(show).collect::<Vec<_>>();
    assert_eq!(show_all(&within), show_all(&free));
    let over = run_charged("cephx-crc.pcap", OUTSIDE_ALLOWANCE + DEFAULT_MEMCAP);
    let ev = evictions(&over);
    // Each connection goes as soon as it holds state: connection 0 at the
    // packet of its first frame, connection 1 at its banners.
    assert_eq!(ev.len(), 59);
    let first = [
        (0, "s2c", 861, 354, 17),
        (1, "c2s", 0, 690, 26),
        (1, "s2c", 26, 1189, 26),
        (2, "c2s", 0, 928, 53),
    ];
    assert_eq!(ev[..4], first);
}
