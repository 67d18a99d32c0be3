//! Feature bits: `CEPH_FEATURE_*` (the 64-bit sets in CLIENT_IDENT,
//! SERVER_IDENT and IDENT_MISSING_FEATURES) and the msgr2 banner features.
//!
//! Ceph recycles feature bits: a retired bit gets a new meaning, told apart
//! by an "incarnation" mask that must be set too (`HAVE_FEATURE` in
//! ceph_features.h: incarnation 2 = bit 57 SERVER_JEWEL, incarnation 3 =
//! bits 57 and 28 SERVER_MIMIC). Each bit here carries its current meaning
//! and is reported set only when its incarnation mask is set as well.
//!
//! Table source: ceph/ceph `src/include/ceph_features.h` at commit
//! 702cb64e87782ce2305d046bbeef6bab4898ef68 (Squid era, a superset of the
//! Pacific 16.2 and Quincy 17.2 tables), plus bit 50 SERVER_TENTACLE from
//! Ceph 20 (RESEARCH.md A13). Bits with several names list them all; the
//! field is named after the one a message decoder tests most. Bits 38, 44,
//! 45, 51-55 and 63 are retired and unassigned.
//!
//! msgr2 banner features: msgr.h `CEPH_MSGR2_FEATURE_REVISION_1` (bit 0)
//! and `CEPH_MSGR2_FEATURE_COMPRESSION` (bit 1).

use super::grammar::view::Nodes;
use super::grammar::Sp;
use crate::fields;
use crate::model::{FieldDef, FieldNode, Value};

