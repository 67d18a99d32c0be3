//! Building field trees from bytes: a bounded cursor over a frame's bytes
//! and a builder that records every field with its exact span.
//!
//! Length-prefixed data is read inside a bounded child cursor and must be
//! consumed exactly; leftovers become a `trailing` node, a short read a
//! `malformed` node at the offset where the bytes ran out. Nothing here
//! panics or allocates from an unchecked length.
//!
//! Depth is bounded: a builder opens at most [`MAX_NESTING`] levels of
//! [`Tree::group`] and [`Tree::bounded`] (a deeper one is `malformed`), so a
//! decoder that follows nested input can never build a tree deeper than
//! that, and every recursive walk over a tree (`-V`, JSON, the filter, the
//! TUI's tree pane) is bounded with it.

use super::field::{FieldDef, FieldNode, Source, Span, Value};
use crate::fields;

fields! {
    MALFORMED = "ceph.malformed", "Malformed", Str, "The bytes end before the structure does, or hold an impossible value.";
    TRAILING = "ceph.trailing", "Trailing bytes", Bytes, "Bytes left over after a structure that should have used them all.";
}

/// Levels of subtrees one builder may open inside each other.
pub const MAX_NESTING: usize = 32;

/// Largest length-prefixed item accepted inside a payload.
pub const MAX_BLOB: usize = 64 << 20;

/// A read that ran past the end of its bounds, or a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Offset (in the frame's bytes) where it happened.
    pub offset: usize,
    /// What was being read and what went wrong.
    pub what: String,
}

/// Result of a read.
pub type Res<T> = Result<T, Malformed>;

