//! What the flow table reports: per-connection stream events.

use super::reassembly::ReassemblyEvent;
use super::{ConnId, Direction};
use crate::capture::{PacketIndex, Timestamp};
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
        /// Whether the roles come from the handshake (a SYN or SYN+ACK was
        /// captured); false when the capture started mid-connection and the
        /// port heuristic chose them.
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
        /// CRC32C of `data` (crate form), when they are a packet's whole
        /// payload and its reader computed it.
        crc: Option<u32>,
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
        /// Offset of the first differing byte.
        offset: u64,
        /// Bytes from the first to the last differing one, inclusive.
        len: u64,
        /// The packet carrying the differing copy.
        packet: PacketIndex,
        /// The packet whose copy was kept.
        first_packet: PacketIndex,
    },
    /// The connection was evicted to keep within the memory cap; it ended
    /// (or the capture did) and these bytes of a direction were never
    /// analysed: those buffered when it was evicted and all that came after.
    Evicted {
        /// Connection.
        conn: ConnId,
        /// Direction.
        dir: Direction,
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// First byte not analysed.
        offset: u64,
        /// How many bytes were not analysed.
        len: u64,
        /// Packet at which the connection was evicted.
        packet: PacketIndex,
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

/// Tag one direction's reassembly events with their connection.
pub(super) fn tagged<'s>(
    sink: &'s mut dyn FnMut(StreamEvent<'_>),
    conn: ConnId,
    dir: Direction,
) -> impl FnMut(ReassemblyEvent<'_>) + 's {
    move |ev: ReassemblyEvent<'_>| {
        sink(match ev {
            ReassemblyEvent::Data {
                offset,
                data,
                crc,
                packet,
                ts,
            } => StreamEvent::Data {
                conn,
                dir,
                offset,
                data,
                crc,
                packet,
                ts,
            },
            ReassemblyEvent::Gap {
                offset,
                len,
                packet,
            } => StreamEvent::Gap {
                conn,
                dir,
                offset,
                len,
                packet,
            },
            ReassemblyEvent::OverlapDiffers {
                offset,
                len,
                packet,
                first_packet,
            } => StreamEvent::OverlapDiffers {
                conn,
                dir,
                offset,
                len,
                packet,
                first_packet,
            },
        })
    }
}
