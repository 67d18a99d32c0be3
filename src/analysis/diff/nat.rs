//! Connections renamed between the two points (NAT, a proxy keeping the
//! session): paired by their session cookies.
//!
//! A msgr2 client names each connection in its CLIENT_IDENT: its
//! addresses (with the process's random nonce), its global id, the
//! messenger's global_seq (one more for every connection it opens) and
//! its session cookie; the server answers with its own cookie in
//! SERVER_IDENT (ProtocolV2.cc; msgr2.rst "Session handshake"). The
//! client's cookie alone does not do: lossy connections (flags bit 0)
//! send 0, as 17 of the 32 CLIENT_IDENTs of captures/none-crc.pcap do. A connection seen in one capture only is
//! paired with one seen in the other capture only when their CLIENT_IDENTs
//! agree on nonce, global id, global_seq and cookie and, where both
//! captures hold it, their server cookies agree. Its rows waited to the
//! end under their own 4-tuple; they are then matched by direction and
//! offset as any other's. Connections without a CLIENT_IDENT (msgr1,
//! secure ones without keys, handshakes not captured) stay unpaired.

use super::{Differ, Side};
use crate::analysis::Record;
use crate::decode::control::Control;

/// The cookies a connection's ident frames carried.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cookies {
    /// CLIENT_IDENT's first address's nonce, gid, global_seq and cookie.
    client: Option<(u32, i64, u64, u64)>,
    server: Option<u64>,
}

impl Cookies {
    /// Whether `self` and `other` name the same session.
    fn same(&self, other: &Cookies) -> bool {
        let server = match (self.server, other.server) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        };
        self.client.is_some() && self.client == other.client && server
    }
}

impl Differ {
    /// Note the cookie a row carries, if it is an ident frame.
    pub(super) fn note_cookies(&mut self, side: Side, key: &super::ConnKey, r: &Record) {
        let (client, server) = match r.control() {
            Some(Control::ClientIdent(c)) => {
                let nonce = c.addrs.addrs.first().map_or(0, |a| a.nonce.v);
                (Some((nonce, c.gid.v, c.global_seq.v, c.cookie.v)), None)
            }
            Some(Control::ServerIdent(s)) => (None, Some(s.cookie.v)),
            _ => return,
        };
        let map = super::pick(&mut self.cookies, side);
        let c = map.entry(key.clone()).or_default();
        c.client = client.or(c.client);
        c.server = server.or(c.server);
    }

    /// Pair the connections seen on one side only by their cookies and
    /// compare their rows; the pairs, A's name first.
    pub(super) fn pair_renamed(&mut self) -> Vec<(super::ConnKey, super::ConnKey)> {
        let [only_a, only_b] = &self.summary.conns_only;
        let [ca, cb] = &self.cookies;
        let mut pairs = Vec::new();
        for ka in only_a {
            let Some(a) = ca.get(ka) else { continue };
            let found = only_b.iter().find(|kb| {
                cb.get(*kb).is_some_and(|b| a.same(b))
                    && !pairs.iter().any(|(_, p): &(_, super::ConnKey)| p == *kb)
            });
            if let Some(kb) = found {
                pairs.push((ka.clone(), kb.clone()));
            }
        }
        for (ka, kb) in &pairs {
            for dir in 0..2 {
                let theirs = self.lanes.get_mut(&(kb.clone(), dir)).map(|l| {
                    let rows = std::mem::take(&mut l.waiting[1]);
                    let covers = std::mem::take(&mut l.covers[1]);
                    (rows, covers)
                });
                let (b_rows, b_covers) = theirs.unwrap_or_default();
                let lane = self.lanes.entry((ka.clone(), dir)).or_default();
                lane.covers[1] = b_covers;
                let mut a_rows = std::mem::take(&mut lane.waiting[0]);
                let lane_key = (ka.clone(), dir);
                for (offset, ub) in b_rows {
                    match a_rows.remove(&offset) {
                        Some(ua) => {
                            self.held = self
                                .held
                                .saturating_sub(ua.held().saturating_add(ub.held()));
                            for side in [Side::A, Side::B] {
                                let w = super::pick(&mut self.waiting, side);
                                *w = w.saturating_sub(1);
                            }
                            self.compare(ka, dir, ua, ub);
                        }
                        None => self.one_sided(&lane_key, Side::B, ub),
                    }
                }
                for (_, ua) in a_rows {
                    self.one_sided(&lane_key, Side::A, ua);
                }
            }
        }
        let [only_a, only_b] = &mut self.summary.conns_only;
        only_a.retain(|k| !pairs.iter().any(|(a, _)| a == k));
        only_b.retain(|k| !pairs.iter().any(|(_, b)| b == k));
        pairs
    }
}
