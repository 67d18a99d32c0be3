//! The field tree of a frame: framing (preamble, segments, checks,
//! epilogue) and, below it, the payload (control frame or Ceph message).

use super::grammar::view::Nodes;
use super::grammar::Sp;
use crate::fields;
use crate::model::{FieldNode, Source, Span, Value};
use crate::msgr2::{preamble, CheckKind, CheckStatus, Frame, Mode, Tag};

fields! {
    FRAME = "msgr2", "msgr2 frame", None, "A msgr2 frame.";
    REV = "msgr2.rev", "Revision", Str, "Framing revision: 2.0 or 2.1.";
    MODE = "msgr2.mode", "Mode", Str, "Connection mode of the frame: crc or secure.";
    OFFSET = "msgr2.offset", "Stream offset", Uint, "Offset of the frame's first byte in its direction's byte stream.";
    WIRE_LEN = "msgr2.wire_len", "Length on the wire", Uint, "Bytes the frame occupies on the wire, padding and tags included.";
    PREAMBLE = "msgr2.preamble", "Preamble", None, "The 32-byte frame preamble.";
    TAG = "msgr2.tag", "Tag", Enum, "Frame tag (frames_v2.h Tag).";
    NUM_SEGMENTS = "msgr2.preamble.num_segments", "Number of segments", Uint, "Segments the frame declares (1 to 4).";
    SEG_DESC = "msgr2.preamble.segment", "Segment descriptor", None, "Length and alignment of one segment.";
    SEG_LEN = "msgr2.preamble.segment.len", "Length", Uint, "Logical length of the segment.";
    SEG_ALIGN = "msgr2.preamble.segment.align", "Alignment", Uint, "Alignment hint of the segment.";
    FLAGS = "msgr2.preamble.flags", "Flags", Hex, "Preamble flags; bit 0 = early data compressed (Ceph 17+).";
    COMPRESSED = "msgr2.preamble.flags.compressed", "Compressed", Bool, "The segments are compressed.";
    RESERVED = "msgr2.preamble.reserved", "Reserved", Hex, "Reserved byte, zero.";
    PREAMBLE_CRC = "msgr2.preamble.crc", "Preamble CRC", Hex, "CRC32C (seed 0) of preamble bytes 0..28.";
    PREAMBLE_CRC_STATUS = "msgr2.preamble.crc.status", "Preamble CRC status", Str, "good, bad or unverified.";
    SEGMENT = "msgr2.segment", "Segment", None, "One segment's bytes.";
    SEGMENT_INDEX = "msgr2.segment.index", "Index", Uint, "Segment number (0 to 3).";
    SEGMENT_DATA = "msgr2.segment.data", "Data", Bytes, "The segment's bytes.";
    SEGMENT_CRC = "msgr2.segment.crc", "Segment CRC", Hex, "CRC32C (seed -1) of the segment as stored on the wire.";
    SEGMENT_CRC_STATUS = "msgr2.segment.crc.status", "Segment CRC status", Str, "good, bad, absent (stored 0: data CRCs off) or unverified.";
    SEGMENT_CRC_COMPUTED = "msgr2.segment.crc.computed", "Computed CRC", Hex, "CRC32C computed over the segment bytes.";
    LATE = "msgr2.epilogue.late_status", "Late status", Hex, "msgr2.1 late_status (0x0e complete, 0x01 aborted) or msgr2.0 late_flags (bit 0 aborted).";
    ABORTED = "msgr2.epilogue.aborted", "Aborted", Bool, "The sender aborted the frame; the peer drops it.";
    NONCE = "msgr2.nonce", "Nonce", Bytes, "Secure mode: the AES-GCM nonce of the frame's first operation (le32 fixed, le64 counter; crypto_onwire.cc).";
    NONCE_COUNTER = "msgr2.nonce.counter", "Nonce counter", Uint, "Steps from the initial nonce of the key that opened the direction to this frame's (msgr2.1: one per GCM operation; msgr2.0: one per frame); for a direction joined mid-stream, the counter the search found, then on.";
    GCM = "msgr2.gcm", "GCM operation", None, "One AES-GCM operation of a secure frame.";
    GCM_TAG_STATUS = "msgr2.gcm.tag.status", "GCM tag status", Str, "good or bad.";
    COMPRESSION = "msgr2.compression", "Compression", None, "How the frame's compressed segments were read (Ceph 17+ on-wire compression).";
    COMPRESSION_METHOD = "msgr2.compression.method", "Method", Enum, "The connection's compression method, from its COMPRESSION_DONE (Compressor.h).";
    COMPRESSION_DECOMPRESSED = "msgr2.compression.decompressed", "Decompressed", Bool, "Whether every segment decompressed: the payload below is the decompressed bytes.";
    SEGMENT_COMPRESSED_LEN = "msgr2.segment.compressed_len", "Compressed length", Uint, "The segment's length on the wire, compressed.";
    SEGMENT_DECOMPRESSED_LEN = "msgr2.segment.decompressed_len", "Decompressed length", Uint, "The segment's length once decompressed.";
    PAYLOAD = "msgr2.payload", "Payload", None, "The decoded control payload of the frame.";
}

