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
//! # Segments ahead of the handshake
//! A flow whose first segment is not a SYN or SYN+ACK is not opened at
//! once: its segments wait (see `early`) for a SYN or SYN+ACK, at most
//! [`FlowConfig::handshake_wait`] packets of the capture, so that data
//! captured just before its SYN joins its connection. Likewise, a
//! connection opened by a SYN keeps the server's segments until the
//! SYN+ACK. A flow whose handshake does not come opens mid-stream once
//! the wait is over, with its connection index from its first segment,
//! exactly as if nothing had waited. A RST ends the wait at once.
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

use super::conn::{dir_of, isn_of, Closed, Conn, Early, Evicted, Opening};
use super::early::{EarlySeg, Pending, Seg, DEFAULT_HANDSHAKE_WAIT, MAX_KEPT};
pub use super::event::{CloseReason, StreamEvent};
use super::reassembly::ReassemblyConfig;
use super::{ConnId, Direction};
use crate::capture::{PacketIndex, TcpPacket, Timestamp};
use crate::fastmap::Set as HashSet;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// Default time a closed connection's record absorbs stray packets.
pub const DEFAULT_CLOSED_LINGER_SECS: i64 = 120;
/// Default cap on the number of closed-connection records kept.
pub const DEFAULT_MAX_CLOSED: usize = 65_536;

/// Bounds of the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Bounds of each direction's reassembler.
    pub reassembly: ReassemblyConfig,
    /// Capture time a closed connection keeps absorbing stray packets.
    pub closed_linger_secs: i64,
    /// Most closed-connection records kept; the oldest go first.
    pub max_closed: usize,
    /// Packets of the capture a segment seen before its connection's
    /// handshake (SYN, or SYN+ACK for the server's segments) waits for it;
    /// 0 opens such flows at their first segment.
    pub handshake_wait: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            reassembly: ReassemblyConfig::default(),
            closed_linger_secs: DEFAULT_CLOSED_LINGER_SECS,
            max_closed: DEFAULT_MAX_CLOSED,
            handshake_wait: DEFAULT_HANDSHAKE_WAIT,
        }
    }
}

#[derive(Debug)]
enum Slot {
    Open(Box<Conn>),
    /// Seen only through segments that are not a SYN, so far.
    Pending(Box<Pending>),
    Closed(Box<Closed>),
    /// Evicted under the memory cap: absorbs the rest of the connection.
    Evicted(Box<Evicted>),
}

/// What a wait for a handshake is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// A [`Slot::Pending`] flow's SYN or SYN+ACK.
    Flow,
    /// An open connection's SYN+ACK.
    SynAck,
}

/// All TCP connections of a capture.
#[derive(Debug, Default)]
pub struct FlowTable {
    cfg: FlowConfig,
    next_id: u32,
    slots: Slots,
    /// Closed records in closing order, for expiry.
    closed: VecDeque<(Timestamp, Key, ConnId)>,
    /// Endpoints seen accepting connections (bounded by [`MAX_LISTENERS`]).
    listeners: HashSet<SocketAddr>,
    /// Waits for a handshake, by the packet number at which they end
    /// (nondecreasing: one is added per packet at most).
    waiting: VecDeque<(u64, Key, ConnId, Wait)>,
    /// The packet being processed: waits are counted from it.
    now: PacketIndex,
    /// Sum of [`Slot::memory`] over all slots, kept as they change.
    heap: usize,
    /// Open connections whose windows took pieces of the packets' buffers
    /// (each listed once while `Conn::holding`; closed ones are dropped
    /// from the list when it is walked or compacted).
    holders: Vec<Key>,
    /// The list is compacted when it reaches this length: twice what it
    /// kept last time (amortised O(1) per listing).
    holders_limit: usize,
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

