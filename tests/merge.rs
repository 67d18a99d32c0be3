//! Several captures read as one (`-r A -r B`, `verify --merge`): real
//! captures split in two here (by direction, by time, odd and even
//! packets), written back with the project's writers, and merged by
//! cephshark must list exactly the rows of the whole capture. The split
//! is the oracle: which file a packet went to, and its number there, is
//! decided by this test, never read from cephshark's output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use cephshark::capture::{parse_tcp, LinkType, PcapOptions, PcapWriter, PcapngWriter};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::capture_conv::{read_all, relink, OwnedPacket};

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-merge-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The keys a capture needs to be read whole.
fn key_args(name: &str) -> Vec<String> {
    let keys = capture(&name.replace(".pcap", ".keys"));
    if keys.exists() {
        vec!["--keys".into(), keys.to_str().unwrap().into()]
    } else {
        Vec::new()
    }
}

/// Columns of the text list without `file` (shown only for several
/// inputs), so one capture and its halves print comparable lines.
const COLUMNS: &str = "no,time,src,dst,conn,tag,info,status";

/// The rows as `(text line, JSON object without "file" and "fields")`:
/// number, time, conn, dir, tag, info, status, packets, problems.
fn rows(inputs: &[&Path], keys: &[String], extra: &[&str]) -> Vec<(String, Value)> {
    let mut args: Vec<&str> = keys.iter().map(String::as_str).collect();
    for p in inputs {
        args.extend(["-r", s(p)]);
    }
    args.extend(extra);
    let mut text_args = args.clone();
    text_args.extend(["--columns", COLUMNS]);
    let text = run(&text_args);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let mut json_args = args;
    json_args.extend(["-T", "jsonl"]);
    let json = run(&json_args);
    assert!(json.status.success());
    let lines: Vec<String> = String::from_utf8(text.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let objs: Vec<Value> = String::from_utf8(json.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("fields");
            o.remove("file");
            v
        })
        .collect();
    assert_eq!(lines.len(), objs.len());
    lines.into_iter().zip(objs).collect()
}

