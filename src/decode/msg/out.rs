//! What every message body shares: the view builder that turns parsed
//! values into field nodes (only the fields that were read), versioned
//! structures (DECODE_START / DENC_START) and Ceph's containers of strings.
//!
//! ```text
//! DECODE_START(v, bl):  u8 struct_v | u8 struct_compat | le32 struct_len | body
//!   include/encoding.h: struct_compat > v            -> malformed_input (compat too new)
//!                       struct_len > bytes remaining -> malformed_input (DECODE_ERR_PAST)
//! DENC_START(v, c, p):  the same bytes; include/denc.h checks neither: a
//!                       struct_len past the buffer ends in end_of_buffer
//! ```

use crate::decode::grammar::prim::{count, length, string, u8_};
use crate::decode::grammar::view::Nodes;
use crate::decode::grammar::{note, offset, DencError, Fault, In, Note, NoteKind, PResult, Sp};
use crate::model::{FieldDef, FieldNode, Source, Span, Value};
use nom::Input;

use super::denc::{EXTRA, STRUCT_COMPAT, STRUCT_LEN, STRUCT_V};
use super::print::{snap_text, uuid_text};

/// Builds field nodes from parsed values; a value whose span is empty was
/// not read and gets no node.
#[derive(Debug)]
pub struct Out<'f> {
    /// The nodes so far.
    pub n: Nodes,
    src: Source,
    front: &'f [u8],
    base: usize,
}

impl<'f> Out<'f> {
    /// A view over `front`, whose first byte is at frame offset `base`.
    pub fn new(src: Source, front: &'f [u8], base: usize) -> Self {
        Out {
            n: Nodes::new(src),
            src,
            front,
            base,
        }
    }

    /// The byte source of the nodes.
    pub fn src(&self) -> Source {
        self.src
    }

    /// The front's bytes of a frame range.
    pub fn bytes(&self, at: usize, len: usize) -> &'f [u8] {
        let s = at.saturating_sub(self.base);
        self.front.get(s..s.saturating_add(len)).unwrap_or(&[])
    }

    /// An unsigned leaf.
    pub fn uint<T: Copy + Into<u64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) {
        if sp.len > 0 {
            self.n.uint(def, sp);
        }
    }

    /// A signed leaf.
    pub fn int<T: Copy + Into<i64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) {
        if sp.len > 0 {
            self.n.int(def, sp);
        }
    }

    /// A signed result leaf (0 or a negative errno), shown with the
    /// errno's name: `Result: -95 EOPNOTSUPP`.
    pub fn result<T: Copy + Into<i64>>(&mut self, def: &'static FieldDef, sp: &Sp<T>) {
        if sp.len > 0 {
            let v: i64 = sp.v.into();
            self.n.int(def, sp);
            if crate::decode::errno::name(v).is_some() {
                self.n.summary(crate::decode::errno::text(v));
            }
        }
    }

    /// A boolean leaf.
    pub fn boolean(&mut self, def: &'static FieldDef, sp: &Sp<bool>) {
        if sp.len > 0 {
            self.n.bool(def, sp);
        }
    }

    /// A named integer leaf.
    pub fn named<T: Copy + Into<u64>>(
        &mut self,
        def: &'static FieldDef,
        sp: &Sp<T>,
        names: fn(u64) -> Option<&'static str>,
    ) {
        if sp.len > 0 {
            self.n.enumerated(def, sp, names);
        }
    }

    /// A text leaf.
    pub fn str(&mut self, def: &'static FieldDef, sp: &Sp<String>) {
        if sp.len > 0 {
            self.n.str(def, sp);
        }
    }

    /// A utime_t leaf.
    pub fn time(&mut self, def: &'static FieldDef, sp: &Sp<(u32, u32)>) {
        if sp.len > 0 {
            self.n.time(def, sp);
        }
    }

    /// A uuid_d leaf, shown as Ceph prints it.
    pub fn uuid(&mut self, def: &'static FieldDef, sp: &Sp<[u8; 16]>) {
        if sp.len > 0 {
            self.n.leaf(def, Value::Str(uuid_text(&sp.v)), sp);
        }
    }

    /// A snapid_t leaf with Ceph's text for it as its summary.
    pub fn snap(&mut self, def: &'static FieldDef, sp: &Sp<u64>) {
        if sp.len > 0 {
            self.n.uint(def, sp).summary(snap_text(sp.v));
        }
    }

    /// A bytes leaf over the span's bytes (`skip` leading bytes, a length
    /// prefix, are in the span but not in the value).
    pub fn raw(&mut self, def: &'static FieldDef, sp: &Option<Sp<()>>, skip: usize) {
        if let Some(sp) = sp {
            let b = self
                .bytes(sp.at.saturating_add(skip), sp.len.saturating_sub(skip))
                .to_vec();
            self.n.leaf(def, Value::Bytes(b), sp);
        }
    }

    /// A generated node.
    pub fn gen(&mut self, def: &'static FieldDef, value: Value) {
        self.n.generated(def, value);
    }

    /// A group of `def` whose children `build` makes; its span covers
    /// theirs. Nothing when no child was read.
    pub fn group(
        &mut self,
        def: &'static FieldDef,
        value: Value,
        summary: Option<String>,
        build: impl FnOnce(&mut Out<'f>),
    ) {
        let mut kids = Out::new(self.src, self.front, self.base);
        build(&mut kids);
        let kids = kids.n.finish();
        let spans = kids.iter().filter_map(|k| k.span.as_ref());
        let start = spans.clone().map(|s| s.range.start).min();
        let end = spans.map(|s| s.range.end).max();
        let (Some(start), Some(end)) = (start, end) else {
            return;
        };
        let mut node = FieldNode::new(
            def,
            value,
            Some(Span {
                source: self.src,
                range: start..end,
            }),
        );
        node.children = kids;
        node.summary = summary;
        self.n.push(node);
    }

    /// The header of a versioned structure.
    pub fn vh_head(&mut self, h: &Vh) {
        self.uint(&STRUCT_V, &h.v);
        self.uint(&STRUCT_COMPAT, &h.compat);
        self.uint(&STRUCT_LEN, &h.len);
    }

    /// A versioned structure's newer fields' bytes, after its known fields.
    pub fn vh_tail(&mut self, h: &Vh) {
        self.raw(&EXTRA, &h.extra, 0);
    }

    /// Take the nodes.
    pub fn finish(self) -> Vec<FieldNode> {
        self.n.finish()
    }
}

