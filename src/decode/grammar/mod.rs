//! The wire grammar: Ceph's encoding primitives as nom parsers over a
//! located input, the error they fail with, and spanned values.
//!
//! Every payload decoder is a composition of the parsers in [`prim`]. The
//! input ([`In`]) knows where each byte sits in the frame's bytes, so each
//! value a parser returns carries its span ([`Sp`]) and the field tree and
//! hex highlighting built from it are exact. A parser that fails names the
//! field it was reading, the frame offset, and what Ceph's own decoder
//! would throw there ([`Fault`]): `end_of_buffer` when a length or count
//! runs past its buffer, `malformed_input` for a value Ceph refuses, and
//! the DECODE_START compat check (include/buffer.h, include/encoding.h).
//!
//! Things Ceph accepts but that are worth knowing (bytes of a newer
//! encoder's fields inside a `struct_len`, bytes after a payload's last
//! field) are recorded as [`Note`]s in a list the input carries along.

pub mod prim;
pub mod view;

use crate::model::FieldDef;
use nom::error::{ErrorKind, ParseError};
use nom_locate::LocatedSpan;
use std::cell::RefCell;
use std::fmt;

/// What travels with the input: the frame offset of its first byte and
/// where notes go.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'n> {
    /// Frame offset of the input's first byte.
    pub base: usize,
    /// Notes found so far.
    pub notes: &'n RefCell<Vec<Note>>,
}

/// The located input every parser takes.
pub type In<'a> = LocatedSpan<&'a [u8], Ctx<'a>>;

/// A parser's result.
pub type PResult<'a, T> = nom::IResult<In<'a>, T, DencError>;

/// A located input over `bytes`, which start at frame offset `base`.
pub fn input<'a>(bytes: &'a [u8], base: usize, notes: &'a RefCell<Vec<Note>>) -> In<'a> {
    LocatedSpan::new_extra(bytes, Ctx { base, notes })
}

/// Frame offset of the input's next byte.
pub fn offset(i: &In<'_>) -> usize {
    i.extra.base.saturating_add(i.location_offset())
}

/// What Ceph's decoder would throw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `buffer::end_of_buffer`: the bytes end before the field does.
    EndOfBuffer,
    /// `buffer::malformed_input`: a value the decoder refuses.
    Malformed,
    /// DECODE_START: struct_compat newer than the decoder understands.
    CompatTooNew,
}

impl Fault {
    /// Ceph's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::EndOfBuffer => "end_of_buffer",
            Fault::Malformed => "malformed_input",
            Fault::CompatTooNew => "compat_too_new",
        }
    }
}

/// Why a payload does not decode: the first field Ceph's decoder would
/// throw on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DencError {
    /// What Ceph would throw.
    pub fault: Fault,
    /// Frame offset of the field's first byte.
    pub offset: usize,
    /// Bytes concerned (at least 1).
    pub len: usize,
    /// The field being read (its abbrev), once known.
    pub field: Option<&'static str>,
    /// What a correct encoding has there.
    pub expected: String,
    /// What was found.
    pub found: String,
}

impl DencError {
    /// A fault at `offset`.
    pub fn new(
        fault: Fault,
        offset: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        DencError {
            fault,
            offset,
            len: 1,
            field: None,
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// The bytes end at `i` where `need` more were expected.
    pub fn short(i: &In<'_>, need: u64) -> Self {
        let left = i.fragment().len();
        DencError::new(
            Fault::EndOfBuffer,
            offset(i),
            format!("{need} bytes"),
            format!("{left} left"),
        )
    }

    /// Name the field, unless an inner parser already did.
    pub fn label(mut self, field: &'static str) -> Self {
        if self.field.is_none() {
            self.field = Some(field);
        }
        self
    }

    /// Set the number of bytes concerned.
    pub fn spanning(mut self, len: usize) -> Self {
        self.len = len.max(1);
        self
    }

    /// Wrap as a nom failure (no alternative is tried after it).
    pub fn fail<T>(self) -> Result<T, nom::Err<DencError>> {
        Err(nom::Err::Failure(self))
    }
}

impl fmt::Display for DencError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {}{}: expected {}, found {}",
            self.fault.as_str(),
            self.offset,
            self.field.map(|a| format!(" ({a})")).unwrap_or_default(),
            self.expected,
            self.found
        )
    }
}

