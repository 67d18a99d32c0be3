//! The 32-byte frame preamble (frames_v2.h `preamble_block_t`; msgr2.rst
//! "Frame format"; RESEARCH.md A3):
//!
//! ```text
//!  0    1    2          6      8          12     14 ... 26    27   28        32
//!  +----+----+----------+------+----------+------+ ... +-----+----+---------+
//!  |tag |nseg| seg0 len |align0| seg1 len |align1| ... |flags|rsvd| crc32c  |
//!  +----+----+----------+------+----------+------+ ... +-----+----+---------+
//! ```
//!
//! All integers little-endian. The CRC covers bytes 0..28 with seed 0 and is
//! checked in every mode, after decryption in secure mode.
//!
//! [`preamble`] is a nom streaming parser: it takes any slice and asks for
//! the missing bytes (`Incomplete`) until the 32 are there; every accessor
//! works on the copied, fixed-size array.

use super::crc::preamble_crc;
use super::Tag;
use nom::bytes::{complete, streaming::take};
use nom::combinator::all_consuming;
use nom::error::ErrorKind;
use nom::multi::fill;
use nom::number::complete::{le_u16, le_u32, le_u8};
use nom::{IResult, Parser};
use std::ops::Range;

/// Preamble length.
pub const LEN: usize = 32;
/// Byte range of the tag.
pub const TAG: usize = 0;
/// Byte of the segment count.
pub const NUM_SEGMENTS: usize = 1;
/// Byte range of segment `i`'s length and alignment: 2 + 6*i.
pub const SEGMENTS: Range<usize> = 2..26;
/// Byte of the flags (bit 0 = early data compressed, Ceph 17+).
pub const FLAGS: usize = 26;
/// Reserved byte.
pub const RESERVED: usize = 27;
/// Bytes covered by the CRC.
pub const CRC_COVERED: Range<usize> = 0..28;
/// Byte range of the CRC.
pub const CRC: Range<usize> = 28..32;
/// Most segments a frame may have (frames_v2.h `MAX_NUM_SEGMENTS`).
pub const MAX_SEGMENTS: usize = 4;
/// `FRAME_EARLY_DATA_COMPRESSED` (frames_v2.h).
pub const FLAG_COMPRESSED: u8 = 1;

// The parser reads the fields in wire order: the named ranges must tile
// the block exactly as frames_v2.h `preamble_block_t` lays it out.
const _: () = assert!(TAG == 0 && NUM_SEGMENTS == TAG + 1 && SEGMENTS.start == NUM_SEGMENTS + 1);
const _: () = assert!(SEGMENTS.end - SEGMENTS.start == 6 * MAX_SEGMENTS);
const _: () = assert!(FLAGS == SEGMENTS.end && RESERVED == FLAGS + 1);
const _: () = assert!(CRC_COVERED.start == 0 && CRC_COVERED.end == RESERVED + 1);
const _: () = assert!(CRC.start == CRC_COVERED.end && CRC.end == LEN);

/// Byte range of segment `i`'s length field.
pub fn seg_len_range(i: usize) -> Range<usize> {
    let s = SEGMENTS.start + 6 * i;
    s..s + 4
}

/// Byte range of segment `i`'s alignment field.
pub fn seg_align_range(i: usize) -> Range<usize> {
    let s = SEGMENTS.start + 6 * i + 4;
    s..s + 2
}

/// One segment descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentDesc {
    /// Logical (unpadded) length.
    pub len: u32,
    /// Alignment hint.
    pub align: u16,
}

/// A decoded preamble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preamble {
    /// The raw 32 bytes (plaintext).
    pub raw: [u8; LEN],
    /// Tag.
    pub tag: Tag,
    /// Declared segment count.
    pub num_segments: u8,
    /// The four segment descriptors.
    pub segments: [SegmentDesc; MAX_SEGMENTS],
    /// Flags byte.
    pub flags: u8,
    /// Reserved byte.
    pub reserved: u8,
    /// Stored CRC.
    pub crc: u32,
    /// CRC computed over bytes 0..28.
    pub computed_crc: u32,
}

/// Structural problems of a preamble whose CRC is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreambleProblem {
    /// Segment count outside 1..=4.
    BadSegmentCount(u8),
    /// A segment beyond the count has a non-zero length or alignment.
    UnusedSegmentNotZero(usize),
    /// The last listed segment of a multi-segment frame is empty.
    LastSegmentEmpty,
    /// A segment is longer than the decoder's cap.
    SegmentTooLong(usize, u32),
}

