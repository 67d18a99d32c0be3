//! Per-direction reassembly: TCP segments in capture order in, one ordered
//! byte stream out, with every loss and every disagreement reported.
//!
//! A [`Reassembler`] owns one direction of one connection. It maps 32-bit
//! sequence numbers to 64-bit stream offsets (offset 0 is the byte after
//! the SYN, or the first byte seen when the SYN was not captured), and
//! turns segments into [`ReassemblyEvent`]s. It does no I/O and knows
//! nothing of addresses, so tests and fuzzers drive it directly.
//!
//! ```text
//!   delivered (recent window)   next   held out of order (capped)      fin
//!  ...=========================|------[####]----[~~~~]---[#######]-----|
//!                                hole          snaplen-cut bytes
//! ```
//!
//! # Delivery and overlaps
//! * Bytes at `next` are delivered at once, borrowed from the segment.
//!   Bytes past a hole are copied into a held map keyed by offset, whose
//!   entries never overlap, and delivered when the hole fills.
//! * The first copy of a byte wins. A later copy overlapping held bytes, or
//!   delivered bytes still inside the recent window, is compared with it;
//!   a difference gives one [`ReassemblyEvent::OverlapDiffers`] per earlier
//!   packet involved, spanning first to last differing byte. Identical
//!   copies give nothing. Bytes older than the window are dropped unchecked.
//! * Bytes before offset 0 (retransmissions of data sent before the
//!   capture began) and bytes at or past the FIN are ignored.
//!
//! # Gaps
//! A hole is reported as [`ReassemblyEvent::Gap`] only when the loss is
//! certain, never to make progress on a guess:
//! 1. [`Reassembler::ack_seen`]: the peer acknowledged bytes past `next`, so
//!    it received bytes the capture did not. The gap ends at the ACK (or at
//!    the next held bytes, whichever is first). The ACK of a FIN that was
//!    not captured makes a gap one byte too long: the FIN's sequence number
//!    cannot be told from data.
//! 2. The held map's cost passes [`ReassemblyConfig::max_buffered`] (bytes,
//!    plus [`HELD_ENTRY_COST`] per entry): the hole before the earliest
//!    held entry is given up, repeatedly until the cost fits.
//! 3. [`Reassembler::flush`] (FIN, RST, end of capture): every hole before
//!    held bytes, and any hole before a known FIN.
//! 4. A segment whose tail the snap length cut (`missing` bytes): the cut
//!    range is held as "missing"; it becomes a gap when delivery reaches
//!    it, unless a later copy supplies the real bytes first.
//!
//! After a gap, delivery resumes right after it: the offsets of `Data` and
//! `Gap` events tile the stream with no overlap and no hole.
//!
//! # Memory
//! Held bytes are capped per direction (16 MiB by default), the recent
//! window (256 KiB by default, `recent`'s `RecentBytes`) holds places in
//! the packets' buffers or copies in a ring, and nothing else grows with
//! the length of the stream.
//!
//! # Limits
//! When the SYN was not captured, the first segment seen sets offset 0,
//! even an empty one: a keep-alive probe (one below the next sequence
//! number) picked up first shifts the stream by one, and the peer's next
//! ACK then reports a one-byte gap at offset 0.

use super::recent::RecentBytes;
use crate::capture::Owner;
use crate::capture::{PacketIndex, Timestamp};
use std::collections::BTreeMap;

/// Default cap on the cost of out-of-order data held per direction.
pub const DEFAULT_MAX_BUFFERED: usize = 16 * 1024 * 1024;
/// Default size of the window of delivered bytes kept to check retransmissions.
pub const DEFAULT_RECENT_WINDOW: usize = 256 * 1024;
/// Cost charged per held entry on top of its bytes, so that many tiny
/// segments cannot outgrow the cap through bookkeeping.
pub const HELD_ENTRY_COST: usize = 64;

/// Bounds of one direction's reassembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Cap on held out-of-order data: bytes plus [`HELD_ENTRY_COST`] per entry.
    pub max_buffered: usize,
    /// Delivered bytes kept to compare retransmissions against.
    pub recent_window: usize,
    /// How many further segments or ACKs of the connection an ACK past a
    /// hole waits for the missing bytes before the hole is declared a gap:
    /// a capture may record an ACK before the data it acknowledges.
    pub ack_gap_delay: u32,
}

