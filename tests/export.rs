//! Exports: `-w` writes the packets of the matching rows as a capture that
//! tshark reads (same packets, times and lengths) and that cephshark reads
//! back into exactly the filtered frames; `--export-streams` writes each
//! direction's plaintext preambles and segments, byte for byte.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::analysis::{dissect, Config, Record};
use cephshark::capture::{CaptureReader, PacketIndex, Timestamp};
use cephshark::cli::export::stream_file_name;
use cephshark::filter::Filter;
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::preamble::{Preamble, LEN as PREAMBLE_LEN};
use cephshark::tcp::{ConnId, Direction};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn keys() -> Config {
    let text = std::fs::read_to_string(capture("cephx-secure.keys")).unwrap();
    Config {
        keys: Some(Arc::new(KeyLog::parse(&text).unwrap())),
        ..Config::default()
    }
}

fn rows(path: &Path, cfg: Config) -> Vec<Record> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let s = dissect(&bytes[..], cfg, &mut |r| out.push(r)).unwrap();
    assert!(s.read_error.is_none(), "{:?}", s.read_error);
    out
}

fn cephshark(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap()
}

/// A frame's identity and contents: endpoints, tag, seq and plaintext.
fn frame_key(r: &Record) -> (String, String, String, Option<u64>, Vec<u8>) {
    let data = r.frame().map(|f| f.data.to_vec()).unwrap_or_default();
    (
        r.src.to_string(),
        r.dst.to_string(),
        r.tag_name(),
        r.msg.map(|h| h.seq),
        data,
    )
}

/// (time, origlen, caplen) of each packet, by number.
fn packets(path: &Path) -> BTreeMap<u64, (Timestamp, u32, u32)> {
    let f = std::fs::File::open(path).unwrap();
    let mut r = CaptureReader::new(std::io::BufReader::new(f)).unwrap();
    let mut out = BTreeMap::new();
    while let Some(p) = r.next_packet().unwrap() {
        out.insert(p.index.0, (p.ts, p.origlen, p.caplen));
    }
    out
}

fn tshark() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("tshark"))
        .find(|p| p.is_file())
}

