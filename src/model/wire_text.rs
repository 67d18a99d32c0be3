//! Strings from the wire, kept byte for byte.
//!
//! Ceph's strings are byte strings (`std::string`, bufferlists): nothing
//! makes an object name, an xattr name or a pool namespace valid UTF-8.
//! The model holds them as Rust strings, so each byte that is not part of
//! valid UTF-8 is carried as one code point of its own, U+10FF00 + byte
//! (the top of plane 16's private use area), and so is each byte of a
//! genuine code point in that range, so nothing is ambiguous:
//!
//! ```text
//!  wire     6f 62 6a ff 00 e2 80 ae      ("obj", a lone 0xff, NUL, U+202E)
//!  model    "obj\u{10ffff}\0\u{202e}"
//!  text     obj\xff\0\u{202e}            (model::escape)
//!  JSON     "value": "obj\udbff\udfff…", "value_raw": "6f626aff00e280ae"
//! ```
//!
//! [`wire_bytes`] gives the exact bytes back (filters on bytes, JSON's raw
//! form); valid text without such code points is stored unchanged and
//! borrowed on the way back.

use std::borrow::Cow;

/// The code point that stands for raw byte 0.
const RAW_BASE: u32 = 0x10_FF00;

/// The raw byte `c` stands for, if it is one.
pub fn raw_byte(c: char) -> Option<u8> {
    u32::from(c)
        .checked_sub(RAW_BASE)
        .and_then(|b| u8::try_from(b).ok())
}

fn raw_char(b: u8) -> char {
    // RAW_BASE + 0..=255 is within U+10FF00..=U+10FFFF: always a char.
    char::from_u32(RAW_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Bytes from the wire as a string that keeps every one of them.
pub fn from_wire(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        if !s.chars().any(|c| raw_byte(c).is_some()) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if raw_byte(c).is_some() {
                let mut b = [0u8; 4];
                out.extend(c.encode_utf8(&mut b).bytes().map(raw_char));
            } else {
                out.push(c);
            }
        }
        out.extend(chunk.invalid().iter().copied().map(raw_char));
    }
    Cow::Owned(out)
}

/// Whether `s` holds bytes that are not valid UTF-8 text on the wire.
pub fn has_raw(s: &str) -> bool {
    s.chars().any(|c| raw_byte(c).is_some())
}

/// The exact bytes `s` was decoded from.
pub fn wire_bytes(s: &str) -> Cow<'_, [u8]> {
    if !has_raw(s) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match raw_byte(c) {
            Some(b) => out.push(b),
            None => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_kept_as_it_is() {
        for s in ["", "rbd_data.1234", "é✓", "\u{1b}[31m\0\u{202e}"] {
            assert!(matches!(from_wire(s.as_bytes()), Cow::Borrowed(b) if b == s));
            assert!(matches!(wire_bytes(s), Cow::Borrowed(b) if b == s.as_bytes()));
        }
    }

    #[test]
    fn invalid_bytes_become_one_code_point_each() {
        let s = from_wire(b"obj\xff\x00\xe2\x80");
        assert_eq!(s, "obj\u{10ffff}\0\u{10ffe2}\u{10ff80}");
        assert!(has_raw(&s));
        assert_eq!(&*wire_bytes(&s), b"obj\xff\x00\xe2\x80");
    }

    #[test]
    fn every_byte_string_round_trips() {
        // Every single byte and pair, and a genuine U+10FFxx character
        // (which must not be read back as a raw byte).
        let genuine = "a\u{10ff41}b".as_bytes().to_vec();
        let mut cases: Vec<Vec<u8>> = vec![genuine.clone()];
        for a in 0..=255u8 {
            cases.push(vec![a]);
            for b in [0u8, 0x41, 0x80, 0xbf, 0xc3, 0xff] {
                cases.push(vec![a, b]);
            }
        }
        for c in cases {
            let s = from_wire(&c);
            assert_eq!(&*wire_bytes(&s), c.as_slice(), "{c:02x?}");
        }
        let s = from_wire(&genuine);
        assert_eq!(s.chars().filter(|&c| raw_byte(c).is_some()).count(), 4);
    }
}
