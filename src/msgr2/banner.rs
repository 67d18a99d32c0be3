//! The banner each side sends first (ProtocolV2.cc `_banner_exchange`;
//! FACTS.md "Banner"):
//!
//! ```text
//!  0         8        10                18                26
//!  +---------+--------+-----------------+-----------------+
//!  |"ceph v2\n"| len  | supported feats | required feats  | (len may exceed 16)
//!  +---------+--------+-----------------+-----------------+
//! ```

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

/// What the first bytes of a stream say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BannerParse {
    /// Need at least this many bytes in total.
    Needed(usize),
    /// A complete banner.
    Banner(Banner),
    /// The msgr1 banner: not msgr2.
    Msgr1,
    /// Not a Ceph banner at all.
    NotCeph,
    /// The prefix matched but the payload length is implausible.
    BadLength(u16),
}

fn le_u64(b: &[u8], r: Range<usize>) -> Option<u64> {
    b.get(r)?.try_into().ok().map(u64::from_le_bytes)
}

/// Parse a banner at the start of `b`, the stream bytes from `offset`.
pub fn parse(b: &[u8], offset: u64) -> BannerParse {
    let n = b.len().min(PREFIX.len());
    if b.get(..n) != PREFIX.get(..n) {
        let m = b.len().min(V1_PREFIX.len());
        if m >= 7 && b.get(..m) == V1_PREFIX.get(..m) {
            return BannerParse::Msgr1;
        }
        return BannerParse::NotCeph;
    }
    let Some(len_bytes) = b.get(PAYLOAD_LEN) else {
        return BannerParse::Needed(HEAD_LEN);
    };
    let Ok(len_arr) = <[u8; 2]>::try_from(len_bytes) else {
        return BannerParse::Needed(HEAD_LEN);
    };
    let payload_len = u16::from_le_bytes(len_arr);
    let plen = usize::from(payload_len);
    if !(MIN_PAYLOAD..=MAX_PAYLOAD).contains(&plen) {
        return BannerParse::BadLength(payload_len);
    }
    let total = HEAD_LEN + plen;
    if b.len() < total {
        return BannerParse::Needed(total);
    }
    match (le_u64(b, SUPPORTED), le_u64(b, REQUIRED)) {
        (Some(supported), Some(required)) => BannerParse::Banner(Banner {
            offset,
            payload_len,
            supported,
            required,
        }),
        _ => BannerParse::Needed(total),
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

    #[test]
    fn real_banner() {
        // Ceph 16.2: supported = REVISION_1, required = 0 (FACTS.md).
        let b = encode(1, 0);
        assert_eq!(
            parse(&b, 0),
            BannerParse::Banner(Banner {
                offset: 0,
                payload_len: 16,
                supported: 1,
                required: 0
            })
        );
        for n in 0..b.len() {
            assert!(
                matches!(parse(&b[..n], 0), BannerParse::Needed(_)),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn other_streams() {
        assert_eq!(parse(b"ceph v027\0", 0), BannerParse::Msgr1);
        assert_eq!(parse(b"GET / HTTP/1.1", 0), BannerParse::NotCeph);
        let mut b = encode(1, 0);
        b[8] = 0xff;
        b[9] = 0xff;
        assert_eq!(parse(&b, 0), BannerParse::BadLength(0xffff));
    }
}