fields! {
    UID = "msgr2.features.uid", "UID", Bool, "Bit 0: UID.";
    NOSRCADDR = "msgr2.features.nosrcaddr", "NOSRCADDR", Bool, "Bit 1: NOSRCADDR.";
    SERVER_NAUTILUS = "msgr2.features.server_nautilus", "SERVER_NAUTILUS", Bool, "Bit 2 (incarnation 3): SERVER_NAUTILUS (was MONCLOCKCHECK).";
    FLOCK = "msgr2.features.flock", "FLOCK", Bool, "Bit 3: FLOCK.";
    SUBSCRIBE2 = "msgr2.features.subscribe2", "SUBSCRIBE2", Bool, "Bit 4: SUBSCRIBE2.";
    MONNAMES = "msgr2.features.monnames", "MONNAMES", Bool, "Bit 5: MONNAMES.";
    RECONNECT_SEQ = "msgr2.features.reconnect_seq", "RECONNECT_SEQ", Bool, "Bit 6: RECONNECT_SEQ.";
    DIRLAYOUTHASH = "msgr2.features.dirlayouthash", "DIRLAYOUTHASH", Bool, "Bit 7: DIRLAYOUTHASH.";
    OBJECTLOCATOR = "msgr2.features.objectlocator", "OBJECTLOCATOR", Bool, "Bit 8: OBJECTLOCATOR.";
    PGID64 = "msgr2.features.pgid64", "PGID64", Bool, "Bit 9: PGID64.";
    INCSUBOSDMAP = "msgr2.features.incsubosdmap", "INCSUBOSDMAP", Bool, "Bit 10: INCSUBOSDMAP.";
    PGPOOL3 = "msgr2.features.pgpool3", "PGPOOL3", Bool, "Bit 11: PGPOOL3.";
    OSDREPLYMUX = "msgr2.features.osdreplymux", "OSDREPLYMUX", Bool, "Bit 12: OSDREPLYMUX.";
    OSDENC = "msgr2.features.osdenc", "OSDENC", Bool, "Bit 13: OSDENC.";
    SERVER_KRAKEN = "msgr2.features.server_kraken", "SERVER_KRAKEN", Bool, "Bit 14 (incarnation 2): SERVER_KRAKEN (was OMAP).";
    MONENC = "msgr2.features.monenc", "MONENC", Bool, "Bit 15: MONENC.";
    SERVER_OCTOPUS = "msgr2.features.server_octopus", "SERVER_OCTOPUS", Bool, "Bit 16 (incarnation 3): SERVER_OCTOPUS, OSD_REPOP_MLCOD (was QUERY_T).";
    OS_PERF_STAT_NS = "msgr2.features.os_perf_stat_ns", "OS_PERF_STAT_NS", Bool, "Bit 17 (incarnation 3): OS_PERF_STAT_NS (was INDEP_PG_MAP).";
    CRUSH_TUNABLES = "msgr2.features.crush_tunables", "CRUSH_TUNABLES", Bool, "Bit 18: CRUSH_TUNABLES.";
    OSD_PGLOG_HARDLIMIT = "msgr2.features.osd_pglog_hardlimit", "OSD_PGLOG_HARDLIMIT", Bool, "Bit 19 (incarnation 2): OSD_PGLOG_HARDLIMIT (was CHUNKY_SCRUB).";
    SERVER_PACIFIC = "msgr2.features.server_pacific", "SERVER_PACIFIC", Bool, "Bit 20 (incarnation 3): SERVER_PACIFIC (was MON_NULLROUTE).";
    SERVER_LUMINOUS = "msgr2.features.server_luminous", "SERVER_LUMINOUS", Bool, "Bit 21 (incarnation 2): SERVER_LUMINOUS, RESEND_ON_SPLIT, RADOS_BACKOFF, OSDMAP_PG_UPMAP, CRUSH_CHOOSE_ARGS (was MON_GV).";
    OSD_FIXED_COLLECTION_LIST = "msgr2.features.osd_fixed_collection_list", "OSD_FIXED_COLLECTION_LIST", Bool, "Bit 22 (incarnation 2): OSD_FIXED_COLLECTION_LIST (was BACKFILL_RESERVATION).";
    MSG_AUTH = "msgr2.features.msg_auth", "MSG_AUTH", Bool, "Bit 23: MSG_AUTH (message signatures).";
    RECOVERY_RESERVATION_2 = "msgr2.features.recovery_reservation_2", "RECOVERY_RESERVATION_2", Bool, "Bit 24 (incarnation 2): RECOVERY_RESERVATION_2 (was RECOVERY_RESERVATION).";
    CRUSH_TUNABLES2 = "msgr2.features.crush_tunables2", "CRUSH_TUNABLES2", Bool, "Bit 25: CRUSH_TUNABLES2.";
    CREATEPOOLID = "msgr2.features.createpoolid", "CREATEPOOLID", Bool, "Bit 26: CREATEPOOLID.";
    REPLY_CREATE_INODE = "msgr2.features.reply_create_inode", "REPLY_CREATE_INODE", Bool, "Bit 27: REPLY_CREATE_INODE.";
    SERVER_MIMIC = "msgr2.features.server_mimic", "SERVER_MIMIC", Bool, "Bit 28 (incarnation 2): SERVER_MIMIC (was OSD_HBMSGS).";
    MDSENC = "msgr2.features.mdsenc", "MDSENC", Bool, "Bit 29: MDSENC.";
    OSDHASHPSPOOL = "msgr2.features.osdhashpspool", "OSDHASHPSPOOL", Bool, "Bit 30: OSDHASHPSPOOL.";
    SERVER_REEF = "msgr2.features.server_reef", "SERVER_REEF", Bool, "Bit 31 (incarnation 3): SERVER_REEF (was MON_SINGLE_PAXOS, which Ceph 16.2 peers still set).";
    STRETCH_MODE = "msgr2.features.stretch_mode", "STRETCH_MODE", Bool, "Bit 32 (incarnation 3): STRETCH_MODE (was OSD_SNAPMAPPER).";
    SERVER_QUINCY = "msgr2.features.server_quincy", "SERVER_QUINCY", Bool, "Bit 33 (incarnation 3): SERVER_QUINCY (was MON_SCRUB).";
    RANGE_BLOCKLIST = "msgr2.features.range_blocklist", "RANGE_BLOCKLIST", Bool, "Bit 34 (incarnation 3): RANGE_BLOCKLIST (was OSD_PACKED_RECOVERY).";
    OSD_CACHEPOOL = "msgr2.features.osd_cachepool", "OSD_CACHEPOOL", Bool, "Bit 35: OSD_CACHEPOOL.";
    CRUSH_V2 = "msgr2.features.crush_v2", "CRUSH_V2", Bool, "Bit 36: CRUSH_V2.";
    EXPORT_PEER = "msgr2.features.export_peer", "EXPORT_PEER", Bool, "Bit 37: EXPORT_PEER.";
    OSDMAP_ENC = "msgr2.features.osdmap_enc", "OSDMAP_ENC", Bool, "Bit 39: OSDMAP_ENC.";
    MDS_INLINE_DATA = "msgr2.features.mds_inline_data", "MDS_INLINE_DATA", Bool, "Bit 40: MDS_INLINE_DATA.";
    CRUSH_TUNABLES3 = "msgr2.features.crush_tunables3", "CRUSH_TUNABLES3", Bool, "Bit 41: CRUSH_TUNABLES3, OSD_PRIMARY_AFFINITY.";
    MSGR_KEEPALIVE2 = "msgr2.features.msgr_keepalive2", "MSGR_KEEPALIVE2", Bool, "Bit 42: MSGR_KEEPALIVE2.";
    OSD_POOLRESEND = "msgr2.features.osd_poolresend", "OSD_POOLRESEND", Bool, "Bit 43: OSD_POOLRESEND.";
    OSD_FADVISE_FLAGS = "msgr2.features.osd_fadvise_flags", "OSD_FADVISE_FLAGS", Bool, "Bit 46: OSD_FADVISE_FLAGS.";
    MDS_QUOTA = "msgr2.features.mds_quota", "MDS_QUOTA", Bool, "Bit 47: MDS_QUOTA.";
    CRUSH_V4 = "msgr2.features.crush_v4", "CRUSH_V4", Bool, "Bit 48: CRUSH_V4 (straw2 buckets).";
    SERVER_SQUID = "msgr2.features.server_squid", "SERVER_SQUID", Bool, "Bit 49 (incarnation 2): SERVER_SQUID (was OSD_MIN_SIZE_RECOVERY).";
    SERVER_TENTACLE = "msgr2.features.server_tentacle", "SERVER_TENTACLE", Bool, "Bit 50 (incarnation 2): SERVER_TENTACLE, Ceph 20 (was MON_METADATA).";
    NEW_OSDOP_ENCODING = "msgr2.features.new_osdop_encoding", "NEW_OSDOP_ENCODING", Bool, "Bit 56: NEW_OSDOP_ENCODING.";
    SERVER_JEWEL = "msgr2.features.server_jewel", "SERVER_JEWEL", Bool, "Bit 57: SERVER_JEWEL, MON_STATEFUL_SUB.";
    CRUSH_TUNABLES5 = "msgr2.features.crush_tunables5", "CRUSH_TUNABLES5", Bool, "Bit 58: CRUSH_TUNABLES5, NEW_OSDOPREPLY_ENCODING, FS_FILE_LAYOUT_V2.";
    MSG_ADDR2 = "msgr2.features.msg_addr2", "MSG_ADDR2", Bool, "Bit 59: MSG_ADDR2, FS_BTIME, FS_CHANGE_ATTR.";
    OSD_RECOVERY_DELETES = "msgr2.features.osd_recovery_deletes", "OSD_RECOVERY_DELETES", Bool, "Bit 60: OSD_RECOVERY_DELETES.";
    CEPHX_V2 = "msgr2.features.cephx_v2", "CEPHX_V2", Bool, "Bit 61: CEPHX_V2.";
    RESERVED = "msgr2.features.reserved", "RESERVED", Bool, "Bit 62: RESERVED (a sentinel, never advertised).";
    BANNER_REVISION_1 = "msgr2.banner_features.revision_1", "REVISION_1", Bool, "msgr2 banner feature bit 0: frame format revision 1 (msgr2.1).";
    BANNER_COMPRESSION = "msgr2.banner_features.compression", "COMPRESSION", Bool, "msgr2 banner feature bit 1: on-wire compression (Ceph 17+).";
}

