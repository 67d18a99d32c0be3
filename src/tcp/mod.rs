//! TCP: the flow table, per-direction reassembly and the map from stream
//! offsets back to packets.
//!
//! ```text
//!  TcpPacket --> FlowTable --(key: endpoint pair)--> Conn
//!                                                     |-- Reassembler c2s --+
//!                                                     '-- Reassembler s2c --+--> StreamEvent
//!  StreamEvent::Data --> (consumer) StreamMap per direction: offset -> packet
//! ```
//!
//! [`FlowTable::process`] takes one TCP segment at a time and reports what
//! the two byte streams of each connection gained as [`StreamEvent`]s:
//! in-order data with its stream offset, gaps the capture lost, overlaps
//! whose bytes differ, and connection open/close. `flow` documents roles,
//! closing and port reuse; `early` how segments captured ahead of their
//! handshake wait for it; `reassembly` documents ordering, the
//! first-copy-wins overlap rule and exactly when a hole becomes a gap.
//!
//! The contract every consumer can rely on: per connection and direction,
//! the `Data` and `Gap` events come in offset order and tile the stream
//! from offset 0 with no overlap and no hole; a hole is reported only once
//! it is certain (the peer acknowledged past it, the out-of-order buffer
//! cap was reached, the connection ended, or the snap length cut it).
//! Memory is bounded per connection by the data in flight.

mod conn;
mod early;
mod event;
mod flow;
mod held;
mod reassembly;
mod recent;
mod stream_map;

pub use early::DEFAULT_HANDSHAKE_WAIT;
pub use flow::{
    CloseReason, FlowConfig, FlowTable, StreamEvent, DEFAULT_CLOSED_LINGER_SECS, DEFAULT_MAX_CLOSED,
};
pub use reassembly::{
    Reassembler, ReassemblyConfig, ReassemblyEvent, DEFAULT_MAX_BUFFERED, DEFAULT_RECENT_WINDOW,
    HELD_ENTRY_COST,
};
pub use stream_map::{Chunk, StreamMap};

/// Bytes of the table of a standard hash map that holds up to `capacity`
/// entries of `entry` bytes: an entry and a control byte per bucket, one
/// bucket in eight kept free (all but one below eight buckets).
pub fn hash_table_bytes(capacity: usize, entry: usize) -> usize {
    let buckets = match capacity {
        0 => 0,
        1..=6 => capacity.saturating_add(1),
        _ => (capacity / 7).saturating_mul(8),
    };
    buckets.saturating_mul(entry.saturating_add(1))
}

/// tcp.stream-style connection index, 0-based in order of first appearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ConnId(pub u32);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which of a connection's two byte streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// From the side that opened the connection (sent the SYN).
    ClientToServer,
    /// From the side that accepted it.
    ServerToClient,
}

impl Direction {
    /// 0 for client->server, 1 for server->client: an index for per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// Short name used in reports: `c2s` or `s2c`.
    pub fn short(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}
