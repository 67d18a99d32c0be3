//! The banner each side sends first (ProtocolV2.cc `_banner_exchange`;
//! FACTS.md "Banner"):
//!
//! ```text
//!  0         8        10                18                26
//!  +---------+--------+-----------------+-----------------+
//!  |"ceph v2\n"| len  | supported feats | required feats  | (len may exceed 16)
//!  +---------+--------+-----------------+-----------------+
//! ```

use nom::bytes::{complete, streaming, streaming::take};
use nom::error::{ErrorKind, ParseError};
use nom::number::complete::{le_u16, le_u64};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::ops::Range;

/// The fixed prefix (msgr.h `CEPH_BANNER_V2_PREFIX`).
pub const PREFIX: &[u8; 8] = b"ceph v2\n";
/// The legacy msgr1 banner (msgr.h `CEPH_BANNER`).
pub const V1_PREFIX: &[u8; 9] = b"ceph v027";
/// Byte range of the payload length.
pub const PAYLOAD_LEN: Range<usize> = 8..10;
/// Byte range of the supported-features word.
pub const SUPPORTED: Range<usize> = 10..18;
/// Byte range of the required-features word.
pub const REQUIRED: Range<usize> = 18..26;
/// Length of the prefix plus the length field.
pub const HEAD_LEN: usize = 10;
/// Smallest payload that holds both feature words.
pub const MIN_PAYLOAD: usize = 16;
/// Largest payload accepted before the stream is declared not msgr2.
pub const MAX_PAYLOAD: usize = 4096;

/// CEPH_MSGR2_FEATURE_REVISION_1 (msgr.h): the peer speaks msgr2.1.
pub const FEATURE_REVISION_1: u64 = 1;
/// CEPH_MSGR2_FEATURE_COMPRESSION (msgr.h, Ceph 17+).
pub const FEATURE_COMPRESSION: u64 = 2;

/// A decoded banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// Stream offset of the first byte.
    pub offset: u64,
    /// Declared payload length (16 in every Ceph release so far).
    pub payload_len: u16,
    /// msgr2 features the sender supports.
    pub supported: u64,
    /// msgr2 features the sender requires.
    pub required: u64,
}

impl Banner {
    /// Bytes the banner occupies on the wire.
    pub fn wire_len(&self) -> u64 {
        HEAD_LEN as u64 + u64::from(self.payload_len)
    }
}

/// Why the first bytes of a stream are not a banner to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// The msgr1 banner: not msgr2.
    Msgr1,
    /// Not a Ceph banner at all.
    NotCeph,
    /// The prefix matched but the payload length is implausible.
    BadLength(u16),
}

impl<I> ParseError<I> for Reject {
    fn from_error_kind(_: I, _: ErrorKind) -> Self {
        Reject::NotCeph
    }