/// tshark's view of a capture: (epoch time in microseconds, frame.len, frame.cap_len) per packet.
fn tshark_packets(tshark: &Path, file: &Path) -> Vec<(i64, u32, u32)> {
    let o = Command::new(tshark)
        .args([
            "-r",
            file.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (s, frac) = f[0].split_once('.').unwrap();
            let us = s.parse::<i64>().unwrap() * 1_000_000
                + format!("{:0<6}", &frac[..frac.len().min(6)])
                    .parse::<i64>()
                    .unwrap();
            (us, f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect()
}

/// Export `filter`'s rows of `name` with -w and check the result with
/// tshark and with cephshark.
fn check_write(name: &str, filter: &str, secure: bool) -> usize {
    let src = capture(name);
    let cfg = if secure { keys() } else { Config::default() };
    let all = rows(&src, cfg.clone());
    let f = Filter::parse(filter).unwrap();
    let want: Vec<&Record> = all.iter().filter(|r| f.matches(r)).collect();
    assert!(!want.is_empty(), "{filter}");
    let wanted_packets: BTreeSet<u64> = want
        .iter()
        .flat_map(|r| r.packets.iter().map(|p| p.0))
        .collect();

    let tag: String = filter
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let out = tmpdir(&format!("w-{tag}")).join("out.pcap");
    let mut args = vec![
        "-r",
        src.to_str().unwrap(),
        "-Y",
        filter,
        "-w",
        out.to_str().unwrap(),
    ];
    let keyfile = capture("cephx-secure.keys");
    if secure {
        args.extend(["--keys", keyfile.to_str().unwrap()]);
    }
    let o = cephshark(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "-w without -P prints no rows");

    // The packets written: exactly the wanted ones, in capture order,
    // with their times and lengths.
    let orig = packets(&src);
    let got = packets(&out);
    let expect: Vec<(Timestamp, u32, u32)> = wanted_packets.iter().map(|n| orig[n]).collect();
    assert_eq!(
        got.values().copied().collect::<Vec<_>>(),
        expect,
        "{name}: {filter}"
    );

    match tshark() {
        Some(t) => {
            let seen = tshark_packets(&t, &out);
            let expect_us: Vec<(i64, u32, u32)> = expect
                .iter()
                .map(|(ts, orig, cap)| (ts.secs * 1_000_000 + i64::from(ts.nanos / 1000), *orig, *cap))
                .collect();
            assert_eq!(seen, expect_us, "tshark reads the same packets: {name}: {filter}");
        }
        None => eprintln!("\n\n*** SKIPPED: tshark is not installed; the -w output was not checked with tshark ***\n\n"),
    }

    // cephshark reads back exactly the filtered rows (connection numbers
    // start again from 0, so rows are compared by endpoints and contents).
    let back = rows(&out, cfg);
    let again: Vec<_> = back.iter().map(frame_key).collect();
    let expected: Vec<_> = want.iter().map(|r| frame_key(r)).collect();
    assert_eq!(
        again.len(),
        expected.len(),
        "{name}: {filter}: rows read back"
    );
    if let Some(i) = (0..again.len()).find(|i| again[*i] != expected[*i]) {
        let head = |k: &(String, String, String, Option<u64>, Vec<u8>)| {
            (k.0.clone(), k.1.clone(), k.2.clone(), k.3, k.4.len())
        };
        panic!(
            "{name}: {filter}: row {} read back differs: {:?} vs {:?}",
            i + 1,
            head(&again[i]),
            head(&expected[i])
        );
    }
    assert!(
        back.iter().all(|r| !r.is_faulty()),
        "{name}: {filter}: every row read back is intact"
    );
    back.len()
}

#[test]
fn w_exports_osd_ops() {
    // Each osd_op sits in packets of its own: nothing else comes back.
    assert_eq!(
        check_write("none-crc.pcap", "ceph.msg.type == osd_op", false),
        15
    );
}

#[test]
fn w_exports_a_connection_and_a_tag() {
    assert_eq!(check_write("cephx-crc.pcap", "tcp.stream == 10", false), 21);
    assert_eq!(
        check_write(
            "cephx-crc.pcap",
            "msgr2.tag == HELLO && tcp.dir == c2s",
            false
        ),
        30
    );
}

#[test]
fn w_exports_a_secure_connection_that_decrypts_again() {
    assert_eq!(
        check_write("cephx-secure.pcap", "tcp.stream == 3", true),
        14
    );
}

#[test]
fn w_without_a_filter_copies_every_packet() {
    let src = capture("none-crc.pcap");
    let out = tmpdir("all").join("all.pcap");
    let o = cephshark(&["-r", src.to_str().unwrap(), "-w", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(packets(&out), packets(&src));
    if let Some(t) = tshark() {
        assert_eq!(tshark_packets(&t, &out).len(), 1053);
    }
}

#[test]
fn w_refuses_standard_input() {
    let out = tmpdir("stdin").join("x.pcap");
    let o = cephshark(&["-r", "-", "-w", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("standard input can be read only once"));
    assert!(!out.exists());
}

/// Every secure direction's stream file holds each frame's plaintext
/// preamble and segments, in order, and nothing else.
#[test]
fn export_streams_holds_every_plaintext_byte() {
    let src = capture("cephx-secure.pcap");
    let dir = tmpdir("streams");
    let keyfile = capture("cephx-secure.keys");
    let o = cephshark(&[
        "-r",
        src.to_str().unwrap(),
        "--keys",
        keyfile.to_str().unwrap(),
        "-q",
        "--export-streams",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recs = rows(&src, keys());
    let mut expect: BTreeMap<(ConnId, Direction), (String, Vec<u8>, usize)> = BTreeMap::new();
    for r in &recs {
        let Some(f) = r.frame() else { continue };
        let e = expect
            .entry((r.conn, r.dir))
            .or_insert_with(|| (stream_file_name(r.conn, r.dir, r.src, r.dst), Vec::new(), 0));
        e.1.extend_from_slice(&f.data[..PREAMBLE_LEN]);
        for i in 0..f.preamble.nseg() {
            e.1.extend_from_slice(f.segment(i).unwrap());
        }
        e.2 += 1;
    }
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files.len(), expect.len());
    let mut secure_frames = 0;
    for ((conn, d), (file, bytes, frames)) in &expect {
        assert!(
            file.starts_with(&format!("conn{}-{}-127.0.0.1_", conn.0, d.short())),
            "{file}"
        );
        let got = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(got.len(), bytes.len(), "{file}");
        assert!(got == *bytes, "{file}: bytes differ");
        // The file parses frame by frame from its preambles, each with a
        // good CRC (plaintext), and MESSAGE seqs count 1, 2, 3, ...
        let (mut at, mut n, mut seq) = (0usize, 0usize, 0u64);
        while at < got.len() {
            let p = Preamble::parse(&got[at..]).unwrap();
            assert!(p.crc_ok(), "{file}: frame {n} preamble CRC");
            let body: usize = (0..p.nseg()).map(|i| p.seg_len(i) as usize).sum();
            if p.tag == cephshark::msgr2::Tag::Message {
                let h = cephshark::decode::Header2::parse(&got[at + PREAMBLE_LEN..]).unwrap();
                assert_eq!(h.seq, seq + 1, "{file}");
                seq = h.seq;
            }
            at += PREAMBLE_LEN + body;
            n += 1;
        }
        assert_eq!((at, n), (got.len(), *frames), "{file}");
        secure_frames += recs
            .iter()
            .filter(|r| r.conn == *conn && r.dir == *d && r.frame().is_some_and(|f| f.decrypted))
            .count();
    }
    assert!(
        secure_frames > 300,
        "{secure_frames} decrypted frames checked"
    );
    let _ = PacketIndex(0);
}
