//! The display filter's bounds: nesting of `(` and `not` stops at
//! `MAX_NESTING` levels with an error pointing at the level too many, an
//! expression at the limit parses and evaluates, and chains of 100,000
//! terms parse, evaluate and drop in a small, fixed amount of stack.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::analysis::{dissect, record_tree, Config, Record};
use cephshark::filter::{Filter, MAX_NESTING};
use std::path::{Path, PathBuf};
use std::process::Command;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn rows() -> Vec<Record> {
    let bytes = std::fs::read(capture("none-crc.pcap")).unwrap();
    let mut out = Vec::new();
    dissect(&bytes[..], Config::default(), &mut |r| out.push(r)).unwrap();
    out
}

fn matching(f: &Filter, rows: &[Record]) -> Vec<u64> {
    rows.iter()
        .filter(|r| f.matches(r))
        .map(|r| r.number)
        .collect()
}

/// `levels` parentheses around `inner`.
fn parens(levels: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(levels), ")".repeat(levels))
}

const TOO_DEEP: &str =
    "The expression nests too deeply: at most 256 levels of \"(\" and \"not\" may be open.";

#[test]
fn the_limit_is_256() {
    assert_eq!(MAX_NESTING, 256);
}

#[test]
fn one_level_too_many_is_an_error_at_that_token() {
    // The 257th "(" is the 257th character.
    let expr = parens(MAX_NESTING + 1, "ceph.msg");
    let e = Filter::parse(&expr).unwrap_err();
    assert_eq!(e.column, 257);
    assert_eq!(e.message, TOO_DEEP);
    assert_eq!(
        e.render(&expr),
        format!("{TOO_DEEP}\n    {expr}\n    {}^", " ".repeat(256))
    );

    // "not " is four characters: the 257th starts at column 256 * 4 + 1.
    let expr = format!("{}ceph.msg", "not ".repeat(MAX_NESTING + 1));
    let e = Filter::parse(&expr).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (1025, TOO_DEEP));

    let expr = format!("{}ceph.msg", "!".repeat(MAX_NESTING + 1));
    let e = Filter::parse(&expr).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (257, TOO_DEEP));

    // Both kinds count together: 128 "(!" pairs fill the 256 levels, and
    // the next "(" at column 257 is one too many.
    let expr = format!("{}(ceph.msg){}", "(!".repeat(128), ")".repeat(128));
    let e = Filter::parse(&expr).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (257, TOO_DEEP));

    // Levels closed again are free: a long sequence of shallow groups parses.
    let flat = vec![parens(200, "ceph.msg"); 50].join(" and ");
    assert!(Filter::parse(&flat).is_ok());
}

#[test]
fn far_deeper_input_fails_the_same_way() {
    // The shapes that overflowed the stack before the limit existed.
    let expr = parens(100_000, "ceph.msg");
    assert_eq!(Filter::parse(&expr).unwrap_err().column, 257);
    let expr = format!("{}ceph.msg", "not ".repeat(100_000));
    assert_eq!(Filter::parse(&expr).unwrap_err().column, 1025);
}

#[test]
fn the_limit_itself_parses_and_evaluates() {
    let rows = rows();
    let plain = matching(&Filter::parse("ceph.msg.seq == 5").unwrap(), &rows);
    assert_eq!(plain.len(), 12);

    let deep = Filter::parse(&parens(MAX_NESTING, "ceph.msg.seq == 5")).unwrap();
    assert_eq!(matching(&deep, &rows), plain);

    // An odd number of "not"s negates, an even number does not.
    let even = format!("{}ceph.msg.seq == 5", "not ".repeat(MAX_NESTING));
    assert_eq!(matching(&Filter::parse(&even).unwrap(), &rows), plain);
    let odd = format!("{}ceph.msg.seq == 5", "!".repeat(MAX_NESTING - 1));
    let negated = matching(&Filter::parse(&odd).unwrap(), &rows);
    assert_eq!(negated.len(), rows.len() - plain.len());
    assert!(negated.iter().all(|n| !plain.contains(n)));

    // Mixed, with chains inside each level.
    let mixed = format!(
        "{}ceph.msg.seq == 5 or ceph.msg.seq == 5{}",
        "(!!tcp.stream >= 0 and ".repeat(MAX_NESTING / 3),
        ")".repeat(MAX_NESTING / 3)
    );
    assert_eq!(matching(&Filter::parse(&mixed).unwrap(), &rows), plain);
}

/// Parse, evaluate and drop a 100,000-term chain on a thread with a
/// 256 KiB stack: the stack needed does not grow with the chain.
#[test]
fn chains_of_100000_terms_need_no_deep_stack() {
    let rows = rows();
    let msg = rows
        .iter()
        .find(|r| record_tree(r).find("ceph.msg.seq").is_some())
        .unwrap()
        .clone();
    let banner = rows
        .iter()
        .find(|r| record_tree(r).find("ceph.msg").is_none())
        .unwrap()
        .clone();
    let seq = match record_tree(&msg).find("ceph.msg.seq").unwrap().value {
        cephshark::model::Value::Uint(v) => v,
        ref other => panic!("{other:?}"),
    };
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let all = vec!["ceph.msg"; 100_000].join(" and ");
            let f = Filter::parse(&all).unwrap();
            let got = (f.matches(&msg), f.matches(&banner));
            drop(f);

            // 99,999 terms that never hold, then the row's own seq.
            let mut any: Vec<String> = (0..99_999)
                .map(|i| format!("ceph.msg.seq == {}", 1_000_000 + i))
                .collect();
            any.push(format!("ceph.msg.seq == {seq}"));
            let any = any.join(" || ");
            let f = Filter::parse(&any).unwrap();
            let got_or = (f.matches(&msg), f.matches(&banner));
            (got, got_or)
        })
        .unwrap();
    let (and, or) = handle.join().unwrap();
    assert_eq!(and, (true, false));
    assert_eq!(or, (true, false));
}

#[cfg(feature = "tui")]
#[test]
fn the_filter_bar_reports_the_column() {
    let expr = parens(MAX_NESTING + 1, "ceph.msg");
    let got = cephshark::tui::filter_bar::compile(&expr).err();
    assert_eq!(got, Some((257, TOO_DEEP.to_string())));
}

/// `-Y` and `verify -Y` print the caret layout and exit 2.
#[test]
fn the_binary_exits_2() {
    let file = capture("none-crc.pcap");
    let file = file.to_str().unwrap();
    let expr = format!("{}ceph.msg", "!".repeat(MAX_NESTING + 1));
    let want = format!(
        "cephshark: {TOO_DEEP}\n    {expr}\n    {}^\n",
        " ".repeat(256)
    );
    for args in [
        vec!["-r", file, "-Y", &expr],
        vec!["verify", "-Y", &expr, file],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{:?}", &args[..2]);
        assert_eq!(String::from_utf8_lossy(&o.stderr), want);
        assert!(o.stdout.is_empty());
    }
    // A deep input that used to abort the process ends the same way.
    let expr = parens(7_200, "ceph.msg");
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", file, "-Y", &expr])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