/// The preamble at the start of `i` (nom, streaming): fewer than 32 bytes
/// give `Incomplete(Needed::new(32 - len))`. Every field is read from its
/// named range; the CRC over [`CRC_COVERED`] is computed, not judged.
pub fn preamble(i: &[u8]) -> IResult<&[u8], Preamble> {
    let (rest, block) = take(LEN)(i)?;
    let (_, (covered, crc)) = (complete::take(CRC.start), le_u32).parse(block)?;
    let mut segments = [SegmentDesc::default(); MAX_SEGMENTS];
    let (_, (tag, num_segments, (), flags, reserved)) = (
        le_u8,
        le_u8,
        fill(segment_desc, &mut segments),
        le_u8,
        all_consuming(le_u8),
    )
        .parse(covered)?;
    let Ok(raw) = <[u8; LEN]>::try_from(block) else {
        return Err(nom::Err::Error(nom::error::Error::new(i, ErrorKind::Eof)));
    };
    Ok((
        rest,
        Preamble {
            raw,
            tag: Tag::from(tag),
            num_segments,
            segments,
            flags,
            reserved,
            crc,
            computed_crc: preamble_crc(covered),
        },
    ))
}

/// One segment descriptor: le32 length, le16 alignment.
fn segment_desc(i: &[u8]) -> IResult<&[u8], SegmentDesc> {
    (le_u32, le_u16)
        .map(|(len, align)| SegmentDesc { len, align })
        .parse(i)
}

impl Preamble {
    /// Decode the first 32 bytes of `b`; `None` if fewer are there.
    pub fn parse(b: &[u8]) -> Option<Preamble> {
        preamble(b).ok().map(|(_, p)| p)
    }

    /// Whether the stored CRC matches.
    pub fn crc_ok(&self) -> bool {
        self.crc == self.computed_crc
    }

    /// Segment count clamped to 1..=4 for layout arithmetic.
    pub fn nseg(&self) -> usize {
        usize::from(self.num_segments).clamp(1, MAX_SEGMENTS)
    }

    /// Logical length of segment `i` (0 beyond the count).
    pub fn seg_len(&self, i: usize) -> u32 {
        if i < self.nseg() {
            self.segments.get(i).map_or(0, |s| s.len)
        } else {
            0
        }
    }

    /// Whether the early-data-compressed flag is set.
    pub fn compressed(&self) -> bool {
        self.flags & FLAG_COMPRESSED != 0
    }

    /// Check the structure (after the CRC matched). `max_segment` caps lengths.
    pub fn validate(&self, max_segment: u32) -> Result<(), PreambleProblem> {
        let n = usize::from(self.num_segments);
        if !(1..=MAX_SEGMENTS).contains(&n) {
            return Err(PreambleProblem::BadSegmentCount(self.num_segments));
        }
        for (i, s) in self.segments.iter().enumerate() {
            if i >= n && (s.len != 0 || s.align != 0) {
                return Err(PreambleProblem::UnusedSegmentNotZero(i));
            }
            if s.len > max_segment {
                return Err(PreambleProblem::SegmentTooLong(i, s.len));
            }
        }
        if n > 1 && self.seg_len(n - 1) == 0 {
            return Err(PreambleProblem::LastSegmentEmpty);
        }
        Ok(())
    }
}

