//! The two captures' clock offset and the one-way delays of messages.
//!
//! For a row seen at both points, `raw = t_B - t_A`. Along the path from A
//! to B, `raw = delay + offset`; from B to A, `raw = offset - delay`, where
//! `offset` is B's clock minus A's. So the two directions' raws lie on
//! either side of the offset, and each connection's direction with the
//! larger raws is the one going from A to B.
//!
//! The offset is estimated from the handshakes (banners and HELLO frames,
//! msgr1 banners), as NTP estimates from one exchange: the smallest raw of
//! a handshake row going A to B (`offset + fastest delay`) and the largest
//! going B to A (`offset - fastest delay`) average to the offset when the
//! fastest handshake row took as long each way. With no handshake matched
//! both ways (captures started mid-connection), every matched row stands
//! in for the handshake. One-way delays are then `raw - offset` (A to B)
//! and `offset - raw` (B to A).

use super::ConnKey;
use crate::capture::Timestamp;
use crate::fastmap::Map;
use crate::tcp::Direction;

/// The estimated offset and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockOffset {
    /// B's clock minus A's, nanoseconds.
    pub offset_ns: i64,
    /// Smallest `t_B - t_A` of a row going A to B.
    pub forward_min_ns: i64,
    /// Largest `t_B - t_A` of a row going B to A.
    pub backward_max_ns: i64,
    /// Whether handshake rows gave it (else every matched row did).
    pub from_handshakes: bool,
}

/// Minimum, median and maximum of one direction's one-way delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayStats {
    /// Messages measured.
    pub count: usize,
    /// Nanoseconds.
    pub min_ns: i64,
    /// Nanoseconds (the lower middle value of an even count).
    pub median_ns: i64,
    /// Nanoseconds.
    pub max_ns: i64,
}

impl DelayStats {
    fn of(mut v: Vec<i64>) -> Option<DelayStats> {
        v.sort_unstable();
        let count = v.len();
        Some(DelayStats {
            count,
            min_ns: *v.first()?,
            median_ns: *v.get(count.checked_sub(1)? / 2)?,
            max_ns: *v.last()?,
        })
    }
}

/// Per direction of a connection: the extremes of handshake and of all
/// raws, and the messages' raws.
#[derive(Debug, Default, Clone)]
struct Lane {
    hs: Option<(i64, i64)>,
    all: Option<(i64, i64)>,
    messages: Vec<i64>,
}

fn widen(r: &mut Option<(i64, i64)>, v: i64) {
    *r = Some(match *r {
        Some((lo, hi)) => (lo.min(v), hi.max(v)),
        None => (v, v),
    });
}

/// Nanoseconds from `a` to `b` (saturating).
pub fn between(a: Timestamp, b: Timestamp) -> i64 {
    let ns = |t: Timestamp| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
    let d = ns(b) - ns(a);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// The matched rows' times.
#[derive(Debug, Default)]
pub struct Clock {
    conns: Map<ConnKey, [Lane; 2]>,
}

/// What the clock found: the offset, and the delays from A to B and from
/// B to A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delays {
    /// The offset, when rows were matched both ways.
    pub offset: Option<ClockOffset>,
    /// One-way delays of messages from A to B, and from B to A (raw
    /// `t_B - t_A` when no offset could be estimated).
    pub paths: [Option<DelayStats>; 2],
}

impl Clock {
    /// A row of `conn` in `dir` seen at A at `a` and at B at `b`.
    pub fn add(
        &mut self,
        conn: &ConnKey,
        dir: Direction,
        (a, b): (Timestamp, Timestamp),
        handshake: bool,
        message: bool,
    ) {
        let raw = between(a, b);
        let lanes = self.conns.entry(conn.clone()).or_default();
        let Some(lane) = lanes.get_mut(dir.index()) else {
            return;
        };
        widen(&mut lane.all, raw);
        if handshake {
            widen(&mut lane.hs, raw);
        }
        if message {
            lane.messages.push(raw);
        }
    }

    /// Which of a connection's directions goes from A to B (index), from
    /// its handshake rows if matched both ways, else from all its rows.
    fn forward(lanes: &[Lane; 2], hs: bool) -> Option<usize> {
        let pick = |l: &Lane| if hs { l.hs } else { l.all };
        let [c, s] = lanes;
        let (c, s) = (pick(c)?, pick(s)?);
        // The direction whose fastest row shows the larger raw.
        Some(if s.0 > c.0 { 1 } else { 0 })
    }