/// Default for [`ReassemblyConfig::ack_gap_delay`].
pub const DEFAULT_ACK_GAP_DELAY: u32 = 64;

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_buffered: DEFAULT_MAX_BUFFERED,
            recent_window: DEFAULT_RECENT_WINDOW,
            ack_gap_delay: DEFAULT_ACK_GAP_DELAY,
        }
    }
}

/// What one direction's reassembler produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReassemblyEvent<'a> {
    /// In-order bytes.
    Data {
        /// Stream offset.
        offset: u64,
        /// Bytes.
        data: &'a [u8],
        /// CRC32C of `data` (crate form), when they are a packet's whole
        /// payload and its reader computed it.
        crc: Option<u32>,
        /// Source packet.
        packet: PacketIndex,
        /// Its time.
        ts: Timestamp,
    },
    /// Bytes never captured.
    Gap {
        /// First missing byte.
        offset: u64,
        /// How many.
        len: u64,
        /// Where noticed.
        packet: PacketIndex,
    },
    /// A differing overlap.
    OverlapDiffers {
        /// Offset of the first differing byte.
        offset: u64,
        /// Bytes from the first to the last differing one, inclusive.
        len: u64,
        /// Packet with the differing copy.
        packet: PacketIndex,
        /// Packet whose copy was kept.
        first_packet: PacketIndex,
    },
}

use super::held::{compare, len64, low32, part, to_usize, Held};

/// Where reassembly events go.
pub(super) type Sink<'s> = dyn FnMut(ReassemblyEvent<'_>) + 's;

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Reassembler {
    cfg: ReassemblyConfig,
    /// Sequence number of stream offset 0.
    origin: Option<u32>,
    /// Next offset to deliver.
    next: u64,
    /// Offset of the FIN: the stream ends there.
    fin: Option<u64>,
    /// Held out-of-order entries, keyed by offset, never overlapping,
    /// all starting after `next`.
    pub(super) held: BTreeMap<u64, Held>,
    pub(super) held_cost: usize,
    pub(super) recent: RecentBytes,
    last_packet: PacketIndex,
    /// An ACK past a hole: (acknowledged offset, its packet, calls left
    /// before the hole becomes a gap).
    acked: Option<(u64, PacketIndex, u32)>,
    /// The new ranges of the segment being handled (reused).
    pieces: Vec<(u64, u64)>,
}

impl Reassembler {
    /// A reassembler with the default bounds.
    pub fn new() -> Self {
        Reassembler::default()
    }

    /// A reassembler with the given bounds.
    pub fn with_config(cfg: ReassemblyConfig) -> Self {
        Reassembler {
            cfg,
            ..Reassembler::default()
        }
    }

    /// A SYN with initial sequence number `isn` was seen: offset 0 is
    /// `isn + 1`. Ignored once the origin is known.
    pub fn syn(&mut self, isn: u32) {
        if self.origin.is_none() {
            self.origin = Some(isn.wrapping_add(1));
        }
    }

    /// Sequence number of stream offset 0, once known.
    pub fn origin(&self) -> Option<u32> {
        self.origin
    }

    /// Next stream offset to be delivered.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Offset where the FIN ends the stream, once seen.
    pub fn fin_offset(&self) -> Option<u64> {
        self.fin
    }

    /// Whether a FIN was seen and every byte before it was delivered or gapped.
    pub fn is_complete(&self) -> bool {
        self.fin.is_some_and(|f| self.next >= f)
    }

    /// Last packet fed to this direction (segment or ACK).
    pub fn last_packet(&self) -> PacketIndex {
        self.last_packet
    }

    /// Offset of `seq` relative to the origin, negative before offset 0.
    /// Sequence numbers are read within 2^31 of `next`, either side.
    fn offset_of(&self, seq: u32) -> Option<i128> {
        let next_seq = self.origin?.wrapping_add(low32(self.next));
        let ahead = seq.wrapping_sub(next_seq);
        let next = i128::from(self.next);
        Some(if ahead < 0x8000_0000 {
            next + i128::from(ahead)
        } else {
            next - (i128::from(u32::MAX - ahead) + 1)
        })
    }

