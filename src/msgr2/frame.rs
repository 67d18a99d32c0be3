//! Frames in crc mode: layout arithmetic and every check (frames_v2.cc
//! `asm_crc_rev0/rev1`; RESEARCH.md A4, A5):
//! ```text
//! msgr2.0 crc: preamble(32) | S0 | S1 | S2 | S3 | late_flags(1) crc0..crc3(16)
//! msgr2.1 crc: preamble(32) | S0 | crc0(4) if S0>0 | S1 | S2 | S3
//!              | late_status(1) crc1..crc3(12)   only if nseg > 1
//! ```
//! Segment CRCs use seed 0xFFFFFFFF; an unused segment's CRC is 0.

use super::crc::segment_crc_split;
use super::epilogue::{self, CrcEpilogue};
use super::preamble::{self, Preamble, MAX_SEGMENTS};
use super::problem::{Problem, ProblemKind};
use super::Tag;
use bytes::Bytes;
use nom::bytes::{complete, streaming::take};
use nom::number::complete::le_u32;
use nom::IResult;
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
pub const EPILOGUE_REV0_CRC: u64 = epilogue::REV0_LEN as u64;
/// msgr2.1 crc epilogue: late_status + 3 crcs.
pub const EPILOGUE_REV1_CRC: u64 = epilogue::REV1_LEN as u64;
/// Size of one CRC field.
pub const CRC_LEN: u64 = epilogue::CRC_LEN as u64;

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
    /// msgr2.1 secure: stream offset of segment 0's bytes past the first
    /// [`INLINE_SIZE`](super::secure::INLINE_SIZE) (their own GCM operation).
    pub seg0_rest_offset: Option<u64>,
    /// Whether `data` is decrypted plaintext rather than wire bytes.
    pub decrypted: bool,
    /// Secure mode: the nonce of the frame's first GCM operation.
    pub nonce: Option<super::secure::FrameNonce>,
    /// A compressed frame's method and result (`data`: the segments decompressed).
    pub compression: Option<Box<super::compress::Compression>>,
    /// Bytes of `data` (inside the data segment) whose CRC was checked as
    /// they arrived but that were not kept: they read as zeros. Only when
    /// the decoder was told that no view shows a data segment's bytes
    /// ([`DecoderConfig::elide_data`](super::DecoderConfig::elide_data)).
    pub elided: Option<Range<usize>>,
}

impl Frame {
    /// The tag.
    pub fn tag(&self) -> Tag {
        self.preamble.tag
    }

    /// Segment `i`'s payload bytes, if present in full: `None` for a
    /// compressed frame not decompressed (its bytes mean nothing as they are).
    pub fn segment(&self, i: usize) -> Option<&[u8]> {
        if self.preamble.compressed() && !self.decompressed() {
            return None;
        }
        self.segment_bytes(i)
    }

    /// Segment `i`'s bytes in `data` as they are (compressed or not), if
    /// present in full.
    pub fn segment_bytes(&self, i: usize) -> Option<&[u8]> {
        self.data.get(self.segments.get(i)?.clone())
    }

    /// Whether `data` holds decompressed segments.
    pub fn decompressed(&self) -> bool {
        self.compression.as_ref().is_some_and(|c| c.decompressed)
    }

    /// Which bytes `data` holds: wire, decrypted or decompressed.
    pub fn source(&self) -> crate::model::Source {
        if self.decompressed() {
            crate::model::Source::Decompressed
        } else if self.decrypted {
            crate::model::Source::Decrypted
        } else {
            crate::model::Source::Wire
        }
    }

    /// Logical segment lengths: the preamble's, or for a decompressed
    /// frame the decompressed ones (the message sizes Ceph logs).
    pub fn segment_lens(&self) -> [u32; MAX_SEGMENTS] {
        if self.decompressed() {
            return [0, 1, 2, 3].map(|i| {
                self.segments
                    .get(i)
                    .map_or(0, |r| u32::try_from(r.len()).unwrap_or(u32::MAX))
            });
        }
        [0, 1, 2, 3].map(|i| self.preamble.seg_len(i))
    }

    /// Whether the sender aborted the frame.
    pub fn aborted(&self) -> bool {
        self.late.is_some_and(|l| l.aborted)
    }

