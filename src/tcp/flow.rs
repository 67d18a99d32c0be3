//! Flow table. (stub: interface only)

use super::{ConnId, Direction};
use crate::capture::{PacketIndex, TcpPacket, Timestamp};
use std::net::SocketAddr;

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Both sides (or one side) sent FIN.
    Fin,
    /// A side sent RST.
    Rst,
    /// A new SYN on the same address pair started a new connection.
    Reused,
    /// The capture ended with the connection still open.
    EndOfCapture,
}

/// What a connection's byte streams gained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// A connection was seen for the first time.
    Opened {
        /// Its index.
        conn: ConnId,
        /// The side that opened it (or is taken to have).
        client: SocketAddr,
        /// The accepting side.
        server: SocketAddr,
        /// First packet of the connection.
        packet: PacketIndex,
        /// Its time.
        ts: Timestamp,
        /// Whether the SYN was captured (else the capture started mid-connection).
        handshake_seen: bool,
    },
    /// In-order bytes of one direction.
    Data {
        /// Connection.
        conn: ConnId,
        /// Direction.
        dir: Direction,
        /// Stream offset of `data[0]` (0 = first byte after the SYN).
        offset: u64,
        /// The bytes.
        data: &'a [u8],
        /// Packet the bytes came from.
        packet: PacketIndex,
        /// Its time.
        ts: Timestamp,
    },
    /// Bytes `[offset, offset+len)` of a direction were never captured.
    Gap {
        /// Connection.
        conn: ConnId,
        /// Direction.
        dir: Direction,
        /// First missing byte.
        offset: u64,
        /// Number of missing bytes.
        len: u64,
        /// Packet at which the loss became certain.
        packet: PacketIndex,
    },
    /// A retransmission or overlap carried bytes that differ from the first copy.
    OverlapDiffers {
        /// Connection.
        conn: ConnId,
        /// Direction.
        dir: Direction,
        /// First differing stream offset compared.
        offset: u64,
        /// Length of the overlap compared.
        len: u64,
        /// The packet carrying the differing copy.
        packet: PacketIndex,
        /// The packet whose copy was kept.
        first_packet: PacketIndex,
    },
    /// The connection ended.
    Closed {
        /// Connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
        /// Packet that ended it (none at end of capture).
        packet: Option<PacketIndex>,
    },
}

/// All TCP connections of a capture.
#[derive(Debug, Default)]
pub struct FlowTable {}

impl FlowTable {
    /// An empty table.
    pub fn new() -> Self {
        FlowTable {}
    }

    /// Feed one TCP segment; events go to `sink`.
    pub fn process(
        &mut self,
        packet: PacketIndex,
        ts: Timestamp,
        seg: &TcpPacket<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let _ = (packet, ts, seg, sink);
    }

    /// End of capture: flush buffered data, report remaining holes, close all.
    pub fn finish(&mut self, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let _ = sink;
    }
}

#[allow(dead_code)]
fn _dir(_: Direction) {}
