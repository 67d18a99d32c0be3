//! Segments captured ahead of their connection's handshake.
//!
//! A capture taken on a busy host, or merged from two interfaces, may
//! record a data packet a few packets before the SYN or SYN+ACK that
//! opened its connection. Reading that packet as the start of a
//! connection picked up mid-stream would give a phantom connection, and
//! the real one would then miss those bytes. So the flow table keeps such
//! segments for a short while, as owned copies:
//!
//! * a flow whose first segment is not a SYN waits as [`Pending`] until a
//!   SYN or SYN+ACK arrives (the handshake sets roles and stream origins,
//!   then the kept segments are replayed in capture order), or until
//!   [`crate::tcp::FlowConfig::handshake_wait`] more packets of the capture
//!   went by (then it opens mid-stream as if no segment had waited);
//! * a connection opened by a SYN keeps the server's segments until the
//!   SYN+ACK gives the server's initial sequence number, with the same
//!   bound.
//!
//! The wait is counted in packets of the whole capture, so at most that
//! many segments are kept at any time.

use super::ConnId;
use crate::capture::{PacketIndex, TcpFlags, TcpPacket, Timestamp};
use std::net::SocketAddr;

/// Default for [`crate::tcp::FlowConfig::handshake_wait`]: packets of the
/// capture a segment seen before its handshake waits for it.
pub const DEFAULT_HANDSHAKE_WAIT: u64 = 16;

/// Most segments kept for one flow, whatever the packet numbers say (they
/// count up in a capture; a caller feeding them otherwise cannot make a
/// flow keep more).
pub(super) const MAX_KEPT: usize = 64;

/// An owned copy of a segment that waits for its handshake.
#[derive(Debug, Clone)]
pub(super) struct EarlySeg {
    pub(super) packet: PacketIndex,
    pub(super) ts: Timestamp,
    pub(super) src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    pub(super) flags: TcpFlags,
    payload: Vec<u8>,
    missing: u32,
}

impl EarlySeg {
    pub(super) fn new(packet: PacketIndex, ts: Timestamp, seg: &TcpPacket<'_>) -> EarlySeg {
        EarlySeg {
            packet,
            ts,
            src: seg.src,
            dst: seg.dst,
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            payload: seg.payload.to_vec(),
            missing: seg.missing,
        }
    }

    /// Bytes of memory the copy holds.
    pub(super) fn memory(&self) -> usize {
        std::mem::size_of::<EarlySeg>().saturating_add(self.payload.capacity())
    }

    /// The segment as the flow table reads it.
    pub(super) fn view(&self) -> TcpPacket<'_> {
        TcpPacket {
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            payload: &self.payload,
            payload_offset: 0,
            missing: self.missing,
            owner: None,
            payload_crc: None,
        }
    }
}

/// A flow seen so far only through segments that are not a SYN.
#[derive(Debug)]
pub(super) struct Pending {
    /// Index reserved at the first segment: connections keep their order
    /// of first appearance.
    pub(super) id: ConnId,
    /// The kept segments, in capture order (never empty).
    pub(super) segs: Vec<EarlySeg>,
}

/// A segment to run through the flow table: the one just captured, or a
/// kept one.
pub(super) enum Seg<'a> {
    Live(PacketIndex, Timestamp, &'a TcpPacket<'a>),
    Kept(EarlySeg),
}

impl Seg<'_> {
    pub(super) fn parts(&self) -> (PacketIndex, Timestamp, TcpPacket<'_>) {
        match self {
            Seg::Live(p, t, s) => (*p, *t, **s),
            Seg::Kept(e) => (e.packet, e.ts, e.view()),
        }
    }

    pub(super) fn keep(&self) -> EarlySeg {
        match self {
            Seg::Live(p, t, s) => EarlySeg::new(*p, *t, s),
            Seg::Kept(e) => e.clone(),
        }
    }
}

/// Where the stream of `src` starts among the kept segments when no
/// handshake says: the first segment's sequence number, moved back over
/// kept segments that reach it without a hole (the earlier bytes were
/// captured later). A segment that ends before it leaves it: it may be a
/// retransmission of bytes sent before the capture began.
pub(super) fn origin_of(segs: &[EarlySeg], src: SocketAddr) -> Option<u32> {
    let mine = || {
        segs.iter()
            .filter(|e| e.src == src && !e.flags.syn && !e.flags.rst)
    };
    let mut start = mine().next()?.seq;
    for _ in 0..segs.len() {
        let reach = mine().find(|e| {
            let len = u32::try_from(e.payload.len())
                .unwrap_or(u32::MAX)
                .saturating_add(e.missing);
            let back = start.wrapping_sub(e.seq);
            // Starts before `start` (within half the sequence space) and
            // ends at or after it.
            back != 0 && back < 0x8000_0000 && len >= back
        });
        match reach {
            Some(e) => start = e.seq,
            None => break,
        }
    }
    Some(start)
}
