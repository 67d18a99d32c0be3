//! The rows of the version table (see [`super::versions`]).
//!
//! Sources, each a Ceph source tree dated by the SERVER_* bits of its
//! `src/include/ceph_features.h`:
//!
//! - J: git-fortech/study 424afe34 (SERVER_JEWEL, no SERVER_KRAKEN): before
//!   the Kraken release, maybe after 10.2, so Jewel itself is not
//!   established by it and stays out of the table.
//! - L: c-wchen/ceph cde80c50 (SERVER_LUMINOUS and OSD_PGLOG_HARDLIMIT, no
//!   SERVER_MIMIC): the Luminous 12.2 stable branch.
//! - P: the bundled captures (captures/README.md: Ceph 16.2.15): each
//!   `<==` line of their logs ends in the header version the Pacific sender
//!   put there, its HEAD_VERSION (every sender below encodes its head to a
//!   peer with all features).
//! - S: stonepros/stone 9d65cce3, a Ceph tree renamed "stone"
//!   (`src/include/stone_features.h`: SERVER_PACIFIC, no SERVER_QUINCY): at
//!   or after Pacific's development, before SERVER_QUINCY, so before the
//!   Quincy release; maybe after Pacific's, so Pacific itself is not
//!   established by it.
//! - R: bugwz/ceph abd07611 (SERVER_REEF, no SERVER_SQUID): Reef.
//! - T: cdsy159/ceph bec9d837 (SERVER_TENTACLE and SERVER_UMBRELLA): after
//!   the Tentacle release.
//!
//! Ceph raises a message's HEAD_VERSION and never lowers it (an
//! assumption: no source here shows it lowered), so a release between two
//! sources that agree has their value: a row's range covers a release only
//! when sources on both sides of it are established with the row's head.
//! A release between two that differ is left out unless a source names it:
//! Mimic, Nautilus and Octopus for the types whose head changed between
//! Luminous and Pacific (no source here is dated to them), Pacific for
//! osd_mark_me_down, Kraken for osd_op_reply, and Jewel. A class with no
//! HEAD_VERSION has Message.h's default: `Message(int t, int version = 1,
//! int compat_version = 0)` (PaxosServiceMessage: `enc_version = 1`).

use super::versions::{Entry, Newer};
use super::Release;
use crate::decode::features::INCARNATION_3;
use Newer::{IfCompat, Refused};
use Release::{Kraken, Luminous, Pacific, Quincy, Reef, Squid, Tentacle};

/// SERVER_SQUID (ceph_features.h: bit 49, incarnation 2).
const SERVER_SQUID: u64 = (1 << 49) | crate::decode::features::INCARNATION_2;
/// SERVER_NAUTILUS (ceph_features.h: bit 2, incarnation 3).
const SERVER_NAUTILUS: u64 = (1 << 2) | INCARNATION_3;
/// NEW_OSDOPREPLY_ENCODING (ceph_features.h: bit 58, incarnation 1).
const NEW_OSDOPREPLY_ENCODING: u64 = 1 << 58;
/// OSDENC (ceph_features.h: bit 13).
const OSDENC: u64 = 1 << 13;
/// SUBSCRIBE2 (ceph_features.h: bit 4).
const SUBSCRIBE2: u64 = 1 << 4;

