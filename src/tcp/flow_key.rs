//! The flow table's keys and entries, kept small: a flood of connections
//! that never carry a byte costs little more than their entries.
//!
//! A pair of IPv4 endpoints, the common case, is packed into two integers
//! (16 bytes instead of 64); any other pair keeps its two addresses. The
//! two kinds live in two maps, so an IPv4 entry does not pay for the room
//! an IPv6 one needs.

use super::Slot;
use crate::fastmap::Map as HashMap;
use crate::tcp::hash_table_bytes;
use crate::tcp::ConnId;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// The endpoints of a connection in a fixed order, so both directions find
/// the same entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// Two IPv4 endpoints, each packed as address << 16 | port.
    V4(u64, u64),
    /// Any other pair.
    Other(SocketAddr, SocketAddr),
}

/// The key of the connection between `a` and `b`, in either order.
pub(super) fn key_of(a: SocketAddr, b: SocketAddr) -> Key {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    match (a, b) {
        (SocketAddr::V4(x), SocketAddr::V4(y)) => Key::V4(pack(x), pack(y)),
        _ => Key::Other(a, b),
    }
}

fn pack(a: SocketAddrV4) -> u64 {
    (u64::from(u32::from(*a.ip())) << 16) | u64::from(a.port())
}

fn unpack(v: u64) -> SocketAddr {
    let ip = u32::try_from(v >> 16).unwrap_or(0);
    let port = u16::try_from(v & 0xffff).unwrap_or(0);
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

impl Key {
    /// The two endpoints, lower first.
    pub(super) fn ends(&self) -> (SocketAddr, SocketAddr) {
        match *self {
            Key::V4(a, b) => (unpack(a), unpack(b)),
            Key::Other(a, b) => (a, b),
        }
    }

    /// Client and server: the lower endpoint is the client if `client_low`.
    pub(super) fn roles(&self, client_low: bool) -> (SocketAddr, SocketAddr) {
        let (a, b) = self.ends();
        if client_low {
            (a, b)
        } else {
            (b, a)
        }
    }
}

/// The slots of the flow table, by key.
#[derive(Debug, Default)]
pub(super) struct Slots {
    v4: HashMap<(u64, u64), Slot>,
    other: HashMap<(SocketAddr, SocketAddr), Slot>,
}

impl Slots {
    pub(super) fn get(&self, key: &Key) -> Option<&Slot> {
        match *key {
            Key::V4(a, b) => self.v4.get(&(a, b)),
            Key::Other(a, b) => self.other.get(&(a, b)),
        }
    }

    pub(super) fn get_mut(&mut self, key: &Key) -> Option<&mut Slot> {
        match *key {
            Key::V4(a, b) => self.v4.get_mut(&(a, b)),
            Key::Other(a, b) => self.other.get_mut(&(a, b)),
        }
    }

    pub(super) fn insert(&mut self, key: Key, slot: Slot) {
        match key {
            Key::V4(a, b) => self.v4.insert((a, b), slot),
            Key::Other(a, b) => self.other.insert((a, b), slot),
        };
    }

    pub(super) fn remove(&mut self, key: &Key) -> Option<Slot> {
        match *key {
            Key::V4(a, b) => self.v4.remove(&(a, b)),
            Key::Other(a, b) => self.other.remove(&(a, b)),
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Slot> {
        self.v4.values().chain(self.other.values())
    }

    /// The keys of the slots `pick` gives an index, in the order of their
    /// indexes, gathered compactly (one IPv4 key in 24 bytes).
    pub(super) fn ordered(
        &self,
        pick: impl Fn(&Slot) -> Option<ConnId>,
    ) -> impl Iterator<Item = Key> {
        fn gather<K: Copy>(
            map: &HashMap<K, Slot>,
            pick: &dyn Fn(&Slot) -> Option<ConnId>,
        ) -> Vec<(ConnId, K)> {
            let n = map.values().filter(|s| pick(s).is_some()).count();
            let mut out = Vec::with_capacity(n);
            out.extend(map.iter().filter_map(|(k, s)| pick(s).map(|id| (id, *k))));
            out.sort_unstable_by_key(|&(id, _)| id);
            out
        }
        let mut v4 = gather(&self.v4, &pick).into_iter().peekable();
        let mut other = gather(&self.other, &pick).into_iter().peekable();
        std::iter::from_fn(move || match (v4.peek(), other.peek()) {
            (Some(&(i, _)), Some(&(j, _))) if j < i => {
                other.next().map(|(_, (a, b))| Key::Other(a, b))
            }
            (Some(_), _) => v4.next().map(|(_, (a, b))| Key::V4(a, b)),
            (None, _) => other.next().map(|(_, (a, b))| Key::Other(a, b)),
        })
    }

    /// Bytes of the maps' tables, without what the slots point to.
    pub(super) fn table_memory(&self) -> usize {
        let v4 = std::mem::size_of::<((u64, u64), Slot)>();
        let other = std::mem::size_of::<((SocketAddr, SocketAddr), Slot)>();
        hash_table_bytes(self.v4.capacity(), v4)
            .saturating_add(hash_table_bytes(self.other.capacity(), other))
    }
}
