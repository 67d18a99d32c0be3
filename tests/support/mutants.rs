//! Mutants of real payloads: examples of every control tag and message
//! type from a real capture, re-sealed by the project's encoder (crc or
//! secure mode) and sent in a synthetic connection, and what the
//! dissector says of them.
#![allow(dead_code)]

use super::synth::{connection, Send};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::model::ProblemKind;
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
    real_named("none-crc.pcap")
}

/// The rows of a bundled capture.
pub fn real_named(name: &str) -> Vec<Record> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name);
    records(&std::fs::read(p).unwrap_or_else(|e| panic!("{e}")))
}

/// Every frame of `tag` in the capture whose segment 0 differs in length
/// from those before it (one of each layout): the frame's segments.
pub fn frames_of(recs: &[Record], tag: Tag) -> Vec<[Vec<u8>; 4]> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for r in recs {
        let Some(f) = r.frame() else { continue };
        let s0 = f.segment(0).unwrap_or(&[]);
        if f.tag() == tag && seen.insert(s0.len()) {
            out.push([0, 1, 2, 3].map(|i| f.segment(i).unwrap_or(&[]).to_vec()));
        }
    }
    out
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

/// The leaves of a control payload's fields (segment 0 offsets): range,
/// abbrev and value (a count's: the end of its group), in byte order.
pub fn payload_leaves(tag: u8, payload: &[u8]) -> Vec<(std::ops::Range<usize>, &'static str, u64)> {
    fn walk(
        n: &cephshark::model::FieldNode,
        out: &mut Vec<(std::ops::Range<usize>, &'static str, u64)>,
        parent_end: usize,
    ) {
        let Some(sp) = &n.span else { return };
        if n.children.iter().all(|c| c.span.is_none()) {
            // A count's value becomes the end of what it counts (its group's).
            let v = if n.def.abbrev.ends_with(".count") {
                parent_end as u64
            } else {
                n.value.as_u64().unwrap_or(0)
            };
            out.push((sp.range.clone(), n.def.abbrev, v));
        }
        for c in &n.children {
            walk(c, out, sp.range.end);
        }
    }
    let d = cephshark::decode::control::decode(
        Tag::from(tag),
        payload,
        0,
        cephshark::model::Source::Wire,
        None,
    );
    assert!(d.error.is_none(), "tag {tag}: {:?}", d.error);
    let mut out = Vec::new();
    for n in &d.nodes {
        walk(n, &mut out, payload.len());
    }
    out.sort_by_key(|x| x.0.start);
    out
}

/// One encoding error of `kind` on `field` at byte `at` of segment 0
/// (crc mode).
pub fn assert_one(
    r: &Record,
    segs: &[Vec<u8>; 4],
    kind: ProblemKind,
    field: &str,
    at: usize,
    what: &str,
) {
    assert_one_in(Wire::Crc, r, segs, kind, field, (0, at), what);
}

/// One encoding error of `kind` on `field` at byte `at.1` of segment
/// `at.0`, sent in `wire`'s mode.
pub fn assert_one_in(
    wire: Wire,
    r: &Record,
    segs: &[Vec<u8>; 4],
    kind: ProblemKind,
    field: &str,
    at: (usize, usize),
    what: &str,
) {
    let errs = encoding_errors(r);
    assert_eq!(errs.len(), 1, "{what} ({wire:?}): {:?}", r.problems());
    assert_eq!(errs[0].kind, kind, "{what} ({wire:?}): {:?}", errs[0]);
    assert_eq!(errs[0].field, field, "{what} ({wire:?}): {:?}", errs[0]);
    assert_eq!(
        errs[0].offset,
        wire.offset(r, segs, at.0, at.1),
        "{what} ({wire:?}): {:?}",
        errs[0]
    );
    assert!(r.is_faulty(), "{what} ({wire:?})");
}

/// How a mutant goes on the wire: msgr2.1 crc mode, or msgr2.1 secure
/// mode after AUTH_DONE(secure), sealed with a key the dissector is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Crc,
    Secure,
}

/// Both modes, for tests that run every mutant in each.
pub const WIRES: [Wire; 2] = [Wire::Crc, Wire::Secure];

impl Wire {
    /// Send the frame; the rows of the frame and of the KEEPALIVE2 after it.
    pub fn send(self, tag: u8, segs: &[Vec<u8>; 4]) -> (Record, Record) {
        match self {
            Wire::Crc => send(tag, segs),
            Wire::Secure => send_secure(tag, segs),
        }
    }

    /// Stream offset of byte `at` of segment `seg` of the frame of row `r`.
    pub fn offset(self, r: &Record, segs: &[Vec<u8>; 4], seg: usize, at: usize) -> u64 {
        let start = r.frame().map_or(0, |f| f.offset);
        let lens = segs.clone().map(|s| s.len());
        start + frame_offset(self, lens, seg, at) as u64
    }
}

