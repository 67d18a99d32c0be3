//! Stream offsets back to packets.
//!
//! A [`StreamMap`] belongs to one direction of one connection. As the
//! reassembler delivers in-order data, the consumer pushes one [`Chunk`]
//! per delivered piece (offset, length, packet, time); later it asks which
//! packets carried a stream range (the bytes of a msgr2 frame) or which
//! packet carried one offset. Chunks are kept sorted by offset and never
//! overlap; a gap in the stream is simply a hole between two chunks.
//!
//! Memory is bounded by the data still in flight: once the decoder has
//! consumed everything before an offset, [`StreamMap::prune_before`] drops
//! the chunks that end at or before it.
//!
//! The reassembler's window of recently delivered bytes (`RecentBytes`,
//! crate-private) is built on the same map: bytes plus who carried them,
//! so a retransmission that disagrees can name the packet it contradicts.
//!
//! ```text
//!  offset  0        1448      2896   3000          5000
//!          |  pkt 4  |  pkt 6  |pkt 7|    (gap)     |  pkt 9 ...
//!          `chunks(1000..3000)` -> pkt 4 [1000,1448), pkt 6, pkt 7
//! ```

use crate::capture::{PacketIndex, Timestamp};
use std::collections::VecDeque;
use std::ops::Range;

/// One packet's contribution to a direction's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Stream offset of the first byte.
    pub offset: u64,
    /// Number of bytes.
    pub len: u64,
    /// Packet that carried them.
    pub packet: PacketIndex,
    /// Its time.
    pub ts: Timestamp,
}

impl Chunk {
    /// One past the last stream offset of the chunk.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }

    /// The part of the chunk inside `range`, if any.
    pub fn clip(&self, range: &Range<u64>) -> Option<Chunk> {
        let lo = self.offset.max(range.start);
        let hi = self.end().min(range.end);
        (lo < hi).then_some(Chunk {
            offset: lo,
            len: hi.saturating_sub(lo),
            ..*self
        })
    }
}

/// Which packets carried which stream bytes, pruned as decoding moves on.
#[derive(Debug, Default)]
pub struct StreamMap {
    chunks: VecDeque<Chunk>,
}

impl StreamMap {
    /// An empty map.
    pub fn new() -> Self {
        StreamMap::default()
    }

    /// Heap bytes the map holds (its chunk buffer).
    pub fn memory(&self) -> usize {
        self.chunks
            .capacity()
            .saturating_mul(std::mem::size_of::<Chunk>())
    }

    /// Record that `chunk.packet` carried `[chunk.offset, chunk.end())`.
    ///
    /// Chunks must come in stream order, as the reassembler delivers them.
    /// The part of a chunk before the end of the last recorded one is
    /// ignored (it was already attributed), an empty chunk is ignored, and
    /// a chunk that continues the last one from the same packet extends it.
    pub fn push(&mut self, chunk: Chunk) {
        let mut chunk = chunk;
        if let Some(last) = self.chunks.back_mut() {
            let last_end = last.end();
            if chunk.end() <= last_end {
                return;
            }
            if chunk.offset < last_end {
                chunk.len = chunk.end().saturating_sub(last_end);
                chunk.offset = last_end;
            }
            if chunk.offset == last_end && chunk.packet == last.packet {
                last.len = last.len.saturating_add(chunk.len);
                return;
            }
        }
        if chunk.len > 0 {
            self.chunks.push_back(chunk);
        }
    }

    /// Shorthand for [`StreamMap::push`] from the fields of a delivered piece.
    pub fn record(&mut self, offset: u64, len: u64, packet: PacketIndex, ts: Timestamp) {
        self.push(Chunk {
            offset,
            len,
            packet,
            ts,
        });
    }

    /// Index of the first chunk that ends after `offset`.
    fn first_after(&self, offset: u64) -> usize {
        self.chunks.partition_point(|c| c.end() <= offset)
    }

