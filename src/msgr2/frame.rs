//! Frames in crc mode: layout arithmetic and every check (frames_v2.cc
//! `asm_crc_rev0/rev1`; RESEARCH.md A4, A5):
//!
//! ```text
//! msgr2.0 crc: preamble(32) | S0 | S1 | S2 | S3 | late_flags(1) crc0..crc3(16)
//! msgr2.1 crc: preamble(32) | S0 | crc0(4) if S0>0 | S1 | S2 | S3
//!              | late_status(1) crc1..crc3(12)   only if nseg > 1
//! ```
//!
//! Segment CRCs use seed 0xFFFFFFFF; an unused segment's CRC is 0.

use super::crc::segment_crc;
use super::preamble::{self, Preamble, MAX_SEGMENTS};
use super::problem::{Problem, ProblemKind};
use super::Tag;
use bytes::Bytes;
use std::ops::Range;

/// Protocol revision of a connection's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rev {
    /// msgr2.0.
    V0,
    /// msgr2.1 (CEPH_MSGR2_FEATURE_REVISION_1 on both sides).
    V1,
}

impl Rev {
    /// `2.0` or `2.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rev::V0 => "2.0",
            Rev::V1 => "2.1",
        }
    }
}

/// Connection mode a frame was sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// CRC framing (CEPH_CON_MODE_CRC).
    Crc,
    /// AES-128-GCM framing (CEPH_CON_MODE_SECURE).
    Secure,
}

impl Mode {
    /// `crc` or `secure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Crc => "crc",
            Mode::Secure => "secure",
        }
    }
}

/// msgr2.0 `FRAME_LATE_FLAG_ABORTED` (frames_v2.h).
pub const LATE_FLAG_ABORTED: u8 = 0x01;
/// msgr2.1 `FRAME_LATE_STATUS_ABORTED` (frames_v2.h).
pub const LATE_STATUS_ABORTED: u8 = 0x01;
/// msgr2.1 `FRAME_LATE_STATUS_COMPLETE` (frames_v2.h).
pub const LATE_STATUS_COMPLETE: u8 = 0x0e;
/// msgr2.1 `FRAME_LATE_STATUS_ABORTED_MASK` (frames_v2.h).
pub const LATE_STATUS_MASK: u8 = 0x0f;
/// msgr2.0 crc epilogue: late_flags + 4 crcs.
pub const EPILOGUE_REV0_CRC: u64 = 17;
/// msgr2.1 crc epilogue: late_status + 3 crcs.
pub const EPILOGUE_REV1_CRC: u64 = 13;
/// Size of one CRC field.
pub const CRC_LEN: u64 = 4;

/// What a checksum (or GCM tag) check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// Stored equals computed.
    Good,
    /// Stored differs from computed.
    Bad,
    /// Stored 0 where the data's CRC is not: CRCs disabled by the sender.
    Absent,
    /// The bytes needed to check are not all there.
    Unverified,
}

impl CheckStatus {
    /// `good`, `bad`, `absent`, `unverified`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Good => "good",
            CheckStatus::Bad => "bad",
            CheckStatus::Absent => "absent",
            CheckStatus::Unverified => "unverified",
        }
    }
}

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// The preamble CRC.
    Preamble,
    /// Segment `i`'s CRC.
    Segment(u8),
    /// GCM tag of operation `i` of a secure frame.
    GcmTag(u8),
}

/// One checksum check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Which.
    pub kind: CheckKind,
    /// Stream offset of the stored value.
    pub offset: u64,
    /// Value on the wire (0 for GCM tags).
    pub stored: u32,
    /// Value computed from the data (0 for GCM tags).
    pub computed: u32,
    /// Verdict.
    pub status: CheckStatus,
}

/// The late_flags (2.0) or late_status (2.1) byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    /// The byte.
    pub value: u8,
    /// Its stream offset (in secure mode: of the ciphertext block holding it).
    pub offset: u64,
    /// Whether the frame was aborted by its sender.
    pub aborted: bool,
}

