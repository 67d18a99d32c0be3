//! SIGINT, SIGTERM and SIGHUP end the binary cleanly: the listing stops
//! reading, prints what it has and exits 128 + the signal's number; the
//! terminal UI puts the terminal back first. Linux only: the child's
//! state is read from /proc to know when a signal will be seen.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn kill(pid: u32, sig: &str) {
    let st = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Wait (at most a minute) until `cond` holds for the process `pid`.
fn wait_until(pid: u32, what: &str, cond: impl Fn(&str, &str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if cond(&status, &stat) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the process catches SIGHUP (1), SIGINT (2) and SIGTERM (15).
fn catches_all(status: &str, _: &str) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & 0x4003 == 0x4003)
}

/// Whether the (single-threaded) process sleeps: blocked reading its
/// standard input, every packet given so far decoded.
fn sleeping(_: &str, stat: &str) -> bool {
    stat.rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('S'))
}

/// Byte offset where record `k` of a little-endian pcap file starts.
fn record_start(bytes: &[u8], k: usize) -> usize {
    let mut off = 24;
    for _ in 0..k {
        let h = &bytes[off..off + 16];
        off += 16 + u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
    }
    off
}

/// `-r -` given 500 packets, then a signal while it waits for more, then
/// the rest: it decodes the one packet it was reading, stops, prints the
/// statistics of what it read, and exits 128 + the signal.
fn listing_stops_on(sig: &str, number: i32) {
    let bytes = std::fs::read(capture("none-crc.pcap")).unwrap();
    let cut = record_start(&bytes, 500);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", "-", "-q", "-z", "tags"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    wait_until(pid, "installing the handlers", catches_all);
    stdin.write_all(&bytes[..cut]).unwrap();
    wait_until(pid, "waiting for packet 501", sleeping);
    kill(pid, sig);
    // The rest unblocks the read; a closed pipe is fine (it stopped).
    let _ = stdin.write_all(&bytes[cut..]);
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(128 + number));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("cephshark: -: stopped by SIG{sig} after 501 packets\n")
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("=====") && out.contains("msgr2 Frame Tags\n"),
        "{out}"
    );
    // Fewer rows than the whole capture's 513, all counted.
    let total = out
        .lines()
        .find_map(|l| l.strip_prefix("total"))
        .unwrap_or_else(|| panic!("{out}"));
    let frames: u64 = total.split_whitespace().next().unwrap().parse().unwrap();
    assert!(frames > 300 && frames < 513, "{out}");
}

#[test]
fn sigint_stops_the_listing_with_statistics() {
    listing_stops_on("INT", 2);
}

#[test]
fn sigterm_and_sighup_stop_it_too() {
    listing_stops_on("TERM", 15);
    listing_stops_on("HUP", 1);
}

/// `verify -` stops the same way, and does not call a partial check OK.
#[test]
fn verify_stops_and_is_not_ok() {
    let bytes = std::fs::read(capture("none-crc.pcap")).unwrap();
    let cut = record_start(&bytes, 500);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["verify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    wait_until(pid, "installing the handlers", catches_all);
    stdin.write_all(&bytes[..cut]).unwrap();
    wait_until(pid, "waiting for packet 501", sleeping);
    kill(pid, "INT");
    let _ = stdin.write_all(&bytes[cut..]);
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "cephshark: verify stopped by SIGINT\n"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("-: INTERRUPTED — 501 packets, ") && out.ends_with(" 0 problems\n"),
        "{out}"
    );
}

/// The UI in a pseudo-terminal gets SIGTERM: it exits 143, and the last
/// bytes it wrote turn mouse reporting off, leave the alternate screen
/// and show the cursor; the terminal is out of raw mode again.
#[cfg(feature = "tui")]
#[test]
fn sigterm_restores_the_terminal() {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;

    let (rows, cols) = (30, 100);
    let pair = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_cephshark"));
    cmd.arg(capture("none-crc.pcap"));
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let pid = child.process_id().unwrap();
    let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut all = Vec::new();
    let mut parser = vt100::Parser::new(rows, cols, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !parser.screen().contents().contains("loaded") {
        assert!(Instant::now() < deadline, "the UI never loaded");
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
            parser.process(&b);
            all.extend(b);
        }
    }
    assert!(parser.screen().alternate_screen());
    assert!(parser.screen().hide_cursor());
    assert_ne!(
        parser.screen().mouse_protocol_mode(),
        vt100::MouseProtocolMode::None
    );
    let raw = stty(&tty);
    assert!(raw.contains(&"-icanon".to_string()), "{raw:?}");

    kill(pid, "TERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the UI did not end on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 143);
    // The terminal modes, while the pseudo-terminal is still open.
    let cooked = stty(&tty);
    for flag in ["icanon", "echo", "isig"] {
        assert!(cooked.contains(&flag.to_string()), "{flag}: {cooked:?}");
    }
    drop(pair.master);
    while let Ok(b) = rx.recv_timeout(Duration::from_secs(5)) {
        parser.process(&b);
        all.extend(b);
    }
    let screen = parser.screen();
    assert!(!screen.alternate_screen());
    assert!(!screen.hide_cursor());
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
    // The very last bytes: mouse reporting off, main screen, cursor shown.
    let tail = String::from_utf8_lossy(&all[all.len().saturating_sub(64)..]).into_owned();
    let after = tail
        .rsplit_once("\x1b[?1000l")
        .unwrap_or_else(|| panic!("{tail:?}"))
        .1;
    assert!(after.ends_with("\x1b[?1049l\x1b[?25h"), "{tail:?}");
}

/// The settings of terminal `tty`, one word each (`-icanon` when off).
#[cfg(feature = "tui")]
fn stty(tty: &Path) -> Vec<String> {
    let o = Command::new("stty")
        .arg("-a")
        .arg("-F")
        .arg(tty)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}
