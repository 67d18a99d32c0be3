//! A connection's end: its last rows (what the decoder held, requests
//! left unanswered) and what its summary keeps once its state is dropped.

use super::{Config, Dissector, Inner};
use crate::analysis::record::Record;
use crate::analysis::summary::{KeyStatus, Summary};
use crate::capture::{PacketIndex, Timestamp};
use crate::tcp::{ConnId, Direction};

impl Inner {
    /// The connection ends: `closed` by its peers, or by the end of the
    /// capture.
    pub(super) fn close(&mut self, conn: ConnId, packet: PacketIndex, ts: Timestamp, closed: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.decoder.finish(&mut self.events);
        self.drain(conn, packet, ts);
        self.v1_finish(conn, packet, ts);
        self.release(conn, None);
        self.flush_waiting(conn);
        self.unanswered_rows(conn, ts, closed);
        self.forget(conn);
    }

    /// Drop the state of `conn`, keeping what its summary needs.
    pub(super) fn forget(&mut self, conn: ConnId) {
        if let Some(mut c) = self.conns.remove(&conn) {
            self.budget.charge(&mut c.charged, 0);
            self.reconnects.keep(conn, c.identity());
            if let Some(s) = self.summary.conns.get_mut(&conn) {
                // A connection that never showed a banner or a frame is
                // not counted as msgr2.
                let banner = [Direction::ClientToServer, Direction::ServerToClient]
                    .iter()
                    .any(|&d| c.decoder.banner(d).is_some());
                if !banner && s.frames == [0, 0] && !s.msgr1 {
                    s.not_msgr2 = true;
                }
                s.rev = c.decoder.rev();
                s.mode = c.decoder.mode(Direction::ServerToClient);
                s.names = c.session.names();
                s.state = Some(c.conformance.final_state(c.reset));
                s.releases = [Direction::ClientToServer, Direction::ServerToClient]
                    .map(|d| c.interop.release(d));
                let names = s.names.iter().flatten().map(String::capacity);
                self.summaries = names.fold(self.summaries, usize::saturating_add);
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let shown = if c.flipped { dir.reverse() } else { dir };
                    if let (Some(sd), Some(k), Some(w)) = (
                        c.decoder.secure_mut(dir),
                        s.keys.get_mut(shown.index()),
                        s.opened_with.get_mut(shown.index()),
                    ) {
                        w.clone_from(&sd.matched().cloned());
                        if let Some(y) = s.no_key_why.get_mut(shown.index()) {
                            *y = sd.why_no_key().map(str::to_string);
                        }
                        *k = match (sd.matched(), sd.no_key()) {
                            (Some(m), _) => {
                                let len = m.origin.len();
                                self.summaries = self.summaries.saturating_add(len);
                                KeyStatus::Opened(m.origin.clone())
                            }
                            (None, true) => KeyStatus::Missing,
                            (None, false) => KeyStatus::NotNeeded,
                        };
                    }
                }
            }
        }
    }

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
            self.problem_row(conn, p.dir, (src, dst), (p.packet, ts), problem);
        }
    }
}

/// [`dissect`] over packets from any source (several captures merged).
pub fn dissect_packets<S: crate::capture::PacketSource>(
    mut reader: S,
    cfg: Config,
    out: &mut dyn FnMut(Record),
) -> Summary {
    let mut d = Dissector::new(cfg);
    let result = loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => d.packet(&pkt, out),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    d.finish(out);
    let mut summary = d.into_summary();
    if let Err(e) = result {
        summary.read_error = Some(e.to_string());
    }
    summary
}
