//! The last delivered bytes of a direction, with the packets that carried
//! them: the reassembler's window for checking retransmissions.
//!
//! A delivered piece is kept in one of three ways:
//!
//! * **Shared**: when the packet's bytes lie in a buffer that can be held
//!   past the packet (a read-ahead batch, a mapped file: the capture's
//!   [`Owner`]), the piece is a place in it and nothing is copied. The
//!   window holds each such buffer once, however many pieces lie in it.
//! * **Ring**: copied into the window's own buffer otherwise (packets read
//!   on the dissecting thread, bytes that waited out of order). That
//!   buffer grows with the bytes while they are fewer than the window,
//!   then stays at the window's size and is written round, the oldest
//!   bytes overwritten (a ring): each piece is one or two plain copies, in
//!   stream order.
//! * **Owned**: a shared piece whose buffer the reader asked back
//!   ([`RecentBytes::release`]) is copied into a buffer of its own, only
//!   its part still inside the window. Those are pieces of connections
//!   quiet since their packets: a busy one's window lies in the last
//!   batches, which are not asked back.
//!
//! Whichever way, the window holds the same bytes, so what a
//! retransmission is compared with does not depend on how the packets
//! were read.
//!
//! ```text
//!  stream   ... | pkt 7 (shared) | pkt 8 (ring) | pkt 9 (shared) |
//!                 ^start (end - window)                          ^end
//!  bufs     [batch 12 (pkt 7)] [batch 13 (pkt 9)]
//!  ring     [ .. pkt 8's bytes .. ]
//! ```

use super::stream_map::{Chunk, StreamMap};
use crate::capture::{Owner, PacketIndex, Timestamp};
use bytes::Bytes;
use std::collections::VecDeque;
use std::ops::Range;

/// Where a kept piece's bytes are.
#[derive(Debug)]
enum Src {
    /// In the packets' buffer numbered `id`, from byte `at`.
    Shared { id: u64, at: usize },
    /// In the ring, from the byte written `n`-th (counted since the start).
    Ring(u64),
    /// In a buffer of its own.
    Owned(Box<[u8]>),
}

/// A buffer of the packets' that kept pieces lie in.
#[derive(Debug)]
struct Buf {
    id: u64,
    bytes: Bytes,
    /// Kept pieces that lie in it.
    pieces: usize,
}

/// One delivered piece: its first stream offset and where its bytes are.
#[derive(Debug)]
struct Piece {
    offset: u64,
    src: Src,
}

/// The window (see the module's text).
#[derive(Debug, Default)]
pub(crate) struct RecentBytes {
    /// Offset of the oldest kept byte.
    start: u64,
    /// One past the newest.
    end: u64,
    /// The delivered pieces, in stream order, back to back up to `end`;
    /// the first may begin before `start`.
    pieces: VecDeque<Piece>,
    /// The buffers shared pieces lie in, by number (rising).
    bufs: VecDeque<Buf>,
    /// Copied bytes: the last `ring.len()` bytes written, the one written
    /// `n`-th at `n % ring.len()`.
    ring: Vec<u8>,
    /// Bytes written to the ring so far.
    written: u64,
    /// Bytes delivered since the window was made (for its memory).
    delivered: u64,
    /// The window's size the ring was made for.
    cap: usize,
    /// Who carried the kept bytes; the first chunk may begin before `start`.
    owners: StreamMap,
}

impl RecentBytes {
    /// Heap bytes charged for the window: its bytes (the window's size
    /// once that many were delivered, however they are kept, so that the
    /// charge does not depend on how the packets were read), its pieces
    /// and their owners.
    pub(crate) fn memory(&self) -> usize {
        let bytes = usize::try_from(self.delivered)
            .unwrap_or(usize::MAX)
            .min(self.cap);
        let pieces = self
            .pieces
            .capacity()
            .saturating_mul(std::mem::size_of::<Piece>());
        bytes
            .saturating_add(pieces)
            .saturating_add(self.owners.memory())
    }

    /// Forget everything; the next delivered byte is at `at`.
    pub(crate) fn reset(&mut self, at: u64) {
        self.start = at;
        self.end = at;
        self.pieces.clear();
        self.bufs.clear();
        self.owners = StreamMap::new();
    }

