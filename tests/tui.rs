//! The terminal UI: rendering snapshots (ratatui's TestBackend + insta),
//! key and mouse handling driven on `App` with no terminal, and one run of
//! the real UI in a pseudo-terminal.
#![cfg(feature = "tui")]

mod support;
mod tui_support;

use tui_support::{capture, ctrl, enter_text, key, numbers, open, records, screen, terminal};

use cephshark::analysis::{dissect, record_tree, Config};
use cephshark::msgr2::keys::KeyLog;
use cephshark::tui::crossterm::event::{
    KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use cephshark::tui::ratatui::style::Color;
use cephshark::tui::{self, App, Mode, Pane, Theme, TuiOptions};
use std::sync::Arc;

fn secure_config() -> Config {
    let text = std::fs::read_to_string(capture("cephx-secure.keys")).unwrap();
    Config {
        keys: Some(Arc::new(KeyLog::parse(&text).unwrap())),
        ..Config::default()
    }
}

/// Move the details cursor down until the field `abbrev` is selected.
fn select_field(app: &mut App, abbrev: &str) {
    for _ in 0..200 {
        if app.selected_field().map(|n| n.def.abbrev) == Some(abbrev) {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("{abbrev} not found in the details");
}

// ----- rendering -----

#[test]
fn main_screen() {
    let app = open("none-crc.pcap", Config::default(), 100, 30);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn main_screen_80x24() {
    let app = open("none-crc.pcap", Config::default(), 80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn details_expanded() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    enter_text(&mut app, "g413");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('e'));
    select_field(&mut app, "msgr2.preamble");
    key(&mut app, KeyCode::Char('\\'));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn hex_highlight_of_a_secure_frame_field() {
    let mut app = open("cephx-secure.pcap", secure_config(), 100, 30);
    enter_text(&mut app, "g68");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('e'));
    select_field(&mut app, "ceph.msg.type");
    let range = app
        .highlight()
        .expect("the field has bytes in the decrypted frame");
    let t = terminal(&app, 100, 30);
    let text = t.backend().to_string();
    assert!(
        text.contains("Decrypted bytes of secure frame 68"),
        "{text}"
    );
    // The highlighted cells are exactly the field's bytes, in hex and ASCII.
    let buf = t.backend().buffer();
    let hex_top = (0..30)
        .find(|&y| buf[(0, y)].symbol() == "0" && buf[(1, y)].symbol() == "0")
        .unwrap();
    let mut lit = Vec::new();
    for y in hex_top..28 {
        for x in 0..100 {
            if buf[(x, y)].bg == Color::Yellow && buf[(x, y)].symbol() != " " {
                lit.push((x, y));
            }
        }
    }
    // Two hex digits and one ASCII character per byte.
    assert_eq!(lit.len(), range.len() * 3, "{range:?}");
    insta::assert_snapshot!(text);
}

#[test]
fn filter_error_is_shown_while_typing() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    app.type_text("/tcp.stream == ");
    assert_eq!(app.mode(), Mode::Filter);
    assert!(
        matches!(
            app.filter_validity(),
            tui::filter_bar::Validity::Invalid(15, _)
        ),
        "{:?}",
        app.filter_validity()
    );
    insta::assert_snapshot!(screen(&app, 100, 30));
    // Enter does not apply a broken filter.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Filter);
    assert_eq!(app.filter_text(), "");
    app.type_text("3");
    assert_eq!(app.filter_validity(), &tui::filter_bar::Validity::Valid);
}

#[test]
fn connections_view() {
    let mut app = open("cephx-secure.pcap", secure_config(), 100, 30);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode(), Mode::Conns);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = open("none-crc.pcap", Config::default(), 80, 24);
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode(), Mode::Help);
    insta::assert_snapshot!(screen(&app, 80, 24));
    let all: Vec<String> = tui::help::lines()
        .into_iter()
        .map(|l| match l {
            tui::help::HelpLine::Keys(k, _) => k,
            tui::help::HelpLine::Heading(_) => String::new(),
        })
        .collect();
    for b in tui::keys::KEYS {
        assert!(
            all.iter()
                .any(|l| l.split('/').any(|k| k == b.label) || l == b.label),
            "{} missing",
            b.label
        );
    }
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn follow_view_draws_arrows() {
    let mut app = open("cephx-secure.pcap", secure_config(), 100, 30);
    enter_text(&mut app, "g68");
    key(&mut app, KeyCode::Char('f'));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn no_color_theme_uses_no_colour() {
    let opts = TuiOptions {
        path: capture("none-crc.pcap"),
        config: Config::default(),
        filter: None,
    };
    let mut app = tui::load(&opts, Theme::mono(), 100, 30).unwrap();
    key(&mut app, KeyCode::Tab);
    let t = terminal(&app, 100, 30);
    for cell in t.backend().buffer().content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    }
}

// ----- keys -----

#[test]
fn typed_filter_shrinks_the_list() {
    let all = records(&capture("none-crc.pcap"), Config::default());
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    assert_eq!(app.shown_numbers().len(), all.len());
    enter_text(&mut app, "/ceph.msg.type == 42");
    let want = numbers(&all, |r| r.msg.is_some_and(|h| h.msg_type == 42));
    assert!(!want.is_empty());
    assert_eq!(app.shown_numbers(), want);
    assert_eq!(app.filter_text(), "ceph.msg.type == 42");
    assert_eq!(app.mode(), Mode::Normal);
    // A second filter, then back through the history.
    app.type_text("/");
    ctrl(&mut app, 'u');
    enter_text(&mut app, "tcp.stream == 3");
    let conn3 = numbers(&all, |r| r.conn.0 == 3);
    assert_eq!(app.shown_numbers(), conn3);
    app.type_text("/");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.shown_numbers(), want);
    // Esc leaves the bar without changing the filter; an empty filter shows all.
    app.type_text("/xyz");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter_text(), "ceph.msg.type == 42");
    app.type_text("/");
    ctrl(&mut app, 'u');
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.shown_numbers().len(), all.len());
}

