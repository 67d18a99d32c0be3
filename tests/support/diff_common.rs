//! Helpers of the `diff` tests: dissecting, comparing two captures, and
//! running the command.
#![allow(dead_code)]

use cephshark::analysis::diff::{Report, DEFAULT_HELD_BYTES};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::cli::diff::compare_captures;
use cephshark::msgr2::Tag;

pub fn rows(pcap: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(pcap, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

pub fn diff(a: &[u8], b: &[u8]) -> Report {
    compare_captures(a, b, &Config::default(), DEFAULT_HELD_BYTES).unwrap_or_else(|e| panic!("{e}"))
}

pub fn ends(r: &Record) -> (String, String) {
    (r.src.to_string(), r.dst.to_string())
}

/// A MESSAGE frame with a data segment (segment 3) of at least 64 bytes.
pub fn message_with_data(recs: &[Record]) -> &Record {
    recs.iter()
        .find(|r| {
            r.frame()
                .is_some_and(|f| f.tag() == Tag::Message && f.segment_lens()[3] >= 64)
        })
        .unwrap_or_else(|| panic!("no MESSAGE with data"))
}

/// A file in a directory of this test run.
pub fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-diff-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `a` with bit 5 of the 18th data byte of its first MESSAGE with data
/// flipped (in every packet carrying it), and that byte's stream offset.
pub fn flip_data_bit(a: &[u8]) -> (Vec<u8>, u64) {
    let recs = rows(a);
    let m = message_with_data(&recs);
    let at = m.frame().unwrap().segment_offsets[3] + 17;
    let mut pkts = super::capture_conv::read_all(a);
    let (src, dst) = ends(m);
    super::flip::Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 5);
    (super::flip::write(&pkts), at)
}
