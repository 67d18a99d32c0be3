//! Mutants of real payloads: examples of every control tag and message
//! type from a real capture, re-sealed by the project's encoder (crc or
//! secure mode) and sent in a synthetic connection, and what the
//! dissector says of them.
#![allow(dead_code)]

use super::synth::{connection, Send};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::model::{Group, Severity};
use cephshark::msgr2::banner;
use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use cephshark::msgr2::encoder::{encode_crc, encode_secure, FrameSpec};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{Rev, Tag};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub fn records(pcap: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(pcap, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

pub fn real() -> Vec<Record> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap");
    records(&std::fs::read(p).unwrap_or_else(|e| panic!("{e}")))
}

/// One real example of every control tag and message type in the capture:
/// the frame's segments.
pub fn examples(recs: &[Record]) -> BTreeMap<(u8, u16), [Vec<u8>; 4]> {
    let mut out = BTreeMap::new();
    for r in recs {
        let Some(f) = r.frame() else { continue };
        let ty = r.msg.map_or(0, |h| h.msg_type);
        let segs = [0, 1, 2, 3].map(|i| f.segment(i).unwrap_or(&[]).to_vec());
        out.entry((f.tag().raw(), ty)).or_insert(segs);
    }
    out
}

pub fn frame(tag: u8, segs: &[Vec<u8>; 4]) -> Vec<u8> {
    let spec = if tag == Tag::Message.raw() {
        FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
    } else {
        FrameSpec::control(tag, &segs[0])
    };
    encode_crc(Rev::V1, &spec)
}

/// A conversation: banners, the frame under test from the client, then a
/// good KEEPALIVE2 from the client. Returns the rows of the tested frame
/// and of the keepalive.
pub fn send(tag: u8, segs: &[Vec<u8>; 4]) -> (Record, Record) {
    let ka = encode_crc(
        Rev::V1,
        &FrameSpec::control(Tag::Keepalive2.raw(), &[1, 0, 0, 0, 2, 0, 0, 0]),
    );
    let sends = [
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: true,
            data: frame(tag, segs),
        },
        Send {
            from_client: true,
            data: ka,
        },
    ];
    let recs = records(&connection(40000, 3300, &sends, 1400));
    let frames: Vec<Record> = recs.into_iter().filter(|r| r.frame().is_some()).collect();
    assert_eq!(frames.len(), 2, "{frames:#?}");
    let mut it = frames.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        unreachable!()
    };
    (a, b)
}

pub fn encoding_errors(r: &Record) -> Vec<cephshark::model::Problem> {
    r.problems()
        .into_iter()
        .filter(|p| p.kind.group() == Group::Encoding && p.kind.severity() == Severity::Error)
        .collect()
}

/// Stream offset of byte `at` of segment `seg` of a frame sent right after
/// the client's banner (26 bytes) in msgr2.1 crc mode.
pub fn wire_offset(segs: &[Vec<u8>; 4], seg: usize, at: usize) -> u64 {
    // preamble 32 | seg0 | crc 4 | seg1 | seg2 | seg3 (msgr2.1, frames_v2.cc)
    let mut off = 26 + 32;
    for (i, s) in segs.iter().enumerate().take(seg) {
        off += s.len() + if i == 0 { 4 } else { 0 };
    }
    (off + at) as u64
}

const KEY: [u8; 16] = *b"0123456789abcdef";

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Banners, HELLOs, AUTH_REQUEST and AUTH_DONE(secure) in crc mode,
/// then the client's AUTH_SIGNATURE, the frame under test and a
/// KEEPALIVE2, sealed. Returns the rows of the tested frame and of
/// the keepalive.
pub fn send_secure(tag: u8, segs: &[Vec<u8>; 4]) -> (Record, Record) {
    let crc = |t: Tag, p: &[u8]| encode_crc(Rev::V1, &FrameSpec::control(t.raw(), p));
    let mut done = 4242u64.to_le_bytes().to_vec();
    done.extend_from_slice(&2u32.to_le_bytes()); // CEPH_CON_MODE_SECURE
    done.extend_from_slice(&0u32.to_le_bytes());
    let nonce = Nonce::from_parts(0x1111_2222, 7);
    let mut tx = GcmStream::new(&KEY, nonce, NonceFormat::Rev1);
    let mut sealed = encode_secure(
        &mut tx,
        Rev::V1,
        &FrameSpec::control(Tag::AuthSignature.raw(), &[7; 32]),
    );
    let spec = if tag == Tag::Message.raw() {
        FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
    } else {
        FrameSpec::control(tag, &segs[0])
    };
    sealed.extend(encode_secure(&mut tx, Rev::V1, &spec));
    sealed.extend(encode_secure(
        &mut tx,
        Rev::V1,
        &FrameSpec::control(Tag::Keepalive2.raw(), &[1, 0, 0, 0, 2, 0, 0, 0]),
    ));
    let c = |data: Vec<u8>| Send {
        from_client: true,
        data,
    };
    let s = |data: Vec<u8>| Send {
        from_client: false,
        data,
    };
    let sends = [
        c(banner::encode(1, 0)),
        s(banner::encode(1, 0)),
        c(crc(Tag::Hello, &[8, 1])),
        s(crc(Tag::Hello, &[1, 1])),
        c(crc(Tag::AuthRequest, &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        s(crc(Tag::AuthDone, &done)),
        c(sealed),
    ];
    let pcap = connection(40000, 3300, &sends, 1400);
    let keys = KeyLog::parse(&format!("{} {}\n", hex(&KEY), hex(&nonce.0)))
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = Config {
        keys: Some(Arc::new(keys)),
        ..Config::default()
    };
    let mut recs = Vec::new();
    dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    let secure: Vec<Record> = recs
        .into_iter()
        .filter(|r| r.frame().is_some_and(|f| f.decrypted))
        .collect();
    // AUTH_SIGNATURE, the frame, KEEPALIVE2.
    assert_eq!(secure.len(), 3, "{secure:#?}");
    let mut it = secure.into_iter().skip(1);
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        unreachable!()
    };
    (a, b)
}