#[test]
fn initial_filter_is_applied() {
    let opts = TuiOptions {
        path: capture("none-crc.pcap"),
        config: Config::default(),
        filter: Some("tcp.stream == 3".into()),
    };
    let app = tui::load(&opts, Theme::colored(), 100, 30).unwrap();
    let want = numbers(&records(&opts.path, Config::default()), |r| r.conn.0 == 3);
    assert_eq!(app.shown_numbers(), want);
}

#[test]
fn next_problem_lands_on_the_corrupted_frame() {
    let path = tui_support::flipped_none_crc("flip");
    let opts = TuiOptions {
        path: path.clone(),
        config: Config::default(),
        filter: None,
    };
    let mut app = tui::load(&opts, Theme::colored(), 100, 30).unwrap();
    tui_support::remove(&path);
    assert_eq!(app.selected().unwrap().number, 1);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.selected().unwrap().number, 413);
    assert!(app.selected().unwrap().status().contains("segment_crc_bad"));
    // The only problem: N comes back to it, and says so.
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.selected().unwrap().number, 413);
    assert!(app.message().is_some());
    let text = screen(&app, 100, 30);
    assert!(text.contains("1 problem │"), "{text}");
    assert!(text.contains("2934766 bytes not kept"), "{text}");
}

#[test]
fn follow_view_of_a_connection() {
    let path = capture("cephx-secure.pcap");
    let all = records(&path, secure_config());
    let mut app = open("cephx-secure.pcap", secure_config(), 100, 30);
    enter_text(&mut app, "g68");
    let conn = app.selected().unwrap().conn;
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.mode(), Mode::Follow);
    let want = numbers(&all, |r| r.conn == conn);
    assert_eq!(app.follow_numbers(), want);
    let text = screen(&app, 100, 30);
    assert!(text.contains("MESSAGE osd_op seq=1 tid=1 ─"), "{text}");
    assert!(
        text.contains("─ MESSAGE osd_op_reply seq=1 tid=1 │"),
        "{text}"
    );
    // Enter goes to the selected frame in the list.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.selected().unwrap().number, 69);
}