/// The span a parse covered, from frame offset `at` to the input `rest`.
pub fn span_to(at: usize, rest: &In<'_>) -> Sp<()> {
    Sp {
        v: (),
        at,
        len: offset(rest).saturating_sub(at),
    }
}

/// Which of Ceph's versioning macros decodes a structure.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// DECODE_START(v): refuses a struct_compat above `v` and a
    /// struct_len past the buffer (malformed_input).
    Decode(u8),
    /// DENC_START: no checks; a struct_len past the buffer runs out of
    /// bytes (end_of_buffer).
    Denc,
}

/// A versioned structure's header as read so far.
#[derive(Debug, Clone, Default)]
pub struct Vh {
    /// struct_v.
    pub v: Sp<u8>,
    /// struct_compat.
    pub compat: Sp<u8>,
    /// struct_len.
    pub len: Sp<u32>,
    /// Bytes past the fields this decoder knows (DECODE_FINISH skips them).
    pub extra: Option<Sp<()>>,
}

impl Vh {
    /// Read the header into `self`; returns the input after the structure
    /// and the body (exactly struct_len bytes).
    pub fn start<'a>(&mut self, how: Start, i: In<'a>) -> PResult<'a, In<'a>> {
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.v = v;
        let (i, c) = u8_(&STRUCT_COMPAT)(i)?;
        self.compat = c.clone();
        if let Start::Decode(max) = how {
            if c.v > max {
                // encoding.h DECODE_START: v < struct_compat -> malformed_input.
                return DencError::new(
                    Fault::CompatTooNew,
                    c.at,
                    format!("struct_compat <= {max}"),
                    c.v.to_string(),
                )
                .label(STRUCT_COMPAT.abbrev)
                .fail();
            }
        }
        let (i, len) = match length(&STRUCT_LEN)(i) {
            // encoding.h DECODE_START: struct_len > remaining ->
            // malformed_input (DECODE_ERR_PAST); denc.h reads on and runs
            // out (end_of_buffer).
            Err(nom::Err::Failure(mut e)) if matches!(how, Start::Decode(_)) => {
                if e.fault == Fault::EndOfBuffer {
                    e.fault = Fault::Malformed;
                }
                return Err(nom::Err::Failure(e));
            }
            r => r?,
        };
        self.len = len.clone();
        let n = usize::try_from(len.v).unwrap_or(usize::MAX);
        Ok(i.take_split(n))
    }

    /// The body's bytes the fields left: a newer encoder's fields, skipped
    /// as DECODE_FINISH does, with a note on `group`.
    pub fn finish(&mut self, group: &'static FieldDef, left: &In<'_>) {
        let n = left.input_len();
        if n == 0 {
            return;
        }
        let at = offset(left);
        note(
            left,
            Note {
                kind: NoteKind::Extra,
                offset: at,
                len: n,
                field: group.abbrev,
                expected: format!("fields of struct_v {}", self.v.v),
                found: format!("{n} more bytes"),
            },
        );
        self.extra = Some(Sp { v: (), at, len: n });
    }
}

