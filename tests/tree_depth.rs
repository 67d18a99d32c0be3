//! Field trees have a bounded depth: the builder refuses more than
//! `model::tree::MAX_NESTING` levels of subtrees, and the trees of every
//! row of the bundled captures stay far below it. The recursive walks
//! over trees (`-V`, JSON, the filter, the TUI) rely on this bound.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::analysis::{dissect, record_tree, Config};
use cephshark::model::tree::MAX_NESTING;
use cephshark::msgr2::keys::KeyLog;
use std::path::Path;
use std::sync::Arc;

fn deepest(name: &str, keys: Option<&str>) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut cfg = Config::default();
    if let Some(k) = keys {
        let text = std::fs::read_to_string(dir.join(k)).unwrap();
        cfg.keys = Some(Arc::new(KeyLog::parse(&text).unwrap()));
    }
    let bytes = std::fs::read(dir.join(name)).unwrap();
    let (mut rows, mut max) = (0, 0);
    dissect(&bytes[..], cfg, &mut |r| {
        rows += 1;
        max = max.max(record_tree(&r).depth());
    })
    .unwrap();
    (rows, max)
}

#[test]
fn trees_of_real_captures_are_shallow() {
    let got = [
        deepest("none-crc.pcap", None),
        deepest("cephx-crc.pcap", None),
        deepest("cephx-secure.pcap", Some("cephx-secure.keys")),
        deepest("keylog-rados.pcap", Some("keylog-rados.keys")),
    ];
    // Rows of each capture, and the deepest tree among them (the record's
    // root, the frame, a segment, a message body and its structures).
    assert_eq!(got, [(513, 10), (538, 10), (608, 10), (291, 10)]);
    assert!(got.iter().all(|(_, d)| *d < MAX_NESTING));
}