    /// The chunks carrying bytes of `range`, in stream order, each clipped
    /// to `range`. Holes (gaps, pruned data) produce no chunk.
    pub fn chunks(&self, range: Range<u64>) -> impl Iterator<Item = Chunk> + '_ {
        let start = self.first_after(range.start);
        self.chunks
            .iter()
            .skip(start)
            .take_while(move |c| c.offset < range.end)
            .filter_map(move |c| c.clip(&range))
    }

    /// The distinct packets carrying bytes of `range`, in stream order.
    ///
    /// Linear in the chunks of the range: packets nearly always arrive in
    /// capture order, so a packet numbered above every one listed so far
    /// is new without a search; only one below that (a retransmission
    /// filling a hole late) is looked for among those listed.
    pub fn packets(&self, range: Range<u64>) -> Vec<PacketIndex> {
        let mut out: Vec<PacketIndex> = Vec::new();
        let mut highest: Option<PacketIndex> = None;
        for c in self.chunks(range) {
            let new = match highest {
                None => true,
                Some(h) if c.packet > h => true,
                Some(_) => !out.contains(&c.packet),
            };
            if new {
                out.push(c.packet);
                highest = highest.max(Some(c.packet));
            }
        }
        out
    }

    /// The chunk holding stream byte `offset`, if it is still recorded.
    pub fn chunk_at(&self, offset: u64) -> Option<Chunk> {
        let chunk = self.chunks.get(self.first_after(offset))?;
        (chunk.offset <= offset).then_some(*chunk)
    }

    /// The packet that carried stream byte `offset`, if still recorded.
    pub fn packet_at(&self, offset: u64) -> Option<PacketIndex> {
        self.chunk_at(offset).map(|c| c.packet)
    }

    /// Forget the chunks that end at or before `offset`. A chunk straddling
    /// `offset` is kept whole, so its packet can still be named.
    pub fn prune_before(&mut self, offset: u64) {
        while self.chunks.front().is_some_and(|c| c.end() <= offset) {
            self.chunks.pop_front();
        }
    }

    /// Offset of the first recorded byte.
    pub fn start(&self) -> Option<u64> {
        self.chunks.front().map(|c| c.offset)
    }

    /// One past the last recorded byte.
    pub fn end(&self) -> Option<u64> {
        self.chunks.back().map(Chunk::end)
    }

    /// Number of chunks held.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether no chunk is held.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// The last delivered bytes of a direction, with the packets that carried
/// them: the reassembler's window for checking retransmissions.
///
/// The bytes are kept in one buffer: it grows with the bytes while they
/// are fewer than the window, then stays at the window's size and is
/// written round, the oldest bytes overwritten (a ring). Each delivered
/// piece is one or two plain copies into it.
#[derive(Debug, Default)]
pub(crate) struct RecentBytes {
    /// Offset of the oldest kept byte.
    start: u64,
    /// Bytes kept, from `start`.
    len: usize,
    /// Index in `ring` of the byte at `start` (0 until the ring is full).
    head: usize,
    /// The kept bytes; `ring.len()` is the ring's size.
    ring: Vec<u8>,
    /// Who carried them; the first chunk may begin before `start`.
    owners: StreamMap,
}

impl RecentBytes {
    /// Heap bytes held: the window and its owners.
    pub(crate) fn memory(&self) -> usize {
        self.ring.capacity().saturating_add(self.owners.memory())
    }

    fn end(&self) -> u64 {
        self.start.saturating_add(len64(self.len))
    }

    /// Forget everything; the next delivered byte is at `at`.
    pub(crate) fn reset(&mut self, at: u64) {
        self.start = at;
        self.len = 0;
        self.head = 0;
        self.ring.clear();
        self.owners = StreamMap::new();
    }

    /// Append delivered bytes, keeping at most `cap` of them.
    pub(crate) fn push(
        &mut self,
        offset: u64,
        data: &[u8],
        packet: PacketIndex,
        ts: Timestamp,
        cap: usize,
    ) {
        let len = len64(data.len());
        if offset != self.end() || cap == 0 {
            self.reset(offset);
        }
        if cap == 0 {
            self.start = offset.saturating_add(len);
            return;
        }
        self.owners.record(offset, len, packet, ts);
        self.write(data, cap);
        self.owners.prune_before(self.start);
    }

