//! Display filters over the real captures: each expression's matching rows
//! equal the rows a predicate over the records' own struct fields selects
//! (computed here, independently of the filter engine), and bad
//! expressions fail with the right column.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::analysis::{dissect, Config, Record, RecordKind};
use cephshark::decode::MsgType;
use cephshark::filter::Filter;
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{CheckKind, CheckStatus, Mode, ProblemKind, Tag};
use cephshark::tcp::{ConnId, Direction};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

fn path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn rows_of(bytes: &[u8], keys: Option<&str>) -> Vec<Record> {
    let mut cfg = Config::default();
    if let Some(k) = keys {
        let text = std::fs::read_to_string(path(k)).unwrap();
        cfg = Config {
            keys: Some(Arc::new(KeyLog::parse(&text).unwrap())),
            ..cfg
        };
    }
    let mut out = Vec::new();
    dissect(bytes, cfg, &mut |r| out.push(r)).unwrap();
    out
}

fn load(name: &str, keys: Option<&str>) -> Vec<Record> {
    rows_of(&std::fs::read(path(name)).unwrap(), keys)
}

/// none-crc.pcap with one bit flipped inside the 3 MB object's data.
fn corrupted() -> Vec<Record> {
    let mut b = std::fs::read(path("none-crc.pcap")).unwrap();
    b[300_000] ^= 0x01;
    rows_of(&b, None)
}

fn by_filter(expr: &str, rows: &[Record]) -> Vec<u64> {
    let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {}", e.render(expr)));
    rows.iter()
        .filter(|r| f.matches(r))
        .map(|r| r.number)
        .collect()
}

fn by_pred(rows: &[Record], p: &dyn Fn(&Record) -> bool) -> Vec<u64> {
    rows.iter().filter(|r| p(r)).map(|r| r.number).collect()
}

fn ty(r: &Record) -> Option<u16> {
    r.msg.map(|h| h.msg_type)
}
fn tid(r: &Record) -> Option<u64> {
    r.msg.map(|h| h.tid)
}
fn seq(r: &Record) -> Option<u64> {
    r.msg.map(|h| h.seq)
}
fn tag(r: &Record) -> Option<Tag> {
    r.frame().map(|f| f.tag())
}
fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}
fn any_check(r: &Record, kind: fn(CheckKind) -> bool, st: CheckStatus) -> bool {
    r.frame()
        .is_some_and(|f| f.checks.iter().any(|c| kind(c.kind) && c.status == st))
}
fn seg_kind(k: CheckKind) -> bool {
    matches!(k, CheckKind::Segment(_))
}
fn any_segment(r: &Record, p: &dyn Fn(&[u8]) -> bool) -> bool {
    r.frame()
        .is_some_and(|f| (0..f.preamble.nseg()).any(|i| f.segment(i).is_some_and(p)))
}
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

type Pred = Box<dyn Fn(&Record) -> bool>;

