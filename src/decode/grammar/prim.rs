//! Ceph's encoding primitives (include/encoding.h, include/denc.h) as nom
//! parsers. Every parser here takes the field it reads, so a failure names
//! it, and returns the value with its span.
//!
//! ```text
//! integers        little-endian, fixed width (encoding.h WRITE_INTTYPE_ENCODER)
//! bool            u8, any non-zero is true
//! string, bl      le32 len | len bytes
//! vector, set     le32 count | count x element     (map: key then value)
//! utime_t         le32 sec | le32 nsec             (include/utime.h)
//! uuid_d          16 bytes                         (include/uuid.h)
//! ENCODE_START    u8 struct_v | u8 struct_compat | le32 struct_len | struct_len bytes
//! ```

use super::{field, note, offset, DencError, Fault, In, Note, NoteKind, PResult, Sp};
use crate::model::FieldDef;
use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::{Input, Parser};

/// Largest length-prefixed item accepted inside a payload: a claim beyond
/// it is refused before anything is allocated.
pub const MAX_BLOB: usize = 64 << 20;

/// Most elements accepted in one container.
pub const MAX_COUNT: usize = 1 << 20;

/// Wrap a fixed-width read so a short input is `end_of_buffer` with the
/// width expected.
fn fixed<'a, O>(
    def: &'static FieldDef,
    width: u64,
    mut p: impl FnMut(In<'a>) -> PResult<'a, O>,
) -> impl FnMut(In<'a>) -> PResult<'a, Sp<O>> {
    move |i: In<'a>| {
        let at = offset(&i);
        match p(i) {
            Ok((rest, v)) => Ok((
                rest,
                Sp {
                    v,
                    at,
                    len: offset(&rest).saturating_sub(at),
                },
            )),
            Err(_) => DencError::short(&i, width).label(def.abbrev).fail(),
        }
    }
}

/// u8.
pub fn u8_<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u8>> {
    fixed(def, 1, le_u8)
}

/// le16.
pub fn le16<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u16>> {
    fixed(def, 2, le_u16)
}

/// le32.
pub fn le32<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u32>> {
    fixed(def, 4, le_u32)
}

/// le64.
pub fn le64<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u64>> {
    fixed(def, 8, le_u64)
}

/// Signed le32 (`int32_t`, `__s32`).
pub fn i32_<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<i32>> {
    fixed(def, 4, |i| {
        le_u32
            .map(|v: u32| i32::from_le_bytes(v.to_le_bytes()))
            .parse(i)
    })
}

/// Signed le64.
pub fn i64_<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<i64>> {
    fixed(def, 8, |i| {
        le_u64
            .map(|v: u64| i64::from_le_bytes(v.to_le_bytes()))
            .parse(i)
    })
}

/// Signed u8 (`int8_t`, an spg_t's shard).
pub fn i8_<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<i8>> {
    fixed(def, 1, |i| {
        le_u8.map(|v: u8| i8::from_le_bytes([v])).parse(i)
    })
}

/// bool: one byte, any non-zero value is true (encoding.h `decode(bool&)`).
pub fn bool_<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<bool>> {
    fixed(def, 1, |i| le_u8.map(|v: u8| v != 0).parse(i))
}

/// utime_t: le32 sec, le32 nsec (include/utime.h).
pub fn utime<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<(u32, u32)>> {
    fixed(def, 8, |i| (le_u32, le_u32).parse(i))
}

/// `n` raw bytes.
pub fn raw<'a>(
    def: &'static FieldDef,
    n: usize,
) -> impl FnMut(In<'a>) -> PResult<'a, Sp<&'a [u8]>> {
    move |i: In<'a>| {
        let at = offset(&i);
        match take::<usize, In<'a>, DencError>(n).parse(i) {
            Ok((rest, b)) => Ok((
                rest,
                Sp {
                    v: *b.fragment(),
                    at,
                    len: n,
                },
            )),
            Err(_) => DencError::short(&i, n as u64).label(def.abbrev).fail(),
        }
    }
}

