//! The dissector: drives capture -> TCP -> msgr2 and turns what the msgr2
//! decoder finds into numbered [`Record`]s, one per banner, frame, lost
//! stretch or undecodable stretch, each naming its packets.
//!
//! Memory is bounded by the data in flight: per connection direction one
//! frame's bytes in the decoder and the packet map of not yet reported
//! bytes; closed connections are dropped. A connection gets its state at
//! its first byte (one that only exchanged SYNs costs only its flow table
//! entry), and the whole is kept within [`Config::memcap`] (see `memcap`).

use super::conformance::machine::Input;
use super::conformance::Conformance;
use super::interop::Tracker;
use super::memcap::{Budget, DEFAULT_MEMCAP};
use super::record::{Record, RecordKind};
use super::session::{Reconnects, Session};
use super::summary::{ConnSummary, Summary};
use crate::capture::{CaptureError, CaptureReader, Packet, PacketIndex, Timestamp};
use crate::fastmap::Map as HashMap;
use crate::msgr2::keys::KeyLog;
use crate::msgr2::{ConnDecoder, DecoderConfig, Event, Problem, ProblemKind};
use crate::tcp::{ConnId, Direction, FlowTable, StreamEvent, StreamMap};
use evict::SUMMARY_BYTES;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;

/// Settings of a dissection.
#[derive(Debug, Clone)]
pub struct Config {
    /// msgr2 decoder limits.
    pub decoder: DecoderConfig,
    /// Secure-mode keys, if the user gave any.
    pub keys: Option<Arc<KeyLog>>,
    /// Keyring entities whose keys open cephx and, through it, secure mode.
    pub keyring: Option<Arc<crate::cephx::Keyring>>,
    /// Cap in bytes on the memory of connection state and buffered stream
    /// bytes; past it the idlest connections are evicted and reported.
    pub memcap: usize,
    /// Request/reply tracking settings.
    pub interop: super::interop::InteropConfig,
    /// Threads of a whole-capture pass (`-j`): with 2 or more the capture
    /// is read and its blocks parsed on a thread of its own while this
    /// one dissects (0 and 1: all on the calling thread); the output is
    /// the same either way.
    pub threads: usize,
    /// Who each connection's peers are, from an earlier pass over the same
    /// capture (`-2`): every row of a connection then carries its entities,
    /// the rows before its ident frames too.
    pub identities: Option<Arc<crate::fastmap::Map<ConnId, super::session::Identity>>>,
    /// Several captures merged into one (`capture::MergeReader`): which
    /// input each packet came from, named on every row.
    pub origins: Option<Arc<crate::capture::Origins>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            decoder: DecoderConfig::default(),
            keys: None,
            keyring: None,
            memcap: DEFAULT_MEMCAP,
            interop: Default::default(),
            threads: 1,
            identities: None,
            origins: None,
        }
    }
}

struct ConnState {
    client: SocketAddr,
    server: SocketAddr,
    decoder: ConnDecoder,
    maps: [StreamMap; 2],
    session: Session,
    /// The connection judged against the msgr2 state machine.
    conformance: Conformance,
    /// Releases, requests waiting for replies.
    interop: Tracker,
    /// Captured mid-connection and its roles not yet confirmed by a
    /// message: rows wait in `held` (at most [`MAX_HELD_ROWS`]).
    undecided: bool,
    /// The TCP layer's guess of the roles was wrong: report them swapped.
    flipped: bool,
    held: Vec<Record>,
    /// Rows of one direction waiting for the other's (see [`Inner::order`]).
    waiting: Vec<(Record, Option<Input>)>,
    /// Packet number of its last event (for eviction of the idlest).
    last: u64,
    /// Bytes charged to the memory budget.
    charged: usize,
    /// A TCP reset ended it.
    reset: bool,
    /// cephx state, with `--keyring`.
    cephx: Option<Box<keys::ConnCephx>>,
    /// msgr1 state (a `ceph v027` connection).
    v1: v1::V1Conn,
}

/// Rows of a connection picked up mid-stream held back while its roles
/// are unknown; past this the TCP layer's guess stands.
pub const MAX_HELD_ROWS: usize = 64;

