//! Each frame's payload is decoded once per row: making the rows decodes
//! every payload once, and no view built afterwards (field trees for -V,
//! JSON, display filters, statistics, the terminal UI's panes) decodes any
//! payload again.
//!
//! This file holds a single test: the decode counter is process-wide.

use cephshark::analysis::{dissect, record_tree, Config, Record};
use cephshark::decode::payload::DECODES;
use std::path::Path;
use std::sync::atomic::Ordering;

fn count() -> u64 {
    DECODES.load(Ordering::SeqCst)
}

#[test]
fn payloads_are_decoded_once_per_row_whatever_is_shown() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap");
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{e}"));
    let before = count();
    let mut rows: Vec<Record> = Vec::new();
    dissect(&bytes[..], Config::default(), &mut |r| rows.push(r)).unwrap_or_else(|e| panic!("{e}"));
    let frames = rows.iter().filter(|r| r.frame().is_some()).count() as u64;
    // The capture's 449 frames (verify's count), each decoded once.
    assert_eq!(frames, 449);
    assert_eq!(count() - before, frames);

    let after_rows = count();
    // -V and -T json: the tree of every row, twice.
    for _ in 0..2 {
        for r in &rows {
            let t = record_tree(r);
            assert!(!t.children.is_empty());
            let _ = cephshark::cli::tree::tree_json(r);
            let _ = cephshark::cli::record_json(r, rows[0].ts);
        }
    }
    // -Y: a filter over every row.
    let f = cephshark::filter::Filter::parse("ceph.msg.type == osd_op && !ceph.encoding")
        .unwrap_or_else(|e| panic!("{e}"));
    let matched = rows.iter().filter(|r| f.matches(r)).count();
    // none-crc.pcap carries 15 osd_op messages (tests/stats.rs, from the OSD's log).
    assert!(matched >= 15, "{matched}");
    // The content column, as every printer and the TUI's list show it.
    for r in &rows {
        assert_eq!(cephshark::cli::info(r), r.info());
        assert!(r.frame().is_none() || !r.info().is_empty());
    }
    assert_eq!(count(), after_rows, "a view decoded a payload again");
}
