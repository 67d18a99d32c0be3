//! Two captures of the same traffic compared: `cephshark diff A B`.
//!
//! ```text
//!  A's rows --\                       per connection (4-tuple, n-th use) and direction:
//!              +-- Differ::push --->  rows waiting for the other side, by stream offset
//!  B's rows --/        |                  |  same offset on both sides: compared, dropped
//!                      |                  |  the other side went past it: one side only
//!                      v                  v
//!                    Clock            findings --> Differ::finish --> Report
//! ```
//!
//! A connection is the same in both captures when its 4-tuple is (client
//! and server address and port), counting reuses of a 4-tuple in order;
//! connections left over on both sides are paired by their CLIENT_IDENT
//! and session cookies (`nat`). Rows match when they start at the same stream
//! offset of the same direction: both captures must hold the connection
//! from its SYN (or from the same first byte). Matched rows are compared
//! byte for byte (see `unit` for which bytes); a row one side has and the
//! other has not, once the other side is past its offset, is reported as
//! on one side only, with what the other side had there (bytes not
//! captured, or not decodable).
//!
//! Memory: rows wait only until the other side reaches them (the caller
//! feeds the side with fewer waiting rows, [`Differ::waiting`]); their
//! bytes are kept up to a cap ([`Differ::new`]), past which only a digest
//! is (the difference is still found, not its first byte). Rows of a
//! connection seen in one capture only wait to the end, without bytes past
//! the cap. Findings past [`MAX_FINDINGS`] are counted, not kept.

pub mod clock;
mod nat;
pub mod unit;

use crate::analysis::Record;
use crate::capture::PacketIndex;
use crate::fastmap::Map;
use crate::tcp::{ConnId, Direction};
use clock::{Clock, Delays};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use unit::{Kind, Seen, Unit, Verifies};

/// Findings kept; more are counted.
pub const MAX_FINDINGS: usize = 100_000;
/// Stretches of lost or undecodable bytes kept per connection direction.
pub const MAX_COVERS: usize = 10_000;
/// Default cap on the bytes of rows waiting for the other side.
pub const DEFAULT_HELD_BYTES: usize = 256 << 20;

/// One of the two captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first capture.
    A,
    /// The second capture.
    B,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// `A` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// A connection as both captures name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnKey {
    /// The side that opened it.
    pub client: SocketAddr,
    /// The side that accepted it.
    pub server: SocketAddr,
    /// Earlier connections with the same 4-tuple in the capture.
    pub reuse: u32,
}

/// Where two matched rows first differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstDiff {
    /// Stream offset of the byte (secure mode: of its ciphertext).
    pub stream_offset: u64,
    /// Its place in the compared bytes (from the frame's first byte).
    pub frame_offset: u64,
    /// The most specific field of the frame's tree holding it.
    pub field: Option<&'static str>,
    /// A's byte there (`None`: A's bytes end before).
    pub a: Option<u8>,
    /// B's byte there.
    pub b: Option<u8>,
}

/// Bytes of the other side that did not become a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// First byte.
    pub offset: u64,
    /// How many.
    pub len: u64,
    /// `lost` (not captured) or the problem that kept them undecoded.
    pub what: &'static str,
    /// Packets involved.
    pub packets: Vec<PacketIndex>,
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// A row at this offset in one capture only.
    OnlyIn(Side),
    /// Rows at the same offset whose bytes differ.
    Differs,
    /// The same bytes on both sides, and neither verifies.
    SentWrong,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The connection.
    pub conn: ConnKey,
    /// The direction.
    pub dir: Direction,
    /// What.
    pub kind: FindingKind,
    /// A's row.
    pub a: Option<Seen>,
    /// B's row.
    pub b: Option<Seen>,
    /// Where the bytes first differ (bytes held on both sides).
    pub first: Option<FirstDiff>,
    /// For a row on one side only: what the other side had there.
    pub other: Option<Cover>,
    /// A later TCP copy at B of the differing bytes differed from the one
    /// kept (tcp.overlap_differs): B's receiver may have been given
    /// other bytes by a retransmission.
    pub retransmitted: bool,
}

impl Finding {
    /// The verdict in a few words.
    pub fn verdict(&self) -> String {
        let v = |s: &Option<Seen>| s.as_ref().map_or(Verifies::Unknown, |s| s.verifies);
        match self.kind {
            FindingKind::OnlyIn(side) => {
                let own = v(match side {
                    Side::A => &self.a,
                    Side::B => &self.b,
                });
                self.one_sided(side, own)
            }
            FindingKind::SentWrong => "sent wrong: same bytes in A and B, neither verifies".into(),
            FindingKind::Differs => match (v(&self.a), v(&self.b)) {
                (Verifies::Yes, Verifies::No) => {
                    "corrupted in transit: A verifies, B does not".into()
                }
                (Verifies::No, Verifies::Yes) => {
                    "corrupted in transit: B verifies, A does not".into()
                }
                (Verifies::Yes, Verifies::Yes) => "differs, both verify".into(),
                (Verifies::No, Verifies::No) => "differs, neither verifies (sent wrong)".into(),
                _ => "differs, not verifiable".into(),
            },
        }
    }

