//! Frame epilogues (frames_v2.h `epilogue_crc_rev0_block_t`,
//! `epilogue_crc_rev1_block_t`, `epilogue_secure_rev0/rev1_block_t`):
//!
//! ```text
//! msgr2.0 crc:    0          1      5      9      13     17
//!                 +----------+------+------+------+------+
//!                 |late_flags| crc0 | crc1 | crc2 | crc3 |
//!                 +----------+------+------+------+------+
//! msgr2.1 crc:    0           1      5      9      13
//!                 +-----------+------+------+------+
//!                 |late_status| crc1 | crc2 | crc3 |     (crc0 follows segment 0)
//!                 +-----------+------+------+------+
//! secure (both):  0           1                     16
//!                 +-----------+---------------------+
//!                 |late byte  | 15 zero bytes        |   (after decryption)
//!                 +-----------+---------------------+
//! ```
//!
//! CRCs are little-endian. The parsers are nom streaming parsers: fewer
//! bytes than the block holds give `Incomplete(Needed::new(missing))`.

use super::frame::Rev;
use super::preamble::MAX_SEGMENTS;
use nom::bytes::streaming::take;
use nom::multi::fill;
use nom::number::complete::{le_u32, le_u8};
use nom::{IResult, Parser};
use std::ops::Range;

/// Byte of the late flags (msgr2.0) or late status (msgr2.1).
pub const LATE: usize = 0;
/// msgr2.0 crc epilogue: the four segment CRCs.
pub const REV0_CRCS: Range<usize> = 1..17;
/// msgr2.0 crc epilogue length.
pub const REV0_LEN: usize = REV0_CRCS.end;
/// msgr2.1 crc epilogue: the CRCs of segments 1..=3.
pub const REV1_CRCS: Range<usize> = 1..13;
/// msgr2.1 crc epilogue length.
pub const REV1_LEN: usize = REV1_CRCS.end;
/// Secure epilogue: the zero padding after the late byte (one AES block in all).
pub const SECURE_PADDING: Range<usize> = 1..16;
/// Secure epilogue length.
pub const SECURE_LEN: usize = SECURE_PADDING.end;
/// Size of one CRC field.
pub const CRC_LEN: usize = 4;

const _: () = assert!(REV0_CRCS.end - REV0_CRCS.start == MAX_SEGMENTS * CRC_LEN);
const _: () = assert!(REV1_CRCS.end - REV1_CRCS.start == (MAX_SEGMENTS - 1) * CRC_LEN);

/// A crc-mode epilogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrcEpilogue {
    /// The late byte.
    pub late: u8,
    /// The CRC stored for each segment, by segment index: all four in
    /// msgr2.0; segments 1..=3 in msgr2.1 (segment 0's follows its bytes).
    pub crcs: [Option<u32>; MAX_SEGMENTS],
}

/// Byte range, inside a crc epilogue of `rev`, of segment `i`'s CRC.
pub fn crc_range(rev: Rev, i: usize) -> Option<Range<usize>> {
    let (crcs, k) = match rev {
        Rev::V0 => (REV0_CRCS, i),
        Rev::V1 => (REV1_CRCS, i.checked_sub(1)?),
    };
    let at = crcs.start.checked_add(k.checked_mul(CRC_LEN)?)?;
    let end = at.checked_add(CRC_LEN)?;
    (end <= crcs.end).then_some(at..end)
}

/// Length of the crc epilogue of `rev`.
pub fn crc_len(rev: Rev) -> usize {
    match rev {
        Rev::V0 => REV0_LEN,
        Rev::V1 => REV1_LEN,
    }
}

/// msgr2.0 crc epilogue: late_flags, then crc0..crc3.
pub fn crc_rev0(i: &[u8]) -> IResult<&[u8], CrcEpilogue> {
    let (rest, block) = take(REV0_LEN)(i)?;
    let mut crcs = [0u32; MAX_SEGMENTS];
    let (_, late) = (le_u8, fill(le_u32, &mut crcs))
        .map(|(late, ())| late)
        .parse(block)?;
    Ok((
        rest,
        CrcEpilogue {
            late,
            crcs: crcs.map(Some),
        },
    ))
}

/// msgr2.1 crc epilogue: late_status, then crc1..crc3.
pub fn crc_rev1(i: &[u8]) -> IResult<&[u8], CrcEpilogue> {
    let (rest, block) = take(REV1_LEN)(i)?;
    let mut crcs = [0u32; MAX_SEGMENTS - 1];
    let (_, late) = (le_u8, fill(le_u32, &mut crcs))
        .map(|(late, ())| late)
        .parse(block)?;
    let [c1, c2, c3] = crcs;
    Ok((
        rest,
        CrcEpilogue {
            late,
            crcs: [None, Some(c1), Some(c2), Some(c3)],
        },
    ))
}