    fn append(_: I, _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// What bytes that do not open with [`PREFIX`] are.
fn other_prefix(b: &[u8]) -> Reject {
    let m = b.len().min(V1_PREFIX.len());
    if m >= 7 && b.get(..m) == V1_PREFIX.get(..m) {
        Reject::Msgr1
    } else {
        Reject::NotCeph
    }
}

/// The banner at the start of a stream whose first byte is at `offset`
/// (nom, streaming). A prefix that differs is rejected as soon as a byte
/// differs; until the length is there `Incomplete` asks for the rest of
/// the first [`HEAD_LEN`] bytes, then for the rest of the payload.
pub fn parse(offset: u64) -> impl Fn(&[u8]) -> IResult<&[u8], Banner, Reject> {
    move |i: &[u8]| {
        if let Err(nom::Err::Error(())) = streaming::tag::<_, _, ()>(&PREFIX[..]).parse(i) {
            return Err(nom::Err::Error(other_prefix(i)));
        }
        let (body, head) = take(HEAD_LEN)(i)?;
        let (_, payload_len) = preceded(complete::tag(&PREFIX[..]), le_u16).parse(head)?;
        let plen = usize::from(payload_len);
        if !(MIN_PAYLOAD..=MAX_PAYLOAD).contains(&plen) {
            return Err(nom::Err::Error(Reject::BadLength(payload_len)));
        }
        // Payload bytes past the two feature words are skipped (a later
        // release may add fields; ProtocolV2.cc decodes only these two).
        let (rest, payload) = take(plen)(body)?;
        let (_, (supported, required)) = (le_u64, le_u64).parse(payload)?;
        Ok((
            rest,
            Banner {
                offset,
                payload_len,
                supported,
                required,
            },
        ))
    }
}

/// Encode a banner with a 16-byte payload.
pub fn encode(supported: u64, required: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(26);
    v.extend_from_slice(PREFIX);
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(&supported.to_le_bytes());
    v.extend_from_slice(&required.to_le_bytes());
    v
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use nom::{Err, Needed};

    // The client's banner in captures/none-crc.pcap, packet 8
    // (42644 -> 43500), client stream offset 0: payload 16 bytes,
    // supported = REVISION_1, required = 0 (Ceph 16.2).
    const REAL: [u8; 26] = [
        0x63, 0x65, 0x70, 0x68, 0x20, 0x76, 0x32, 0x0a, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn real_banner() {
        assert_eq!(&REAL[..], &encode(1, 0)[..]);
        // The client's HELLO preamble follows in the stream.
        let mut wire = REAL.to_vec();
        wire.extend_from_slice(&[0x01, 0x01, 0x24]);
        let (rest, b) = parse(0)(&wire).unwrap();
        assert_eq!(rest, &[0x01, 0x01, 0x24]);
        assert_eq!(
            b,
            Banner {
                offset: 0,
                payload_len: 16,
                supported: FEATURE_REVISION_1,
                required: 0
            }
        );
        assert_eq!(b.wire_len(), 26);
        assert_eq!(
            u64::from_le_bytes(REAL[SUPPORTED].try_into().unwrap()),
            b.supported
        );
        assert_eq!(
            u16::from_le_bytes(REAL[PAYLOAD_LEN].try_into().unwrap()),
            16
        );
        // Before the length is in, the head is asked for; then the payload.
        for n in 0..REAL.len() {
            let want = if n < HEAD_LEN {
                HEAD_LEN - n
            } else {
                REAL.len() - n
            };
            assert_eq!(
                parse(0)(&REAL[..n]),
                Err(Err::Incomplete(Needed::new(want))),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn longer_payload_is_skipped() {
        let mut b = encode(3, 1);
        b[PAYLOAD_LEN.start] = 20;
        b.extend_from_slice(&[9, 9, 9, 9, 0x01]);
        let (rest, got) = parse(100)(&b).unwrap();
        assert_eq!(rest, &[0x01]);
        assert_eq!((got.offset, got.payload_len), (100, 20));
        assert_eq!((got.supported, got.required), (3, 1));
        assert_eq!(got.wire_len(), 30);
        assert_eq!(parse(100)(&b[..29]), Err(Err::Incomplete(Needed::new(1))));
    }

    #[test]
    fn other_streams() {
        let p = parse(0);
        assert_eq!(p(b"ceph v027\0"), Err(Err::Error(Reject::Msgr1)));
        assert_eq!(p(b"ceph v0"), Err(Err::Error(Reject::Msgr1)));
        assert_eq!(p(b"GET / HTTP/1.1"), Err(Err::Error(Reject::NotCeph)));
        // A differing byte is enough, before the rest arrives.
        assert_eq!(p(b"cepx"), Err(Err::Error(Reject::NotCeph)));
        assert_eq!(p(b"ceph v"), Err(Err::Incomplete(Needed::new(4))));
        let mut b = encode(1, 0);
        b[8] = 0xff;
        b[9] = 0xff;
        assert_eq!(p(&b), Err(Err::Error(Reject::BadLength(0xffff))));
        assert_eq!(p(&b[..10]), Err(Err::Error(Reject::BadLength(0xffff))));
        b[8] = 15;
        b[9] = 0;
        assert_eq!(p(&b), Err(Err::Error(Reject::BadLength(15))));
    }
}