/// A decoded frame: where it is, what it says and every check.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Stream offset of the first byte on the wire.
    pub offset: u64,
    /// Bytes on the wire (for incomplete frames: bytes known to belong to it).
    pub wire_len: u64,
    /// Framing revision.
    pub rev: Rev,
    /// Connection mode.
    pub mode: Mode,
    /// The preamble (plaintext).
    pub preamble: Preamble,
    /// Checks in wire order.
    pub checks: Vec<Check>,
    /// The late byte, when the frame has an epilogue.
    pub late: Option<Late>,
    /// Problems, in wire order.
    pub problems: Vec<Problem>,
    /// Plaintext bytes: the wire bytes in crc mode, the decrypted bytes in
    /// secure mode; segment ranges index into it.
    pub data: Bytes,
    /// Byte range of each segment in `data` (empty for unused segments).
    pub segments: [Range<usize>; MAX_SEGMENTS],
    /// Stream offset of each segment's first byte (secure: of its ciphertext).
    pub segment_offsets: [u64; MAX_SEGMENTS],
    /// Whether `data` is decrypted plaintext rather than wire bytes.
    pub decrypted: bool,
}

impl Frame {
    /// The tag.
    pub fn tag(&self) -> Tag {
        self.preamble.tag
    }

    /// Segment `i`'s bytes, if present in full.
    pub fn segment(&self, i: usize) -> Option<&[u8]> {
        self.data.get(self.segments.get(i)?.clone())
    }

    /// Logical segment lengths from the preamble.
    pub fn segment_lens(&self) -> [u32; MAX_SEGMENTS] {
        [0, 1, 2, 3].map(|i| self.preamble.seg_len(i))
    }

    /// Whether the sender aborted the frame.
    pub fn aborted(&self) -> bool {
        self.late.is_some_and(|l| l.aborted)
    }

    /// Whether any problem of at least warning severity was found.
    pub fn has_problems(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.kind.severity() >= super::problem::Severity::Warning)
    }
}

/// On-wire layout of a crc-mode frame, offsets relative to its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrcLayout {
    /// Range of each segment.
    pub segments: [Range<u64>; MAX_SEGMENTS],
    /// Range of the msgr2.1 first-segment CRC, when present.
    pub seg0_crc: Option<Range<u64>>,
    /// Range of the epilogue, when present.
    pub epilogue: Option<Range<u64>>,
    /// Total bytes on the wire.
    pub total: u64,
}

/// Compute the crc-mode layout of a frame from its preamble.
pub fn crc_layout(p: &Preamble, rev: Rev) -> CrcLayout {
    let mut at = preamble::LEN as u64;
    let mut segments: [Range<u64>; MAX_SEGMENTS] = [0..0, 0..0, 0..0, 0..0];
    let mut seg0_crc = None;
    for (i, r) in segments.iter_mut().enumerate() {
        let len = u64::from(p.seg_len(i));
        *r = at..at + len;
        at += len;
        if i == 0 && rev == Rev::V1 && len > 0 {
            seg0_crc = Some(at..at + CRC_LEN);
            at += CRC_LEN;
        }
    }
    let epilogue = match rev {
        Rev::V0 => Some(at..at + EPILOGUE_REV0_CRC),
        Rev::V1 if p.nseg() > 1 => Some(at..at + EPILOGUE_REV1_CRC),
        Rev::V1 => None,
    };
    let total = epilogue.as_ref().map_or(at, |e| e.end);
    CrcLayout {
        segments,
        seg0_crc,
        epilogue,
        total,
    }
}

