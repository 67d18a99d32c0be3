//! Rows out of decoder events, and the msgr1 path: a connection whose
//! first banner is `ceph v027` is decoded by the msgr1 decoder; a side
//! whose banner is the other protocol's is an interop failure naming both
//! banners (msgr.h CEPH_BANNER, CEPH_BANNER_V2_PREFIX).

use super::peers::sent_by_server;
use super::{Inner, MAX_HELD_ROWS};
use crate::analysis::record::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::decode::Header2;
use crate::msgr1::banner::{self, Kind};
use crate::msgr1::{msg, Event1, Msgr1Decoder};
use crate::msgr2::{Problem, ProblemKind, Tag};
use crate::tcp::{ConnId, Direction};

/// A connection's msgr1 state.
#[derive(Debug, Default)]
pub(super) struct V1Conn {
    /// The msgr1 decoder, once a side opened with `ceph v027`.
    pub(super) decoder: Option<Box<Msgr1Decoder>>,
    /// What each side's first bytes were.
    first: [Option<Kind>; 2],
    /// Sides not decoded: a msgr1 banner on a msgr2 connection.
    ignored: [bool; 2],
    /// Bytes of a mid-stream connection searched for a msgr1 MSG.
    probed: usize,
}

/// Bytes of a connection captured mid-stream searched for a msgr1 MSG
/// (while no msgr2 frame was found) before it is left to msgr2.
const MAX_PROBE: usize = 1 << 20;

impl V1Conn {
    /// Heap bytes held.
    pub(super) fn memory(&self) -> usize {
        self.decoder.as_ref().map_or(0, |d| d.memory())
    }

    /// Whether [`Inner::v1_data`] would leave bytes of side `i` at `offset`
    /// to the msgr2 decoder untouched: not a side's first bytes, no msgr1
    /// decoder, the side not ignored, and nothing left to probe (`probing`:
    /// the msgr2 revision is not known yet, so a connection captured
    /// mid-stream may still be probed for msgr1).
    pub(super) fn passes(&self, i: usize, offset: u64, probing: bool) -> bool {
        offset != 0
            && self.decoder.is_none()
            && !self.ignored.get(i).copied().unwrap_or(true)
            && !(probing && self.probed < MAX_PROBE)
    }
}

impl Inner {
    /// Bytes of `dir` at `offset`: taken (and decoded) here when the
    /// connection is msgr1 or the side is ignored; `false` leaves them to
    /// the msgr2 decoder.
    pub(super) fn v1_data(
        &mut self,
        conn: ConnId,
        (dir, offset, data): (Direction, u64, &[u8]),
        (packet, ts): (PacketIndex, Timestamp),
    ) -> bool {
        let max = self.cfg.decoder.max_segment_len;
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        let i = dir.index();
        let mid = self
            .summary
            .conns
            .get(&conn)
            .is_some_and(|s| !s.handshake_seen);
        if mid && c.v1.decoder.is_none() && c.v1.probed < MAX_PROBE && c.decoder.rev().is_none() {
            // Joined mid-connection: msgr1 if a MSG header's CRC matches.
            c.v1.probed = c.v1.probed.saturating_add(data.len());
            if matches!(msg::find(data, true), msg::Found::At(_)) {
                c.v1.decoder = Some(Box::new(Msgr1Decoder::mid_stream(max)));
                c.conformance.blind();
                if let Some(s) = self.summary.conns.get_mut(&conn) {
                    s.msgr1 = true;
                }
            }
        }
        let seen = c.v1.first.get(i).copied().flatten();
        if offset == 0 && seen.is_none() {
            let kind = banner::classify(data);
            if kind != Kind::Incomplete {
                if let Some(slot) = c.v1.first.get_mut(i) {
                    *slot = Some(kind);
                }
            }
            let other = c.v1.first.get(dir.reverse().index()).copied().flatten();
            if kind == Kind::Msgr1 && c.v1.decoder.is_none() {
                if other == Some(Kind::Msgr2) {
                    // A msgr1 side on a msgr2 connection.
                    if let Some(x) = c.v1.ignored.get_mut(i) {
                        *x = true;
                    }
                    let p = Problem::new(ProblemKind::BannerMismatch, 0, 9, "msgr2.banner")
                        .values("ceph v2 (msgr2, the peer's banner)", "ceph v027 (msgr1)");
                    self.events1.push((dir, Event1::Undecoded(p)));
                    self.drain_v1(conn, packet, ts);
                    return true;
                }
                c.v1.decoder = Some(Box::new(Msgr1Decoder::new(max)));
                c.conformance.blind();
                if let Some(s) = self.summary.conns.get_mut(&conn) {
                    s.msgr1 = true;
                }
            }
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if c.v1.ignored.get(i).copied().unwrap_or(false) {
            return true;
        }
        let Some(d) = c.v1.decoder.as_mut() else {
            return false;
        };
        d.feed(dir, offset, data, &mut self.events1);
        self.drain_v1(conn, packet, ts);
        true
    }

    /// Lost bytes of `dir`: handled here when the connection is msgr1.
    pub(super) fn v1_gap(
        &mut self,
        conn: ConnId,
        (dir, offset, len): (Direction, u64, u64),
        (packet, ts): (PacketIndex, Timestamp),
    ) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if c.v1.ignored.get(dir.index()).copied().unwrap_or(false) {
            return true;
        }
        let Some(d) = c.v1.decoder.as_mut() else {
            return false;
        };
        d.gap(dir, offset, len, &mut self.events1);
        self.drain_v1(conn, packet, ts);
        true
    }

