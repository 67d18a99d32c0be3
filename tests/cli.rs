//! The `cephshark` binary as a user runs it: listing, JSON lines, verify
//! and its exit codes, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
}

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cephshark: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

#[test]
fn lists_frames_as_text() {
    let p = capture("none-crc.pcap");
    let o = run(&["-r", p.to_str().unwrap_or_default()]);
    assert!(o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // A client's connection to the monitor, in order.
    let conn1: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("42644"))
        .copied()
        .collect();
    assert!(conn1[0].contains("BANNER") && conn1[0].contains("supported=0x1 required=0x0"));
    assert!(
        conn1[2].contains("HELLO")
            && conn1[2].contains("segs=36+0+0+0")
            && conn1[2].contains("[ok]")
    );
    assert!(conn1
        .iter()
        .any(|l| l.contains("MESSAGE")
            && l.contains("seq=5 type=41 tid=0 osd_map(9..9 src has 1..9)")));
    assert!(lines.iter().all(|l| l.ends_with(']')));
}

#[test]
fn jsonl_has_the_documented_keys() {
    let p = capture("cephx-crc.pcap");
    let o = run(&["-r", p.to_str().unwrap_or_default(), "-T", "jsonl"]);
    assert!(o.status.success());
    let mut n = 0u64;
    let mut messages = 0;
    for line in stdout(&o).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        n += 1;
        assert_eq!(v["frame"], n, "frames are numbered 1, 2, ...");
        for key in ["time", "src", "dst", "conn", "tag", "segments", "status"] {
            assert!(!v[key].is_null(), "missing {key} in {line}");
        }
        assert_eq!(v["segments"].as_array().map(Vec::len), Some(4));
        assert!(v["src"]
            .as_str()
            .is_some_and(|s| s.starts_with("127.0.0.1:")));
        if v["tag"] == "MESSAGE" {
            messages += 1;
            assert!(v["msg_type"].is_u64() && v["seq"].is_u64(), "{line}");
            assert_eq!(v["status"], "ok");
        }
    }
    assert!(messages > 150);
}

#[test]
fn verify_passes_on_intact_captures() {
    let a = capture("none-crc.pcap");
    let b = capture("cephx-crc.pcap");
    let o = run(&[
        "verify",
        a.to_str().unwrap_or_default(),
        b.to_str().unwrap_or_default(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(": OK")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("0 problems"));
}

/// Flip one byte inside a MESSAGE frame's header segment in the pcap file:
/// verify must fail and name the frame, the CRC field, its packet and both values.
#[test]
fn verify_names_a_corrupted_byte() {
    let src = capture("none-crc.pcap");
    let mut bytes = std::fs::read(&src).unwrap_or_else(|e| panic!("{e}"));
    // Find a MESSAGE frame (osd_map, seq 5 of the client at port 42644) via JSON.
    let o = run(&["-r", src.to_str().unwrap_or_default(), "-T", "jsonl"]);
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // Pick a MESSAGE frame whose preamble occurs once in the file.
    let preamble_of = |v: &serde_json::Value| -> Vec<u8> {
        let lens = v["segments"].as_array().cloned().unwrap_or_default();
        let n = lens
            .iter()
            .rposition(|l| l.as_u64() != Some(0))
            .map_or(1, |i| i + 1);
        let segs: Vec<cephshark::msgr2::preamble::SegmentDesc> = lens
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, l)| cephshark::msgr2::preamble::SegmentDesc {
                len: l.as_u64().unwrap_or_default() as u32,
                align: if i == 3 { 4096 } else { 8 },
            })
            .collect();
        cephshark::msgr2::preamble::encode(17, &segs, 0).to_vec()
    };
    let (target, pre) = rows
        .iter()
        .filter(|v| {
            v["tag"] == "MESSAGE"
                && v["segments"][0] == 41
                && v["packets"].as_array().map(Vec::len) == Some(1)
        })
        .map(|v| (v, preamble_of(v)))
        .find(|(_, pre)| bytes.windows(32).filter(|w| *w == &pre[..]).count() == 1)
        .unwrap_or_else(|| panic!("no MESSAGE frame with a unique preamble"));
    let number = target["frame"].as_u64().unwrap_or_default();
    let stream_off = target["offset"].as_u64().unwrap_or_default();
    let stored = target["checks"][1]["stored"].as_u64().unwrap_or_default();
    let dir_name = target["dir"].as_str().unwrap_or_default().to_string();
    let at = bytes
        .windows(32)
        .position(|w| w == &pre[..])
        .unwrap_or_else(|| panic!("preamble not in file"));
    bytes[at + 32 + 10] ^= 0x01;
    let dir = tmpdir("corrupt");
    let bad = dir.join("bad.pcap");
    std::fs::write(&bad, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["verify", bad.to_str().unwrap_or_default()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("segment_crc_bad"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains(&format!("frame {number} (MESSAGE)")),
        "{line}"
    );
    assert!(line.contains(&format!(" {dir_name} ")), "{line}");
    // The first segment's CRC sits right after the 41-byte header.
    assert!(
        line.contains(&format!("stream offset {}", stream_off + 32 + 41)),
        "{line}"
    );
    assert!(line.contains(&format!("found {stored:#010x}")), "{line}");
    assert!(line.contains("msgr2.segment.crc"), "{line}");
    assert!(line.contains("packet "), "{line}");
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("segment_crc_bad"))
            .count(),
        1,
        "{out}"
    );
    // One problem, said in the singular (the capture's 1053 packets, 33
    // msgr2 connections and 449 frames, as verify counts them intact). The
    // flipped byte is in the header's tid: a damaged header is not paired
    // with replies, so no request is reported unanswered because of it.
    assert!(
        out.ends_with("FAILED — 1053 packets, 33 msgr2 connections, 449 frames, 1 problem\n"),
        "{out}"
    );
}

