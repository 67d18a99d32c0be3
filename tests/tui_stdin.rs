//! The terminal UI over standard input: `cat FILE | cephshark -` on a
//! terminal opens the UI on the piped capture, and its keys are read from
//! the terminal itself (standard input being the capture).
#![cfg(feature = "tui")]

mod support;

use cephshark::analysis::{dissect, Config};
use portable_pty::CommandBuilder;
use std::path::PathBuf;
use support::pty::Screen;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// The rows of a capture and how many of them carry a problem, read
/// straight from the file by the library.
fn counts(path: &PathBuf) -> (usize, usize) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
    let (mut rows, mut problems) = (0, 0);
    dissect(f, Config::default(), &mut |r| {
        rows += 1;
        if !r.problems().is_empty() {
            problems += 1;
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (rows, problems)
}

/// Pipe `name` into `cephshark ARGS` on a terminal; the UI must load it
/// whole, filter by a typed filter, and quit on `q` with status 0.
fn piped(name: &str, args: &str) {
    let path = capture(name);
    let (rows, problems) = counts(&path);
    let bin = env!("CARGO_BIN_EXE_cephshark");
    let mut cmd = CommandBuilder::new("sh");
    cmd.arg("-c");
    cmd.arg(format!("cat '{}' | '{bin}' {args}", path.display()));
    cmd.env_remove("NO_COLOR");
    let mut screen = Screen::spawn(cmd, 30, 110);
    let plural = if problems == 1 { "" } else { "s" };
    screen.wait_for(&[
        "standard input",
        &format!("{rows} frames"),
        &format!("{problems} problem{plural}"),
        "loaded",
    ]);
    // Keys reach the UI: a filter typed and applied.
    screen.keys(b"/tcp.stream == 1\r");
    screen.wait_for(&["filter: tcp.stream == 1"]);
    screen.keys(b"q");
    assert_eq!(screen.exit_code(), 0);
}

#[test]
fn a_piped_capture_opens_in_the_ui_with_keys_from_the_terminal() {
    piped("none-crc.pcap", "-");
}

#[test]
fn plain_cephshark_reads_a_pipe_in_the_ui() {
    piped("none-crc.pcap", "");
}