    /// A row on one side only; `own`: whether it verifies.
    fn one_sided(&self, side: Side, own: Verifies) -> String {
        let (this, that) = (side.as_str(), side.other().as_str());
        match (&self.other, side) {
            (Some(c), _) if c.what == "lost" => format!("only in {this}: not captured in {that}"),
            // The bytes are there but do not decode: they changed, and
            // the side with the row says whether it was sent right.
            (Some(c), _) => {
                let (verdict, verifies) = match own {
                    Verifies::Yes => ("corrupted in transit", "verifies"),
                    Verifies::No => ("differs", "does not verify"),
                    Verifies::Unknown => ("differs", "cannot be verified"),
                };
                format!(
                    "{verdict}: {this} {verifies}, {that} could not decode it ({})",
                    c.what
                )
            }
            (None, Side::A) => "only in A: lost between the points".into(),
            (None, Side::B) => "only in B: injected between the points".into(),
        }
    }
}

/// Counts and times of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffSummary {
    /// Rows compared (banners, frames, msgr1 items) of A and of B.
    pub units: [u64; 2],
    /// Rows found at the same place in both.
    pub matched: u64,
    /// Of those, with the same bytes.
    pub identical: u64,
    /// Connections seen in both captures.
    pub conns_both: usize,
    /// Connections seen in A only, and in B only (not compared).
    pub conns_only: [Vec<ConnKey>; 2],
    /// Connections under other 4-tuples in A and in B, paired by their
    /// CLIENT_IDENT (counted in `conns_both`), A's name first.
    pub renamed: Vec<(ConnKey, ConnKey)>,
    /// Rows whose bytes were dropped to keep within the cap.
    pub shed: u64,
    /// Stretches of secure frames without keys (`[ENCRYPTED]` rows) in A
    /// and in B: their bytes are not compared.
    pub encrypted: [u64; 2],
    /// Rows of A and of B left unmatched at the end that came after the
    /// other capture's last row (its clock offset allowed for): the other
    /// capture had ended, so they are not findings.
    pub past_end: [u64; 2],
    /// Findings not kept (past [`MAX_FINDINGS`]).
    pub findings_dropped: u64,
    /// The clock offset and one-way delays.
    pub delays: Delays,
}

/// The comparison's result.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Differences, by connection, direction and offset.
    pub findings: Vec<Finding>,
    /// Counts and times.
    pub summary: DiffSummary,
}

impl Report {
    /// Whether the captures agree (no finding).
    pub fn same(&self) -> bool {
        self.findings.is_empty() && self.summary.findings_dropped == 0
    }
}

/// A direction of a connection: each side's rows waiting for the other's,
/// how far each side got, and its stretches of lost or undecoded bytes.
#[derive(Debug, Default)]
struct Lane {
    waiting: [BTreeMap<u64, Unit>; 2],
    covers: [Vec<(Cover, bool)>; 2],
}

/// One capture's names for its connections.
#[derive(Debug, Default)]
struct Names {
    keys: Map<ConnId, ConnKey>,
    reuses: Map<(SocketAddr, SocketAddr), u32>,
}

/// Compares two captures' rows as they come.
#[derive(Debug)]
pub struct Differ {
    cap: usize,
    held: usize,
    names: [Names; 2],
    cookies: [Map<ConnKey, nat::Cookies>; 2],
    lanes: BTreeMap<(ConnKey, usize), Lane>,
    waiting: [usize; 2],
    /// Time of each side's latest row.
    last: [Option<crate::capture::Timestamp>; 2],
    clock: Clock,
    findings: Vec<Finding>,
    summary: DiffSummary,
}

impl Default for Differ {
    fn default() -> Self {
        Differ::new(DEFAULT_HELD_BYTES)
    }
}

/// `A`'s or `B`'s element of a pair.
fn pick<T>(pair: &mut [T; 2], side: Side) -> &mut T {
    let [a, b] = pair;
    match side {
        Side::A => a,
        Side::B => b,
    }
}

fn dir_of(i: usize) -> Direction {
    match i {
        0 => Direction::ClientToServer,
        _ => Direction::ServerToClient,
    }
}