/// Write packets to a pcap (all of one link type).
fn write_pcap(path: &Path, packets: &[&OwnedPacket]) {
    let link = packets.first().map_or(LinkType::ETHERNET, |p| p.link);
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(link)).unwrap();
    for p in packets {
        w.write_packet(p.ts, p.origlen, &p.data).unwrap();
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// Write packets to a pcapng under Linux cooked v2 headers.
fn write_pcapng_sll2(path: &Path, packets: &[&OwnedPacket]) {
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let id = w
        .add_interface(LinkType::LINUX_SLL2, 262_144, false)
        .unwrap();
    for p in packets {
        let (data, origlen) = relink(p, LinkType::LINUX_SLL2, false);
        w.write_packet(id, p.ts, origlen, &data).unwrap();
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// Whether a packet goes from a server port: the lower port of its TCP
/// pair (monitors on 3300, OSDs from 6800, clients on ephemeral ports).
fn from_server(p: &OwnedPacket) -> bool {
    match parse_tcp(p.link, &p.data) {
        Ok(Some(t)) => t.src.port() < t.dst.port(),
        _ => false,
    }
}

/// A split of a capture: which half each packet (0-based) went to.
struct Split {
    side: Vec<usize>,
}

impl Split {
    fn new(packets: &[OwnedPacket], to_second: impl Fn(usize, &OwnedPacket) -> bool) -> Split {
        Split {
            side: packets
                .iter()
                .enumerate()
                .map(|(i, p)| usize::from(to_second(i, p)))
                .collect(),
        }
    }

    /// Write the halves; the second as pcapng (Linux cooked v2) if asked.
    fn write<'a>(&self, packets: &'a [OwnedPacket], a: &Path, b: &Path, ng: bool) {
        let half = |side: usize| -> Vec<&'a OwnedPacket> {
            packets
                .iter()
                .zip(&self.side)
                .filter(|(_, s)| **s == side)
                .map(|(p, _)| p)
                .collect()
        };
        write_pcap(a, &half(0));
        if ng {
            write_pcapng_sll2(b, &half(1));
        } else {
            write_pcap(b, &half(1));
        }
    }

    /// mergecap's order of the halves: by time, then file, then packet;
    /// as original packet numbers (1-based).
    fn merged_order(&self, packets: &[OwnedPacket]) -> Vec<u64> {
        let mut order: Vec<usize> = (0..packets.len()).collect();
        order.sort_by_key(|&i| (packets[i].ts, self.side[i], i));
        order.into_iter().map(|i| packets[i].index).collect()
    }

    /// Packet (1-based, original) -> its number within its half.
    fn number_in_half(&self, packet: u64) -> u64 {
        let i = usize::try_from(packet - 1).unwrap();
        let side = self.side[i];
        self.side[..=i].iter().filter(|s| **s == side).count() as u64
    }
}

/// Split `name` both ways (by direction and by time: first and second
/// half, and odd and even packets), merge, and compare row by row.
fn halves_merge_into_the_original(name: &str) {
    let path = capture(name);
    let packets = read_all(&std::fs::read(&path).unwrap());
    let keys = key_args(name);
    let whole = rows(&[&path], &keys, &[]);
    assert!(whole.len() > 20, "{name}: {} rows", whole.len());
    let half = packets.len() / 2;
    let splits: [(&str, Split); 3] = [
        ("direction", Split::new(&packets, |_, p| from_server(p))),
        ("time", Split::new(&packets, |i, _| i >= half)),
        ("odd-even", Split::new(&packets, |i, _| i % 2 == 1)),
    ];
    let dir = tmpdir(&name.replace('.', "-"));
    for (how, split) in splits {
        // Both halves hold packets (a split that leaves one empty tests nothing).
        assert!(split.side.contains(&0) && split.side.contains(&1), "{how}");
        // mergecap's order of the halves is the capture's own (no two
        // packets of different halves share a time out of order).
        let order = split.merged_order(&packets);
        let identity: Vec<u64> = packets.iter().map(|p| p.index).collect();
        let (a, b) = (
            dir.join(format!("{how}-a.pcap")),
            dir.join(format!("{how}-b.pcap")),
        );
        split.write(&packets, &a, &b, false);
        let merged = rows(&[&a, &b], &keys, &[]);
        if order == identity {
            assert_eq!(merged.len(), whole.len(), "{name} split by {how}");
            for (m, w) in merged.iter().zip(&whole) {
                assert_eq!(m, w, "{name} split by {how}");
            }
        } else {
            // Tied times across the halves: the rows are the same but for
            // packet numbers, renumbered by mergecap's order.
            let renumber: Vec<u64> = order.clone();
            assert_eq!(merged.len(), whole.len(), "{name} split by {how}");
            for (m, w) in merged.iter().zip(&whole) {
                let packets_of = |v: &Value| -> Vec<u64> {
                    let mut p: Vec<u64> = v["packets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| renumber[usize::try_from(n.as_u64().unwrap() - 1).unwrap()])
                        .collect();
                    p.sort_unstable();
                    p
                };
                let mut wp: Vec<u64> = w.1["packets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_u64().unwrap())
                    .collect();
                wp.sort_unstable();
                assert_eq!(packets_of(&m.1), wp, "{name} split by {how}");
                // All else is the same: the text line (number, time,
                // endpoints, conn, tag, info, status) and every JSON key.
                assert_eq!(m.0, w.0, "{name} split by {how}");
                let strip = |v: &Value| -> Value {
                    let mut v = v.clone();
                    let o = v.as_object_mut().unwrap();
                    o.remove("packets");
                    if let Some(Value::Array(ps)) = o.get_mut("problems") {
                        for p in ps {
                            p.as_object_mut().unwrap().remove("packet");
                        }
                    }
                    v
                };
                assert_eq!(strip(&m.1), strip(&w.1), "{name} split by {how}");
            }
        }
    }
}

#[test]
fn halves_of_none_crc_merge_into_the_original() {
    halves_merge_into_the_original("none-crc.pcap");
}

#[test]
fn halves_of_cephx_secure_merge_into_the_original() {
    halves_merge_into_the_original("cephx-secure.pcap");
}

#[test]
fn halves_of_lab_mixed_merge_into_the_original() {
    halves_merge_into_the_original("lab-mixed.pcap");
}

/// Rows without their number and packet lists: what a row says.
fn said(rows: &[(String, Value)]) -> Vec<(String, Value)> {
    rows.iter()
        .map(|(line, v)| {
            let mut v = v.clone();
            let o = v.as_object_mut().unwrap();
            o.remove("frame");
            o.remove("packets");
            if let Some(Value::Array(ps)) = o.get_mut("problems") {
                for p in ps {
                    p.as_object_mut().unwrap().remove("packet");
                }
            }
            // The text line past its number (6 digits wide).
            (line[6..].to_string(), v)
        })
        .collect()
}

/// A capture merged with itself: every packet twice, at the same time,
/// read as a retransmission of itself; the rows are the capture's own.
#[test]
fn a_capture_merged_with_itself_gives_its_own_rows() {
    for name in ["cephx-secure.pcap", "lab-mixed.pcap"] {
        let path = capture(name);
        let keys = key_args(name);
        let alone = rows(&[&path], &keys, &[]);
        let twice = rows(&[&path, &path], &keys, &[]);
        assert_eq!(said(&twice), said(&alone), "{name}");
        // Each row's first packet is the capture's, met first in the
        // file given first: in mergecap's order of the two copies (by
        // time, then file, then packet), it is the same packet.
        let packets = read_all(&std::fs::read(&path).unwrap());
        let mut order: Vec<(usize, usize)> = (0..2)
            .flat_map(|f| (0..packets.len()).map(move |i| (f, i)))
            .collect();
        order.sort_by_key(|&(f, i)| (packets[i].ts, f, i));
        for ((_, t), (_, a)) in twice.iter().zip(&alone) {
            let first = |v: &Value| v["packets"][0].as_u64().unwrap();
            let (file, i) = order[usize::try_from(first(t) - 1).unwrap()];
            assert_eq!((file, packets[i].index), (0, first(a)), "{name}: {a}");
        }
    }
    // none-crc.pcap starts inside a connection (no SYN): its rows wait
    // for a handshake for 16 packets of the capture (tcp::early), which
    // doubled packets cover sooner, so that connection's rows come out
    // earlier; every connection's rows, in order, are the same.
    let path = capture("none-crc.pcap");
    let alone = said(&rows(&[&path], &[], &[]));
    let twice = said(&rows(&[&path, &path], &[], &[]));
    assert_eq!(alone.len(), twice.len());
    let of_conn = |rows: &[(String, Value)], c: u64| -> Vec<(String, Value)> {
        rows.iter()
            .filter(|(_, v)| v["conn"].as_u64() == Some(c))
            .cloned()
            .collect()
    };
    let conns = alone
        .iter()
        .filter_map(|(_, v)| v["conn"].as_u64())
        .max()
        .unwrap();
    assert_eq!(conns, 32);
    for c in 0..=conns {
        assert_eq!(of_conn(&twice, c), of_conn(&alone, c), "conn {c}");
    }
}

/// A pcap half and a pcapng half of another link type (Linux cooked v2)
/// merge into the capture; `-w` writes the merged capture as pcapng (two
/// link types), which reads back into the same rows.
#[test]
fn a_pcap_and_a_pcapng_of_other_link_types_merge_and_write_back() {
    let name = "lab-mixed.pcap";
    let path = capture(name);
    let packets = read_all(&std::fs::read(&path).unwrap());
    let whole = rows(&[&path], &[], &[]);
    let split = Split::new(&packets, |_, p| from_server(p));
    let dir = tmpdir("pcapng");
    let (a, b) = (dir.join("client.pcap"), dir.join("server.pcapng"));
    split.write(&packets, &a, &b, true);
    assert_eq!(&std::fs::read(&b).unwrap()[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    assert_eq!(
        split.merged_order(&packets),
        (1..=packets.len() as u64).collect::<Vec<_>>()
    );
    assert_eq!(rows(&[&a, &b], &[], &[]), whole);
    let out = dir.join("merged.pcapng");
    let w = run(&["-r", s(&a), "-r", s(&b), "-w", s(&out)]);
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let back = read_all(&std::fs::read(&out).unwrap());
    assert_eq!(back.len(), packets.len());
    // Each packet in its place, under its half's link type.
    for ((p, q), side) in back.iter().zip(&packets).zip(&split.side) {
        assert_eq!(p.ts, q.ts);
        let want = if *side == 0 {
            LinkType::ETHERNET
        } else {
            LinkType::LINUX_SLL2
        };
        assert_eq!(p.link, want);
    }
    assert_eq!(rows(&[&out], &[], &[]), whole);
}

/// `frame.file` selects exactly the rows carried by a packet of that file,
/// and `frame.file_packet` numbers packets within their file, as split.
#[test]
fn frame_file_filters_the_rows_of_a_file() {
    let name = "none-crc.pcap";
    let path = capture(name);
    let packets = read_all(&std::fs::read(&path).unwrap());
    let split = Split::new(&packets, |_, p| from_server(p));
    let dir = tmpdir("filter");
    let (a, b) = (dir.join("client.pcap"), dir.join("server.pcap"));
    split.write(&packets, &a, &b, false);
    let all = rows(&[&a, &b], &[], &[]);
    for (side, file) in [(0usize, &a), (1, &b)] {
        let want: Vec<u64> =
            all.iter()
                .filter(|(_, v)| {
                    v["packets"].as_array().unwrap().iter().any(|p| {
                        split.side[usize::try_from(p.as_u64().unwrap() - 1).unwrap()] == side
                    })
                })
                .map(|(_, v)| v["frame"].as_u64().unwrap())
                .collect();
        assert!(!want.is_empty());
        let filter = format!("frame.file == \"{}\"", s(file));
        let o = run(&[
            "-r",
            s(&a),
            "-r",
            s(&b),
            "-Y",
            &filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        assert!(o.status.success());
        let got: Vec<u64> = String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(got, want, "{filter}");
        let index = format!("frame.file_index == {}", side + 1);
        let o = run(&[
            "-r",
            s(&a),
            "-r",
            s(&b),
            "-Y",
            &index,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        assert_eq!(
            String::from_utf8(o.stdout).unwrap().lines().count(),
            want.len()
        );
    }
    // Every row's packets, numbered within their file.
    let o = run(&[
        "-r",
        s(&a),
        "-r",
        s(&b),
        "-T",
        "fields",
        "-E",
        "aggregator=;",
        "-e",
        "frame.packet",
        "-e",
        "frame.file_packet",
    ]);
    let mut checked = 0;
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let (merged, in_file) = line.split_once('\t').unwrap();
        let merged: Vec<u64> = merged.split(';').map(|n| n.parse().unwrap()).collect();
        let in_file: Vec<u64> = in_file.split(';').map(|n| n.parse().unwrap()).collect();
        // frame.file_packet lists a file's packets together: compare as sets.
        let mut want: Vec<u64> = merged.iter().map(|p| split.number_in_half(*p)).collect();
        let mut got = in_file.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{line}");
        checked += 1;
    }
    assert_eq!(checked, all.len());
}

/// The text list shows the file column only with several inputs.
#[test]
fn the_file_column_appears_with_several_inputs_only() {
    let path = capture("lab-mixed.pcap");
    let one = String::from_utf8(run(&["-r", s(&path), "-c", "1"]).stdout).unwrap();
    assert!(!one.contains("lab-mixed.pcap"), "{one}");
    let two = String::from_utf8(run(&["-r", s(&path), "-r", s(&path), "-c", "1"]).stdout).unwrap();
    assert_eq!(two.split_whitespace().nth(2), Some(s(&path)), "{two}");
}

/// An input that is not a capture, or is cut short, is named (exit 2).
#[test]
fn a_bad_input_is_named() {
    let good = capture("none-crc.pcap");
    let dir = tmpdir("bad");
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"hello, not a capture").unwrap();
    let o = run(&["-r", s(&good), "-r", s(&junk)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("cephshark: {}: not a pcap or pcapng capture\n", s(&junk))
    );
    // Cut inside its 201st record: the error names the cut file.
    let bytes = std::fs::read(capture("cephx-crc.pcap")).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..50_000]).unwrap();
    let o = run(&["-q", "-r", s(&good), "-r", s(&cut)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{}: capture truncated at byte 49968", s(&cut))),
        "{err}"
    );
    let o = run(&["verify", "--merge", s(&good), s(&junk)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("{}: not a pcap", s(&junk))));
}

/// `verify --merge`: one report for the halves, counting what the whole
/// capture counts; without it, a report per file.
#[test]
fn verify_merge_reports_the_halves_as_one() {
    let name = "cephx-secure.pcap";
    let path = capture(name);
    let keys = key_args(name);
    let packets = read_all(&std::fs::read(&path).unwrap());
    let split = Split::new(&packets, |i, _| i >= packets.len() / 2);
    let dir = tmpdir("verify");
    let (a, b) = (dir.join("first.pcap"), dir.join("second.pcap"));
    split.write(&packets, &a, &b, false);
    let verify = |args: &[&str]| {
        let mut all: Vec<&str> = vec!["verify"];
        all.extend(keys.iter().map(String::as_str));
        all.extend(args);
        let o = run(&all);
        (o.status.code(), String::from_utf8(o.stdout).unwrap())
    };
    let (code, whole) = verify(&[s(&path)]);
    assert_eq!(code, Some(0), "{whole}");
    let (code, merged) = verify(&["--merge", s(&a), s(&b)]);
    assert_eq!(code, Some(0));
    assert_eq!(
        merged.replacen(&format!("{}, {}", s(&a), s(&b)), s(&path), 1),
        whole
    );
    assert!(
        whole.contains(&format!("{} packets", packets.len())),
        "{whole}"
    );
    // Per file, as before: two reports.
    let (_, apart) = verify(&[s(&a), s(&b)]);
    let reports: Vec<&str> = apart.lines().filter(|l| l.contains(" — ")).collect();
    assert_eq!(reports.len(), 2, "{apart}");
    assert!(reports[0].starts_with(&format!("{}: OK", s(&a))), "{apart}");
    assert!(reports[1].starts_with(&format!("{}: ", s(&b))), "{apart}");
}

/// The terminal UI's merged input (`cephshark A B` on a terminal): its
/// reader gives both captures' packets, and a bad capture is named before
/// the screen is touched.
#[cfg(feature = "tui")]
#[test]
fn the_terminal_ui_reads_several_captures_as_one() {
    use cephshark::capture::PacketSource;
    use cephshark::tui::{self, TuiError, TuiOptions};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let (a, b) = (capture("none-crc.pcap"), capture("lab-mixed.pcap"));
    let read = Arc::new(AtomicU64::new(0));
    let mut m = tui::open_merged(&[a.clone(), b.clone()], &read).unwrap();
    let mut n = 0u64;
    while m.next_packet().unwrap().is_some() {
        n += 1;
    }
    // 1053 and 397 packets (the captures' own counts, see captures/README.md).
    assert_eq!(n, 1053 + 397);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert_eq!(read.load(Ordering::Relaxed), size(&a) + size(&b));
    let dir = tmpdir("tui");
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"not a capture").unwrap();
    let opts = TuiOptions {
        path: a,
        config: Default::default(),
        filter: None,
    };
    match tui::run_with(opts, std::slice::from_ref(&junk)) {
        Err(TuiError::Capture(p, e)) => {
            assert_eq!(p, junk);
            assert_eq!(e.to_string(), "not a pcap or pcapng capture");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}