#[test]
fn selected_field_highlights_its_span() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    enter_text(&mut app, "g6");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), Pane::Tree);
    key(&mut app, KeyCode::Char('e'));
    let tree = record_tree(app.selected().unwrap());
    for abbrev in [
        "msgr2.preamble.crc",
        "msgr2.preamble.segment.len",
        "msgr2.segment.crc",
    ] {
        key(&mut app, KeyCode::Home);
        select_field(&mut app, abbrev);
        let span = tree.find(abbrev).unwrap().span.clone().unwrap();
        assert_eq!(app.highlight(), Some(span.range.clone()), "{abbrev}");
        assert_eq!(app.hex_cursor(), span.range.start);
    }
    // And back: a byte in the hex pane selects the innermost field over it.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), Pane::Hex);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Down);
    for _ in 0..12 {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(app.hex_cursor(), 28);
    assert_eq!(
        app.selected_field().unwrap().def.abbrev,
        "msgr2.preamble.crc"
    );
    assert_eq!(app.highlight(), Some(28..32));
}

#[test]
fn expansion_is_kept_when_stepping_to_the_next_frame() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    enter_text(&mut app, "g6");
    key(&mut app, KeyCode::Tab);
    select_field(&mut app, "msgr2.preamble");
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected_field().unwrap().def.abbrev, "msgr2.tag");
    // Back to the list, next frame: the preamble is still open, same field selected.
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected().unwrap().number, 7);
    assert_eq!(app.selected_field().unwrap().def.abbrev, "msgr2.tag");
}

#[test]
fn matching_request_and_reply() {
    let mut app = open("cephx-secure.pcap", secure_config(), 100, 30);
    enter_text(&mut app, "g68");
    key(&mut app, KeyCode::Char('m'));
    let reply = app.selected().unwrap();
    assert_eq!(reply.number, 69);
    assert_eq!(reply.msg.unwrap().msg_type, 43);
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(app.selected().unwrap().number, 68);
    // Every osd_op of a capture finds its reply: same connection and tid.
    let all = records(&capture("none-crc.pcap"), Config::default());
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    for op in all
        .iter()
        .filter(|r| r.msg.is_some_and(|h| h.msg_type == 42))
    {
        let tid = op.msg.unwrap().tid;
        let want = all
            .iter()
            .find(|r| {
                r.number > op.number
                    && r.conn == op.conn
                    && r.msg.is_some_and(|h| h.msg_type == 43 && h.tid == tid)
            })
            .map(|r| r.number);
        enter_text(&mut app, &format!("g{}", op.number));
        key(&mut app, KeyCode::Char('m'));
        assert_eq!(
            Some(app.selected().unwrap().number),
            want,
            "osd_op {}",
            op.number
        );
    }
}

#[test]
fn matching_keepalive_and_ack() {
    use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
    use cephshark::msgr2::{banner, Rev, Tag};
    use support::synth::{connection, Send};
    let frame =
        |tag: Tag, stamp: u8| encode_crc(Rev::V1, &FrameSpec::control(tag.raw(), &[stamp; 8]));
    let send = |from_client, data| Send { from_client, data };
    let sends = [
        send(true, banner::encode(1, 0)),
        send(false, banner::encode(1, 0)),
        send(true, frame(Tag::Keepalive2, 1)),
        send(false, frame(Tag::Keepalive2Ack, 1)),
        send(false, frame(Tag::Keepalive2, 2)),
        send(true, frame(Tag::Keepalive2Ack, 2)),
    ];
    let pcap = connection(40000, 3300, &sends, 1400);
    let mut all = Vec::new();
    let summary = dissect(&pcap[..], Config::default(), &mut |r| all.push(r)).unwrap();
    let tags: Vec<String> = all.iter().map(|r| r.tag_name()).collect();
    assert_eq!(
        tags[2..],
        [
            "KEEPALIVE2",
            "KEEPALIVE2_ACK",
            "KEEPALIVE2",
            "KEEPALIVE2_ACK"
        ]
    );
    let mut app = App::with_records("synthetic", all, summary, Theme::colored(), 100, 30);
    for (from, to) in [(3, 4), (4, 3), (5, 6), (6, 5)] {
        enter_text(&mut app, &format!("g{from}"));
        key(&mut app, KeyCode::Char('m'));
        assert_eq!(app.selected().unwrap().number, to, "m on frame {from}");
    }
}

