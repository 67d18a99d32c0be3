//! Helpers shared by the terminal UI tests: opening a capture in an `App`
//! with no terminal, driving keys, and drawing into a `TestBackend`.
#![allow(dead_code)]

use cephshark::analysis::{dissect, Config, Record};
use cephshark::tui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cephshark::tui::ratatui::{backend::TestBackend, Terminal};
use cephshark::tui::{self, App, Theme, TuiOptions};
use std::path::PathBuf;

/// A bundled capture.
pub fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// Open a bundled capture in the UI, with the coloured theme.
pub fn open(name: &str, config: Config, w: u16, h: u16) -> App {
    open_path(capture(name), config, Theme::colored(), w, h)
}

/// Open any capture in the UI.
pub fn open_path(path: PathBuf, config: Config, theme: Theme, w: u16, h: u16) -> App {
    let opts = TuiOptions {
        path,
        config,
        filter: None,
    };
    tui::load(&opts, theme, w, h).unwrap()
}

/// Every record of a capture, read without the UI.
pub fn records(path: &std::path::Path, config: Config) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(std::fs::File::open(path).unwrap(), config, &mut |r| {
        out.push(r)
    })
    .unwrap();
    out
}

/// Numbers of the records that pass `keep`, computed without the UI.
pub fn numbers(all: &[Record], keep: impl Fn(&Record) -> bool) -> Vec<u64> {
    all.iter().filter(|r| keep(r)).map(|r| r.number).collect()
}

/// Press a key.
pub fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    app.settle();
}

/// Press Ctrl and a key.
pub fn ctrl(app: &mut App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    app.settle();
}

/// Type text, then Enter.
pub fn enter_text(app: &mut App, text: &str) {
    app.type_text(text);
    key(app, KeyCode::Enter);
}

/// Draw the UI into a test terminal of the given size.
pub fn terminal(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| tui::draw(f, app)).unwrap();
    t
}

/// The drawn screen as text.
pub fn screen(app: &App, w: u16, h: u16) -> String {
    terminal(app, w, h).backend().to_string()
}

/// `none-crc.pcap` with one bit flipped inside row 413's data segment (as
/// a cable or NIC would), written to a temporary file the caller removes.
pub fn flipped_none_crc(tag: &str) -> PathBuf {
    let mut bytes = std::fs::read(capture("none-crc.pcap")).unwrap();
    bytes[300_000] ^= 0x01;
    write_temp(tag, &bytes)
}

/// `none-crc.pcap` with the low bit of the first byte of `text`'s first
/// occurrence flipped, written to a temporary file the caller removes.
pub fn flipped_text(tag: &str, text: &[u8]) -> PathBuf {
    let mut bytes = std::fs::read(capture("none-crc.pcap")).unwrap();
    let at = bytes.windows(text.len()).position(|w| w == text).unwrap();
    bytes[at] ^= 0x01;
    write_temp(tag, &bytes)
}

/// Write `bytes` as `none-crc-flipped.pcap` (the name the status bar shows)
/// in a directory of its own.
fn write_temp(tag: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cephshark-tui-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("none-crc-flipped.pcap");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Remove a file `flipped_*` wrote, and its directory.
pub fn remove(path: &std::path::Path) {
    std::fs::remove_file(path).unwrap();
    if let Some(dir) = path.parent() {
        std::fs::remove_dir(dir).unwrap();
    }
}