/// A capture with no msgr2 in it says what was seen: `verify` does not
/// pass it (nothing was checked) and the listing notes it on stderr.
#[test]
fn no_msgr2_is_said_not_passed() {
    let dir = tmpdir("no-msgr2");
    let empty = dir.join("empty.pcap");
    // A pcap header alone: LINKTYPE_ETHERNET, no packet.
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    std::fs::write(&empty, &header).unwrap_or_else(|e| panic!("{e}"));
    let name = empty.to_str().unwrap_or_default();
    let o = run(&["verify", name]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        format!(
            "{name}: no msgr2 traffic: 0 packets (0 not TCP), 0 TCP connections with data, no msgr2 banner or preamble found\n\
             {name}: FAILED — 0 packets, 0 msgr2 connections, 0 frames, 0 problems\n"
        )
    );
    let o = run(&["-r", name]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "cephshark: {name}: no msgr2 traffic: 0 packets (0 not TCP), 0 TCP connections with data, no msgr2 banner or preamble found\n"
        )
    );
}

/// A secure capture verified without its keys says how many directions
/// stayed encrypted and how to open them; with the keys it passes.
#[test]
fn verify_without_keys_says_how_to_open_them() {
    let pcap = capture("cephx-secure.pcap");
    let o = run(&["verify", pcap.to_str().unwrap_or_default()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    // captures/README.md: 34 connections, every one in secure mode, both
    // directions of each.
    assert!(
        out.contains(": 68 directions in secure mode could not be decrypted: give their keys with --keys FILE or --keyring FILE\n"),
        "{out}"
    );
    let keys = capture("cephx-secure.keys");
    let o = run(&[
        "verify",
        pcap.to_str().unwrap_or_default(),
        "--keys",
        keys.to_str().unwrap_or_default(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(!out.contains("could not be decrypted"), "{out}");
}

#[test]
fn unreadable_input_exits_2() {
    let dir = tmpdir("unreadable");
    let garbage = dir.join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture file at all")
        .unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("{e}"));
    for p in [garbage, empty, dir.join("missing.pcap")] {
        for args in [
            vec!["verify", p.to_str().unwrap_or_default()],
            vec!["-r", p.to_str().unwrap_or_default()],
        ] {
            let o = run(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.starts_with("cephshark: "), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

/// Where the last whole record of a little-endian pcap file cut at `cut`
/// ends, and how many records come before it.
fn last_whole_record(bytes: &[u8], cut: usize) -> (usize, u64) {
    let (mut off, mut n) = (24usize, 0u64);
    while let Some(h) = bytes.get(off..off + 16) {
        let incl = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
        if off + 16 + incl > cut {
            break;
        }
        off += 16 + incl;
        n += 1;
    }
    (off, n)
}

/// tshark's rule: the rows decoded are printed, and a file cut short
/// exits 2 with a message naming where it was cut.
#[test]
fn truncated_capture_lists_what_it_can_and_exits_2() {
    let src = std::fs::read(capture("none-crc.pcap")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&src[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
    let dir = tmpdir("truncated");
    let cuts = [
        (src.len() / 3, 413, (2_047_948, 746)),
        (src.len() / 2 + 7, 413, (3_099_886, 787)),
        (src.len() - 5, 513, (6_261_356, 1052)),
    ];
    for (cut, rows, (at, packets)) in cuts {
        assert_eq!(last_whole_record(&src, cut), (at, packets));
        let p = dir.join(format!("cut{cut}.pcap"));
        std::fs::write(&p, &src[..cut]).unwrap_or_else(|e| panic!("{e}"));
        let name = p.to_str().unwrap_or_default();
        let o = run(&["-r", name]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(stdout(&o).lines().count(), rows);
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            format!(
                "cephshark: The file \"{name}\" appears to have been cut short: \
                 capture truncated at byte {at} (inside a block), after {packets} packets\n"
            )
        );
        // The same from standard input, and with -q -z (statistics still printed).
        let file = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{e}"));
        let o = bin()
            .args(["-r", "-", "-q", "-z", "tags"])
            .stdin(file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.status.code(), Some(2));
        assert!(stdout(&o).contains("MESSAGE"), "{}", stdout(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("\"-\" appears to have been cut short"));
        let o = run(&["verify", name]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains(&format!(
            "{name}: capture ends early: capture truncated at byte {at}"
        )));
    }
}

fn refused(args: &[&str], message: &str) {
    let o = run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("cephshark: {message}\n")
    );
    assert!(o.stdout.is_empty(), "{args:?}");
}

/// `verify` after the capture is not a listing that exits 0: it is refused,
/// with the command that was meant.
#[test]
fn verify_after_the_capture_is_an_error() {
    let good = capture("none-crc.pcap");
    let good = good.to_str().unwrap_or_default();
    let dir = tmpdir("verify-word");
    let bad = dir.join("bad.pcap");
    let mut bytes = std::fs::read(good).unwrap_or_else(|e| panic!("{e}"));
    bytes[300_000] ^= 0x01;
    std::fs::write(&bad, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let bad = bad.to_str().unwrap_or_default();
    let msg = format!(
        "unexpected argument 'verify' after the capture {bad}: to verify it, run `cephshark verify {bad}`"
    );
    refused(&["-r", bad, "verify"], &msg);
    refused(&[bad, "verify"], &msg);
    refused(&["-r", bad, good, "verify"], &msg);
    // What it points to does what was meant.
    assert_eq!(run(&["verify", bad]).status.code(), Some(1));
}

/// A second capture not given with -r is refused, saying how to read
/// several as one (`-r A -r B`).
#[test]
fn a_second_capture_without_r_is_an_error() {
    let a = capture("none-crc.pcap");
    let a = a.to_str().unwrap_or_default();
    let b = capture("cephx-crc.pcap");
    let b = b.to_str().unwrap_or_default();
    refused(
        &["-r", a, b],
        &format!(
            "unexpected argument '{b}': -r already names the capture ({a}); \
             to read several captures as one, give each with -r (`-r A -r B`)"
        ),
    );
    refused(
        &[a, b],
        &format!(
            "two captures given ('{a}' and '{b}'): to read several captures as one, \
             give each with -r (`-r {a} -r {b}`)"
        ),
    );
    refused(
        &[a, a, "-q"],
        &format!(
            "two captures given ('{a}' and '{a}'): to read several captures as one, \
             give each with -r (`-r {a} -r {a}`)"
        ),
    );
}

#[test]
fn reads_standard_input() {
    let p = capture("none-crc.pcap");
    let file = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{e}"));
    let o = bin()
        .args(["-r", "-"])
        .stdin(file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success());
    let direct = run(&["-r", p.to_str().unwrap_or_default()]);
    assert_eq!(stdout(&o), stdout(&direct));
}

/// The 102-byte pcap that crashed the binary (SIGSEGV): one Ethernet/IPv6
/// packet whose payload is a hop-by-hop header naming a second hop-by-hop
/// header. Every entry point reads it, reports the packet as malformed and
/// exits normally.
#[test]
fn ipv6_double_hop_by_hop_pcap_does_not_crash() {
    let mut pcap = Vec::new();
    // Global header: magic, v2.4, zone 0, sigfigs 0, snaplen 65535, Ethernet.
    for part in [
        &0xa1b2_c3d4u32.to_le_bytes()[..],
        &2u16.to_le_bytes(),
        &4u16.to_le_bytes(),
        &[0; 8],
        &65535u32.to_le_bytes(),
        &1u32.to_le_bytes(),
    ] {
        pcap.extend_from_slice(part);
    }
    let mut packet = vec![0xff; 6];
    packet.extend_from_slice(&[0; 6]);
    packet.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 0, 64]);
    packet.extend_from_slice(&[0; 15]);
    packet.push(1);
    packet.extend_from_slice(&[0; 15]);
    packet.push(1);
    packet.extend_from_slice(&[0, 0, 1, 4, 0, 0, 0, 0]);
    for v in [0u32, 0, 62, 62] {
        pcap.extend_from_slice(&v.to_le_bytes());
    }
    pcap.extend_from_slice(&packet);
    assert_eq!(pcap.len(), 102);
    let d = tmpdir("hbh");
    let f = d.join("hbh.pcap");
    std::fs::write(&f, &pcap).unwrap_or_else(|e| panic!("{e}"));
    let path = f.to_str().unwrap_or_default();
    let o = run(&["-r", path]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v = run(&["verify", path]);
    // No msgr2 in it: verify finds no problem in what it could read.
    assert!(v.status.code().is_some(), "killed by a signal: {v:?}");
    let o = bin()
        .args(["-r", "-"])
        .stdin(std::fs::File::open(&f).unwrap_or_else(|e| panic!("{e}")))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}
