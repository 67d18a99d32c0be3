//! Which encoding versions of a message each release decodes, and the
//! verdict on a message sent to a receiver that cannot read its version.
//!
//! A table per message type and release: the newest header version the
//! release's decoder reads (its `HEAD_VERSION`), whether the decoder
//! reads only the versions it knows (MOSDOp's `decode_payload` branches on
//! `header.version` and leaves any other undecoded) or any newer one whose
//! compat_version it meets, and the feature whose presence in the
//! receiver's features lets a sender choose the newer encoding. The
//! compat rule is Message.cc `decode_message`: a message whose
//! compat_version exceeds the version the receiver's class is built with
//! (its HEAD_VERSION) is not decoded ("will not decode message of type");
//! any other goes to `decode_payload`, which for every type here but
//! MOSDOp reads the fields its version knows (`header.version >= N`) and
//! leaves the rest. Message::encode sends compat = version when the
//! class sets no COMPAT_VERSION. Facts from Ceph's source history, cited
//! per entry in `versions_table.rs`. Types and releases not in the table
//! get no verdict.

use super::Release;
use crate::decode::Header2;
use crate::msgr2::{Problem, ProblemKind};

/// How a release's decoder treats versions newer than its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newer {
    /// It reads only the versions it knows: a newer one is not decoded.
    Refused,
    /// It reads a newer version whose compat_version is at most its own
    /// head version, skipping what it does not know.
    IfCompat,
}

/// One row of the table: the releases `since ..= until` decode up to
/// `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// CEPH_MSG_* type.
    pub msg_type: u16,
    /// First release of this row.
    pub since: Release,
    /// Last release of this row.
    pub until: Release,
    /// HEAD_VERSION of the release's decoder.
    pub head: u16,
    /// Newer versions.
    pub newer: Newer,
    /// The feature (name, CEPH_FEATUREMASK_*) a sender needs in its peer's
    /// features to send `head`.
    pub gate: Option<(&'static str, u64)>,
}

pub use super::versions_table::TABLE;

/// The entry for `msg_type` as `release` decodes it.
pub fn entry(msg_type: u16, release: Release) -> Option<&'static Entry> {
    TABLE
        .iter()
        .find(|e| e.msg_type == msg_type && e.since <= release && release <= e.until)
}

/// Whether `release` decodes a message of `msg_type` at `version` with
/// `compat` (`None`: the table does not know the type or release).
pub fn decodes(msg_type: u16, version: u16, compat: u16, release: Release) -> Option<bool> {
    let e = entry(msg_type, release)?;
    Some(match e.newer {
        Newer::Refused => version <= e.head,
        Newer::IfCompat => version <= e.head || compat <= e.head,
    })
}

/// The entry of `msg_type` that introduced `version`, when a feature gates it.
fn gate_of(msg_type: u16, version: u16) -> Option<(&'static str, u64)> {
    TABLE
        .iter()
        .find(|e| e.msg_type == msg_type && e.head == version)
        .and_then(|e| e.gate)
}

