//! Comparing a `--keyring` run with the key file's, connection by
//! connection: the rows, the key origins, the messages.
#![allow(dead_code)]

use cephshark::analysis::{KeyStatus, Record, RecordKind, Summary};
use cephshark::msgr2::Mode;
use cephshark::tcp::Direction;

/// The rows of connection `conn`.
pub fn conn_rows(rows: &[Record], conn: u32) -> Vec<&Record> {
    rows.iter().filter(|r| r.conn.0 == conn).collect()
}

/// The rows of `conn` equal the key file's, frame for frame, and every
/// frame decrypted; returns how many were secure.
pub fn same_as_key_file(by_ring: &[Record], by_keys: &[Record], conn: u32) -> usize {
    let a = conn_rows(by_ring, conn);
    let b = conn_rows(by_keys, conn);
    assert_eq!(a.len(), b.len(), "conn {conn}");
    let mut secure = 0;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.dir, x.tag_name()),
            (y.dir, y.tag_name()),
            "row {}",
            x.number
        );
        assert_eq!(x.status(), "ok", "row {}", x.number);
        assert_eq!(x.info(), y.info(), "row {}", x.number);
        match (&x.kind, &y.kind) {
            (RecordKind::Frame(f), RecordKind::Frame(g)) => {
                assert_eq!(f.data, g.data, "row {}", x.number);
                if f.mode == Mode::Secure {
                    assert!(f.decrypted, "row {}", x.number);
                    secure += 1;
                }
            }
            (RecordKind::Banner(_), RecordKind::Banner(_)) => {}
            _ => panic!("row {}: {} vs {}", x.number, x.tag_name(), y.tag_name()),
        }
    }
    secure
}

pub fn origins(s: &Summary, conn: u32) -> Vec<String> {
    s.conns
        .values()
        .filter(|c| c.conn.0 == conn)
        .flat_map(|c| c.keys.iter())
        .map(|k| match k {
            KeyStatus::Opened(o) => o.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// (seq, type, front, middle, data) of the MESSAGE rows of `conn` in `dir`.
pub fn messages(rows: &[Record], conn: u32, dir: Direction) -> Vec<(u64, u16, [u32; 3])> {
    conn_rows(rows, conn)
        .into_iter()
        .filter(|r| r.dir == dir && r.is_message())
        .map(|r| {
            let h = r.msg.unwrap();
            let l = r.segment_lens();
            (h.seq, h.msg_type, [l[1], l[2], l[3]])
        })
        .collect()
}

/// The rows and summary of captures/`pcap` dissected with a key file's
/// text and a keyring's text, either or both.
pub fn run_with(pcap: &str, keys: Option<&str>, keyring: Option<&str>) -> (Vec<Record>, Summary) {
    use std::sync::Arc;
    let cfg = cephshark::analysis::Config {
        keys: keys.map(|k| Arc::new(cephshark::msgr2::keys::KeyLog::parse(k).unwrap())),
        keyring: keyring.map(|k| Arc::new(cephshark::cephx::Keyring::parse(k).unwrap())),
        ..Default::default()
    };
    let bytes = std::fs::read(super::conform::path(pcap)).unwrap();
    let mut rows = Vec::new();
    let s = cephshark::analysis::dissect(&bytes[..], cfg, &mut |r| rows.push(r)).unwrap();
    (rows, s)
}