#[test]
fn goto_search_and_page_keys() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    enter_text(&mut app, "g100");
    assert_eq!(app.selected().unwrap().number, 100);
    enter_text(&mut app, "g99999");
    assert!(app.message().unwrap().error);
    assert_eq!(app.selected().unwrap().number, 100);
    key(&mut app, KeyCode::End);
    assert_eq!(app.selected().unwrap().number, app.total_rows() as u64);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::PageDown);
    assert!(app.selected().unwrap().number > 5);
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Home);
    assert_eq!(app.selected().unwrap().number, 1);
    // Search: content column first, then n continues.
    ctrl(&mut app, 'f');
    assert_eq!(app.mode(), Mode::Search);
    enter_text(&mut app, "osd_op_reply");
    let first = app.selected().unwrap().number;
    assert!(cephshark::cli::info(app.selected().unwrap()).contains("osd_op_reply"));
    key(&mut app, KeyCode::Char('n'));
    let second = app.selected().unwrap().number;
    assert!(second > first);
    assert!(cephshark::cli::info(app.selected().unwrap()).contains("osd_op_reply"));
    // Field values are searched too (an entity name only the tree shows).
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'f');
    ctrl(&mut app, 'u');
    enter_text(&mut app, "1795409693.131241");
    // The capture's first frames belong to a connection it picked up
    // mid-stream: their rows come once its wait for a handshake is over.
    assert_eq!(app.selected().unwrap().number, 6);
}

#[test]
fn connections_enter_filters_on_the_connection() {
    let all = records(&capture("none-crc.pcap"), Config::default());
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Normal);
    // The view opens on the first row's connection (1: the rows of
    // connection 0, picked up mid-stream, come after its wait), then two down.
    assert_eq!(app.filter_text(), "tcp.stream == 3");
    let want = numbers(&all, |r| r.conn.0 == 3);
    assert_eq!(app.shown_numbers(), want);
}

#[test]
fn panes_zoom_resize_and_mouse() {
    let mut app = open("none-crc.pcap", Config::default(), 100, 30);
    key(&mut app, KeyCode::Char('\\'));
    let text = screen(&app, 100, 30);
    assert!(!text.contains("Details of frame"), "{text}");
    key(&mut app, KeyCode::Char('\\'));
    let before = screen(&app, 100, 30);
    key(&mut app, KeyCode::Char('+'));
    assert_ne!(screen(&app, 100, 30), before);
    key(&mut app, KeyCode::Char('-'));
    // Screen line 5 is the list's 3rd row (filter bar, title, header, rows).
    let click = |x, y| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    app.handle_mouse(click(10, 5));
    assert_eq!(app.selected().unwrap().number, 3);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    app.handle_mouse(wheel);
    assert_eq!(app.selected().unwrap().number, 6);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
}

#[test]
fn rows_stream_in_while_the_capture_loads() {
    let all = records(&capture("none-crc.pcap"), Config::default());
    let read = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = tui::open_capture(&capture("none-crc.pcap"), Arc::clone(&read)).unwrap();
    let worker = tui::worker::Worker::start(reader, read, Config::default()).unwrap();
    let mut app = App::new("none-crc.pcap", Theme::colored());
    app.resize(100, 30);
    app.apply_filter(Some(
        cephshark::filter::Filter::parse("tcp.stream == 26").unwrap(),
    ));
    while !app.loaded() {
        app.ingest(worker.rx.recv().unwrap());
        app.pump(std::time::Duration::from_millis(5));
    }
    app.settle();
    assert_eq!(app.total_rows(), all.len());
    let want = numbers(&all, |r| r.conn.0 == 26);
    assert_eq!(app.shown_numbers(), want);
    // Frame bytes are kept up to the bound only.
    let big = all
        .iter()
        .find(|r| r.number == 413)
        .unwrap()
        .frame()
        .unwrap()
        .data
        .len();
    assert!(big > tui::rows::KEEP_BYTES);
    enter_text(&mut app, "g413");
    let row = app.selected_row().unwrap();
    assert_eq!(
        row.record.frame().unwrap().data.len(),
        tui::rows::KEEP_BYTES
    );
    assert_eq!(row.dropped(), big - tui::rows::KEEP_BYTES);
}
