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
//! No-panic contract: [`Preamble::parse`] takes any slice; every accessor
//! works on the copied, fixed-size array.

use super::crc::preamble_crc;
use super::Tag;
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

impl Preamble {
    /// Decode the first 32 bytes of `b`; `None` if fewer are there.
    pub fn parse(b: &[u8]) -> Option<Preamble> {
        let raw: [u8; LEN] = b.get(..LEN)?.try_into().ok()?;
        let mut segments = [SegmentDesc::default(); MAX_SEGMENTS];
        for (i, seg) in segments.iter_mut().enumerate() {
            let l = raw.get(seg_len_range(i))?;
            let a = raw.get(seg_align_range(i))?;
            seg.len = u32::from_le_bytes(l.try_into().ok()?);
            seg.align = u16::from_le_bytes(a.try_into().ok()?);
        }
        let crc = u32::from_le_bytes(raw.get(CRC)?.try_into().ok()?);
        Some(Preamble {
            tag: Tag::from(raw[TAG]),
            num_segments: raw[NUM_SEGMENTS],
            segments,
            flags: raw[FLAGS],
            reserved: raw[RESERVED],
            crc,
            computed_crc: preamble_crc(raw.get(CRC_COVERED)?),
            raw,
        })
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
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

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
