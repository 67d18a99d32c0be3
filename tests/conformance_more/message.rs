//! The frame revision chosen from both banners, and ceph_msg_header2's
//! data_off, which Ceph passes on without judging it.

use super::support::conform::*;
use super::support::mutants::real_named;
use super::support::synth::Send;
use cephshark::analysis::RecordKind;
use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
use cephshark::msgr2::{banner, Rev, Tag};
use cephshark::tcp::ConnId;

/// none-crc conn 1 with the server's banner `supported` and every frame
/// sealed in revision `rev`.
fn sent_as(supported: u64, rev: Rev) -> Vec<(Send, Option<Tag>)> {
    let recs = real_named("none-crc.pcap");
    let frames: Vec<_> = recs
        .iter()
        .filter(|r| {
            r.conn == ConnId(1) && matches!(r.kind, RecordKind::Banner(_) | RecordKind::Frame(_))
        })
        .collect();
    let mut c = conversation("none-crc.pcap", 1);
    for (i, r) in frames.iter().enumerate() {
        let Some(f) = r.frame() else {
            if !c[i].0.from_client {
                c[i].0.data = banner::encode(supported, 0);
            }
            continue;
        };
        let segs = [0, 1, 2, 3].map(|k| f.segment(k).unwrap_or(&[]).to_vec());
        let spec = if f.tag() == Tag::Message {
            FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
        } else {
            FrameSpec::control(f.tag().raw(), &segs[0])
        };
        c[i].0.data = encode_crc(rev, &spec);
    }
    c
}

#[test]
fn the_revision_is_one_only_when_both_banners_support_it() {
    // A server without REVISION_1: msgr2.0 frames conform ...
    let rows = run(&sent_as(0, Rev::V0));
    assert_eq!(findings(&rows).len(), 0);
    assert!(rows.iter().all(|r| r.problems().is_empty()));
    let revs: Vec<Rev> = rows
        .iter()
        .filter_map(|r| r.frame().map(|f| f.rev))
        .collect();
    assert!(revs.len() > 10 && revs.iter().all(|&r| r == Rev::V0));
    // ... and msgr2.1 frames there are not read as msgr2.1: the first
    // frame's epilogue is taken from the bytes after its payload, and
    // verify fails.
    let m = sent_as(0, Rev::V1);
    let rows = run(&m);
    let first = rows.iter().find_map(|r| r.frame()).unwrap();
    assert_eq!(first.rev, Rev::V0);
    assert!(!rows.iter().all(|r| r.problems().is_empty()));
    assert_eq!(verify(&pcap(&m), "rev").0, 1);
    // Both banners with REVISION_1: msgr2.1.
    let rows = run(&sent_as(1, Rev::V1));
    assert_eq!(findings(&rows).len(), 0);
    assert!(rows
        .iter()
        .filter_map(|r| r.frame())
        .all(|f| f.rev == Rev::V1));
}

#[test]
fn data_off_is_not_judged() {
    // ProtocolV2 handle_message copies ceph_msg_header2.data_off into the
    // ceph_msg_header it hands to decode_message and nothing compares it
    // with the data segment: any value is accepted. A message with no data
    // segment and data_off 0xffff conforms, and verify passes.
    let c = conversation("none-crc.pcap", 1);
    let i = pos(&c, true, Tag::Message);
    let recs = real_named("none-crc.pcap");
    let r = recs
        .iter()
        .find(|r| r.conn == ConnId(1) && r.is_message())
        .unwrap();
    let f = r.frame().unwrap();
    assert_eq!(f.segment(3).unwrap_or(&[]).len(), 0);
    let mut h = f.segment(0).unwrap().to_vec();
    h[26..28].copy_from_slice(&0xffffu16.to_le_bytes());
    let spec = FrameSpec::message(&h, f.segment(1).unwrap_or(&[]), &[], &[]);
    let mut m = c.clone();
    m[i].0.data = encode_crc(f.rev, &spec);
    let rows = run(&m);
    let moved = rows.iter().find(|x| x.is_message()).unwrap();
    assert_eq!(moved.msg.unwrap().data_off, 0xffff);
    assert!(rows.iter().all(|r| r.problems().is_empty()));
    assert_eq!(verify(&pcap(&m), "data_off").0, 0);
}
