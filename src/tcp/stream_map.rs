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
//! The reassembler's window of recently delivered bytes (`recent`) is
//! built on the same map: bytes plus who carried them, so a
//! retransmission that disagrees can name the packet it contradicts.
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
