//! Message bodies, one module per message family, and what they share.
//!
//! Each family implements [`Body`]: it parses the front once with the wire
//! grammar into its typed value (every field with its span), views that
//! value as field nodes, says how the data segment splits, and prints the
//! message the way Ceph's own `print()` does, which is what `debug_ms` log
//! lines show between `====` fences. [`decode`] picks the family by
//! message type and encoding version, and reports where Ceph's decoder
//! would throw and what it would skip.

pub mod auth;
pub mod config;
pub mod denc;
pub mod log;
pub mod mgr;
pub mod mon_command;
pub mod mon_map;
pub mod mon_subscribe;
pub mod mon_version;
pub mod osd_beacon;
pub mod osd_boot;
pub mod osd_map;
pub mod osd_op;
pub mod osd_op_reply;
pub mod osd_ops;
pub mod out;
pub mod pg_create;
pub mod ping;
pub mod print;
#[cfg(test)]
mod tests;

use crate::decode::grammar::{run, In, Note, NoteKind, PResult};
use crate::decode::messages::{DATA, DATA_LEN, MIDDLE};
use crate::model::tree::{MALFORMED, TRAILING};
use crate::model::{FieldDef, FieldNode, Source, Span, Value};
use out::Out;
use std::cell::RefCell;

/// What a message's text can use besides its bytes: the header's tid and
/// the sending entity's name (`client.4112`), when the caller knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MsgContext {
    /// `ceph_msg_header2.tid`.
    pub tid: Option<u64>,
    /// The sender's entity name (from the session's HELLO and ident frames).
    pub source: Option<String>,
}

impl MsgContext {
    /// The tid as text, `?` when unknown.
    pub fn tid_text(&self) -> String {
        self.tid.map_or_else(|| "?".into(), |t| t.to_string())
    }
}

/// A message's segments and encoding version.
#[derive(Debug, Clone)]
pub struct Parts<'a> {
    /// `ceph_msg_header2.version`.
    pub version: u16,
    /// Front.
    pub front: &'a [u8],
    /// Middle.
    pub middle: &'a [u8],
    /// Data.
    pub data: &'a [u8],
    /// Bytes of `data` that were checked but not kept and read as zeros
    /// ([`Frame::elided`](crate::msgr2::Frame::elided), relative to `data`).
    pub elided: Option<std::ops::Range<usize>>,
}

/// A message family's decoder: its typed value.
pub trait Body: Default {
    /// The group holding the front's fields.
    const NODE: &'static FieldDef;
    /// Whether this encoding version is one the decoder reads.
    fn supports(_version: u16) -> bool {
        true
    }
    /// Parse the front into `self`, field by field; on a fault `self`
    /// keeps what was read before it.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()>;
    /// The front's field nodes, from what was parsed.
    fn view(&self, o: &mut Out<'_>, p: &Parts<'_>);
    /// How the data segment splits, in order: (field, length).
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        Vec::new()
    }
    /// The message as Ceph's `print()` writes it (once fully parsed).
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String;
}

/// A decoded message: the front's group, then the middle and data
/// segments; its text when the front decoded; its encoding fault and notes.
pub use crate::decode::grammar::Decoded;

/// Decode a message of type `ty`, or `None` when its type (or encoding
/// version) is not one decoded here. `bases` are the frame offsets of the
/// front, middle and data; `segments` adds the middle and data nodes.
pub fn decode(
    ty: u16,
    p: &Parts<'_>,
    bases: [usize; 3],
    src: Source,
    ctx: &MsgContext,
    segments: bool,
) -> Option<Decoded> {
    let k = parse(ty, p, bases[0], ctx)?;
    Some(Decoded {
        nodes: k.nodes(p, bases, src, segments),
        text: k.text(p),
        error: k.error,
        notes: k.notes,
    })
}

