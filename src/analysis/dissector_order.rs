//! Rows judged in the conversation's order rather than the capture's.
//!
//! A capture interleaves the two directions as its packets came to the
//! capturing host, which need not be the order the peers sent and received
//! them: the server's AUTH_DONE can be captured before the client's
//! AUTH_REQUEST it answers. A frame the state machine refuses in a way the
//! other direction may undo ([`Conformance::refuses`](crate::analysis::conformance::Conformance::refuses)) waits, with the
//! frames of its direction behind it, until a frame of the other direction
//! is judged; it is then tried again. It is judged as it stands, and a
//! violation reported on its own row, when
//! - more than [`MAX_WAITING`] rows wait,
//! - a frame of the other direction is refused as well (neither can move),
//! - or the connection ends.
//!
//! Rows are numbered when judged, so a row that waited comes after the
//! frames it waited for.

use super::Inner;
use crate::analysis::conformance::machine::Input;
use crate::analysis::record::Record;
use crate::tcp::ConnId;

/// Rows of a connection waiting for the other direction, at most.
pub const MAX_WAITING: usize = 8;

impl Inner {
    /// Judge `rec` now, or make it wait for the other direction.
    pub(super) fn order(&mut self, conn: ConnId, rec: Record, input: Option<Input>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let waiting_dir = c.waiting.first().map(|(r, _)| r.dir);
        let phys = if c.flipped {
            rec.dir.reverse()
        } else {
            rec.dir
        };
        let peer_busy = c.decoder.pending(phys.reverse()).1 > 0;
        let refused = !peer_busy && c.conformance.refuses(rec.dir, input);
        match waiting_dir {
            // Frames of a direction keep their order behind the first.
            Some(d) if d == rec.dir => {
                c.waiting.push((rec, input));
                if c.waiting.len() > MAX_WAITING {
                    self.flush_waiting(conn);
                }
            }
            // The other direction is refused too: nothing can move.
            Some(_) if refused => {
                self.flush_waiting(conn);
                self.complete(conn, rec, input);
            }
            Some(_) => {
                self.complete(conn, rec, input);
                self.retry_waiting(conn);
            }
            None if refused => c.waiting.push((rec, input)),
            None => self.complete(conn, rec, input),
        }
    }

    /// Judge the waiting rows the state now accepts, in order.
    fn retry_waiting(&mut self, conn: ConnId) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let Some((r, input)) = c.waiting.first() else {
                return;
            };
            if c.conformance.refuses(r.dir, *input) {
                return;
            }
            let (r, input) = c.waiting.remove(0);
            self.complete(conn, r, input);
        }
    }

    /// Judge every waiting row as it stands, in order (the first one
    /// still refused is reported).
    pub(super) fn flush_waiting(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        for (r, input) in std::mem::take(&mut c.waiting) {
            self.complete(conn, r, input);
        }
    }
}
