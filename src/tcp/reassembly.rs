//! Per-direction reassembly. (stub: interface only)

use crate::capture::{PacketIndex, Timestamp};

/// What one direction's reassembler produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReassemblyEvent<'a> {
    /// In-order bytes.
    Data {
        /// Stream offset.
        offset: u64,
        /// Bytes.
        data: &'a [u8],
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
        /// Offset.
        offset: u64,
        /// Length.
        len: u64,
        /// Packet with the differing copy.
        packet: PacketIndex,
        /// Packet whose copy was kept.
        first_packet: PacketIndex,
    },
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Reassembler {}
