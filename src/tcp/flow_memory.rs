//! What the flow table's memory is, kept up to date as slots change, and
//! the eviction of a connection to free it (see `crate::analysis::memcap`).

use super::{key_of, FlowTable, Key, Slot, Wait};
use crate::capture::{PacketIndex, Timestamp};
use crate::tcp::conn::{Closed, Conn, Evicted};
use crate::tcp::early::{EarlySeg, Pending};
use crate::tcp::ConnId;
use std::net::SocketAddr;

impl Slot {
    /// Heap bytes the slot holds beyond its table entry.
    pub(super) fn memory(&self) -> usize {
        let early = |segs: &[EarlySeg]| {
            segs.iter()
                .map(EarlySeg::memory)
                .fold(0usize, usize::saturating_add)
        };
        match self {
            Slot::Open(c) => std::mem::size_of::<Conn>().saturating_add(c.memory()),
            Slot::Pending(p) => std::mem::size_of::<Pending>().saturating_add(early(&p.segs)),
            Slot::Closed(_) => std::mem::size_of::<Closed>(),
            Slot::Evicted(_) => std::mem::size_of::<Evicted>(),
        }
    }
}

impl FlowTable {
    /// Bytes of memory the table holds: its entries, the connections'
    /// state and buffers, the segments that wait. Kept up to date as
    /// segments come, in constant time.
    pub fn memory(&self) -> usize {
        let wait = std::mem::size_of::<(u64, Key, ConnId, Wait)>();
        let closed = std::mem::size_of::<(Timestamp, Key, ConnId)>();
        self.slots
            .table_memory()
            .saturating_add(self.waiting.capacity().saturating_mul(wait))
            .saturating_add(self.closed.capacity().saturating_mul(closed))
            .saturating_add(self.heap)
    }

    /// Heap bytes of the slot of `key`.
    pub(super) fn slot_memory(&self, key: &Key) -> usize {
        self.slots.get(key).map_or(0, Slot::memory)
    }

    /// Evict the open connection `conn` between `a` and `b` to free
    /// memory: its buffers go, and a small record absorbs the rest of it.
    /// `lost` is, per direction, where analysis stopped and how many bytes
    /// were delivered but not analysed; the bytes held out of order and
    /// all later ones are added, and reported when the connection ends.
    /// False if no such connection is open.
    pub fn evict(
        &mut self,
        (a, b): (SocketAddr, SocketAddr),
        conn: ConnId,
        lost: [(u64, u64); 2],
        packet: PacketIndex,
    ) -> bool {
        let key = key_of(a, b);
        let before = self.slot_memory(&key);
        let Some(Slot::Open(c)) = self.slots.get(&key) else {
            return false;
        };
        if c.id != conn {
            return false;
        }
        let held = c.held_bytes();
        let mut lost = lost;
        for ((_, n), h) in lost.iter_mut().zip(held) {
            *n = n.saturating_add(h);
        }
        let (client, server) = key.roles(c.client_low);
        let ev = Evicted {
            id: c.id,
            client,
            server,
            isn: c.isn,
            lost,
            packet,
        };
        self.slots.insert(key, Slot::Evicted(Box::new(ev)));
        let after = self.slot_memory(&key);
        self.heap = self.heap.saturating_sub(before).saturating_add(after);
        true
    }

    /// The slot of `key` held `before` bytes: update the total.
    pub(super) fn account(&mut self, key: &Key, before: usize) {
        let after = self.slot_memory(key);
        self.heap = self.heap.saturating_sub(before).saturating_add(after);
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
#[path = "flow_memory_tests.rs"]
mod tests;