    /// Append delivered bytes, keeping at most `cap` of them: a piece of
    /// `shared` when `data` lies in it, else a copy.
    pub(crate) fn push(
        &mut self,
        offset: u64,
        data: &[u8],
        shared: Option<Owner<'_>>,
        (packet, ts): (PacketIndex, Timestamp),
        cap: usize,
    ) {
        let len = len64(data.len());
        if offset != self.end || cap == 0 {
            self.reset(offset);
        }
        self.delivered = self.delivered.saturating_add(len);
        if cap == 0 {
            self.start = offset.saturating_add(len);
            self.end = self.start;
            return;
        }
        if cap != self.cap {
            // A window of another size: the ring is made again.
            self.cap = cap;
            self.ring = Vec::new();
            self.written = 0;
            self.reset(offset);
        }
        // Buffers come numbered in packet order; one that does not is copied.
        let shared = shared.filter(|o| self.bufs.back().is_none_or(|b| b.id <= o.id));
        let src = match shared.and_then(|o| place_in(o.bytes, data).map(|at| (o, at))) {
            Some((o, at)) => {
                self.hold(o);
                Src::Shared { id: o.id, at }
            }
            None => Src::Ring(self.write(data)),
        };
        self.pieces.push_back(Piece { offset, src });
        self.owners.record(offset, len, packet, ts);
        self.end = offset.saturating_add(len);
        self.start = self.start.max(self.end.saturating_sub(len64(cap)));
        self.forget_before_start();
    }

    /// Count one more piece in the buffer of `o` (held from now on).
    fn hold(&mut self, o: Owner<'_>) {
        match self.bufs.back_mut() {
            Some(b) if b.id == o.id => b.pieces += 1,
            _ => self.bufs.push_back(Buf {
                id: o.id,
                bytes: o.bytes.clone(),
                pieces: 1,
            }),
        }
    }

    /// The piece no longer lies in buffer `id`: let go of the buffers no
    /// piece lies in any more, from the oldest.
    fn unhold(&mut self, id: u64) {
        if let Some(b) = self.buf_index(id).and_then(|k| self.bufs.get_mut(k)) {
            b.pieces = b.pieces.saturating_sub(1);
        }
        while self.bufs.front().is_some_and(|b| b.pieces == 0) {
            self.bufs.pop_front();
        }
    }

    /// Where buffer `id` is in `bufs` (numbers rise), if it is held.
    fn buf_index(&self, id: u64) -> Option<usize> {
        let k = self.bufs.partition_point(|b| b.id < id);
        self.bufs.get(k).is_some_and(|b| b.id == id).then_some(k)
    }

    fn buf(&self, id: u64) -> Option<&Buf> {
        self.bufs.get(self.buf_index(id)?)
    }

    /// One past the last stream offset of piece `k`: where the next begins.
    fn piece_end(&self, k: usize) -> u64 {
        self.pieces.get(k + 1).map_or(self.end, |next| next.offset)
    }

    /// Drop the pieces and owners that end at or before `start`.
    fn forget_before_start(&mut self) {
        loop {
            let gone = match self.pieces.get(1) {
                Some(next) => next.offset <= self.start,
                None => !self.pieces.is_empty() && self.end <= self.start,
            };
            if !gone {
                break;
            }
            if let Some(Piece {
                src: Src::Shared { id, .. },
                ..
            }) = self.pieces.pop_front()
            {
                self.unhold(id);
            }
        }
        self.owners.prune_before(self.start);
    }

