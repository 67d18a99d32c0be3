//! Entry points for fuzzing: each takes arbitrary bytes and drives one
//! stage of the pipeline. They must never panic, loop forever or allocate
//! without bound, whatever the input. `fuzz/` calls them from cargo-fuzz
//! targets (one thin wrapper each); `tests/robustness.rs` calls them on
//! random inputs, and `examples/fuzz_seeds.rs` writes their seed corpora
//! from the real captures with the encoders below.
//!
//! | target     | entry                 | input                                          |
//! |------------|-----------------------|------------------------------------------------|
//! | `capture`  | [`capture`]           | a capture file                                 |
//! | `packets`  | [`packets`]           | a capture file, or TCP segment records ([`segments`]) |
//! | `frames`   | [`frames`]            | chunk size, then one direction's crc-mode bytes |
//! | `secure`   | [`secure_frames`]     | secure-mode records sealed with a fixed key ([`secure`]) |
//! | `payloads` | [`payloads`]          | a selector, then a control payload or message body |
//! | `filter`   | [`filter`]            | a display filter expression                    |
//! | `keys`     | [`keys`]              | a key file                                     |
//! | `msgr1`    | [`msgr1`]             | chunk size, then a msgr1 client's bytes after its handshake |
//! | `decompress` | [`decompress`]      | a method id byte, then a compressed segment    |

pub mod secure;
pub mod segments;

use crate::analysis::{dissect, dissect_packets, record_tree, Config};
use crate::capture::{parse_tcp, CaptureReader, LinkType, PacketIndex, Timestamp};
use crate::decode::{control, header2, messages, MsgType};
use crate::filter::Filter;
use crate::model::{FieldNode, Source, Value};
use crate::msgr2::encoder::{encode_crc, FrameSpec};
use crate::msgr2::keys::KeyLog;
use crate::msgr2::{banner, ConnDecoder, DecoderConfig, Event, Rev, Tag};
use crate::tcp::Direction;

pub use secure::secure_frames;

/// The msgr1 decoder on one direction's bytes after a whole handshake
/// (banners, addresses, a connect answered READY): the first byte is the
/// chunk size; a chunk starting 0xff is followed by 3 lost bytes. Each
/// item's tree and text are built.
pub fn msgr1(data: &[u8]) {
    use crate::msgr1::{encoder, Event1, Msgr1Decoder};
    let (first, rest) = data.split_first().unwrap_or((&7, &[]));
    let chunk = usize::from(*first).max(1);
    let (c, s) = encoder::session(&[], &[]);
    let mut d = Msgr1Decoder::new(1 << 20);
    let mut out = Vec::new();
    d.feed(Direction::ServerToClient, 0, &s, &mut out);
    d.feed(Direction::ClientToServer, 0, &c, &mut out);
    let mut off = c.len() as u64;
    for piece in rest.chunks(chunk) {
        d.feed(Direction::ClientToServer, off, piece, &mut out);
        off += piece.len() as u64;
        if piece.first() == Some(&0xff) {
            d.gap(Direction::ClientToServer, off, 3, &mut out);
            off += 3;
        }
    }
    d.finish(&mut out);
    for (_, e) in &out {
        if let Event1::Item(it) = e {
            let _ = crate::msgr1::tree::item_tree(it, Vec::new());
            let _ = crate::msgr1::tree::item_info(it, None);
            let _ = crate::decode::payload::decode_msgr1(it, &Default::default());
        }
    }
}

/// One compressed segment decompressed: byte 0 picks the method (its
/// Compressor.h id), the rest is the segment, output capped at 1 MiB;
/// then the bytes as COMPRESSION_DONE's payload.
pub fn decompress(data: &[u8]) {
    let Some((&id, seg)) = data.split_first() else {
        return;
    };
    let m = crate::msgr2::compress::Method::from(u32::from(id % 8));
    let _ = crate::msgr2::compress::decompress(m, seg, 1 << 20);
    let _ = crate::msgr2::compress::parse_done(seg);
}

/// The whole pipeline on a capture file's bytes, field trees included.
///
/// The same capture is then dissected read in place (as a mapped file),
/// where each TCP direction's window of delivered bytes holds places in
/// the input instead of copies: the rows must be the same. A difference
/// is a bug, and panics.
pub fn capture(data: &[u8]) {
    let mut read = Vec::new();
    let _ = dissect(data, Config::default(), &mut |r| {
        let _ = record_tree(&r);
        read.push(format!("{r:?}"));
    });
    let shared: crate::capture::SharedBytes = std::sync::Arc::new(data.to_vec());
    let Ok(reader) = CaptureReader::from_shared(shared) else {
        return;
    };
    let mut in_place = Vec::new();
    let _ = dissect_packets(reader, Config::default(), &mut |r| {
        in_place.push(format!("{r:?}"));
    });
    if read != in_place {
        let at = read.iter().zip(&in_place).position(|(a, b)| a != b);
        #[allow(clippy::panic)]
        {
            panic!(
                "read in place: {} rows against {}, first difference at {at:?}",
                in_place.len(),
                read.len()
            );
        }
    }
}

