//! Live capture on loopback (`cargo test --features live --test live`):
//! the project's encoder sends a msgr2 conversation (banners, HELLO, auth,
//! idents, MESSAGE frames, a keepalive, one frame with a damaged CRC) over
//! a real TCP connection on 127.0.0.1 while `cephshark -i lo -f 'tcp port
//! P'` captures it. The expected rows are the frames sent: their tags
//! (frames_v2.h), message seqs and types (ping = CEPH_MSG_PING 2, ceph_fs.h;
//! mon_getmap = CEPH_MSG_MON_GET_MAP 5), and whether their CRCs hold.
//!
//! Capturing needs root (CI runs as root) and a loopback interface libpcap
//! can open; without them each test says SKIPPED, and why, on stderr.
#![cfg(feature = "live")]

mod support;

use cephshark::msgr2::banner;
use cephshark::msgr2::encoder::{encode_crc, msg_header2, FrameSpec};
use cephshark::msgr2::{Rev, Tag};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use support::synth::Send;

const BIN: &str = env!("CARGO_BIN_EXE_cephshark");
/// How long a step may take before the test gives up (not a timing
/// assertion: only a bound on a hang).
const PATIENCE: Duration = Duration::from_secs(120);

/// One row as the test expects it: direction, tag name, and for
/// messages the seq and type name; `crc_ok` whether every CRC holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    c2s: bool,
    tag: String,
    seq: Option<u64>,
    msg: Option<String>,
    crc_ok: bool,
}

/// The conversation: what each side sends, in order, and the rows it
/// must give.
fn conversation() -> Vec<(Send, Row)> {
    let row = |c2s: bool, tag: &str| Row {
        c2s,
        tag: tag.into(),
        seq: None,
        msg: None,
        crc_ok: true,
    };
    let mut out = vec![
        (
            Send {
                from_client: true,
                data: banner::encode(1, 0),
            },
            row(true, "BANNER"),
        ),
        (
            Send {
                from_client: false,
                data: banner::encode(1, 0),
            },
            row(false, "BANNER"),
        ),
    ];
    // The handshake's frames (auth none, crc mode), in the order sent.
    let tags = [
        (true, "HELLO"),
        (false, "HELLO"),
        (true, "AUTH_REQUEST"),
        (false, "AUTH_DONE"),
        (false, "AUTH_SIGNATURE"),
        (true, "AUTH_SIGNATURE"),
        (true, "CLIENT_IDENT"),
        (false, "SERVER_IDENT"),
    ];
    let handshake = support::mutants::handshake();
    assert_eq!(handshake.len(), tags.len());
    for (s, (c2s, tag)) in handshake.into_iter().zip(tags) {
        assert_eq!(s.from_client, c2s);
        out.push((s, row(c2s, tag)));
    }
    let message = |c2s: bool, seq: u64, ty: u16, name: &str| {
        let h = msg_header2(seq, 0, ty);
        let data = encode_crc(Rev::V1, &FrameSpec::message(&h, b"", b"", b""));
        let r = Row {
            seq: Some(seq),
            msg: Some(name.into()),
            ..row(c2s, "MESSAGE")
        };
        (
            Send {
                from_client: c2s,
                data,
            },
            r,
        )
    };
    out.push(message(true, 1, 5, "mon_getmap"));
    out.push(message(false, 1, 2, "ping"));
    out.push(message(true, 2, 2, "ping"));
    // A ceph_timespec: seconds, nanoseconds (frames_v2.h KEEPALIVE2).
    let stamp = [7u8; 8];
    out.push((
        Send {
            from_client: true,
            data: encode_crc(Rev::V1, &FrameSpec::control(Tag::Keepalive2.raw(), &stamp)),
        },
        row(true, "KEEPALIVE2"),
    ));
    out.push((
        Send {
            from_client: false,
            data: encode_crc(
                Rev::V1,
                &FrameSpec::control(Tag::Keepalive2Ack.raw(), &stamp),
            ),
        },
        row(false, "KEEPALIVE2_ACK"),
    ));
    out.push(message(false, 2, 2, "ping"));
    // The last one with its segment 0 CRC (the frame's last 4 bytes in
    // msgr2.1 with one segment) damaged.
    let (mut bad, mut r) = message(true, 3, 2, "ping");
    if let Some(b) = bad.data.last_mut() {
        *b ^= 0x01;
    }
    r.crc_ok = false;
    out.push((bad, r));
    out
}

