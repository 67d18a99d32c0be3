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
//!
//! When no view shows a data segment's bytes
//! ([`DecoderConfig::elide_data`](super::DecoderConfig::elide_data)), the
//! middle of a large data segment need not be kept at all: each piece of it
//! that arrives whole is folded into the register as it comes (from the CRC
//! its reader computed, combined in without reading the bytes again, or
//! from the bytes themselves) and the frame grows by as many zeros, never
//! copied. The first and last [`KEPT`] bytes of the data segment are kept
//! (a message decoder reads an op's names at its start), and
//! [`Frame::elided`](crate::msgr2::Frame::elided) says which bytes are not.
//!
//! Growing the frame by zeros is itself a write of every elided byte. So a
//! frame that may be elided grows into a storage of its whole length
//! instead, whose middle is zero already: each piece takes the next bytes
//! of it (copied into them when kept, left as they are when elided) and
//! joins the frame without a copy (`BytesMut::unsplit` of contiguous
//! parts). Once the frame is decoded and dropped, the storage is used
//! again for a later large frame: its bytes are zero where the last frame
//! elided them, and only the rest of the new middle (some kilobytes, for
//! frames of one size) is zeroed. The storages free for that are few and
//! shared by all the connections of a dissection ([`Storages`]), so that
//! connections gone quiet keep none.

use crate::msgr2::crc::{self, SEGMENT_SEED};
use crate::msgr2::frame::{crc_layout, Rev};
use crate::msgr2::preamble::{Preamble, MAX_SEGMENTS};
use bytes::{Bytes, BytesMut};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Bytes folded in at a time: a multiple of the crc32c crate's interleaved
/// block (three lanes of 8 KiB), small enough to be still in cache.
const STEP: usize = 4 * 24 * 1024;
/// Frames smaller than this are checked whole when complete.
const MIN_FRAME: u64 = 256 << 10;
/// Bytes kept at each end of an elided data segment.
pub(super) const KEPT: usize = 64 << 10;
/// Room in a storage past its frame, for the start of the next frame that
/// the frame's last packet carries (a 64 KiB IP packet's payload fits).
const ROOM: usize = 64 << 10;
/// Storages come in multiples of this, so that a frame a few bytes longer
/// than the last still fits in its storage.
const STORAGE_STEP: usize = 256 << 10;
/// The largest storage: a frame that claims more is buffered as it comes
/// (its claim is not taken at its word before its bytes arrive).
const MAX_STORAGE: usize = 16 << 20;
/// The smallest piece elided without its CRC given: below the crc32c
/// crate's interleaved block (three lanes of 8 KiB) folding it in costs
/// more than keeping it and folding a whole step in later.
const ALONE_MIN: usize = 24 << 10;
/// The data segment (segment 3: ceph_msg_header2, front, middle, data).
const DATA: usize = 3;

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
    /// Whether the data segment's middle may be elided.
    elide: bool,
    /// The bytes elided so far (zeros in the frame), from its first byte.
    elided: Option<Range<usize>>,
    /// The frame's storage past its current end (see the module's text):
    /// its bytes in the data segment's middle are zero.
    rest: Option<BytesMut>,
    /// Whether a storage was looked for (at the first piece elided).
    engaged: bool,
}

/// A storage a large frame was decoded from, kept for a later one, and
/// where its bytes are known to be zero (those the frame elided).
#[derive(Debug)]
struct Spare {
    whole: Bytes,
    zero: Range<usize>,
}

/// At most this many storages are kept free ([`Storages`]).
const FREE_MAX: usize = 4;
/// And at most this many bytes of them.
const FREE_MAX_BYTES: usize = 24 << 20;

/// The storages of large elided frames kept for later ones (see the
/// module's text): a few, shared by the decoders of one dissection
/// ([`ConnDecoder::with_storages`](super::ConnDecoder::with_storages)).
/// A storage is only taken again once nothing reads the frame it held.
#[derive(Debug, Default)]
pub struct Storages {
    free: Mutex<Vec<Spare>>,
    bytes: AtomicUsize,
}

