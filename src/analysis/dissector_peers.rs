//! Who is who: which side of a connection sends a message type, and the
//! entity types the capture shows at an address (monitors, from monmaps).

use crate::analysis::conformance::Conformance;
use crate::analysis::record::Record;
use crate::decode::addr::SockAddr;
use crate::decode::auth::ENTITY_MON;
use crate::decode::msg::mon_map::MonMapMsg;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Who sends a message of this type: `Some(true)` the server side (maps,
/// replies, acks), `Some(false)` the client side (requests, subscriptions,
/// daemons' reports to the monitor); from the message classes in
/// src/messages/*.h.
pub(super) fn sent_by_server(msg_type: u16) -> Option<bool> {
    match msg_type {
        4 | 14 | 16 | 18 | 20 | 26 | 41 | 43 | 48 | 51 | 53 | 62 | 0x704 | 0x70a => Some(true),
        5 | 13 | 15 | 17 | 19 | 24 | 42 | 49 | 50 | 52 | 71 | 73 | 79 | 0x700 | 0x702 | 0x709 => {
            Some(false)
        }
        _ => None,
    }
}

/// CEPH_MSG_MON_MAP (include/ceph_fs.h).
const MSG_MON_MAP: u16 = 4;

/// Monitor addresses kept, at most: a monmap lists a handful.
pub const MAX_MONITORS: usize = 64;

/// Monitors' addresses from the monmaps decoded so far: socket address to
/// the monitor's name.
#[derive(Debug, Default)]
pub struct Monitors(HashMap<SocketAddr, String>);

impl Monitors {
    /// Learn the monitors of a MMonMap row.
    pub fn learn(&mut self, r: &Record) {
        if r.msg.map(|h| h.msg_type) != Some(MSG_MON_MAP) {
            return;
        }
        let Some(map) = r.payload.as_ref().and_then(|p| p.front::<MonMapMsg>()) else {
            return;
        };
        for (name, addrs) in map.mons() {
            for a in &addrs.addrs {
                let sa = match a.sockaddr {
                    SockAddr::V4 { ip, port } => SocketAddr::new(IpAddr::V4(ip), port),
                    SockAddr::V6 { ip, port, .. } => SocketAddr::new(IpAddr::V6(ip), port),
                    _ => continue,
                };
                if self.0.len() < MAX_MONITORS || self.0.contains_key(&sa) {
                    self.0.insert(sa, format!("mon.{name}"));
                }
            }
        }
    }

    /// A connection to `server` opens: when a monmap showed a monitor
    /// there, the client connecting to it asks for a monitor (MonClient
    /// connects to the monmap's addresses as CEPH_ENTITY_TYPE_MON).
    pub fn expect(&self, server: SocketAddr, c: &mut Conformance) {
        if let Some(name) = self.0.get(&server) {
            c.expect_server(ENTITY_MON, format!("{server} is {name} in a monmap"));
        }
    }
}