    /// Number of open connections, counting flows that wait for their
    /// handshake.
    pub fn open_connections(&self) -> usize {
        self.slots
            .values()
            .filter(|s| !matches!(s, Slot::Closed(_) | Slot::Evicted(_)))
            .count()
    }

    /// Let go of every packet buffer the open connections hold pieces of
    /// numbered below `before` (the windows of delivered bytes copy them):
    /// asked by the reader through
    /// [`Owner::release`](crate::capture::Owner::release).
    ///
    /// Only the connections listed as holding pieces are visited, so an
    /// ask costs what those hold, not the number of connections.
    pub fn release_shared(&mut self, before: u64) -> usize {
        self.walk_holders(Some(before))
    }

    /// The connection at `key` may have taken its first piece of a
    /// packets' buffer: list it. The list is compacted once it has doubled
    /// since it was last walked or compacted.
    fn note_holding(&mut self, key: Key) {
        let Some(Slot::Open(conn)) = self.slots.get_mut(&key) else {
            return;
        };
        if conn.holding || !conn.holds_shared() {
            return;
        }
        conn.holding = true;
        self.holders.push(key);
        if self.holders.len() >= self.holders_limit.max(64) {
            self.walk_holders(None);
        }
    }

    /// Walk the list of holders once: each open connection listed and
    /// holding is visited once (with `release`, asked for the buffers
    /// numbered below it) and stays listed while it still holds pieces;
    /// closed connections and keys listed twice are dropped (each holder
    /// is unmarked as it is visited, then marked again). How many were
    /// visited.
    fn walk_holders(&mut self, release: Option<u64>) -> usize {
        let mut visited = 0;
        let mut keep = Vec::new();
        for key in std::mem::take(&mut self.holders) {
            let Some(Slot::Open(conn)) = self.slots.get_mut(&key) else {
                continue;
            };
            if !conn.holding {
                continue;
            }
            visited += 1;
            conn.holding = false;
            if let Some(before) = release {
                conn.release_shared(before);
            }
            if conn.holds_shared() {
                keep.push(key);
            }
        }
        for key in &keep {
            if let Some(Slot::Open(conn)) = self.slots.get_mut(key) {
                conn.holding = true;
            }
        }
        self.holders_limit = keep.len().saturating_mul(2);
        self.holders = keep;
        visited
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
        self.now = packet;
        while let Some(&(end, key, id, wait)) = self.waiting.front() {
            if end > packet.0 {
                break;
            }
            self.waiting.pop_front();
            let before = self.slot_memory(&key);
            let kept = self.end_wait(key, id, wait, sink);
            self.account(&key, before);
            self.run(kept, sink);
        }
        let kept = self.apply(&Seg::Live(packet, ts, seg), sink);
        self.run(kept, sink);
    }

    /// Feed segments that waited, in order; a segment may hand back others.
    fn run(&mut self, kept: Vec<EarlySeg>, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        // Each kept segment is applied a bounded number of times: a segment
        // handed back again and again is dropped, never looped over.
        let mut budget = kept.len().saturating_mul(4).saturating_add(4 * MAX_KEPT);
        let mut queue: VecDeque<EarlySeg> = kept.into();
        while let Some(e) = queue.pop_front() {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let more = self.apply(&Seg::Kept(e), sink);
            for m in more.into_iter().rev() {
                queue.push_front(m);
            }
        }
    }

    /// Start waiting for a handshake; the wait ends `handshake_wait`
    /// packets after the one being processed.
    fn wait(&mut self, key: Key, id: ConnId, wait: Wait) {
        let end = self.now.0.saturating_add(self.cfg.handshake_wait);
        self.waiting.push_back((end, key, id, wait));
    }