/// A fixed-size array of raw bytes (uuid_d, a signature).
pub fn array<'a, const N: usize>(
    def: &'static FieldDef,
) -> impl FnMut(In<'a>) -> PResult<'a, Sp<[u8; N]>> {
    move |i: In<'a>| {
        let (rest, b) = raw(def, N)(i)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b.v);
        Ok((
            rest,
            Sp {
                v: out,
                at: b.at,
                len: b.len,
            },
        ))
    }
}

/// A le32 length that must fit in what is left and under `MAX_BLOB`; the
/// error is `end_of_buffer` on the length field itself.
pub fn length<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u32>> {
    move |i: In<'a>| {
        let (rest, n) = le32(def)(i)?;
        let left = rest.input_len();
        let want = usize::try_from(n.v).unwrap_or(usize::MAX);
        if want > left || want > MAX_BLOB {
            return DencError::new(
                Fault::EndOfBuffer,
                n.at,
                format!("a length of at most {}", left.min(MAX_BLOB)),
                format!("{} ({left} bytes left)", n.v),
            )
            .spanning(4)
            .label(def.abbrev)
            .fail();
        }
        Ok((rest, n))
    }
}

/// A length and the bytes it counts.
pub type LenBytes<'a> = (Sp<u32>, Sp<&'a [u8]>);

/// A length-prefixed byte string (`bufferlist`, `std::string`): the
/// length (its own field `len_def`) and the bytes.
pub fn lenbytes<'a>(
    len_def: &'static FieldDef,
    def: &'static FieldDef,
) -> impl FnMut(In<'a>) -> PResult<'a, LenBytes<'a>> {
    move |i: In<'a>| {
        let (i, n) = length(len_def)(i)?;
        let (i, b) = raw(def, usize::try_from(n.v).unwrap_or(usize::MAX))(i)?;
        Ok((i, (n, b)))
    }
}

/// A `std::string`: le32 length, then the bytes, kept exactly (bytes that
/// are not UTF-8 as `model::wire_text` carries them).
/// The span covers the length and the text.
pub fn string<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<String>> {
    move |i: In<'a>| {
        let at = offset(&i);
        let (rest, (_, b)) = lenbytes(def, def)(i)?;
        Ok((
            rest,
            Sp {
                v: crate::model::wire_text::from_wire(b.v).into_owned(),
                at,
                len: offset(&rest).saturating_sub(at),
            },
        ))
    }
}

/// A container count: le32, at most `MAX_COUNT`, and no more elements than
/// the bytes left can hold at `min_size` bytes each (Ceph would run out of
/// buffer decoding them: `end_of_buffer`).
pub fn count<'a>(
    def: &'static FieldDef,
    min_size: usize,
) -> impl FnMut(In<'a>) -> PResult<'a, Sp<u32>> {
    move |i: In<'a>| {
        let (rest, n) = le32(def)(i)?;
        let left = rest.input_len();
        let fit = left / min_size.max(1);
        let want = usize::try_from(n.v).unwrap_or(usize::MAX);
        if want > fit || want > MAX_COUNT {
            return DencError::new(
                Fault::EndOfBuffer,
                n.at,
                format!("a count of at most {}", fit.min(MAX_COUNT)),
                format!("{} ({left} bytes left)", n.v),
            )
            .spanning(4)
            .label(def.abbrev)
            .fail();
        }
        Ok((rest, n))
    }
}

/// A `vector`/`set`/`list`: le32 count (field `count_def`), then that many
/// elements, each at least `min_size` bytes.
pub fn vec_of<'a, T>(
    count_def: &'static FieldDef,
    min_size: usize,
    mut elem: impl FnMut(In<'a>) -> PResult<'a, T>,
) -> impl FnMut(In<'a>) -> PResult<'a, (Sp<u32>, Vec<T>)> {
    move |i: In<'a>| {
        let (mut i, n) = count(count_def, min_size)(i)?;
        let mut out = Vec::with_capacity(usize::try_from(n.v).unwrap_or(0).min(1024));
        for _ in 0..n.v {
            let (rest, v) = elem(i)?;
            out.push(v);
            i = rest;
        }
        Ok((i, (n, out)))
    }
}