/// A message front parsed once and kept as its typed value; its field
/// nodes are a view built when asked ([`Kept::nodes`]).
#[derive(Debug)]
pub struct Kept {
    value: Box<dyn Front>,
    /// What the text uses besides the bytes (tid, sender name).
    ctx: MsgContext,
    /// The first fault.
    pub error: Option<crate::decode::grammar::DencError>,
    /// Bytes Ceph would skip.
    pub notes: Vec<Note>,
}

/// What a kept front can do: its views.
trait Front: std::fmt::Debug + Send + Sync {
    fn view(&self, o: &mut Out<'_>, p: &Parts<'_>);
    fn node(&self) -> &'static FieldDef;
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)>;
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String;
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<B: Body + std::fmt::Debug + Send + Sync + 'static> Front for B {
    fn view(&self, o: &mut Out<'_>, p: &Parts<'_>) {
        Body::view(self, o, p);
    }
    fn node(&self) -> &'static FieldDef {
        B::NODE
    }
    fn data_pieces(&self) -> Vec<(&'static FieldDef, u64)> {
        Body::data_pieces(self)
    }
    fn text(&self, p: &Parts<'_>, ctx: &MsgContext) -> String {
        Body::text(self, p, ctx)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Parse the front of a message of type `ty` (at frame offset `base`)
/// once, or `None` when its type (or encoding version) is not one decoded
/// here.
pub fn parse(ty: u16, p: &Parts<'_>, base: usize, ctx: &MsgContext) -> Option<Kept> {
    let keep = |k: fn(&Parts<'_>, usize, &MsgContext) -> Option<Kept>| k(p, base, ctx);
    match ty {
        2 => keep(keep_as::<ping::Ping>),
        4 => keep(keep_as::<mon_map::MonMapMsg>),
        5 => keep(keep_as::<ping::MonGetMap>),
        15 => keep(keep_as::<mon_subscribe::Subscribe>),
        16 => keep(keep_as::<mon_subscribe::SubscribeAck>),
        17 => keep(keep_as::<auth::Auth>),
        18 => keep(keep_as::<auth::AuthReply>),
        19 => keep(keep_as::<mon_version::GetVersion>),
        20 => keep(keep_as::<mon_version::GetVersionReply>),
        41 => keep(keep_as::<osd_map::OsdMap>),
        42 => keep(keep_as::<osd_op::OsdOp>),
        43 => keep(keep_as::<osd_op_reply::OsdOpReply>),
        50 => keep(keep_as::<mon_command::Command>),
        51 => keep(keep_as::<mon_command::CommandAck>),
        52 => keep(keep_as::<log::Log>),
        62 => keep(keep_as::<config::Config>),
        71 => keep(keep_as::<osd_boot::Boot>),
        73 => keep(keep_as::<osd_beacon::Alive>),
        74 => keep(keep_as::<osd_boot::MarkMeDown>),
        79 => keep(keep_as::<osd_beacon::Beacon>),
        116 => keep(keep_as::<osd_beacon::PgCreated>),
        120 => keep(keep_as::<pg_create::PgCreate2>),
        0x704 => keep(keep_as::<mgr::MgrMap>),
        _ => None,
    }
}

fn keep_as<B: Body + std::fmt::Debug + Send + Sync + 'static>(
    p: &Parts<'_>,
    base: usize,
    ctx: &MsgContext,
) -> Option<Kept> {
    if !B::supports(p.version) {
        return None;
    }
    let mut b = B::default();
    let notes = RefCell::new(Vec::new());
    let res = run(p.front, base, B::NODE, &notes, |i| b.parse(i, p));
    Some(Kept {
        value: Box::new(b),
        ctx: ctx.clone(),
        error: res.err(),
        notes: notes.into_inner(),
    })
}

impl Kept {
    /// The message as Ceph's log prints it, when the front parsed whole
    /// (a view of the typed value, made when asked).
    pub fn text(&self, p: &Parts<'_>) -> Option<String> {
        self.error.is_none().then(|| self.value.text(p, &self.ctx))
    }

    /// The typed front, when it is a `B` (analyses read decoded values
    /// through this; they never parse the bytes again).
    pub fn front<B: 'static>(&self) -> Option<&B> {
        self.value.as_any().downcast_ref::<B>()
    }

    /// The message's nodes: the front's group (fields read, then the
    /// fault or trailing bytes), then with `segments` the middle and data
    /// segments. `bases` are the frame offsets of front, middle and data.
    pub fn nodes(
        &self,
        p: &Parts<'_>,
        bases: [usize; 3],
        src: Source,
        segments: bool,
    ) -> Vec<FieldNode> {
        let run = Run {
            p,
            bases,
            src,
            segments,
        };
        run.view(self)
    }
}