/// CEPH_FEATURE_INCARNATION_2: SERVER_JEWEL (bit 57).
pub const INCARNATION_2: u64 = 1 << 57;
/// CEPH_FEATURE_INCARNATION_3: SERVER_JEWEL and SERVER_MIMIC (bits 57, 28).
pub const INCARNATION_3: u64 = (1 << 57) | (1 << 28);

/// One feature bit.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// Bit number.
    pub bit: u8,
    /// Incarnation (1, 2 or 3).
    pub incarnation: u8,
    /// Its field.
    pub def: &'static FieldDef,
}

impl Feature {
    /// `CEPH_FEATUREMASK_*`: the bit and its incarnation's marker bits.
    pub fn mask(&self) -> u64 {
        let inc = match self.incarnation {
            2 => INCARNATION_2,
            3 => INCARNATION_3,
            _ => 0,
        };
        (1u64 << self.bit) | inc
    }

    /// `HAVE_FEATURE`: the bit with its incarnation.
    pub fn present(&self, features: u64) -> bool {
        features & self.mask() == self.mask()
    }

    /// Lowercase name (the field's last component).
    pub fn name(&self) -> &'static str {
        self.def
            .abbrev
            .rsplit('.')
            .next()
            .unwrap_or(self.def.abbrev)
    }
}

