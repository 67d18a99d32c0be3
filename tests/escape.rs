//! Untrusted text never reaches the terminal raw: a capture whose object
//! name, monitor command and auth entity name carry ESC sequences, NUL, a
//! C1 control, TAB, newline and U+202E, through every human-readable output
//! of the binary and the terminal UI; JSON keeps the exact characters and
//! a display filter still matches the raw string.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use cephshark::decode::control::Control;
use cephshark::decode::control_enc::*;
use cephshark::decode::entity::{AddrVec, EntityName};
use cephshark::decode::grammar::Sp;
use cephshark::msgr2::{banner, Tag};
use std::path::PathBuf;
use std::process::{Command, Output};
use support::mutants::{control_frame, examples, frame, real};
use support::synth::{connection, Send};

/// ESC (SGR red), NUL, CSI as a C1 control, TAB, newline, RIGHT-TO-LEFT
/// OVERRIDE.
const EVIL: &str = "ev\u{1b}[31mil\0na\u{9b}me\tx\ny\u{202e}z";
/// [`EVIL`] as every human-readable output shows it.
const SHOWN: &str = "ev\\x1b[31mil\\0na\\u{9b}me\\tx\\ny\\u{202e}z";
/// [`EVIL`] in an hobject_t as Ceph prints it (common/hobject.cc
/// append_escaped: bytes outside printable ASCII as `%xx`).
const HOBJ: &str = ":::ev%1b[31mil%00na%c2%9bme%09x%0ay%e2%80%aez:head";
/// Characters that must never be printed raw.
const RAW: [char; 4] = ['\u{1b}', '\0', '\u{9b}', '\u{202e}'];

fn no_raw(what: &str, text: &str) {
    for c in RAW {
        assert!(!text.contains(c), "{what}: raw {c:?} in\n{text}");
    }
}

/// Replace the le32-prefixed string `old` in `seg` by `new`.
fn replace_string(seg: &mut Vec<u8>, old: &[u8], new: &[u8]) {
    let mut pat = (old.len() as u32).to_le_bytes().to_vec();
    pat.extend_from_slice(old);
    let at = seg
        .windows(pat.len())
        .position(|w| w == pat.as_slice())
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(old)));
    let mut rep = (new.len() as u32).to_le_bytes().to_vec();
    rep.extend_from_slice(new);
    seg.splice(at..at + pat.len(), rep);
}

/// The first le32-prefixed string in `seg` that starts with `{"prefix"`.
fn command_json(seg: &[u8]) -> Vec<u8> {
    let start = b"{\"prefix\"";
    let at = seg
        .windows(start.len())
        .position(|w| w == start)
        .unwrap_or_else(|| panic!("no command JSON"));
    let len = u32::from_le_bytes(seg[at - 4..at].try_into().unwrap()) as usize;
    seg[at..at + len].to_vec()
}

fn evil_json() -> String {
    format!("{{\"prefix\":\"{EVIL}\"}}")
}

/// A conforming handshake whose AUTH_REQUEST (auth none, mon mode) names
/// `client.<EVIL>`, then a mon_command, its ack and an osd_op whose strings
/// carry [`EVIL`] (real frames of none-crc.pcap with their strings swapped).
fn evil_capture() -> Vec<u8> {
    capture_with(EVIL.as_bytes(), evil_json().as_bytes())
}

/// [`evil_capture`]'s conversation with `oid` as the osd_op's object name
/// and `json` as the monitor command's text.
fn capture_with(oid: &[u8], json: &[u8]) -> Vec<u8> {
    let server = cephshark::decode::addr::EntityAddr::v2(std::net::Ipv4Addr::LOCALHOST, 3300, 0);
    // MonClient.cc get_auth_request: u8 AUTH_MODE_MON (10), EntityName, global_id.
    let mut payload = vec![10u8];
    EntityName::new(8, EVIL).encode(&mut payload);
    payload.extend_from_slice(&4242u64.to_le_bytes());
    let hello = |t: u8| {
        Control::Hello(Hello {
            entity_type: Sp::new(t),
            peer_addr: server.clone(),
        })
    };
    let c = |ctl: Control| Send {
        from_client: true,
        data: control_frame(&ctl),
    };
    let s = |ctl: Control| Send {
        from_client: false,
        data: control_frame(&ctl),
    };
    let mut sends = vec![
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
        c(hello(8)),
        s(hello(1)),
        c(Control::AuthRequest(AuthRequest {
            method: Sp::new(1),
            preferred_modes: vec![1].into(),
            auth_payload: payload.into(),
        })),
        s(Control::AuthDone(AuthDone {
            global_id: Sp::new(4242),
            con_mode: Sp::new(1),
            ..Default::default()
        })),
        s(Control::AuthSignature(AuthSignature::default())),
        c(Control::AuthSignature(AuthSignature::default())),
        c(Control::ClientIdent(ClientIdent {
            addrs: AddrVec::new(vec![server.clone()]),
            target_addr: server.clone(),
            gid: Sp::new(-1),
            ..Default::default()
        })),
        s(Control::ServerIdent(ServerIdent {
            addrs: AddrVec::new(vec![server]),
            ..Default::default()
        })),
    ];
    let ex = examples(&real());
    let msg = |ty: u16| {
        ex.get(&(Tag::Message.raw(), ty))
            .cloned()
            .unwrap_or_else(|| panic!("no message of type {ty}"))
    };
    // mon_command (50) and mon_command_ack (51): the command JSON.
    for (ty, from_client) in [(50, true), (51, false)] {
        let mut segs = msg(ty);
        let old = command_json(&segs[1]);
        replace_string(&mut segs[1], &old, json);
        sends.push(Send {
            from_client,
            data: frame(Tag::Message.raw(), &segs),
        });
    }
    // osd_op (42): the object name.
    let mut segs = msg(42);
    replace_string(&mut segs[1], b"obj1", oid);
    sends.push(Send {
        from_client: true,
        data: frame(Tag::Message.raw(), &segs),
    });
    connection(40000, 3300, &sends, 65000)
}