const fn row(
    msg_type: u16,
    since: Release,
    until: Release,
    head: u16,
    newer: Newer,
    gate: Option<(&'static str, u64)>,
) -> Entry {
    Entry {
        msg_type,
        since,
        until,
        head,
        newer,
        gate,
    }
}

/// The table, per type oldest release first.
pub const TABLE: &[Entry] = &[
    // MPing.h (J, T): no HEAD_VERSION; decode_payload reads nothing.
    row(2, Kraken, Tentacle, 1, IfCompat, None),
    // MMonMap.h (J, T): no HEAD_VERSION; decode_payload reads monmapbl.
    // encode_payload re-encodes the map without MONENC or MSG_ADDR2, the
    // header version stays 1.
    row(4, Kraken, Tentacle, 1, IfCompat, None),
    // MMonGetMap.h (J, T): no HEAD_VERSION, empty payload.
    row(5, Kraken, Tentacle, 1, IfCompat, None),
    // MMonSubscribe.h (J, L): HEAD_VERSION 2; decode reads `what` from 2 on;
    // encode_payload sends version 0 to a peer without SUBSCRIBE2.
    row(
        15,
        Kraken,
        Luminous,
        2,
        IfCompat,
        Some(("SUBSCRIBE2", SUBSCRIBE2)),
    ),
    // MMonSubscribe.h (T): HEAD_VERSION 3, COMPAT_VERSION 1, hostname from
    // 3 on; P: mon_subscribe v3. Mimic .. Octopus not established.
    row(
        15,
        Pacific,
        Tentacle,
        3,
        IfCompat,
        Some(("SUBSCRIBE2", SUBSCRIBE2)),
    ),
    // MMonSubscribeAck.h (J, T): no HEAD_VERSION.
    row(16, Kraken, Tentacle, 1, IfCompat, None),
    // MAuth.h (J, T): PaxosServiceMessage(CEPH_MSG_AUTH, 0), version 1.
    row(17, Kraken, Tentacle, 1, IfCompat, None),
    // MAuthReply.h (J, T): Message(CEPH_MSG_AUTH_REPLY), version 1.
    row(18, Kraken, Tentacle, 1, IfCompat, None),
    // MMonGetVersion.h (J, T): no HEAD_VERSION; P: mon_get_version v1.
    row(19, Kraken, Tentacle, 1, IfCompat, None),
    // MMonGetVersionReply.h (J, T): HEAD_VERSION 2, no COMPAT_VERSION
    // (Message::encode then sends compat = version); oldest_version from 2
    // on. P: mon_get_version_reply v2.
    row(20, Kraken, Tentacle, 2, IfCompat, None),
    // MOSDMap.h (J, L): HEAD_VERSION 3, no COMPAT_VERSION; decode reads
    // oldest/newest from 2 on. encode_payload sends 2 to a peer without
    // OSDENC, 1 without PGID64 or PGPOOL3.
    row(41, Kraken, Luminous, 3, IfCompat, Some(("OSDENC", OSDENC))),
    // MOSDMap.h (R, T): HEAD_VERSION 4, COMPAT_VERSION 3, gap_removed_snaps
    // from 4 on; P: osd_map v4. Mimic .. Octopus not established.
    row(41, Pacific, Tentacle, 4, IfCompat, Some(("OSDENC", OSDENC))),
    // MOSDOp.h (luminous .. reef): HEAD_VERSION 8, COMPAT_VERSION 3;
    // decode_payload reads header.version 8, 7, and < 7 only.
    row(42, Luminous, Reef, 8, Refused, None),
    // MOSDOp.h (squid): HEAD_VERSION 9, the otel trace after the blkin
    // trace; encode_payload sends 9 only when the peer has SERVER_SQUID.
    row(
        42,
        Squid,
        Tentacle,
        9,
        Refused,
        Some(("SERVER_SQUID", SERVER_SQUID)),
    ),
    // MOSDOpReply.h (L, T): HEAD_VERSION 8, COMPAT_VERSION 2 (J: 7, so
    // Kraken is not established); decode_payload reads any version other
    // than 8 and < 2 field by field (`header.version >= N`). encode_payload
    // sends 6 to a peer without NEW_OSDOPREPLY_ENCODING, 1 without PGID64.
    row(
        43,
        Luminous,
        Tentacle,
        8,
        IfCompat,
        Some(("NEW_OSDOPREPLY_ENCODING", NEW_OSDOPREPLY_ENCODING)),
    ),
    // MMonCommand.h (J, T): PaxosServiceMessage(MSG_MON_COMMAND, 0).
    row(50, Kraken, Tentacle, 1, IfCompat, None),
    // MMonCommandAck.h (J, T): PaxosServiceMessage(MSG_MON_COMMAND_ACK, v).
    row(51, Kraken, Tentacle, 1, IfCompat, None),
    // MLog.h (J, T): PaxosServiceMessage(MSG_LOG, 0); P: log v1.
    row(52, Kraken, Tentacle, 1, IfCompat, None),
    // MConfig.h (R, T): HEAD_VERSION 1, COMPAT_VERSION 1; P: config v1.
    // Mimic .. Octopus have the type but no source here names them.
    row(62, Pacific, Tentacle, 1, IfCompat, None),
    // MOSDBoot.h (J, L): HEAD_VERSION 6 (J: COMPAT 2, L: COMPAT 6).
    row(71, Kraken, Luminous, 6, IfCompat, None),
    // MOSDBoot.h (R, T): HEAD_VERSION 7, COMPAT_VERSION 7, entity_addrvec_t
    // addresses; encode_payload asserts the peer has SERVER_NAUTILUS.
    // P: osd_boot v7.
    row(
        71,
        Pacific,
        Tentacle,
        7,
        IfCompat,
        Some(("SERVER_NAUTILUS", SERVER_NAUTILUS)),
    ),
    // MOSDAlive.h (J, T): PaxosServiceMessage(MSG_OSD_ALIVE, h); P:
    // osd_alive v1.
    row(73, Kraken, Tentacle, 1, IfCompat, None),
    // MOSDMarkMeDown.h (L): HEAD_VERSION 2, COMPAT_VERSION 2.
    row(74, Luminous, Luminous, 2, IfCompat, None),
    // MOSDMarkMeDown.h (S, R, T): HEAD_VERSION 4, COMPAT_VERSION 3,
    // down_and_dead from 4 on; encode_payload asserts SERVER_NAUTILUS (R,
    // T; S sends version 2, compat 2, to a peer without it). S and R agree,
    // so Quincy has 4. No source names Mimic .. Pacific (the captures send
    // none).
    row(
        74,
        Quincy,
        Tentacle,
        4,
        IfCompat,
        Some(("SERVER_NAUTILUS", SERVER_NAUTILUS)),
    ),
    // MOSDBeacon.h (L): no HEAD_VERSION.
    row(79, Luminous, Luminous, 1, IfCompat, None),
    // MOSDBeacon.h (R, T): HEAD_VERSION 3, COMPAT_VERSION 1;
    // last_purged_snaps_scrub from 2, osd_beacon_report_interval from 3.
    // P: osd_beacon v3.
    row(79, Pacific, Tentacle, 3, IfCompat, None),
    // MOSDPGCreated.h (T): PaxosServiceMessage(MSG_OSD_PG_CREATED, 0); P:
    // osd_pg_created v1.
    row(116, Pacific, Tentacle, 1, IfCompat, None),
    // MOSDPGCreate2.h (R, T): HEAD_VERSION 2, COMPAT_VERSION 1, pg_extra
    // from 2 on; P: pg_create2 v2.
    row(120, Pacific, Tentacle, 2, IfCompat, None),
    // MMgrMap.h (T): Message{MSG_MGR_MAP}, version 1; P: mgrmap v1.
    row(0x704, Pacific, Tentacle, 1, IfCompat, None),
];