    /// Copy the shared pieces lying in buffers numbered below `before`,
    /// each into a buffer of its own (only its part inside the window), and
    /// let go of those buffers.
    pub(crate) fn release(&mut self, before: u64) {
        if self.bufs.front().is_none_or(|b| b.id >= before) {
            return;
        }
        for k in 0..self.pieces.len() {
            let Some(&Piece {
                offset,
                src: Src::Shared { id, at },
            }) = self.pieces.get(k)
            else {
                continue;
            };
            if id >= before {
                // Pieces lie in buffers of rising numbers.
                break;
            }
            let end = self.piece_end(k);
            let from = offset.max(self.start);
            let skip = to_usize(from - offset);
            let n = to_usize(end.saturating_sub(from));
            let from_at = at.saturating_add(skip);
            let copy: Box<[u8]> = self
                .buf(id)
                .and_then(|b| b.bytes.get(from_at..from_at.saturating_add(n)))
                .unwrap_or_default()
                .into();
            if let Some(p) = self.pieces.get_mut(k) {
                p.offset = from;
                p.src = Src::Owned(copy);
            }
            self.unhold(id);
        }
    }

    /// Whether any kept piece lies in a buffer of the packets'.
    pub(crate) fn holds_shared(&self) -> bool {
        !self.bufs.is_empty()
    }

    /// Copy `data` after the ring's bytes; the count it starts at.
    fn write(&mut self, data: &[u8]) -> u64 {
        let first = self.written;
        let n = len64(data.len());
        let cap = self.cap;
        let fits = self.written.saturating_add(n) <= len64(cap);
        if fits && len64(self.ring.len()) == self.written {
            // Still growing: the buffer is the bytes.
            self.ring.extend_from_slice(data);
        } else {
            if self.ring.len() != cap {
                self.ring.resize(cap, 0);
            }
            // More than the ring: only its last `cap` bytes stay.
            let skip = data.len().saturating_sub(cap);
            let tail = data.get(skip..).unwrap_or_default();
            let at = ring_index(self.written.saturating_add(len64(skip)), cap);
            let first = tail.len().min(cap.saturating_sub(at));
            let (a, b) = tail.split_at(first);
            if let Some(dst) = self.ring.get_mut(at..at + first) {
                dst.copy_from_slice(a);
            }
            if let Some(dst) = self.ring.get_mut(..b.len()) {
                dst.copy_from_slice(b);
            }
        }
        self.written = self.written.saturating_add(n);
        first
    }

    /// The kept bytes of `range`, one piece per packet that carried them.
    pub(crate) fn overlapping(
        &self,
        range: Range<u64>,
    ) -> impl Iterator<Item = (Chunk, Kept<'_>)> + '_ {
        let lo = range.start.max(self.start);
        let hi = range.end.min(self.end);
        self.owners
            .chunks(lo..hi)
            .map(move |chunk| (chunk, self.kept(chunk.offset..chunk.end())))
    }

    /// The kept bytes of `range` (inside the window), in order.
    fn kept(&self, range: Range<u64>) -> Kept<'_> {
        let first = self
            .pieces
            .partition_point(|p| p.offset <= range.start)
            .saturating_sub(1);
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut at = range.start;
        for (k, piece) in self.pieces.iter().enumerate().skip(first) {
            if at >= range.end {
                break;
            }
            let end = self.piece_end(k).min(range.end);
            if end <= at {
                continue;
            }
            let from = to_usize(at.saturating_sub(piece.offset));
            let n = to_usize(end - at);
            match &piece.src {
                Src::Shared { id, at } => {
                    let b = self.buf(*id).map(|b| b.bytes.as_ref()).unwrap_or_default();
                    let from = at.saturating_add(from);
                    parts.push(b.get(from..from.saturating_add(n)).unwrap_or_default());
                }
                Src::Ring(w) => parts.extend(self.ring_bytes(w.saturating_add(len64(from)), n)),
                Src::Owned(b) => {
                    parts.push(b.get(from..from.saturating_add(n)).unwrap_or_default())
                }
            }
            at = end;
        }
        parts.into_iter().flatten()
    }

    /// The `n` ring bytes from the one written `w`-th: at most two slices
    /// (none if they were overwritten).
    fn ring_bytes(&self, w: u64, n: usize) -> [&[u8]; 2] {
        let size = self.ring.len();
        let gone = self.written.saturating_sub(len64(size));
        if w < gone || w.saturating_add(len64(n)) > self.written || size == 0 {
            return [&[], &[]];
        }
        let at = ring_index(w, size);
        let first = n.min(size - at);
        [
            self.ring.get(at..at + first).unwrap_or_default(),
            self.ring.get(..n - first).unwrap_or_default(),
        ]
    }
}