const fn f(bit: u8, incarnation: u8, def: &'static FieldDef) -> Feature {
    Feature {
        bit,
        incarnation,
        def,
    }
}

/// Every named `CEPH_FEATURE_*` bit, by bit number.
pub static FEATURES: &[Feature] = &[
    f(0, 1, &UID),
    f(1, 1, &NOSRCADDR),
    f(2, 3, &SERVER_NAUTILUS),
    f(3, 1, &FLOCK),
    f(4, 1, &SUBSCRIBE2),
    f(5, 1, &MONNAMES),
    f(6, 1, &RECONNECT_SEQ),
    f(7, 1, &DIRLAYOUTHASH),
    f(8, 1, &OBJECTLOCATOR),
    f(9, 1, &PGID64),
    f(10, 1, &INCSUBOSDMAP),
    f(11, 1, &PGPOOL3),
    f(12, 1, &OSDREPLYMUX),
    f(13, 1, &OSDENC),
    f(14, 2, &SERVER_KRAKEN),
    f(15, 1, &MONENC),
    f(16, 3, &SERVER_OCTOPUS),
    f(17, 3, &OS_PERF_STAT_NS),
    f(18, 1, &CRUSH_TUNABLES),
    f(19, 2, &OSD_PGLOG_HARDLIMIT),
    f(20, 3, &SERVER_PACIFIC),
    f(21, 2, &SERVER_LUMINOUS),
    f(22, 2, &OSD_FIXED_COLLECTION_LIST),
    f(23, 1, &MSG_AUTH),
    f(24, 2, &RECOVERY_RESERVATION_2),
    f(25, 1, &CRUSH_TUNABLES2),
    f(26, 1, &CREATEPOOLID),
    f(27, 1, &REPLY_CREATE_INODE),
    f(28, 2, &SERVER_MIMIC),
    f(29, 1, &MDSENC),
    f(30, 1, &OSDHASHPSPOOL),
    f(31, 3, &SERVER_REEF),
    f(32, 3, &STRETCH_MODE),
    f(33, 3, &SERVER_QUINCY),
    f(34, 3, &RANGE_BLOCKLIST),
    f(35, 1, &OSD_CACHEPOOL),
    f(36, 1, &CRUSH_V2),
    f(37, 1, &EXPORT_PEER),
    f(39, 1, &OSDMAP_ENC),
    f(40, 1, &MDS_INLINE_DATA),
    f(41, 1, &CRUSH_TUNABLES3),
    f(42, 1, &MSGR_KEEPALIVE2),
    f(43, 1, &OSD_POOLRESEND),
    f(46, 1, &OSD_FADVISE_FLAGS),
    f(47, 1, &MDS_QUOTA),
    f(48, 1, &CRUSH_V4),
    f(49, 2, &SERVER_SQUID),
    f(50, 2, &SERVER_TENTACLE),
    f(56, 1, &NEW_OSDOP_ENCODING),
    f(57, 1, &SERVER_JEWEL),
    f(58, 1, &CRUSH_TUNABLES5),
    f(59, 1, &MSG_ADDR2),
    f(60, 1, &OSD_RECOVERY_DELETES),
    f(61, 1, &CEPHX_V2),
    f(62, 1, &RESERVED),
];

