//! A compressing connection for the compression tests: banners offering
//! CEPH_MSGR2_FEATURE_COMPRESSION, the handshake, COMPRESSION_REQUEST /
//! COMPRESSION_DONE, the real idents of none-crc.pcap's connection 2, then
//! frames whose segments the encoder compressed, in crc or secure mode,
//! written as a pcap.
#![allow(dead_code)]

use super::synth::{connection, Send};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::decode::control::Control;
use cephshark::decode::control_enc::*;
use cephshark::decode::grammar::Sp;
use cephshark::msgr2::compress::Method;
use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use cephshark::msgr2::encoder::{encode_crc, encode_secure, FrameSpec};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{banner, Rev, Tag};
use cephshark::tcp::ConnId;
use std::sync::Arc;

pub const KEY: [u8; 16] = *b"onwire-compress!";
/// msgr.h: CEPH_MSGR2_FEATURE_REVISION_1 | CEPH_MSGR2_FEATURE_COMPRESSION.
pub const FEATURES: u64 = 1 | 2;

pub fn nonce(client: bool) -> Nonce {
    if client {
        Nonce::from_parts(0x0a0b_0c0d, 41)
    } else {
        Nonce::from_parts(0x1a1b_1c1d, 97)
    }
}

/// The real exchange of none-crc.pcap's connection 2: CLIENT_IDENT,
/// SERVER_IDENT, the osd_op's and the osd_op_reply's segments (header,
/// front, middle, data).
pub fn real() -> [[Vec<u8>; 4]; 4] {
    let recs = super::mutants::real();
    let segs =
        |r: &Record| [0, 1, 2, 3].map(|i| r.frame().unwrap().segment(i).unwrap_or(&[]).to_vec());
    let of = |p: &dyn Fn(&Record) -> bool| {
        segs(recs.iter().find(|r| r.conn == ConnId(2) && p(r)).unwrap())
    };
    [
        of(&|r| r.frame().is_some_and(|f| f.tag() == Tag::ClientIdent)),
        of(&|r| r.frame().is_some_and(|f| f.tag() == Tag::ServerIdent)),
        of(&|r| r.msg.is_some_and(|h| h.msg_type == 42)),
        of(&|r| r.msg.is_some_and(|h| h.msg_type == 43)),
    ]
}

pub fn message(s: &[Vec<u8>; 4]) -> FrameSpec {
    FrameSpec::message(&s[0], &s[1], &s[2], &s[3])
}

/// A connection: banners offering compression, HELLOs, AUTH_REQUEST,
/// AUTH_DONE (crc or secure mode), the AUTH_SIGNATUREs, then (when
/// `done` is given) COMPRESSION_REQUEST and COMPRESSION_DONE {is_compress,
/// method}, the real idents, and `frames` (from the client when true).
/// Returns the rows.
pub fn converse(
    secure: bool,
    done: Option<(bool, u32)>,
    frames: &[(bool, FrameSpec)],
) -> Vec<Record> {
    let (pcap, cfg) = capture(secure, done, frames, Config::default());
    let mut recs = Vec::new();
    dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap();
    recs
}

pub fn capture(
    secure: bool,
    done: Option<(bool, u32)>,
    frames: &[(bool, FrameSpec)],
    cfg: Config,
) -> (Vec<u8>, Config) {
    capture_mss(secure, done, frames, cfg, 1400)
}

/// [`capture`] in packets of at most `mss` bytes of payload.
pub fn capture_mss(
    secure: bool,
    done: Option<(bool, u32)>,
    frames: &[(bool, FrameSpec)],
    mut cfg: Config,
    mss: usize,
) -> (Vec<u8>, Config) {
    let [ci, si, _, _] = real();
    let gid = match Control::decode(Tag::ClientIdent, &ci[0]) {
        Some(Control::ClientIdent(c)) => c.gid.v,
        _ => panic!("CLIENT_IDENT"),
    };
    let server = cephshark::decode::addr::EntityAddr::v2(std::net::Ipv4Addr::LOCALHOST, 6800, 0);
    let mode = if secure { 2 } else { 1 }; // CEPH_CON_MODE_SECURE / _CRC
    let ctl = |c: &Control| FrameSpec::control(c.tag().raw(), &c.encode());
    let crc = |spec: &FrameSpec| encode_crc(Rev::V1, spec);
    let hello = |t: u8| {
        Control::Hello(Hello {
            entity_type: Sp::new(t),
            peer_addr: server.clone(),
        })
    };
    let mut sends = vec![
        (true, banner::encode(FEATURES, 0)),
        (false, banner::encode(FEATURES, 0)),
        (true, crc(&ctl(&hello(8)))),  // CEPH_ENTITY_TYPE_CLIENT
        (false, crc(&ctl(&hello(4)))), // CEPH_ENTITY_TYPE_OSD
        (
            true,
            crc(&ctl(&Control::AuthRequest(AuthRequest {
                method: Sp::new(1),
                preferred_modes: vec![mode].into(),
                ..Default::default()
            }))),
        ),
        (
            false,
            crc(&ctl(&Control::AuthDone(AuthDone {
                global_id: Sp::new(u64::try_from(gid).unwrap()),
                con_mode: Sp::new(mode),
                ..Default::default()
            }))),
        ),
    ];
    // From here on, each side's frames in the connection's mode.
    let mut later = vec![
        (
            false,
            ctl(&Control::AuthSignature(AuthSignature::default())),
        ),
        (true, ctl(&Control::AuthSignature(AuthSignature::default()))),
    ];
    if let Some((on, method)) = done {
        let mut req = vec![1u8, 1, 0, 0, 0];
        req.extend_from_slice(&method.to_le_bytes());
        later.push((
            true,
            FrameSpec::control(Tag::CompressionRequest.raw(), &req),
        ));
        let mut d = vec![u8::from(on)];
        d.extend_from_slice(&method.to_le_bytes());
        later.push((false, FrameSpec::control(Tag::CompressionDone.raw(), &d)));
    }
    later.push((true, FrameSpec::control(Tag::ClientIdent.raw(), &ci[0])));
    later.push((false, FrameSpec::control(Tag::ServerIdent.raw(), &si[0])));
    later.extend(frames.iter().cloned());
    let mut tx = [true, false].map(|c| GcmStream::new(&KEY, nonce(c), NonceFormat::Rev1));
    for (from_client, spec) in later {
        let data = if secure {
            encode_secure(&mut tx[usize::from(!from_client)], Rev::V1, &spec)
        } else {
            crc(&spec)
        };
        sends.push((from_client, data));
    }
    let sends: Vec<Send> = sends
        .into_iter()
        .map(|(from_client, data)| Send { from_client, data })
        .collect();
    if secure {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let text = format!(
            "{} {}\n{} {}\n",
            hex(&KEY),
            hex(&nonce(true).0),
            hex(&KEY),
            hex(&nonce(false).0)
        );
        cfg.keys = Some(Arc::new(KeyLog::parse(&text).unwrap()));
    }
    (connection(40000, 6800, &sends, mss), cfg)
}

pub fn methods() -> [Method; 4] {
    [Method::Snappy, Method::Zlib, Method::Zstd, Method::Lz4]
}

pub fn osd_op_row(recs: &[Record]) -> &Record {
    recs.iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap_or_else(|| panic!("no osd_op row: {recs:#?}"))
}

/// The row of the compressed MESSAGE frame (tag 17), decoded or not.
pub fn osd_op_row_or_frame(recs: &[Record]) -> &Record {
    recs.iter()
        .find(|r| r.frame().is_some_and(|f| f.tag() == Tag::Message))
        .unwrap()
}
