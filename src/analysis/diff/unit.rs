//! One side's view of a row for the comparison: where it lies in its
//! direction's stream, its bytes, whether its checksums verify, and (when
//! two views differ) the field a byte falls in.
//!
//! The bytes compared are the frame's `data`: in crc mode the frame's wire
//! bytes from its preamble to its epilogue (frames_v2.cc), in secure mode
//! the decrypted frame, so two captures of one secure connection compare
//! plaintext when keys are given. A msgr1 item compares its wire bytes
//! (banner, handshake step, tag and MSG with footer). A msgr2 banner is
//! compared by what it says (length, supported and required features).

use crate::analysis::record::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::msgr2::{CheckStatus, ProblemKind, Tag};
use bytes::Bytes;
use std::hash::{BuildHasher, Hasher};

/// Whether a row's checksums (CRCs, GCM tags, msgr1 CRCs) hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verifies {
    /// Every check it has is good, and it has at least one.
    Yes,
    /// At least one check is bad.
    No,
    /// Nothing to check with (no checksum, CRCs disabled, bytes missing,
    /// secure frame without keys).
    Unknown,
}

impl Verifies {
    /// `yes`, `no`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verifies::Yes => "yes",
            Verifies::No => "no",
            Verifies::Unknown => "unknown",
        }
    }
}

/// What one side saw of a row: enough to report it, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its row number in its capture.
    pub row: u64,
    /// First byte's stream offset in its direction.
    pub offset: u64,
    /// Bytes on the wire.
    pub len: u64,
    /// The tag column (`MESSAGE`, `HELLO`, `BANNER`, msgr1 `MSG`...).
    pub tag: String,
    /// A message's sequence number (msgr2 header2 `seq`, msgr1 header `seq`).
    pub seq: Option<u64>,
    /// The TCP packets its bytes came from, in its capture.
    pub packets: Vec<PacketIndex>,
    /// Time of the packet that completed it.
    pub ts: Timestamp,
    /// Whether its checksums hold.
    pub verifies: Verifies,
    /// `ok` or its problems' names.
    pub status: String,
}

/// A row held for the comparison: what was seen, a digest of its bytes,
/// and the bytes themselves while the memory cap allows.
#[derive(Debug, Clone)]
pub struct Unit {
    /// What was seen.
    pub seen: Seen,
    /// Hash of the compared bytes.
    pub digest: u64,
    /// The compared bytes (`None` once dropped to keep within the cap).
    pub bytes: Option<Bytes>,
    /// The row itself, for naming fields (dropped with the bytes).
    pub record: Option<std::sync::Arc<Record>>,
    /// A banner or HELLO: part of the handshake the clock offset is
    /// estimated from.
    pub handshake: bool,
    /// A message (msgr2 MESSAGE, msgr1 MSG).
    pub message: bool,
}

/// What a row is for the comparison.
pub enum Kind {
    /// A banner, frame or msgr1 item: compared with the other side's.
    Unit(Unit),
    /// Bytes that did not become a row: never captured (`lost`), or
    /// captured but not decodable, with the problem's name.
    Cover {
        /// First byte.
        offset: u64,
        /// How many.
        len: u64,
        /// `lost` or the problem's name.
        what: &'static str,
        /// Packets involved.
        packets: Vec<PacketIndex>,
        /// A later TCP copy of these bytes differed from the one kept
        /// (`tcp.overlap_differs`): the receiver may have had the other.
        overlap: bool,
    },
    /// Nothing to compare (e.g. an unanswered request's note).
    Skip,
}

fn digest(bytes: &[u8]) -> u64 {
    // A fixed seed: digests of the two sides are compared with each other.
    let mut h = foldhash::fast::FixedState::with_seed(0x6365_7068).build_hasher();
    h.write(bytes);
    h.finish()
}

/// A problem saying a checksum, tag or signature over the bytes failed.
fn breaks(kind: ProblemKind) -> bool {
    use ProblemKind as K;
    matches!(
        kind,
        K::PreambleCrcBad
            | K::SegmentCrcBad
            | K::GcmTagBad
            | K::Msgr1HeaderCrcBad
            | K::Msgr1CrcBad
            | K::Msgr1SignatureBad
    )
}

fn verdict(statuses: impl Iterator<Item = CheckStatus>) -> Verifies {
    let mut any = false;
    for s in statuses {
        match s {
            CheckStatus::Bad => return Verifies::No,
            CheckStatus::Good => any = true,
            CheckStatus::Absent | CheckStatus::Unverified => return Verifies::Unknown,
        }
    }
    if any {
        Verifies::Yes
    } else {
        Verifies::Unknown
    }
}

