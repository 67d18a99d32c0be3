//! The memory budget of a dissection, as Suricata's stream memcap: the
//! flow table's state and buffers plus every connection's decoder buffers,
//! packet maps and held rows are counted as they change, and once the sum
//! passes the cap the idlest connections (least recently active) are
//! evicted until it fits again. An evicted connection is reported as a
//! `memcap_evicted` row per direction with the bytes that were not
//! analysed, so `verify` never passes on data it did not check.
//!
//! The order of activity is a lazy queue of `(packet, connection)`: a
//! connection is pushed again when it is active in a later packet, and an
//! entry whose packet is no longer the connection's last is stale and
//! skipped when it reaches the front. Pushes come in packet order, so the
//! front is the idlest connection; the queue is compacted when stale
//! entries outnumber live connections, which keeps every step amortised
//! O(1).
//!
//! Between two packets the total stays within the cap; within a packet it
//! can pass it by what one packet adds (its bytes, and one buffer doubling
//! its capacity), which is the fixed margin.

use crate::tcp::ConnId;
use std::collections::VecDeque;

/// Default cap on the memory of a dissection: 1 GiB.
pub const DEFAULT_MEMCAP: usize = 1 << 30;

/// Memory held outside the connections' state (their summaries, the table
/// of open connections) that is not charged to the budget: part of the
/// fixed margin. Past it, that memory is charged too, and evicts.
pub const OUTSIDE_ALLOWANCE: usize = 16 << 20;

/// Stale queue entries allowed on top of one per live connection before
/// the queue is compacted.
const SLACK: usize = 1024;

/// Counted memory and the order of activity of the connections.
#[derive(Debug)]
pub struct Budget {
    cap: usize,
    /// Sum of what the connections are charged.
    used: usize,
    lru: VecDeque<(u64, ConnId)>,
}

impl Budget {
    /// A budget of `cap` bytes.
    pub fn new(cap: usize) -> Budget {
        Budget {
            cap,
            used: 0,
            lru: VecDeque::new(),
        }
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Bytes charged to connections, plus the queue itself.
    pub fn used(&self) -> usize {
        let entry = std::mem::size_of::<(u64, ConnId)>();
        self.used
            .saturating_add(self.lru.capacity().saturating_mul(entry))
    }

    /// Whether `other` more bytes (held elsewhere) bring the total past the cap.
    pub fn over(&self, other: usize) -> bool {
        self.used().saturating_add(other) > self.cap
    }

    /// `conn`, last active at packet `*last`, is active at `packet`.
    pub fn touch(&mut self, last: &mut u64, conn: ConnId, packet: u64) {
        if *last != packet {
            *last = packet;
            self.lru.push_back((packet, conn));
        }
    }

    /// A connection charged `*charged` now holds `now` bytes.
    pub fn charge(&mut self, charged: &mut usize, now: usize) {
        self.used = self.used.saturating_sub(*charged).saturating_add(now);
        *charged = now;
    }

    /// The idlest connection: `current(conn, packet)` says whether `packet`
    /// is still the last activity of a live `conn`.
    pub fn idlest(&mut self, current: impl Fn(ConnId, u64) -> bool) -> Option<ConnId> {
        while let Some((packet, conn)) = self.lru.pop_front() {
            if current(conn, packet) {
                return Some(conn);
            }
        }
        None
    }

    /// Drop stale entries once they outnumber the `live` connections.
    pub fn compact(&mut self, live: usize, current: impl Fn(ConnId, u64) -> bool) {
        if self.lru.len() > live.saturating_mul(2).saturating_add(SLACK) {
            self.lru.retain(|&(packet, conn)| current(conn, packet));
            self.lru
                .shrink_to(live.saturating_mul(2).saturating_add(SLACK));
        }
    }
}

/// Parse a size: a number of bytes with an optional suffix `K`, `M`, `G`
/// or `T` (powers of 1024; `KiB`, `MB` and the like read the same).
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: usize = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1usize.checked_shl(shift)?)
}

/// A `--memcap` value: a size of more than 0, or why not.
pub fn parse_cap(text: &str) -> Result<usize, String> {
    match parse_size(text) {
        Some(0) => Err("the memory cap must be more than 0".into()),
        Some(n) => Ok(n),
        None => Err(format!(
            "`{text}` is not a size (a number of bytes, optionally with K, M, G or T)"
        )),
    }
}

#[cfg(test)]
#[path = "memcap_tests.rs"]
mod tests;