/// A file of the test's own, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let p =
            std::env::temp_dir().join(format!("cephshark-escape-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

fn evil_file(name: &str) -> TempFile {
    TempFile::new(&format!("{name}.pcap"), &evil_capture())
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn with_capture(cap: &TempFile, extra: &[&str]) -> (Output, String) {
    let mut args = vec!["-r", cap.path()];
    args.extend_from_slice(extra);
    let o = run(&args);
    let text = out(&o);
    (o, text)
}

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

/// Bytes that are not UTF-8: a lone 0xff, a cut two-byte sequence, a
/// stray continuation byte, NUL and a genuine U+10FF41 (the range the
/// model carries raw bytes in, so it must come back as its own 4 bytes).
const NOT_UTF8: &[u8] = b"ob\xffj\xc3.\x80\x00\xf4\x8f\xbd\x81z";

#[test]
fn bytes_that_are_not_utf8_are_kept_exactly_and_shown_escaped() {
    let mut json = b"{\"prefix\":\"".to_vec();
    json.extend_from_slice(NOT_UTF8);
    json.extend_from_slice(b"\"}");
    let cap = TempFile::new("not-utf8.pcap", &capture_with(NOT_UTF8, &json));
    // Text: every byte that is not text shown as \xNN, nothing raw, no U+FFFD.
    let shown = "ob\\xffj\\xc3.\\x80\\0\\xf4\\x8f\\xbd\\x81z";
    let (o, text) = with_capture(&cap, &["-V"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text.contains(&format!("Object: {shown}\n")), "{text}");
    // hobject_t as Ceph prints it (append_escaped: each byte as %xx).
    assert!(
        text.contains(":::ob%ffj%c3.%80%00%f4%8f%bd%81z:head"),
        "{text}"
    );
    assert!(!text.contains('\u{fffd}'), "{text}");
    for c in text.chars() {
        assert!(
            cephshark::model::wire_text::raw_byte(c).is_none(),
            "raw {c:?}"
        );
    }
    no_raw("-V", &text);
    // JSON: the exact bytes, as hex, beside the string.
    let (_, jsonl) = with_capture(&cap, &["-T", "jsonl"]);
    let want: String = NOT_UTF8.iter().map(|b| format!("{b:02x}")).collect();
    let mut raws = Vec::new();
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        collect_raw(&v, &mut raws);
    }
    assert!(
        raws.contains(&("ceph.osd_op.oid".to_string(), want.clone())),
        "{raws:?}"
    );
    let mut json_hex: String = b"{\"prefix\":\""
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json_hex.push_str(&want);
    json_hex.push_str("227d");
    assert!(
        raws.contains(&("ceph.mon_command.json".to_string(), json_hex)),
        "{raws:?}"
    );
    // Filters on the wire bytes: a byte string, and a byte regex.
    for f in [
        "ceph.osd_op.oid contains ff:6a:c3",
        // The filter string's own escapes first: `\\x` reaches the regex as `\x`.
        r#"ceph.osd_op.oid matches "(?-u:\\xf4\\x8f\\xbd\\x81)z$""#,
    ] {
        let (o, text) = with_capture(&cap, &["-Y", f]);
        assert_eq!(o.status.code(), Some(0), "{f}");
        assert_eq!(text.lines().count(), 1, "{f}: {text}");
        assert!(text.contains("osd_op("), "{f}: {text}");
    }
    let (_, none) = with_capture(&cap, &["-Y", "ceph.osd_op.oid contains ff:6a:c4"]);
    assert_eq!(none, "");
}

/// Every (field, value_raw) pair in a row's JSON.
fn collect_raw(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(o) => {
            if let (Some(f), Some(r)) = (o.get("field"), o.get("value_raw")) {
                out.push((
                    f.as_str().unwrap().to_string(),
                    r.as_str().unwrap().to_string(),
                ));
            }
            o.values().for_each(|c| collect_raw(c, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| collect_raw(c, out)),
        _ => {}
    }
}