fn le32(b: &[u8], at: u64) -> Option<u32> {
    let s = usize::try_from(at).ok()?;
    Some(u32::from_le_bytes(
        b.get(s..s.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn urange(r: &Range<u64>) -> Range<usize> {
    let s = usize::try_from(r.start).unwrap_or(usize::MAX);
    let e = usize::try_from(r.end).unwrap_or(usize::MAX);
    s..e
}

/// Verdict on one segment CRC.
pub fn crc_status(stored: u32, computed: u32) -> CheckStatus {
    if stored == computed {
        CheckStatus::Good
    } else if stored == 0 {
        CheckStatus::Absent
    } else {
        CheckStatus::Bad
    }
}

/// Interpret a late byte: (aborted, problem kind if invalid).
pub fn judge_late(rev: Rev, value: u8) -> (bool, Option<ProblemKind>) {
    match rev {
        Rev::V0 => {
            let aborted = value & LATE_FLAG_ABORTED != 0;
            let extra = value & !LATE_FLAG_ABORTED != 0;
            (aborted, extra.then_some(ProblemKind::LateReservedBits))
        }
        Rev::V1 => match value & LATE_STATUS_MASK {
            LATE_STATUS_COMPLETE => (
                false,
                (value & !LATE_STATUS_MASK != 0).then_some(ProblemKind::LateReservedBits),
            ),
            LATE_STATUS_ABORTED => (
                true,
                (value & !LATE_STATUS_MASK != 0).then_some(ProblemKind::LateReservedBits),
            ),
            _ => (false, Some(ProblemKind::LateStatusBad)),
        },
    }
}

/// Problems every preamble can show regardless of mode.
pub fn preamble_notes(p: &Preamble, offset: u64, problems: &mut Vec<Problem>) {
    if let Tag::Unknown(t) = p.tag {
        problems.push(
            Problem::new(ProblemKind::TagUnknown, offset, 1, "msgr2.preamble.tag")
                .values("a tag in 1..=22", t.to_string()),
        );
    }
    if p.reserved != 0 {
        problems.push(
            Problem::new(
                ProblemKind::ReservedNotZero,
                offset + 27,
                1,
                "msgr2.preamble.reserved",
            )
            .values("0", format!("{:#04x}", p.reserved)),
        );
    }
    if p.compressed() {
        problems.push(Problem::new(
            ProblemKind::Compressed,
            offset + 26,
            1,
            "msgr2.preamble.flags",
        ));
    }
}

/// Decode a complete crc-mode frame. `wire` holds exactly `layout.total`
/// bytes starting at stream `offset`; the preamble CRC has already matched.
pub fn decode_crc(p: Preamble, rev: Rev, offset: u64, wire: Bytes) -> Frame {
    let layout = crc_layout(&p, rev);
    let mut problems = Vec::new();
    preamble_notes(&p, offset, &mut problems);
    let mut checks = vec![Check {
        kind: CheckKind::Preamble,
        offset: offset + 28,
        stored: p.crc,
        computed: p.computed_crc,
        status: CheckStatus::Good,
    }];
    let seg_data = |i: usize| {
        layout
            .segments
            .get(i)
            .and_then(|r| wire.get(urange(r)))
            .unwrap_or(&[])
    };

    // Late byte first: an aborted frame's trailing CRCs are not meaningful.
    let late = layout.epilogue.as_ref().and_then(|e| {
        let value = *wire.get(urange(e).start)?;
        let (aborted, bad) = judge_late(rev, value);
        let field = match rev {
            Rev::V0 => "msgr2.epilogue.late_flags",
            Rev::V1 => "msgr2.epilogue.late_status",
        };
        if let Some(kind) = bad {
            let expected = match rev {
                Rev::V0 => "0x00 or 0x01",
                Rev::V1 => "low nibble 0xe (complete) or 0x1 (aborted)",
            };
            problems.push(
                Problem::new(kind, offset + e.start, 1, field)
                    .values(expected, format!("{value:#04x}")),
            );
        }
        Some(Late {
            value,
            offset: offset + e.start,
            aborted,
        })
    });
    let aborted = late.is_some_and(|l| l.aborted);

    // Where each segment's CRC is stored.
    let mut crc_at: [Option<u64>; MAX_SEGMENTS] = [None; MAX_SEGMENTS];
    match rev {
        Rev::V0 => {
            if let Some(e) = &layout.epilogue {
                for (i, slot) in crc_at.iter_mut().enumerate() {
                    *slot = Some(e.start + 1 + 4 * i as u64);
                }
            }
        }
        Rev::V1 => {
            crc_at[0] = layout.seg0_crc.as_ref().map(|r| r.start);
            if let Some(e) = &layout.epilogue {
                for (i, slot) in crc_at.iter_mut().enumerate().skip(1) {
                    *slot = Some(e.start + 1 + 4 * (i as u64 - 1));
                }
            }
        }
    }
    for (i, at) in crc_at.iter().enumerate() {
        let Some(at) = *at else { continue };
        let Some(stored) = le32(&wire, at) else {
            continue;
        };
        let used = i < p.nseg();
        let computed = if used { segment_crc(seg_data(i)) } else { 0 };
        let mut status = crc_status(stored, computed);
        // Segments after the first of an aborted frame were cut short.
        if aborted && i > 0 && status != CheckStatus::Good {
            status = CheckStatus::Unverified;
        }
        let field = "msgr2.segment.crc";
        match status {
            CheckStatus::Bad => problems.push(
                Problem::new(ProblemKind::SegmentCrcBad, offset + at, 4, field)
                    .values(format!("{computed:#010x}"), format!("{stored:#010x}")),
            ),
            CheckStatus::Absent => problems.push(
                Problem::new(ProblemKind::SegmentCrcAbsent, offset + at, 4, field)
                    .values(format!("{computed:#010x}"), "0x00000000"),
            ),
            _ => {}
        }
        checks.push(Check {
            kind: CheckKind::Segment(i as u8),
            offset: offset + at,
            stored,
            computed,
            status,
        });
    }
    if aborted {
        let at = late.map_or(offset, |l| l.offset);
        problems.push(Problem::new(
            ProblemKind::Aborted,
            at,
            1,
            "msgr2.epilogue.aborted",
        ));
    }
    problems.sort_by_key(|pr| pr.offset);
    let segments = layout.segments.clone().map(|r| urange(&r));
    let segment_offsets = layout.segments.clone().map(|r| offset + r.start);
    Frame {
        offset,
        wire_len: layout.total,
        rev,
        mode: super::frame::Mode::Crc,
        preamble: p,
        checks,
        late,
        problems,
        data: wire,
        segments,
        segment_offsets,
        decrypted: false,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::msgr2::preamble::{encode, SegmentDesc};

    fn pre(lens: &[u32]) -> Preamble {
        let segs: Vec<_> = lens
            .iter()
            .map(|&len| SegmentDesc { len, align: 8 })
            .collect();
        Preamble::parse(&encode(17, &segs, 0)).unwrap_or_else(|| unreachable!())
    }

    // RESEARCH.md A4 on-wire length table (test_frames_v2.cc round_trip_instances).
    #[test]
    fn onwire_lengths() {
        let cases: &[(&[u32], u64, u64)] = &[
            (&[0], 32 + 17, 32),
            (&[0, 0, 0, 303], 32 + 303 + 17, 32 + 303 + 13),
            (&[0, 101], 32 + 101 + 17, 32 + 101 + 13),
            (&[1], 32 + 1 + 17, 32 + 5),
            (&[48], 32 + 48 + 17, 32 + 52),
            (&[49], 32 + 49 + 17, 32 + 53),
            (
                &[49, 0, 202, 303],
                32 + 49 + 202 + 303 + 17,
                32 + 53 + 202 + 303 + 13,
            ),
        ];
        for (lens, rev0, rev1) in cases {
            let p = pre(lens);
            assert_eq!(crc_layout(&p, Rev::V0).total, *rev0, "{lens:?}");
            assert_eq!(crc_layout(&p, Rev::V1).total, *rev1, "{lens:?}");
        }
    }

    #[test]
    fn late_rules() {
        assert_eq!(judge_late(Rev::V1, 0x0e), (false, None));
        assert_eq!(judge_late(Rev::V1, 0x01), (true, None));
        assert_eq!(
            judge_late(Rev::V1, 0x1e),
            (false, Some(ProblemKind::LateReservedBits))
        );
        assert_eq!(
            judge_late(Rev::V1, 0x00),
            (false, Some(ProblemKind::LateStatusBad))
        );
        assert_eq!(
            judge_late(Rev::V1, 0x0f),
            (false, Some(ProblemKind::LateStatusBad))
        );
        assert_eq!(judge_late(Rev::V0, 0x00), (false, None));
        assert_eq!(judge_late(Rev::V0, 0x01), (true, None));
        assert_eq!(
            judge_late(Rev::V0, 0x02),
            (false, Some(ProblemKind::LateReservedBits))
        );
    }
}
