//! Bytes held out of order by the reassembler, and the small arithmetic
//! helpers it shares with them.

use super::reassembly::{ReassemblyEvent, Sink, HELD_ENTRY_COST};
use super::Reassembler;
use crate::capture::{PacketIndex, Timestamp};

pub(super) fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

pub(super) fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The low 32 bits of a stream offset, to step sequence numbers.
pub(super) fn low32(n: u64) -> u32 {
    u32::try_from(n & u64::from(u32::MAX)).unwrap_or(0)
}

/// `data[lo - base .. hi - base]`, clamped to `data`.
pub(super) fn part(data: &[u8], base: u64, lo: u64, hi: u64) -> &[u8] {
    let to = to_usize(hi.saturating_sub(base)).min(data.len());
    let from = to_usize(lo.saturating_sub(base)).min(to);
    data.get(from..to).unwrap_or(&[])
}

/// Compare an earlier copy with a later one starting at `offset`; report
/// the span from the first to the last differing byte.
pub(super) fn compare<'o>(
    offset: u64,
    old: impl Iterator<Item = &'o u8>,
    new: &[u8],
    packet: PacketIndex,
    first_packet: PacketIndex,
    sink: &mut Sink<'_>,
) {
    let mut span: Option<(usize, usize)> = None;
    for (i, (a, b)) in old.zip(new).enumerate() {
        if a != b {
            span = Some(span.map_or((i, i), |(f, _)| (f, i)));
        }
    }
    if let Some((first, last)) = span {
        sink(ReassemblyEvent::OverlapDiffers {
            offset: offset.saturating_add(len64(first)),
            len: len64(last.saturating_sub(first)).saturating_add(1),
            packet,
            first_packet,
        });
    }
}

/// Out-of-order data waiting for the hole before it.
#[derive(Debug)]
pub(super) enum Held {
    /// Captured bytes.
    Bytes {
        data: Vec<u8>,
        packet: PacketIndex,
        ts: Timestamp,
    },
    /// Bytes a segment declared but the snap length cut off.
    Missing { len: u64, packet: PacketIndex },
}

impl Held {
    pub(super) fn missing(len: u64, packet: PacketIndex) -> Held {
        Held::Missing { len, packet }
    }

    pub(super) fn len(&self) -> u64 {
        match self {
            Held::Bytes { data, .. } => len64(data.len()),
            Held::Missing { len, .. } => *len,
        }
    }

    pub(super) fn cost(&self) -> usize {
        match self {
            Held::Bytes { data, .. } => HELD_ENTRY_COST.saturating_add(data.len()),
            Held::Missing { .. } => HELD_ENTRY_COST,
        }
    }

    /// Keep only the first `len` bytes.
    pub(super) fn truncate(&mut self, keep: u64) {
        match self {
            Held::Bytes { data, .. } => data.truncate(to_usize(keep)),
            Held::Missing { len, .. } => *len = keep.min(*len),
        }
    }
}

impl Reassembler {
    /// Cost of the held out-of-order data (see
    /// [`super::ReassemblyConfig::max_buffered`]).
    pub fn buffered(&self) -> usize {
        self.held_cost
    }

    /// Heap bytes held: out-of-order data (with its entry cost) and the
    /// window of recently delivered bytes.
    pub fn memory(&self) -> usize {
        self.held_cost.saturating_add(self.recent.memory())
    }

    /// Bytes held out of order that were not delivered yet.
    pub fn held_bytes(&self) -> u64 {
        self.held
            .values()
            .map(Held::len)
            .fold(0, u64::saturating_add)
    }
}