/// Builds the nodes of one structure from a bounded slice.
#[derive(Debug)]
pub struct Tree<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` within the frame's bytes.
    base: usize,
    source: Source,
    nodes: Vec<FieldNode>,
    /// Subtrees open around the nodes being read.
    depth: usize,
}

impl<'a> Tree<'a> {
    /// A builder over `buf`, which starts at `base` in the frame's bytes.
    pub fn new(buf: &'a [u8], base: usize, source: Source) -> Self {
        Tree {
            buf,
            pos: 0,
            base,
            source,
            nodes: Vec::new(),
            depth: 0,
        }
    }

    /// Open one more level of subtree for `def`, or fail past [`MAX_NESTING`].
    fn nest(&self, def: &FieldDef) -> Res<usize> {
        if self.depth >= MAX_NESTING {
            return Err(Malformed {
                offset: self.offset(),
                what: format!("{}: nested more than {MAX_NESTING} levels", def.abbrev),
            });
        }
        Ok(self.depth + 1)
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Frame offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Span of `len` bytes starting `back` bytes before the next one.
    pub fn span(&self, start: usize, len: usize) -> Span {
        Span {
            source: self.source,
            range: start..start + len,
        }
    }

    /// Take `n` raw bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Res<(&'a [u8], Span)> {
        let start = self.offset();
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end))
            .ok_or_else(|| Malformed {
                offset: start,
                what: format!("{what}: needs {n} bytes, {} left", self.remaining()),
            })?;
        self.pos += n;
        Ok((bytes, self.span(start, n)))
    }

    fn le<const N: usize>(&mut self, what: &str) -> Res<([u8; N], Span)> {
        let (b, sp) = self.take(N, what)?;
        let arr: [u8; N] = b.try_into().map_err(|_| Malformed {
            offset: sp.range.start,
            what: what.into(),
        })?;
        Ok((arr, sp))
    }

    /// Read an unsigned little-endian integer of `width` bytes (1, 2, 4, 8) without a node.
    pub fn read_uint(&mut self, width: usize, what: &str) -> Res<(u64, Span)> {
        Ok(match width {
            1 => {
                let (b, s) = self.le::<1>(what)?;
                (u64::from(b[0]), s)
            }
            2 => {
                let (b, s) = self.le::<2>(what)?;
                (u64::from(u16::from_le_bytes(b)), s)
            }
            4 => {
                let (b, s) = self.le::<4>(what)?;
                (u64::from(u32::from_le_bytes(b)), s)
            }
            _ => {
                let (b, s) = self.le::<8>(what)?;
                (u64::from_le_bytes(b), s)
            }
        })
    }

    /// Push a node.
    pub fn push(&mut self, node: FieldNode) -> &mut FieldNode {
        self.nodes.push(node);
        match self.nodes.last_mut() {
            Some(n) => n,
            None => unreachable_node(),
        }
    }

    /// An unsigned field of `width` bytes.
    pub fn uint(&mut self, def: &'static FieldDef, width: usize) -> Res<u64> {
        let (v, sp) = self.read_uint(width, def.abbrev)?;
        self.nodes
            .push(FieldNode::new(def, Value::Uint(v), Some(sp)));
        Ok(v)
    }

    /// A signed field of `width` bytes.
    pub fn int(&mut self, def: &'static FieldDef, width: usize) -> Res<i64> {
        let (v, sp) = self.read_uint(width, def.abbrev)?;
        let signed = match width {
            1 => i64::from(v as u8 as i8),
            2 => i64::from(v as u16 as i16),
            4 => i64::from(v as u32 as i32),
            _ => v as i64,
        };
        self.nodes
            .push(FieldNode::new(def, Value::Int(signed), Some(sp)));
        Ok(signed)
    }

    /// A boolean byte.
    pub fn bool(&mut self, def: &'static FieldDef) -> Res<bool> {
        let (v, sp) = self.read_uint(1, def.abbrev)?;
        self.nodes
            .push(FieldNode::new(def, Value::Bool(v != 0), Some(sp)));
        Ok(v != 0)
    }

    /// An integer with a name from `names`.
    pub fn enumerated(
        &mut self,
        def: &'static FieldDef,
        width: usize,
        names: fn(u64) -> Option<&'static str>,
    ) -> Res<u64> {
        let (v, sp) = self.read_uint(width, def.abbrev)?;
        self.nodes
            .push(FieldNode::new(def, Value::Enum(v, names(v)), Some(sp)));
        Ok(v)
    }

    /// `n` raw bytes as a field.
    pub fn bytes(&mut self, def: &'static FieldDef, n: usize) -> Res<&'a [u8]> {
        let (b, sp) = self.take(n, def.abbrev)?;
        self.nodes
            .push(FieldNode::new(def, Value::Bytes(b.to_vec()), Some(sp)));
        Ok(b)
    }

    /// A `le32` length, checked against what is left (and [`MAX_BLOB`]).
    pub fn length(&mut self, what: &str) -> Res<(usize, Span)> {
        let (n, sp) = self.read_uint(4, what)?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > self.remaining() || n > MAX_BLOB {
            return Err(Malformed {
                offset: sp.range.start,
                what: format!(
                    "{what}: length {n} but only {} bytes left",
                    self.remaining()
                ),
            });
        }
        Ok((n, sp))
    }

    /// A bufferlist (`le32 len` + bytes) as a bytes field spanning both.
    pub fn blob(&mut self, def: &'static FieldDef) -> Res<&'a [u8]> {
        let start = self.offset();
        let (n, _) = self.length(def.abbrev)?;
        let (b, _) = self.take(n, def.abbrev)?;
        self.nodes.push(FieldNode::new(
            def,
            Value::Bytes(b.to_vec()),
            Some(self.span(start, 4 + n)),
        ));
        Ok(b)
    }

    /// A string (`le32 len` + bytes, shown lossily as UTF-8).
    pub fn string(&mut self, def: &'static FieldDef) -> Res<String> {
        let start = self.offset();
        let (n, _) = self.length(def.abbrev)?;
        let (b, _) = self.take(n, def.abbrev)?;
        let s = String::from_utf8_lossy(b).into_owned();
        self.nodes.push(FieldNode::new(
            def,
            Value::Str(s.clone()),
            Some(self.span(start, 4 + n)),
        ));
        Ok(s)
    }

    /// A subtree: `build` reads its children from this same cursor; the
    /// group's span covers what they consumed. A failure inside keeps the
    /// children read so far and is passed on.
    pub fn group(
        &mut self,
        def: &'static FieldDef,
        build: impl FnOnce(&mut Tree<'a>) -> Res<()>,
    ) -> Res<&mut FieldNode> {
        let inner = self.nest(def)?;
        let start = self.offset();
        let outer = std::mem::take(&mut self.nodes);
        let depth = std::mem::replace(&mut self.depth, inner);
        let res = build(self);
        self.depth = depth;
        let children = std::mem::replace(&mut self.nodes, outer);
        let mut node = FieldNode::new(
            def,
            Value::None,
            Some(self.span(start, self.offset() - start)),
        );
        node.children = children;
        let node = self.push(node);
        match res {
            Ok(()) => Ok(node),
            Err(e) => Err(e),
        }
    }

    /// A subtree over the next `len` bytes, which must be consumed exactly.
    pub fn bounded(
        &mut self,
        def: &'static FieldDef,
        len: usize,
        build: impl FnOnce(&mut Tree<'a>) -> Res<()>,
    ) -> Res<()> {
        let inner = self.nest(def)?;
        let start = self.offset();
        let (b, _) = self.take(len, def.abbrev)?;
        let mut child = Tree::new(b, start, self.source);
        child.depth = inner;
        let res = build(&mut child);
        let mut node = FieldNode::new(def, Value::None, Some(self.span(start, len)));
        node.children = child.finish_with(res.clone());
        self.nodes.push(node);
        res.map(|_| ())
    }

    /// Add a generated node (a value derived, not read).
    pub fn generated(&mut self, def: &'static FieldDef, value: Value) -> &mut FieldNode {
        self.push(FieldNode::new(def, value, None))
    }

    /// The nodes, with a `malformed` node if `res` failed and a `trailing`
    /// node for unread bytes.
    pub fn finish_with(mut self, res: Res<()>) -> Vec<FieldNode> {
        match res {
            Err(e) => {
                let len = (self.base + self.buf.len()).saturating_sub(e.offset);
                let sp = self.span(e.offset, len);
                self.nodes
                    .push(FieldNode::new(&MALFORMED, Value::Str(e.what), Some(sp)));
            }
            Ok(()) if self.remaining() > 0 => {
                let start = self.offset();
                let rest = self.buf.get(self.pos..).unwrap_or(&[]);
                let sp = self.span(start, rest.len());
                self.nodes.push(FieldNode::new(
                    &TRAILING,
                    Value::Bytes(rest.to_vec()),
                    Some(sp),
                ));
            }
            Ok(()) => {}
        }
        self.nodes
    }

    /// The nodes read so far (no checks).
    pub fn into_nodes(self) -> Vec<FieldNode> {
        self.nodes
    }
}

/// `Vec::last_mut` after a push is never `None`; this keeps the type
/// checker satisfied without a panic path.
fn unreachable_node() -> &'static mut FieldNode {
    Box::leak(Box::new(FieldNode::new(
        &MALFORMED,
        Value::Str("internal: empty tree".into()),
        None,
    )))
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    dead_code
)]
mod tests {
    use super::*;

    fields! {
        A = "t.a", "A", Uint, "a";
        S = "t.s", "S", Str, "s";

    }

    /// A decoder following its input into ever deeper subtrees.
    fn nested(t: &mut Tree<'_>, left: usize) -> Res<()> {
        t.uint(&A, 1)?;
        if left == 0 {
            return Ok(());
        }
        if left % 2 == 0 {
            t.group(&A, |t| nested(t, left - 1)).map(|_| ())
        } else {
            let n = t.remaining();
            t.bounded(&A, n, |t| nested(t, left - 1))
        }
    }

    #[test]
    fn nesting_is_capped() {
        let bytes = [7u8; 100];
        let mut t = Tree::new(&bytes, 0, Source::Wire);
        let res = nested(&mut t, 90);
        assert_eq!(
            res.clone().unwrap_err().what,
            format!("t.a: nested more than {MAX_NESTING} levels")
        );
        let mut root = FieldNode::new(&A, Value::None, None);
        root.children = t.finish_with(res);
        // The root, MAX_NESTING subtrees, and their leaves.
        assert_eq!(root.depth(), MAX_NESTING + 2);
        // Every level that reports the failure names the same offset:
        // one byte per level, and the 33rd level is the one refused.
        let bad: Vec<usize> = root
            .walk()
            .into_iter()
            .filter(|n| n.def.abbrev == "ceph.malformed")
            .filter_map(|n| n.span.as_ref().map(|s| s.range.start))
            .collect();
        assert!(!bad.is_empty());
        assert!(bad.iter().all(|&o| o == MAX_NESTING + 1), "{bad:?}");

        let mut t = Tree::new(&bytes, 0, Source::Wire);
        let res = nested(&mut t, MAX_NESTING);
        assert!(res.is_ok());
    }

    #[test]
    fn spans_and_malformed() {
        let bytes = [1u8, 0, 3, 0, 0, 0, b'a', b'b', b'c', 9];
        let mut t = Tree::new(&bytes, 100, Source::Wire);
        let res = (|| {
            t.uint(&A, 2)?;
            t.string(&S)?;
            Ok(())
        })();
        let nodes = t.finish_with(res);
        assert_eq!(nodes[0].value, Value::Uint(1));
        assert_eq!(nodes[0].span.as_ref().unwrap().range, 100..102);
        assert_eq!(nodes[1].value, Value::Str("abc".into()));
        assert_eq!(nodes[1].span.as_ref().unwrap().range, 102..109);
        assert_eq!(nodes[2].def.abbrev, "ceph.trailing");
        assert_eq!(nodes[2].span.as_ref().unwrap().range, 109..110);

        let short = [5u8, 0, 0, 0, b'x'];
        let mut t = Tree::new(&short, 0, Source::Wire);
        let res = t.string(&S).map(|_| ());
        let nodes = t.finish_with(res);
        assert_eq!(nodes[0].def.abbrev, "ceph.malformed");
        assert_eq!(nodes[0].span.as_ref().unwrap().range, 0..5);
    }
}
