//! The tshark options people type without thinking: `-c`, `-t`, `-n`,
//! `-l`, `-2`, `-o` and `-G prefs`, `-e` with JSON, `--color`,
//! `--columns`, and the notice for a capture without msgr2.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cephshark"));
    c.env_remove("NO_COLOR").env("TZ", "UTC");
    c
}

fn capture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cephshark: {e}"))
}

fn run(args: &[&str]) -> Output {
    run_with(args, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpfile(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("cephshark-opts-{}-{name}", std::process::id()))
}

/// The whole listing of a capture, one string per row.
fn rows(args: &[&str]) -> Vec<String> {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout).lines().map(str::to_string).collect()
}

/// Legacy pcap records: (ts_sec, ts_usec) of each packet, from the bytes.
fn pcap_times(bytes: &[u8]) -> Vec<(u32, u32)> {
    let u32le = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut off = 24;
    let mut out = Vec::new();
    while let (Some(s), Some(us), Some(incl)) = (u32le(off), u32le(off + 4), u32le(off + 8)) {
        out.push((s, us));
        off += 16 + incl as usize;
    }
    out
}

/// Days since 1970-01-01 as (year, month, day) (the proleptic Gregorian
/// calendar, Howard Hinnant's days_from_civil inverted).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `-t ad` as tshark prints it, for seconds east of UTC `offset`.
fn tshark_ad(secs: u32, usecs: u32, offset: i64) -> String {
    let t = i64::from(secs) + offset;
    let (y, m, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{usecs:06}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `-c N` prints the first N rows of the full listing, stops there, and
/// `-z conv` counts just those rows.
#[test]
fn count_stops_after_n_rows() {
    let cap = capture("none-crc.pcap");
    let all = rows(&["-r", &cap]);
    let five = rows(&["-r", &cap, "-c", "5"]);
    assert_eq!(five.len(), 5);
    assert_eq!(five, all[..5]);
    // With a filter, -c counts the rows that match (as tshark counts the
    // packets it displays).
    let hellos = rows(&["-r", &cap, "-Y", "msgr2.tag == \"HELLO\"", "-c", "3"]);
    let all_hellos: Vec<&String> = all.iter().filter(|l| l.contains(" HELLO ")).collect();
    assert_eq!(hellos.iter().collect::<Vec<_>>(), all_hellos[..3]);
    let o = run(&["-r", &cap, "-c", "5", "-q", "-z", "conv"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), CONV_5);
    assert_eq!(text(&o.stderr), "");
    // -c 0 is refused, as a count must be.
    assert_eq!(run(&["-r", &cap, "-c", "0"]).status.code(), Some(2));
}

/// `-z conv` over the first five rows of none-crc.pcap: connection 1's
/// two banners, the server's HELLO, the client's HELLO and AUTH_REQUEST.
/// Bytes: a banner is 26 (8 + 2 + 16), a crc-mode frame with one segment
/// 32 + len + 4: c2s 26 + 72 + 74 = 172, s2c 26 + 72 = 98.
const CONV_5: &str = "\
================================================================================
msgr2 Conversations
Filter: <No Filter>
conn  client                               server                               mode   rev  compr   c2s fr   c2s bytes   s2c fr   s2c bytes  errors  state      releases
   1  127.0.0.1:42644 (client)             127.0.0.1:43500 (mon)                crc    2.1  -            2         172        1          98       0  -          -/-
================================================================================
";

/// `-c` stops the reading, not just the printing: a capture cut after the
/// rows asked for still exits 0, where reading it all exits 2.
#[test]
fn count_stops_reading_before_a_cut() {
    let src = std::fs::read(capture("none-crc.pcap")).unwrap_or_else(|e| panic!("{e}"));
    let p = tmpfile("cut.pcap");
    std::fs::write(&p, &src[..src.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let name = p.to_string_lossy().into_owned();
    let whole = run(&["-r", &name]);
    let cut = run(&["-r", &name, "-c", "20"]);
    let _ = std::fs::remove_file(&p);
    assert_eq!(whole.status.code(), Some(2));
    assert_eq!(cut.status.code(), Some(0), "{}", text(&cut.stderr));
    assert_eq!(text(&cut.stderr), "");
    assert_eq!(
        text(&cut.stdout),
        text(&whole.stdout)
            .lines()
            .take(20)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
}

/// The byte offset just past the first `n` packets of a legacy pcap.
fn after_packets(bytes: &[u8], n: usize) -> usize {
    let mut off = 24;
    for _ in 0..n {
        let h = bytes
            .get(off + 8..off + 12)
            .unwrap_or_else(|| panic!("short"));
        off += 16 + u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
    }
    off
}

/// `-l` flushes each row: on a pipe, the first row can be read while the
/// capture is still being written to cephshark's standard input (far
/// fewer bytes than the output buffer holds).
#[test]
fn line_buffered_rows_arrive_on_a_pipe() {
    let src = std::fs::read(capture("none-crc.pcap")).unwrap_or_else(|e| panic!("{e}"));
    let all = rows(&["-r", &capture("none-crc.pcap")]);
    let mut child = bin()
        .args(["-r", "-", "-l"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let head = after_packets(&src, 100);
    stdin
        .write_all(&src[..head])
        .unwrap_or_else(|e| panic!("{e}"));
    stdin.flush().unwrap_or_else(|e| panic!("{e}"));
    // Standard input is still open: only a flushed row can be read now.
    let mut out = std::io::BufReader::new(stdout);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.trim_end(), all[0]);
    // The rest from a thread of its own: the output must be drained as
    // the input goes in, or both pipes fill.
    let tail = src.get(head..).unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&tail).unwrap_or_else(|e| panic!("{e}"));
    });
    let mut rest = String::new();
    out.read_to_string(&mut rest)
        .unwrap_or_else(|e| panic!("{e}"));
    writer.join().unwrap_or_else(|_| panic!("writer"));
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(0));
    let got: Vec<&str> = std::iter::once(first.trim_end())
        .chain(rest.lines())
        .collect();
    assert_eq!(got, all);
}

/// A zone 5:30 east of UTC, as a POSIX TZ rule (no zoneinfo file needed).
const IST: &str = "IST-5:30";

/// `-t ad` prints a row's time as tshark's `-t ad` prints its packet's:
/// computed here from the pcap record header of the packet that
/// completed the row, in UTC and in a zone 5:30 east of it.
#[test]
fn time_formats_follow_tshark() {
    let cap = capture("none-crc.pcap");
    let src = std::fs::read(&cap).unwrap_or_else(|e| panic!("{e}"));
    let times = pcap_times(&src);
    let o = run(&["-r", &cap, "-c", "1", "-T", "jsonl", "-e", "frame.packet"]);
    let v: serde_json::Value =
        serde_json::from_str(text(&o.stdout).trim()).unwrap_or_else(|e| panic!("{e}"));
    let pkt = v["fields"]["frame.packet"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("{v}"));
    let (secs, usecs) = times[pkt as usize - 1];
    let col = |args: &[&str], tz: &str| -> String {
        let o = run_with(args, &[("TZ", tz)]);
        let line = text(&o.stdout);
        line.split_whitespace()
            .skip(1)
            .take(if args.contains(&"ad") || args.contains(&"ud") {
                2
            } else {
                1
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = ["-r", cap.as_str(), "-c", "1", "-t"];
    let with = |f: &'static str| -> Vec<&str> { first.iter().copied().chain([f]).collect() };
    assert_eq!(col(&with("ad"), "UTC"), tshark_ad(secs, usecs, 0));
    assert_eq!(col(&with("ad"), IST), tshark_ad(secs, usecs, 19_800));
    assert_eq!(col(&with("ud"), IST), tshark_ad(secs, usecs, 0));
    let ad = tshark_ad(secs, usecs, 19_800);
    assert_eq!(col(&with("a"), IST), ad[11..]);
    assert_eq!(col(&with("u"), IST), tshark_ad(secs, usecs, 0)[11..]);
    assert_eq!(col(&with("e"), "UTC"), format!("{secs}.{usecs:06}"));
    // r is the default: since the capture's first packet.
    let (s0, u0) = times[0];
    let rel = (i64::from(secs) * 1_000_000 + i64::from(usecs))
        - (i64::from(s0) * 1_000_000 + i64::from(u0));
    let r = format!("{}.{:06}", rel / 1_000_000, rel % 1_000_000);
    assert_eq!(col(&with("r"), "UTC"), r);
    assert_eq!(col(&["-r", &cap, "-c", "1"], "UTC"), r);
    assert_eq!(run(&["-r", &cap, "-t", "x"]).status.code(), Some(2));
}

/// `-t d` is the time since the previous row, shown or not; `-t dd` since
/// the previous row shown: both from the rows' epoch times (`-t e`).
#[test]
fn delta_formats_count_from_the_right_row() {
    let cap = capture("none-crc.pcap");
    let micros = |line: &str| -> i64 {
        let t = line.split_whitespace().nth(1).unwrap_or_default();
        let (s, f) = t.split_once('.').unwrap_or_else(|| panic!("{line}"));
        s.parse::<i64>().unwrap_or(0) * 1_000_000 + f.parse::<i64>().unwrap_or(0)
    };
    // Rows come in the order their frames complete, so a delta can be
    // negative (as tshark's for packets out of time order).
    let show = |us: i64| {
        let sign = if us < 0 { "-" } else { "" };
        let us = us.abs();
        format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
    };
    let epoch: Vec<i64> = rows(&["-r", &cap, "-t", "e", "-c", "60"])
        .iter()
        .map(|l| micros(l))
        .collect();
    let filter = "msgr2.tag == \"MESSAGE\"";
    let shown = rows(&["-r", &cap, "-t", "e", "-Y", filter, "-c", "4"]);
    let d = rows(&["-r", &cap, "-t", "d", "-Y", filter, "-c", "4"]);
    let dd = rows(&["-r", &cap, "-t", "dd", "-Y", filter, "-c", "4"]);
    let number = |l: &str| -> usize {
        l.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    for i in 0..4 {
        let n = number(&shown[i]);
        assert!((2..=60).contains(&n), "{}", shown[i]);
        let t = micros(&shown[i]);
        let col = |l: &str| l.split_whitespace().nth(1).unwrap_or_default().to_string();
        assert_eq!(col(&d[i]), show(t - epoch[n - 2]), "{}", d[i]);
        let before = if i == 0 { t } else { micros(&shown[i - 1]) };
        assert_eq!(col(&dd[i]), show(t - before), "{}", dd[i]);
    }
}

/// `--color always` wraps a problem row in the palette's SGR codes (a
/// warning yellow, as the terminal UI's list) and paints the tag of a
/// decrypted secure frame magenta and bold; `auto` never colours a pipe,
/// `never` never colours, and NO_COLOR turns `auto` off, not `always`.
#[test]
fn color_paints_problem_and_secure_rows() {
    let cap = capture("cephx-secure.pcap");
    let keys = capture("cephx-secure.keys");
    let plain = rows(&["-r", &cap, "-c", "9", "--color", "never"]);
    let colored = rows(&["-r", &cap, "-c", "9", "--color", "always"]);
    // Row 9: a direction no key opens, an encrypted_no_key warning.
    assert!(plain[8].ends_with("[encrypted_no_key]"), "{}", plain[8]);
    assert_eq!(colored[8], format!("\x1b[33m{}\x1b[0m", plain[8]));
    assert_eq!(colored[..8], plain[..8]);
    let no_color = run_with(
        &["-r", &cap, "-c", "9", "--color", "always"],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(
        text(&no_color.stdout).lines().nth(8),
        Some(colored[8].as_str())
    );
    assert_eq!(rows(&["-r", &cap, "-c", "9"]), plain);
    // With the keys, row 9 is a decrypted AUTH_SIGNATURE: its tag only.
    let plain = rows(&["-r", &cap, "--keys", &keys, "-c", "9"]);
    let colored = rows(&["-r", &cap, "--keys", &keys, "-c", "9", "--color", "always"]);
    assert_eq!(
        colored[8],
        plain[8].replacen("AUTH_SIGNATURE", "\x1b[1;35mAUTH_SIGNATURE\x1b[0m", 1)
    );
    assert!(plain[8].contains(" AUTH_SIGNATURE  ") && plain[8].contains("secure"));
    assert_eq!(
        run(&["-r", &cap, "--color", "sometimes"]).status.code(),
        Some(2)
    );
}

/// `-e` with `-T jsonl` keeps each row to its number and the fields named,
/// every value of each; with `-T json` the same rows in one array; with
/// text it is refused.
#[test]
fn json_fields_are_limited_to_those_named() {
    let cap = capture("none-crc.pcap");
    let o = run(&[
        "-r",
        &cap,
        "-c",
        "3",
        "-T",
        "jsonl",
        "-e",
        "tcp.src",
        "-e",
        "frame.packet",
        "-e",
        "ceph.msg.seq",
    ]);
    assert_eq!(
        text(&o.stdout),
        "{\"fields\":{\"frame.packet\":[8],\"tcp.src\":[\"127.0.0.1:42644\"]},\"frame\":1}\n\
         {\"fields\":{\"frame.packet\":[10],\"tcp.src\":[\"127.0.0.1:43500\"]},\"frame\":2}\n\
         {\"fields\":{\"frame.packet\":[12],\"tcp.src\":[\"127.0.0.1:43500\"]},\"frame\":3}\n"
    );
    let o = run(&["-r", &cap, "-c", "2", "-T", "json", "-e", "frame.number"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v,
        serde_json::json!([
            {"frame": 1, "fields": {"frame.number": [1]}},
            {"frame": 2, "fields": {"frame.number": [2]}}
        ])
    );
    let o = run(&["-r", &cap, "-e", "frame.number"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "cephshark: -e requires -T fields, json or jsonl\n"
    );
    let o = run(&[
        "-r",
        &cap,
        "-T",
        "json",
        "-e",
        "frame.number",
        "-E",
        "header=y",
    ]);
    assert_eq!(text(&o.stderr), "cephshark: -E requires -T fields\n");
}

/// `-G prefs` lists every preference `-o` takes; an unknown one is refused
/// with the list; `-o gui.column.format` and `--columns` pick the columns.
#[test]
fn prefs_and_columns() {
    let o = run(&["-G", "prefs"]);
    let names: Vec<String> = text(&o.stdout)
        .lines()
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        names,
        [
            "P keylog",
            "P msgr2.keylog_file",
            "P ceph.keyring",
            "P gui.column.format"
        ]
    );
    let cap = capture("none-crc.pcap");
    let o = run(&["-r", &cap, "-o", "bogus:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "cephshark: -o bogus:1: unknown preference `bogus` (known: keylog, msgr2.keylog_file, \
         ceph.keyring, gui.column.format; `-G prefs` says what each does)\n"
    );
    let gui = "gui.column.format:\"No.\",\"%m\",\"Time\",\"%Yt\",\"Source\",\"%s\",\"Info\",\"%i\"";
    assert_eq!(
        rows(&["-r", &cap, "-c", "2", "-o", gui]),
        [
            "     1 2026-11-23 04:54:53.138218       127.0.0.1:42644 ceph v2 supported=0x1 required=0x0",
            "     2 2026-11-23 04:54:53.138378       127.0.0.1:43500 ceph v2 supported=0x1 required=0x0",
        ]
    );
    assert_eq!(
        rows(&["-r", &cap, "-c", "2", "--columns", "tag,status,no"]),
        [
            "BANNER                  [ok]      1",
            "BANNER                  [ok]      2"
        ]
    );
    let o = run(&["-r", &cap, "--columns", "no,len"]);
    assert_eq!(
        text(&o.stderr),
        "cephshark: --columns: unknown column `len` (known: no, time, file, src, dst, conn, tag, info, status)\n"
    );
}

/// `-n` and `-2` change nothing; a word past the capture is refused.
#[test]
fn accepted_flags_and_extra_words() {
    let cap = capture("none-crc.pcap");
    let plain = rows(&["-r", &cap, "-c", "20"]);
    assert_eq!(rows(&["-n", "-2", "-r", &cap, "-c", "20"]), plain);
    let o = run(&["-r", &cap, "-c", "5", "extra"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(
        text(&o.stderr),
        format!(
            "cephshark: unexpected argument 'extra': -r already names the capture ({cap}); \
             to read several captures as one, give each with -r (`-r A -r B`)\n"
        )
    );
}

/// A legacy pcap: header for `link`, then each packet at second i.
fn pcap(link: u32, packets: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&link.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        let len = p.len() as u32;
        for v in [i as u32, 0, len, len] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(p);
    }
    b
}

/// No msgr2: the notice breaks the packets down by link type, naming an
/// unsupported one by its number, on stderr for a listing and in verify.
#[test]
fn no_msgr2_notice_counts_link_types() {
    // An Ethernet ARP request (ethertype 0x0806): not TCP.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    let cases = [
        (
            1u32,
            pcap(1, &[&arp, &arp]),
            "2 packets (2 Ethernet, 2 not TCP)",
        ),
        // LINKTYPE 147 (USER0): not a link type cephshark reads.
        (
            147,
            pcap(147, &[&[1, 2, 3]]),
            "1 packet (1 link type 147 (not supported), 0 not TCP)",
        ),
    ];
    for (link, bytes, seen) in cases {
        let p = tmpfile(&format!("link{link}.pcap"));
        std::fs::write(&p, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let name = p.to_string_lossy().into_owned();
        let list = run(&["-r", &name]);
        let verify = run(&["verify", &name]);
        let _ = std::fs::remove_file(&p);
        let notice = format!(
            "{name}: no msgr2 traffic: {seen}, 0 TCP connections with data, no msgr2 banner or preamble found"
        );
        assert_eq!(list.status.code(), Some(0));
        assert_eq!(text(&list.stderr), format!("cephshark: {notice}\n"));
        assert_eq!(verify.status.code(), Some(1));
        assert!(
            text(&verify.stdout).contains(&format!("{notice}\n")),
            "{}",
            text(&verify.stdout)
        );
    }
}

/// `-c N -w OUT` writes the packets of the first N rows only (as tshark's
/// `-c N -w` writes N packets), not the whole capture.
#[test]
fn count_limits_what_w_writes() {
    let cap = capture("none-crc.pcap");
    let o = run(&["-r", &cap, "-c", "5", "-T", "jsonl", "-e", "frame.packet"]);
    let mut wanted: Vec<u64> = text(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|v| {
            v["fields"]["frame.packet"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(serde_json::Value::as_u64)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let src = std::fs::read(&cap).unwrap_or_else(|e| panic!("{e}"));
    let times = pcap_times(&src);
    let out = tmpfile("c5.pcap");
    let o = run(&["-r", &cap, "-c", "5", "-w", &out.to_string_lossy()]);
    let written = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let expected: Vec<(u32, u32)> = wanted.iter().map(|&p| times[p as usize - 1]).collect();
    assert_eq!(pcap_times(&written), expected);
    // tshark: the TCP payloads of port 42644 start with packets 8 and 10
    // (26-byte banners), 12 and 14 (72-byte HELLOs), 15 (74 bytes).
    assert_eq!(wanted, [8, 10, 12, 14, 15]);
}