/// The verdict on a message whose header is `h` (segment 0 at stream
/// offset `seg0`) sent to a receiver with `receiver` features and release:
/// an error when that release cannot decode its version, naming the
/// version sent, the newest the receiver reads and the feature involved.
pub fn verdict(
    h: &Header2,
    receiver: Option<(u64, Option<Release>)>,
    seg0: u64,
) -> Option<Problem> {
    let (features, release) = receiver?;
    let release = release?;
    if decodes(h.msg_type, h.version, h.compat_version, release)? {
        return None;
    }
    let e = entry(h.msg_type, release)?;
    let mut found = format!(
        "version {} (compat {}) to a {release} receiver",
        h.version, h.compat_version
    );
    if let Some((name, mask)) = gate_of(h.msg_type, h.version) {
        if features & mask != mask {
            found.push_str(&format!(
                ", whose features {features:#x} lack {name} ({mask:#x})"
            ));
        }
    }
    // ceph_msg_header2: version at bytes 20..22 (msg.h).
    Some(
        Problem::new(
            ProblemKind::VersionUnsupported,
            seg0.saturating_add(20),
            2,
            "ceph.msg.version",
        )
        .values(
            match e.newer {
                Newer::Refused => {
                    format!("version <= {} ({release} decodes up to {})", e.head, e.head)
                }
                Newer::IfCompat => format!(
                    "version <= {} or compat_version <= {} ({release} decodes up to {})",
                    e.head, e.head, e.head
                ),
            },
            found,
        ),
    )
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use Release::*;

    /// For each release, the head the table gives `msg_type` (`None`: not
    /// established), and the verdicts on head + 1: with compat head + 1
    /// and with compat at the head.
    fn check(msg_type: u16, heads: &[(Release, Option<u16>)], newer: Newer) {
        assert_eq!(heads.len(), Release::ALL.len());
        for (r, head) in heads {
            assert_eq!(entry(msg_type, *r).map(|e| e.head), *head, "{msg_type} {r}");
            let Some(h) = *head else {
                assert_eq!(decodes(msg_type, 1, 1, *r), None, "{msg_type} {r}");
                continue;
            };
            assert_eq!(entry(msg_type, *r).map(|e| e.newer), Some(newer));
            assert_eq!(decodes(msg_type, h, h, *r), Some(true), "{msg_type} {r}");
            assert_eq!(
                decodes(msg_type, h + 1, h + 1, *r),
                Some(false),
                "{msg_type} {r}"
            );
            assert_eq!(
                decodes(msg_type, h + 1, h, *r),
                Some(newer == Newer::IfCompat),
                "{msg_type} {r}"
            );
        }
    }

    /// Heads per release, Jewel first.
    fn heads(v: [Option<u16>; 11]) -> Vec<(Release, Option<u16>)> {
        Release::ALL.iter().copied().zip(v).collect()
    }

    const N: Option<u16> = None;

    #[test]
    fn rows_are_ordered_and_disjoint() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(a.since <= a.until, "{a:?}");
            for b in &TABLE[i + 1..] {
                if a.msg_type == b.msg_type {
                    assert!(a.until < b.since, "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn one_version_types_kraken_through_tentacle() {
        // MPing, MMonMap, MMonGetMap, MMonSubscribeAck, MAuth, MAuthReply,
        // MMonGetVersion, MMonCommand(+Ack), MLog, MOSDAlive: no
        // HEAD_VERSION (Message.h default 1) in J and T.
        let one = Some(1);
        for ty in [2, 4, 5, 16, 17, 18, 19, 50, 51, 52, 73] {
            check(
                ty,
                &heads([N, one, one, one, one, one, one, one, one, one, one]),
                Newer::IfCompat,
            );
        }
    }

    #[test]
    fn mon_subscribe_per_release() {
        // MMonSubscribe.h: 2 in J and L, 3 (compat 1) in P and T.
        let (two, three) = (Some(2), Some(3));
        check(
            15,
            &heads([N, two, two, N, N, N, three, three, three, three, three]),
            Newer::IfCompat,
        );
        assert_eq!(
            entry(15, Pacific).unwrap().gate,
            Some(("SUBSCRIBE2", 1 << 4))
        );
        // A Pacific sender's v3 (compat 1) reaches a Luminous monitor.
        assert_eq!(decodes(15, 3, 1, Luminous), Some(true));
    }

    #[test]
    fn mon_get_version_reply_per_release() {
        let two = Some(2);
        check(
            20,
            &heads([N, two, two, two, two, two, two, two, two, two, two]),
            Newer::IfCompat,
        );
    }

    #[test]
    fn osd_map_per_release() {
        // MOSDMap.h: 3 in J and L, 4 (compat 3) in P, R and T.
        let (three, four) = (Some(3), Some(4));
        check(
            41,
            &heads([N, three, three, N, N, N, four, four, four, four, four]),
            Newer::IfCompat,
        );
        // Pacific's v4 carries compat 3: a Luminous OSD reads it.
        assert_eq!(decodes(41, 4, 3, Luminous), Some(true));
        assert_eq!(entry(41, Reef).unwrap().gate, Some(("OSDENC", 1 << 13)));
    }

    #[test]
    fn mosdop_per_release() {
        // MOSDOp.h: HEAD_VERSION 8 from Luminous through Reef, 9 in Squid.
        let (eight, nine) = (Some(8), Some(9));
        check(
            42,
            &heads([
                N, N, eight, eight, eight, eight, eight, eight, eight, nine, nine,
            ]),
            Newer::Refused,
        );
        // Any version past 8 stays undecoded, whatever its compat.
        assert_eq!(decodes(42, 9, 3, Reef), Some(false));
        assert_eq!(decodes(42, 8, 3, Squid), Some(true));
        assert_eq!(decodes(4242, 1, 1, Squid), None);
    }

    #[test]
    fn osd_op_reply_per_release() {
        // MOSDOpReply.h: 8 (compat 2) in L and T; 7 in J.
        let e = Some(8);
        check(
            43,
            &heads([N, N, e, e, e, e, e, e, e, e, e]),
            Newer::IfCompat,
        );
        assert_eq!(
            entry(43, Pacific).unwrap().gate,
            Some(("NEW_OSDOPREPLY_ENCODING", 1 << 58))
        );
    }

    #[test]
    fn config_pg_created_mgr_map_pacific_through_tentacle() {
        let one = Some(1);
        for ty in [62, 116, 0x704] {
            check(
                ty,
                &heads([N, N, N, N, N, N, one, one, one, one, one]),
                Newer::IfCompat,
            );
        }
    }

    #[test]
    fn osd_boot_per_release() {
        // MOSDBoot.h: 6 in J and L, 7 (compat 7) in P, R and T.
        let (six, seven) = (Some(6), Some(7));
        check(
            71,
            &heads([N, six, six, N, N, N, seven, seven, seven, seven, seven]),
            Newer::IfCompat,
        );
        // Nautilus-and-later's v7 carries compat 7: Luminous cannot read it.
        assert_eq!(decodes(71, 7, 7, Luminous), Some(false));
        assert_eq!(entry(71, Squid).unwrap().gate.unwrap().0, "SERVER_NAUTILUS");
    }

    #[test]
    fn osd_mark_me_down_per_release() {
        // MOSDMarkMeDown.h: 2 (compat 2) in L, 4 (compat 3) in S (before
        // Quincy), R and T; Pacific stays unknown (S may be after it).
        let (two, four) = (Some(2), Some(4));
        check(
            74,
            &heads([N, N, two, N, N, N, N, four, four, four, four]),
            Newer::IfCompat,
        );
        assert_eq!(decodes(74, 4, 3, Luminous), Some(false));
        assert_eq!(decodes(74, 4, 3, Quincy), Some(true));
        assert_eq!(decodes(74, 5, 5, Quincy), Some(false));
        assert_eq!(decodes(74, 5, 4, Quincy), Some(true));
        assert_eq!(entry(74, Pacific), None);
        assert_eq!(
            entry(74, Quincy).unwrap().gate.unwrap().0,
            "SERVER_NAUTILUS"
        );
    }

    #[test]
    fn osd_beacon_per_release() {
        // MOSDBeacon.h: none in L (1), 3 (compat 1) in P, R and T.
        let (one, three) = (Some(1), Some(3));
        check(
            79,
            &heads([N, N, one, N, N, N, three, three, three, three, three]),
            Newer::IfCompat,
        );
        // Pacific's v3 carries compat 1: a Luminous monitor reads it.
        assert_eq!(decodes(79, 3, 1, Luminous), Some(true));
    }

    #[test]
    fn pg_create2_per_release() {
        let two = Some(2);
        check(
            120,
            &heads([N, N, N, N, N, N, two, two, two, two, two]),
            Newer::IfCompat,
        );
    }

    #[test]
    fn every_decoded_type_has_rows() {
        // The types decode::msg decodes (its dispatch in parse).
        for ty in [
            2u16, 4, 5, 15, 16, 17, 18, 19, 20, 41, 42, 43, 50, 51, 52, 62, 71, 73, 74, 79, 116,
            120, 0x704,
        ] {
            assert!(entry(ty, Tentacle).is_some(), "{ty}");
        }
        assert_eq!(TABLE.len(), 29);
    }
}