/// Streams records out of packets.
pub struct Dissector {
    flows: FlowTable,
    inner: Inner,
}

/// Everything but the flow table, so the flow table's events can be
/// handled while it is borrowed.
struct Inner {
    cfg: Config,
    /// Boxed: the table grows by doubling, and while it moves both copies
    /// are live.
    conns: HashMap<ConnId, Box<ConnState>>,
    /// Bytes of the summaries of all connections seen (see `evict`).
    summaries: usize,
    /// Bytes the caller holds per connection (see `evict`).
    caller: usize,
    next_number: u64,
    summary: Summary,
    /// Events waiting to become records (reused buffer).
    events: Vec<(Direction, Event)>,
    /// msgr1 events waiting to become records.
    events1: Vec<(Direction, crate::msgr1::Event1)>,
    pending: Vec<Record>,
    reconnects: Reconnects,
    budget: Budget,
    /// Connections with an event in the packet being processed.
    touched: Vec<ConnId>,
    /// The capture has ended: connections still open close with it.
    ending: bool,
    /// Some decoder has use for payload CRCs ([`ConnDecoder::wants_crcs`]).
    wants_crcs: bool,
    /// Service tickets granted in the capture (`--keyring`).
    tickets: crate::cephx::TicketTable,
    /// The key file's keys, expanded once (`--keys`).
    key_ciphers: Vec<Arc<crate::msgr2::cipher::KeyCipher>>,
    /// Monitors' addresses, from the monmaps in the capture.
    monitors: peers::Monitors,
    /// Storages of large elided frames, shared by every connection's
    /// decoder for later frames.
    storages: Arc<crate::msgr2::Storages>,
}

impl Dissector {
    /// A dissector with the given settings.
    pub fn new(mut cfg: Config) -> Self {
        // With a second thread allowed, large segments' checks use it.
        cfg.decoder.split_checks |= cfg.threads > 1;
        Dissector {
            flows: FlowTable::new(),
            inner: Inner {
                conns: HashMap::default(),
                summaries: 0,
                caller: 0,
                next_number: 1,
                summary: Summary::default(),
                events: Vec::new(),
                events1: Vec::new(),
                pending: Vec::new(),
                reconnects: Reconnects::default(),
                budget: Budget::new(cfg.memcap),
                touched: Vec::new(),
                ending: false,
                wants_crcs: false,
                key_ciphers: cfg
                    .keys
                    .as_deref()
                    .map(|k| keys::expand(k, cfg.threads > 1))
                    .unwrap_or_default(),
                tickets: cfg
                    .keyring
                    .as_deref()
                    .map(crate::cephx::TicketTable::from_keyring)
                    .unwrap_or_default(),
                monitors: Default::default(),
                storages: Default::default(),
                cfg,
            },
        }
    }

    /// Whether a connection's decoder has use for payload CRCs: one may
    /// elide a data segment's middle
    /// ([`DecoderConfig::elide_data`](crate::msgr2::DecoderConfig::elide_data)),
    /// which for small pieces it does only with their CRCs.
    pub fn wants_crcs(&self) -> bool {
        self.inner.wants_crcs
    }

    /// What has been seen so far.
    pub fn summary(&self) -> &Summary {
        &self.inner.summary
    }

    /// Take the summary out (at the end).
    pub fn into_summary(self) -> Summary {
        self.inner.summary
    }

