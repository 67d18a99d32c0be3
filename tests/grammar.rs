//! The wire grammar's primitives against Ceph's encoding rules
//! (include/encoding.h, include/denc.h): values with exact spans, and the
//! fault Ceph's decoder would throw at the exact field and offset.

use cephshark::decode::grammar::prim::{
    array, count, le16, le32, le64, lenbytes, string, u8_, utime, vec_of, versioned, VDefs,
};
use cephshark::decode::grammar::{input, run, DencError, Fault, Note, NoteKind, PResult};
use cephshark::decode::msg::denc::{STRUCT_COMPAT, STRUCT_LEN, STRUCT_V};
use cephshark::model::tree::TRAILING;
use std::cell::RefCell;

static V: VDefs = VDefs {
    v: &STRUCT_V,
    compat: &STRUCT_COMPAT,
    len: &STRUCT_LEN,
};

fn parse<T>(
    bytes: &[u8],
    base: usize,
    p: impl for<'a> FnOnce(cephshark::decode::grammar::In<'a>) -> PResult<'a, T>,
) -> (Result<T, DencError>, Vec<Note>) {
    let notes = RefCell::new(Vec::new());
    let r = run(bytes, base, &TRAILING, &notes, p);
    (r, notes.into_inner())
}

#[test]
fn integers_are_little_endian_with_spans() {
    let b = [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    ];
    let (r, notes) = parse(&b, 100, |i| {
        let (i, a) = u8_(&STRUCT_V)(i)?;
        let (i, b) = le16(&STRUCT_V)(i)?;
        let (i, c) = le32(&STRUCT_V)(i)?;
        let (i, d) = le64(&STRUCT_V)(i)?;
        Ok((i, (a, b, c, d)))
    });
    let (a, b, c, d) = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((a.v, a.at, a.len), (1, 100, 1));
    assert_eq!((b.v, b.at, b.len), (0x0302, 101, 2));
    assert_eq!((c.v, c.at, c.len), (0x0706_0504, 103, 4));
    assert_eq!((d.v, d.at, d.len), (0x0f0e_0d0c_0b0a_0908, 107, 8));
    assert!(notes.is_empty());
}

#[test]
fn a_short_field_is_end_of_buffer_at_that_field() {
    let (r, _) = parse(&[1, 2, 3], 10, |i| {
        let (i, _) = u8_(&STRUCT_V)(i)?;
        le32(&STRUCT_LEN)(i)
    });
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!(e.fault, Fault::EndOfBuffer);
    assert_eq!(e.offset, 11);
    assert_eq!(e.field, Some("ceph.denc.struct_len"));
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("4 bytes", "2 left")
    );
}

#[test]
fn lengths_and_counts_that_cannot_fit_are_blamed_on_themselves() {
    // string: le32 len 5, but 3 bytes follow.
    let (r, _) = parse(&[5, 0, 0, 0, b'a', b'b', b'c'], 0, |i| string(&STRUCT_V)(i));
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!((e.fault, e.offset, e.len), (Fault::EndOfBuffer, 0, 4));
    assert_eq!(e.found, "5 (3 bytes left)");
    // vector<le32>: count 3 needs 12 bytes, 8 follow.
    let b = [3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0];
    let (r, _) = parse(&b, 7, |i| vec_of(&STRUCT_LEN, 4, le32(&STRUCT_V))(i));
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!((e.fault, e.offset), (Fault::EndOfBuffer, 7));
    assert_eq!(e.field, Some("ceph.denc.struct_len"));
    // A count of 2^32-1 is refused before anything is allocated.
    let (r, _) = parse(&[0xff, 0xff, 0xff, 0xff], 0, |i| count(&STRUCT_LEN, 1)(i));
    assert_eq!(r.err().map(|e| e.fault), Some(Fault::EndOfBuffer));
    // A length-prefixed blob that fits.
    let (r, _) = parse(&[2, 0, 0, 0, 9, 8], 0, |i| {
        let (i, (n, b)) = lenbytes(&STRUCT_LEN, &STRUCT_V)(i)?;
        Ok((i, (n.v, b.v.to_vec(), b.at, b.len)))
    });
    assert_eq!(r.ok(), Some((2, vec![9u8, 8], 4, 2)));
}

#[test]
fn encode_start_checks_compat_and_skips_newer_fields_with_a_note() {
    // struct_v 3, compat 1, len 6: a le32 the decoder knows, 2 newer bytes.
    let b = [3, 1, 6, 0, 0, 0, 0x2a, 0, 0, 0, 0xee, 0xff, 0x77];
    let (r, notes) = parse(&b, 50, |i| {
        let (i, (h, x)) = versioned(&STRUCT_V, V, 2, |_, i| le32(&STRUCT_V)(i))(i)?;
        let (i, tail) = u8_(&STRUCT_V)(i)?;
        Ok((i, (h, x, tail)))
    });
    let (h, x, tail) = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((h.v.v, h.compat.v, h.len.v, h.total), (3, 1, 6, 12));
    assert_eq!((x.v, x.at), (42, 56));
    assert_eq!((tail.v, tail.at), (0x77, 62));
    let extra = h.extra.unwrap_or_else(|| panic!("no extra"));
    assert_eq!((extra.at, extra.len), (60, 2));
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].kind, NoteKind::Extra);
    assert_eq!((notes[0].offset, notes[0].len), (60, 2));

    // compat 3 > what the decoder understands (2): DECODE_START throws.
    let mut newer = b;
    newer[1] = 3;
    let (r, _) = parse(&newer, 50, |i| {
        versioned(&STRUCT_V, V, 2, |_, i| le32(&STRUCT_V)(i))(i)
    });
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!((e.fault, e.offset), (Fault::CompatTooNew, 51));
    assert_eq!(e.field, Some("ceph.denc.struct_compat"));

    // struct_len past the buffer: include/encoding.h DECODE_START.
    let mut long = b;
    long[2] = 60;
    let (r, _) = parse(&long, 50, |i| {
        versioned(&STRUCT_V, V, 2, |_, i| le32(&STRUCT_V)(i))(i)
    });
    // DECODE_START throws malformed_input (DECODE_ERR_PAST) here.
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!((e.fault, e.offset, e.len), (Fault::Malformed, 52, 4));
    assert_eq!(e.field, Some("ceph.denc.struct_len"));

    // The body needs more than struct_len holds: end_of_buffer inside it,
    // never reading past struct_len into what follows.
    let mut short = b;
    short[2] = 2;
    let (r, _) = parse(&short, 50, |i| {
        versioned(&STRUCT_V, V, 2, |_, i| le32(&STRUCT_V)(i))(i)
    });
    let e = r.err().unwrap_or_else(|| panic!("decoded"));
    assert_eq!((e.fault, e.offset), (Fault::EndOfBuffer, 56));
}

#[test]
fn trailing_bytes_are_a_note_and_times_and_arrays_have_spans() {
    let b = [1, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb, 0xcc];
    let (r, notes) = parse(&b, 0, |i| {
        let (i, t) = utime(&STRUCT_V)(i)?;
        let (i, a) = array::<2>(&STRUCT_V)(i)?;
        Ok((i, (t, a)))
    });
    let (t, a) = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((t.v, t.at, t.len), ((1, 2), 0, 8));
    assert_eq!((a.v, a.at), ([0xaa, 0xbb], 8));
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].kind, notes[0].offset, notes[0].len),
        (NoteKind::Trailing, 10, 1)
    );
    let _ = input(&b, 0, &RefCell::new(Vec::new()));
}
