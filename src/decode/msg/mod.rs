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
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// `ceph_msg_header2.version`.
    pub version: u16,
    /// Front.
    pub front: &'a [u8],
    /// Middle.
    pub middle: &'a [u8],
    /// Data.
    pub data: &'a [u8],
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
    let run = Run {
        p,
        bases,
        src,
        ctx,
        segments,
    };
    match ty {
        2 => run.go::<ping::Ping>(),
        4 => run.go::<mon_map::MonMapMsg>(),
        5 => run.go::<ping::MonGetMap>(),
        15 => run.go::<mon_subscribe::Subscribe>(),
        16 => run.go::<mon_subscribe::SubscribeAck>(),
        17 => run.go::<auth::Auth>(),
        18 => run.go::<auth::AuthReply>(),
        19 => run.go::<mon_version::GetVersion>(),
        20 => run.go::<mon_version::GetVersionReply>(),
        41 => run.go::<osd_map::OsdMap>(),
        42 => run.go::<osd_op::OsdOp>(),
        43 => run.go::<osd_op_reply::OsdOpReply>(),
        50 => run.go::<mon_command::Command>(),
        51 => run.go::<mon_command::CommandAck>(),
        52 => run.go::<log::Log>(),
        62 => run.go::<config::Config>(),
        71 => run.go::<osd_boot::Boot>(),
        73 => run.go::<osd_beacon::Alive>(),
        74 => run.go::<osd_boot::MarkMeDown>(),
        79 => run.go::<osd_beacon::Beacon>(),
        116 => run.go::<osd_beacon::PgCreated>(),
        120 => run.go::<pg_create::PgCreate2>(),
        0x704 => run.go::<mgr::MgrMap>(),
        _ => None,
    }
}

struct Run<'r, 'a> {
    p: &'r Parts<'a>,
    bases: [usize; 3],
    src: Source,
    ctx: &'r MsgContext,
    segments: bool,
}

impl Run<'_, '_> {
    fn span(&self, start: usize, len: usize) -> Option<Span> {
        Some(Span {
            source: self.src,
            range: start..start.saturating_add(len),
        })
    }

    fn go<B: Body>(&self) -> Option<Decoded> {
        let p = self.p;
        if !B::supports(p.version) {
            return None;
        }
        let base = self.bases[0];
        let mut b = B::default();
        let notes = RefCell::new(Vec::new());
        let res = run(p.front, base, B::NODE, &notes, |i| b.parse(i, p));
        let notes = notes.into_inner();
        let error = res.err();
        let text = error.is_none().then(|| b.text(p, self.ctx));
        let mut o = Out::new(self.src, p.front, base);
        b.view(&mut o, p);
        let mut kids = o.finish();
        if let Some(e) = &error {
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
        let mut node = FieldNode::new(B::NODE, Value::None, self.span(base, p.front.len()));
        node.children = kids;
        node.summary = text.clone();
        let mut nodes = vec![node];
        if self.segments {
            if !p.middle.is_empty() {
                nodes.push(FieldNode::new(
                    &MIDDLE,
                    Value::Bytes(p.middle.to_vec()),
                    self.span(self.bases[1], p.middle.len()),
                ));
            }
            if !p.data.is_empty() {
                nodes.push(self.data_node(&b.data_pieces()));
            }
        }
        Some(Decoded {
            nodes,
            text,
            error,
            notes,
        })
    }

    /// The data segment as bytes, with its length and its pieces (as far
    /// as the bytes go).
    fn data_node(&self, pieces: &[(&'static FieldDef, u64)]) -> FieldNode {
        let data = self.p.data;
        let base = self.bases[2];
        let mut node = FieldNode::new(
            &DATA,
            Value::Bytes(data.to_vec()),
            self.span(base, data.len()),
        );
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
                Value::Bytes(b.to_vec()),
                self.span(base.saturating_add(at), n),
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