/// Offset inside a msgr2.1 frame of byte `at` of segment `seg`
/// (frames_v2.cc, msgr2.rst "Frame format"):
/// crc:    preamble 32 | seg0 | crc 4 | seg1 | seg2 | seg3 | epilogue
/// secure: [preamble 32 | seg0[..48] padded | tag 16] [seg0[48..] padded
///         to 16 | tag 16] [seg1 | seg2 | seg3, each padded to 16 | ...]
pub fn frame_offset(wire: Wire, lens: [usize; 4], seg: usize, at: usize) -> usize {
    const PREAMBLE: usize = 32;
    const INLINE: usize = 48; // FRAME_PREAMBLE_INLINE_SIZE
    const TAG: usize = 16;
    let pad16 = |n: usize| n.div_ceil(16) * 16;
    match (wire, seg) {
        (Wire::Crc, 0) => PREAMBLE + at,
        (Wire::Crc, _) => PREAMBLE + lens[0] + 4 + lens[1..seg].iter().sum::<usize>() + at,
        // A fault just past a segment 0 that fits inline is where its
        // bytes end (the block's tag follows).
        (Wire::Secure, 0) if at < INLINE || lens[0] <= INLINE => PREAMBLE + at,
        (Wire::Secure, 0) => PREAMBLE + INLINE + TAG + (at - INLINE),
        (Wire::Secure, _) => {
            let s0 = pad16(lens[0]);
            let rest0 = if s0 > INLINE { s0 - INLINE + TAG } else { 0 };
            let before: usize = lens[1..seg].iter().map(|&l| pad16(l)).sum();
            PREAMBLE + INLINE + TAG + rest0 + before + at
        }
    }
}

/// Control frames of the real crc captures (where the payloads are in the
/// clear): one example of every tag.
pub fn control_examples() -> BTreeMap<u8, [Vec<u8>; 4]> {
    let mut out = BTreeMap::new();
    for name in ["none-crc.pcap", "cephx-crc.pcap"] {
        for ((tag, _), segs) in examples(&real_named(name)) {
            if tag != Tag::Message.raw() {
                out.entry(tag).or_insert(segs);
            }
        }
    }
    out
}

/// What a leaf of a cephx structure bounds: the bytes its own le32 counts
/// (`Len`), a number of service tickets (`Count`, 14 bytes each at the
/// least), or only itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A length: the bytes after it that it counts.
    Len(usize),
    /// A ticket count.
    Count(usize),
    /// A bufferlist or string: its le32 length and bytes in one leaf.
    Bl,
    /// A fixed-width field.
    Plain,
}

/// The leaves of the auth payload of a cephx AUTH_* frame (segment 0
/// offsets, in byte order), with what each bounds.
pub fn cephx_leaves(tag: u8, payload: &[u8]) -> Vec<(std::ops::Range<usize>, &'static str, Bound)> {
    let le32 = |at: usize| u32::from_le_bytes(payload[at..at + 4].try_into().unwrap()) as usize;
    payload_leaves(tag, payload)
        .into_iter()
        .skip_while(|l| !l.1.ends_with(".payload_len"))
        .skip(1)
        .map(|(r, a, _)| {
            let b = match a {
                "ceph.cephx.service_ticket.ticket_len"
                | "ceph.cephx.connection_secret_len"
                | "ceph.cephx.extra_len" => Bound::Len(le32(r.start)),
                "ceph.cephx.ticket_reply.count" => Bound::Count(le32(r.start)),
                "ceph.entity_name.id"
                | "ceph.cephx.ticket.blob"
                | "ceph.cephx.authorize"
                | "ceph.cephx.authorize_reply"
                | "ceph.cephx.service_ticket.session"
                | "ceph.cephx.service_ticket.encrypted_ticket"
                | "ceph.cephx.connection_secret" => Bound::Bl,
                _ => Bound::Plain,
            };
            (r, a, b)
        })
        .collect()
}

/// The cephx AUTH_REQUEST, AUTH_REQUEST_MORE and mon AUTH_DONE payloads of
/// cephx-crc.pcap, one of each layout.
pub fn cephx_frames() -> Vec<(u8, [Vec<u8>; 4])> {
    let recs = real_named("cephx-crc.pcap");
    let ex = examples(&recs);
    assert!(ex.contains_key(&(Tag::AuthDone.raw(), 0)));
    let mut out = Vec::new();
    for tag in [Tag::AuthRequest, Tag::AuthRequestMore, Tag::AuthDone] {
        for segs in frames_of(&recs, tag) {
            let leaves = cephx_leaves(tag.raw(), &segs[0]);
            // A service's AUTH_DONE is ciphertext in a bl: no structure.
            if leaves.iter().any(|l| l.1 != "ceph.cephx.authorize_reply") {
                out.push((tag.raw(), segs));
            }
        }
    }
    out
}

