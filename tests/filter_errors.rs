//! The filter's answers through the binary and `-G`: a value that cannot
//! match its field is an error with a caret and exit code 2, `-G
//! filter-fields` lists the row fields and functions, and booleans print
//! as 1/0 with `-T fields`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::filter::Filter;
use std::path::{Path, PathBuf};

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// (expression, column of the caret, message start)
const TYPE_ERRORS: &[(&str, usize, &str)] = &[
    (
        "ceph.msg.tid == -1",
        17,
        "\"-1\" is out of range for ceph.msg.tid",
    ),
    (
        "ceph.msg.tid > 18446744073709551616",
        16,
        "\"18446744073709551616\" is out of range for ceph.msg.tid",
    ),
    ("ceph.msg.tid in {1 -3}", 20, "\"-3\" is out of range"),
    ("ceph.msg.tid in {1..-3}", 21, "\"-3\" is out of range"),
    (
        "msgr2.epilogue.aborted == yes",
        27,
        "\"yes\" is not a valid boolean",
    ),
    ("msgr2.crc.bad == 2", 18, "\"2\" is not a valid boolean"),
    (
        "frame.time > \"2026-13-01\"",
        14,
        "\"2026-13-01\" is not a valid time",
    ),
    (
        "ceph.msg.seq > tcp.src",
        16,
        "ceph.msg.seq (a uint value) cannot be compared with tcp.src",
    ),
    (
        "ceph.msg.tid[0:2] == 1",
        13,
        "ceph.msg.tid is a uint field: only byte and text fields",
    ),
    (
        "len(ceph.msg.tid) == 1",
        5,
        "len() does not apply to ceph.msg.tid",
    ),
    (
        "ceph.osd_op.oid[0:1,] == o",
        16,
        "\"[0:1,]\" is not a valid slice",
    ),
    (
        "ceph.osd_op.oid[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16] == o",
        16,
        "\"[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\" is not a valid slice",
    ),
    ("tcp.port in {1 2", 13, "Unmatched \"{\""),
    ("tcp.port in {}", 14, "The set is empty."),
    (
        "ceph.osd_op.oid in {a..b}",
        21,
        "Ranges need integers or times",
    ),
];

#[test]
fn values_that_cannot_match_are_errors_with_a_caret() {
    for (expr, col, msg) in TYPE_ERRORS {
        let e = Filter::parse(expr).unwrap_err();
        assert_eq!(e.column, *col, "{expr}: {}", e.message);
        assert!(e.message.starts_with(msg), "{expr}: {}", e.message);
    }
    let big: String = (0..=cephshark::filter::MAX_SET)
        .map(|i| format!("{i} "))
        .collect();
    let e = Filter::parse(&format!("tcp.port in {{{big}}}")).unwrap_err();
    assert!(e.message.contains("at most 1024"), "{}", e.message);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "-r",
            path("none-crc.pcap").to_str().unwrap(),
            "-Y",
            "ceph.msg.tid == -1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "cephshark: \"-1\" is out of range for ceph.msg.tid, an unsigned 64-bit field \
         (0 to 18446744073709551615).\n    ceph.msg.tid == -1\n                    ^\n"
    );
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// `-G filter-fields` lists the row fields and functions, each usable.
#[test]
fn glossary_lists_the_new_fields_and_functions() {
    let (code, out) = run(&["-G", "filter-fields"]);
    assert_eq!(code, Some(0));
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    let kind = |abbrev: &str| {
        lines
            .iter()
            .find(|l| l.get(2) == Some(&abbrev))
            .map(|l| (l[0], l[3]))
    };
    for (abbrev, k) in [
        ("ceph.entity", "string"),
        ("ceph.src.entity", "string"),
        ("ceph.dst.entity", "string"),
        ("ceph.entity.type", "string"),
        ("tcp.port", "uint"),
        ("tcp.srcport", "uint"),
        ("tcp.dstport", "uint"),
        ("ip.addr", "address"),
        ("ip.src", "address"),
        ("ip.dst", "address"),
        ("frame.time_relative", "time"),
        ("msgr2.crc.bad", "bool"),
    ] {
        assert_eq!(kind(abbrev), Some(("F", k)), "{abbrev}");
        Filter::parse(abbrev).unwrap();
    }
    for f in ["len", "lower", "upper"] {
        assert_eq!(kind(f).map(|k| k.0), Some("U"), "{f}");
    }
    assert_eq!(lines.len(), 5 + cephshark::filter::ROW_FIELDS.len() + 3);
}

/// Booleans print as 1/0 with `-T fields`, as tshark prints them.
#[test]
fn booleans_print_as_one_and_zero() {
    let mut b = std::fs::read(path("none-crc.pcap")).unwrap();
    b[300_000] ^= 0x01;
    let file = std::env::temp_dir().join(format!("cephshark-bool-{}.pcap", std::process::id()));
    std::fs::write(&file, &b).unwrap();
    let (code, out) = run(&[
        "-r",
        file.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "msgr2.crc.bad",
        "-e",
        "msgr2.epilogue.aborted",
        "-e",
        "ceph.src.entity",
        "-Y",
        "frame.number in {413..414}",
    ]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, Some(0));
    assert_eq!(out, "413\t1\t0\tclient.4130\n414\t\t0\tosd.0\n");
}