    /// A wait is over: open the pending flow mid-stream, or stop holding
    /// the server's segments; the segments that waited, to be fed again.
    fn end_wait(
        &mut self,
        key: Key,
        id: ConnId,
        wait: Wait,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Vec<EarlySeg> {
        match (self.slots.get_mut(&key), wait) {
            (Some(Slot::Pending(p)), Wait::Flow) if p.id == id => {
                let segs = std::mem::take(&mut p.segs);
                self.slots.remove(&key);
                if let Some(first) = segs.first() {
                    let (p, t) = (first.packet, first.ts);
                    self.open(key, (p, t), &first.view(), Some(id), sink);
                    self.anchor(key, &segs);
                }
                segs
            }
            (Some(Slot::Open(c)), Wait::SynAck) if c.id == id => {
                c.awaiting_syn_ack = false;
                let segs = c.early.take();
                c.anchor(self.cfg.reassembly, key.roles(c.client_low).0, &segs);
                segs
            }
            _ => Vec::new(),
        }
    }

    /// One segment, live or kept; segments that waited and may go on now.
    fn apply(&mut self, s: &Seg<'_>, sink: &mut dyn FnMut(StreamEvent<'_>)) -> Vec<EarlySeg> {
        // The common case, one lookup: a segment just captured of an open
        // connection that is no SYN and does not wait for the SYN+ACK
        // (what `apply_to` does with it, without looking the slot up
        // again).
        if let Seg::Live(packet, ts, seg) = *s {
            let key = key_of(seg.src, seg.dst);
            if seg.flags.syn {
                return self.apply_slow(key, s, sink);
            }
            if let Some(slot @ Slot::Open(_)) = self.slots.get_mut(&key) {
                let before = slot.memory();
                if let Slot::Open(conn) = slot {
                    if !conn.awaiting_syn_ack {
                        let ends = key.roles(conn.client_low);
                        let end = conn.handle(self.cfg.reassembly, ends, packet, ts, seg, sink);
                        let new_holder = seg.owner.is_some() && !conn.holding;
                        if let Some(reason) = end {
                            self.end_open(key, reason, packet, ts, sink);
                            self.account(&key, before);
                        } else {
                            let after = slot.memory();
                            self.heap = self.heap.saturating_sub(before).saturating_add(after);
                            if new_holder {
                                self.note_holding(key);
                            }
                        }
                        return Vec::new();
                    }
                }
            }
            return self.apply_slow(key, s, sink);
        }
        let (_, _, seg) = s.parts();
        self.apply_slow(key_of(seg.src, seg.dst), s, sink)
    }

