//! Ceph message type numbers and their names.
//!
//! Numbers: `CEPH_MSG_*` in ceph_fs.h and `MSG_*` in msg/Message.h
//! (RESEARCH.md A12). The second name is what the message's
//! `get_type_name()` returns, i.e. how Ceph's own `debug_ms` log lines name
//! it (`<== mon.0 ... 3 ==== osd_map(...)`).

/// A message type number with its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgType(pub u16);

/// (number, constant name without prefix, log name).
type Entry = (u16, &'static str, &'static str);

/// Sorted by number.
const TABLE: &[Entry] = &[
    (1, "SHUTDOWN", "shutdown"),
    (2, "PING", "ping"),
    (4, "MON_MAP", "mon_map"),
    (5, "MON_GET_MAP", "mon_getmap"),
    (6, "MON_GET_OSDMAP", "mon_get_osdmap"),
    (7, "MON_METADATA", "mon_metadata"),
    (13, "STATFS", "statfs"),
    (14, "STATFS_REPLY", "statfs_reply"),
    (15, "MON_SUBSCRIBE", "mon_subscribe"),
    (16, "MON_SUBSCRIBE_ACK", "mon_subscribe_ack"),
    (17, "AUTH", "auth"),
    (18, "AUTH_REPLY", "auth_reply"),
    (19, "MON_GET_VERSION", "mon_get_version"),
    (20, "MON_GET_VERSION_REPLY", "mon_get_version_reply"),
    (21, "MDS_MAP", "mdsmap"),
    (22, "CLIENT_SESSION", "client_session"),
    (23, "CLIENT_RECONNECT", "client_reconnect"),
    (24, "CLIENT_REQUEST", "client_request"),
    (25, "CLIENT_REQUEST_FORWARD", "client_request_forward"),
    (26, "CLIENT_REPLY", "client_reply"),
    (27, "CLIENT_RECLAIM", "client_reclaim"),
    (28, "CLIENT_RECLAIM_REPLY", "client_reclaim_reply"),
    (29, "CLIENT_METRICS", "client_metrics"),
    (40, "PAXOS", "paxos"),
    (41, "OSD_MAP", "osd_map"),
    (42, "OSD_OP", "osd_op"),
    (43, "OSD_OPREPLY", "osd_op_reply"),
    (44, "WATCH_NOTIFY", "watch-notify"),
    (45, "FS_MAP", "fsmap"),
    (46, "FORWARD", "forward"),
    (47, "ROUTE", "route"),
    (48, "POOLOP_REPLY", "poolopreply"),
    (49, "POOLOP", "poolop"),
    (50, "MON_COMMAND", "mon_command"),
    (51, "MON_COMMAND_ACK", "mon_command_ack"),
    (52, "LOG", "log"),
    (53, "LOGACK", "log_ack"),
    (58, "GETPOOLSTATS", "getpoolstats"),
    (59, "GETPOOLSTATSREPLY", "getpoolstatsreply"),
    (60, "MON_GLOBAL_ID", "global_id"),
    (61, "OSD_BACKOFF", "osd_backoff"),
    (62, "CONFIG", "config"),
    (63, "GET_CONFIG", "get_config"),
    (64, "MON_SCRUB", "mon_scrub"),
    (65, "MON_ELECTION", "election"),
    (66, "MON_PAXOS", "paxos"),
    (67, "MON_PROBE", "mon_probe"),
    (68, "MON_JOIN", "mon_join"),
    (69, "MON_SYNC", "mon_sync"),
    (70, "OSD_PING", "osd_ping"),
    (71, "OSD_BOOT", "osd_boot"),
    (72, "OSD_FAILURE", "osd_failure"),
    (73, "OSD_ALIVE", "osd_alive"),
    (74, "OSD_MARK_ME_DOWN", "MOSDMarkMeDown"),
    (75, "OSD_FULL", "osd_full"),
    (76, "MON_GET_PURGED_SNAPS", "mon_get_purged_snaps"),
    (
        77,
        "MON_GET_PURGED_SNAPS_REPLY",
        "mon_get_purged_snaps_reply",
    ),
    (78, "OSD_PGTEMP", "osd_pgtemp"),
    (79, "OSD_BEACON", "osd_beacon"),
    (80, "OSD_PG_NOTIFY", "PGnot"),
    (81, "OSD_PG_QUERY", "pg_query"),
    (83, "OSD_PG_LOG", "PGlog"),
    (84, "OSD_PG_REMOVE", "PGrm"),
    (85, "OSD_PG_INFO", "PGinfo"),
    (86, "OSD_PG_TRIM", "pg_trim"),
    (87, "PGSTATS", "pg_stats"),
    (88, "PGSTATSACK", "pg_stats_ack"),
    (89, "OSD_PG_CREATE", "pg_create"),
    (90, "REMOVE_SNAPS", "remove_snaps"),
    (91, "OSD_SCRUB", "scrub"),
    (92, "OSD_SCRUB_RESERVE", "MOSDScrubReserve"),
    (93, "OSD_REP_SCRUB", "replica scrub"),
    (94, "OSD_PG_SCAN", "pg_scan"),
    (95, "OSD_PG_BACKFILL", "pg_backfill"),
    (96, "OSD_PG_BACKFILL_REMOVE", "backfill_remove"),
    (97, "COMMAND", "command"),
    (98, "COMMAND_REPLY", "command_reply"),
    (99, "OSD_BACKFILL_RESERVE", "MBackfillReserve"),
    (100, "MDS_BEACON", "mdsbeacon"),
    (101, "MDS_PEER_REQUEST", "peer_request"),
    (102, "MDS_TABLE_REQUEST", "mds_table_request"),
    (105, "OSD_PG_PUSH", "MOSDPGPush"),
    (106, "OSD_PG_PULL", "MOSDPGPull"),
    (107, "OSD_PG_PUSH_REPLY", "MOSDPGPushReply"),
    (108, "OSD_EC_WRITE", "MOSDECSubOpWrite"),
    (109, "OSD_EC_WRITE_REPLY", "MOSDECSubOpWriteReply"),
    (110, "OSD_EC_READ", "MOSDECSubOpRead"),
    (111, "OSD_EC_READ_REPLY", "MOSDECSubOpReadReply"),
    (112, "OSD_REPOP", "osd_repop"),
    (113, "OSD_REPOPREPLY", "osd_repop_reply"),
    (114, "OSD_PG_UPDATE_LOG_MISSING", "PGUpdateLogMissing"),
    (
        115,
        "OSD_PG_UPDATE_LOG_MISSING_REPLY",
        "PGUpdateLogMissingReply",
    ),
    (116, "OSD_PG_CREATED", "osd_pg_created"),
    (117, "OSD_REP_SCRUBMAP", "rep_scrubmap"),
    (118, "OSD_PG_RECOVERY_DELETE", "recovery_delete"),
    (119, "OSD_PG_RECOVERY_DELETE_REPLY", "recovery_delete_reply"),
    (120, "OSD_PG_CREATE2", "pg_create2"),
    (121, "OSD_SCRUB2", "scrub2"),
    (122, "OSD_PG_READY_TO_MERGE", "osd_pg_ready_to_merge"),
    (123, "OSD_MARK_ME_DEAD", "MOSDMarkMeDead"),
    (130, "OSD_PG_NOTIFY2", "pg_notify2"),
    (131, "OSD_PG_QUERY2", "pg_query2"),
    (132, "OSD_PG_INFO2", "pg_info2"),
    (133, "OSD_PG_LEASE", "pg_lease"),
    (134, "OSD_PG_LEASE_ACK", "pg_lease_ack"),
    (150, "OSD_RECOVERY_RESERVE", "MRecoveryReserve"),
    (151, "OSD_FORCE_RECOVERY", "force_recovery"),
    (0x500, "MDS_HEARTBEAT", "HB"),
    (0x600, "TIMECHECK", "time_check"),
    (0x601, "MON_HEALTH", "mon_health"),
    (0x607, "NOP", "nop"),
    (0x608, "MON_HEALTH_CHECKS", "mon_health_checks"),
    (0x609, "TIMECHECK2", "time_check2"),
    (0x700, "MGR_OPEN", "mgropen"),
    (0x701, "MGR_CONFIGURE", "mgrconfigure"),
    (0x702, "MGR_REPORT", "mgrreport"),
    (0x703, "MGR_BEACON", "mgrbeacon"),
    (0x704, "MGR_MAP", "mgrmap"),
    (0x705, "MGR_DIGEST", "mgrdigest"),
    (0x706, "MON_MGR_REPORT", "monmgrreport"),
    (0x707, "SERVICE_MAP", "service_map"),
    (0x708, "MGR_CLOSE", "mgrclose"),
    (0x709, "MGR_COMMAND", "mgr_command"),
    (0x70a, "MGR_COMMAND_REPLY", "mgr_command_reply"),
];

