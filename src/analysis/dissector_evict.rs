//! The dissector's side of the memory budget: what a connection's state
//! holds, and its eviction with the row that reports it.

use super::{ConnState, Inner};
use crate::analysis::record::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::msgr2::{Problem, ProblemKind};
use crate::tcp::{ConnId, Direction, FlowTable, StreamMap};
use std::net::SocketAddr;

impl ConnState {
    /// Bytes of memory the state holds.
    pub(super) fn memory(&self) -> usize {
        let maps = self
            .maps
            .iter()
            .map(StreamMap::memory)
            .fold(0usize, usize::saturating_add);
        std::mem::size_of::<(ConnId, ConnState)>()
            .saturating_add(self.decoder.memory())
            .saturating_add(maps)
            .saturating_add(
                self.held
                    .capacity()
                    .saturating_mul(std::mem::size_of::<Record>()),
            )
    }
}

impl Inner {
    /// Charge the connections touched by the last packet what they hold now.
    pub(super) fn recharge(&mut self) {
        for id in std::mem::take(&mut self.touched) {
            if let Some(c) = self.conns.get_mut(&id) {
                let now = c.memory();
                self.budget.charge(&mut c.charged, now);
            }
        }
    }

    /// Evict `conn` to free memory: its held rows go out, its state is
    /// dropped, and the flow table keeps a record that reports what was
    /// not analysed when the connection ends.
    pub(super) fn evict(
        &mut self,
        flows: &mut FlowTable,
        conn: ConnId,
        packet: PacketIndex,
        ts: Timestamp,
    ) {
        self.release(conn, None);
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let lost = [
            c.decoder.pending(Direction::ClientToServer),
            c.decoder.pending(Direction::ServerToClient),
        ];
        let ends = (c.client, c.server);
        self.forget(conn);
        if !flows.evict(ends, conn, lost, packet) {
            // Not open in the flow table: report at once.
            let (client, server) = ends;
            for (dir, (offset, len), src, dst) in [
                (Direction::ClientToServer, lost[0], client, server),
                (Direction::ServerToClient, lost[1], server, client),
            ] {
                if len > 0 {
                    self.evicted_row(conn, dir, (src, dst), (offset, len), packet, ts);
                }
            }
        }
    }

    /// The row of bytes of `conn` that were never analysed: evicted.
    pub(super) fn evicted_row(
        &mut self,
        conn: ConnId,
        dir: Direction,
        (src, dst): (SocketAddr, SocketAddr),
        (offset, len): (u64, u64),
        at: PacketIndex,
        ts: Timestamp,
    ) {
        let p = Problem::new(ProblemKind::MemcapEvicted, offset, len, "tcp.evicted").values(
            "analysed",
            format!(
                "{len} bytes not analysed: connection evicted at packet {at}, memory cap reached"
            ),
        );
        let mut rec = Record {
            number: self.next_number,
            conn,
            dir,
            src,
            dst,
            ts,
            packets: vec![at],
            kind: RecordKind::Undecoded(p),
            msg: None,
            problem_packets: vec![at],
            session: None,
            interop: None,
            cephx: None,
            payload: None,
            info_text: std::sync::OnceLock::new(),
        };
        self.next_number += 1;
        rec.decode_payload(&crate::decode::payload::Sender::default());
        if let Some(s) = self.summary.conns.get_mut(&conn) {
            s.count(&rec);
        }
        self.pending.push(rec);
    }
}

impl Inner {
    /// The rows of the requests of `conn` still unanswered when it ends
    /// (`closed` by its peers, or by the end of the capture at `ts`).
    pub(super) fn unanswered_rows(&mut self, conn: ConnId, ts: Timestamp, closed: bool) {
        let grace = self.cfg.interop;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let (client, server, flipped) = (c.client, c.server, c.flipped);
        for (p, waited) in c.interop.unanswered(ts, closed, &grace) {
            let problem = crate::analysis::interop::unanswered_problem(&p, waited, closed);
            // Rows keep their physical endpoints; `dir` is the role.
            let phys = if flipped { p.dir.reverse() } else { p.dir };
            let (src, dst) = match phys {
                Direction::ClientToServer => (client, server),
                Direction::ServerToClient => (server, client),
            };
            let mut rec = Record {
                number: self.next_number,
                conn,
                dir: p.dir,
                src,
                dst,
                ts,
                packets: vec![p.packet],
                kind: RecordKind::Undecoded(problem),
                msg: None,
                problem_packets: vec![p.packet],
                session: None,
                interop: None,
                cephx: None,
                payload: None,
                info_text: std::sync::OnceLock::new(),
            };
            self.next_number += 1;
            rec.decode_payload(&crate::decode::payload::Sender::default());
            if let Some(s) = self.summary.conns.get_mut(&conn) {
                s.count(&rec);
            }
            self.pending.push(rec);
        }
    }
}
