use super::*;
use std::collections::HashMap;

/// Connections with their last activity, as the dissector keeps them.
struct Live {
    budget: Budget,
    last: HashMap<ConnId, u64>,
    charged: HashMap<ConnId, usize>,
}

impl Live {
    fn new(cap: usize) -> Live {
        Live {
            budget: Budget::new(cap),
            last: HashMap::new(),
            charged: HashMap::new(),
        }
    }

    fn active(&mut self, conn: u32, packet: u64, bytes: usize) {
        let id = ConnId(conn);
        let last = self.last.entry(id).or_insert(0);
        self.budget.touch(last, id, packet);
        let charged = self.charged.entry(id).or_insert(0);
        self.budget.charge(charged, bytes);
    }

    fn idlest(&mut self) -> Option<u32> {
        let last = &self.last;
        let id = self
            .budget
            .idlest(|c, p| last.get(&c).is_some_and(|&l| l == p))?;
        self.last.remove(&id);
        let mut charged = self.charged.remove(&id).unwrap_or(0);
        self.budget.charge(&mut charged, 0);
        Some(id.0)
    }
}

#[test]
fn charges_add_up_and_replace() {
    let mut b = Budget::new(1000);
    let (mut a, mut c) = (0usize, 0usize);
    b.charge(&mut a, 300);
    b.charge(&mut c, 500);
    assert_eq!(b.used, 800);
    b.charge(&mut a, 100);
    assert_eq!((b.used, a), (600, 100));
    b.charge(&mut c, 0);
    assert_eq!((b.used, c), (100, 0));
    assert!(!b.over(900));
    assert!(b.over(901));
}

#[test]
fn evicts_least_recently_active_first() {
    let mut l = Live::new(1 << 20);
    l.active(1, 1, 10);
    l.active(2, 2, 10);
    l.active(3, 3, 10);
    // Connection 1 is active again: 2 is now the idlest.
    l.active(1, 4, 20);
    l.active(2, 4, 20);
    l.active(3, 5, 20);
    // Same packet twice: one entry.
    l.active(3, 5, 30);
    assert_eq!(l.budget.lru.len(), 6);
    assert_eq!(l.budget.used, 70);
    assert_eq!(l.idlest(), Some(1));
    assert_eq!(l.idlest(), Some(2));
    assert_eq!(l.budget.used, 30);
    assert_eq!(l.idlest(), Some(3));
    assert_eq!(l.idlest(), None);
    assert_eq!(l.budget.used, 0);
}

#[test]
fn queue_is_compacted_to_live_connections() {
    let mut l = Live::new(1 << 20);
    for p in 1..=5000u64 {
        l.active(7, p, 1);
        l.active(8, p, 1);
    }
    assert_eq!(l.budget.lru.len(), 10_000);
    let last = &l.last;
    l.budget
        .compact(2, |c, p| last.get(&c).is_some_and(|&x| x == p));
    assert_eq!(
        l.budget.lru.iter().copied().collect::<Vec<_>>(),
        vec![(5000, ConnId(7)), (5000, ConnId(8))]
    );
    // Below the threshold nothing is dropped.
    l.active(7, 5001, 1);
    let last = &l.last;
    l.budget
        .compact(2, |c, p| last.get(&c).is_some_and(|&x| x == p));
    assert_eq!(l.budget.lru.len(), 3);
    assert_eq!(l.idlest(), Some(8));
    assert_eq!(l.idlest(), Some(7));
}

#[test]
fn sizes_parse_with_binary_suffixes() {
    assert_eq!(parse_size("512M"), Some(512 << 20));
    assert_eq!(parse_size("64K"), Some(65_536));
    assert_eq!(parse_size("64KiB"), Some(65_536));
    assert_eq!(parse_size("1g"), Some(1 << 30));
    assert_eq!(parse_size("12345"), Some(12_345));
    assert_eq!(parse_size("2 MB"), Some(2 << 20));
    assert_eq!(parse_size(""), None);
    assert_eq!(parse_size("M"), None);
    assert_eq!(parse_size("10X"), None);
    assert_eq!(parse_size("-1"), None);
    assert_eq!(parse_size("99999999999999999999T"), None);
}
