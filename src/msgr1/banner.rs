//! The msgr1 banner: the 9 ASCII bytes `ceph v027`, no newline (msgr.h
//! CEPH_BANNER), sent first by both sides. msgr2's banner begins `ceph v2`
//! (msgr.h CEPH_BANNER_V2_PREFIX); the two differ at byte 6, so 7 bytes
//! tell which protocol a side speaks.

use crate::msgr2::{Problem, ProblemKind};

/// The banner.
pub const BANNER: &[u8; 9] = b"ceph v027";
/// Its length.
pub const LEN: usize = 9;
/// msgr2's banner prefix (msgr.h CEPH_BANNER_V2_PREFIX).
pub const V2_PREFIX: &[u8; 7] = b"ceph v2";

/// What a stream's first bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Too few bytes to tell.
    Incomplete,
    /// `ceph v027`.
    Msgr1,
    /// `ceph v2...`.
    Msgr2,
    /// Neither.
    Other,
}

/// Classify a stream's first bytes.
pub fn classify(b: &[u8]) -> Kind {
    let n = b.len().min(LEN);
    let head = b.get(..n).unwrap_or_default();
    if b.len() >= V2_PREFIX.len() && b.starts_with(V2_PREFIX) {
        Kind::Msgr2
    } else if BANNER.starts_with(head) {
        if n == LEN {
            Kind::Msgr1
        } else {
            Kind::Incomplete
        }
    } else if V2_PREFIX.starts_with(head) {
        Kind::Incomplete
    } else {
        Kind::Other
    }
}

/// The problem of a msgr1 connection's side that did not send `ceph v027`.
pub fn problem(kind: Kind, offset: u64, b: &[u8]) -> Problem {
    let shown: String = b
        .iter()
        .take(LEN)
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                char::from(c)
            } else {
                '.'
            }
        })
        .collect();
    match kind {
        Kind::Msgr2 => Problem::new(ProblemKind::BannerMismatch, offset, 8, "msgr1.banner")
            .values("ceph v027 (msgr1, the peer's banner)", "ceph v2 (msgr2)"),
        _ => Problem::new(
            ProblemKind::Msgr1BannerBad,
            offset,
            LEN as u64,
            "msgr1.banner",
        )
        .values("ceph v027", shown),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(classify(b"ceph v027\x00"), Kind::Msgr1);
        assert_eq!(classify(b"ceph v0"), Kind::Incomplete);
        assert_eq!(classify(b"ceph v2\n\x10\x00"), Kind::Msgr2);
        assert_eq!(classify(b"ceph"), Kind::Incomplete);
        assert_eq!(classify(b"GET / HTTP"), Kind::Other);
        assert_eq!(classify(b""), Kind::Incomplete);
    }
}