    /// [`FlowTable::apply`] of any segment, its slot's memory accounted.
    fn apply_slow(
        &mut self,
        key: Key,
        s: &Seg<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Vec<EarlySeg> {
        let before = self.slot_memory(&key);
        let kept = self.apply_to(key, s, sink);
        self.account(&key, before);
        kept
    }

    fn apply_to(
        &mut self,
        key: Key,
        s: &Seg<'_>,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> Vec<EarlySeg> {
        let (packet, ts, seg) = s.parts();
        let (syn, ack, rst) = (seg.flags.syn, seg.flags.ack, seg.flags.rst);
        let mut kept = Vec::new();
        match self.slots.get_mut(&key) {
            None if !syn && self.cfg.handshake_wait > 0 => {
                let id = self.take_id();
                let segs = vec![s.keep()];
                self.slots
                    .insert(key, Slot::Pending(Box::new(Pending { id, segs })));
                self.wait(key, id, Wait::Flow);
                return kept;
            }
            None => self.open(key, (packet, ts), &seg, None, sink),
            Some(Slot::Pending(p)) if !syn && !rst && p.segs.len() < MAX_KEPT => {
                p.segs.push(s.keep());
                return kept;
            }
            Some(Slot::Pending(p)) => {
                let (id, segs) = (p.id, std::mem::take(&mut p.segs));
                self.slots.remove(&key);
                let Some(first) = segs.first() else {
                    return kept;
                };
                if !syn {
                    // A RST, or too much waited: the flow opens mid-stream.
                    let (p, t) = (first.packet, first.ts);
                    self.open(key, (p, t), &first.view(), Some(id), sink);
                    self.anchor(key, &segs);
                    let mut all = segs;
                    all.push(s.keep());
                    return all;
                }
                // The handshake sets roles and origins; then the rest.
                self.open(key, (first.packet, first.ts), &seg, Some(id), sink);
                kept = segs;
            }
            Some(Slot::Evicted(ev)) => {
                let dir = dir_of(ev.client, seg.src);
                let recorded = isn_of(&ev.isn, dir);
                let new_syn = syn && recorded != Some(seg.seq) && (!ack || recorded.is_some());
                if !new_syn {
                    let len = u64::try_from(seg.payload.len()).unwrap_or(u64::MAX);
                    if let Some((_, n)) = ev.lost.get_mut(dir.index()) {
                        *n = n.saturating_add(len).saturating_add(u64::from(seg.missing));
                    }
                    if !(seg.flags.fin || rst) {
                        return kept;
                    }
                }
                ev.report(sink);
                let record = Closed {
                    id: ev.id,
                    client: ev.client,
                    isn: ev.isn,
                };
                self.closed.push_back((ts, key, record.id));
                self.slots.insert(key, Slot::Closed(Box::new(record)));
                if !new_syn {
                    return kept;
                }
                self.open(key, (packet, ts), &seg, None, sink);
            }
            Some(Slot::Closed(old)) => {
                // Any SYN with a new sequence number: the SYN+ACK too, in
                // case the new connection's SYN was not captured.
                let recorded = isn_of(&old.isn, dir_of(old.client, seg.src));
                if !syn || recorded == Some(seg.seq) {
                    return kept;
                }
                self.open(key, (packet, ts), &seg, None, sink);
            }
            Some(Slot::Open(conn)) => {
                let client = key.roles(conn.client_low).0;
                let recorded = isn_of(&conn.isn, dir_of(client, seg.src));
                let differs = recorded != Some(seg.seq);
                // Only a segment seen now can start a new connection: one
                // that waited belongs to the connection it was kept for.
                let live = matches!(s, Seg::Live(..));
                if live && syn && differs && (!ack || recorded.is_some()) {
                    if let Some(Slot::Open(mut old)) = self.slots.remove(&key) {
                        let ends = key.roles(old.client_low);
                        old.drain_early(self.cfg.reassembly, ends, sink);
                        old.flush(ends, Some(packet), sink);
                        if old.announce.is_none() {
                            sink(StreamEvent::Closed {
                                conn: old.id,
                                reason: CloseReason::Reused,
                                packet: Some(packet),
                            });
                        }
                    }
                    self.open(key, (packet, ts), &seg, None, sink);
                }
            }
        }
        let Some(Slot::Open(conn)) = self.slots.get_mut(&key) else {
            return kept;
        };
        let ends = key.roles(conn.client_low);
        let from_server = dir_of(ends.0, seg.src) == Direction::ServerToClient;
        if conn.awaiting_syn_ack {
            if from_server && syn && ack {
                conn.awaiting_syn_ack = false;
                kept.append(&mut conn.early.take());
            } else if rst || conn.early.len() >= MAX_KEPT {
                // A refusal or an abort, or too much waited: what waited
                // goes first.
                conn.awaiting_syn_ack = false;
                let mut all = conn.early.take();
                conn.anchor(self.cfg.reassembly, ends.0, &all);
                all.push(s.keep());
                return all;
            } else if from_server && !syn {
                if conn.early.is_empty() {
                    let id = conn.id;
                    self.wait(key, id, Wait::SynAck);
                }
                if let Some(Slot::Open(conn)) = self.slots.get_mut(&key) {
                    conn.early.push(s.keep());
                }
                return kept;
            }
        }
        if let Some(reason) = conn.handle(self.cfg.reassembly, ends, packet, ts, &seg, sink) {
            self.end_open(key, reason, packet, ts, sink);
        } else if seg.owner.is_some() {
            self.note_holding(key);
        }
        kept
    }

    /// The open connection of `key` ended (`reason`) at `packet`: what it
    /// holds goes out, and a record of it stays.
    fn end_open(
        &mut self,
        key: Key,
        reason: CloseReason,
        packet: PacketIndex,
        ts: Timestamp,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let Some(Slot::Open(conn)) = self.slots.get_mut(&key) else {
            return;
        };
        let ends = key.roles(conn.client_low);
        if reason != CloseReason::Fin || !conn.complete() {
            conn.flush(ends, Some(packet), sink);
        }
        if conn.announce.is_none() {
            sink(StreamEvent::Closed {
                conn: conn.id,
                reason,
                packet: Some(packet),
            });
        }
        let record = Closed {
            id: conn.id,
            client: ends.0,
            isn: conn.isn,
        };
        self.closed.push_back((ts, key, record.id));
        self.slots.insert(key, Slot::Closed(Box::new(record)));
    }

    /// Set the origins of a connection just opened from segments that waited.
    fn anchor(&mut self, key: Key, segs: &[EarlySeg]) {
        let cfg = self.cfg.reassembly;
        if let Some(Slot::Open(c)) = self.slots.get_mut(&key) {
            c.anchor(cfg, key.roles(c.client_low).0, segs);
        }
    }

    /// The next connection index.
    fn take_id(&mut self) -> ConnId {
        let id = ConnId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Start a connection on `key`: `seg` (its first segment, or the
    /// handshake segment that ended a wait) sets the roles, `first` is the
    /// packet and time of its first segment, `id` its index if one was
    /// reserved.
    fn open(
        &mut self,
        key: Key,
        first: (PacketIndex, Timestamp),
        seg: &TcpPacket<'_>,
        id: Option<ConnId>,
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
        let id = id.unwrap_or_else(|| self.take_id());
        let (packet, ts) = first;
        let _ = sink;
        let conn = Conn {
            id,
            client_low: key.ends().0 == client,
            awaiting_syn_ack: seg.flags.syn && !seg.flags.ack && self.cfg.handshake_wait > 0,
            holding: false,
            isn: [None, None],
            dirs: None,
            // Announced with the connection's first event (see `conn`).
            announce: Some(Opening {
                packet,
                ts,
                handshake_seen,
            }),
            early: Early::default(),
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
        // Every wait is over: what waited is fed first, in order.
        while let Some((_, key, id, wait)) = self.waiting.pop_front() {
            let kept = self.end_wait(key, id, wait, sink);
            self.run(kept, sink);
        }
        // Only connections that carried something or were evicted have
        // anything to say: one that exchanged only SYNs holds no buffer and
        // was never announced.
        let open = self.slots.ordered(|slot| match slot {
            Slot::Open(c) if c.dirs.is_some() => Some(c.id),
            Slot::Evicted(e) => Some(e.id),
            _ => None,
        });
        for key in open {
            let mut conn = match self.slots.remove(&key) {
                Some(Slot::Open(conn)) => conn,
                Some(Slot::Evicted(ev)) => {
                    ev.report(sink);
                    continue;
                }
                _ => continue,
            };
            conn.flush(key.roles(conn.client_low), None, sink);
            if conn.announce.is_some() {
                continue;
            }
            let (reason, packet) = match conn.fin() {
                [Some(a), Some(b)] => (CloseReason::Fin, Some(a.max(b))),
                _ => (CloseReason::EndOfCapture, None),
            };
            sink(StreamEvent::Closed {
                conn: conn.id,
                reason,
                packet,
            });
        }
        self.slots = Slots::default();
        self.heap = 0;
        self.closed.clear();
    }
}

#[path = "flow_key.rs"]
mod key;
use key::{key_of, Key, Slots};

#[path = "flow_memory.rs"]
mod memory;

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