/// Why live capture cannot be tested here, if it cannot.
fn cannot_capture() -> Option<String> {
    let out = Command::new(BIN)
        .args(["-i", "lo", "-f", "tcp port 1", "-c", "1", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            // Opened: it says so, and waits for a packet that does not come.
            let mut err = BufReader::new(c.stderr.take().unwrap_or_else(|| panic!("stderr")));
            let mut first = String::new();
            err.read_line(&mut first)?;
            let _ = c.kill();
            let _ = c.wait();
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            Ok(first + &rest)
        });
    match out {
        Ok(text) if text.starts_with("Capturing on 'lo'") => None,
        Ok(text) => Some(text.trim().to_string()),
        Err(e) => Some(e.to_string()),
    }
}

/// Skip (loudly) when capturing is not possible: written to standard
/// error directly, past the test harness's capture of `eprintln!`, so the
/// skip shows in every run's output.
macro_rules! need_capture {
    ($name:literal) => {
        if let Some(why) = cannot_capture() {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {}: live capture on lo is not possible here: {why}",
                $name
            );
            return;
        }
    };
}

/// A capture running: its stdout lines arrive on `lines`.
struct Capture {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Drop for Capture {
    /// A test that fails half-way leaves no capture running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_of<R: Read + std::marker::Send + 'static>(r: R) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Start `cephshark -i lo -f 'tcp port PORT' ARGS` and wait until it says
/// it is capturing.
fn start_capture(port: u16, args: &[&str]) -> Capture {
    let filter = format!("tcp port {port}");
    let mut child = Command::new(BIN)
        .args(["-i", "lo", "-f", &filter])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn cephshark: {e}"));
    let out: ChildStdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let err: ChildStderr = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
    let cap = Capture {
        child,
        lines: lines_of(out),
        stderr: lines_of(err),
    };
    match cap.stderr.recv_timeout(PATIENCE) {
        Ok(l) if l == "Capturing on 'lo'" => cap,
        other => panic!("cephshark did not start capturing: {other:?}"),
    }
}

/// Connect on loopback and send the conversation, each side in turn
/// (no Nagle delay, each send read by the peer before the next), then
/// close both ends.
fn send_conversation(listener: TcpListener, sends: &[Send]) {
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local addr: {e}"));
    let mut client = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect: {e}"));
    let (mut server, _) = listener.accept().unwrap_or_else(|e| panic!("accept: {e}"));
    for s in [&client, &server] {
        s.set_nodelay(true)
            .unwrap_or_else(|e| panic!("nodelay: {e}"));
    }
    for s in sends {
        let (from, to) = if s.from_client {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        from.write_all(&s.data)
            .unwrap_or_else(|e| panic!("send: {e}"));
        let mut got = vec![0u8; s.data.len()];
        to.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("receive: {e}"));
        assert_eq!(got, s.data);
    }
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = l
        .local_addr()
        .unwrap_or_else(|e| panic!("local addr: {e}"))
        .port();
    (l, port)
}

/// A jsonl row as a [`Row`].
fn row_of(line: &str) -> Row {
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let checks = v["checks"].as_array().cloned().unwrap_or_default();
    Row {
        c2s: v["dir"] == "c2s",
        tag: v["tag"].as_str().unwrap_or_default().to_string(),
        seq: v["seq"].as_u64(),
        msg: v["msg_name"].as_str().map(str::to_string),
        crc_ok: checks.iter().all(|c| c["status"] == "good"),
    }
}

/// The child's exit status; `None` if it had to be killed (it did not end).
fn wait(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("wait: {e}")) {
            return Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn collect(rx: &Receiver<String>) -> Vec<String> {
    rx.iter().collect()
}

#[test]
fn rows_of_a_live_capture_are_the_frames_sent() {
    need_capture!("rows_of_a_live_capture_are_the_frames_sent");
    let conv = conversation();
    let (sends, expected): (Vec<Send>, Vec<Row>) = conv.into_iter().unzip();
    let (l, port) = listener();
    let n = expected.len().to_string();
    let mut cap = start_capture(port, &["-c", &n, "-T", "jsonl"]);
    send_conversation(l, &sends);
    let status = wait(&mut cap.child);
    let lines = collect(&cap.lines);
    let rows: Vec<Row> = lines.iter().map(|l| row_of(l)).collect();
    assert_eq!(rows, expected, "{:?}", collect(&cap.stderr));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    // Every row of the conversation on one connection, its port the one
    // listened on.
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}"));
        let server = if v["dir"] == "c2s" {
            &v["dst"]
        } else {
            &v["src"]
        };
        assert_eq!(server.as_str(), Some(format!("127.0.0.1:{port}").as_str()));
    }
}

#[test]
fn display_filter_tree_and_problem_counts_apply_live() {
    need_capture!("display_filter_tree_and_problem_counts_apply_live");
    let conv = conversation();
    let (sends, expected): (Vec<Send>, Vec<Row>) = conv.into_iter().unzip();
    // The pings' frame numbers: their places in the conversation.
    let pings: Vec<usize> = expected
        .iter()
        .enumerate()
        .filter(|(_, r)| r.msg.as_deref() == Some("ping"))
        .map(|(i, _)| i + 1)
        .collect();
    let (l, port) = listener();
    let n = pings.len().to_string();
    let filter = "ceph.msg.type == ping";
    // -j 2 as well: a live capture is still read packet by packet, not
    // in read-ahead batches that would wait for more packets.
    let args = ["-Y", filter, "-c", &n, "-V", "-z", "errors", "-j", "2"];
    let mut cap = start_capture(port, &args);
    send_conversation(l, &sends);
    let status = wait(&mut cap.child);
    let out = collect(&cap.lines);
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    // Row lines start with their number, -V's tree lines with a name.
    let rows: Vec<usize> = out
        .iter()
        .take_while(|l| !l.starts_with("====="))
        .filter(|l| l.trim_start().starts_with(char::is_numeric) && l.contains(" MESSAGE "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(rows, pings, "{out:#?}");
    // Each row's tree: the message header's type and the MPing body.
    let types = out.iter().filter(|l| l.trim() == "Type: ping (2)").count();
    let bodies = out
        .iter()
        .filter(|l| l.trim() == "Ping: ping magic: 0")
        .count();
    assert_eq!((types, bodies), (pings.len(), pings.len()), "{out:#?}");
    let text = out.join("\n");
    // -z errors: the one damaged frame, by number.
    let bad = expected.iter().position(|r| !r.crc_ok).map(|i| i + 1);
    assert!(text.contains("segment_crc_bad (error): 1"), "{text}");
    assert!(
        text.contains(&format!("frame {} conn 0 c2s", bad.unwrap_or_default())),
        "{text}"
    );
}

#[test]
fn saved_capture_reads_back_as_the_same_rows() {
    need_capture!("saved_capture_reads_back_as_the_same_rows");
    let conv = conversation();
    let (sends, expected): (Vec<Send>, Vec<Row>) = conv.into_iter().unzip();
    let dir = std::env::temp_dir().join(format!("cephshark-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("saved.pcap");
    let (l, port) = listener();
    let n = expected.len().to_string();
    let path = file.to_string_lossy().into_owned();
    let mut cap = start_capture(port, &["-c", &n, "-T", "jsonl", "-P", "-w", &path]);
    send_conversation(l, &sends);
    let status = wait(&mut cap.child);
    let live = collect(&cap.lines);
    assert_eq!(live.len(), expected.len(), "{live:?}");
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let out = Command::new(BIN)
        .args(["-r", &path, "-T", "jsonl", "-c", &n])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{out:?}");
    let read: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    // Byte for byte the same rows: numbers, packets, times, fields.
    assert_eq!(read, live);
    let rows: Vec<Row> = read.iter().map(|l| row_of(l)).collect();
    assert_eq!(rows, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_ends_the_capture_with_statistics() {
    need_capture!("ctrl_c_ends_the_capture_with_statistics");
    let conv = conversation();
    let (sends, expected): (Vec<Send>, Vec<Row>) = conv.into_iter().unzip();
    let (l, port) = listener();
    let mut cap = start_capture(port, &["-z", "conv", "-z", "tags"]);
    send_conversation(l, &sends);
    // Rows come as their frames complete: wait for the last one.
    let mut rows = Vec::new();
    while rows.len() < expected.len() {
        match cap.lines.recv_timeout(PATIENCE) {
            Ok(line) => rows.push(line),
            Err(e) => panic!("rows stopped coming ({e}) after {rows:?}"),
        }
    }
    let pid = cap.child.id().to_string();
    let st = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(st.success());
    let status = wait(&mut cap.child);
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    for (line, want) in rows.iter().zip(&expected) {
        assert!(
            line.contains(&format!(" {} ", want.tag)),
            "{line:?} {want:?}"
        );
    }
    // The damaged frame, and only it, is flagged in the list.
    let flagged: Vec<&String> = rows.iter().filter(|l| !l.ends_with("[ok]")).collect();
    assert_eq!(flagged.len(), 1, "{rows:?}");
    assert!(flagged[0].ends_with("[segment_crc_bad]"), "{flagged:?}");
    let rest = collect(&cap.lines).join("\n");
    assert!(rest.contains("msgr2 Conversations"), "{rest}");
    assert!(rest.contains(&format!("127.0.0.1:{port}")), "{rest}");
    // -z tags: frames per tag, as sent.
    let mut want: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &expected {
        *want.entry(r.tag.as_str()).or_default() += 1;
    }
    let mut got: std::collections::BTreeMap<&str, usize> = Default::default();
    for line in rest.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if let [tag, frames, _bytes] = cols[..] {
            if let (true, Ok(n)) = (want.contains_key(tag), frames.parse()) {
                got.insert(tag, n);
            }
        }
    }
    assert_eq!(got, want, "{rest}");
    let err = collect(&cap.stderr).join("\n");
    assert!(err.contains("packets captured"), "{err}");
}

#[test]
fn the_terminal_ui_shows_rows_as_they_are_captured() {
    need_capture!("the_terminal_ui_shows_rows_as_they_are_captured");
    let conv = conversation();
    let (sends, expected): (Vec<Send>, Vec<Row>) = conv.into_iter().unzip();
    let (l, port) = listener();
    let mut cmd = portable_pty::CommandBuilder::new(BIN);
    cmd.args(["-i", "lo", "-f", &format!("tcp port {port}")]);
    cmd.env_remove("NO_COLOR");
    // Tall enough for the list pane to hold every row.
    let mut screen = support::pty::Screen::spawn(cmd, 60, 110);
    screen.wait_for(&["lo │ 0 frames", "capturing"]);
    send_conversation(l, &sends);
    let problems = expected.iter().filter(|r| !r.crc_ok).count();
    screen.wait_for(&[
        &format!("{} frames", expected.len()),
        &format!("{problems} problem"),
        "capturing",
    ]);
    // The list shows the tags sent, in order (rows after the filter bar,
    // the pane's title and the header).
    let text = screen.text();
    let tags: Vec<String> = text
        .lines()
        .skip(3)
        .take(expected.len())
        .filter_map(|l| l.split_whitespace().nth(6).map(str::to_string))
        .collect();
    let want: Vec<String> = expected.iter().map(|r| r.tag.clone()).collect();
    assert_eq!(tags, want, "{text}");
    screen.keys(b"q");
    assert_eq!(screen.exit_code(), 0);
}

#[test]
fn interfaces_list_loopback() {
    let out = Command::new(BIN)
        .arg("-D")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED interfaces_list_loopback: libpcap lists no interfaces here: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let mut numbers = Vec::new();
    let mut lo = false;
    for line in text.lines() {
        let (n, rest) = line
            .split_once(". ")
            .unwrap_or_else(|| panic!("not `N. name`: {line:?}"));
        numbers.push(
            n.parse::<usize>()
                .unwrap_or_else(|e| panic!("{line:?}: {e}")),
        );
        lo |= rest == "lo" || rest.starts_with("lo (");
    }
    assert!(lo, "{text}");
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>());
}