/// Which of Ceph's names a tag has, for enum fields.
pub fn tag_name(v: u64) -> Option<&'static str> {
    u8::try_from(v).ok().and_then(|t| Tag::from(t).known_name())
}

fn source(f: &Frame) -> Source {
    f.source()
}

/// Frame-relative offset of a stream offset (wire source only).
fn rel(f: &Frame, stream: u64) -> Option<usize> {
    usize::try_from(stream.checked_sub(f.offset)?).ok()
}

/// Build the whole tree of a frame.
pub fn frame_tree(f: &Frame) -> FieldNode {
    frame_tree_with(f, None)
}

/// [`frame_tree`], naming the sender's entity (from its session) in message summaries.
pub fn frame_tree_with(f: &Frame, sender: Option<String>) -> FieldNode {
    let p = super::payload::decode(
        f,
        &super::payload::Sender {
            entity_type: None,
            name: sender,
        },
    );
    frame_tree_from(f, &p)
}

/// The tree of a frame whose payload was decoded already.
pub fn frame_tree_from(f: &Frame, payload: &super::payload::PayloadDecode) -> FieldNode {
    let src = source(f);
    let mut root = FieldNode::new(
        &FRAME,
        Value::None,
        Some(Span {
            source: src,
            range: 0..f.data.len(),
        }),
    );
    root.summary = Some(format!(
        "{} ({} {})",
        f.tag(),
        f.rev.as_str(),
        f.mode.as_str()
    ));
    let kids = &mut root.children;
    kids.push(FieldNode::new(
        &REV,
        Value::Str(f.rev.as_str().into()),
        None,
    ));
    kids.push(FieldNode::new(
        &MODE,
        Value::Str(f.mode.as_str().into()),
        None,
    ));
    kids.push(FieldNode::new(&OFFSET, Value::Uint(f.offset), None));
    kids.push(FieldNode::new(&WIRE_LEN, Value::Uint(f.wire_len), None));
    if let Some(n) = &f.nonce {
        let mut node = FieldNode::new(&NONCE, Value::Bytes(n.nonce.0.to_vec()), None);
        if let Some(k) = n.steps {
            node.summary = Some(format!("{} (initial nonce + {k})", n.nonce));
            node.children
                .push(FieldNode::new(&NONCE_COUNTER, Value::Uint(k), None));
        }
        kids.push(node);
    }
    kids.push(preamble_tree(f, src));
    if let Some(c) = &f.compression {
        let mut n = FieldNode::new(&COMPRESSION, Value::None, None);
        let name = c
            .method
            .map_or("not negotiated".to_string(), |m| m.to_string());
        n.summary = Some(if c.decompressed {
            format!("{name}, decompressed")
        } else {
            format!("{name}, not decompressed")
        });
        if let Some(m) = c.method {
            let v = u64::from(m.raw());
            n.children.push(FieldNode::new(
                &COMPRESSION_METHOD,
                Value::Enum(v, m.known_name()),
                None,
            ));
        }
        n.children.push(FieldNode::new(
            &COMPRESSION_DECOMPRESSED,
            Value::Bool(c.decompressed),
            None,
        ));
        kids.push(n);
    }
    for (i, r) in f.segments.iter().enumerate() {
        if i >= f.preamble.nseg() {
            break;
        }
        let mut seg = FieldNode::new(
            &SEGMENT,
            Value::None,
            Some(Span {
                source: src,
                range: r.clone(),
            }),
        );
        let wire_len = f
            .compression
            .as_ref()
            .filter(|c| c.decompressed)
            .and_then(|c| c.wire_lens.get(i).copied());
        seg.summary = Some(match wire_len {
            Some(w) => format!("{i}: {} bytes ({w} compressed)", r.len()),
            None => format!("{i}: {} bytes", r.len()),
        });
        seg.children
            .push(FieldNode::new(&SEGMENT_INDEX, Value::Uint(i as u64), None));
        if let Some(w) = wire_len {
            seg.children.push(FieldNode::new(
                &SEGMENT_COMPRESSED_LEN,
                Value::Uint(w as u64),
                None,
            ));
            seg.children.push(FieldNode::new(
                &SEGMENT_DECOMPRESSED_LEN,
                Value::Uint(r.len() as u64),
                None,
            ));
        }
        if let Some(d) = f.segment_bytes(i) {
            seg.children.push(FieldNode::new(
                &SEGMENT_DATA,
                Value::Bytes(d.to_vec()),
                Some(Span {
                    source: src,
                    range: r.clone(),
                }),
            ));
        }
        for c in f
            .checks
            .iter()
            .filter(|c| c.kind == CheckKind::Segment(i as u8))
        {
            let span = rel(f, c.offset).map(|o| Span {
                source: Source::Wire,
                range: o..o + 4,
            });
            seg.children.push(FieldNode::new(
                &SEGMENT_CRC,
                Value::Uint(u64::from(c.stored)),
                span,
            ));
            seg.children.push(FieldNode::new(
                &SEGMENT_CRC_COMPUTED,
                Value::Uint(u64::from(c.computed)),
                None,
            ));
            seg.children.push(FieldNode::new(
                &SEGMENT_CRC_STATUS,
                Value::Str(c.status.as_str().into()),
                None,
            ));
        }
        kids.push(seg);
    }
    for c in f
        .checks
        .iter()
        .filter(|c| matches!(c.kind, CheckKind::GcmTag(_)))
    {
        let mut op = FieldNode::new(
            &GCM,
            Value::None,
            rel(f, c.offset).map(|o| Span {
                source: Source::Wire,
                range: o..o + 16,
            }),
        );
        if let CheckKind::GcmTag(i) = c.kind {
            op.summary = Some(format!("operation {i}: tag {}", c.status.as_str()));
        }
        op.children.push(FieldNode::new(
            &GCM_TAG_STATUS,
            Value::Str(c.status.as_str().into()),
            None,
        ));
        kids.push(op);
    }
    if let Some(l) = f.late {
        let span = if f.mode == Mode::Crc {
            rel(f, l.offset).map(|o| Span {
                source: Source::Wire,
                range: o..o + 1,
            })
        } else {
            None
        };
        kids.push(FieldNode::new(&LATE, Value::Uint(u64::from(l.value)), span));
        kids.push(FieldNode::new(&ABORTED, Value::Bool(l.aborted), None));
    }
    kids.extend(payload.tree(f));
    root
}