/// (capture, expression, expected rows as a predicate, minimum number of
/// matches so that a test selecting nothing cannot pass by accident).
fn table(mid_ts: String) -> Vec<(usize, String, Pred, usize)> {
    const NONE: usize = 0;
    const CEPHX: usize = 1;
    const SECURE: usize = 2;
    const NOKEY: usize = 3;
    const BAD: usize = 4;
    let mut t: Vec<(usize, String, Pred, usize)> = Vec::new();
    let mut add = |c: usize, e: &str, p: Pred, min: usize| t.push((c, e.to_string(), p, min));
    add(
        NONE,
        "ceph.msg.type == osd_op",
        Box::new(|r| ty(r) == Some(42)),
        15,
    );
    add(
        NONE,
        "ceph.msg.type == 42",
        Box::new(|r| ty(r) == Some(42)),
        15,
    );
    add(
        CEPHX,
        "ceph.msg.type eq OSD_OP",
        Box::new(|r| ty(r) == Some(42)),
        14,
    );
    add(
        SECURE,
        "ceph.msg.type == osd_op_reply",
        Box::new(|r| ty(r) == Some(43)),
        15,
    );
    add(
        NONE,
        "msgr2.tag == MESSAGE",
        Box::new(|r| tag(r) == Some(Tag::Message)),
        193,
    );
    add(
        SECURE,
        "msgr2.tag == message",
        Box::new(|r| tag(r) == Some(Tag::Message)),
        200,
    );
    add(
        NONE,
        "msgr2.tag == 1",
        Box::new(|r| tag(r) == Some(Tag::Hello)),
        64,
    );
    add(
        NONE,
        "msgr2.tag != MESSAGE",
        Box::new(|r| tag(r).is_some_and(|t| t != Tag::Message)),
        256,
    );
    add(
        NONE,
        "!(msgr2.tag == MESSAGE)",
        Box::new(|r| tag(r) != Some(Tag::Message)),
        320,
    );
    add(
        CEPHX,
        "not msgr2.tag == MESSAGE and not msgr2.banner",
        Box::new(|r| tag(r).is_some_and(|t| t != Tag::Message)),
        300,
    );
    add(NONE, "ceph.msg", Box::new(|r| r.msg.is_some()), 193);
    add(
        CEPHX,
        "msgr2.banner",
        Box::new(|r| matches!(r.kind, RecordKind::Banner(_))),
        59,
    );
    add(
        NONE,
        "msgr2.banner.supported == 1",
        Box::new(|r| matches!(&r.kind, RecordKind::Banner(b) if b.supported == 1)),
        64,
    );
    add(
        NONE,
        "ceph.msg.tid > 5 and ceph.msg.type == osd_op",
        Box::new(|r| ty(r) == Some(42) && tid(r) > Some(5)),
        3,
    );
    add(
        NONE,
        "ceph.msg.tid >= 5 && ceph.msg.tid <= 7",
        Box::new(|r| tid(r).is_some_and(|t| (5..=7).contains(&t))),
        6,
    );
    add(
        CEPHX,
        "ceph.msg.seq lt 3",
        Box::new(|r| seq(r).is_some_and(|s| s < 3)),
        108,
    );
    add(
        SECURE,
        "ceph.msg.seq ge 0x5",
        Box::new(|r| seq(r).is_some_and(|s| s >= 5)),
        21,
    );
    add(
        NONE,
        "tcp.stream == 10",
        Box::new(|r| r.conn == ConnId(10)),
        26,
    );
    add(
        SECURE,
        "tcp.stream > 30 || tcp.stream == 3",
        Box::new(|r| r.conn.0 > 30 || r.conn.0 == 3),
        70,
    );
    add(
        NONE,
        "tcp.src == 127.0.0.1:43500",
        Box::new(|r| r.src == addr("127.0.0.1:43500")),
        215,
    );
    add(
        CEPHX,
        "tcp.dst == 127.0.0.1",
        Box::new(|r| r.dst.ip().to_string() == "127.0.0.1"),
        538,
    );
    add(
        CEPHX,
        "tcp.dst == 127.0.0.2 or tcp.src == [::1]:3300",
        Box::new(|_| false),
        0,
    );
    add(
        NONE,
        "tcp.dir == c2s",
        Box::new(|r| r.dir == Direction::ClientToServer),
        // Connection 0 was captured mid-stream; its mon_map/config frames
        // come from the monitor, so they are s2c.
        243,
    );
    add(
        SECURE,
        "tcp.dir == \"s2c\" and msgr2.tag == AUTH_DONE",
        Box::new(|r| r.dir == Direction::ServerToClient && tag(r) == Some(Tag::AuthDone)),
        34,
    );
    add(NONE, "frame.number <= 10", Box::new(|r| r.number <= 10), 10);
    add(
        NONE,
        "frame.packet == 100",
        Box::new(|r| r.packets.iter().any(|p| p.0 == 100)),
        2,
    );
    add(
        NONE,
        "frame.packet != 100",
        Box::new(|r| !r.packets.iter().any(|p| p.0 == 100)),
        511,
    );
    add(
        CEPHX,
        "frame.packet > 1000",
        Box::new(|r| r.packets.iter().any(|p| p.0 > 1000)),
        40,
    );
    add(
        NONE,
        "msgr2.segment.crc.status == \"good\"",
        Box::new(|r| any_check(r, seg_kind, CheckStatus::Good)),
        449,
    );
    add(
        SECURE,
        "msgr2.preamble.crc.status == good",
        Box::new(|r| any_check(r, |k| k == CheckKind::Preamble, CheckStatus::Good)),
        540,
    );
    add(
        NONE,
        "msgr2.preamble.num_segments == 4",
        Box::new(|r| r.frame().is_some_and(|f| f.preamble.num_segments == 4)),
        24,
    );
    add(
        NONE,
        "msgr2.preamble.segment.len > 10000",
        Box::new(|r| r.segment_lens().iter().any(|l| *l > 10000)),
        5,
    );
    add(
        NONE,
        "msgr2.segment.data contains 63:65:70:68",
        Box::new(|r| any_segment(r, &|s| contains(s, b"ceph"))),
        1,
    );
    add(
        SECURE,
        "msgr2.segment.data contains \"Network services\"",
        Box::new(|r| any_segment(r, &|s| contains(s, b"Network services"))),
        1,
    );
    add(
        SECURE,
        "msgr2.mode == secure",
        Box::new(|r| r.frame().is_some_and(|f| f.mode == Mode::Secure)),
        336,
    );
    add(
        SECURE,
        "msgr2.secure",
        Box::new(|r| r.frame().is_some_and(|f| f.mode == Mode::Secure)),
        336,
    );
    add(
        SECURE,
        "msgr2 && !msgr2.secure",
        Box::new(|r| r.frame().is_some_and(|f| f.mode == Mode::Crc)),
        204,
    );
    add(NONE, "msgr2.error", Box::new(|r| r.is_faulty()), 0);
    add(NOKEY, "msgr2.error", Box::new(|r| r.is_faulty()), 68);
    add(
        NOKEY,
        "msgr2.problem == \"encrypted_no_key\"",
        Box::new(|r| r.problems().iter().any(|p| p.kind == ProblemKind::NoKey)),
        68,
    );
    add(
        NOKEY,
        "frame.kind == undecoded && tcp.dir == s2c",
        Box::new(|r| {
            matches!(r.kind, RecordKind::Undecoded(_)) && r.dir == Direction::ServerToClient
        }),
        34,
    );
    add(
        BAD,
        "msgr2.crc.bad",
        Box::new(|r| any_check(r, |_| true, CheckStatus::Bad)),
        1,
    );
    add(
        BAD,
        "msgr2.error and ceph.msg.type == osd_op",
        Box::new(|r| r.is_faulty() && ty(r) == Some(42)),
        1,
    );
    add(
        BAD,
        "frame.status ~ \"CRC\"",
        Box::new(|r| r.status().contains("crc")),
        1,
    );
    add(
        BAD,
        "frame.status matches \"^ok$\"",
        Box::new(|r| r.status() == "ok"),
        512,
    );
    add(
        NONE,
        "msgr2.aborted",
        Box::new(|r| r.frame().is_some_and(|f| f.aborted())),
        0,
    );
    add(
        NONE,
        "tcp.src matches \":4350[01]$\"",
        Box::new(|r| [43500, 43501].contains(&r.src.port())),
        270,
    );
    add(
        CEPHX,
        "msgr2.rev == \"2.1\"",
        Box::new(|r| r.frame().is_some()),
        479,
    );
    add(
        NONE,
        "msgr2.wire_len > 1000 && msgr2.tag == MESSAGE",
        Box::new(|r| r.is_message() && r.frame().is_some_and(|f| f.wire_len > 1000)),
        14,
    );
    add(
        NONE,
        "msgr2.epilogue.late_status == 0x0e",
        Box::new(|r| {
            r.frame()
                .is_some_and(|f| f.late.is_some_and(|l| l.value == 0x0e))
        }),
        169,
    );
    add(
        NONE,
        "msgr2.offset == 0",
        Box::new(|r| r.frame().is_some_and(|f| f.offset == 0)),
        1,
    );
    add(
        NONE,
        "(ceph.msg.type == osd_op || ceph.msg.type == osd_op_reply) && tcp.stream == 10",
        Box::new(|r| matches!(ty(r), Some(42 | 43)) && r.conn == ConnId(10)),
        16,
    );
    add(
        NONE,
        "ceph.msg.type == watch-notify",
        Box::new(|r| ty(r) == Some(44)),
        0,
    );
    add(
        NONE,
        "ceph.msg.type == MGR_MAP or ceph.msg.type == mon_map",
        Box::new(|r| matches!(ty(r), Some(0x704 | 4))),
        59,
    );
    let mid = mid_ts.clone();
    let (s, n) = mid
        .split_once('.')
        .map(|(a, b)| (a.parse::<i64>().unwrap(), b.parse::<u32>().unwrap()))
        .unwrap();
    add(
        CEPHX,
        &format!("frame.time >= {mid_ts}"),
        Box::new(move |r| (r.ts.secs, r.ts.nanos) >= (s, n)),
        270,
    );
    t
}

