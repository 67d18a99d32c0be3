//! osd_map (CEPH_MSG_OSD_MAP, 41): OSD maps from a monitor or OSD, MOSDMap
//! (messages/MOSDMap.h encode_payload, HEAD_VERSION 4):
//!
//! ```text
//! uuid fsid | map<le32 epoch, bufferlist> incremental_maps
//! | map<le32 epoch, bufferlist> maps | le32 oldest_map | le32 newest_map (v2+)
//! | map<le64 pool, interval_set<snapid>> gap_removed_snaps (v4+)
//! ```
//!
//! The maps themselves stay bytes. Ceph prints `osd_map(first..last src
//! has oldest..newest)`, first and last over both kinds of map.

use super::out::{span_to, Out};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{array, count, i64_, le32, le64, lenbytes};
use crate::decode::grammar::{offset, In, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.osd_map", "OSD map", None, "MOSDMap: full and incremental OSD maps.";
    FSID = "ceph.osd_map.fsid", "Cluster fsid", Str, "Cluster fsid.";
    INC_COUNT = "ceph.osd_map.incremental_count", "Incremental maps", Uint, "Number of incremental maps.";
    INC = "ceph.osd_map.incremental", "Incremental map", Uint, "One incremental map (value: its epoch).";
    INC_EPOCH = "ceph.osd_map.incremental.epoch", "Epoch", Uint, "Epoch the incremental leads to.";
    INC_MAP = "ceph.osd_map.incremental.map", "Encoded map", Bytes, "The encoded OSDMap::Incremental.";
    FULL_COUNT = "ceph.osd_map.full_count", "Full maps", Uint, "Number of full maps.";
    FULL = "ceph.osd_map.full", "Full map", Uint, "One full map (value: its epoch).";
    FULL_EPOCH = "ceph.osd_map.full.epoch", "Epoch", Uint, "Epoch of the map.";
    FULL_MAP = "ceph.osd_map.full.map", "Encoded map", Bytes, "The encoded OSDMap.";
    FIRST = "ceph.osd_map.first", "First epoch", Uint, "Lowest epoch carried.";
    LAST = "ceph.osd_map.last", "Last epoch", Uint, "Highest epoch carried.";
    OLDEST = "ceph.osd_map.oldest", "Oldest map", Uint, "Oldest map epoch the sender has.";
    NEWEST = "ceph.osd_map.newest", "Newest map", Uint, "Newest map epoch the sender has.";
    GAP = "ceph.osd_map.gap_removed_snaps", "Gap removed snaps", None, "Snaps removed in epochs the receiver skips, per pool.";
    GAP_COUNT = "ceph.osd_map.gap_removed_snaps.count", "Pools", Uint, "Number of pools.";
    GAP_POOL = "ceph.osd_map.gap_removed_snaps.pool", "Pool", Int, "Pool id.";
    GAP_INTERVALS = "ceph.osd_map.gap_removed_snaps.intervals", "Intervals", Uint, "Number of snap intervals.";
    GAP_START = "ceph.osd_map.gap_removed_snaps.start", "Start", Uint, "First snap of an interval.";
    GAP_LEN = "ceph.osd_map.gap_removed_snaps.len", "Length", Uint, "Snaps in the interval.";
}

/// One `map<epoch_t, bufferlist>` entry: the epoch and the encoded map
/// (its span covers the length and the bytes).
#[derive(Debug, Clone, Default)]
pub struct MapEntry {
    /// Epoch.
    pub epoch: Sp<u32>,
    /// The encoded map.
    pub map: Option<Sp<()>>,
}

/// A `map<epoch_t, bufferlist>` of maps.
#[derive(Debug, Clone, Default)]
pub struct Maps {
    /// Count.
    pub count: Sp<u32>,
    /// Entries read.
    pub entries: Vec<MapEntry>,
    /// Fully read.
    pub done: bool,
}

/// Field defs of one kind of map.
struct MapDefs {
    count: &'static FieldDef,
    item: &'static FieldDef,
    epoch: &'static FieldDef,
    map: &'static FieldDef,
}

static INCS: MapDefs = MapDefs {
    count: &INC_COUNT,
    item: &INC,
    epoch: &INC_EPOCH,
    map: &INC_MAP,
};

static FULLS: MapDefs = MapDefs {
    count: &FULL_COUNT,
    item: &FULL,
    epoch: &FULL_EPOCH,
    map: &FULL_MAP,
};

