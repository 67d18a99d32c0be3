//! The real terminal UI in a pseudo-terminal: the test starts its own
//! binary as the child that runs the UI on a bundled capture, types keys
//! and reads the screen.
#![cfg(feature = "tui")]

mod tui_support;

use cephshark::analysis::Config;
use cephshark::tui::{self, TuiOptions};
use tui_support::{capture, numbers, records};

const CHILD_ENV: &str = "CEPHSHARK_TUI_PTY_CHILD";

/// Runs the UI when started by `ui_in_a_pseudo_terminal` (which sets
/// the variable); otherwise does nothing.
#[test]
fn pty_child_process() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    tui::run(TuiOptions {
        path: path.into(),
        config: Config::default(),
        filter: None,
    })
    .unwrap();
}

#[test]
fn ui_in_a_pseudo_terminal() {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let path = capture("none-crc.pcap");
    let conn3 = numbers(&records(&path, Config::default()), |r| r.conn.0 == 3);
    let (rows, cols) = (30, 100);
    let pair = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    // The real binary: `cephshark FILE` on a terminal opens the UI.
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_cephshark"));
    cmd.arg(&path);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut parser = vt100::Parser::new(rows, cols, 0);
    let mut wait_for = |what: &str, parser: &mut vt100::Parser| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if parser.screen().contents().contains(what) {
                return;
            }
            if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(100)) {
                parser.process(&bytes);
            }
        }
        let _ = child.kill();
        panic!(
            "the screen never showed {what:?}:\n{}",
            parser.screen().contents()
        );
    };
    wait_for("loaded", &mut parser);
    assert!(parser.screen().contents().contains("513 frames"));
    writer.write_all(b"/tcp.stream == 3").unwrap();
    writer.flush().unwrap();
    wait_for("tcp.stream == 3", &mut parser);
    writer.write_all(b"\r").unwrap();
    writer.flush().unwrap();
    wait_for(&format!("{}/513 shown", conn3.len()), &mut parser);
    let screen = parser.screen().contents();
    let lines: Vec<&str> = screen.lines().collect();
    // The list's rows (after the filter bar, title and header) are conn 3's frames.
    for (line, n) in lines.iter().skip(3).zip(conn3.iter().take(8)) {
        assert!(
            line.trim_start().starts_with(&format!("{n} ")),
            "{line:?} should be frame {n}\n{screen}"
        );
        assert!(line.contains("    3 "), "{line:?}");
    }
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the UI did not quit on q");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}