    /// Process one packet; finished records go to `out`.
    pub fn packet(&mut self, pkt: &Packet<'_>, out: &mut dyn FnMut(Record)) {
        if let Some(before) = pkt.owner.and_then(|o| o.release) {
            // The reader waits for buffers that windows still hold.
            self.flows.release_shared(before);
        }
        let inner = &mut self.inner;
        inner.summary.packets += 1;
        inner.summary.bytes += u64::from(pkt.caplen);
        inner.summary.first_ts.get_or_insert(pkt.ts);
        inner.summary.last_ts = Some(pkt.ts);
        inner.summary.count_link(pkt.link);
        match pkt.tcp() {
            Ok(Some(seg)) => {
                self.flows.process(pkt.index, pkt.ts, &seg, &mut |ev| {
                    inner.stream_event(ev, pkt.index, pkt.ts)
                });
            }
            Ok(None) => inner.summary.non_tcp_packets += 1,
            Err(e) => {
                inner.summary.malformed_packets += 1;
                if inner.summary.malformed.len() < 100 {
                    inner.summary.malformed.push((pkt.index, e.to_string()));
                }
            }
        }
        inner.recharge();
        while inner
            .budget
            .over(self.flows.memory().saturating_add(inner.outside()))
        {
            let conns = &inner.conns;
            let Some(id) = inner
                .budget
                .idlest(|c, p| conns.get(&c).is_some_and(|s| s.last == p))
            else {
                break;
            };
            inner.evict(&mut self.flows, id, pkt.index, pkt.ts);
        }
        let conns = &inner.conns;
        inner.budget.compact(conns.len(), |c, p| {
            conns.get(&c).is_some_and(|s| s.last == p)
        });
        for r in inner.pending.drain(..) {
            out(r);
        }
    }

    /// End of capture: flush every connection.
    pub fn finish(&mut self, out: &mut dyn FnMut(Record)) {
        let inner = &mut self.inner;
        inner.ending = true;
        let last = PacketIndex(inner.summary.packets);
        let ts = inner.summary.last_ts.unwrap_or_default();
        // Rows go out as they come: a capture that ends with many
        // connections open would otherwise gather all their rows at once.
        self.flows.finish(&mut |ev| {
            inner.stream_event(ev, last, ts);
            for r in inner.pending.drain(..) {
                out(r);
            }
        });
        let mut ids: Vec<ConnId> = inner.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            inner.close(id, last, ts, false);
            for r in inner.pending.drain(..) {
                out(r);
            }
        }
        for r in inner.pending.drain(..) {
            out(r);
        }
    }
}

/// A connection's bytes came at `packet`: it is the most recently active
/// for the memory budget, and charged again after the packet.
fn touch(
    budget: &mut Budget,
    touched: &mut Vec<ConnId>,
    (last, conn): (&mut u64, ConnId),
    packet: PacketIndex,
) {
    budget.touch(last, conn, packet.0);
    if touched.last() != Some(&conn) {
        touched.push(conn);
    }
}