/// The crc epilogue of `rev`.
pub fn crc(rev: Rev) -> fn(&[u8]) -> IResult<&[u8], CrcEpilogue> {
    match rev {
        Rev::V0 => crc_rev0,
        Rev::V1 => crc_rev1,
    }
}

/// A decrypted secure epilogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecureEpilogue<'a> {
    /// The late byte.
    pub late: u8,
    /// The padding, zero when well formed.
    pub padding: &'a [u8],
}

/// Secure epilogue (both revisions): the late byte and 15 bytes of padding.
pub fn secure(i: &[u8]) -> IResult<&[u8], SecureEpilogue<'_>> {
    let (rest, block) = take(SECURE_LEN)(i)?;
    let (padding, late) = le_u8(block)?;
    Ok((rest, SecureEpilogue { late, padding }))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use nom::{Err, Needed};

    // The msgr2.1 epilogue of the MESSAGE frame (mon_subscribe, segments
    // 41 + 29) at client stream offset 614 of captures/none-crc.pcap,
    // packet 26: complete, crc1 = 0x1e64602e, segments 2 and 3 unused.
    const REAL_REV1: [u8; 13] = [0x0e, 0x2e, 0x60, 0x64, 0x1e, 0, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn real_rev1_epilogue() {
        let (rest, e) = crc_rev1(&REAL_REV1).unwrap();
        assert!(rest.is_empty());
        assert_eq!(e.late, 0x0e);
        assert_eq!(e.crcs, [None, Some(0x1e64_602e), Some(0), Some(0)]);
        assert_eq!(REAL_REV1[LATE], 0x0e);
        let r = crc_range(Rev::V1, 1).unwrap();
        assert_eq!(r, 1..5);
        assert_eq!(
            u32::from_le_bytes(REAL_REV1[r].try_into().unwrap()),
            0x1e64_602e
        );
        assert_eq!(crc_range(Rev::V1, 0), None);
        assert_eq!(crc_range(Rev::V1, 3), Some(9..13));
        assert_eq!(crc_range(Rev::V1, 4), None);
        for n in 0..REV1_LEN {
            assert_eq!(
                crc_rev1(&REAL_REV1[..n]),
                Err(Err::Incomplete(Needed::new(REV1_LEN - n))),
                "prefix {n}"
            );
        }
        // Bytes after the epilogue are the next frame's.
        let mut more = REAL_REV1.to_vec();
        more.extend_from_slice(&[0x11, 0x02]);
        assert_eq!(crc(Rev::V1)(&more).unwrap().0, &[0x11, 0x02]);
    }

    #[test]
    fn rev0_epilogue() {
        let mut b = vec![0x01];
        for c in [0x1111_1111u32, 0x2222_2222, 0, 0x4444_4444] {
            b.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(b.len(), REV0_LEN);
        let (rest, e) = crc(Rev::V0)(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(e.late, 0x01);
        assert_eq!(
            e.crcs,
            [
                Some(0x1111_1111),
                Some(0x2222_2222),
                Some(0),
                Some(0x4444_4444)
            ]
        );
        for i in 0..MAX_SEGMENTS {
            let r = crc_range(Rev::V0, i).unwrap();
            assert_eq!(r, 1 + 4 * i..5 + 4 * i);
            let v = u32::from_le_bytes(b[r].try_into().unwrap());
            assert_eq!(Some(v), e.crcs[i]);
        }
        assert_eq!(crc_range(Rev::V0, 4), None);
        for n in 0..REV0_LEN {
            assert_eq!(
                crc_rev0(&b[..n]),
                Err(Err::Incomplete(Needed::new(REV0_LEN - n))),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn secure_epilogue() {
        let mut b = [0u8; SECURE_LEN + 3];
        b[LATE] = 0x0e;
        b[9] = 0x5a;
        let (rest, e) = secure(&b).unwrap();
        assert_eq!(rest.len(), 3);
        assert_eq!(e.late, 0x0e);
        assert_eq!(e.padding.len(), SECURE_PADDING.len());
        assert_eq!(e.padding.iter().position(|x| *x != 0), Some(8));
        for n in 0..SECURE_LEN {
            assert_eq!(
                secure(&b[..n]),
                Err(Err::Incomplete(Needed::new(SECURE_LEN - n))),
                "prefix {n}"
            );
        }
    }
}
