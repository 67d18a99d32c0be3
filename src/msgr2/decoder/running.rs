//! Segment CRCs of a large crc-mode frame, computed while it arrives.
//!
//! A frame of megabytes comes in hundreds of packets and is buffered whole
//! before it is decoded; checking its segments only then reads every byte
//! a second time, long after it left the cache. Instead, once the frame's
//! preamble is checked, its layout is known, and each time some tens of
//! kilobytes more of it are buffered their CRC32C is folded into the
//! register of the segment they belong to, while they are still in cache.
//! When the frame is complete only the last few kilobytes remain.
//!
//! CRC32C is a running register: the CRC of `a || b` is the register after
//! `a` updated with `b` (crc32c crate `crc32c_append`), so the result is
//! exactly [`segment_crc`](crate::msgr2::crc::segment_crc) of each segment.

use crate::msgr2::crc::SEGMENT_SEED;
use crate::msgr2::frame::{crc_layout, Rev};
use crate::msgr2::preamble::{Preamble, MAX_SEGMENTS};
use std::ops::Range;

/// Bytes folded in at a time: a multiple of the crc32c crate's interleaved
/// block (three lanes of 8 KiB), small enough to be still in cache.
const STEP: usize = 4 * 24 * 1024;
/// Frames smaller than this are checked whole when complete.
const MIN_FRAME: u64 = 256 << 10;

/// The segment CRCs of the crc-mode frame being received.
#[derive(Debug, Clone)]
pub(super) struct Running {
    /// Stream offset of the frame's first byte.
    pub(super) at: u64,
    /// Each segment's bytes, counted from the frame's first byte.
    segs: [Range<usize>; MAX_SEGMENTS],
    /// Each segment's register so far (crc32c crate form).
    regs: [u32; MAX_SEGMENTS],
    /// Bytes from the frame's first byte folded in so far.
    done: usize,
}

impl Running {
    /// For the frame at stream offset `at` whose preamble `p` was checked;
    /// `None` for a frame small enough to be checked whole.
    pub(super) fn new(at: u64, p: &Preamble, rev: Rev) -> Option<Running> {
        let layout = crc_layout(p, rev);
        if layout.total < MIN_FRAME {
            return None;
        }
        let mut segs: [Range<usize>; MAX_SEGMENTS] = [0..0, 0..0, 0..0, 0..0];
        for (s, r) in segs.iter_mut().zip(layout.segments) {
            *s = usize::try_from(r.start).ok()?..usize::try_from(r.end).ok()?;
        }
        Some(Running {
            at,
            segs,
            // Ceph's seed, in the crate's inverted form (crc.rs).
            regs: [!SEGMENT_SEED; MAX_SEGMENTS],
            done: 0,
        })
    }

    /// Fold in what `frame` (the frame's bytes buffered so far, from its
    /// first byte) holds past what was folded before: only when a whole
    /// step of it waits, or, with `all`, everything.
    pub(super) fn advance(&mut self, frame: &[u8], all: bool) {
        let waiting = frame.len().saturating_sub(self.done);
        let end = if all {
            frame.len()
        } else if waiting >= STEP {
            self.done.saturating_add(waiting / STEP * STEP)
        } else {
            return;
        };
        for (seg, reg) in self.segs.iter().zip(self.regs.iter_mut()) {
            let from = seg.start.max(self.done);
            let to = seg.end.min(end);
            if let Some(bytes) = frame.get(from..to) {
                *reg = crc32c::crc32c_append(*reg, bytes);
            }
        }
        self.done = self.done.max(end);
    }

    /// Every segment's CRC as Ceph computes it, once all of their bytes
    /// were folded in.
    pub(super) fn crcs(&self) -> Option<[u32; MAX_SEGMENTS]> {
        let last = self.segs.iter().map(|r| r.end).max().unwrap_or(0);
        (self.done >= last).then(|| self.regs.map(|r| !r))
    }
}