/// The preamble's nodes, a view of the parsed [`preamble::Preamble`] at
/// its fixed offsets (frames_v2.h preamble_block_t).
fn preamble_tree(f: &Frame, src: Source) -> FieldNode {
    let p = &f.preamble;
    let at = |r: std::ops::Range<usize>| Sp {
        v: (),
        at: r.start,
        len: r.len(),
    };
    let one = |b: usize| b..b + 1;
    let mut n = Nodes::new(src);
    let tag = u64::from(p.tag.raw());
    n.leaf(
        &TAG,
        Value::Enum(tag, tag_name(tag)),
        &at(one(preamble::TAG)),
    );
    n.leaf(
        &NUM_SEGMENTS,
        Value::Uint(u64::from(p.num_segments)),
        &at(one(preamble::NUM_SEGMENTS)),
    );
    for (i, s) in p.segments.iter().enumerate() {
        let (len, align) = (preamble::seg_len_range(i), preamble::seg_align_range(i));
        n.group(&SEG_DESC, Value::None, len.start, 6, |g| {
            g.leaf(&SEG_LEN, Value::Uint(u64::from(s.len)), &at(len));
            g.leaf(&SEG_ALIGN, Value::Uint(u64::from(s.align)), &at(align));
        })
        .summary(format!("segment {i}: {} bytes, align {}", s.len, s.align));
    }
    n.leaf(
        &FLAGS,
        Value::Uint(u64::from(p.flags)),
        &at(one(preamble::FLAGS)),
    );
    n.generated(&COMPRESSED, Value::Bool(p.compressed()));
    n.leaf(
        &RESERVED,
        Value::Uint(u64::from(p.reserved)),
        &at(one(preamble::RESERVED)),
    );
    n.leaf(
        &PREAMBLE_CRC,
        Value::Uint(u64::from(p.crc)),
        &at(preamble::CRC),
    );
    let status = f
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Preamble)
        .map_or(CheckStatus::Unverified, |c| c.status);
    n.generated(&PREAMBLE_CRC_STATUS, Value::Str(status.as_str().into()));
    let mut node = FieldNode::new(
        &PREAMBLE,
        Value::None,
        Some(Span {
            source: src,
            range: 0..preamble::LEN,
        }),
    );
    node.children = n.finish();
    node
}