    /// One segment: `payload` starts at sequence number `seq`, and `missing`
    /// more bytes follow it that the capture did not keep.
    pub fn segment(
        &mut self,
        packet: PacketIndex,
        ts: Timestamp,
        seq: u32,
        payload: &[u8],
        missing: u32,
        sink: &mut Sink<'_>,
    ) {
        self.segment_in(packet, ts, seq, (payload, None, None), missing, sink);
    }

    /// [`Reassembler::segment`], with the buffer `payload` lies in when it
    /// can be held past the packet (see [`crate::capture::Owner`]): the
    /// window of delivered bytes then keeps a piece of it, not a copy.
    pub fn segment_in(
        &mut self,
        packet: PacketIndex,
        ts: Timestamp,
        seq: u32,
        (payload, shared, crc): (&[u8], Option<Owner<'_>>, Option<u32>),
        missing: u32,
        sink: &mut Sink<'_>,
    ) {
        self.last_packet = packet;
        if self.origin.is_none() {
            self.origin = Some(seq);
        }
        self.tick(sink);
        let Some(rel) = self.offset_of(seq) else {
            return;
        };
        // Drop whatever lies before offset 0.
        let (start, mut data, mut end) = match u64::try_from(rel) {
            Ok(start) => {
                let cap_end = start.saturating_add(len64(payload.len()));
                (start, payload, cap_end.saturating_add(u64::from(missing)))
            }
            Err(_) => {
                let total = i128::from(len64(payload.len())) + i128::from(missing);
                let end = u64::try_from(rel + total).unwrap_or(0);
                let skip = to_usize(u64::try_from(-rel).unwrap_or(u64::MAX));
                (0, payload.get(skip..).unwrap_or(&[]), end)
            }
        };
        if let Some(fin) = self.fin {
            end = end.min(fin);
            data = part(data, start, start, fin.max(start));
        }
        let cap_end = start.saturating_add(len64(data.len()));
        // The common case, in order with nothing held: the bytes are the
        // next ones, nothing they could overlap or make contiguous.
        if start == self.next && end == cap_end && self.held.is_empty() {
            // The payload's CRC goes with it when these are all its bytes.
            let crc = crc.filter(|_| data.len() == payload.len());
            self.emit_data(start, (data, shared, crc), packet, ts, sink);
            return;
        }
        // Already delivered: compare with the recent window.
        let old_hi = cap_end.min(self.next);
        if start < old_hi {
            for (chunk, old) in self.recent.overlapping(start..old_hi) {
                let new = part(data, start, chunk.offset, chunk.end());
                compare(chunk.offset, old, new, packet, chunk.packet, sink);
            }
        }
        let new_lo = start.max(self.next);
        // A buffer kept between calls: a fresh one per packet costs an
        // allocation per packet.
        let mut pieces = std::mem::take(&mut self.pieces);
        pieces.clear();
        if new_lo < cap_end {
            self.claim(start, data, (new_lo, cap_end), packet, sink, &mut pieces);
        }
        let miss_lo = cap_end.max(self.next);
        if miss_lo < end {
            self.hold_missing(miss_lo, end, packet);
        }
        self.deliver(start, (data, shared), &pieces, packet, ts, sink);
        self.pieces = pieces;
        self.enforce_cap(packet, sink);
    }

    /// Keys of held entries overlapping `[lo, hi)`, in order.
    fn overlapping(&self, lo: u64, hi: u64) -> Vec<u64> {
        let mut keys = Vec::new();
        if let Some((&k, h)) = self.held.range(..lo).next_back() {
            if k.saturating_add(h.len()) > lo {
                keys.push(k);
            }
        }
        keys.extend(self.held.range(lo..hi).map(|(&k, _)| k));
        keys
    }

    fn put(&mut self, at: u64, held: Held) {
        if held.len() == 0 {
            return;
        }
        self.held_cost = self.held_cost.saturating_add(held.cost());
        if let Some(old) = self.held.insert(at, held) {
            self.held_cost = self.held_cost.saturating_sub(old.cost());
        }
    }

    fn take(&mut self, at: u64) -> Option<Held> {
        let held = self.held.remove(&at)?;
        self.held_cost = self.held_cost.saturating_sub(held.cost());
        Some(held)
    }

    /// Split new captured bytes `[lo, hi)` (`data` starts at `base`) into
    /// the ranges no held bytes cover yet; held bytes they overlap are
    /// compared, held "missing" ranges they overlap are replaced.
    fn claim(
        &mut self,
        base: u64,
        data: &[u8],
        (lo, hi): (u64, u64),
        packet: PacketIndex,
        sink: &mut Sink<'_>,
        pieces: &mut Vec<(u64, u64)>,
    ) {
        let add = |pieces: &mut Vec<(u64, u64)>, a: u64, b: u64| match pieces.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ if a < b => pieces.push((a, b)),
            _ => {}
        };
        let mut cursor = lo;
        for key in self.overlapping(lo, hi) {
            let Some(held) = self.held.get(&key) else {
                continue;
            };
            let key_end = key.saturating_add(held.len());
            let (a, b) = (key.max(lo), key_end.min(hi));
            add(pieces, cursor, a.max(cursor));
            match held {
                Held::Bytes {
                    data: old,
                    packet: first,
                    ..
                } => {
                    let old = part(old, key, a, b);
                    compare(a, old.iter(), part(data, base, a, b), packet, *first, sink);
                }
                Held::Missing { packet: cut, .. } => {
                    let cut = *cut;
                    self.take(key);
                    self.put(key, Held::missing(a - key, cut));
                    self.put(b, Held::missing(key_end - b, cut));
                    add(pieces, a, b);
                }
            }
            cursor = cursor.max(b);
        }
        add(pieces, cursor, hi);
    }