/// Defs of a `vector<string>` / `set<string>` group.
#[derive(Debug)]
pub struct ListDefs {
    /// The group.
    pub group: &'static FieldDef,
    /// Its count.
    pub count: &'static FieldDef,
    /// One string.
    pub item: &'static FieldDef,
}

/// A `vector<string>` or `set<string>`.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    /// Count.
    pub count: Sp<u32>,
    /// Strings read.
    pub items: Vec<Sp<String>>,
}

impl Strings {
    /// Parse: the count (each string takes at least its 4-byte length),
    /// then the strings.
    pub fn parse<'a>(&mut self, d: &ListDefs, i: In<'a>) -> PResult<'a, ()> {
        let (mut i, n) = count(d.count, 4)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let (rest, s) = string(d.item)(i)?;
            self.items.push(s);
            i = rest;
        }
        Ok((i, ()))
    }

    /// The strings' values.
    pub fn values(&self) -> Vec<String> {
        self.items.iter().map(|s| s.v.clone()).collect()
    }

    /// The group.
    pub fn view(&self, o: &mut Out<'_>, d: &ListDefs) {
        o.group(d.group, Value::None, None, |o| {
            o.uint(d.count, &self.count);
            for s in &self.items {
                o.str(d.item, s);
            }
        });
    }
}

/// Defs of a `map<string,string>` group.
#[derive(Debug)]
pub struct MapDefs {
    /// The group.
    pub group: &'static FieldDef,
    /// Its count.
    pub count: &'static FieldDef,
    /// One entry (valued `key=value`).
    pub entry: &'static FieldDef,
    /// Its key.
    pub key: &'static FieldDef,
    /// Its value.
    pub val: &'static FieldDef,
}

/// A `map<string,string>`.
#[derive(Debug, Clone, Default)]
pub struct StrMap {
    /// Count.
    pub count: Sp<u32>,
    /// Entries read (a value not read has an empty span).
    pub entries: Vec<(Sp<String>, Sp<String>)>,
}

impl StrMap {
    /// Parse: the count (each entry takes at least two lengths), then the
    /// entries.
    pub fn parse<'a>(&mut self, d: &MapDefs, i: In<'a>) -> PResult<'a, ()> {
        let (mut i, n) = count(d.count, 8)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let (rest, k) = string(d.key)(i)?;
            self.entries.push((k, Sp::default()));
            let (rest, v) = string(d.val)(rest)?;
            if let Some(e) = self.entries.last_mut() {
                e.1 = v;
            }
            i = rest;
        }
        Ok((i, ()))
    }

    /// The group: one entry group per entry.
    pub fn view(&self, o: &mut Out<'_>, d: &MapDefs) {
        o.group(d.group, Value::None, None, |o| {
            o.uint(d.count, &self.count);
            for (k, v) in &self.entries {
                let value = if v.len > 0 {
                    Value::Str(format!("{}={}", k.v, v.v))
                } else {
                    Value::None
                };
                o.group(d.entry, value, None, |o| {
                    o.str(d.key, k);
                    o.str(d.val, v);
                });
            }
        });
    }
}

/// A le16 count whose elements, `min_size` bytes each at least, must fit
/// in what is left: `end_of_buffer` on the count otherwise.
pub fn count16<'a>(
    def: &'static FieldDef,
    min_size: usize,
) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u16>> {
    move |i: In<'a>| {
        let (rest, n) = crate::decode::grammar::prim::le16(def)(i)?;
        let left = rest.input_len();
        let fit = left / min_size.max(1);
        if usize::from(n.v) > fit {
            return DencError::new(
                Fault::EndOfBuffer,
                n.at,
                format!("a count of at most {fit}"),
                format!("{} ({left} bytes left)", n.v),
            )
            .spanning(2)
            .label(def.abbrev)
            .fail();
        }
        Ok((rest, n))
    }
}