#[test]
fn filters_select_the_rows_their_predicates_select() {
    let caps = [
        load("none-crc.pcap", None),
        load("cephx-crc.pcap", None),
        load("cephx-secure.pcap", Some("cephx-secure.keys")),
        load("cephx-secure.pcap", None),
        corrupted(),
    ];
    let mid = &caps[1][caps[1].len() / 2];
    let mid_ts = format!("{}.{:09}", mid.ts.secs, mid.ts.nanos);
    let table = table(mid_ts);
    assert!(table.len() >= 40, "{} expressions", table.len());
    for (cap, expr, pred, min) in &table {
        let rows = &caps[*cap];
        let want = by_pred(rows, pred.as_ref());
        let got = by_filter(expr, rows);
        assert_eq!(got, want, "capture {cap}: {expr}");
        assert!(
            want.len() >= *min,
            "capture {cap}: {expr}: only {} rows match",
            want.len()
        );
    }
}

/// Counts and first/last rows written out, for a few expressions.
#[test]
fn known_counts_and_positions() {
    let none = load("none-crc.pcap", None);
    let osd_ops = by_filter("ceph.msg.type == osd_op", &none);
    assert_eq!(osd_ops.len(), 15, "one osd_op per op the clients logged");
    assert_eq!(osd_ops.first(), Some(&33));
    let replies = by_filter("ceph.msg.type == osd_op_reply", &none);
    assert_eq!(replies.len(), 15);
    assert_eq!(by_filter("msgr2.tag == HELLO", &none).len(), 64);
    assert_eq!(
        by_filter("frame.number >= 1 and frame.number < 4", &none),
        vec![1, 2, 3]
    );
    let bad = corrupted();
    let crc = by_filter("msgr2.crc.bad", &bad);
    assert_eq!(crc.len(), 1, "one flipped bit, one bad CRC");
    assert_eq!(by_filter("msgr2.problem == segment_crc_bad", &bad), crc);
}