/// ENCODE_START's header: struct_v, struct_compat, struct_len.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VHeader {
    /// struct_v.
    pub v: Sp<u8>,
    /// struct_compat.
    pub compat: Sp<u8>,
    /// struct_len.
    pub len: Sp<u32>,
    /// Frame range of the header and body.
    pub at: usize,
    /// Bytes of header and body.
    pub total: usize,
    /// Bytes inside the body past the fields this decoder knows.
    pub extra: Option<Sp<usize>>,
}

/// Fields of ENCODE_START's header, per structure family.
#[derive(Debug, Clone, Copy)]
pub struct VDefs {
    /// struct_v.
    pub v: &'static FieldDef,
    /// struct_compat.
    pub compat: &'static FieldDef,
    /// struct_len.
    pub len: &'static FieldDef,
}

/// A versioned structure (ENCODE_START / DECODE_START, include/encoding.h):
/// the body is exactly the next struct_len bytes and is parsed by `body`
/// (given struct_v) inside them; bytes it leaves are a newer encoder's
/// fields, skipped as DECODE_FINISH does, with a note. `compat_max` is the
/// newest struct_compat this decoder understands (DECODE_START's `v`).
pub fn versioned<'a, T>(
    group: &'static FieldDef,
    defs: VDefs,
    compat_max: u8,
    mut body: impl FnMut(u8, In<'a>) -> PResult<'a, T>,
) -> impl FnMut(In<'a>) -> PResult<'a, (VHeader, T)> {
    move |i: In<'a>| {
        let at = offset(&i);
        let (i, v) = u8_(defs.v)(i)?;
        let (i, compat) = u8_(defs.compat)(i)?;
        if compat.v > compat_max {
            // DECODE_START: struct_compat > v -> malformed_input.
            return DencError::new(
                Fault::CompatTooNew,
                compat.at,
                format!("struct_compat <= {compat_max}"),
                compat.v.to_string(),
            )
            .label(defs.compat.abbrev)
            .fail();
        }
        // DECODE_START: struct_len > remaining -> malformed_input
        // (DECODE_ERR_PAST, include/encoding.h).
        let (i, len) = le32(defs.len)(i)?;
        let left = i.input_len();
        let n = usize::try_from(len.v).unwrap_or(usize::MAX);
        if n > left {
            return DencError::new(
                Fault::Malformed,
                len.at,
                format!("a struct_len of at most {left}"),
                format!("{} ({left} bytes left)", len.v),
            )
            .spanning(4)
            .label(defs.len.abbrev)
            .fail();
        }
        let (rest, inner) = i.take_split(n);
        let (left, val) = field(group, |x| body(v.v, x))(inner)?;
        let extra_len = left.input_len();
        let extra = (extra_len > 0).then(|| {
            note(
                &left,
                Note {
                    kind: NoteKind::Extra,
                    offset: offset(&left),
                    len: extra_len,
                    field: group.abbrev,
                    expected: format!("fields of struct_v {}", v.v),
                    found: format!("{extra_len} more bytes"),
                },
            );
            Sp {
                v: extra_len,
                at: offset(&left),
                len: extra_len,
            }
        });
        let total = offset(&rest).saturating_sub(at);
        Ok((
            rest,
            (
                VHeader {
                    v,
                    compat,
                    len,
                    at,
                    total,
                    extra,
                },
                val,
            ),
        ))
    }
}

/// A value the decoder refuses at `sp` (`malformed_input`).
pub fn refuse<T, V>(
    def: &'static FieldDef,
    sp: &Sp<V>,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Result<T, nom::Err<DencError>> {
    DencError::new(Fault::Malformed, sp.at, expected, found)
        .spanning(sp.len)
        .label(def.abbrev)
        .fail()
}
