//! Field trees as a view of typed values: a small builder that turns a
//! value's spans into nodes. Nothing here reads bytes.

use super::prim::{VDefs, VHeader};
use super::Sp;
use crate::model::{FieldDef, FieldNode, Source, Span, Value};

/// Builds the nodes of one level of a tree.
#[derive(Debug)]
pub struct Nodes {
    src: Source,
    /// The nodes built so far.
    pub out: Vec<FieldNode>,
}

impl Nodes {
    /// An empty level whose spans index `src` bytes.
    pub fn new(src: Source) -> Self {
        Nodes {
            src,
            out: Vec::new(),
        }
    }

    /// The span of `sp`.
    pub fn span<T>(&self, sp: &Sp<T>) -> Option<Span> {
        Some(Span {
            source: self.src,
            range: sp.range(),
        })
    }

    /// A span from a frame range.
    pub fn range(&self, at: usize, len: usize) -> Option<Span> {
        Some(Span {
            source: self.src,
            range: at..at.saturating_add(len),
        })
    }

    /// Push a leaf.
    pub fn leaf<T>(&mut self, def: &'static FieldDef, value: Value, sp: &Sp<T>) -> &mut Self {
        let span = self.span(sp);
        self.push(FieldNode::new(def, value, span))
    }

    /// Push a node.
    pub fn push(&mut self, n: FieldNode) -> &mut Self {
        self.out.push(n);
        self
    }

    /// Set the summary text of the node pushed last.
    pub fn summary(&mut self, text: impl Into<String>) -> &mut Self {
        if let Some(n) = self.out.last_mut() {
            n.summary = Some(text.into());
        }
        self
    }

    /// Push a generated node (a value derived, not on the wire).
    pub fn generated(&mut self, def: &'static FieldDef, value: Value) -> &mut Self {
        self.push(FieldNode::new(def, value, None))
    }

    /// An unsigned integer leaf.
    pub fn uint<T: Copy + Into<u64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) -> &mut Self {
        self.leaf(def, Value::Uint(sp.v.into()), sp)
    }

    /// A hexadecimal integer leaf.
    pub fn hex<T: Copy + Into<u64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) -> &mut Self {
        self.leaf(def, Value::Uint(sp.v.into()), sp)
    }

    /// A signed integer leaf.
    pub fn int<T: Copy + Into<i64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) -> &mut Self {
        self.leaf(def, Value::Int(sp.v.into()), sp)
    }

    /// A boolean leaf.
    pub fn bool(&mut self, def: &'static FieldDef, sp: &Sp<bool>) -> &mut Self {
        self.leaf(def, Value::Bool(sp.v), sp)
    }

    /// An enumerated leaf, named by `name`.
    pub fn enumerated<T: Copy + Into<u64>>(
        &mut self,
        def: &'static FieldDef,
        sp: &Sp<T>,
        name: fn(u64) -> Option<&'static str>,
    ) -> &mut Self {
        let v = sp.v.into();
        self.leaf(def, Value::Enum(v, name(v)), sp)
    }

    /// A text leaf.
    pub fn str(&mut self, def: &'static FieldDef, sp: &Sp<String>) -> &mut Self {
        self.leaf(def, Value::Str(sp.v.clone()), sp)
    }

    /// A bytes leaf.
    pub fn bytes(&mut self, def: &'static FieldDef, sp: &Sp<Vec<u8>>) -> &mut Self {
        self.leaf(def, Value::Bytes(sp.v.clone()), sp)
    }

    /// A utime_t leaf.
    pub fn time(&mut self, def: &'static FieldDef, sp: &Sp<(u32, u32)>) -> &mut Self {
        self.leaf(def, Value::Time(i64::from(sp.v.0), sp.v.1), sp)
    }

    /// A group over `at..at+len` whose children `build` makes.
    pub fn group(
        &mut self,
        def: &'static FieldDef,
        value: Value,
        at: usize,
        len: usize,
        build: impl FnOnce(&mut Nodes),
    ) -> &mut Self {
        let mut kids = Nodes::new(self.src);
        build(&mut kids);
        let mut n = FieldNode::new(def, value, self.range(at, len));
        n.children = kids.out;
        self.push(n)
    }

    /// The nodes of an ENCODE_START header (and, when the body had bytes
    /// past its known fields, a node over them).
    pub fn vheader(&mut self, defs: VDefs, extra: &'static FieldDef, h: &VHeader, bytes: &[u8]) {
        self.uint(defs.v, &h.v);
        self.uint(defs.compat, &h.compat);
        self.uint(defs.len, &h.len);
        if let Some(x) = &h.extra {
            let b = bytes.get(x.range()).unwrap_or(&[]).to_vec();
            self.leaf(extra, Value::Bytes(b), x);
        }
    }

    /// Take the nodes.
    pub fn finish(self) -> Vec<FieldNode> {
        self.out
    }
}

/// Builders for values that may be cut short: leaves that were not parsed
/// (an empty span) are skipped, and a group's span is what its children
/// cover, so a payload that ends early shows exactly what was read.
impl Nodes {
    /// Where the spans point.
    pub fn source(&self) -> Source {
        self.src
    }

    /// An unsigned leaf, when parsed.
    pub fn opt_uint<T: Copy + Into<u64>>(
        &mut self,
        def: &'static FieldDef,
        sp: &Sp<T>,
    ) -> &mut Self {
        if sp.len > 0 {
            self.uint(def, sp);
        }
        self
    }

    /// A leaf of `value`, when `sp` was parsed.
    pub fn opt_leaf<T>(&mut self, def: &'static FieldDef, value: Value, sp: &Sp<T>) -> &mut Self {
        if sp.len > 0 {
            self.leaf(def, value, sp);
        }
        self
    }

    /// An enumerated leaf, when parsed.
    pub fn opt_enum<T: Copy + Into<u64>>(
        &mut self,
        def: &'static FieldDef,
        sp: &Sp<T>,
        name: fn(u64) -> Option<&'static str>,
    ) -> &mut Self {
        if sp.len > 0 {
            self.enumerated(def, sp, name);
        }
        self
    }

    /// A group whose span is what its children cover; nothing when no
    /// child was parsed.
    pub fn wrap(
        &mut self,
        def: &'static FieldDef,
        value: Value,
        build: impl FnOnce(&mut Nodes),
    ) -> &mut Self {
        let mut kids = Nodes::new(self.src);
        build(&mut kids);
        let covered = kids.out.iter().filter_map(|c| c.span.as_ref()).fold(
            None,
            |acc: Option<(usize, usize)>, s| {
                Some(acc.map_or((s.range.start, s.range.end), |(a, b)| {
                    (a.min(s.range.start), b.max(s.range.end))
                }))
            },
        );
        if let Some((a, b)) = covered {
            let mut n = FieldNode::new(def, value, self.range(a, b.saturating_sub(a)));
            n.children = kids.out;
            self.push(n);
        }
        self
    }

    /// The fault, as one `ceph.malformed` node at its exact bytes.
    pub fn fault(&mut self, e: &super::DencError) -> &mut Self {
        let span = self.range(e.offset, e.len);
        self.push(FieldNode::new(
            &crate::model::tree::MALFORMED,
            Value::Str(e.to_string()),
            span,
        ))
    }
}
