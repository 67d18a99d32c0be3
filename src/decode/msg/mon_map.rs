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

use super::denc::text_if;
use super::out::{span_to, ListDefs, MapDefs, Out, Start, StrMap, Strings, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::addr::{addrvec_nodes, AddrVec};
use crate::decode::grammar::prim::{
    array, bool_, count, i32_, le16, le32, le64, length, string, u8_, utime,
};
use crate::decode::grammar::{note, offset, In, Note, NoteKind, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};
use nom::Input;

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

static CRUSH_DEFS: MapDefs = MapDefs {
    group: &CRUSH_LOC,
    count: &CRUSH_LOC_COUNT,
    entry: &CRUSH_LOC_ENTRY,
    key: &CRUSH_LOC_KEY,
    val: &CRUSH_LOC_VAL,
};
static RANK_DEFS: ListDefs = ListDefs {
    group: &RANKS,
    count: &RANKS_COUNT,
    item: &RANK,
};
static DISALLOWED_DEFS: ListDefs = ListDefs {
    group: &DISALLOWED,
    count: &DISALLOWED_COUNT,
    item: &DISALLOWED_NAME,
};
static MARKED_DOWN_DEFS: ListDefs = ListDefs {
    group: &MARKED_DOWN,
    count: &MARKED_DOWN_COUNT,
    item: &MARKED_DOWN_NAME,
};

/// mon_feature_t (mon/mon_types.h: DECODE_START(1) le64 features).
#[derive(Debug, Clone, Default)]
struct Feature {
    h: Vh,
    features: Sp<u64>,
}

impl Feature {
    fn parse<'a>(&mut self, def: &'static FieldDef, i: In<'a>) -> PResult<'a, ()> {
        let (rest, b) = self.h.start(Start::Decode(1), i)?;
        let (b, f) = le64(&FEATURES)(b)?;
        self.features = f;
        self.h.finish(def, &b);
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>, def: &'static FieldDef) {
        let value = if self.features.len > 0 {
            Value::Uint(self.features.v)
        } else {
            Value::None
        };
        o.group(def, value, None, |o| {
            o.vh_head(&self.h);
            o.uint(&FEATURES, &self.features);
            o.vh_tail(&self.h);
        });
    }
}

/// One monitor: map key, then mon_info_t (mon/MonMap.cc mon_info_t::decode:
/// DECODE_START(5)).
#[derive(Debug, Clone, Default)]
struct Mon {
    key: Sp<String>,
    h: Vh,
    name: Sp<String>,
    addrs: AddrVec,
    priority: Sp<u16>,
    weight: Sp<u16>,
    crush_loc: StrMap,
    done: bool,
}

impl Mon {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, k) = string(&MON_KEY)(i)?;
        self.key = k;
        let (rest, b) = self.h.start(Start::Decode(5), i)?;
        let v = self.h.v.v;
        let (b, n) = string(&MON_NAME)(b)?;
        self.name = n.clone();
        let (mut b, ()) = self.addrs.parse(b)?;
        if v >= 2 {
            let (x, p) = le16(&MON_PRIORITY)(b)?;
            self.priority = p;
            b = x;
        }
        if v >= 4 {
            let (x, w) = le16(&MON_WEIGHT)(b)?;
            self.weight = w;
            b = x;
        }
        if v >= 5 {
            let (x, ()) = self.crush_loc.parse(&CRUSH_DEFS, b)?;
            b = x;
        }
        self.h.finish(&MON_INFO, &b);
        self.done = true;
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.done, || format!("{} {}", self.name.v, self.addrs));
        o.group(&MON, value, None, |o| {
            o.str(&MON_KEY, &self.key);
            o.group(&MON_INFO, Value::None, None, |o| {
                o.vh_head(&self.h);
                o.str(&MON_NAME, &self.name);
                addrvec_nodes(&mut o.n, &self.addrs);
                o.uint(&MON_PRIORITY, &self.priority);
                o.uint(&MON_WEIGHT, &self.weight);
                if self.h.v.v >= 5 {
                    self.crush_loc.view(o, &CRUSH_DEFS);
                }
                o.vh_tail(&self.h);
            });
        });
    }
}

/// The MonMap (mon/MonMap.cc MonMap::decode: DECODE_START_LEGACY_COMPAT_LEN_16(9, 3, 3)).
#[derive(Debug, Clone, Default)]
struct MonMap {
    h: Vh,
    fsid: Sp<[u8; 16]>,
    epoch: Sp<u32>,
    legacy: Option<Sp<()>>,
    last_changed: Sp<(u32, u32)>,
    created: Sp<(u32, u32)>,
    persistent: Feature,
    optional: Feature,
    mon_count: Sp<u32>,
    mons: Vec<Mon>,
    ranks: Strings,
    min_mon_release: Sp<u8>,
    removed_count: Sp<u32>,
    removed: Vec<Sp<i32>>,
    strategy: Sp<u8>,
    disallowed: Strings,
    stretch: Sp<bool>,
    tiebreaker: Sp<String>,
    marked_down: Strings,
    done: bool,
}

