//! TCP: the flow table, per-direction reassembly and the map from stream
//! offsets back to packets.
//!
//! [`FlowTable::process`] takes one TCP segment at a time and reports what
//! the two byte streams of each connection gained as [`StreamEvent`]s:
//! in-order data with its stream offset, gaps the capture lost, overlaps
//! whose bytes differ, and connection open/close.

mod flow;
mod reassembly;
mod stream_map;

pub use flow::{CloseReason, FlowTable, StreamEvent};
pub use reassembly::{Reassembler, ReassemblyEvent};
pub use stream_map::{Chunk, StreamMap};

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