impl<'a> ParseError<In<'a>> for DencError {
    fn from_error_kind(input: In<'a>, kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Eof | ErrorKind::Complete => DencError::short(&input, 1),
            other => DencError::new(
                Fault::Malformed,
                offset(&input),
                "a decodable value",
                format!("{other:?}"),
            ),
        }
    }

    fn append(_input: In<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// What decoding a payload (or part of one) gives: its field nodes, its
/// text, the first encoding fault and the notes.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// Field nodes.
    pub nodes: Vec<crate::model::FieldNode>,
    /// The one-line text, when the payload decoded.
    pub text: Option<String>,
    /// The first fault, where Ceph's decoder would throw.
    pub error: Option<DencError>,
    /// Bytes Ceph would skip.
    pub notes: Vec<Note>,
}

/// A value with the frame bytes it came from.
#[derive(Debug, Clone, Default)]
pub struct Sp<T> {
    /// The value.
    pub v: T,
    /// Frame offset of its first byte.
    pub at: usize,
    /// Its length in bytes.
    pub len: usize,
}

impl<T> Sp<T> {
    /// A value made by hand (an encoder's input): no bytes yet.
    pub fn new(v: T) -> Self {
        Sp { v, at: 0, len: 0 }
    }

    /// Frame range of its bytes.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.at..self.at.saturating_add(self.len)
    }
}

/// Spans do not take part in comparisons: a decoded value equals the value
/// an encoder was given.
impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.v == other.v
    }
}

impl<T: Eq> Eq for Sp<T> {}

impl<T> From<T> for Sp<T> {
    fn from(v: T) -> Self {
        Sp::new(v)
    }
}

/// Something Ceph accepts but that is worth knowing, found while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Which kind: bytes of newer fields, or trailing bytes.
    pub kind: NoteKind,
    /// Frame offset of the first byte concerned.
    pub offset: usize,
    /// Bytes concerned.
    pub len: usize,
    /// The structure or payload they belong to (its abbrev).
    pub field: &'static str,
    /// What the decoder knew (e.g. `struct_v 2`).
    pub expected: String,
    /// What was there.
    pub found: String,
}

/// Kinds of [`Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Bytes inside a struct_len past the known fields (DECODE_FINISH skips them).
    Extra,
    /// Bytes after a payload's last field.
    Trailing,
}

/// Record a note.
pub fn note(i: &In<'_>, n: Note) {
    if let Ok(mut v) = i.extra.notes.try_borrow_mut() {
        // Bounded: a payload cannot hold more notes than bytes, and a
        // hostile one is cut off long before that.
        if v.len() < MAX_NOTES {
            v.push(n);
        }
    }
}

/// Most notes kept for one payload.
pub const MAX_NOTES: usize = 64;

/// A parser named by a field: its errors say which field failed.
pub fn field<'a, O>(
    def: &'static FieldDef,
    mut p: impl FnMut(In<'a>) -> PResult<'a, O>,
) -> impl FnMut(In<'a>) -> PResult<'a, O> {
    move |i| p(i).map_err(|e| e.map(|e| e.label(def.abbrev)))
}

/// Run a whole-payload parser over `bytes` (at frame offset `base`):
/// the value, or the error; with the notes either way. Bytes left over
/// become a trailing note on `def`.
pub fn run<'a, T>(
    bytes: &'a [u8],
    base: usize,
    def: &'static FieldDef,
    notes: &'a RefCell<Vec<Note>>,
    p: impl FnOnce(In<'a>) -> PResult<'a, T>,
) -> Result<T, DencError> {
    match p(input(bytes, base, notes)) {
        Ok((rest, v)) => {
            let left = rest.fragment().len();
            if left > 0 {
                note(
                    &rest,
                    Note {
                        kind: NoteKind::Trailing,
                        offset: offset(&rest),
                        len: left,
                        field: def.abbrev,
                        expected: "end of payload".into(),
                        found: format!("{left} more bytes"),
                    },
                );
            }
            Ok(v)
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
        Err(nom::Err::Incomplete(_)) => Err(DencError::new(
            Fault::EndOfBuffer,
            base.saturating_add(bytes.len()),
            "more bytes",
            "end of payload",
        )),
    }
}