/// The feature named `name` (lowercase, e.g. `server_nautilus`).
pub fn by_name(name: &str) -> Option<&'static Feature> {
    FEATURES.iter().find(|f| f.name() == name)
}

/// Names of the features present in `v`, in bit order.
pub fn names(v: u64) -> Vec<&'static str> {
    FEATURES
        .iter()
        .filter(|f| f.present(v))
        .map(Feature::name)
        .collect()
}

/// Set bits of `v` that no named feature explains.
pub fn unnamed_bits(v: u64) -> u64 {
    FEATURES
        .iter()
        .filter(|f| f.present(v))
        .fold(v, |acc, f| acc & !(1u64 << f.bit))
}

/// One generated boolean node per named feature bit.
pub fn nodes(v: u64) -> Vec<FieldNode> {
    FEATURES
        .iter()
        .map(|f| FieldNode::new(f.def, Value::Bool(f.present(v)), None))
        .collect()
}

/// A `le64` feature set (CEPH_FEATURE_* bits: any value is taken) as a
/// field of `def` with one boolean child per named bit; nothing when it
/// was not read.
pub fn feature_nodes(n: &mut Nodes, def: &'static FieldDef, sp: &Sp<u64>) {
    if sp.len == 0 {
        return;
    }
    let v = sp.v;
    let named = names(v).len();
    n.hex(def, sp)
        .summary(format!("{v:#018x} ({named} named features)"));
    if let Some(last) = n.out.last_mut() {
        last.children = nodes(v);
    }
}

/// The msgr2 banner feature bits, as generated boolean nodes (msgr.h
/// CEPH_MSGR2_FEATURE_*).
pub fn banner_nodes(v: u64) -> Vec<FieldNode> {
    vec![
        FieldNode::new(&BANNER_REVISION_1, Value::Bool(v & 1 != 0), None),
        FieldNode::new(&BANNER_COMPRESSION, Value::Bool(v & 2 != 0), None),
    ]
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        for w in FEATURES.windows(2) {
            assert!(w[0].bit < w[1].bit, "{} {}", w[0].bit, w[1].bit);
        }
        assert_eq!(FEATURES.len(), ALL.len() - 2);
    }

    #[test]
    fn incarnations_gate_recycled_bits() {
        let nautilus = by_name("server_nautilus").unwrap();
        assert!(
            !nautilus.present(1 << 2),
            "bit 2 alone is the old MONCLOCKCHECK"
        );
        assert!(nautilus.present((1 << 2) | INCARNATION_3));
        // Ceph 16.2.15's CLIENT_IDENT supported set, from the captures.
        let pacific = 0x3f01_cfbd_fffd_ffff_u64;
        let n = names(pacific);
        for want in [
            "server_nautilus",
            "server_octopus",
            "server_pacific",
            "msg_addr2",
            "cephx_v2",
        ] {
            assert!(n.contains(&want), "{want}");
        }
        assert!(!n.contains(&"server_quincy"));
        assert_eq!(unnamed_bits(pacific), 0);
    }
}
