//! A peer's Ceph release, inferred from the CEPH_FEATURE_* bits it
//! advertises in CLIENT_IDENT or SERVER_IDENT.
//!
//! Each major release since Jewel adds a `SERVER_<NAME>` bit (with its
//! incarnation marker, ceph_features.h `DEFINE_CEPH_FEATURE(bit, inc,
//! SERVER_X)`, tested with `HAVE_FEATURE`) and keeps every earlier one, so
//! the release is the last of the chain whose bits are all present. A bit
//! whose earlier meaning an older release still advertises (bit 31 was
//! MON_SINGLE_PAXOS, which Pacific still sets; it is SERVER_REEF since
//! Reef) cannot fool the chain: the release before it must be present too.

use crate::decode::features::{INCARNATION_2, INCARNATION_3};

/// A Ceph major release, named as Ceph names it (`ceph_release_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Release {
    /// 10.2
    Jewel,
    /// 11.2
    Kraken,
    /// 12.2
    Luminous,
    /// 13.2
    Mimic,
    /// 14.2
    Nautilus,
    /// 15.2
    Octopus,
    /// 16.2
    Pacific,
    /// 17.2
    Quincy,
    /// 18.2
    Reef,
    /// 19.2
    Squid,
    /// 20.2
    Tentacle,
}

/// Each release and the CEPH_FEATUREMASK_SERVER_* that marks it
/// (ceph_features.h, Squid-era table; bit 50 SERVER_TENTACLE from Ceph 20).
const CHAIN: &[(Release, u64)] = &[
    // DEFINE_CEPH_FEATURE(57, 1, SERVER_JEWEL)
    (Release::Jewel, 1 << 57),
    // DEFINE_CEPH_FEATURE(14, 2, SERVER_KRAKEN)
    (Release::Kraken, (1 << 14) | INCARNATION_2),
    // DEFINE_CEPH_FEATURE(21, 2, SERVER_LUMINOUS)
    (Release::Luminous, (1 << 21) | INCARNATION_2),
    // DEFINE_CEPH_FEATURE(28, 2, SERVER_MIMIC)
    (Release::Mimic, (1 << 28) | INCARNATION_2),
    // DEFINE_CEPH_FEATURE( 2, 3, SERVER_NAUTILUS)
    (Release::Nautilus, (1 << 2) | INCARNATION_3),
    // DEFINE_CEPH_FEATURE(16, 3, SERVER_OCTOPUS)
    (Release::Octopus, (1 << 16) | INCARNATION_3),
    // DEFINE_CEPH_FEATURE(20, 3, SERVER_PACIFIC)
    (Release::Pacific, (1 << 20) | INCARNATION_3),
    // DEFINE_CEPH_FEATURE(33, 3, SERVER_QUINCY)
    (Release::Quincy, (1 << 33) | INCARNATION_3),
    // DEFINE_CEPH_FEATURE(31, 3, SERVER_REEF)
    (Release::Reef, (1 << 31) | INCARNATION_3),
    // DEFINE_CEPH_FEATURE(49, 2, SERVER_SQUID)
    (Release::Squid, (1 << 49) | INCARNATION_2),
    // SERVER_TENTACLE: bit 50, incarnation 2 (Ceph 20).
    (Release::Tentacle, (1 << 50) | INCARNATION_2),
];

impl Release {
    /// Every release, oldest first.
    pub const ALL: &'static [Release] = &[
        Release::Jewel,
        Release::Kraken,
        Release::Luminous,
        Release::Mimic,
        Release::Nautilus,
        Release::Octopus,
        Release::Pacific,
        Release::Quincy,
        Release::Reef,
        Release::Squid,
        Release::Tentacle,
    ];

    /// The newest release whose SERVER_* bits, and those of every release
    /// before it, are all set; `None` before Jewel.
    pub fn from_features(features: u64) -> Option<Release> {
        let mut found = None;
        for (r, mask) in CHAIN {
            if features & mask != *mask {
                break;
            }
            found = Some(*r);
        }
        found
    }

    /// CEPH_FEATUREMASK_SERVER_* of the release.
    pub fn mask(self) -> u64 {
        CHAIN
            .iter()
            .find(|(r, _)| *r == self)
            .map_or(0, |(_, m)| *m)
    }

    /// Lowercase name, as `ceph features` prints releases.
    pub fn name(self) -> &'static str {
        match self {
            Release::Jewel => "jewel",
            Release::Kraken => "kraken",
            Release::Luminous => "luminous",
            Release::Mimic => "mimic",
            Release::Nautilus => "nautilus",
            Release::Octopus => "octopus",
            Release::Pacific => "pacific",
            Release::Quincy => "quincy",
            Release::Reef => "reef",
            Release::Squid => "squid",
            Release::Tentacle => "tentacle",
        }
    }

    /// The major version number (`ceph_release_t`: jewel 10 ... tentacle 20).
    pub fn major(self) -> u8 {
        match self {
            Release::Jewel => 10,
            Release::Kraken => 11,
            Release::Luminous => 12,
            Release::Mimic => 13,
            Release::Nautilus => 14,
            Release::Octopus => 15,
            Release::Pacific => 16,
            Release::Quincy => 17,
            Release::Reef => 18,
            Release::Squid => 19,
            Release::Tentacle => 20,
        }
    }

    /// The release named `s` (any case).
    pub fn from_name(s: &str) -> Option<Release> {
        Release::ALL
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pacific_peers_of_the_bundled_captures() {
        // SERVER_IDENT of mon.0 and osd.0, Ceph 16.2.15 (captures/README.md):
        // supported features 0x3f01cfbdfffdffff. Bit 31 (MON_SINGLE_PAXOS in
        // Pacific, SERVER_REEF later) is set, SERVER_QUINCY (bit 33) is not.
        let f = 0x3f01_cfbd_fffd_ffff;
        assert_eq!(f & (1 << 31), 1 << 31);
        assert_eq!(Release::from_features(f), Some(Release::Pacific));
    }

    #[test]
    fn each_release_from_its_own_bits() {
        let mut f = 0u64;
        for r in Release::ALL {
            f |= r.mask();
            assert_eq!(Release::from_features(f), Some(*r));
        }
        // A newer bit without the one before it does not count.
        let squid_without_reef = Release::Quincy.mask()
            | Release::Pacific.mask()
            | Release::Octopus.mask()
            | Release::Nautilus.mask()
            | Release::Mimic.mask()
            | Release::Luminous.mask()
            | Release::Kraken.mask()
            | Release::Jewel.mask()
            | Release::Squid.mask();
        assert_eq!(
            Release::from_features(squid_without_reef),
            Some(Release::Quincy)
        );
        assert_eq!(Release::from_features(0), None);
        assert_eq!(Release::from_name("SQUID"), Some(Release::Squid));
        assert_eq!(Release::Pacific.major(), 16);
    }
}
