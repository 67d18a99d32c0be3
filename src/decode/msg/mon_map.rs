//! mon_map (CEPH_MSG_MON_MAP, 4): a monitor map, MMonMap
//! (messages/MMonMap.h: one bufferlist holding MonMap::encode). MMonMap
//! has no print of its own, so Ceph logs it as `mon_map magic: 0`.
//!
//! ```text
//! le32 len | MonMap: ENCODE_START(9, 6) uuid fsid | le32 epoch | utime_t last_changed
//!   | utime_t created | mon_feature_t persistent | mon_feature_t optional
//!   | map<string, mon_info_t> mon_info | vector<string> ranks (v6+)
//!   | u8 min_mon_release (v7+) | set<le32> removed_ranks | u8 strategy
//!   | set<string> disallowed_leaders (v8+) | bool stretch_mode_enabled
//!   | string tiebreaker_mon | set<string> stretch_marked_down_mons (v9+)
//! mon_feature_t: ENCODE_START(1, 1) le64 features
//! mon_info_t:    ENCODE_START(5, 1) string name | entity_addrvec_t public_addrs
//!   | le16 priority (v2+) | le16 weight (v4+) | map<string,string> crush_loc (v5+)
//! ```
//!
//! Sources: mon/MonMap.h and mon/MonMap.cc (MonMap::encode, mon_info_t::encode).
//! Versions before 6 (pre-Nautilus) keep their body as bytes.

use super::denc::{count, sized, string_map, strings, u32_of, utime, uuid, versioned};
use super::{rest, Body, MsgContext, Parts};
use crate::decode::addr::addrvec_tree;
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.mon_map", "Monitor map message", None, "MMonMap: an encoded MonMap.";
    MONMAP = "ceph.monmap", "Monitor map", None, "The encoded MonMap the message carries.";
    MONMAP_LEN = "ceph.monmap.len", "Length", Uint, "Bytes of the encoded map.";
    MAP = "ceph.monmap.map", "MonMap", Str, "The MonMap structure.";
    FSID = "ceph.monmap.fsid", "Cluster fsid", Str, "Cluster fsid.";
    EPOCH = "ceph.monmap.epoch", "Epoch", Uint, "Map epoch.";
    LAST_CHANGED = "ceph.monmap.last_changed", "Last changed", Time, "When the map last changed.";
    CREATED = "ceph.monmap.created", "Created", Time, "When the cluster was created.";
    PERSISTENT = "ceph.monmap.persistent_features", "Persistent features", Hex, "mon_feature_t every monitor has committed to.";
    OPTIONAL = "ceph.monmap.optional_features", "Optional features", Hex, "mon_feature_t of optional features.";
    FEATURES = "ceph.monmap.features", "Features", Hex, "The feature bits.";
    MON_COUNT = "ceph.monmap.mon_count", "Monitors", Uint, "Number of monitors.";
    MON = "ceph.monmap.mon", "Monitor", Str, "One monitor: name and addresses.";
    MON_KEY = "ceph.monmap.mon.key", "Key", Str, "Map key (the monitor's name).";
    MON_INFO = "ceph.monmap.mon.info", "Info", None, "mon_info_t.";
    MON_NAME = "ceph.monmap.mon.name", "Name", Str, "Monitor name.";
    MON_PRIORITY = "ceph.monmap.mon.priority", "Priority", Uint, "Priority for clients choosing a monitor.";
    MON_WEIGHT = "ceph.monmap.mon.weight", "Weight", Uint, "Weight for clients choosing a monitor.";
    CRUSH_LOC = "ceph.monmap.mon.crush_loc", "CRUSH location", None, "The monitor's CRUSH location.";
    CRUSH_LOC_COUNT = "ceph.monmap.mon.crush_loc.count", "Count", Uint, "Number of location entries.";
    CRUSH_LOC_ENTRY = "ceph.monmap.mon.crush_loc.entry", "Entry", Str, "type=name.";
    CRUSH_LOC_KEY = "ceph.monmap.mon.crush_loc.key", "Type", Str, "CRUSH bucket type.";
    CRUSH_LOC_VAL = "ceph.monmap.mon.crush_loc.value", "Name", Str, "CRUSH bucket name.";
    RANKS = "ceph.monmap.ranks", "Ranks", None, "Monitor names in rank order.";
    RANKS_COUNT = "ceph.monmap.ranks.count", "Count", Uint, "Number of ranks.";
    RANK = "ceph.monmap.rank", "Rank", Str, "Name of the monitor at this rank.";
    MIN_MON_RELEASE = "ceph.monmap.min_mon_release", "Min mon release", Uint, "Oldest release among monitors (16: pacific).";
    REMOVED = "ceph.monmap.removed_ranks", "Removed ranks", None, "Ranks removed.";
    REMOVED_COUNT = "ceph.monmap.removed_ranks.count", "Count", Uint, "Number of removed ranks.";
    REMOVED_RANK = "ceph.monmap.removed_rank", "Removed rank", Int, "A removed rank.";
    STRATEGY = "ceph.monmap.strategy", "Election strategy", Uint, "1 classic, 2 disallow, 3 connectivity.";
    DISALLOWED = "ceph.monmap.disallowed_leaders", "Disallowed leaders", None, "Monitors that may not lead.";
    DISALLOWED_COUNT = "ceph.monmap.disallowed_leaders.count", "Count", Uint, "Number of monitors.";
    DISALLOWED_NAME = "ceph.monmap.disallowed_leader", "Disallowed leader", Str, "A monitor that may not lead.";
    STRETCH = "ceph.monmap.stretch_mode_enabled", "Stretch mode", Bool, "Whether stretch mode is on.";
    TIEBREAKER = "ceph.monmap.tiebreaker_mon", "Tiebreaker", Str, "Stretch mode tiebreaker monitor.";
    MARKED_DOWN = "ceph.monmap.stretch_marked_down_mons", "Marked down", None, "Monitors stretch mode marked down.";
    MARKED_DOWN_COUNT = "ceph.monmap.stretch_marked_down_mons.count", "Count", Uint, "Number of monitors.";
    MARKED_DOWN_NAME = "ceph.monmap.stretch_marked_down_mon", "Marked down monitor", Str, "A monitor stretch mode marked down.";
    LEGACY = "ceph.monmap.legacy", "Legacy body", Bytes, "Body of a pre-version-6 MonMap, not broken down.";
}

