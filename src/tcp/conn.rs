//! One open connection of the flow table: its two reassemblers, the
//! initial sequence numbers seen, its FINs, and the server's segments that
//! wait for the SYN+ACK (see `early`).
//!
//! The reassemblers are made at the first segment that carries (or
//! declares) a byte, a FIN, or an acknowledgement past the handshake: a
//! connection that only exchanged SYNs holds no buffer. Its
//! [`StreamEvent::Opened`] waits in `announce` until its first other event,
//! so a consumer hears only of connections that carried something.

use super::early::{origin_of, EarlySeg};
use super::event::{tagged, CloseReason, StreamEvent};
use super::reassembly::ReassemblyConfig;
use super::{ConnId, Direction, Reassembler};
use crate::capture::{PacketIndex, TcpPacket, Timestamp};
use std::net::SocketAddr;

/// An open connection. Kept small (it is most of what a connection that
/// only exchanged SYNs costs): its endpoints are in its key, its `Opened`
/// event is made from its fields when due, and what a connection carrying
/// bytes needs is boxed apart.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) id: ConnId,
    /// Whether the client is the lower endpoint of the key.
    pub(super) client_low: bool,
    /// Opened by a SYN whose SYN+ACK has not come yet: the server's
    /// segments wait in `early`.
    pub(super) awaiting_syn_ack: bool,
    /// Listed among the connections whose windows hold pieces of the
    /// packets' buffers (see [`FlowTable::release_shared`](super::FlowTable::release_shared)).
    pub(super) holding: bool,
    /// Initial sequence number of each direction, when its SYN was seen.
    pub(super) isn: [Option<u32>; 2],
    /// The reassemblers and FINs, once anything but a handshake was seen.
    pub(super) dirs: Option<Box<Streams>>,
    /// What the `Opened` event says, until the first event that follows it.
    pub(super) announce: Option<Opening>,
    pub(super) early: Early,
}

/// What a connection carrying bytes holds.
#[derive(Debug)]
pub(super) struct Streams {
    pub(super) r: [Reassembler; 2],
    /// Packet of each direction's first FIN.
    pub(super) fin: [Option<PacketIndex>; 2],
}

/// The first packet of a connection not announced yet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opening {
    pub(super) packet: PacketIndex,
    pub(super) ts: Timestamp,
    pub(super) handshake_seen: bool,
}

impl Opening {
    /// The `Opened` event of connection `conn` between `client` and `server`.
    fn event(self, conn: ConnId, (client, server): Ends) -> StreamEvent<'static> {
        StreamEvent::Opened {
            conn,
            client,
            server,
            packet: self.packet,
            ts: self.ts,
            handshake_seen: self.handshake_seen,
        }
    }
}

/// Client and server.
pub(super) type Ends = (SocketAddr, SocketAddr);

/// The server's segments that wait for the SYN+ACK; nothing allocated
/// while there are none.
/// Boxed on purpose: 8 bytes in every connection instead of a vector's 24,
/// and most connections never keep a segment.
#[derive(Debug, Default)]
#[allow(clippy::box_collection)]
pub(super) struct Early(Option<Box<Vec<EarlySeg>>>);

impl Early {
    pub(super) fn push(&mut self, e: EarlySeg) {
        self.0.get_or_insert_with(Box::default).push(e);
    }

    pub(super) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments, taken out.
    pub(super) fn take(&mut self) -> Vec<EarlySeg> {
        self.0.take().map(|v| *v).unwrap_or_default()
    }

    /// Heap bytes held.
    pub(super) fn memory(&self) -> usize {
        self.0.as_ref().map_or(0, |v| {
            v.iter()
                .map(EarlySeg::memory)
                .fold(std::mem::size_of::<Vec<EarlySeg>>(), usize::saturating_add)
        })
    }
}

