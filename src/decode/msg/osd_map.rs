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

use super::denc::{count, u32_of, uuid};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
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

/// A decoded MOSDMap.
#[derive(Debug, Default)]
pub struct OsdMap {
    /// Incremental map epochs.
    pub incremental: Vec<u32>,
    /// Full map epochs.
    pub full: Vec<u32>,
    /// Oldest and newest epochs the sender has.
    pub oldest: u32,
    /// Newest.
    pub newest: u32,
    /// Whether gap_removed_snaps is non-empty.
    pub gap: bool,
}

fn maps(
    t: &mut Tree<'_>,
    cnt: &'static FieldDef,
    item: &'static FieldDef,
    epoch: &'static FieldDef,
    map: &'static FieldDef,
) -> Res<Vec<u32>> {
    let n = count(t, cnt)?;
    let mut v = Vec::new();
    for _ in 0..n {
        let mut e = 0;
        let node = t.group(item, |t| {
            e = u32_of(t.uint(epoch, 4)?);
            t.blob(map)?;
            Ok(())
        })?;
        node.value = Value::Uint(u64::from(e));
        v.push(e);
    }
    Ok(v)
}

impl OsdMap {
    /// MOSDMap::get_first / get_last: over both kinds of map, 0 if none.
    pub fn first_last(&self) -> (u32, u32) {
        let all = self.incremental.iter().chain(&self.full);
        (
            all.clone().min().copied().unwrap_or(0),
            all.max().copied().unwrap_or(0),
        )
    }
}

impl Body for OsdMap {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        uuid(t, &FSID)?;
        self.incremental = maps(t, &INC_COUNT, &INC, &INC_EPOCH, &INC_MAP)?;
        self.full = maps(t, &FULL_COUNT, &FULL, &FULL_EPOCH, &FULL_MAP)?;
        let (first, last) = self.first_last();
        t.generated(&FIRST, Value::Uint(u64::from(first)));
        t.generated(&LAST, Value::Uint(u64::from(last)));
        if p.version >= 2 {
            self.oldest = u32_of(t.uint(&OLDEST, 4)?);
            self.newest = u32_of(t.uint(&NEWEST, 4)?);
        }
        if p.version >= 4 {
            let mut pools = 0;
            t.group(&GAP, |t| {
                pools = count(t, &GAP_COUNT)?;
                for _ in 0..pools {
                    t.int(&GAP_POOL, 8)?;
                    let n = count(t, &GAP_INTERVALS)?;
                    for _ in 0..n {
                        t.uint(&GAP_START, 8)?;
                        t.uint(&GAP_LEN, 8)?;
                    }
                }
                Ok(())
            })?;
            self.gap = pools > 0;
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let (first, last) = self.first_last();
        let mut s = format!("osd_map({first}..{last}");
        if self.oldest != 0 || self.newest != 0 {
            s.push_str(&format!(" src has {}..{}", self.oldest, self.newest));
        }
        if self.gap {
            s.push_str(" +gap_removed_snaps");
        }
        s.push(')');
        s
    }
}
