//! The dissector's side of the memory budget: what a connection's state
//! holds, and its eviction with the row that reports it.

use super::{ConnState, Inner};
use crate::analysis::conformance::machine::Input;
use crate::analysis::memcap::OUTSIDE_ALLOWANCE;
use crate::analysis::record::{Record, RecordKind};
use crate::analysis::summary::ConnSummary;
use crate::capture::{PacketIndex, Timestamp};
use crate::msgr2::{Problem, ProblemKind};
use crate::tcp::{hash_table_bytes, ConnId, Direction, FlowTable, StreamMap};
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
            .saturating_add(self.v1.memory())
            .saturating_add(maps)
            .saturating_add(
                self.held
                    .capacity()
                    .saturating_mul(std::mem::size_of::<Record>()),
            )
            .saturating_add(
                self.waiting
                    .capacity()
                    .saturating_mul(std::mem::size_of::<(Record, Option<Input>)>()),
            )
    }
}

/// What the summary of a connection costs, at least: its entry in the
/// summaries' B-tree, whose nodes are on average about half full when
/// connections come in order.
pub(super) const SUMMARY_BYTES: usize = 2 * std::mem::size_of::<(ConnId, ConnSummary)>();

impl super::Dissector {
    /// The caller holds `bytes` per connection on the dissection's behalf
    /// (statistics of its rows): they are charged to the budget with the
    /// summaries, from the next packet on.
    pub fn charge_caller(&mut self, bytes: usize) {
        self.inner.caller = bytes;
    }
}

impl Inner {
    /// Bytes held outside the connections' state that are charged to the
    /// budget: the summaries of all connections seen, the table of the
    /// open ones and what the caller holds per connection, past
    /// [`OUTSIDE_ALLOWANCE`].
    pub(super) fn outside(&self) -> usize {
        let entry = std::mem::size_of::<(ConnId, Box<ConnState>)>();
        hash_table_bytes(self.conns.capacity(), entry)
            .saturating_add(self.summaries)
            .saturating_add(self.storages.memory())
            .saturating_add(self.caller)
            .saturating_sub(OUTSIDE_ALLOWANCE)
    }

    /// Charge the connections touched by the last packet what they hold now.
    pub(super) fn recharge(&mut self) {
        // Drained, not taken: the buffer is kept for the next packet.
        for id in self.touched.drain(..) {
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
        self.flush_waiting(conn);
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
        self.problem_row(conn, dir, (src, dst), (at, ts), p);
    }

    /// A row of `conn` that is a problem alone (bytes evicted, a request
    /// unanswered), carried by packet `at`: numbered, counted in the
    /// connection's summary and queued.
    pub(super) fn problem_row(
        &mut self,
        conn: ConnId,
        dir: Direction,
        (src, dst): (SocketAddr, SocketAddr),
        (at, ts): (PacketIndex, Timestamp),
        p: Problem,
    ) {
        let mut rec = Record {
            number: self.next_number,
            conn,
            dir,
            src,
            dst,
            ts,
            origin: self.summary.first_ts.unwrap_or(ts),
            packets: vec![at],
            kind: RecordKind::Undecoded(p),
            msg: None,
            problem_packets: vec![at],
            session: None,
            interop: None,
            cephx: None,
            payload: None,
            info_text: std::sync::OnceLock::new(),
            origins: self.cfg.origins.clone(),
        };
        self.next_number += 1;
        rec.decode_payload(&crate::decode::payload::Sender::default());
        if let Some(s) = self.summary.conns.get_mut(&conn) {
            s.count(&rec);
        }
        self.pending.push(rec);
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::analysis::summary::KeyStatus;
    use crate::analysis::{dissector::Dissector, Config};
    use crate::capture::CaptureReader;

    #[test]
    fn summaries_and_what_the_caller_holds_are_charged_past_the_allowance() {
        let mut d = Dissector::new(Config::default());
        assert_eq!(d.inner.outside(), 0);
        d.inner.summaries = OUTSIDE_ALLOWANCE + 1000;
        assert_eq!(d.inner.outside(), 1000);
        d.charge_caller(24);
        assert_eq!(d.inner.outside(), 1024);
    }

    #[test]
    fn each_summary_is_counted_with_its_strings() {
        for name in ["cephx-crc.pcap", "cephx-secure.pcap"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(name);
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
            let mut reader = CaptureReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
            let mut d = Dissector::new(Config::default());
            while let Ok(Some(pkt)) = reader.next_packet() {
                d.packet(&pkt, &mut |_| {});
            }
            d.finish(&mut |_| {});
            let conns = &d.inner.summary.conns;
            let strings: usize = conns
                .values()
                .map(|c| {
                    let names: usize = c.names.iter().flatten().map(String::capacity).sum();
                    let keys: usize = c
                        .keys
                        .iter()
                        .map(|k| match k {
                            KeyStatus::Opened(o) => o.len(),
                            _ => 0,
                        })
                        .sum();
                    let signing = c.v1_signing.as_ref().map_or(0, |(o, _)| o.len());
                    names + keys + signing
                })
                .sum();
            // Entity names in the clear in crc mode; none readable without
            // a key in secure mode.
            assert_eq!(strings > 0, name == "cephx-crc.pcap", "{name}");
            assert_eq!(
                d.inner.summaries,
                conns.len() * SUMMARY_BYTES + strings,
                "{name}"
            );
        }
    }
}