/// A real connection's rows sent again: its banners as they were and each
/// frame re-sealed by the encoder in crc mode (its own revision, CRCs
/// valid), in capture order; `true` marks the client's sends. Rows that
/// are not banners or frames are left out.
pub fn resend(recs: &[Record], conn: cephshark::tcp::ConnId) -> Vec<Send> {
    use cephshark::analysis::RecordKind;
    let mut out = Vec::new();
    for r in recs.iter().filter(|r| r.conn == conn) {
        let data = match &r.kind {
            RecordKind::Banner(b) => banner::encode(b.supported, b.required),
            RecordKind::Frame(f) => {
                let segs = [0, 1, 2, 3].map(|i| f.segment(i).unwrap_or(&[]).to_vec());
                let spec = if f.tag() == Tag::Message {
                    FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3])
                } else {
                    FrameSpec::control(f.tag().raw(), &segs[0])
                };
                encode_crc(f.rev, &spec)
            }
            _ => continue,
        };
        out.push(Send {
            from_client: r.dir == cephshark::tcp::Direction::ClientToServer,
            data,
        });
    }
    out
}

/// A control frame in msgr2.1 crc mode.
pub fn control_frame(c: &cephshark::decode::control::Control) -> Vec<u8> {
    encode_crc(Rev::V1, &FrameSpec::control(c.tag().raw(), &c.encode()))
}

/// A row's status without the state machine's order verdicts
/// (`state_unexpected_frame`, `state_wrong_side`): for a frame sent alone,
/// outside any conversation, or rows of packets shuffled across the two
/// directions, whose order then is not the conversation's.
pub fn status_alone(r: &Record) -> String {
    let names: Vec<&str> = r
        .problems()
        .iter()
        .map(|p| p.kind)
        .filter(|k| !matches!(k, ProblemKind::UnexpectedFrame | ProblemKind::WrongSide))
        .map(|k| k.name())
        .collect();
    if names.is_empty() {
        "ok".into()
    } else {
        names.join(",")
    }
}

/// The sends of a short conforming handshake after the banners (auth none,
/// crc mode, mon and client), so that what follows is in the READY state.
pub fn handshake() -> Vec<Send> {
    use cephshark::decode::control::Control;
    use cephshark::decode::control_enc::*;
    use cephshark::decode::entity::AddrVec;
    use cephshark::decode::grammar::Sp;
    let server = handshake_server();
    let mut all = handshake_auth(4242);
    all.push(Send {
        from_client: true,
        data: control_frame(&Control::ClientIdent(ClientIdent {
            addrs: AddrVec::new(vec![server.clone()]),
            target_addr: server.clone(),
            gid: Sp::new(-1),
            ..Default::default()
        })),
    });
    all.push(Send {
        from_client: false,
        data: control_frame(&Control::ServerIdent(ServerIdent {
            addrs: AddrVec::new(vec![server]),
            ..Default::default()
        })),
    });
    all
}

fn handshake_server() -> cephshark::decode::addr::EntityAddr {
    cephshark::decode::addr::EntityAddr::v2(std::net::Ipv4Addr::LOCALHOST, 3300, 0)
}

/// The handshake of [`handshake`] up to the idents: HELLOs, AUTH_REQUEST
/// (auth none), AUTH_DONE giving `global_id` (crc mode) and both
/// AUTH_SIGNATUREs; the idents that follow are the caller's.
pub fn handshake_auth(global_id: u64) -> Vec<Send> {
    use cephshark::decode::control::Control;
    use cephshark::decode::control_enc::*;
    use cephshark::decode::grammar::Sp;
    let server = handshake_server();
    let c = |ctl: Control| Send {
        from_client: true,
        data: control_frame(&ctl),
    };
    let s = |ctl: Control| Send {
        from_client: false,
        data: control_frame(&ctl),
    };
    let hello = |t: u8| {
        Control::Hello(Hello {
            entity_type: Sp::new(t),
            peer_addr: server.clone(),
        })
    };
    vec![
        c(hello(8)),
        s(hello(1)),
        c(Control::AuthRequest(AuthRequest {
            method: Sp::new(1),
            preferred_modes: vec![1].into(),
            ..Default::default()
        })),
        s(Control::AuthDone(AuthDone {
            global_id: Sp::new(global_id),
            con_mode: Sp::new(1),
            ..Default::default()
        })),
        s(Control::AuthSignature(AuthSignature::default())),
        c(Control::AuthSignature(AuthSignature::default())),
    ]
}