impl Differ {
    /// A comparison keeping at most `cap` bytes of waiting rows.
    pub fn new(cap: usize) -> Self {
        Differ {
            cap,
            held: 0,
            names: Default::default(),
            cookies: Default::default(),
            lanes: BTreeMap::new(),
            waiting: [0, 0],
            last: [None, None],
            clock: Clock::default(),
            findings: Vec::new(),
            summary: DiffSummary::default(),
        }
    }

    /// Rows of `side` waiting for the other side: feed the side with
    /// fewer, so that neither runs far ahead.
    pub fn waiting(&self, side: Side) -> usize {
        self.waiting.get(side.index()).copied().unwrap_or(0)
    }

    fn key(&mut self, side: Side, r: &Record) -> ConnKey {
        let names = pick(&mut self.names, side);
        if let Some(k) = names.keys.get(&r.conn) {
            return k.clone();
        }
        let (client, server) = match r.dir {
            Direction::ClientToServer => (r.src, r.dst),
            Direction::ServerToClient => (r.dst, r.src),
        };
        let n = names.reuses.entry((client, server)).or_insert(0);
        let key = ConnKey {
            client,
            server,
            reuse: *n,
        };
        *n = n.saturating_add(1);
        names.keys.insert(r.conn, key.clone());
        key
    }