impl MonMap {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (rest, b) = self.h.start(Start::Decode(9), i)?;
        let v = self.h.v.v;
        let (b, f) = array::<16>(&FSID)(b)?;
        self.fsid = f;
        let (b, e) = le32(&EPOCH)(b)?;
        self.epoch = e;
        if v < 6 {
            let at = offset(&b);
            let (b, _) = b.take_split(b.input_len());
            self.legacy = Some(span_to(at, &b));
            self.done = true;
            return Ok((rest, ()));
        }
        let (b, t) = utime(&LAST_CHANGED)(b)?;
        self.last_changed = t;
        let (b, t) = utime(&CREATED)(b)?;
        self.created = t;
        let (b, ()) = self.persistent.parse(&PERSISTENT, b)?;
        let (b, ()) = self.optional.parse(&OPTIONAL, b)?;
        // A monitor: its key's length and mon_info_t's header at least.
        let (mut b, n) = count(&MON_COUNT, 10)(b)?;
        self.mon_count = n.clone();
        for _ in 0..n.v {
            let mut m = Mon::default();
            let r = m.parse(b);
            self.mons.push(m);
            b = r?.0;
        }
        let (mut b, ()) = self.ranks.parse(&RANK_DEFS, b)?;
        if v >= 7 {
            let (x, r) = u8_(&MIN_MON_RELEASE)(b)?;
            self.min_mon_release = r;
            b = x;
        }
        if v >= 8 {
            let (mut x, n) = count(&REMOVED_COUNT, 4)(b)?;
            self.removed_count = n.clone();
            for _ in 0..n.v {
                let (y, r) = i32_(&REMOVED_RANK)(x)?;
                self.removed.push(r);
                x = y;
            }
            let (x, s) = u8_(&STRATEGY)(x)?;
            self.strategy = s;
            let (x, ()) = self.disallowed.parse(&DISALLOWED_DEFS, x)?;
            b = x;
        }
        if v >= 9 {
            let (x, s) = bool_(&STRETCH)(b)?;
            self.stretch = s;
            let (x, t) = string(&TIEBREAKER)(x)?;
            self.tiebreaker = t;
            let (x, ()) = self.marked_down.parse(&MARKED_DOWN_DEFS, x)?;
            b = x;
        }
        self.h.finish(&MAP, &b);
        self.done = true;
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.done, || {
            format!("e{}: {} mons", self.epoch.v, self.mons.len())
        });
        o.group(&MAP, value, None, |o| {
            let v = self.h.v.v;
            o.vh_head(&self.h);
            o.uuid(&FSID, &self.fsid);
            o.uint(&EPOCH, &self.epoch);
            o.raw(&LEGACY, &self.legacy, 0);
            o.time(&LAST_CHANGED, &self.last_changed);
            o.time(&CREATED, &self.created);
            self.persistent.view(o, &PERSISTENT);
            self.optional.view(o, &OPTIONAL);
            o.uint(&MON_COUNT, &self.mon_count);
            for m in &self.mons {
                m.view(o);
            }
            self.ranks.view(o, &RANK_DEFS);
            o.uint(&MIN_MON_RELEASE, &self.min_mon_release);
            o.group(&REMOVED, Value::None, None, |o| {
                o.uint(&REMOVED_COUNT, &self.removed_count);
                for r in &self.removed {
                    o.int(&REMOVED_RANK, r);
                }
            });
            o.uint(&STRATEGY, &self.strategy);
            if v >= 8 {
                self.disallowed.view(o, &DISALLOWED_DEFS);
            }
            o.boolean(&STRETCH, &self.stretch);
            o.str(&TIEBREAKER, &self.tiebreaker);
            if v >= 9 {
                self.marked_down.view(o, &MARKED_DOWN_DEFS);
            }
            o.vh_tail(&self.h);
        });
    }
}

/// A decoded MMonMap.
#[derive(Debug, Default)]
pub struct MonMapMsg {
    len: Sp<u32>,
    map: MonMap,
    trailing: Option<Sp<()>>,
}

impl MonMapMsg {
    /// The monitors decoded whole: name and public addresses.
    pub fn mons(&self) -> impl Iterator<Item = (&str, &AddrVec)> {
        self.map
            .mons
            .iter()
            .filter(|m| m.done && m.addrs.done)
            .map(|m| (m.name.v.as_str(), &m.addrs))
    }
}

impl Body for MonMapMsg {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MMonMap.h decode_payload: `decode(monmapbl, p)`; the map
    /// inside is decoded from the bufferlist (MonMap::decode).
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, n) = length(&MONMAP_LEN)(i)?;
        self.len = n.clone();
        let (rest, bl) = i.take_split(usize::try_from(n.v).unwrap_or(usize::MAX));
        let (left, ()) = self.map.parse(bl)?;
        let k = left.input_len();
        if k > 0 {
            // MonMap::decode stops at its DECODE_FINISH: bytes after it in
            // the bufferlist are not read.
            let at = offset(&left);
            note(
                &left,
                Note {
                    kind: NoteKind::Trailing,
                    offset: at,
                    len: k,
                    field: MONMAP.abbrev,
                    expected: "end of the bufferlist".into(),
                    found: format!("{k} more bytes"),
                },
            );
            self.trailing = Some(Sp { v: (), at, len: k });
        }
        Ok((rest, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.group(&MONMAP, Value::None, None, |o| {
            o.uint(&MONMAP_LEN, &self.len);
            self.map.view(o);
            o.raw(&crate::model::tree::TRAILING, &self.trailing, 0);
        });
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        "mon_map magic: 0".into()
    }
}
