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

/// A decoded payload: typed values kept, views (field nodes, text) made
/// from them when asked.
#[derive(Debug, Clone, Default)]
pub struct PayloadDecode {
    /// The first encoding fault, where Ceph's decoder would throw.
    pub error: Option<DencError>,
    /// Bytes Ceph would skip: newer fields, trailing bytes.
    pub notes: Vec<Note>,
    /// A control frame's typed value, when its payload decoded whole.
    pub control: Option<control::Control>,
    /// What was decoded, for the views.
    body: Body,
}

/// The decoded payload, kept for its views.
#[derive(Debug, Clone, Default)]
enum Body {
    /// No segment 0.
    #[default]
    None,
    /// A control payload, parsed once (value whole or partial).
    Control {
        parsed: std::sync::Arc<control::Parsed>,
        sender_type: Option<u8>,
    },
    /// A message: its header (when segment 0 held one) and its front.
    Message(std::sync::Arc<MessageBody>),
}

/// A message body as decoded: the typed header and front (or none, for
/// types not decoded here).
#[derive(Debug)]
struct MessageBody {
    header: Option<header2::Header2>,
    kept: Option<crate::decode::msg::Kept>,
}

fn source(f: &Frame) -> Source {
    f.source()
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

/// The front, middle and data of a MESSAGE frame with their frame offsets.
fn message_parts(f: &Frame, version: u16) -> (crate::decode::msg::Parts<'_>, [usize; 3]) {
    let seg = |i: usize| f.segment(i).unwrap_or(&[]);
    let p = crate::decode::msg::Parts {
        version,
        front: seg(1),
        middle: seg(2),
        data: seg(3),
        elided: f.elided.as_ref().map(|r| {
            let base = segment_base(f, 3);
            r.start.saturating_sub(base)..r.end.saturating_sub(base)
        }),
    };
    (p, [1, 2, 3].map(|i| segment_base(f, i)))
}

/// [`decode`] of a frame whose message header the caller parsed already
/// (`h`: `Header2::parse` of segment 0, for MESSAGE frames).
pub fn decode_with_header(
    f: &Frame,
    sender: &Sender,
    h: Option<header2::Header2>,
) -> PayloadDecode {
    DECODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Some(s0) = f.segment(0) else {
        return PayloadDecode::default();
    };
    let base0 = segment_base(f, 0);
    let mut out = PayloadDecode::default();
    if f.tag() == Tag::Message {
        let mut kept = None;
        match h {
            Some(h) => {
                let ctx = messages::MsgContext {
                    tid: Some(h.tid),
                    source: sender.name.clone(),
                };
                let (p, bases) = message_parts(f, h.version);
                kept = crate::decode::msg::parse(h.msg_type, &p, bases[0], &ctx);
                if let Some(k) = &kept {
                    out.error.clone_from(&k.error);
                    out.notes.extend(k.notes.iter().cloned());
                }
            }
            // Segment 0 too short for a header: where Ceph's decoder stops.
            None => out.error = header2::decode_parsed(None, s0, base0, source(f)).error,
        }
        out.body = Body::Message(std::sync::Arc::new(MessageBody { header: h, kept }));
    } else {
        let parsed = control::Parsed::parse(f.tag(), s0, base0);
        out.control = parsed.whole().cloned();
        out.error.clone_from(&parsed.error);
        out.notes.clone_from(&parsed.notes);
        out.body = Body::Control {
            parsed: std::sync::Arc::new(parsed),
            sender_type: sender.entity_type,
        };
    }
    out
}

/// Decode the message a msgr1 MSG carries with the decoders msgr2's
/// MESSAGE frames use (`None` for items that are not a MSG).
pub fn decode_msgr1(it: &crate::msgr1::Item, sender: &Sender) -> Option<PayloadDecode> {
    let m = it.msg()?;
    DECODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let h = m.header.as_header2();
    // The header names its sender (msgr.h ceph_msg_header.src), as
    // Ceph's log prints it in a message's text.
    let from_header = crate::decode::auth::entity_type_name(u64::from(m.header.src_type))
        .map(|t| format!("{t}.{}", m.header.src_num));
    let ctx = messages::MsgContext {
        tid: Some(h.tid),
        source: sender.name.clone().or(from_header),
    };
    let (p, bases) = msgr1_parts(it, h.version);
    let kept = crate::decode::msg::parse(h.msg_type, &p, bases[0], &ctx);
    let mut out = PayloadDecode::default();
    if let Some(k) = &kept {
        out.error.clone_from(&k.error);
        out.notes.extend(k.notes.iter().cloned());
    }
    out.body = Body::Message(std::sync::Arc::new(MessageBody {
        header: Some(h),
        kept,
    }));
    Some(out)
}

/// The front, middle and data of a msgr1 MSG with their offsets in the
/// item's bytes.
fn msgr1_parts(
    it: &crate::msgr1::Item,
    version: u16,
) -> (crate::decode::msg::Parts<'_>, [usize; 3]) {
    let empty = crate::msgr1::Msg::default_ranges();
    let (f, m, d) = it.msg().map_or((&empty.0, &empty.1, &empty.2), |m| {
        (&m.front, &m.middle, &m.data)
    });
    let get = |r: &std::ops::Range<usize>| it.bytes(r).unwrap_or(&[]);
    let p = crate::decode::msg::Parts {
        version,
        front: get(f),
        middle: get(m),
        data: get(d),
        elided: None,
    };
    (p, [f.start, m.start, d.start])
}

/// Stream offset of a frame-relative offset into `f.data`
/// ([`Frame::stream_offset`]).
pub fn stream_offset(f: &Frame, at: usize) -> u64 {
    f.stream_offset(at)
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
    /// The text after the tag in the frame list (a control frame's gist,
    /// a message as Ceph's log prints it); `None` when it does not decode.
    /// A view of the typed value, made when asked.
    pub fn text(&self, f: &Frame) -> Option<String> {
        match &self.body {
            Body::None => None,
            Body::Control {
                parsed,
                sender_type,
            } => parsed.text(*sender_type),
            Body::Message(m) => {
                let (k, h) = (m.kept.as_ref()?, m.header?);
                k.text(&message_parts(f, h.version).0)
            }
        }
    }

    /// The text of a msgr1 MSG's message, as Ceph's log prints it.
    pub fn text_msgr1(&self, it: &crate::msgr1::Item) -> Option<String> {
        match &self.body {
            Body::Message(m) => {
                let (k, h) = (m.kept.as_ref()?, m.header?);
                k.text(&msgr1_parts(it, h.version).0)
            }
            _ => None,
        }
    }

    /// The message nodes of a msgr1 MSG (its body; the envelope's nodes
    /// are msgr1's own), spans in the item's bytes.
    pub fn tree_msgr1(&self, it: &crate::msgr1::Item) -> Vec<FieldNode> {
        let Body::Message(m) = &self.body else {
            return Vec::new();
        };
        let Some(h) = m.header else {
            return Vec::new();
        };
        let (p, bases) = msgr1_parts(it, h.version);
        let mut nodes = match &m.kept {
            Some(k) => k.nodes(&p, bases, Source::Wire, true),
            None => messages::tree(
                MsgType(h.msg_type),
                h.version,
                [
                    (p.front, bases[0]),
                    (p.middle, bases[1]),
                    (p.data, bases[2]),
                ],
                Source::Wire,
            ),
        };
        messages::fill_bytes(&mut nodes, |r| it.data.get(r));
        nodes
    }

    /// The problems of a msgr1 MSG's message, located at `item_offset`
    /// plus their offset in the item's bytes.
    pub fn problems_at(&self, item_offset: u64) -> Vec<Problem> {
        self.problems_with(|at| item_offset.saturating_add(at as u64))
    }

    /// The message's typed front, when it decoded as a `B` (whole or in
    /// part: see [`PayloadDecode::error`]).
    pub fn front<B: 'static>(&self) -> Option<&B> {
        match &self.body {
            Body::Message(m) => m.kept.as_ref()?.front::<B>(),
            _ => None,
        }
    }

    /// Whether the message's front was decoded at all (its type and
    /// version are ones cephshark reads).
    pub fn front_decoded(&self) -> bool {
        matches!(&self.body, Body::Message(m) if m.kept.is_some())
    }

    /// The payload's field nodes: a control frame's group, or a message's
    /// header and body (a view: built from the typed values, segment
    /// bytes taken from the frame).
    pub fn tree(&self, f: &Frame) -> Vec<FieldNode> {
        let src = source(f);
        let s0 = f.segment(0).unwrap_or(&[]);
        let base0 = segment_base(f, 0);
        let mut nodes = match &self.body {
            Body::None => Vec::new(),
            Body::Control { parsed, .. } => parsed.nodes(s0, base0, src),
            Body::Message(m) => {
                let mut nodes = header2::decode_parsed(m.header, s0, base0, src).nodes;
                if let Some(h) = m.header {
                    let (p, bases) = message_parts(f, h.version);
                    match &m.kept {
                        Some(k) => nodes.extend(k.nodes(&p, bases, src, true)),
                        None => {
                            let parts = [
                                (p.front, bases[0]),
                                (p.middle, bases[1]),
                                (p.data, bases[2]),
                            ];
                            nodes.extend(messages::tree(
                                MsgType(h.msg_type),
                                h.version,
                                parts,
                                src,
                            ));
                        }
                    }
                }
                nodes
            }
        };
        hydrate(&mut nodes, f);
        nodes
    }

    /// The problems of this payload, located in the stream: the fault as
    /// an error, the notes as notes.
    pub fn problems(&self, f: &Frame) -> Vec<Problem> {
        // The segment the grammar read: a message's body faults are in its
        // front, all others in segment 0.
        let seg = match &self.body {
            Body::Message(m) if m.header.is_some() => 1,
            _ => 0,
        };
        self.problems_with(|at| {
            f.segment_stream_offset(seg, at)
                .unwrap_or_else(|| f.stream_offset(at))
        })
    }

    /// The problems, each located by `stream_offset` of its offset.
    fn problems_with(&self, stream_offset: impl Fn(usize) -> u64) -> Vec<Problem> {
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
                    stream_offset(e.offset),
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
                    stream_offset(n.offset),
                    u64::try_from(n.len).unwrap_or(0),
                    n.field,
                )
                .values(n.expected.clone(), n.found.clone()),
            );
        }
        out
    }
}