    /// The connection ends: the msgr1 decoder's last rows.
    pub(super) fn v1_finish(&mut self, conn: ConnId, packet: PacketIndex, ts: Timestamp) {
        if let Some(d) = self
            .conns
            .get_mut(&conn)
            .and_then(|c| c.v1.decoder.as_mut())
        {
            d.finish(&mut self.events1);
            self.drain_v1(conn, packet, ts);
        }
    }

    fn drain_v1(&mut self, conn: ConnId, packet: PacketIndex, ts: Timestamp) {
        let events = std::mem::take(&mut self.events1);
        for (dir, ev) in events {
            let kind = match ev {
                Event1::Item(it) => RecordKind::Msgr1(it),
                Event1::Lost { offset, len } => RecordKind::Lost { offset, len },
                Event1::Undecoded(p) => RecordKind::Undecoded(p),
            };
            self.row(conn, dir, kind, packet, ts);
        }
    }

    /// Make the row of `kind` in `dir` of `conn`, located in its packets.
    pub(super) fn row(
        &mut self,
        conn: ConnId,
        dir: Direction,
        kind: RecordKind,
        packet: PacketIndex,
        ts: Timestamp,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let (src, dst) = match dir {
            Direction::ClientToServer => (c.client, c.server),
            Direction::ServerToClient => (c.server, c.client),
        };
        let Some(map) = c.maps.get_mut(dir.index()) else {
            return;
        };
        let msg = match &kind {
            RecordKind::Frame(f) if f.tag() == Tag::Message => {
                f.segment(0).and_then(Header2::parse)
            }
            RecordKind::Msgr1(it) => it.msg().map(|m| m.header.as_header2()),
            _ => None,
        };
        let mut rec = Record::new(conn, dir, (src, dst), kind, msg);
        let (offset, len) = rec.range();
        let mut packets = map.packets(offset..offset.saturating_add(len));
        rec.ts = map
            .chunks(offset..offset.saturating_add(len))
            .last()
            .map_or(ts, |ch| ch.ts);
        rec.origin = self.summary.first_ts.unwrap_or(rec.ts);
        rec.origins = self.cfg.origins.clone();
        if packets.is_empty() {
            packets.push(map.packet_at(offset).unwrap_or(packet));
        }
        rec.packets = packets;
        let first = rec.packets.first().copied().unwrap_or(packet);
        rec.problem_packets = rec
            .problems()
            .iter()
            .map(|p| map.packet_at(p.offset).unwrap_or(first))
            .collect();
        if !c.undecided {
            self.finish_row(conn, rec);
        } else {
            // The first message that shows who is the server decides.
            let hint = rec
                .msg
                .and_then(|h| sent_by_server(h.msg_type))
                .map(|by_server| by_server == (rec.dir == Direction::ClientToServer));
            c.held.push(rec);
            if hint.is_some() || c.held.len() >= MAX_HELD_ROWS {
                self.release(conn, hint);
            }
        }
    }
}