    /// Stream offset of byte `at` of `data` read as part of segment `seg`
    /// (its bytes, or just past its last byte, or its start when empty);
    /// `None` when `at` is outside that segment. In secure mode segments
    /// lie back to back in `data` but padded on the wire, so the end of
    /// one and the start of the next are different places.
    pub fn segment_stream_offset(&self, seg: usize, at: usize) -> Option<u64> {
        let r = self.segments.get(seg)?;
        let off = *self.segment_offsets.get(seg)?;
        if at < r.start || at > r.end {
            return None;
        }
        // Decompressed bytes have no place of their own on the wire: their
        // segment's first byte stands for them.
        if self.decompressed() {
            return Some(off);
        }
        let into = at - r.start;
        let inline = super::secure::INLINE_SIZE;
        // frames_v2.cc: FRAME_PREAMBLE_INLINE_SIZE bytes of segment 0 ride
        // in the preamble's block; the rest follow its tag.
        let placed = match (seg, self.seg0_rest_offset) {
            (0, Some(rest)) if into >= inline && r.len() > inline => {
                rest.saturating_add(u64::try_from(into - inline).unwrap_or(0))
            }
            _ => off.saturating_add(u64::try_from(into).unwrap_or(0)),
        };
        Some(placed)
    }

    /// Stream offset of byte `at` of `data`: segment bytes map to their
    /// place on the wire (secure mode: in the ciphertext, where GCM keeps
    /// each byte's place).
    pub fn stream_offset(&self, at: usize) -> u64 {
        let placed = || self.segments.iter().zip(self.segment_offsets);
        let index = placed().enumerate().find(|(_, (r, _))| r.contains(&at));
        if let (Some((_, (_, off))), true) = (&index, self.decompressed()) {
            return *off;
        }
        if let Some((i, (r, off))) = index {
            let into = at.saturating_sub(r.start);
            // frames_v2.cc: FRAME_PREAMBLE_INLINE_SIZE bytes of segment 0
            // ride in the preamble's block; the rest follow its tag.
            let inline = super::secure::INLINE_SIZE;
            if let (0, Some(rest), true) = (i, self.seg0_rest_offset, into >= inline) {
                return rest.saturating_add(u64::try_from(into - inline).unwrap_or(0));
            }
            return off.saturating_add(u64::try_from(into).unwrap_or(0));
        }
        // An empty segment still has a place on the wire: a fault at its start.
        if let Some((_, off)) =
            placed().find(|(r, off)| r.is_empty() && r.start == at && *off > self.offset)
        {
            return off;
        }
        // Past the last byte of a segment (a fault at its very end).
        let end = |(i, (r, off)): (usize, (&Range<usize>, u64))| {
            // Decompressed: the segment's first byte on the wire stands for it.
            if self.decompressed() {
                return off;
            }
            let len = r.len();
            match (i, self.seg0_rest_offset) {
                (0, Some(rest)) if len > super::secure::INLINE_SIZE => rest
                    .saturating_add(u64::try_from(len - super::secure::INLINE_SIZE).unwrap_or(0)),
                _ => off.saturating_add(u64::try_from(len).unwrap_or(0)),
            }
        };
        placed()
            .enumerate()
            .filter(|(_, (r, _))| r.end <= at && !r.is_empty())
            .map(end)
            .max()
            .unwrap_or(self.offset)
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

/// Verdict on one segment CRC.
pub fn crc_status(stored: u32, computed: u32) -> CheckStatus {
    match (stored == computed, stored) {
        (true, _) => CheckStatus::Good,
        (false, 0) => CheckStatus::Absent,
        (false, _) => CheckStatus::Bad,
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

/// A crc-mode frame's pieces, positions relative to its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrcParts {
    /// Range of each segment (empty for unused segments).
    pub segments: [Range<usize>; MAX_SEGMENTS],
    /// msgr2.1: where segment 0's CRC is and its value (segment 0 not empty).
    pub seg0_crc: Option<(usize, u32)>,
    /// Where the epilogue is and what it holds, when the frame has one.
    pub epilogue: Option<(usize, CrcEpilogue)>,
    /// Bytes on the wire.
    pub total: usize,
    /// Large segments' CRCs computed half on a second thread.
    pub split: bool,
    /// Every segment's CRC, computed as the frame arrived.
    pub crcs: Option<[u32; MAX_SEGMENTS]>,
    /// Bytes of the data segment checked as they arrived but not kept
    /// (see [`Frame::elided`]).
    pub elided: Option<Range<usize>>,
}

impl CrcParts {
    /// Where segment `i`'s CRC is stored and its value, if the frame has one.
    pub fn stored_crc(&self, rev: Rev, i: usize) -> Option<(usize, u32)> {
        if rev == Rev::V1 && i == 0 {
            return self.seg0_crc;
        }
        let (at, e) = self.epilogue.as_ref()?;
        let r = epilogue::crc_range(rev, i)?;
        Some((at.checked_add(r.start)?, (*e.crcs.get(i)?)?))
    }
}

/// The crc-mode frame at the start of `i`, laid out as its (checked)
/// preamble `p` says (nom, streaming): until the whole frame is there,
/// `Incomplete` asks for the bytes missing. Then, in wire order: the
/// preamble, each segment, segment 0's CRC (msgr2.1, when not empty), the
/// epilogue (msgr2.0 always; msgr2.1 when nseg > 1).
pub fn crc_frame<'a>(p: &Preamble, rev: Rev) -> impl Fn(&'a [u8]) -> IResult<&'a [u8], CrcParts> {
    let lens = [0, 1, 2, 3].map(|k| usize::try_from(p.seg_len(k)).unwrap_or(usize::MAX));
    let has_epilogue = rev == Rev::V0 || p.nseg() > 1;
    let total = usize::try_from(crc_layout(p, rev).total).unwrap_or(usize::MAX);
    move |i: &'a [u8]| {
        let (rest, frame) = take(total)(i)?;
        let pos = |r: &[u8]| frame.len().saturating_sub(r.len());
        let (mut r, _) = complete::take(preamble::LEN)(frame)?;
        let mut segments: [Range<usize>; MAX_SEGMENTS] = [0..0, 0..0, 0..0, 0..0];
        let mut seg0_crc = None;
        for (k, (range, len)) in segments.iter_mut().zip(lens).enumerate() {
            let start = pos(r);
            (r, _) = complete::take(len)(r)?;
            *range = start..pos(r);
            if k == 0 && rev == Rev::V1 && len > 0 {
                let at = pos(r);
                let (after, crc) = le_u32(r)?;
                seg0_crc = Some((at, crc));
                r = after;
            }
        }
        let epilogue = if has_epilogue {
            let at = pos(r);
            let (_, e) = epilogue::crc(rev)(r)?;
            Some((at, e))
        } else {
            None
        };
        Ok((
            rest,
            CrcParts {
                segments,
                seg0_crc,
                epilogue,
                total,
                split: false,
                crcs: None,
                elided: None,
            },
        ))
    }
}