/// A msgr2 banner's content as bytes: payload length, supported and
/// required features (little-endian, as on the wire).
fn banner_bytes(b: &crate::msgr2::banner::Banner) -> Bytes {
    let mut v = Vec::with_capacity(18);
    v.extend_from_slice(&b.payload_len.to_le_bytes());
    v.extend_from_slice(&b.supported.to_le_bytes());
    v.extend_from_slice(&b.required.to_le_bytes());
    Bytes::from(v)
}

/// What `r` is for the comparison.
pub fn classify(r: Record) -> Kind {
    let (offset, len) = r.range();
    let (bytes, verifies, handshake) = match &r.kind {
        RecordKind::Banner(b) => (banner_bytes(b), Verifies::Unknown, true),
        RecordKind::Frame(f) => {
            let checks = verdict(f.checks.iter().map(|c| c.status));
            let bad = f.problems.iter().any(|p| breaks(p.kind));
            let v = if bad { Verifies::No } else { checks };
            let hs = matches!(f.tag(), Tag::Hello);
            (f.data.clone(), v, hs)
        }
        RecordKind::Msgr1(it) => {
            let checks = verdict(it.checks.iter().map(|c| c.status));
            let bad = it.problems.iter().any(|p| breaks(p.kind));
            let v = if bad { Verifies::No } else { checks };
            let hs = matches!(it.body, crate::msgr1::Body::Banner);
            (it.data.clone(), v, hs)
        }
        RecordKind::Lost { .. } => {
            return Kind::Cover {
                offset,
                len,
                what: "lost",
                packets: r.packets,
                overlap: false,
            }
        }
        RecordKind::Undecoded(p) => {
            // Notes about the session (an unanswered request) are not bytes.
            if p.kind == ProblemKind::RequestUnanswered {
                return Kind::Skip;
            }
            return Kind::Cover {
                offset,
                len,
                what: p.kind.name(),
                packets: r.packets,
                overlap: p.kind == ProblemKind::OverlapDiffers,
            };
        }
    };
    let seq = match &r.kind {
        RecordKind::Msgr1(it) => it.msg().map(|m| m.header.seq),
        _ => r.msg.map(|h| h.seq),
    };
    let seen = Seen {
        row: r.number,
        offset,
        len,
        tag: r.tag_name(),
        seq,
        packets: r.packets.clone(),
        ts: r.ts,
        verifies,
        status: r.status(),
    };
    let message = r.is_message();
    Kind::Unit(Unit {
        seen,
        digest: digest(&bytes),
        bytes: Some(bytes),
        record: Some(std::sync::Arc::new(r)),
        handshake,
        message,
    })
}

impl Unit {
    /// Bytes held (for the memory cap).
    pub fn held(&self) -> usize {
        self.bytes.as_ref().map_or(0, Bytes::len)
    }

    /// Drop the bytes and the row, keeping the digest.
    pub fn shed(&mut self) {
        self.bytes = None;
        self.record = None;
    }

    /// Stream offset of byte `at` of the compared bytes.
    pub fn stream_offset(&self, at: usize) -> u64 {
        let plain = || self.seen.offset.saturating_add(at as u64);
        match self.record.as_deref().map(|r| &r.kind) {
            // Secure frames: decrypted bytes map back to their ciphertext
            // (GCM keeps each byte's place); the preamble's block leads.
            Some(RecordKind::Frame(f)) if f.decrypted && at >= crate::msgr2::preamble::LEN => {
                f.stream_offset(at)
            }
            Some(RecordKind::Banner(b)) => b.offset,
            _ => plain(),
        }
    }

    /// The most specific field of the row's tree whose bytes hold byte
    /// `at` of the compared bytes (`None`: the tree does not place it).
    pub fn field_at(&self, at: usize) -> Option<&'static str> {
        let r = self.record.as_deref()?;
        let source = match &r.kind {
            RecordKind::Frame(f) => f.source(),
            RecordKind::Msgr1(_) => crate::model::Source::Wire,
            RecordKind::Banner(_) => return Some("msgr2.banner"),
            _ => return None,
        };
        let tree = crate::analysis::record_tree(r);
        tree.walk()
            .into_iter()
            .filter_map(|n| Some((n, n.span.as_ref()?)))
            .filter(|(_, s)| s.source == source && s.range.contains(&at))
            .min_by_key(|(_, s)| s.range.len())
            .map(|(n, _)| n.def.abbrev)
    }
}

/// Index of the first byte where `a` and `b` differ (one ending first
/// counts as a difference at its end); `None` when equal.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let at = a.iter().zip(b).position(|(x, y)| x != y);
    match at {
        Some(i) => Some(i),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}