    /// Copy `data` after the kept bytes, keeping the last `cap`.
    fn write(&mut self, data: &[u8], cap: usize) {
        // Still growing, and the bytes fit: the buffer is the bytes.
        if self.ring.len() < cap && self.len.saturating_add(data.len()) <= cap {
            self.ring.extend_from_slice(data);
            self.len = self.ring.len();
            return;
        }
        if self.ring.len() != cap {
            // Grown to the window (head is 0 while growing): now a ring.
            self.ring.resize(cap, 0);
        }
        let total = self.len.saturating_add(data.len());
        let data = match data.len().checked_sub(cap) {
            // More than the window: only its last `cap` bytes stay.
            Some(skip) => {
                let (_, tail) = data.split_at(skip);
                self.head = 0;
                self.len = 0;
                tail
            }
            None => data,
        };
        let at = (self.head + self.len) % cap;
        let first = data.len().min(cap - at);
        let (a, b) = data.split_at(first);
        if let Some(dst) = self.ring.get_mut(at..at + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.ring.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        let excess = self.len.saturating_add(data.len()).saturating_sub(cap);
        self.head = (self.head + excess) % cap;
        self.len = self.len.saturating_add(data.len()) - excess;
        // Everything before the last `len` bytes of the stream is gone.
        let dropped = total.saturating_sub(self.len);
        self.start = self.start.saturating_add(len64(dropped));
    }

    /// The kept bytes of `range`, one piece per packet that carried them.
    pub(crate) fn overlapping(
        &self,
        range: Range<u64>,
    ) -> impl Iterator<Item = (Chunk, Kept<'_>)> + '_ {
        let lo = range.start.max(self.start);
        let hi = range.end.min(self.end());
        self.owners.chunks(lo..hi).filter_map(move |chunk| {
            let from = usize::try_from(chunk.offset.checked_sub(self.start)?).ok()?;
            let to = usize::try_from(chunk.end().checked_sub(self.start)?).ok()?;
            (from <= to && to <= self.len).then(|| (chunk, self.kept(from, to)))
        })
    }

    /// The kept bytes `from..to` (counted from `start`), in order.
    fn kept(&self, from: usize, to: usize) -> Kept<'_> {
        let size = self.ring.len().max(1);
        let at = (self.head + from) % size;
        let n = to - from;
        let first = n.min(size - at);
        let a = self.ring.get(at..at + first).unwrap_or_default();
        let b = self.ring.get(..n - first).unwrap_or_default();
        a.iter().chain(b.iter())
    }
}

/// Kept bytes of the window: at most two pieces of the ring, in order.
pub(crate) type Kept<'a> = std::iter::Chain<std::slice::Iter<'a, u8>, std::slice::Iter<'a, u8>>;

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    fn map() -> StreamMap {
        let mut m = StreamMap::new();
        m.record(0, 100, PacketIndex(4), ts(1));
        m.record(100, 50, PacketIndex(6), ts(2));
        m.record(150, 10, PacketIndex(7), ts(3));
        // hole [160, 200) left by a gap
        m.record(200, 100, PacketIndex(9), ts(4));
        m
    }

