//! A frame's payload decoded once per row: its field nodes, its one-line
//! text, and what Ceph's decoder would say about its encoding (the first
//! fault, and notes about bytes it would skip).
//!
//! The row keeps the result; the field tree, the info column, the display
//! filter, JSON and the terminal UI all read it, and the verify findings
//! come from it. Encoding faults are reported at the stream offset of the
//! field concerned, like a CRC problem.

use super::grammar::{DencError, Fault, Note, NoteKind};
use super::{control, header2, messages, MsgType};
use crate::model::{FieldNode, Problem, ProblemKind, Source};
use crate::msgr2::{Frame, Tag};

/// What the session knows about the sender, used in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// CEPH_ENTITY_TYPE_* from its HELLO.
    pub entity_type: Option<u8>,
    /// Its entity name (`client.4112`), once its ident was seen.
    pub name: Option<String>,
}

/// A decoded payload.
#[derive(Debug, Clone, Default)]
pub struct PayloadDecode {
    /// The payload's nodes: a control frame's group, or a message's header
    /// and body.
    pub nodes: Vec<FieldNode>,
    /// The text after the tag in the frame list (a control frame's gist,
    /// a message as Ceph's log prints it); `None` when it does not decode.
    pub text: Option<String>,
    /// The first encoding fault, where Ceph's decoder would throw.
    pub error: Option<DencError>,
    /// Bytes Ceph would skip: newer fields, trailing bytes.
    pub notes: Vec<Note>,
    /// A control frame's typed value, when its payload decoded whole.
    pub control: Option<control::Control>,
    /// A message's front, kept as its typed value: its nodes are a view
    /// built when a tree is asked for ([`PayloadDecode::tree`]).
    message: Option<std::sync::Arc<MessageBody>>,
}

/// A message body as decoded: the typed front (or none, for types not
/// decoded here) and the encoding version the views need.
#[derive(Debug)]
struct MessageBody {
    ty: MsgType,
    version: u16,
    kept: Option<crate::decode::msg::Kept>,
}

fn source(f: &Frame) -> Source {
    if f.decrypted {
        Source::Decrypted
    } else {
        Source::Wire
    }
}

/// Payload decodes so far, process-wide: what tests read to prove that a
/// row's payload is decoded once, whatever views are built of it.
pub static DECODES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Decode the payload of `f` (nothing for frames missing segment 0).
pub fn decode(f: &Frame, sender: &Sender) -> PayloadDecode {
    let h = (f.tag() == Tag::Message)
        .then(|| f.segment(0).and_then(header2::Header2::parse))
        .flatten();
    decode_with_header(f, sender, h)
}

/// [`decode`] of a frame whose message header the caller parsed already
/// (`h`: `Header2::parse` of segment 0, for MESSAGE frames).
pub fn decode_with_header(
    f: &Frame,
    sender: &Sender,
    h: Option<header2::Header2>,
) -> PayloadDecode {
    DECODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let src = source(f);
    let Some(s0) = f.segment(0) else {
        return PayloadDecode::default();
    };
    let base0 = segment_base(f, 0);
    let mut out = PayloadDecode::default();
    if f.tag() == Tag::Message {
        let d = header2::decode_parsed(h, s0, base0, src);
        out.nodes = d.nodes;
        out.error = d.error;
        out.notes = d.notes;
        if let Some(h) = h {
            let parts = [1, 2, 3].map(|i| (f.segment(i).unwrap_or(&[]), segment_base(f, i)));
            let ctx = messages::MsgContext {
                tid: Some(h.tid),
                source: sender.name.clone(),
            };
            let p = crate::decode::msg::Parts {
                version: h.version,
                front: parts[0].0,
                middle: parts[1].0,
                data: parts[2].0,
            };
            let kept = crate::decode::msg::parse(h.msg_type, &p, parts[0].1, &ctx);
            if let Some(k) = &kept {
                out.text.clone_from(&k.text);
                out.error = out.error.take().or_else(|| k.error.clone());
                out.notes.extend(k.notes.iter().cloned());
            }
            out.message = Some(std::sync::Arc::new(MessageBody {
                ty: MsgType(h.msg_type),
                version: h.version,
                kept,
            }));
        }
    } else {
        let (d, typed) = control::decode_typed(f.tag(), s0, base0, src, sender.entity_type);
        out.control = typed;
        out.nodes = d.nodes;
        out.text = d.text;
        out.error = d.error;
        out.notes = d.notes;
    }
    out
}

