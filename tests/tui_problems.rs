//! Problems in plain sight in the terminal UI: `n` opens the details down
//! to the field a problem concerns and the hex pane highlights its bytes;
//! the hint line says the selected row's problem in words; the details open
//! on the problem, with the row's packets folded into one line; a selected
//! problem row stays readable; without colour a symbol column marks problem
//! rows; the connections view names the entities and fits 80 columns; a
//! new search starts empty.
#![cfg(feature = "tui")]

mod tui_support;

use cephshark::analysis::{Config, Record};
use cephshark::tui::crossterm::event::KeyCode;
use cephshark::tui::ratatui::style::Color;
use cephshark::tui::{Mode, Theme};
use tui_support::{ctrl, enter_text, key, open, open_path, records, screen, terminal};

/// The one row with a problem in the flipped capture, read without the UI.
fn flipped_row(all: &[Record]) -> &Record {
    let bad: Vec<&Record> = all.iter().filter(|r| !r.problems().is_empty()).collect();
    assert_eq!(bad.len(), 1, "one corrupted frame");
    bad[0]
}

#[test]
fn n_opens_the_problem_field_and_highlights_its_bytes() {
    // An object name in an osd_op's front: its segment CRC goes bad.
    let path = tui_support::flipped_text("reveal", b"obj1");
    let all = records(&path, Config::default());
    let mut app = open_path(path.clone(), Config::default(), Theme::colored(), 80, 24);
    let mut big = open_path(path.clone(), Config::default(), Theme::colored(), 160, 45);
    tui_support::remove(&path);
    let bad = flipped_row(&all);
    let p = &bad.problems()[0];
    let frame = bad.frame().unwrap();
    key(&mut app, KeyCode::Char('n'));
    key(&mut big, KeyCode::Char('n'));
    assert_eq!(app.selected().unwrap().number, bad.number);
    // The cursor is on the field the problem names, opened from the root.
    let field = app.selected_field().unwrap();
    assert_eq!(field.def.abbrev, p.field);
    let span = field.span.as_ref().unwrap().range.clone();
    // Its bytes are the problem's bytes (stream offset minus the frame's).
    assert_eq!(span.start as u64, p.offset - frame.offset);
    assert_eq!(span.len() as u64, p.len);
    assert_eq!(app.highlight(), Some(span.clone()));
    assert_eq!(app.hex_cursor(), span.start);
    // The hint line says it in words, with Ceph's two values.
    let text = screen(&app, 80, 24);
    let words = format!(
        "{} in {}: expected {}, found {}",
        p.kind.name(),
        p.field,
        p.expected,
        p.found
    );
    assert!(text.contains(&words[..60]), "{text}");
    // The highlighted hex cells are painted (yellow) on the big screen.
    let t = terminal(&big, 160, 45);
    let painted = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.bg == Color::Yellow)
        .count();
    assert!(painted >= 2 * span.len(), "{painted} cells for {span:?}");
    insta::assert_snapshot!("problem_view_80x24", text);
    insta::assert_snapshot!("problem_view_160x45", screen(&big, 160, 45));
}

#[test]
fn details_open_on_the_problem_with_the_packets_folded() {
    let path = tui_support::flipped_none_crc("details");
    let all = records(&path, Config::default());
    let mut app = open_path(path.clone(), Config::default(), Theme::colored(), 160, 45);
    tui_support::remove(&path);
    let bad = flipped_row(&all);
    enter_text(&mut app, &format!("g{}", bad.number));
    assert_eq!(app.selected().unwrap().number, bad.number);
    let n = app.selected_field().unwrap();
    assert_eq!(n.def.abbrev, "msgr2.problem");
    let text = screen(&app, 160, 45);
    let first = bad.packets.first().unwrap().0;
    let last = bad.packets.last().unwrap().0;
    assert!(bad.packets.len() > 1);
    let folded = format!(
        "Packets: {} (first {first}, last {last})",
        bad.packets.len()
    );
    assert!(text.contains(&folded), "{folded}\n{text}");
    assert!(!text.contains("Packet: "), "{text}");
    assert!(text.contains(&format!("Problem: {}", bad.problems()[0].kind.name())));
}

#[test]
fn a_selected_problem_row_is_readable() {
    let path = tui_support::flipped_none_crc("sel");
    let all = records(&path, Config::default());
    let mut app = open_path(path.clone(), Config::default(), Theme::colored(), 100, 30);
    tui_support::remove(&path);
    let bad = flipped_row(&all);
    // Unselected, the row is red.
    enter_text(&mut app, &format!("g{}", bad.number));
    key(&mut app, KeyCode::Up);
    let t = terminal(&app, 100, 30);
    let row_y = (0..30)
        .find(|&y| {
            let line: String = (0..100)
                .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
                .collect();
            line.trim_start().starts_with(&format!("{} ", bad.number))
        })
        .unwrap();
    assert_eq!(t.backend().buffer()[(0, row_y)].fg, Color::Red);
    // Selected, every cell of it has the selection's colours.
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected().unwrap().number, bad.number);
    let t = terminal(&app, 100, 30);
    for x in 0..100 {
        let c = &t.backend().buffer()[(x, row_y)];
        assert_eq!((c.fg, c.bg), (Color::White, Color::Blue), "column {x}");
    }
}

#[test]
fn without_colour_a_symbol_marks_problem_rows() {
    let path = tui_support::flipped_none_crc("mono");
    let all = records(&path, Config::default());
    let mut app = open_path(path.clone(), Config::default(), Theme::mono(), 100, 30);
    tui_support::remove(&path);
    let bad = flipped_row(&all);
    enter_text(&mut app, &format!("g{}", bad.number));
    key(&mut app, KeyCode::Up);
    let text = screen(&app, 100, 30);
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with("\"! ")).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].starts_with(&format!("\"! {} ", bad.number)),
        "{text}"
    );
    // Rows without a problem start with a blank symbol.
    let ok = format!("\"  {} ", bad.number - 1);
    assert!(text.lines().any(|l| l.starts_with(&ok)), "{text}");
}

#[test]
fn connections_view_names_entities_in_80_columns() {
    let mut app = open("none-crc.pcap", Config::default(), 80, 24);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode(), Mode::Conns);
    let text = screen(&app, 80, 24);
    // The first client the OSD logged a message from, by the name Ceph
    // gave it, on its connection to the OSD.
    let log = std::process::Command::new("zcat")
        .arg(tui_support::capture("none-crc.logs/osd.0.log.gz"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    let client = log
        .lines()
        .filter_map(|l| l.split(" <== ").nth(1))
        .filter_map(|r| r.split(' ').next())
        .find(|n| n.starts_with("client."))
        .unwrap();
    assert!(text.contains(&format!("{client} → osd.0")), "{text}");
    assert!(text.contains("Entities"), "{text}");
    assert!(text.contains("q/Ctrl-C quit"), "{text}");
    insta::assert_snapshot!("connections_view_80x24", text);
}

#[test]
fn a_new_search_starts_empty() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    ctrl(&mut app, 'f');
    assert_eq!(app.mode(), Mode::Search);
    enter_text(&mut app, "osd_op");
    let found = app.selected().unwrap().number;
    assert!(found > 1);
    ctrl(&mut app, 'f');
    let text = screen(&app, 100, 30);
    let line = text.lines().find(|l| l.contains("Search:")).unwrap();
    assert_eq!(line.trim_matches('"').trim_end(), "Search:", "{text}");
    // n still repeats the last search.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('n'));
    assert!(app.selected().unwrap().number > found);
}