/// Decode a complete crc-mode frame: `parts` is what [`crc_frame`] found
/// in `wire`, the frame's bytes from stream `offset`; the preamble CRC has
/// already matched.
pub fn decode_crc(p: Preamble, rev: Rev, offset: u64, parts: &CrcParts, wire: Bytes) -> Frame {
    let at = |pos: usize| offset + pos as u64;
    let mut problems = Vec::new();
    preamble_notes(&p, offset, &mut problems);
    let mut checks = vec![Check {
        kind: CheckKind::Preamble,
        offset: offset + preamble::CRC.start as u64,
        stored: p.crc,
        computed: p.computed_crc,
        status: CheckStatus::Good,
    }];
    // A segment's CRC: folded in as the frame came, or computed now.
    let crc_of = |i: usize| match (parts.crcs.as_ref(), parts.segments.get(i)) {
        (Some(c), _) => c.get(i).copied().unwrap_or_default(),
        (None, r) => segment_crc_split(
            r.and_then(|r| wire.get(r.clone())).unwrap_or_default(),
            parts.split,
        ),
    };
    // Late byte first: an aborted frame's trailing CRCs are not meaningful.
    let late = parts.epilogue.as_ref().map(|(e_at, e)| {
        let value = e.late;
        let late_at = at(e_at + epilogue::LATE);
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
                Problem::new(kind, late_at, 1, field).values(expected, format!("{value:#04x}")),
            );
        }
        Late {
            value,
            offset: late_at,
            aborted,
        }
    });
    let aborted = late.is_some_and(|l| l.aborted);

    for i in 0..MAX_SEGMENTS {
        let Some((pos, stored)) = parts.stored_crc(rev, i) else {
            continue;
        };
        let used = i < p.nseg();
        let computed = if used { crc_of(i) } else { 0 };
        let mut status = crc_status(stored, computed);
        // Segments after the first of an aborted frame were cut short.
        if aborted && i > 0 && status != CheckStatus::Good {
            status = CheckStatus::Unverified;
        }
        let field = "msgr2.segment.crc";
        let len = epilogue::CRC_LEN as u64;
        match status {
            CheckStatus::Bad => problems.push(
                Problem::new(ProblemKind::SegmentCrcBad, at(pos), len, field)
                    .values(format!("{computed:#010x}"), format!("{stored:#010x}")),
            ),
            CheckStatus::Absent => problems.push(
                Problem::new(ProblemKind::SegmentCrcAbsent, at(pos), len, field)
                    .values(format!("{computed:#010x}"), "0x00000000"),
            ),
            _ => {}
        }
        checks.push(Check {
            kind: CheckKind::Segment(i as u8),
            offset: at(pos),
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
    let segment_offsets = parts.segments.clone().map(|r| at(r.start));
    Frame {
        offset,
        wire_len: parts.total as u64,
        rev,
        mode: super::frame::Mode::Crc,
        preamble: p,
        checks,
        late,
        problems,
        data: wire,
        segments: parts.segments.clone(),
        segment_offsets,
        seg0_rest_offset: None,
        decrypted: false,
        nonce: None,
        compression: None,
        elided: parts.elided.clone(),
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
