//! The flow table: TCP segments of a whole capture in, per-connection
//! stream events out.
//!
//! A connection is keyed by its two endpoints in either order. Each one
//! gets a [`ConnId`] in order of first appearance and one [`Reassembler`]
//! per direction; the table forwards their events tagged with the
//! connection and direction.
//!
//! # Roles
//! * The sender of a SYN without ACK is the client.
//! * A capture that starts at the SYN+ACK makes its receiver the client;
//!   the client's stream starts at that segment's acknowledgement number.
//! * With no handshake seen: an endpoint already seen accepting a
//!   connection (the target of a SYN, the sender of a SYN+ACK) is the
//!   server; else one on a Ceph port (3300, 6789, 6800..=7300, the msgr
//!   defaults of msgr.h and ms_bind_port_min/max) is; else the side with the
//!   lower port; with equal ports the first sender is the client. A capture
//!   that starts inside a connection to a listener on a high port before
//!   that listener accepted anything else can still be oriented wrongly.
//!
//! [`StreamEvent::Opened`] says whether the roles came from the handshake.
//!
//! # Per segment
//! The payload goes to the sender's reassembler, the acknowledgement to the
//! receiver's (an ACK past the bytes seen is a gap there, see
//! [`crate::tcp::Reassembler`]), then FIN and RST are applied.
//!
//! # Closing and reuse
//! * RST: both directions are flushed (holes before held data become
//!   gaps), then `Closed { Rst }`, or `Closed { Fin }` if a FIN came first.
//! * FIN from both sides: `Closed { Fin }` once both streams are complete
//!   up to their FINs; an ACK covering a FIN fills the holes before it.
//! * A SYN without ACK on an open connection, with an initial sequence
//!   number different from the one recorded for that side (or none
//!   recorded), flushes it, closes it with `Closed { Reused }` and opens a
//!   new connection; so does a SYN+ACK whose number differs from a recorded
//!   one. A retransmitted SYN (same number) is just a segment. On a closed
//!   pair, any SYN or SYN+ACK with a new number opens a new connection.
//! * [`FlowTable::finish`]: every open connection is flushed and closed
//!   with `Closed { EndOfCapture }` (or `Fin` if both FINs were seen).
//!
//! # Memory
//! A closed connection drops its reassemblers at once. Only a small record
//! stays, so that its trailing ACKs and retransmissions are absorbed rather
//! than opening a new connection; it lingers for
//! [`FlowConfig::closed_linger_secs`] of capture time, at most
//! [`FlowConfig::max_closed`] of them. A new SYN on the pair replaces it.

use super::reassembly::{ReassemblyConfig, ReassemblyEvent};
use super::{ConnId, Direction, Reassembler};
use crate::capture::{PacketIndex, TcpPacket, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

/// Default time a closed connection's record absorbs stray packets.
pub const DEFAULT_CLOSED_LINGER_SECS: i64 = 120;
/// Default cap on the number of closed-connection records kept.
pub const DEFAULT_MAX_CLOSED: usize = 65_536;

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

/// Bounds of the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Bounds of each direction's reassembler.
    pub reassembly: ReassemblyConfig,
    /// Capture time a closed connection keeps absorbing stray packets.
    pub closed_linger_secs: i64,
    /// Most closed-connection records kept; the oldest go first.
    pub max_closed: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            reassembly: ReassemblyConfig::default(),
            closed_linger_secs: DEFAULT_CLOSED_LINGER_SECS,
            max_closed: DEFAULT_MAX_CLOSED,
        }
    }
}

/// Endpoints in a fixed order, so both directions find the same entry.
type Key = (SocketAddr, SocketAddr);

