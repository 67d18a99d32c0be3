//! A secure connection captured without its start: with the key file, the
//! nonce counter and the first frame are found by search, and every frame
//! after it decrypts as in the whole capture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use cephshark::analysis::{dissect, Config, KeyStatus, Record, RecordKind, Summary};
use cephshark::capture::parse_tcp;
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{Mode, ProblemKind};
use std::sync::Arc;
use support::capture_conv::read_all;
use support::flip::{capture, write};

fn run(bytes: &[u8], keys: &str) -> (Vec<Record>, Summary) {
    let cfg = Config {
        keys: Some(Arc::new(KeyLog::parse(keys).unwrap())),
        ..Config::default()
    };
    let mut rows = Vec::new();
    let s = dissect(bytes, cfg, &mut |r| rows.push(r)).unwrap();
    (rows, s)
}

/// The packets of the connection of client port `port`, without its
/// first `skip` packets (the TCP and msgr2 handshakes among them).
fn cut(port: u16, skip: usize) -> Vec<u8> {
    let pkts = read_all(&capture("cephx-secure.pcap"));
    let conn: Vec<_> = pkts
        .into_iter()
        .filter(|p| {
            parse_tcp(p.link, &p.data)
                .ok()
                .flatten()
                .is_some_and(|t| t.src.port() == port || t.dst.port() == port)
        })
        .collect();
    write(&conn[skip..])
}

#[test]
fn a_connection_joined_mid_stream_decrypts_from_its_first_whole_frame() {
    let keys = std::fs::read_to_string(support::conform::path("cephx-secure.keys")).unwrap();
    let (whole, _) = run(&capture("cephx-secure.pcap"), &keys);
    // Connection 11 (client port 53088 to osd.0): 13 frames each way.
    let full: Vec<&Record> = whole
        .iter()
        .filter(|r| r.conn.0 == 11 && r.frame().is_some())
        .collect();
    let (rows, s) = run(&cut(53088, 24), &keys);
    assert_eq!(rows.len(), 13);
    let frames: Vec<&Record> = rows.iter().filter(|r| r.frame().is_some()).collect();
    assert!(!frames.is_empty());
    assert!(frames
        .iter()
        .all(|r| r.frame().unwrap().mode == Mode::Secure && r.status() == "ok"));
    // Each frame found is the same frame the whole capture shows.
    for r in &frames {
        let twin = full
            .iter()
            .find(|w| w.dir == r.dir && w.frame().unwrap().data == r.frame().unwrap().data);
        assert!(twin.is_some(), "row {}: {}", r.number, r.info());
    }
    let joined = frames.len();
    let skipped: Vec<_> = rows
        .iter()
        .filter(|r| matches!(&r.kind, RecordKind::Undecoded(p) if p.kind == ProblemKind::MidStream))
        .collect();
    // Everything the capture holds is accounted for: frames, and at most
    // one mid-stream stretch per direction before the first whole frame.
    assert!(skipped.is_empty());
    assert_eq!(joined, 13);
    // The counters found: the client's 8th operation (its AUTH_SIGNATURE,
    // CLIENT_IDENT and 5 osd_ops before), the server's 6th.
    let c = s.conns.values().next().unwrap();
    let origins: Vec<String> = c
        .keys
        .iter()
        .map(|k| match k {
            KeyStatus::Opened(o) => o.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        origins,
        [
            "line 51 (mid-stream: nonce counter +7)",
            "line 50 (mid-stream: nonce counter +5)"
        ]
    );
}

#[test]
fn joined_inside_a_large_frame_the_next_whole_frame_is_found() {
    let keys = std::fs::read_to_string(support::conform::path("cephx-secure.keys")).unwrap();
    // Connection 27 (client port 53136): a 3 MB writefull; the capture
    // joins inside it. The client sends nothing after it: its bytes are
    // one mid-stream stretch; the server's reply is found and opens.
    // Its two key lines (81, 82) only: the client's direction is searched
    // in vain over the whole range.
    let lines: Vec<&str> = keys.lines().collect();
    let keys = format!("{}\n{}\n", lines[80], lines[81]);
    let (rows, s) = run(&cut(53136, 100), &keys);
    let tags: Vec<String> = rows.iter().map(Record::tag_name).collect();
    assert_eq!(tags, ["[MID-STREAM]", "MESSAGE"]);
    assert_eq!(rows[1].status(), "ok");
    assert!(rows[1].info().starts_with("2.1 secure segs=41+147+0+0 seq=1 type=43 tid=1 osd_op_reply(1 big [writefull 0~3000000]"), "{}", rows[1].info());
    let c = s.conns.values().next().unwrap();
    assert_eq!(
        c.keys[1],
        KeyStatus::Opened("line 2 (mid-stream: nonce counter +3)".into())
    );
    assert_eq!(c.keys[0], KeyStatus::NotNeeded);
}