    fn estimate(&self, hs: bool) -> Option<ClockOffset> {
        let mut fwd: Option<i64> = None;
        let mut back: Option<i64> = None;
        for lanes in self.conns.values() {
            let Some(f) = Self::forward(lanes, hs) else {
                continue;
            };
            let pick = |l: &Lane| if hs { l.hs } else { l.all };
            let (Some(fl), Some(bl)) = (lanes.get(f), lanes.get(1 - f)) else {
                continue;
            };
            if let (Some((lo, _)), Some((_, hi))) = (pick(fl), pick(bl)) {
                fwd = Some(fwd.map_or(lo, |v| v.min(lo)));
                back = Some(back.map_or(hi, |v| v.max(hi)));
            }
        }
        let (f, b) = (fwd?, back?);
        let offset = i64::try_from((i128::from(f) + i128::from(b)) / 2).ok()?;
        Some(ClockOffset {
            offset_ns: offset,
            forward_min_ns: f,
            backward_max_ns: b,
            from_handshakes: hs,
        })
    }

    /// The offset and the delays.
    pub fn delays(&self) -> Delays {
        let offset = self.estimate(true).or_else(|| self.estimate(false));
        let mut paths: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
        for lanes in self.conns.values() {
            let f = Self::forward(lanes, true)
                .or_else(|| Self::forward(lanes, false))
                .unwrap_or(0);
            for (i, lane) in lanes.iter().enumerate() {
                let path = usize::from(i != f);
                let Some(out) = paths.get_mut(path) else {
                    continue;
                };
                out.extend(lane.messages.iter().map(|&raw| match offset {
                    Some(o) if path == 0 => raw.saturating_sub(o.offset_ns),
                    Some(o) => o.offset_ns.saturating_sub(raw),
                    None => raw,
                }));
            }
        }
        let [fwd, back] = paths;
        Delays {
            offset,
            paths: [DelayStats::of(fwd), DelayStats::of(back)],
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn ts(ns: i64) -> Timestamp {
        Timestamp {
            secs: ns.div_euclid(1_000_000_000),
            nanos: u32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0),
        }
    }

    fn conn(port: u16) -> ConnKey {
        ConnKey {
            client: ([10, 0, 0, 1], port).into(),
            server: ([10, 0, 0, 2], 6789).into(),
            reuse: 0,
        }
    }

    #[test]
    fn the_offset_is_the_midpoint_of_the_fastest_handshake_rows() {
        let mut c = Clock::default();
        // B's clock 5 ms ahead; 1 ms A->B for the client's rows (A at the
        // client), 2 ms B->A for the server's.
        let (off, up, down) = (5_000_000, 1_000_000, 2_000_000);
        let k = conn(40000);
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        c.add(&k, c2s, (ts(0), ts(up + off)), true, false);
        c.add(
            &k,
            s2c,
            (ts(10_000_000 + down), ts(10_000_000 + off)),
            true,
            false,
        );
        c.add(
            &k,
            c2s,
            (ts(20_000_000), ts(20_000_000 + up + off + 400)),
            false,
            true,
        );
        c.add(
            &k,
            s2c,
            (ts(30_000_000 + down + 600), ts(30_000_000 + off)),
            false,
            true,
        );
        let d = c.delays();
        let o = d.offset.unwrap_or_else(|| panic!("an offset"));
        // (6 ms + 3 ms) / 2: 4.5 ms, half a millisecond off from the true
        // 5 ms because the two ways took 1 and 2 ms.
        assert_eq!(
            (o.forward_min_ns, o.backward_max_ns),
            (6_000_000, 3_000_000)
        );
        assert_eq!(o.offset_ns, 4_500_000);
        assert!(o.from_handshakes);
        let [fwd, back] = d.paths;
        assert_eq!(fwd.map(|s| s.median_ns), Some(1_500_400));
        assert_eq!(back.map(|s| s.median_ns), Some(1_500_600));
    }

    #[test]
    fn without_handshakes_every_row_stands_in_and_one_way_gives_none() {
        let mut c = Clock::default();
        let k = conn(40001);
        c.add(&k, Direction::ClientToServer, (ts(0), ts(700)), false, true);
        assert_eq!(c.delays().offset, None);
        assert_eq!(c.delays().paths[0].map(|s| s.max_ns), Some(700));
        c.add(
            &k,
            Direction::ServerToClient,
            (ts(1_000), ts(900)),
            false,
            true,
        );
        let o = c.delays().offset.unwrap_or_else(|| panic!("an offset"));
        assert_eq!((o.offset_ns, o.from_handshakes), (300, false));
    }

    #[test]
    fn times_far_apart_saturate() {
        let far = Timestamp {
            secs: i64::MAX,
            nanos: 0,
        };
        assert_eq!(between(Timestamp::default(), far), i64::MAX);
        assert_eq!(between(far, Timestamp::default()), i64::MIN);
    }
}