/// What stays of a connection evicted to keep within the memory cap: it
/// absorbs the connection's later segments, counting their bytes, and
/// reports per direction what was never analysed when it ends.
#[derive(Debug)]
pub(super) struct Evicted {
    pub(super) id: ConnId,
    pub(super) client: SocketAddr,
    pub(super) server: SocketAddr,
    pub(super) isn: [Option<u32>; 2],
    /// Per direction: first byte not analysed, and how many were not.
    pub(super) lost: [(u64, u64); 2],
    /// Packet at which it was evicted.
    pub(super) packet: PacketIndex,
}

impl Evicted {
    /// One `Evicted` event per direction with bytes not analysed (the
    /// client's direction if neither has: an eviction is always reported).
    pub(super) fn report(&self, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let dirs = [Direction::ClientToServer, Direction::ServerToClient];
        let any = self.lost.iter().any(|&(_, n)| n > 0);
        for (dir, &(offset, len)) in dirs.into_iter().zip(self.lost.iter()) {
            if len > 0 || (!any && dir == Direction::ClientToServer) {
                let (src, dst) = match dir {
                    Direction::ClientToServer => (self.client, self.server),
                    Direction::ServerToClient => (self.server, self.client),
                };
                sink(StreamEvent::Evicted {
                    conn: self.id,
                    dir,
                    src,
                    dst,
                    offset,
                    len,
                    packet: self.packet,
                });
            }
        }
    }
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
    /// The reassemblers, made on first use; their origins come from the
    /// initial sequence numbers seen so far.
    fn make(
        dirs: &mut Option<Box<Streams>>,
        isn: [Option<u32>; 2],
        cfg: ReassemblyConfig,
    ) -> &mut Streams {
        dirs.get_or_insert_with(|| {
            let mut r = [Reassembler::with_config(cfg), Reassembler::with_config(cfg)];
            for (r, isn) in r.iter_mut().zip(isn) {
                if let Some(isn) = isn {
                    r.syn(isn);
                }
            }
            Box::new(Streams {
                r,
                fin: [None, None],
            })
        })
    }

    /// Packet of each direction's first FIN.
    pub(super) fn fin(&self) -> [Option<PacketIndex>; 2] {
        self.dirs.as_ref().map_or([None, None], |d| d.fin)
    }

    /// Whether both directions are complete up to their FINs.
    pub(super) fn complete(&self) -> bool {
        self.dirs
            .as_ref()
            .is_some_and(|d| d.r.iter().all(Reassembler::is_complete))
    }

    /// Heap bytes the reassemblers and the waiting segments hold.
    pub(super) fn memory(&self) -> usize {
        let dirs = self.dirs.as_ref().map_or(0, |d| {
            d.r.iter()
                .map(Reassembler::memory)
                .fold(std::mem::size_of::<Streams>(), usize::saturating_add)
        });
        dirs.saturating_add(self.early.memory())
    }

    /// Bytes of each direction held out of order, never delivered.
    pub(super) fn held_bytes(&self) -> [u64; 2] {
        self.dirs.as_ref().map_or([0, 0], |d| {
            let mut out = [0; 2];
            for (o, r) in out.iter_mut().zip(d.r.iter()) {
                *o = r.held_bytes();
            }
            out
        })
    }

    /// Whether `seg` is only a handshake step: a SYN, SYN+ACK or ACK with
    /// no byte, no FIN and nothing acknowledged past the SYN.
    fn handshake_only(&self, seg: &TcpPacket<'_>, dir: Direction) -> bool {
        if !seg.payload.is_empty() || seg.missing > 0 || seg.flags.fin || seg.flags.rst {
            return false;
        }
        let peer = isn_of(&self.isn, dir.reverse());
        !seg.flags.ack || seg.flags.syn || peer.map(|i| i.wrapping_add(1)) == Some(seg.ack)
    }

    /// Copy the pieces of packet buffers the windows of delivered bytes
    /// hold (see [`FlowTable::release_shared`](super::FlowTable::release_shared)).
    pub(super) fn release_shared(&mut self, before: u64) {
        if let Some(d) = self.dirs.as_mut() {
            for r in &mut d.r {
                r.recent.release(before);
            }
        }
    }