fn key_of(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Tag one direction's reassembly events with their connection.
fn tagged<'s>(
    sink: &'s mut dyn FnMut(StreamEvent<'_>),
    conn: ConnId,
    dir: Direction,
) -> impl FnMut(ReassemblyEvent<'_>) + 's {
    move |ev: ReassemblyEvent<'_>| {
        sink(match ev {
            ReassemblyEvent::Data {
                offset,
                data,
                packet,
                ts,
            } => StreamEvent::Data {
                conn,
                dir,
                offset,
                data,
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

/// An open connection.
#[derive(Debug)]
struct Conn {
    id: ConnId,
    client: SocketAddr,
    /// Initial sequence number of each direction, when its SYN was seen.
    isn: [Option<u32>; 2],
    dirs: [Reassembler; 2],
    /// Packet of each direction's first FIN.
    fin: [Option<PacketIndex>; 2],
}

/// What stays of a closed connection.
#[derive(Debug)]
struct Closed {
    id: ConnId,
    client: SocketAddr,
    isn: [Option<u32>; 2],
}

#[derive(Debug)]
enum Slot {
    Open(Box<Conn>),
    Closed(Closed),
}

fn dir_of(client: SocketAddr, src: SocketAddr) -> Direction {
    if src == client {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

fn isn_of(isn: &[Option<u32>; 2], dir: Direction) -> Option<u32> {
    isn.get(dir.index()).copied().flatten()
}

impl Conn {
    /// Apply one segment; the reason if it closed the connection.
    fn handle(
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

    /// Deliver what is held in both directions, holes becoming gaps.
    fn flush(&mut self, packet: Option<PacketIndex>, sink: &mut dyn FnMut(StreamEvent<'_>)) {
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

/// All TCP connections of a capture.
#[derive(Debug, Default)]
pub struct FlowTable {
    cfg: FlowConfig,
    next_id: u32,
    slots: HashMap<Key, Slot>,
    /// Closed records in closing order, for expiry.
    closed: VecDeque<(Timestamp, Key, ConnId)>,
    /// Endpoints seen accepting connections (bounded by [`MAX_LISTENERS`]).
    listeners: std::collections::HashSet<std::net::SocketAddr>,
}

/// Most listening endpoints remembered for orienting mid-stream connections.
pub const MAX_LISTENERS: usize = 4096;

/// Whether `port` is one Ceph daemons listen on by default (msgr.h
/// CEPH_MON_PORT 3300, CEPH_MON_PORT_LEGACY 6789; ms_bind_port_min/max
/// 6800..=7300).
fn ceph_port(port: u16) -> bool {
    port == 3300 || port == 6789 || (6800..=7300).contains(&port)
}

impl FlowTable {
    /// An empty table.
    pub fn new() -> Self {
        FlowTable::default()
    }

    /// An empty table with the given bounds.
    pub fn with_config(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            ..FlowTable::default()
        }
    }

    /// Number of open connections.
    pub fn open_connections(&self) -> usize {
        self.slots
            .values()
            .filter(|s| matches!(s, Slot::Open(_)))
            .count()
    }

    /// Feed one TCP segment; events go to `sink`.
    pub fn process(
        &mut self,
        packet: PacketIndex,
        ts: Timestamp,
        seg: &TcpPacket<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        self.expire(ts);
        let key = key_of(seg.src, seg.dst);
        let (syn, ack) = (seg.flags.syn, seg.flags.ack);
        match self.slots.get(&key) {
            None => self.open(key, packet, ts, seg, sink),
            Some(Slot::Closed(old)) => {
                // Any SYN with a new sequence number: the SYN+ACK too, in
                // case the new connection's SYN was not captured.
                let recorded = isn_of(&old.isn, dir_of(old.client, seg.src));
                if !syn || recorded == Some(seg.seq) {
                    return;
                }
                self.open(key, packet, ts, seg, sink);
            }
            Some(Slot::Open(conn)) => {
                let recorded = isn_of(&conn.isn, dir_of(conn.client, seg.src));
                let differs = recorded != Some(seg.seq);
                if syn && differs && (!ack || recorded.is_some()) {
                    if let Some(Slot::Open(mut old)) = self.slots.remove(&key) {
                        old.flush(Some(packet), sink);
                        sink(StreamEvent::Closed {
                            conn: old.id,
                            reason: CloseReason::Reused,
                            packet: Some(packet),
                        });
                    }
                    self.open(key, packet, ts, seg, sink);
                }
            }
        }
        let Some(Slot::Open(conn)) = self.slots.get_mut(&key) else {
            return;
        };
        if let Some(reason) = conn.handle(packet, ts, seg, sink) {
            if reason != CloseReason::Fin || !conn.dirs.iter().all(Reassembler::is_complete) {
                conn.flush(Some(packet), sink);
            }
            sink(StreamEvent::Closed {
                conn: conn.id,
                reason,
                packet: Some(packet),
            });
            let record = Closed {
                id: conn.id,
                client: conn.client,
                isn: conn.isn,
            };
            self.closed.push_back((ts, key, record.id));
            self.slots.insert(key, Slot::Closed(record));
        }
    }

    /// Start a connection for the first segment seen on `key`.
    fn open(
        &mut self,
        key: Key,
        packet: PacketIndex,
        ts: Timestamp,
        seg: &TcpPacket<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let (src, dst) = (seg.src, seg.dst);
        let (client, server, handshake_seen) = match (seg.flags.syn, seg.flags.ack) {
            (true, false) => (src, dst, true),
            (true, true) => (dst, src, true),
            _ if self.listeners.contains(&dst) => (src, dst, false),
            _ if self.listeners.contains(&src) => (dst, src, false),
            _ if ceph_port(dst.port()) && !ceph_port(src.port()) => (src, dst, false),
            _ if ceph_port(src.port()) && !ceph_port(dst.port()) => (dst, src, false),
            _ if src.port() < dst.port() => (dst, src, false),
            _ => (src, dst, false),
        };
        if handshake_seen && self.listeners.len() < MAX_LISTENERS {
            self.listeners.insert(server);
        }
        let id = ConnId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        sink(StreamEvent::Opened {
            conn: id,
            client,
            server,
            packet,
            ts,
            handshake_seen,
        });
        let cfg = self.cfg.reassembly;
        let conn = Conn {
            id,
            client,
            isn: [None, None],
            dirs: [Reassembler::with_config(cfg), Reassembler::with_config(cfg)],
            fin: [None, None],
        };
        self.slots.insert(key, Slot::Open(Box::new(conn)));
    }

    /// Drop closed records that outlived the linger time or the cap.
    fn expire(&mut self, now: Timestamp) {
        while let Some(&(at, key, id)) = self.closed.front() {
            let old = at.secs.saturating_add(self.cfg.closed_linger_secs) <= now.secs;
            if !old && self.closed.len() <= self.cfg.max_closed {
                break;
            }
            self.closed.pop_front();
            if matches!(self.slots.get(&key), Some(Slot::Closed(c)) if c.id == id) {
                self.slots.remove(&key);
            }
        }
    }

    /// End of capture: flush buffered data, report remaining holes, close all.
    pub fn finish(&mut self, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let mut open: Vec<Box<Conn>> = self
            .slots
            .drain()
            .filter_map(|(_, slot)| match slot {
                Slot::Open(conn) => Some(conn),
                Slot::Closed(_) => None,
            })
            .collect();
        open.sort_by_key(|c| c.id);
        for mut conn in open {
            conn.flush(None, sink);
            let (reason, packet) = match conn.fin {
                [Some(a), Some(b)] => (CloseReason::Fin, Some(a.max(b))),
                _ => (CloseReason::EndOfCapture, None),
            };
            sink(StreamEvent::Closed {
                conn: conn.id,
                reason,
                packet,
            });
        }
        self.closed.clear();
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