impl Maps {
    fn parse<'a>(&mut self, d: &MapDefs, i: In<'a>) -> PResult<'a, ()> {
        // An entry: le32 epoch, le32 length (and its bytes).
        let (mut i, n) = count(d.count, 8)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let mut e = MapEntry::default();
            let r = (|| {
                let (r, epoch) = le32(d.epoch)(i)?;
                e.epoch = epoch;
                let at = offset(&r);
                let (r, _) = lenbytes(d.map, d.map)(r)?;
                e.map = Some(span_to(at, &r));
                Ok((r, ()))
            })();
            self.entries.push(e);
            i = r?.0;
        }
        self.done = true;
        Ok((i, ()))
    }

    fn epochs(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().map(|e| e.epoch.v)
    }

    fn view(&self, o: &mut Out<'_>, d: &MapDefs) {
        o.uint(d.count, &self.count);
        for e in &self.entries {
            let value = if e.map.is_some() {
                Value::Uint(u64::from(e.epoch.v))
            } else {
                Value::None
            };
            o.group(d.item, value, None, |o| {
                o.uint(d.epoch, &e.epoch);
                o.raw(d.map, &e.map, 4);
            });
        }
    }
}

/// One pool's `interval_set<snapid_t>`.
#[derive(Debug, Clone, Default)]
pub struct Gap {
    /// Pool.
    pub pool: Sp<i64>,
    /// Number of intervals.
    pub count: Sp<u32>,
    /// (start, length) of each.
    pub intervals: Vec<(Sp<u64>, Sp<u64>)>,
}

/// A decoded MOSDMap.
#[derive(Debug, Default)]
pub struct OsdMap {
    /// Cluster fsid.
    pub fsid: Sp<[u8; 16]>,
    /// Incremental maps.
    pub incremental: Maps,
    /// Full maps.
    pub full: Maps,
    /// Oldest map the sender has (v2+).
    pub oldest: Sp<u32>,
    /// Newest (v2+).
    pub newest: Sp<u32>,
    /// Number of pools with gap_removed_snaps (v4+).
    pub gap_count: Sp<u32>,
    /// gap_removed_snaps.
    pub gaps: Vec<Gap>,
}

impl OsdMap {
    /// MOSDMap::get_first / get_last: over both kinds of map, 0 if none.
    pub fn first_last(&self) -> (u32, u32) {
        let all = || self.incremental.epochs().chain(self.full.epochs());
        (all().min().unwrap_or(0), all().max().unwrap_or(0))
    }

    fn gaps<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        // A pool: le64 id, le32 count.
        let (mut i, n) = count(&GAP_COUNT, 12)(i)?;
        self.gap_count = n.clone();
        for _ in 0..n.v {
            let mut g = Gap::default();
            let r = (|| {
                let (r, pool) = i64_(&GAP_POOL)(i)?;
                g.pool = pool;
                let (mut r, n) = count(&GAP_INTERVALS, 16)(r)?;
                g.count = n.clone();
                for _ in 0..n.v {
                    let (x, s) = le64(&GAP_START)(r)?;
                    let (x, l) = le64(&GAP_LEN)(x)?;
                    g.intervals.push((s, l));
                    r = x;
                }
                Ok((r, ()))
            })();
            self.gaps.push(g);
            i = r?.0;
        }
        Ok((i, ()))
    }
}

impl Body for OsdMap {
    const NODE: &'static FieldDef = &NODE;

    /// messages/MOSDMap.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, fsid) = array::<16>(&FSID)(i)?;
        self.fsid = fsid;
        let (i, ()) = self.incremental.parse(&INCS, i)?;
        let (mut i, ()) = self.full.parse(&FULLS, i)?;
        if p.version >= 2 {
            let (r, o) = le32(&OLDEST)(i)?;
            self.oldest = o;
            let (r, n) = le32(&NEWEST)(r)?;
            self.newest = n.clone();
            i = r;
        }
        if p.version >= 4 {
            let (r, ()) = self.gaps(i)?;
            i = r;
        }
        Ok((i, ()))
    }

    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uuid(&FSID, &self.fsid);
        self.incremental.view(o, &INCS);
        self.full.view(o, &FULLS);
        if self.full.done {
            let (first, last) = self.first_last();
            o.gen(&FIRST, Value::Uint(u64::from(first)));
            o.gen(&LAST, Value::Uint(u64::from(last)));
        }
        o.uint(&OLDEST, &self.oldest);
        o.uint(&NEWEST, &self.newest);
        o.group(&GAP, Value::None, None, |o| {
            o.uint(&GAP_COUNT, &self.gap_count);
            for g in &self.gaps {
                o.int(&GAP_POOL, &g.pool);
                o.uint(&GAP_INTERVALS, &g.count);
                for (s, l) in &g.intervals {
                    o.uint(&GAP_START, s);
                    o.uint(&GAP_LEN, l);
                }
            }
        });
    }

    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let (first, last) = self.first_last();
        let mut s = format!("osd_map({first}..{last}");
        if self.oldest.v != 0 || self.newest.v != 0 {
            s.push_str(&format!(" src has {}..{}", self.oldest.v, self.newest.v));
        }
        if self.gap_count.v > 0 {
            s.push_str(" +gap_removed_snaps");
        }
        s.push(')');
        s
    }
}
