//! The decrypted cephx nodes (`ceph.cephx.dec.*`) a row carries with
//! `--keyring`, and the lab-v1 write op the msgr1 tests damage.
#![allow(dead_code)]

use cephshark::analysis::Record;
use cephshark::model::{FieldNode, Value};

/// Every node under `n`, `n` first.
pub fn walk<'a>(n: &'a FieldNode, out: &mut Vec<&'a FieldNode>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

/// Values of the decrypted field `abbrev` of a row.
pub fn leaf(r: &Record, abbrev: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for n in r.cephx.as_deref().map_or(&[][..], |v| &v[..]) {
        walk(n, &mut all);
    }
    all.into_iter()
        .filter(|n| n.def.abbrev == abbrev)
        .map(|n| n.value.clone())
        .collect()
}

/// lab-v1.pcap's osd_op writing the 4492-byte object: its row and item.
pub fn v1_write_op(recs: &[Record]) -> (&Record, &cephshark::msgr1::Item) {
    recs.iter()
        .find_map(|r| {
            let it = r.msgr1()?;
            let m = it.msg()?;
            (m.header.msg_type == 42 && m.header.data_len == 4492).then_some((r, it))
        })
        .unwrap_or_else(|| panic!("no osd_op writing 4492 bytes"))
}
