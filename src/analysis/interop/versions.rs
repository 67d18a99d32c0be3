//! Which encoding versions of a message each release decodes, and the
//! verdict on a message sent to a receiver that cannot read its version.
//!
//! A table per message type and release: the newest header version the
//! release's decoder reads (its `HEAD_VERSION`), whether the decoder
//! reads only the versions it knows (MOSDOp's `decode_payload` branches on
//! `header.version` and leaves any other undecoded) or any newer one whose
//! compat_version it meets (the usual `DECODE_START`-like convention), and
//! the feature whose presence in the receiver's features lets a sender
//! choose the newer encoding. Facts from Ceph's source history, cited per
//! entry. Types not in the table get no verdict.

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

/// One row of the table: from `since` on (until the next row of the same
/// type), the release decodes up to `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// CEPH_MSG_* type.
    pub msg_type: u16,
    /// First release of this row.
    pub since: Release,
    /// HEAD_VERSION of the release's decoder.
    pub head: u16,
    /// Newer versions.
    pub newer: Newer,
    /// The feature (name, CEPH_FEATUREMASK_*) a sender needs in its peer's
    /// features to send `head`.
    pub gate: Option<(&'static str, u64)>,
}

/// SERVER_SQUID (ceph_features.h: bit 49, incarnation 2).
const SERVER_SQUID: u64 = (1 << 49) | crate::decode::features::INCARNATION_2;

/// The table, per type oldest release first.
pub const TABLE: &[Entry] = &[
    // MOSDOp.h (luminous .. reef): HEAD_VERSION 8, COMPAT_VERSION 3;
    // decode_payload reads header.version 8, 7, and < 7 only.
    Entry {
        msg_type: 42,
        since: Release::Luminous,
        head: 8,
        newer: Newer::Refused,
        gate: None,
    },
    // MOSDOp.h (squid): HEAD_VERSION 9, the otel trace after the blkin
    // trace; encode_payload sends 9 only when the peer has SERVER_SQUID.
    Entry {
        msg_type: 42,
        since: Release::Squid,
        head: 9,
        newer: Newer::Refused,
        gate: Some(("SERVER_SQUID", SERVER_SQUID)),
    },
];

/// The entry for `msg_type` as `release` decodes it.
pub fn entry(msg_type: u16, release: Release) -> Option<&'static Entry> {
    TABLE
        .iter()
        .rev()
        .find(|e| e.msg_type == msg_type && e.since <= release)
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
            format!("version <= {} ({release} decodes up to {})", e.head, e.head),
            found,
        ),
    )
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn mosdop_per_release() {
        // MOSDOp.h: HEAD_VERSION 8 from Luminous through Reef, 9 in Squid.
        for r in [
            Release::Luminous,
            Release::Mimic,
            Release::Nautilus,
            Release::Octopus,
            Release::Pacific,
            Release::Quincy,
            Release::Reef,
        ] {
            assert_eq!(entry(42, r).map(|e| e.head), Some(8), "{r}");
            assert_eq!(decodes(42, 8, 3, r), Some(true), "{r}");
            // Any version past 8 stays undecoded, whatever its compat.
            assert_eq!(decodes(42, 9, 3, r), Some(false), "{r}");
        }
        for r in [Release::Squid, Release::Tentacle] {
            assert_eq!(entry(42, r).map(|e| e.head), Some(9), "{r}");
            assert_eq!(decodes(42, 9, 3, r), Some(true), "{r}");
            assert_eq!(decodes(42, 8, 3, r), Some(true), "{r}");
        }
        assert_eq!(entry(42, Release::Jewel), None);
        assert_eq!(decodes(4242, 1, 1, Release::Squid), None);
    }
}