/// Kept bytes of the window, in order.
pub(crate) type Kept<'a> = std::iter::Flatten<std::vec::IntoIter<&'a [u8]>>;

/// Where `data` begins in `buf`, when it lies in it.
fn place_in(buf: &Bytes, data: &[u8]) -> Option<usize> {
    let at = data.as_ptr().addr().checked_sub(buf.as_ptr().addr())?;
    let end = at.checked_add(data.len())?;
    (end <= buf.len()).then_some(at)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Where the byte written `w`-th is in a ring of `size` bytes.
fn ring_index(w: u64, size: usize) -> usize {
    usize::try_from(w % len64(size.max(1))).unwrap_or(0)
}

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    fn p(n: u64) -> (PacketIndex, Timestamp) {
        (PacketIndex(n), ts(0))
    }

    fn owner(bytes: &Bytes, id: u64) -> Option<Owner<'_>> {
        Some(Owner {
            bytes,
            id,
            release: None,
        })
    }

    fn all(r: &RecentBytes, range: Range<u64>) -> Vec<(u64, u64, Vec<u8>)> {
        r.overlapping(range)
            .map(|(c, b)| (c.offset, c.packet.0, b.copied().collect()))
            .collect()
    }

    #[test]
    fn recent_bytes_keep_a_bounded_window() {
        let mut r = RecentBytes::default();
        r.push(0, b"abcd", None, p(1), 6);
        r.push(4, b"efgh", None, p(2), 6);
        assert_eq!(
            all(&r, 0..100),
            vec![(2, 1, b"cd".to_vec()), (4, 2, b"efgh".to_vec())]
        );
        // A discontinuity restarts the window.
        r.push(20, b"xy", None, p(3), 6);
        assert_eq!(r.overlapping(0..20).count(), 0);
        assert_eq!(
            r.overlapping(21..22).map(|(c, _)| c.offset).next(),
            Some(21)
        );
    }

    /// How pieces are delivered to the window in the test below.
    #[derive(Clone, Copy, Debug)]
    enum Way {
        Copied,
        Shared,
        /// Shared, and every third piece the buffers before the last two
        /// are asked back.
        Released,
        /// Shared and copied in turn.
        Mixed,
        /// Shared and copied in turn, and released as above.
        MixedReleased,
    }

    /// The window against the plain definition: the last `cap` bytes of
    /// the stream, each piece named by the packet that carried it, for
    /// pieces smaller than, equal to and larger than the window, copied,
    /// shared (three pieces to a buffer), released, or both.
    #[test]
    fn recent_bytes_are_the_last_bytes_whatever_the_piece_sizes() {
        let stream: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        // The packets' buffer: the stream with other bytes around it.
        let mut buf = vec![0xee; 100];
        buf.extend_from_slice(&stream);
        buf.extend_from_slice(&[0xdd; 100]);
        let buf = Bytes::from(buf);
        let ways = [
            Way::Copied,
            Way::Shared,
            Way::Released,
            Way::Mixed,
            Way::MixedReleased,
        ];
        for way in ways {
            for cap in [1usize, 7, 64, 1000] {
                for piece in [1usize, 3, 7, 63, 64, 65, 999, 1000, 1500] {
                    let mut r = RecentBytes::default();
                    let mut at = 0;
                    let mut n = 0;
                    while at < stream.len() {
                        let end = (at + piece).min(stream.len());
                        n += 1;
                        let data = &buf[100 + at..100 + end];
                        let id = n / 3;
                        let shared = match way {
                            Way::Copied => None,
                            Way::Mixed | Way::MixedReleased if n % 2 == 0 => None,
                            _ => owner(&buf, id),
                        };
                        r.push(len64(at), data, shared, p(n), cap);
                        if matches!(way, Way::Released | Way::MixedReleased) && n % 3 == 0 {
                            let before = id.saturating_sub(1);
                            r.release(before);
                            assert!(r.bufs.iter().all(|b| b.id >= before));
                        }
                        at = end;
                        let lo = at.saturating_sub(cap);
                        let mut got = Vec::new();
                        let mut next = len64(lo);
                        for (c, bytes) in r.overlapping(0..u64::MAX) {
                            assert_eq!(c.offset, next, "{way:?} cap {cap} piece {piece}");
                            // Piece k (from 1) carried [(k-1)*piece, k*piece).
                            assert_eq!(c.packet.0, c.offset / len64(piece) + 1);
                            next = c.end();
                            got.extend(bytes.copied());
                        }
                        assert_eq!(
                            got,
                            stream[lo..at],
                            "{way:?} cap {cap} piece {piece} at {at}"
                        );
                        // Only the buffers of kept pieces are held.
                        let held: usize = r.bufs.iter().map(|b| b.pieces).sum();
                        let shared = r
                            .pieces
                            .iter()
                            .filter(|p| matches!(p.src, Src::Shared { .. }))
                            .count();
                        assert_eq!(held, shared);
                        assert!(r.bufs.iter().all(|b| b.pieces > 0) || r.bufs.len() <= 1);
                    }
                    assert!(r.memory() >= cap);
                }
            }
        }
        // A part of the window, across the ring's end.
        let mut r = RecentBytes::default();
        r.push(0, b"abcdef", None, p(1), 8);
        r.push(6, b"ghij", None, p(2), 8);
        let got: Vec<(u64, Vec<u8>)> = r
            .overlapping(5..9)
            .map(|(c, b)| (c.offset, b.copied().collect()))
            .collect();
        assert_eq!(got, vec![(5, b"f".to_vec()), (6, b"ghi".to_vec())]);
    }

    #[test]
    fn a_buffer_is_held_once_until_no_piece_lies_in_it() {
        let a = Bytes::from(b"..abcdefgh..".to_vec());
        let b = Bytes::from(b"ijklmnop".to_vec());
        let mut r = RecentBytes::default();
        r.push(0, &a[2..6], owner(&a, 1), p(1), 6);
        r.push(4, &a[6..10], owner(&a, 1), p(2), 6);
        // Bytes that are not the buffer's are copied.
        r.push(8, b"qr", owner(&a, 1), p(3), 6);
        assert_eq!(r.bufs.len(), 1);
        assert!(!a.is_unique());
        // Asking back later buffers only changes nothing.
        r.release(1);
        assert!(!a.is_unique());
        r.release(2);
        assert!(a.is_unique());
        assert!(!r.holds_shared());
        assert_eq!(
            all(&r, 0..100),
            vec![(4, 2, b"efgh".to_vec()), (8, 3, b"qr".to_vec())]
        );
        // Sliding past the pieces of a buffer lets go of it too.
        r.push(10, &b[0..4], owner(&b, 2), p(4), 6);
        assert!(!b.is_unique());
        r.push(14, b"xyzuvw", None, p(5), 6);
        assert!(b.is_unique());
        assert_eq!(all(&r, 0..100), vec![(14, 5, b"xyzuvw".to_vec())]);
        // A buffer numbered below the last one held is copied from.
        r.push(20, &b[4..6], owner(&b, 2), p(6), 6);
        r.push(22, &a[2..4], owner(&a, 1), p(7), 6);
        assert_eq!(r.bufs.len(), 1);
        assert_eq!(
            all(&r, 18..100),
            vec![
                (18, 5, b"vw".to_vec()),
                (20, 6, b"mn".to_vec()),
                (22, 7, b"ab".to_vec())
            ]
        );
    }

    #[test]
    fn the_memory_charged_does_not_depend_on_sharing() {
        let buf = Bytes::from(vec![7u8; 3000]);
        let mut copied = RecentBytes::default();
        let mut shared = RecentBytes::default();
        for k in 0..3u64 {
            let at = usize::try_from(k).unwrap() * 1000;
            let data = &buf[at..at + 1000];
            copied.push(k * 1000, data, None, p(k + 1), 2048);
            shared.push(k * 1000, data, owner(&buf, k), p(k + 1), 2048);
            assert_eq!(copied.memory(), shared.memory());
        }
    }
}