impl Inner {
    fn stream_event(&mut self, ev: StreamEvent<'_>, packet: PacketIndex, ts: Timestamp) {
        if let StreamEvent::Gap { conn, .. } | StreamEvent::OverlapDiffers { conn, .. } = ev {
            if let Some(c) = self.conns.get_mut(&conn) {
                touch(
                    &mut self.budget,
                    &mut self.touched,
                    (&mut c.last, conn),
                    packet,
                );
            }
        }
        match ev {
            StreamEvent::Opened {
                conn,
                client,
                server,
                handshake_seen,
                ..
            } => {
                let mut decoder = ConnDecoder::new(self.cfg.decoder, handshake_seen)
                    .with_storages(Arc::clone(&self.storages));
                if let Some(keys) = &self.cfg.keys {
                    for (dir, src, dst) in [
                        (Direction::ClientToServer, client, server),
                        (Direction::ServerToClient, server, client),
                    ] {
                        if let Some(sd) = decoder.secure_mut(dir) {
                            sd.set_candidates(candidates(
                                keys,
                                &self.key_ciphers,
                                (src, dst),
                                dir == Direction::ClientToServer,
                            ));
                        }
                    }
                }
                self.summaries = self.summaries.saturating_add(SUMMARY_BYTES);
                let mut state = ConnState {
                    client,
                    server,
                    decoder,
                    maps: Default::default(),
                    session: Session::default(),
                    conformance: Conformance::default(),
                    interop: Tracker::new(!handshake_seen),
                    undecided: !handshake_seen,
                    flipped: false,
                    held: Vec::new(),
                    waiting: Vec::new(),
                    last: 0,
                    charged: 0,
                    reset: false,
                    cephx: None,
                    v1: Default::default(),
                };
                state.with_cephx(self.cfg.keyring.is_some());
                if let Some(id) = self.cfg.identities.as_ref().and_then(|m| m.get(&conn)) {
                    state.session.adopt(id);
                }
                self.monitors.expect(server, &mut state.conformance);
                self.conns.insert(conn, Box::new(state));
                self.summary
                    .conns
                    .insert(conn, ConnSummary::new(conn, client, server, handshake_seen));
            }
            StreamEvent::Data {
                conn,
                dir,
                offset,
                data,
                crc,
                packet: p,
                ts: t,
            } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                touch(
                    &mut self.budget,
                    &mut self.touched,
                    (&mut c.last, conn),
                    packet,
                );
                if let Some(m) = c.maps.get_mut(dir.index()) {
                    m.record(offset, data.len() as u64, p, t);
                }
                // The common case, on the same lookup: bytes the msgr1
                // side of the analysis has nothing to do with.
                let probing = c.decoder.rev().is_none();
                if c.v1.passes(dir.index(), offset, probing) {
                    c.decoder
                        .feed_crc(dir, offset, (data, crc), &mut self.events);
                    self.wants_crcs |= c.decoder.wants_crcs();
                } else {
                    if self.v1_data(conn, (dir, offset, data), (p, t)) {
                        return;
                    }
                    let Some(c) = self.conns.get_mut(&conn) else {
                        return;
                    };
                    c.decoder
                        .feed_crc(dir, offset, (data, crc), &mut self.events);
                    self.wants_crcs |= c.decoder.wants_crcs();
                }
                self.drain(conn, p, t);
            }
            StreamEvent::Gap {
                conn,
                dir,
                offset,
                len,
                ..
            } => {
                if self.v1_gap(conn, (dir, offset, len), (packet, ts)) {
                    return;
                }
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                c.decoder.gap(dir, offset, len, &mut self.events);
                self.drain(conn, packet, ts);
            }
            StreamEvent::OverlapDiffers {
                conn,
                dir,
                offset,
                len,
                first_packet,
                ..
            } => {
                let p = Problem::new(
                    ProblemKind::OverlapDiffers,
                    offset,
                    len,
                    "tcp.segment.overlap",
                )
                .values(
                    format!("bytes as in packet {first_packet}"),
                    format!("different bytes in packet {packet}"),
                );
                self.events.push((dir, Event::Undecoded(p)));
                self.drain(conn, packet, ts);
            }
            StreamEvent::Evicted {
                conn,
                dir,
                src,
                dst,
                offset,
                len,
                packet: at,
            } => self.evicted_row(conn, dir, (src, dst), (offset, len), at, ts),
            StreamEvent::Closed { conn, reason, .. } => {
                if reason == crate::tcp::CloseReason::Rst {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.reset = true;
                    }
                }
                self.close(conn, packet, ts, !self.ending)
            }
        }
    }

    /// Turn pending decoder events of `conn` into records, and decode on
    /// directions whose keys came from them.
    fn drain(&mut self, conn: ConnId, packet: PacketIndex, ts: Timestamp) {
        self.drain_events(conn, packet, ts);
        let mut guard = 0u32;
        while self.cfg.keyring.is_some() && guard < 4 && self.cephx_settle(conn) {
            self.drain_events(conn, packet, ts);
            guard += 1;
        }
    }

    fn drain_events(&mut self, conn: ConnId, packet: PacketIndex, ts: Timestamp) {
        if self.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.events);
        for (dir, ev) in events {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let kind = match ev {
                Event::Banner(b) => RecordKind::Banner(b),
                Event::Frame(f) => RecordKind::Frame(f),
                Event::Lost { offset, len } => RecordKind::Lost { offset, len },
                Event::Undecoded(p) => RecordKind::Undecoded(p),
                Event::NotMsgr2 { .. } => {
                    if let Some(s) = self.summary.conns.get_mut(&conn) {
                        s.not_msgr2 = true;
                    }
                    // A direction that is not msgr2: its frames are unseen.
                    c.conformance.blind();
                    continue;
                }
            };
            self.row(conn, dir, kind, packet, ts);
        }
    }

    /// Decide a mid-stream connection's roles (`flip`: the TCP layer's guess
    /// was the wrong way round) and pass its held rows on.
    fn release(&mut self, conn: ConnId, flip: Option<bool>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.undecided {
            return;
        }
        c.undecided = false;
        c.flipped = flip.unwrap_or(false);
        let held = std::mem::take(&mut c.held);
        if c.flipped {
            // Rows keep their physical endpoints; only the roles swap.
            if let Some(s) = self.summary.conns.get_mut(&conn) {
                std::mem::swap(&mut s.client, &mut s.server);
            }
        }
        for r in held {
            self.finish_row(conn, r);
        }
    }

    /// Decode a row's payload and pass it to be judged in the
    /// conversation's order ([`Inner::order`]).
    fn finish_row(&mut self, conn: ConnId, mut rec: Record) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.flipped {
            rec.dir = rec.dir.reverse();
        }
        // The payload is decoded once, before session tracking reads its
        // typed values; encoding problems are located at their packet.
        let first = rec.packets.first().copied().unwrap_or_default();
        let before = rec.problems().len();
        let sender = c.session.sender(rec.dir);
        rec.decode_payload(&sender);
        let phys = if c.flipped {
            rec.dir.reverse()
        } else {
            rec.dir
        };
        let problems = rec.problems();
        if let Some(map) = c.maps.get(phys.index()) {
            for p in problems.iter().skip(before) {
                rec.problem_packets
                    .push(map.packet_at(p.offset).unwrap_or(first));
            }
        }
        let before = rec.problems().len();
        self.cephx_row(conn, &mut rec, phys);
        let added = rec.problems().len().saturating_sub(before);
        rec.problem_packets
            .extend(std::iter::repeat_n(first, added));
        let input = Conformance::input(&rec);
        self.order(conn, rec, input);
    }

    /// Number a row, run the analyses that follow the conversation's order
    /// on it, and pass it on (`input`: what it feeds the state machine).
    fn complete(&mut self, conn: ConnId, mut rec: Record, input: Option<Input>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let phys = if c.flipped {
            rec.dir.reverse()
        } else {
            rec.dir
        };
        rec.number = self.next_number;
        self.next_number += 1;
        let first = rec.packets.first().copied().unwrap_or_default();
        let before = rec.problems().len();
        c.session.observe(&mut rec);
        self.reconnects.observe(&mut rec);
        let peer_busy = c.decoder.pending(phys.reverse()).1 > 0;
        c.conformance.observe(&mut rec, input, peer_busy);
        c.interop.observe(&mut rec);
        self.monitors.learn(&rec);
        let added = rec.problems().len().saturating_sub(before);
        rec.problem_packets
            .extend(std::iter::repeat_n(first, added));
        if let Some(map) = c.maps.get_mut(phys.index()) {
            let (offset, len) = rec.range();
            map.prune_before(offset.saturating_add(len));
        }
        if let Some(s) = self.summary.conns.get_mut(&conn) {
            s.count(&rec);
        }
        if let Some(old) = rec.session.as_ref().and_then(|s| s.resumes) {
            self.resume(conn, old);
        }
        self.pending.push(rec);
    }
}

#[path = "dissector_end.rs"]
mod end;
pub use end::dissect_packets;
#[path = "dissector_evict.rs"]
mod evict;
#[path = "dissector_order.rs"]
mod order;
#[path = "dissector_peers.rs"]
mod peers;
#[path = "dissector_resume.rs"]
mod resume;

#[path = "dissector_v1.rs"]
mod v1;

#[path = "dissector_keys.rs"]
mod keys;
#[path = "dissector_keys_v1.rs"]
mod keys_v1;
use keys::candidates;

/// Dissect a whole capture from `src`, handing each record to `out`.
pub fn dissect<R: Read>(
    src: R,
    cfg: Config,
    out: &mut dyn FnMut(Record),
) -> Result<Summary, CaptureError> {
    Ok(dissect_packets(CaptureReader::new(src)?, cfg, out))
}