impl Storages {
    /// Heap bytes of the storages kept.
    pub fn memory(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The smallest storage of at least `need` bytes that nothing reads
    /// any more, and where it is zero.
    fn take(&self, need: usize) -> Option<(BytesMut, Range<usize>)> {
        let mut free = self.free.lock().ok()?;
        let (i, _) = free
            .iter()
            .enumerate()
            .filter(|(_, s)| s.whole.len() >= need && s.whole.is_unique())
            .min_by_key(|(_, s)| s.whole.len())?;
        let spare = free.remove(i);
        self.bytes.fetch_sub(spare.whole.len(), Ordering::Relaxed);
        let whole = spare.whole.try_into_mut().ok()?;
        Some((whole, spare.zero))
    }

    /// Keep `spare`, the oldest going when too many are kept.
    fn give(&self, spare: Spare) {
        let Ok(mut free) = self.free.lock() else {
            return;
        };
        self.bytes.fetch_add(spare.whole.len(), Ordering::Relaxed);
        free.push(spare);
        while free.len() > FREE_MAX || self.bytes.load(Ordering::Relaxed) > FREE_MAX_BYTES {
            let old = free.remove(0);
            self.bytes.fetch_sub(old.whole.len(), Ordering::Relaxed);
        }
    }
}

impl Running {
    /// For the frame at stream offset `at` whose preamble `p` was checked;
    /// `None` for a frame small enough to be checked whole. With `elide`,
    /// its data segment's middle may be elided (not for a compressed
    /// frame, whose segments are decompressed once checked).
    pub(super) fn new(at: u64, p: &Preamble, rev: Rev, elide: bool) -> Option<Running> {
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
            elide: elide && !p.compressed(),
            elided: None,
            rest: None,
            engaged: false,
        })
    }

    /// The part of the data segment that may be elided.
    fn middle(&self) -> Range<usize> {
        self.segs.get(DATA).map_or(0..0, |seg| {
            seg.start.saturating_add(KEPT)..seg.end.saturating_sub(KEPT)
        })
    }

    /// The frame's length.
    fn total(&self) -> usize {
        self.segs.iter().map(|r| r.end).max().unwrap_or(0)
    }

    /// Move the frame's bytes so far (`frame`) into a storage of its whole
    /// length and some room past it, whose middle is zero: one of
    /// `storages` if one is free and large enough, else a new one. Once,
    /// at the first piece elided: by then the frame before, which usually
    /// ended in the packet that began this one, has been read and dropped,
    /// and its storage is free. Nothing for a frame too large to claim its
    /// length before it comes.
    fn engage(&mut self, frame: &mut BytesMut, storages: Option<&Storages>) {
        if std::mem::replace(&mut self.engaged, true) {
            return;
        }
        let middle = self.middle();
        let need = self.total().saturating_add(ROOM);
        if middle.is_empty() || need > MAX_STORAGE {
            return;
        }
        let Some((mut store, zero)) = storages.and_then(|s| s.take(need)) else {
            return self.engage_new(frame, need);
        };
        // Zero what the middle holds of the last frame's kept bytes.
        let before = middle.start..zero.start.min(middle.end);
        let after = zero.end.max(middle.start)..middle.end;
        for part in [before, after] {
            if let Some(b) = store.get_mut(part) {
                b.fill(0);
            }
        }
        self.adopt(frame, store);
    }

    /// [`Running::engage`] on a new storage, zeroed by its allocation.
    fn engage_new(&mut self, frame: &mut BytesMut, need: usize) {
        let len = need.div_ceil(STORAGE_STEP).saturating_mul(STORAGE_STEP);
        self.adopt(frame, BytesMut::zeroed(len));
    }

    /// The frame's bytes so far copied to the front of `store`, which the
    /// frame then grows into.
    fn adopt(&mut self, frame: &mut BytesMut, mut store: BytesMut) {
        let Some(front) = store.get_mut(..frame.len()) else {
            return;
        };
        front.copy_from_slice(frame);
        self.rest = Some(store.split_off(frame.len()));
        *frame = store;
    }

    /// Add `piece` to the end of `frame`: from the storage while it has
    /// room (copied into it, or, `elided`, its zeros taken as they are),
    /// else appended (or zeros).
    fn grow(&mut self, frame: &mut BytesMut, piece: &[u8], elided: bool) {
        if let Some(rest) = self.rest.as_mut().filter(|r| r.len() >= piece.len()) {
            let mut next = rest.split_to(piece.len());
            if !elided {
                next.copy_from_slice(piece);
            }
            // Contiguous with the frame: joined without a copy.
            frame.unsplit(next);
            return;
        }
        // Out of room: the storage's tail goes, the frame grows as before.
        self.rest = None;
        if elided {
            frame.resize(frame.len().saturating_add(piece.len()), 0);
        } else {
            frame.extend_from_slice(piece);
        }
    }

    /// Take `piece`, the frame's next bytes after those in `frame`, without
    /// keeping it, when it lies in the middle of the data segment: its CRC
    /// (`crc`, crate form, when known; else read from it) is folded in and
    /// `frame` grows by as many zeros. `None`: the piece is not in the
    /// middle of an elided data segment, to be kept; `Some(false)`: it is,
    /// but small, without its CRC and before any other was elided, it is
    /// kept ([`ALONE_MIN`]: where all pieces are small and come without
    /// CRCs, none is elided); `Some(true)`: elided. The bytes elided are
    /// one range: once a piece in the middle is kept after some were
    /// elided (it straddled an end of the middle or came with bytes before
    /// it), the rest is kept too.
    pub(super) fn elide(
        &mut self,
        (frame, storages): (&mut BytesMut, Option<&Storages>),
        piece: &[u8],
        crc: Option<u32>,
    ) -> Option<bool> {
        let from = frame.len();
        let to = from.saturating_add(piece.len());
        let seg = self.segs.get(DATA)?;
        let middle = seg.start.saturating_add(KEPT)..seg.end.saturating_sub(KEPT);
        // After a piece kept, the frame no longer ends where the bytes
        // elided do: what follows is kept too.
        let contiguous = self.elided.as_ref().is_none_or(|e| e.end == from);
        if !self.elide || !contiguous || piece.is_empty() || from < middle.start || to > middle.end
        {
            return None;
        }
        if crc.is_none() && piece.len() < ALONE_MIN && self.elided.is_none() {
            return Some(false);
        }
        // Everything before it first, in order.
        self.advance(frame, true);
        let reg = self.regs.get_mut(DATA).filter(|_| self.done == from)?;
        *reg = match crc {
            Some(c) => crc::combine(*reg, c, piece.len()),
            None => crc::append(*reg, piece),
        };
        self.done = to;
        self.elided = Some(self.elided.as_ref().map_or(from, |e| e.start)..to);
        self.engage(frame, storages);
        self.grow(frame, piece, true);
        Some(true)
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
            if let Some(bytes) = frame.get(from..to).filter(|b| !b.is_empty()) {
                *reg = crc::append(*reg, bytes);
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
/// byte): start its CRCs (eliding its data segment's middle with
/// `elide`), or fold in what came.
pub(super) fn track(
    slot: &mut Option<Running>,
    (base, buf): (u64, &[u8]),
    (p, rev): (&Preamble, Rev),
    elide: bool,
) {
    if slot.as_ref().map(|r| r.at) != Some(base) {
        *slot = Running::new(base, p, rev, elide);
    }
    if let Some(r) = slot {
        r.advance(buf, false);
    }
}

/// Add a piece that is not elided to `buf`, whose frame starts at `base`
/// (in the frame's storage while it has room).
pub(super) fn append(slot: &mut Option<Running>, (base, buf): (u64, &mut BytesMut), piece: &[u8]) {
    match slot.as_mut().filter(|r| r.at == base && r.rest.is_some()) {
        Some(r) => r.grow(buf, piece, false),
        None => buf.extend_from_slice(piece),
    }
}

/// The first `n` bytes of `buf`, the frame at `base`, taken out. A frame
/// that grew into a storage and elided bytes leaves it, whole again, in
/// `storages` for a later large frame.
pub(super) fn take_frame(
    slot: &mut Option<Running>,
    (base, buf, storages): (u64, &mut BytesMut, Option<&Storages>),
    n: usize,
) -> Bytes {
    let n = n.min(buf.len());
    let stored = slot
        .as_mut()
        .filter(|r| r.at == base)
        .and_then(|r| Some((r.rest.take()?, r.elided.clone()?)));
    let Some((rest, zero)) = stored else {
        return buf.split_to(n).freeze();
    };
    // The frame, what follows it, and the storage's tail: one buffer again,
    // without a copy (they are contiguous unless the frame grew elsewhere).
    let held = buf.len();
    if buf.as_ptr().wrapping_add(held) != rest.as_ptr() {
        return buf.split_to(n).freeze();
    }
    let mut all = std::mem::take(buf);
    all.unsplit(rest);
    let whole = all.freeze();
    *buf = BytesMut::from(whole.get(n..held).unwrap_or_default());
    let frame = whole.slice(..n);
    if let Some(s) = storages {
        s.give(Spare { whole, zero });
    }
    frame
}

/// Heap bytes of the storage of the frame being received, past its end.
pub(super) fn memory(slot: &Option<Running>) -> usize {
    slot.as_ref()
        .and_then(|r| r.rest.as_ref())
        .map_or(0, BytesMut::capacity)
}

/// Bytes were buffered from `base` on: fold them in if they are those of
/// the frame being tracked.
pub(super) fn fed(slot: &mut Option<Running>, base: u64, buf: &[u8]) {
    if let Some(r) = slot.as_mut().filter(|r| r.at == base) {
        r.advance(buf, false);
    }
}

/// Bytes fresh from the stream, `piece`, come after the `buf` of the
/// frame at `base`: whether they lie in the middle of a data segment that
/// may be elided, and if so whether they were (see [`Running::elide`]).
pub(super) fn elide(
    slot: &mut Option<Running>,
    (base, buf, storages): (u64, &mut BytesMut, Option<&Storages>),
    piece: &[u8],
    crc: Option<u32>,
) -> Option<bool> {
    slot.as_mut()
        .filter(|r| r.at == base)
        .and_then(|r| r.elide((buf, storages), piece, crc))
}

/// The bytes elided of the frame at `offset`, counted from its first byte.
pub(super) fn elided(slot: &Option<Running>, offset: u64) -> Option<Range<usize>> {
    slot.as_ref().filter(|r| r.at == offset)?.elided.clone()
}

/// The frame at `offset` is complete (`wire`, its bytes): its segments'
/// CRCs, if they were tracked, and the bytes elided.
pub(super) fn finish(
    slot: &mut Option<Running>,
    offset: u64,
    wire: &[u8],
) -> (Option<[u32; MAX_SEGMENTS]>, Option<Range<usize>>) {
    let Some(mut r) = slot.take().filter(|r| r.at == offset) else {
        return (None, None);
    };
    r.advance(wire, true);
    (r.crcs(), r.elided)
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
                    let mut r = Running::new(0, &p, rev, false).unwrap();
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

    /// Pieces of the middle elided as they come give the same CRCs; once a
    /// piece of the middle is kept, the rest is kept too, so that the bytes
    /// elided are one range, zeros in the frame, and every other byte is
    /// the frame's.
    #[test]
    fn elided_pieces_are_one_range_of_zeros_with_the_same_crcs() {
        let wire = frame(Rev::V1, [60, 300, 0, 1 << 20]);
        let (_, p) = preamble(&wire).unwrap();
        let (_, parts) = crc_frame(&p, Rev::V1)(&wire[..]).unwrap();
        let want: Vec<u32> = (0..4)
            .map(|i| segment_crc(&wire[parts.segments[i].clone()]))
            .collect();
        let data = parts.segments[3].clone();
        for (with_crc, keep_at, size) in [
            (false, None, 65_483),
            (true, None, 1448),
            (true, Some(400_000), 1448),
        ] {
            let mut r = Running::new(0, &p, Rev::V1, true).unwrap();
            let mut buf = BytesMut::new();
            let mut kept_one = false;
            for piece in wire.chunks(size) {
                let crc = with_crc.then(|| crc32c::crc32c(piece));
                let force = keep_at.is_some_and(|k| buf.len() >= k) && !kept_one;
                if force {
                    kept_one = true;
                }
                if force || r.elide((&mut buf, None), piece, crc) != Some(true) {
                    buf.extend_from_slice(piece);
                    r.advance(&buf, false);
                }
            }
            r.advance(&buf, true);
            assert_eq!(r.crcs().unwrap().to_vec(), want, "{with_crc} {keep_at:?}");
            let e = r.elided.clone().unwrap();
            assert!(data.start + KEPT <= e.start && e.start < data.start + KEPT + size);
            match keep_at {
                Some(k) => assert!(e.end >= k && e.end < k + size, "{e:?}"),
                None => assert!(e.end + KEPT <= data.end && e.end + KEPT + size > data.end),
            }
            assert!(buf[e.clone()].iter().all(|&b| b == 0));
            assert_eq!(&buf[..e.start], &wire[..e.start]);
            assert_eq!(&buf[e.end..], &wire[e.end..]);
        }
        // Without elide, nothing is.
        let mut r = Running::new(0, &p, Rev::V1, false).unwrap();
        let mut buf = BytesMut::from(&wire[..200_000]);
        assert_eq!(
            r.elide((&mut buf, None), &wire[200_000..201_448], None),
            None
        );
        assert_eq!(r.elided, None);
        // Small pieces without their CRC are kept; large ones are not.
        let mut r = Running::new(0, &p, Rev::V1, true).unwrap();
        let mut buf = BytesMut::from(&wire[..200_000]);
        assert_eq!(
            r.elide((&mut buf, None), &wire[200_000..201_448], None),
            Some(false)
        );
        assert_eq!(r.elided, None);
        buf.extend_from_slice(&wire[200_000..201_448]);
        let big = &wire[201_448..201_448 + ALONE_MIN];
        assert_eq!(r.elide((&mut buf, None), big, None), Some(true));
        assert_eq!(r.elided, Some(201_448..201_448 + ALONE_MIN));
    }

    /// The storages kept are few and bounded in bytes, the oldest going
    /// first; one still read is never handed out, and the smallest that
    /// fits is.
    #[test]
    fn storages_kept_are_bounded_and_only_free_ones_are_taken() {
        let s = Storages::default();
        let spare = |len: usize| Spare {
            whole: Bytes::from(vec![0u8; len]),
            zero: 0..len,
        };
        for len in [1 << 20, 2 << 20, 3 << 20, 4 << 20, 5 << 20] {
            s.give(spare(len));
        }
        // Four at most: the 1 MiB one went.
        assert_eq!(s.memory(), (2 + 3 + 4 + 5) << 20);
        s.give(spare(12 << 20));
        // Four at most again: the 2 MiB one went (24 MiB left, the most).
        assert_eq!(s.memory(), 24 << 20);
        s.give(spare(1 << 20));
        assert_eq!(s.memory(), (4 + 5 + 12 + 1) << 20);
        assert!(s.take(13 << 20).is_none());
        let (m, zero) = s.take(9 << 19).unwrap();
        assert_eq!((m.len(), zero), (5 << 20, 0..5 << 20));
        assert_eq!(s.memory(), (4 + 12 + 1) << 20);
        // Read elsewhere: kept, not handed out.
        let held = Bytes::from(vec![0u8; 2 << 20]);
        s.give(Spare {
            whole: held.clone(),
            zero: 0..0,
        });
        assert_eq!(s.take(3 << 19).unwrap().0.len(), 4 << 20);
        drop(held);
        assert_eq!(s.take(3 << 19).unwrap().0.len(), 2 << 20);
        assert_eq!(s.memory(), (12 + 1) << 20);
    }

    #[test]
    fn small_frames_are_left_to_be_checked_whole() {
        let wire = frame(Rev::V1, [60, 1000, 0, 100 << 10]);
        let (_, p) = preamble(&wire).unwrap();
        assert!(Running::new(0, &p, Rev::V1, false).is_none());
    }

    #[test]
    fn nothing_is_claimed_before_every_byte_is_folded_in() {
        let wire = frame(Rev::V1, [60, 0, 0, 1 << 20]);
        let (_, p) = preamble(&wire).unwrap();
        let mut r = Running::new(0, &p, Rev::V1, false).unwrap();
        r.advance(&wire[..wire.len() - 20], true);
        // The data segment's last bytes (before the epilogue) are missing.
        assert!(r.crcs().is_none());
        r.advance(&wire, true);
        assert!(r.crcs().is_some());
    }
}