/// The capture reader and link-layer parser on a capture file's bytes (and
/// on the bytes as one packet of each link type), then the same bytes read
/// as TCP segment records through the flow table, reassembly and the rest
/// of the pipeline (see [`segments`]).
pub fn packets(data: &[u8]) {
    let read = CaptureReader::new(data).map(|r| every_packet(r, true));
    // Read in place (a mapped file): the same packets, the same error after
    // them, or the same refusal. A difference is a bug, and panics.
    let shared: crate::capture::SharedBytes = std::sync::Arc::new(data.to_vec());
    let in_place = CaptureReader::from_shared(shared).map(|r| every_packet(r, false));
    let same = match (&read, &in_place) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => a.to_string() == b.to_string(),
        _ => false,
    };
    if !same {
        #[allow(clippy::panic)]
        {
            panic!(
                "read in place: {:?} against {:?}",
                in_place.err(),
                read.err()
            );
        }
    }
    for link in [
        LinkType::ETHERNET,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType::NULL,
        LinkType::RAW,
    ] {
        let _ = parse_tcp(link, data);
    }
    segments::run(data);
}

type Seen = (PacketIndex, Timestamp, u32, LinkType, Vec<u8>);

/// A reader's packets and the error that ended them, each packet's bytes
/// through the link-layer parser when `parse` is set.
fn every_packet<R: std::io::Read>(
    mut r: CaptureReader<R>,
    parse: bool,
) -> (Vec<Seen>, Option<String>) {
    let mut seen = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                if parse {
                    let _ = parse_tcp(p.link, p.data);
                }
                seen.push((p.index, p.ts, p.origlen, p.link, p.data.to_vec()));
            }
            Ok(None) => return (seen, None),
            Err(e) => return (seen, Some(e.to_string())),
        }
    }
}

/// The msgr2 decoder on one direction's bytes after both banners, fed in
/// chunks whose sizes come from the first byte; every frame's tree is built.
pub fn frames(data: &[u8]) {
    let (first, rest) = data.split_first().unwrap_or((&7, &[]));
    let chunk = usize::from(*first).max(1);
    for supported in [0, banner::FEATURE_REVISION_1] {
        let mut d = ConnDecoder::new(
            DecoderConfig {
                max_segment_len: 1 << 20,
                ..DecoderConfig::default()
            },
            true,
        );
        let mut out = Vec::new();
        let b = banner::encode(supported, 0);
        d.feed(Direction::ServerToClient, 0, &b, &mut out);
        d.feed(Direction::ClientToServer, 0, &b, &mut out);
        let mut off = b.len() as u64;
        for piece in rest.chunks(chunk) {
            d.feed(Direction::ClientToServer, off, piece, &mut out);
            off += piece.len() as u64;
            if piece.first() == Some(&0xff) {
                // Occasionally lose a few bytes.
                d.gap(Direction::ClientToServer, off, 3, &mut out);
                off += 3;
            }
        }
        d.finish(&mut out);
        trees(&out);
    }
}

/// Every frame's field tree among decoder events.
fn trees(events: &[(Direction, Event)]) {
    for (_, ev) in events {
        if let Event::Frame(f) = ev {
            let _ = crate::decode::frame_tree(f);
        }
    }
}

/// First selector byte of a message body in [`payloads`]; a smaller one is
/// a control frame's tag.
pub const PAYLOAD_MESSAGE: u8 = 0x80;

/// What [`payloads`] decodes, as read from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// A control frame's segment 0 (the header of a MESSAGE frame, tag 17).
    Control {
        /// The frame's tag byte.
        tag: u8,
        /// Segment 0.
        payload: &'a [u8],
    },
    /// A message's body.
    Message {
        /// `ceph_msg_header2.type`.
        msg_type: u16,
        /// `ceph_msg_header2.version`.
        version: u16,
        /// Front, middle and data segments.
        parts: [&'a [u8]; 3],
    },
}

impl<'a> Payload<'a> {
    /// Read the input of [`payloads`]: a selector byte below
    /// [`PAYLOAD_MESSAGE`] is a tag and the rest its payload; otherwise le16
    /// type, le16 version, le16 front length, le16 middle length, then the
    /// front, middle and data (lengths cut to what is there).
    pub fn read(data: &'a [u8]) -> Option<Payload<'a>> {
        let (&sel, rest) = data.split_first()?;
        if sel < PAYLOAD_MESSAGE {
            return Some(Payload::Control {
                tag: sel,
                payload: rest,
            });
        }
        let word = |i: usize| {
            rest.get(i..i + 2)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u16::from_le_bytes)
        };
        let (msg_type, version) = (word(0), word(2));
        let body = rest.get(8..).unwrap_or(&[]);
        let (front, body) = body.split_at(usize::from(word(4)).min(body.len()));
        let (middle, data) = body.split_at(usize::from(word(6)).min(body.len()));
        Some(Payload::Message {
            msg_type,
            version,
            parts: [front, middle, data],
        })
    }