impl MsgType {
    fn entry(self) -> Option<&'static Entry> {
        TABLE
            .binary_search_by_key(&self.0, |e| e.0)
            .ok()
            .and_then(|i| TABLE.get(i))
    }

    /// Constant name without its `CEPH_MSG_`/`MSG_` prefix, e.g. `OSD_OP`.
    pub fn const_name(self) -> Option<&'static str> {
        self.entry().map(|e| e.1)
    }

    /// Name as Ceph's logs print it, e.g. `osd_op`.
    pub fn log_name(self) -> Option<&'static str> {
        self.entry().map(|e| e.2)
    }

    /// Log name, or `type_<n>` for a number with no name.
    pub fn display_name(self) -> String {
        self.log_name()
            .map_or_else(|| format!("type_{}", self.0), str::to_string)
    }

    /// Look a type up by its log name or constant name (case-insensitive for constants).
    pub fn from_name(name: &str) -> Option<MsgType> {
        TABLE
            .iter()
            .find(|e| e.2 == name || e.1.eq_ignore_ascii_case(name))
            .map(|e| MsgType(e.0))
    }

    /// Every named type.
    pub fn all() -> impl Iterator<Item = MsgType> {
        TABLE.iter().map(|e| MsgType(e.0))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn table_sorted_and_lookups() {
        assert!(TABLE.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
        assert_eq!(MsgType(42).log_name(), Some("osd_op"));
        assert_eq!(MsgType(0x704).log_name(), Some("mgrmap"));
        assert_eq!(MsgType::from_name("osd_op_reply"), Some(MsgType(43)));
        assert_eq!(MsgType(9999).display_name(), "type_9999");
    }
}