/// Stream offset of a frame-relative offset into `f.data`: segment bytes
/// map to their place on the wire (secure mode: in the ciphertext).
pub fn stream_offset(f: &Frame, at: usize) -> u64 {
    let placed = || f.segments.iter().zip(f.segment_offsets);
    if let Some((r, off)) = placed().find(|(r, _)| r.contains(&at)) {
        let into = u64::try_from(at.saturating_sub(r.start)).unwrap_or(0);
        return off.saturating_add(into);
    }
    // An empty segment still has a place on the wire: a fault at its start.
    if let Some((_, off)) =
        placed().find(|(r, off)| r.is_empty() && r.start == at && *off > f.offset)
    {
        return off;
    }
    // Past the last byte of a segment (a fault at its very end).
    placed()
        .filter(|(r, _)| r.end <= at && !r.is_empty())
        .map(|(r, off)| off.saturating_add(u64::try_from(r.len()).unwrap_or(0)))
        .max()
        .unwrap_or(f.offset)
}

/// Frame offset where segment `i` starts; an empty segment the framing did
/// not place (secure frames whose last segments are empty) sits where the
/// segments before it end.
fn segment_base(f: &Frame, i: usize) -> usize {
    match f.segments.get(i) {
        Some(r) if !r.is_empty() || r.start != 0 || i == 0 => r.start,
        _ => f.segments.iter().take(i).map(|r| r.end).max().unwrap_or(0),
    }
}

/// Fill in the bytes of segment-sized `Bytes` fields, which the decoders
/// leave empty (`Value::None` with a span) so that no row holds a second
/// copy of its frame's segments: the view takes them from the frame.
pub fn hydrate(nodes: &mut [FieldNode], f: &Frame) {
    messages::fill_bytes(nodes, |r| f.data.get(r));
}

impl PayloadDecode {
    /// The message's typed front, when it decoded as a `B` (whole or in
    /// part: see [`PayloadDecode::error`]).
    pub fn front<B: 'static>(&self) -> Option<&B> {
        self.message.as_ref()?.kept.as_ref()?.front::<B>()
    }

    /// Whether the message's front was decoded at all (its type and
    /// version are ones cephshark reads).
    pub fn front_decoded(&self) -> bool {
        self.message.as_ref().is_some_and(|m| m.kept.is_some())
    }

    /// The payload's field nodes (a view: the message body's nodes are
    /// built from its typed value, segment bytes taken from the frame).
    pub fn tree(&self, f: &Frame) -> Vec<FieldNode> {
        let mut nodes = self.nodes.clone();
        if let Some(m) = &self.message {
            let src = source(f);
            let parts = [1, 2, 3].map(|i| (f.segment(i).unwrap_or(&[]), segment_base(f, i)));
            match &m.kept {
                Some(k) => {
                    let p = crate::decode::msg::Parts {
                        version: m.version,
                        front: parts[0].0,
                        middle: parts[1].0,
                        data: parts[2].0,
                    };
                    let bases = parts.map(|(_, b)| b);
                    nodes.extend(k.nodes(&p, bases, src, true));
                }
                None => nodes.extend(messages::tree(m.ty, m.version, parts, src)),
            }
        }
        hydrate(&mut nodes, f);
        nodes
    }

    /// The problems of this payload, located in the stream: the fault as
    /// an error, the notes as notes.
    pub fn problems(&self, f: &Frame) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(e) = &self.error {
            let kind = match e.fault {
                Fault::EndOfBuffer => ProblemKind::EncodingEndOfBuffer,
                Fault::Malformed => ProblemKind::EncodingMalformed,
                Fault::CompatTooNew => ProblemKind::EncodingCompatTooNew,
            };
            let len = u64::try_from(e.len).unwrap_or(1);
            out.push(
                Problem::new(
                    kind,
                    stream_offset(f, e.offset),
                    len,
                    e.field.unwrap_or("ceph.malformed"),
                )
                .values(e.expected.clone(), e.found.clone()),
            );
        }
        for n in &self.notes {
            let kind = match n.kind {
                NoteKind::Extra => ProblemKind::EncodingExtra,
                NoteKind::Trailing => ProblemKind::EncodingTrailing,
            };
            out.push(
                Problem::new(
                    kind,
                    stream_offset(f, n.offset),
                    u64::try_from(n.len).unwrap_or(0),
                    n.field,
                )
                .values(n.expected.clone(), n.found.clone()),
            );
        }
        out
    }
}