    fn note(&mut self, f: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(f);
        } else {
            self.summary.findings_dropped += 1;
        }
    }

    /// Take in one row of `side`'s capture (rows of a direction in stream
    /// order, as the dissector gives them).
    pub fn push(&mut self, side: Side, r: Record) {
        let key = self.key(side, &r);
        let dir = r.dir.index();
        let s = side.index();
        let o = side.other().index();
        let lane_key = (key.clone(), dir);
        self.note_cookies(side, &key, &r);
        let last = pick(&mut self.last, side);
        *last = Some(last.map_or(r.ts, |t| t.max(r.ts)));
        let start = match unit::classify(r) {
            Kind::Skip => return,
            Kind::Cover {
                offset,
                len,
                what,
                packets,
                overlap,
            } => {
                if what == crate::msgr2::ProblemKind::NoKey.name() {
                    *pick(&mut self.summary.encrypted, side) += 1;
                }
                let lane = self.lanes.entry(lane_key.clone()).or_default();
                if let Some(c) = lane.covers.get_mut(s).filter(|c| c.len() < MAX_COVERS) {
                    let cover = Cover {
                        offset,
                        len,
                        what,
                        packets,
                    };
                    c.push((cover, overlap));
                }
                // An overlap names bytes already delivered: no progress.
                if overlap {
                    return;
                }
                offset
            }
            Kind::Unit(mut u) => {
                *pick(&mut self.summary.units, side) += 1;
                let offset = u.seen.offset;
                let lane = self.lanes.entry(lane_key.clone()).or_default();
                let theirs = lane.waiting.get_mut(o).and_then(|w| w.remove(&offset));
                match theirs {
                    Some(t) => {
                        self.held = self.held.saturating_sub(t.held());
                        let w = pick(&mut self.waiting, side.other());
                        *w = w.saturating_sub(1);
                        let (a, b) = if side == Side::A { (u, t) } else { (t, u) };
                        self.compare(&key, dir, a, b);
                    }
                    None => {
                        if self.held.saturating_add(u.held()) > self.cap {
                            u.shed();
                            self.summary.shed += 1;
                        }
                        self.held = self.held.saturating_add(u.held());
                        if let Some(w) = lane.waiting.get_mut(s) {
                            if let Some(old) = w.insert(offset, u) {
                                self.held = self.held.saturating_sub(old.held());
                            } else {
                                *pick(&mut self.waiting, side) += 1;
                            }
                        }
                    }
                }
                offset
            }
        };
        // This side is past every offset before `start`: the other side's
        // rows there will find no match.
        let gone = match self
            .lanes
            .get_mut(&lane_key)
            .and_then(|l| l.waiting.get_mut(o))
        {
            Some(w) => {
                let rest = w.split_off(&start);
                std::mem::replace(w, rest)
            }
            None => BTreeMap::new(),
        };
        for (_, u) in gone {
            self.one_sided(&lane_key, side.other(), u);
        }
    }

    fn one_sided(&mut self, (key, dir): &(ConnKey, usize), side: Side, u: Unit) {
        self.held = self.held.saturating_sub(u.held());
        let w = pick(&mut self.waiting, side);
        *w = w.saturating_sub(1);
        let (lo, hi) = (u.seen.offset, u.seen.offset.saturating_add(u.seen.len));
        let other = self
            .lanes
            .get(&(key.clone(), *dir))
            .and_then(|l| l.covers.get(side.other().index()))
            .and_then(|c| {
                c.iter()
                    .filter(|(_, overlap)| !overlap)
                    .find(|(c, _)| c.offset < hi && c.offset.saturating_add(c.len) > lo)
            })
            .map(|(c, _)| c.clone());
        let (a, b) = match side {
            Side::A => (Some(u.seen), None),
            Side::B => (None, Some(u.seen)),
        };
        self.note(Finding {
            conn: key.clone(),
            dir: dir_of(*dir),
            kind: FindingKind::OnlyIn(side),
            a,
            b,
            first: None,
            other,
            retransmitted: false,
        });
    }

    fn compare(&mut self, key: &ConnKey, dir: usize, a: Unit, b: Unit) {
        self.summary.matched += 1;
        self.clock.add(
            key,
            dir_of(dir),
            (a.seen.ts, b.seen.ts),
            a.handshake && b.handshake,
            a.message && b.message,
        );
        let same_len = a.seen.len == b.seen.len;
        let first = match (&a.bytes, &b.bytes) {
            (Some(x), Some(y)) => unit::first_difference(x, y).map(|i| FirstDiff {
                stream_offset: a.stream_offset(i),
                frame_offset: i as u64,
                field: a.field_at(i).or_else(|| b.field_at(i)),
                a: x.get(i).copied(),
                b: y.get(i).copied(),
            }),
            _ => None,
        };
        let differs = match (&a.bytes, &b.bytes) {
            (Some(_), Some(_)) => first.is_some(),
            _ => a.digest != b.digest || !same_len,
        };
        let kind = if differs {
            FindingKind::Differs
        } else if a.seen.verifies == Verifies::No && b.seen.verifies == Verifies::No {
            FindingKind::SentWrong
        } else {
            self.summary.identical += 1;
            return;
        };
        self.note(Finding {
            conn: key.clone(),
            dir: dir_of(dir),
            kind,
            a: Some(a.seen),
            b: Some(b.seen),
            first,
            other: None,
            retransmitted: false,
        });
    }

    /// The rows still waiting are on one side only; the report.
    pub fn finish(mut self) -> Report {
        let both: Vec<_> = {
            let [a, b] = &self.names;
            let a_keys: std::collections::BTreeSet<&ConnKey> = a.keys.values().collect();
            let b_keys: std::collections::BTreeSet<&ConnKey> = b.keys.values().collect();
            self.summary.conns_only = [
                a_keys.difference(&b_keys).map(|k| (*k).clone()).collect(),
                b_keys.difference(&a_keys).map(|k| (*k).clone()).collect(),
            ];
            a_keys.intersection(&b_keys).map(|k| (*k).clone()).collect()
        };
        self.summary.renamed = self.pair_renamed();
        self.summary.conns_both = both.len() + self.summary.renamed.len();
        let offset = self.clock.delays().offset.map_or(0, |o| o.offset_ns);
        let lanes = std::mem::take(&mut self.lanes);
        for (lane_key, mut lane) in lanes {
            // Connections in one capture only are listed, not compared.
            let compared = both.binary_search(&lane_key.0).is_ok();
            let waiting = std::mem::take(&mut lane.waiting);
            self.lanes.insert(lane_key.clone(), lane);
            for (side, rows) in [Side::A, Side::B].into_iter().zip(waiting) {
                for (_, u) in rows {
                    if !compared {
                        continue;
                    }
                    // In the other capture's time: after its last row?
                    let shift = if side == Side::A {
                        offset
                    } else {
                        offset.saturating_neg()
                    };
                    let other_end = self.last.get(side.other().index()).copied().flatten();
                    let after = other_end.is_some_and(|end| {
                        clock::between(end, u.seen.ts).saturating_add(shift) > 0
                    });
                    if after {
                        *pick(&mut self.summary.past_end, side) += 1;
                        let w = pick(&mut self.waiting, side);
                        *w = w.saturating_sub(1);
                    } else {
                        self.one_sided(&lane_key, side, u);
                    }
                }
            }
        }
        // A differing byte that a later copy at B overlapped differently.
        for f in &mut self.findings {
            let Some(at) = f.first.map(|d| d.stream_offset) else {
                continue;
            };
            f.retransmitted = self
                .lanes
                .get(&(f.conn.clone(), f.dir.index()))
                .and_then(|l| l.covers.get(1))
                .is_some_and(|c| {
                    c.iter().any(|(c, overlap)| {
                        *overlap && c.offset <= at && at < c.offset.saturating_add(c.len.max(1))
                    })
                });
        }
        self.findings.sort_by(|x, y| {
            let off = |f: &Finding| f.a.as_ref().or(f.b.as_ref()).map_or(0, |s| s.offset);
            (&x.conn, x.dir.index(), off(x)).cmp(&(&y.conn, y.dir.index(), off(y)))
        });
        self.summary.delays = self.clock.delays();
        Report {
            findings: self.findings,
            summary: self.summary,
        }
    }
}
