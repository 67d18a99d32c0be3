//! Stream offsets back to packets. (stub: interface only)

use crate::capture::{PacketIndex, Timestamp};

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

/// Which packets carried which stream bytes, pruned as decoding moves on.
#[derive(Debug, Default)]
pub struct StreamMap {}