#[test]
fn fields_lists_the_names_used() {
    let f = Filter::parse(
        "ceph.msg.type == osd_op and (tcp.stream == 1 or ceph.msg.type == 43) and msgr2.error",
    )
    .unwrap();
    assert_eq!(f.fields(), ["ceph.msg.type", "tcp.stream", "msgr2.error"]);
}

#[test]
fn errors_carry_their_column() {
    let cases: &[(&str, usize, &str)] = &[
        ("ceph.nope == 1", 1, "neither a field"),
        ("msgr2.tag == MESSAGE && ceph.nope", 25, "neither a field"),
        ("(msgr2.tag == MESSAGE", 1, "Unmatched \"(\""),
        ("((ceph.msg) or msgr2", 1, "Unmatched \"(\""),
        ("msgr2.tag == MESSAGE)", 21, "Unmatched \")\""),
        ("ceph.msg.seq == abc", 17, "not a valid integer"),
        ("ceph.msg.type == nonsense", 18, "not a valid value"),
        ("tcp.src == 1.2.3", 12, "not a valid address"),
        ("msgr2.segment.data == 0g", 23, "not a valid byte string"),
        ("msgr2.epilogue.aborted == maybe", 27, "not a valid boolean"),
        (
            "frame.status matches \"(\"",
            22,
            "Invalid regular expression",
        ),
        ("ceph.msg.seq contains 1", 14, "cannot be used"),
        ("ceph.msg == 1", 10, "no value"),
        ("ceph.msg.seq ==", 16, "Missing value"),
        ("ceph.msg and", 13, "Missing operand"),
        ("not", 4, "Missing operand"),
        ("and ceph.msg", 1, "unexpected"),
        ("ceph.msg.seq == 1 foo", 19, "unexpected"),
        ("ceph.msg.seq == == 1", 17, "Expected a value"),
        ("tcp.dir = c2s", 9, "unexpected"),
        ("frame.status == \"open", 17, "no closing quote"),
        ("", 1, "empty"),
        ("()", 2, "unexpected"),
    ];
    for (expr, col, msg) in cases {
        let e = Filter::parse(expr)
            .err()
            .unwrap_or_else(|| panic!("{expr} parsed"));
        assert_eq!(e.column, *col, "{expr}: {}", e.message);
        assert!(e.message.contains(msg), "{expr}: {}", e.message);
    }
    let e = Filter::parse("ceph.msg.seq == abc").unwrap_err();
    assert_eq!(
        e.render("ceph.msg.seq == abc"),
        "\"abc\" is not a valid integer for ceph.msg.seq.\n    ceph.msg.seq == abc\n                    ^"
    );
}

/// The binary prints tshark's caret layout and exits 2.
#[test]
fn binary_reports_filter_errors() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "-r",
            path("none-crc.pcap").to_str().unwrap(),
            "-Y",
            "tcp.stream == 1 &&",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err, "cephshark: Missing operand after \"&&\".\n    tcp.stream == 1 &&\n                      ^\n");
    let _ = MsgType(42);
}
