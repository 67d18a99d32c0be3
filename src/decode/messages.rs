//! Message bodies (front, middle, data) by message type: the dispatcher
//! over the message families in [`super::msg`].
//!
//! A decoded type yields one group over its front (e.g. `ceph.osd_op`,
//! summarised the way Ceph's log prints the message), then the middle and
//! data segments as bytes; the data segment names its length and, where
//! the front says how it splits, its pieces (an osd_op's per-op input).
//! Any other type, or an encoding version not decoded here, yields the
//! raw segments: never an error.

use super::msg::{self, Parts};
use super::MsgType;
use crate::fields;
use crate::model::{FieldNode, Source, Span, Value};

pub use super::msg::MsgContext;

fields! {
    FRONT = "ceph.msg.front", "Front", Bytes, "The message's front segment.";
    MIDDLE = "ceph.msg.middle", "Middle", Bytes, "The message's middle segment.";
    DATA = "ceph.msg.data", "Data", Bytes, "The message's data segment (bulk data: object bytes, command output).";
    DATA_LEN = "ceph.msg.data.len", "Data length", Uint, "Bytes in the data segment.";
}

/// Decode the body of a message of type `ty` and encoding `version` from
/// its front, middle and data segments (bytes and frame offsets).
pub fn tree(ty: MsgType, version: u16, parts: [(&[u8], usize); 3], src: Source) -> Vec<FieldNode> {
    tree_with(&MsgContext::default(), ty, version, parts, src)
}

/// [`tree`] with what the caller knows beyond the segments (the header's
/// tid, the sender's name), used in the front group's summary.
pub fn tree_with(
    ctx: &MsgContext,
    ty: MsgType,
    version: u16,
    parts: [(&[u8], usize); 3],
    src: Source,
) -> Vec<FieldNode> {
    let mut nodes = nodes_with(ctx, ty, version, parts, src);
    fill(&mut nodes, &parts);
    nodes
}

/// Fill in the bytes of segment fields the decoders leave empty (see
/// `decode::payload::hydrate`) from the segments themselves.
fn fill(nodes: &mut [FieldNode], parts: &[(&[u8], usize); 3]) {
    fill_bytes(nodes, |r| {
        parts.iter().find_map(|(bytes, base)| {
            let from = r.start.checked_sub(*base)?;
            bytes.get(from..from.checked_add(r.len())?)
        })
    });
}

/// Give every `Bytes` field left empty (`Value::None` with a span) the
/// bytes `get` finds for its span.
pub fn fill_bytes<'b>(
    nodes: &mut [FieldNode],
    get: impl Fn(std::ops::Range<usize>) -> Option<&'b [u8]>,
) {
    let mut stack: Vec<&mut FieldNode> = nodes.iter_mut().collect();
    while let Some(n) = stack.pop() {
        if n.def.kind == crate::model::FieldKind::Bytes && n.value == crate::model::Value::None {
            if let Some(b) = n.span.as_ref().and_then(|s| get(s.range.clone())) {
                n.value = crate::model::Value::Bytes(b.to_vec());
            }
        }
        stack.extend(n.children.iter_mut());
    }
}

fn nodes_with(
    ctx: &MsgContext,
    ty: MsgType,
    version: u16,
    parts: [(&[u8], usize); 3],
    src: Source,
) -> Vec<FieldNode> {
    let [(front, fb), (middle, mb), (data, db)] = parts;
    let p = Parts {
        version,
        front,
        middle,
        data,
        elided: None,
    };
    if let Some(d) = msg::decode(ty.0, &p, [fb, mb, db], src, ctx, true) {
        return d.nodes;
    }
    let mut out = Vec::new();
    for ((bytes, base), def) in parts.into_iter().zip([&FRONT, &MIDDLE, &DATA]) {
        if bytes.is_empty() {
            continue;
        }
        // Bytes filled in by the view from the frame (payload::hydrate).
        out.push(FieldNode::new(
            def,
            Value::None,
            Some(Span {
                source: src,
                range: base..base.saturating_add(bytes.len()),
            }),
        ));
    }
    out
}

/// Decode a message's body once: its nodes (as [`tree_with`]) and its text
/// (as [`summary_with`]).
pub fn decode_with(
    ctx: &MsgContext,
    ty: MsgType,
    version: u16,
    parts: [(&[u8], usize); 3],
    src: Source,
) -> msg::Decoded {
    let [(front, fb), (middle, mb), (data, db)] = parts;
    let p = Parts {
        version,
        front,
        middle,
        data,
        elided: None,
    };
    if let Some(d) = msg::decode(ty.0, &p, [fb, mb, db], src, ctx, true) {
        return d;
    }
    msg::Decoded {
        nodes: tree_with(ctx, ty, version, parts, src),
        ..msg::Decoded::default()
    }
}

/// The message as Ceph's log prints it (the text between a `debug_ms` log
/// line's `====` fences, without the trailing ` v<version>`), or `None`
/// when its type is not decoded here or its front does not decode. Without
/// a header, an osd_op_reply's tid prints as `?`; see [`summary_with`].
pub fn summary(
    ty: MsgType,
    version: u16,
    front: &[u8],
    middle: &[u8],
    data: &[u8],
) -> Option<String> {
    summary_with(&MsgContext::default(), ty, version, front, middle, data)
}

/// [`summary`] with what the caller knows beyond the segments: the
/// header's tid (printed by osd_op_reply, and by osd_op when the request
/// id is left for the receiver) and the sender's entity name.
pub fn summary_with(
    ctx: &MsgContext,
    ty: MsgType,
    version: u16,
    front: &[u8],
    middle: &[u8],
    data: &[u8],
) -> Option<String> {
    let p = Parts {
        version,
        front,
        middle,
        data,
        elided: None,
    };
    msg::decode(ty.0, &p, [0; 3], Source::Wire, ctx, false).and_then(|d| d.text)
}