    /// Hold `[lo, hi)` as cut by the snap length, where nothing is held yet.
    fn hold_missing(&mut self, lo: u64, hi: u64, packet: PacketIndex) {
        let mut cursor = lo;
        for key in self.overlapping(lo, hi) {
            let Some(held) = self.held.get(&key) else {
                continue;
            };
            let key_end = key.saturating_add(held.len());
            if key > cursor {
                self.put(cursor, Held::missing(key - cursor, packet));
            }
            cursor = cursor.max(key_end);
        }
        if cursor < hi {
            self.put(cursor, Held::missing(hi - cursor, packet));
        }
    }

    /// Deliver the new pieces and whatever held entries they make
    /// contiguous; hold the pieces that stay past a hole.
    fn deliver(
        &mut self,
        base: u64,
        (data, shared): (&[u8], Option<Owner<'_>>),
        pieces: &[(u64, u64)],
        packet: PacketIndex,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        let mut pieces = pieces.iter().copied().peekable();
        loop {
            if let Some(&(a, b)) = pieces.peek() {
                if a == self.next {
                    self.emit_data(a, (part(data, base, a, b), shared, None), packet, ts, sink);
                    pieces.next();
                    continue;
                }
            }
            if !self.deliver_held(sink) {
                break;
            }
        }
        for (a, b) in pieces {
            let bytes = part(data, base, a, b).to_vec();
            self.put(
                a,
                Held::Bytes {
                    data: bytes,
                    packet,
                    ts,
                },
            );
        }
    }

    /// Deliver the first held entry if it starts at `next`.
    fn deliver_held(&mut self, sink: &mut Sink<'_>) -> bool {
        let at = self.next;
        match self.take(at) {
            Some(Held::Bytes { data, packet, ts }) => {
                self.emit_data(at, (&data, None, None), packet, ts, sink);
                true
            }
            Some(Held::Missing { len, packet }) => {
                self.emit_gap(at.saturating_add(len), packet, sink);
                true
            }
            None => false,
        }
    }

    fn emit_data(
        &mut self,
        offset: u64,
        (data, shared, crc): (&[u8], Option<Owner<'_>>, Option<u32>),
        packet: PacketIndex,
        ts: Timestamp,
        sink: &mut Sink<'_>,
    ) {
        if data.is_empty() {
            return;
        }
        sink(ReassemblyEvent::Data {
            offset,
            data,
            crc,
            packet,
            ts,
        });
        self.recent
            .push(offset, data, shared, (packet, ts), self.cfg.recent_window);
        self.next = offset.saturating_add(len64(data.len()));
    }

    /// Declare `[next, to)` lost and move `next` to `to`.
    fn emit_gap(&mut self, to: u64, packet: PacketIndex, sink: &mut Sink<'_>) {
        if to <= self.next {
            return;
        }
        sink(ReassemblyEvent::Gap {
            offset: self.next,
            len: to - self.next,
            packet,
        });
        self.next = to;
        self.recent.reset(to);
    }

    /// Give up holes, earliest first, until the held data fits the cap.
    fn enforce_cap(&mut self, packet: PacketIndex, sink: &mut Sink<'_>) {
        while self.held_cost > self.cfg.max_buffered {
            let Some(&first) = self.held.keys().next() else {
                break;
            };
            self.emit_gap(first, packet, sink);
            if !self.deliver_held(sink) {
                // Cannot happen: held entries start after `next`.
                self.take(first);
            }
            while self.deliver_held(sink) {}
        }
    }

    /// Deliver held entries up to `to`, declaring the holes between them lost.
    fn fill_to(&mut self, to: u64, packet: PacketIndex, sink: &mut Sink<'_>) {
        while self.next < to {
            if self.deliver_held(sink) {
                continue;
            }
            let first = self.held.keys().next().copied().unwrap_or(u64::MAX);
            if first < self.next {
                // Cannot happen: held entries start after `next`.
                self.take(first);
                continue;
            }
            self.emit_gap(first.min(to), packet, sink);
        }
        while self.deliver_held(sink) {}
    }

    /// The other direction acknowledged `ack`: bytes before it reached the
    /// peer, so any hole before it is a gap.
    pub fn ack_seen(&mut self, ack: u32, packet: PacketIndex, sink: &mut Sink<'_>) {
        self.last_packet = packet;
        self.tick(sink);
        let Some(rel) = self.offset_of(ack) else {
            return;
        };
        let Ok(mut to) = u64::try_from(rel) else {
            return;
        };
        if let Some(fin) = self.fin {
            to = to.min(fin);
        }
        if to <= self.next {
            return;
        }
        if self.cfg.ack_gap_delay == 0 {
            self.fill_to(to, packet, sink);
            return;
        }
        // Wait a little: the data may come right after its ACK.
        let delay = self.cfg.ack_gap_delay;
        self.acked = match self.acked {
            Some((t, p, left)) if t >= to => Some((t, p, left)),
            Some((_, _, left)) => Some((to, packet, left)),
            None => Some((to, packet, delay)),
        };
    }

    /// Count down a pending ACK past a hole; declare the gap when the wait
    /// is over and the bytes still have not come.
    fn tick(&mut self, sink: &mut Sink<'_>) {
        let Some((to, packet, left)) = self.acked else {
            return;
        };
        if to <= self.next {
            self.acked = None;
        } else if left <= 1 {
            self.acked = None;
            self.fill_to(to, packet, sink);
        } else {
            self.acked = Some((to, packet, left - 1));
        }
    }

    /// A FIN at sequence number `seq` (the sequence number after the
    /// segment's payload): the stream ends there. Held bytes past it are
    /// dropped. Only the first FIN counts.
    pub fn fin(&mut self, seq: u32) {
        if self.fin.is_some() {
            return;
        }
        if self.origin.is_none() {
            self.origin = Some(seq);
        }
        let at = self
            .offset_of(seq)
            .and_then(|rel| u64::try_from(rel).ok())
            .unwrap_or(0)
            .max(self.next);
        self.fin = Some(at);
        let beyond: Vec<u64> = self.held.range(at..).map(|(&k, _)| k).collect();
        for key in beyond {
            self.take(key);
        }
        let straddling = self
            .held
            .range(..at)
            .next_back()
            .map(|(&k, h)| (k, h.len()));
        if let Some((key, len)) = straddling {
            if key.saturating_add(len) > at {
                if let Some(mut held) = self.take(key) {
                    held.truncate(at - key);
                    self.put(key, held);
                }
            }
        }
    }

    /// The stream will get no more segments: deliver held data, turning
    /// every hole before it (and before a known FIN) into a gap noticed at
    /// the last packet seen.
    pub fn flush(&mut self, sink: &mut Sink<'_>) {
        self.flush_at(self.last_packet, sink);
    }

    /// As [`Reassembler::flush`], naming `packet` as where the gaps became certain.
    pub fn flush_at(&mut self, packet: PacketIndex, sink: &mut Sink<'_>) {
        if let Some((to, p, _)) = self.acked.take() {
            self.fill_to(to, p, sink);
        }
        let last = self
            .held
            .last_key_value()
            .map(|(&k, h)| k.saturating_add(h.len()));
        let to = last.unwrap_or(0).max(self.fin.unwrap_or(0));
        self.fill_to(to, packet, sink);
    }
}

#[cfg(test)]
#[path = "reassembly_tests.rs"]
mod tests;