    #[test]
    fn lookup_ranges_and_offsets() {
        let m = map();
        let got: Vec<Chunk> = m.chunks(50..170).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].offset, got[0].len, got[0].packet),
            (50, 50, PacketIndex(4))
        );
        assert_eq!((got[2].offset, got[2].len), (150, 10));
        assert_eq!(
            m.packets(0..1000),
            vec![
                PacketIndex(4),
                PacketIndex(6),
                PacketIndex(7),
                PacketIndex(9)
            ]
        );
        assert_eq!(m.packet_at(0), Some(PacketIndex(4)));
        assert_eq!(m.packet_at(99), Some(PacketIndex(4)));
        assert_eq!(m.packet_at(100), Some(PacketIndex(6)));
        assert_eq!(m.packet_at(170), None);
        assert_eq!(m.packet_at(299), Some(PacketIndex(9)));
        assert_eq!(m.packet_at(300), None);
        assert_eq!(m.chunks(160..200).count(), 0);
        assert_eq!(m.chunks(10..10).count(), 0);
    }

    #[test]
    fn push_merges_and_trims() {
        let mut m = StreamMap::new();
        m.record(0, 10, PacketIndex(1), ts(0));
        m.record(10, 10, PacketIndex(1), ts(0));
        assert_eq!(m.len(), 1);
        assert_eq!(m.end(), Some(20));
        // Already attributed bytes are not re-attributed.
        m.record(5, 10, PacketIndex(2), ts(0));
        assert_eq!(m.len(), 1);
        m.record(15, 10, PacketIndex(3), ts(0));
        assert_eq!(m.chunk_at(20).map(|c| (c.offset, c.len)), Some((20, 5)));
        m.record(25, 0, PacketIndex(4), ts(0));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn recent_bytes_keep_a_bounded_window() {
        let mut r = RecentBytes::default();
        r.push(0, b"abcd", PacketIndex(1), ts(0), 6);
        r.push(4, b"efgh", PacketIndex(2), ts(0), 6);
        let got: Vec<(u64, u64, Vec<u8>)> = r
            .overlapping(0..100)
            .map(|(c, b)| (c.offset, c.packet.0, b.copied().collect()))
            .collect();
        assert_eq!(got, vec![(2, 1, b"cd".to_vec()), (4, 2, b"efgh".to_vec())]);
        // A discontinuity restarts the window.
        r.push(20, b"xy", PacketIndex(3), ts(0), 6);
        assert_eq!(r.overlapping(0..20).count(), 0);
        assert_eq!(
            r.overlapping(21..22).map(|(c, _)| c.offset).next(),
            Some(21)
        );
    }

    /// The window against the plain definition: the last `cap` bytes of
    /// the stream, each piece named by the packet that carried it, for
    /// pieces smaller than, equal to and larger than the window.
    #[test]
    fn recent_bytes_are_the_last_bytes_whatever_the_piece_sizes() {
        let stream: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        for cap in [1usize, 7, 64, 1000] {
            for piece in [1usize, 3, 7, 63, 64, 65, 999, 1000, 1500] {
                let mut r = RecentBytes::default();
                let mut at = 0usize;
                let mut n = 0u64;
                while at < stream.len() {
                    let end = (at + piece).min(stream.len());
                    n += 1;
                    r.push(len64(at), &stream[at..end], PacketIndex(n), ts(0), cap);
                    at = end;
                    let lo = at.saturating_sub(cap);
                    let mut got = Vec::new();
                    let mut next = len64(lo);
                    for (c, bytes) in r.overlapping(0..u64::MAX) {
                        assert_eq!(c.offset, next, "cap {cap} piece {piece}");
                        // Piece k (from 1) carried [(k-1)*piece, k*piece).
                        assert_eq!(c.packet.0, c.offset / len64(piece) + 1);
                        next = c.end();
                        got.extend(bytes.copied());
                    }
                    assert_eq!(got, stream[lo..at], "cap {cap} piece {piece} at {at}");
                }
                assert!(r.memory() >= cap);
            }
        }
        // A part of the window, across the ring's end.
        let mut r = RecentBytes::default();
        r.push(0, b"abcdef", PacketIndex(1), ts(0), 8);
        r.push(6, b"ghij", PacketIndex(2), ts(0), 8);
        let got: Vec<(u64, Vec<u8>)> = r
            .overlapping(5..9)
            .map(|(c, b)| (c.offset, b.copied().collect()))
            .collect();
        assert_eq!(got, vec![(5, b"f".to_vec()), (6, b"ghi".to_vec())]);
    }

    #[test]
    fn packets_are_distinct_in_stream_order_even_out_of_capture_order() {
        let mut m = StreamMap::new();
        // Packet 9 filled a hole late: its bytes sit between 10's and 11's,
        // and packet 10 carried bytes on both sides of them.
        for (offset, len, packet) in [
            (0, 10, 10),
            (10, 5, 9),
            (15, 5, 10),
            (20, 5, 11),
            (25, 5, 9),
        ] {
            m.record(offset, len, PacketIndex(packet), ts(1));
        }
        let got: Vec<u64> = m.packets(0..30).iter().map(|p| p.0).collect();
        assert_eq!(got, vec![10, 9, 11]);
        let got: Vec<u64> = m.packets(12..22).iter().map(|p| p.0).collect();
        assert_eq!(got, vec![9, 10, 11]);
    }

    #[test]
    fn prune_keeps_straddling_chunk() {
        let mut m = map();
        m.prune_before(120);
        assert_eq!(m.start(), Some(100));
        assert_eq!(m.packet_at(50), None);
        m.prune_before(1000);
        assert!(m.is_empty());
        assert_eq!(m.end(), None);
    }
}