struct Run<'r, 'a> {
    p: &'r Parts<'a>,
    bases: [usize; 3],
    src: Source,
    segments: bool,
}

impl Run<'_, '_> {
    fn span(&self, start: usize, len: usize) -> Option<Span> {
        Some(Span {
            source: self.src,
            range: start..start.saturating_add(len),
        })
    }

    fn view(&self, k: &Kept) -> Vec<FieldNode> {
        let p = self.p;
        let base = self.bases[0];
        let (error, notes, text) = (&k.error, &k.notes, k.text(p));
        let mut o = Out::new(self.src, p.front, base);
        k.value.view(&mut o, p);
        let mut kids = o.finish();
        if let Some(e) = error {
            // One malformed node from the fault to the end of the front.
            let end = base.saturating_add(p.front.len());
            kids.push(FieldNode::new(
                &MALFORMED,
                Value::Str(e.to_string()),
                self.span(e.offset, end.saturating_sub(e.offset)),
            ));
        }
        for n in notes.iter().filter(|n| n.kind == NoteKind::Trailing) {
            kids.push(trailing(self, n));
        }
        let mut node = FieldNode::new(k.value.node(), Value::None, self.span(base, p.front.len()));
        node.children = kids;
        node.summary = text;
        let mut nodes = vec![node];
        if self.segments {
            if !p.middle.is_empty() {
                // Segment bytes stay in the frame: the view fills them in
                // (decode::payload::hydrate), so a row never holds a copy.
                nodes.push(FieldNode::new(
                    &MIDDLE,
                    Value::None,
                    self.span(self.bases[1], p.middle.len()),
                ));
            }
            if !p.data.is_empty() {
                nodes.push(self.data_node(&k.value.data_pieces()));
            }
        }
        nodes
    }

    /// The data segment as bytes, with its length and its pieces (as far
    /// as the bytes go).
    fn data_node(&self, pieces: &[(&'static FieldDef, u64)]) -> FieldNode {
        let data = self.p.data;
        let base = self.bases[2];
        // Bytes filled in by the view from the frame (payload::hydrate).
        let mut node = FieldNode::new(&DATA, Value::None, self.span(base, data.len()));
        node.summary = Some(format!("{} bytes", data.len()));
        node.children.push(FieldNode::new(
            &DATA_LEN,
            Value::Uint(u64::try_from(data.len()).unwrap_or(u64::MAX)),
            None,
        ));
        let mut at = 0usize;
        for (def, len) in pieces {
            let n = usize::try_from(*len).unwrap_or(usize::MAX);
            if n == 0 {
                continue;
            }
            let Some(b) = at.checked_add(n).and_then(|end| data.get(at..end)) else {
                break;
            };
            node.children.push(FieldNode::new(
                def,
                Value::None,
                self.span(base.saturating_add(at), b.len()),
            ));
            at = at.saturating_add(n);
        }
        node
    }
}

/// A `ceph.trailing` node over the bytes a trailing note names.
fn trailing(r: &Run<'_, '_>, n: &Note) -> FieldNode {
    let s = n.offset.saturating_sub(r.bases[0]);
    let b =
        r.p.front
            .get(s..s.saturating_add(n.len))
            .unwrap_or(&[])
            .to_vec();
    FieldNode::new(&TRAILING, Value::Bytes(b), r.span(n.offset, n.len))
}
