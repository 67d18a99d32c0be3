//! One open connection of the flow table: its two reassemblers, the
//! initial sequence numbers seen, its FINs, and the server's segments that
//! wait for the SYN+ACK (see `early`).

use super::early::{origin_of, EarlySeg};
use super::event::{tagged, CloseReason, StreamEvent};
use super::{ConnId, Direction, Reassembler};
use crate::capture::{PacketIndex, TcpPacket, Timestamp};
use std::net::SocketAddr;

/// An open connection.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) id: ConnId,
    pub(super) client: SocketAddr,
    /// Initial sequence number of each direction, when its SYN was seen.
    pub(super) isn: [Option<u32>; 2],
    pub(super) dirs: [Reassembler; 2],
    /// Packet of each direction's first FIN.
    pub(super) fin: [Option<PacketIndex>; 2],
    /// Opened by a SYN whose SYN+ACK has not come yet: the server's
    /// segments wait in `early`.
    pub(super) awaiting_syn_ack: bool,
    pub(super) early: Vec<EarlySeg>,
}

/// What stays of a closed connection.
#[derive(Debug)]
pub(super) struct Closed {
    pub(super) id: ConnId,
    pub(super) client: SocketAddr,
    pub(super) isn: [Option<u32>; 2],
}

pub(super) fn dir_of(client: SocketAddr, src: SocketAddr) -> Direction {
    if src == client {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

pub(super) fn isn_of(isn: &[Option<u32>; 2], dir: Direction) -> Option<u32> {
    isn.get(dir.index()).copied().flatten()
}

impl Conn {
    /// Apply one segment; the reason if it closed the connection.
    pub(super) fn handle(
        &mut self,
        packet: PacketIndex,
        ts: Timestamp,
        seg: &TcpPacket<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Option<CloseReason> {
        let dir = dir_of(self.client, seg.src);
        let [c2s, s2c] = &mut self.dirs;
        let (mine, theirs) = match dir {
            Direction::ClientToServer => (c2s, s2c),
            Direction::ServerToClient => (s2c, c2s),
        };
        let mut seq = seg.seq;
        if seg.flags.syn {
            if mine.origin().is_none() {
                mine.syn(seg.seq);
                if let Some(isn) = self.isn.get_mut(dir.index()) {
                    *isn = Some(seg.seq);
                }
            }
            if seg.flags.ack && theirs.origin().is_none() {
                let peer_isn = seg.ack.wrapping_sub(1);
                theirs.syn(peer_isn);
                if let Some(isn) = self.isn.get_mut(dir.reverse().index()) {
                    *isn = Some(peer_isn);
                }
            }
            seq = seq.wrapping_add(1);
        }
        let (id, rev) = (self.id, dir.reverse());
        let payload = seg.payload;
        mine.segment(
            packet,
            ts,
            seq,
            payload,
            seg.missing,
            &mut tagged(sink, id, dir),
        );
        if seg.flags.ack {
            theirs.ack_seen(seg.ack, packet, &mut tagged(sink, id, rev));
        }
        if seg.flags.fin {
            let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
            mine.fin(seq.wrapping_add(len).wrapping_add(seg.missing));
            if let Some(fin) = self.fin.get_mut(dir.index()) {
                fin.get_or_insert(packet);
            }
        }
        let fins = self.fin.iter().filter(|f| f.is_some()).count();
        if seg.flags.rst {
            return Some(if fins > 0 {
                CloseReason::Fin
            } else {
                CloseReason::Rst
            });
        }
        let complete = self.dirs.iter().all(Reassembler::is_complete);
        (fins == 2 && complete).then_some(CloseReason::Fin)
    }

    /// Segments that waited for a handshake that did not come are fed
    /// again: each direction without an origin starts where they say.
    pub(super) fn anchor(&mut self, segs: &[EarlySeg]) {
        let client = self.client;
        for (r, dir) in self
            .dirs
            .iter_mut()
            .zip([Direction::ClientToServer, Direction::ServerToClient])
        {
            let src = segs
                .iter()
                .map(|e| e.src)
                .find(|&a| dir_of(client, a) == dir);
            if let (None, Some(src)) = (r.origin(), src) {
                if let Some(origin) = origin_of(segs, src) {
                    // Offset 0 is the byte after the SYN: one before it.
                    r.syn(origin.wrapping_sub(1));
                }
            }
        }
    }

    /// Feed the server's segments that waited for the SYN+ACK, which did
    /// not come: the connection is ending. What they close is closed anyway.
    pub(super) fn drain_early(&mut self, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        self.awaiting_syn_ack = false;
        let early = std::mem::take(&mut self.early);
        self.anchor(&early);
        for e in early {
            let _ = self.handle(e.packet, e.ts, &e.view(), sink);
        }
    }

    /// Deliver what is held in both directions, holes becoming gaps.
    pub(super) fn flush(
        &mut self,
        packet: Option<PacketIndex>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let id = self.id;
        for (r, dir) in self
            .dirs
            .iter_mut()
            .zip([Direction::ClientToServer, Direction::ServerToClient])
        {
            let at = packet.unwrap_or_else(|| r.last_packet());
            r.flush_at(at, &mut tagged(sink, id, dir));
        }
    }
}