    /// The bytes [`Payload::read`] reads back as `self` (lengths over
    /// 65,535 bytes are cut).
    pub fn to_bytes(&self) -> Vec<u8> {
        match *self {
            Payload::Control { tag, payload } => {
                let mut v = vec![tag.min(PAYLOAD_MESSAGE - 1)];
                v.extend_from_slice(payload);
                v
            }
            Payload::Message {
                msg_type,
                version,
                parts: [front, middle, data],
            } => {
                let cut = |b: &[u8]| b.len().min(usize::from(u16::MAX));
                let mut v = vec![PAYLOAD_MESSAGE];
                for w in [msg_type, version] {
                    v.extend_from_slice(&w.to_le_bytes());
                }
                for b in [front, middle] {
                    v.extend_from_slice(&u16::try_from(cut(b)).unwrap_or(u16::MAX).to_le_bytes());
                }
                for b in [front, middle] {
                    v.extend_from_slice(b.get(..cut(b)).unwrap_or(&[]));
                }
                v.extend_from_slice(data);
                v
            }
        }
    }
}

/// Every control payload decoder and every message body decoder, chosen by
/// the first byte (see [`Payload::read`]).
pub fn payloads(data: &[u8]) {
    if let Some(p) = Payload::read(data) {
        decode_payload(p);
    }
}

/// The decoding module's public entry points for one payload: trees,
/// summaries and typed values. The one place to follow when they change.
fn decode_payload(p: Payload<'_>) {
    match p {
        Payload::Control { tag, payload } => {
            let tag = Tag::from(tag);
            let _ = if tag == Tag::Message {
                header2::decode(payload, 0, Source::Wire)
            } else {
                control::decode(tag, payload, 0, Source::Wire, Some(8))
            };
            let _ = control::summary(tag, payload);
            let _ = control::summary_for(tag, payload, Some(8));
            let _ = crate::decode::control_enc::Control::decode(tag, payload);
            let _ = header2::Header2::parse(payload);
        }
        Payload::Message {
            msg_type,
            version,
            parts,
        } => {
            let ty = MsgType(msg_type);
            let [front, middle, data] = parts;
            let offsets = [0, front.len(), front.len().saturating_add(middle.len())];
            let _ = messages::tree(
                ty,
                version,
                [
                    (front, offsets[0]),
                    (middle, offsets[1]),
                    (data, offsets[2]),
                ],
                Source::Decrypted,
            );
            let _ = messages::summary(ty, version, front, middle, data);
        }
    }
}

/// The display-filter parser on text, its error rendering, and every
/// parsed filter evaluated over a small real-looking field tree.
pub fn filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Filter::parse(&text) {
        Ok(f) => {
            let _ = f.matches_tree(sample_tree());
            let _ = f.fields();
        }
        Err(e) => {
            let _ = e.render(&text);
        }
    }
}

/// The field tree of a real-looking HELLO frame, built once.
fn sample_tree() -> &'static FieldNode {
    static TREE: std::sync::OnceLock<FieldNode> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        // HELLO from a client (entity type 8) naming v2:127.0.0.1:3300/0.
        let mut payload = vec![8u8, 1, 1, 1, 28, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
        payload.extend_from_slice(&[16, 0, 0, 0, 2, 0, 0x0c, 0xe4, 127, 0, 0, 1]);
        payload.extend_from_slice(&[0; 8]);
        let mut bytes = banner::encode(banner::FEATURE_REVISION_1, 0);
        let frame = encode_crc(Rev::V1, &FrameSpec::control(Tag::Hello.raw(), &payload));
        bytes.extend(frame);
        let mut d = ConnDecoder::new(DecoderConfig::default(), true);
        let mut out = Vec::new();
        let peer = banner::encode(banner::FEATURE_REVISION_1, 0);
        d.feed(Direction::ServerToClient, 0, &peer, &mut out);
        d.feed(Direction::ClientToServer, 0, &bytes, &mut out);
        d.finish(&mut out);
        out.iter()
            .find_map(|(_, e)| match e {
                Event::Frame(f) => Some(crate::decode::frame_tree(f)),
                _ => None,
            })
            .unwrap_or_else(|| FieldNode::new(&control::RAW, Value::None, None))
    })
}

/// The key-file parser. A file that parses must come back the same from
/// its own text (`KeyLog::to_text`): a difference is a bug, and panics.
pub fn keys(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(k) = KeyLog::parse(&text) {
        let once = k.to_text();
        let again = KeyLog::parse(&once).map(|k| k.to_text());
        #[allow(clippy::panic)]
        if again.as_ref() != Ok(&once) {
            panic!("key file text does not read back: {once:?} -> {again:?}");
        }
    }
}