    /// Whether a window of delivered bytes holds a piece of a packets'
    /// buffer.
    pub(super) fn holds_shared(&self) -> bool {
        self.dirs
            .as_ref()
            .is_some_and(|d| d.r.iter().any(|r| r.recent.holds_shared()))
    }

    /// Apply one segment of the connection between `ends`; the reason if
    /// it closed the connection.
    pub(super) fn handle(
        &mut self,
        cfg: ReassemblyConfig,
        ends: Ends,
        packet: PacketIndex,
        ts: Timestamp,
        seg: &TcpPacket<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Option<CloseReason> {
        let dir = dir_of(ends.0, seg.src);
        if self.dirs.is_none() {
            if seg.flags.syn {
                if let Some(i) = self.isn.get_mut(dir.index()) {
                    i.get_or_insert(seg.seq);
                }
                if seg.flags.ack {
                    if let Some(i) = self.isn.get_mut(dir.reverse().index()) {
                        i.get_or_insert(seg.ack.wrapping_sub(1));
                    }
                }
            }
            if self.handshake_only(seg, dir) {
                return None;
            }
            if seg.flags.rst && seg.payload.is_empty() && seg.missing == 0 {
                return Some(CloseReason::Rst);
            }
        }
        let (id, rev) = (self.id, dir.reverse());
        let announce = &mut self.announce;
        let mut announced = |ev: StreamEvent<'_>| {
            if let Some(a) = announce.take() {
                sink(a.event(id, ends));
            }
            sink(ev);
        };
        let sink: &mut dyn FnMut(StreamEvent<'_>) = &mut announced;
        let Streams { r: [c2s, s2c], fin } = Self::make(&mut self.dirs, self.isn, cfg);
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
        let payload = seg.payload;
        mine.segment_in(
            packet,
            ts,
            seq,
            (payload, seg.owner, seg.payload_crc),
            seg.missing,
            &mut tagged(sink, id, dir),
        );
        if seg.flags.ack {
            theirs.ack_seen(seg.ack, packet, &mut tagged(sink, id, rev));
        }
        if seg.flags.fin {
            let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
            mine.fin(seq.wrapping_add(len).wrapping_add(seg.missing));
            if let Some(fin) = fin.get_mut(dir.index()) {
                fin.get_or_insert(packet);
            }
        }
        let fins = fin.iter().filter(|f| f.is_some()).count();
        if seg.flags.rst {
            return Some(if fins > 0 {
                CloseReason::Fin
            } else {
                CloseReason::Rst
            });
        }
        (fins == 2 && self.complete()).then_some(CloseReason::Fin)
    }

    /// Segments that waited for a handshake that did not come are fed
    /// again: each direction without an origin starts where they say.
    pub(super) fn anchor(&mut self, cfg: ReassemblyConfig, client: SocketAddr, segs: &[EarlySeg]) {
        let streams = Self::make(&mut self.dirs, self.isn, cfg);
        for (r, dir) in streams
            .r
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
    pub(super) fn drain_early(
        &mut self,
        cfg: ReassemblyConfig,
        ends: Ends,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        self.awaiting_syn_ack = false;
        let early = self.early.take();
        if early.is_empty() {
            return;
        }
        self.anchor(cfg, ends.0, &early);
        for e in early {
            let _ = self.handle(cfg, ends, e.packet, e.ts, &e.view(), sink);
        }
    }

    /// Deliver what is held in both directions, holes becoming gaps.
    pub(super) fn flush(
        &mut self,
        ends: Ends,
        packet: Option<PacketIndex>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let id = self.id;
        let Some(dirs) = self.dirs.as_mut() else {
            return;
        };
        let announce = &mut self.announce;
        let mut announced = |ev: StreamEvent<'_>| {
            if let Some(a) = announce.take() {
                sink(a.event(id, ends));
            }
            sink(ev);
        };
        for (r, dir) in dirs
            .r
            .iter_mut()
            .zip([Direction::ClientToServer, Direction::ServerToClient])
        {
            let at = packet.unwrap_or_else(|| r.last_packet());
            r.flush_at(at, &mut tagged(&mut announced, id, dir));
        }
    }
}