/// A decoded MMonMap.
#[derive(Debug, Default)]
pub struct MonMapMsg {
    /// Epoch.
    pub epoch: u32,
    /// Monitors: name and addresses as text.
    pub mons: Vec<(String, String)>,
}

fn feature(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<()> {
    let (f, node) = versioned(t, def, 1, |t, _| t.uint(&FEATURES, 8))?;
    node.value = Value::Uint(f);
    Ok(())
}

fn mon(t: &mut Tree<'_>) -> Res<(String, String)> {
    let mut m = (String::new(), String::new());
    let node = t.group(&MON, |t| {
        t.string(&MON_KEY)?;
        versioned(t, &MON_INFO, 5, |t, v| {
            m.0 = t.string(&MON_NAME)?;
            m.1 = addrvec_tree(t)?.to_string();
            if v >= 2 {
                t.uint(&MON_PRIORITY, 2)?;
            }
            if v >= 4 {
                t.uint(&MON_WEIGHT, 2)?;
            }
            if v >= 5 {
                string_map(
                    t,
                    &CRUSH_LOC,
                    &CRUSH_LOC_COUNT,
                    &CRUSH_LOC_ENTRY,
                    &CRUSH_LOC_KEY,
                    &CRUSH_LOC_VAL,
                )?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    node.value = Value::Str(format!("{} {}", m.0, m.1));
    Ok(m)
}

impl MonMapMsg {
    fn map(&mut self, t: &mut Tree<'_>, v: u64) -> Res<()> {
        uuid(t, &FSID)?;
        self.epoch = u32_of(t.uint(&EPOCH, 4)?);
        if v < 6 {
            return rest(t, &LEGACY);
        }
        utime(t, &LAST_CHANGED)?;
        utime(t, &CREATED)?;
        feature(t, &PERSISTENT)?;
        feature(t, &OPTIONAL)?;
        let n = count(t, &MON_COUNT)?;
        for _ in 0..n {
            self.mons.push(mon(t)?);
        }
        strings(t, &RANKS, &RANKS_COUNT, &RANK)?;
        if v >= 7 {
            t.uint(&MIN_MON_RELEASE, 1)?;
        }
        if v >= 8 {
            t.group(&REMOVED, |t| {
                let n = count(t, &REMOVED_COUNT)?;
                for _ in 0..n {
                    t.int(&REMOVED_RANK, 4)?;
                }
                Ok(())
            })?;
            t.uint(&STRATEGY, 1)?;
            strings(t, &DISALLOWED, &DISALLOWED_COUNT, &DISALLOWED_NAME)?;
        }
        if v >= 9 {
            t.bool(&STRETCH)?;
            t.string(&TIEBREAKER)?;
            strings(t, &MARKED_DOWN, &MARKED_DOWN_COUNT, &MARKED_DOWN_NAME)?;
        }
        Ok(())
    }
}

impl Body for MonMapMsg {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        sized(t, &MONMAP, &MONMAP_LEN, |t| {
            let ((), node) = versioned(t, &MAP, 9, |t, v| self.map(t, v))?;
            node.value = Value::Str(format!("e{}: {} mons", self.epoch, self.mons.len()));
            Ok(())
        })?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        "mon_map magic: 0".into()
    }
}
