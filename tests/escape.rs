//! Untrusted text never reaches the terminal raw: a capture whose object
//! name, monitor command and auth entity name carry ESC sequences, NUL, a
//! C1 control, TAB, newline and U+202E, through every human-readable output
//! of the binary and the terminal UI; JSON keeps the exact characters and
//! a display filter still matches the raw string.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod escape_common;
mod support;

use escape_common::*;
#[test]
fn the_text_list_escapes_wire_strings() {
    let cap = evil_file("the_text_list_escapes_wire_strings");
    let (o, text) = with_capture(&cap, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    no_raw("text", &text);
    assert!(!text.contains('\t'), "{text}");
    // One line per row, as many as the JSON lines.
    let (_, jsonl) = with_capture(&cap, &["-T", "jsonl"]);
    assert_eq!(text.lines().count(), jsonl.lines().count(), "{text}");
    let line = |tag: &str, what: &str| {
        text.lines()
            .find(|l| l.contains(tag) && l.contains(what))
            .unwrap_or_else(|| panic!("no {tag} line with {what}:\n{text}"))
            .to_string()
    };
    assert!(line("AUTH_REQUEST", "").contains(&format!("mon client.{SHOWN}")));
    let cmd = format!("mon_command({{\"prefix\":\"{SHOWN}\"}} v ");
    assert!(line("MESSAGE", "mon_command(").contains(&cmd));
    let ack = format!("mon_command_ack([{{\"prefix\":\"{SHOWN}\"}}]=");
    assert!(line("MESSAGE", "mon_command_ack(").contains(&ack), "{text}");
    // The object as Ceph prints an hobject_t: its own %-escapes.
    assert!(line("MESSAGE", "osd_op(").contains(HOBJ), "{text}");
    assert!(text.lines().all(|l| l.ends_with(']')), "{text}");
}

#[test]
fn the_tree_escapes_every_field() {
    let cap = evil_file("the_tree_escapes_every_field");
    let (o, text) = with_capture(&cap, &["-V"]);
    assert_eq!(o.status.code(), Some(0));
    no_raw("-V", &text);
    assert!(!text.contains('\t'));
    assert!(
        text.lines()
            .any(|l| l.trim_start() == format!("Object: {SHOWN}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Entity name: client.{SHOWN}")),
        "{text}"
    );
    assert!(text.contains(&format!("Command JSON: {{\"prefix\":\"{SHOWN}\"}}")));
}

#[test]
fn fields_keep_one_value_per_cell() {
    let cap = evil_file("fields_keep_one_value_per_cell");
    let (o, text) = with_capture(
        &cap,
        &[
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "ceph.osd_op.oid",
            "-e",
            "ceph.mon_command.json",
            "-e",
            "ceph.entity_name",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    no_raw("-T fields", &text);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 4), "{text}");
    let cells = |col: usize| -> Vec<&str> {
        rows.iter()
            .map(|r| r[col])
            .filter(|c| !c.is_empty())
            .collect()
    };
    assert_eq!(cells(1), [SHOWN]);
    assert_eq!(cells(2), [format!("{{\"prefix\":\"{SHOWN}\"}}")]);
    assert_eq!(cells(3), [format!("client.{SHOWN}")]);
}

#[test]
fn statistics_and_verify_print_no_raw_bytes() {
    let cap = evil_file("statistics_and_verify_print_no_raw_bytes");
    let (o, text) = with_capture(
        &cap,
        &[
            "-q", "-z", "conv", "-z", "msgs", "-z", "results", "-z", "errors",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    no_raw("-z", &text);
    assert!(text.contains("mon_command"), "{text}");
    let o = run(&["verify", cap.path()]);
    let text = out(&o);
    no_raw("verify", &text);
    no_raw("verify stderr", &String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("statistics_and_verify_print_no_raw_bytes.pcap: "),
        "{text}"
    );
}

#[test]
fn json_keeps_the_exact_characters() {
    let cap = evil_file("json_keeps_the_exact_characters");
    let (o, text) = with_capture(&cap, &["-T", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut found = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(o) => {
                if let (Some(f), Some(serde_json::Value::String(s))) =
                    (o.get("field"), o.get("value"))
                {
                    out.push((f.as_str().unwrap_or("").to_string(), s.clone()));
                }
                o.values().for_each(|c| walk(c, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(&v, &mut found);
    let value = |abbrev: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|(f, _)| f == abbrev)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    assert_eq!(value("ceph.osd_op.oid"), [EVIL]);
    assert_eq!(value("ceph.mon_command.json"), [evil_json().as_str()]);
    assert_eq!(
        value("ceph.entity_name"),
        [format!("client.{EVIL}").as_str()]
    );
    // JSON lines parse, one row each.
    let (_, lines) = with_capture(&cap, &["-T", "jsonl"]);
    for l in lines.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
}

#[test]
fn filters_match_the_raw_string() {
    let cap = evil_file("filters_match_the_raw_string");
    // The lexer's escapes and raw characters in the argument both reach
    // the raw value (an argument cannot hold NUL).
    for f in [
        "ceph.osd_op.oid contains \"\\x1b[31mil\\x00na\\x9bme\\tx\\ny\"",
        "ceph.osd_op.oid contains \"\u{1b}[31mil\"",
        "ceph.osd_op.oid contains \"\u{9b}me\tx\ny\u{202e}z\"",
    ] {
        let (o, text) = with_capture(&cap, &["-Y", f]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(text.lines().count(), 1, "{f}: {text}");
        assert!(text.contains("osd_op(") && text.contains(HOBJ), "{text}");
    }
    // The escaped form is only how it is shown: it matches nothing.
    let (_, text) = with_capture(&cap, &["-Y", "ceph.osd_op.oid contains \"\\\\x1b\""]);
    assert_eq!(text, "");
}

#[test]
fn key_file_errors_escape_the_text_they_echo() {
    let cap = evil_file("key_file_errors_escape_the_text_they_echo");
    let keys = TempFile::new("evil.keys", "\u{1b}]0;pwned\u{7}\u{202e} 00\n".as_bytes());
    let (o, text) = with_capture(&cap, &["--keys", keys.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text, "");
    let err = String::from_utf8(o.stderr).unwrap();
    no_raw("stderr", &err);
    assert!(!err.contains('\u{7}'), "{err}");
    assert!(
        err.contains("unknown keyword `\\x1b]0;pwned\\x07\\u{202e}`"),
        "{err}"
    );
}

#[test]
fn filter_errors_escape_the_text_but_keep_their_caret_line() {
    let cap = evil_file("filter_errors_escape_the_text_but_keep_their_caret_line");
    let (o, text) = with_capture(&cap, &["-Y", "ceph.osd_op.oid == \"\u{1b}[2J\" &&"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text, "");
    let err = String::from_utf8(o.stderr).unwrap();
    no_raw("stderr", &err);
    assert_eq!(
        err,
        "cephshark: Missing operand after \"&&\".\n    ceph.osd_op.oid == \"\\x1b[2J\" &&\n                                   ^\n"
    );
}

#[cfg(feature = "tui")]
mod tui {
    use super::*;
    use cephshark::analysis::Config;
    use cephshark::tui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use cephshark::tui::ratatui::{backend::TestBackend, Terminal};
    use cephshark::tui::{self as ui, App, Mode, Theme, TuiOptions};

    fn screen(app: &App) -> String {
        let mut t = Terminal::new(TestBackend::new(160, 40)).unwrap();
        t.draw(|f| ui::draw(f, app)).unwrap();
        t.backend().to_string()
    }

    fn key(app: &mut App, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        app.settle();
    }

    fn goto(app: &mut App, n: u64) {
        app.type_text(&format!("g{n}"));
        key(app, KeyCode::Enter);
        assert_eq!(app.selected().map(|r| r.number), Some(n));
    }

    fn check(what: &str, text: &str) {
        no_raw(what, text);
        // Escaped at the source, not caught by the last guard.
        assert!(!text.contains('\u{fffd}'), "{what}:\n{text}");
    }

    #[test]
    fn list_tree_status_and_follow_show_escaped_text() {
        let cap = evil_file("tui");
        let opts = TuiOptions {
            path: cap.0.clone(),
            config: Config::default(),
            filter: None,
        };
        let mut app = ui::load(&opts, Theme::colored(), 160, 40).unwrap();
        let text = screen(&app);
        check("list", &text);
        // The line is cut at the screen's edge.
        assert!(
            text.contains("mon client.ev\\x1b[31mil\\0na\\u{9b}me\\tx\\ny\\u{2"),
            "{text}"
        );
        // The osd_op row: its summary in the list, its object in the tree.
        let rows = super::support::mutants::records(&evil_capture());
        let op = rows
            .iter()
            .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
            .unwrap()
            .number;
        goto(&mut app, op);
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Char('e'));
        for _ in 0..300 {
            if app.selected_field().map(|n| n.def.abbrev) == Some("ceph.osd_op.oid") {
                break;
            }
            key(&mut app, KeyCode::Down);
        }
        let text = screen(&app);
        check("osd_op selected", &text);
        assert!(text.contains(&format!("Object: {SHOWN}")), "{text}");
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Tab);
        // A filter on the raw string, shown escaped in the status bar.
        app.type_text("/");
        app.type_text("ceph.osd_op.oid contains \"\u{1b}[31m\"");
        key(&mut app, KeyCode::Enter);
        let text = screen(&app);
        check("filtered", &text);
        assert!(
            text.contains("filter: ceph.osd_op.oid contains \"\\x1b[31m\""),
            "{text}"
        );
        assert_eq!(app.selected().map(|r| r.number), Some(op), "{text}");
        // The follow view of the connection.
        key(&mut app, KeyCode::Char('f'));
        assert_eq!(app.mode(), Mode::Follow);
        check("follow", &screen(&app));
    }
}