/// A large frame at `base` waits for more bytes (`buf`, from its first
/// byte): start its CRCs, or fold in what came.
pub(super) fn track(slot: &mut Option<Running>, (base, buf): (u64, &[u8]), p: &Preamble, rev: Rev) {
    if slot.as_ref().map(|r| r.at) != Some(base) {
        *slot = Running::new(base, p, rev);
    }
    if let Some(r) = slot {
        r.advance(buf, false);
    }
}

/// Bytes were buffered from `base` on: fold them in if they are those of
/// the frame being tracked.
pub(super) fn fed(slot: &mut Option<Running>, base: u64, buf: &[u8]) {
    if let Some(r) = slot.as_mut().filter(|r| r.at == base) {
        r.advance(buf, false);
    }
}

/// The frame at `offset` is complete (`wire`, its bytes): its segments'
/// CRCs, if they were tracked.
pub(super) fn finish(
    slot: &mut Option<Running>,
    offset: u64,
    wire: &[u8],
) -> Option<[u32; MAX_SEGMENTS]> {
    let mut r = slot.take().filter(|r| r.at == offset)?;
    r.advance(wire, true);
    r.crcs()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::msgr2::crc::segment_crc;
    use crate::msgr2::encoder::{encode_crc, FrameSpec};
    use crate::msgr2::frame::crc_frame;
    use crate::msgr2::preamble::preamble;

    /// A MESSAGE frame of four segments of the given sizes.
    fn frame(rev: Rev, lens: [usize; 4]) -> Vec<u8> {
        let segs: Vec<Vec<u8>> = lens
            .iter()
            .enumerate()
            .map(|(k, &n)| (0..n).map(|i| (i * 31 + k * 7) as u8).collect())
            .collect();
        encode_crc(
            rev,
            &FrameSpec::message(&segs[0], &segs[1], &segs[2], &segs[3]),
        )
    }

    #[test]
    fn folding_in_as_bytes_come_gives_each_segments_crc() {
        for rev in [Rev::V0, Rev::V1] {
            for lens in [
                [60, 300, 0, 4 << 20],
                [60, 0, 0, 300 << 10],
                [1 << 20, 7, 5, 3],
            ] {
                let wire = frame(rev, lens);
                let (_, p) = preamble(&wire).unwrap();
                let (_, parts) = crc_frame(&p, rev)(&wire[..]).unwrap();
                let want: Vec<u32> = (0..4)
                    .map(|i| segment_crc(&wire[parts.segments[i].clone()]))
                    .collect();
                // Fed in packet-sized pieces, folded only past a step.
                for piece in [1448, 65_000, 100_003] {
                    let mut r = Running::new(0, &p, rev).unwrap();
                    let mut have = 0;
                    while have < wire.len() {
                        have = (have + piece).min(wire.len());
                        r.advance(&wire[..have], false);
                        if have < wire.len() - STEP {
                            assert!(r.crcs().is_none() || lens[3] < have);
                        }
                    }
                    r.advance(&wire, true);
                    assert_eq!(r.crcs().unwrap().to_vec(), want, "{rev:?} {lens:?} {piece}");
                }
            }
        }
    }

    #[test]
    fn small_frames_are_left_to_be_checked_whole() {
        let wire = frame(Rev::V1, [60, 1000, 0, 100 << 10]);
        let (_, p) = preamble(&wire).unwrap();
        assert!(Running::new(0, &p, Rev::V1).is_none());
    }

    #[test]
    fn nothing_is_claimed_before_every_byte_is_folded_in() {
        let wire = frame(Rev::V1, [60, 0, 0, 1 << 20]);
        let (_, p) = preamble(&wire).unwrap();
        let mut r = Running::new(0, &p, Rev::V1).unwrap();
        r.advance(&wire[..wire.len() - 20], true);
        // The data segment's last bytes (before the epilogue) are missing.
        assert!(r.crcs().is_none());
        r.advance(&wire, true);
        assert!(r.crcs().is_some());
    }
}