/// Encode a preamble (CRC filled in).
pub fn encode(tag: u8, segments: &[SegmentDesc], flags: u8) -> [u8; LEN] {
    let mut raw = [0u8; LEN];
    raw[TAG] = tag;
    raw[NUM_SEGMENTS] = u8::try_from(segments.len()).unwrap_or(u8::MAX);
    for (i, s) in segments.iter().take(MAX_SEGMENTS).enumerate() {
        if let Some(d) = raw.get_mut(seg_len_range(i)) {
            d.copy_from_slice(&s.len.to_le_bytes());
        }
        if let Some(d) = raw.get_mut(seg_align_range(i)) {
            d.copy_from_slice(&s.align.to_le_bytes());
        }
    }
    raw[FLAGS] = flags;
    let crc = preamble_crc(&raw[CRC_COVERED]);
    raw[CRC].copy_from_slice(&crc.to_le_bytes());
    raw
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use nom::{Err, Needed};

    // The client's HELLO preamble in captures/none-crc.pcap, packet 14
    // (42644 -> 43500), client stream offset 26 right after the banner.
    const REAL_HELLO: [u8; LEN] = [
        0x01, 0x01, 0x24, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xbd,
        0x6b, 0x06,
    ];

    #[test]
    fn real_capture_preamble() {
        // The frame's first payload bytes follow the preamble in the packet.
        let mut wire = REAL_HELLO.to_vec();
        wire.extend_from_slice(&[0x01, 0x01, 0x01, 0x01]);
        let (rest, p) = preamble(&wire).unwrap();
        assert_eq!(rest, &[0x01, 0x01, 0x01, 0x01]);
        assert_eq!(p.raw, REAL_HELLO);
        assert_eq!(p.tag, Tag::Hello);
        assert_eq!(p.num_segments, 1);
        assert_eq!(p.segments[0], SegmentDesc { len: 36, align: 8 });
        assert_eq!(p.segments[1..], [SegmentDesc::default(); 3]);
        assert_eq!((p.flags, p.reserved), (0, 0));
        assert_eq!(p.crc, 0x066b_bd3f);
        assert_eq!(p.computed_crc, 0x066b_bd3f);
        assert!(p.crc_ok());
        assert_eq!(p.validate(1 << 20), Ok(()));
        // Stream offsets of the named fields: the frame starts at 26.
        let base = 26u64;
        assert_eq!(base + CRC.start as u64, 54);
        assert_eq!(base + seg_len_range(0).start as u64, 28);
        assert_eq!(base + seg_align_range(0).start as u64, 32);
        for n in 0..LEN {
            assert_eq!(
                preamble(&REAL_HELLO[..n]),
                Err(Err::Incomplete(Needed::new(LEN - n))),
                "prefix {n}"
            );
        }
    }

    #[test]
    fn fields_come_from_their_ranges() {
        // A byte changed inside a named range changes that field alone.
        let base = preamble(&REAL_HELLO).unwrap().1;
        let changed = |at: usize| {
            let mut raw = REAL_HELLO;
            raw[at] ^= 0x40;
            preamble(&raw).unwrap().1
        };
        assert_eq!(changed(TAG).tag, Tag::from(0x41));
        assert_eq!(changed(NUM_SEGMENTS).num_segments, 0x41);
        assert_eq!(changed(FLAGS).flags, 0x40);
        assert_eq!(changed(RESERVED).reserved, 0x40);
        for i in 0..MAX_SEGMENTS {
            let l = changed(seg_len_range(i).start).segments[i];
            assert_eq!(l.len, base.segments[i].len ^ 0x40, "segment {i}");
            let a = changed(seg_align_range(i).end - 1).segments[i];
            assert_eq!(a.align, base.segments[i].align ^ 0x4000, "segment {i}");
        }
        let c = changed(CRC.end - 1);
        assert_eq!(c.crc, 0x466b_bd3f);
        assert_eq!(c.computed_crc, base.computed_crc);
        for at in CRC_COVERED {
            assert!(!changed(at).crc_ok(), "byte {at}");
        }
    }

    #[test]
    fn real_hello_preamble() {
        // FACTS.md: HELLO, one 36-byte segment, alignment 8, crc 0x066bbd3f.
        let raw = encode(1, &[SegmentDesc { len: 36, align: 8 }], 0);
        assert_eq!(&raw[28..], &[0x3f, 0xbd, 0x6b, 0x06]);
        let p = Preamble::parse(&raw).unwrap_or_else(|| unreachable!());
        assert!(p.crc_ok());
        assert_eq!(p.tag, Tag::Hello);
        assert_eq!(p.seg_len(0), 36);
        assert_eq!(p.validate(1 << 20), Ok(()));
        for n in 0..LEN {
            assert!(Preamble::parse(&raw[..n]).is_none());
        }
    }

    #[test]
    fn structure_checks() {
        let mut raw = encode(
            17,
            &[
                SegmentDesc { len: 41, align: 8 },
                SegmentDesc { len: 0, align: 8 },
            ],
            0,
        );
        let p = Preamble::parse(&raw).unwrap_or_else(|| unreachable!());
        assert_eq!(p.validate(1 << 20), Err(PreambleProblem::LastSegmentEmpty));
        raw = encode(
            17,
            &[SegmentDesc {
                len: u32::MAX,
                align: 8,
            }],
            0,
        );
        let p = Preamble::parse(&raw).unwrap_or_else(|| unreachable!());
        assert_eq!(
            p.validate(1 << 20),
            Err(PreambleProblem::SegmentTooLong(0, u32::MAX))
        );
        raw[1] = 5;
        let p = Preamble::parse(&raw).unwrap_or_else(|| unreachable!());
        assert!(!p.crc_ok());
        assert_eq!(
            p.validate(u32::MAX),
            Err(PreambleProblem::BadSegmentCount(5))
        );
    }
}
