//! Resynchronisation and partial frames: how the decoder judges a
//! candidate preamble while hunting, what it reports for skipped bytes, how
//! it guesses the revision of a connection whose banners were not captured,
//! and how it shows a frame cut short by a gap or the end of the capture.

use super::decoder::CON_MODE_SECURE;
use super::frame::{self, crc_layout, CheckKind, CheckStatus, Frame, Mode, Rev};
use super::preamble::{self, Preamble, PreambleProblem};
use super::problem::{Problem, ProblemKind};

/// Whether a preamble found while hunting is believable.
pub(crate) fn plausible(p: &Preamble, max_seg: u32) -> bool {
    p.crc_ok()
        && p.validate(max_seg).is_ok()
        && p.tag.known_name().is_some()
        && p.reserved == 0
        && p.segments
            .iter()
            .take(p.nseg())
            .all(|s| s.align.is_power_of_two() || s.align == 0)
}

pub(crate) fn hunt_problem(since: u64, end: u64, problem: Option<Problem>) -> Option<Problem> {
    let len = end.saturating_sub(since);
    match problem {
        Some(mut p) => {
            // The problem names its field; the stretch runs from `since`.
            p.len = p.len.max(end.saturating_sub(p.offset));
            Some(p)
        }
        None if len > 0 => Some(
            Problem::new(ProblemKind::Undecoded, since, len, "msgr2.frame").values(
                "a frame preamble whose CRC checks",
                "none in these bytes (the rest of a frame cut by lost bytes?)",
            ),
        ),
        None => None,
    }
}

/// Buffered bytes a direction leaves unfinished: `kind` says why
/// (incomplete before lost bytes, truncated at the end of the capture).
pub(crate) fn unfinished(kind: ProblemKind, offset: u64, len: u64, field: &'static str) -> Problem {
    let why = match kind {
        ProblemKind::Incomplete => "then bytes lost by the capture",
        ProblemKind::Truncated => "then the capture ends",
        _ => "then nothing more",
    };
    Problem::new(kind, offset, len, field).values(
        if field == "msgr2.banner" {
            "a whole banner"
        } else {
            "a whole frame"
        },
        format!("{len} bytes, {why}"),
    )
}

pub(crate) fn preamble_problem(e: PreambleProblem, base: u64, max_seg: u32) -> Problem {
    match e {
        PreambleProblem::BadSegmentCount(n) => Problem::new(
            ProblemKind::PreambleMalformed,
            base + 1,
            1,
            "msgr2.preamble.num_segments",
        )
        .values("1..=4", n.to_string()),
        PreambleProblem::UnusedSegmentNotZero(i) => Problem::new(
            ProblemKind::PreambleMalformed,
            base + preamble::seg_len_range(i).start as u64,
            6,
            "msgr2.preamble.segment",
        )
        .values("0 (unused segment)", "non-zero"),
        PreambleProblem::LastSegmentEmpty => Problem::new(
            ProblemKind::PreambleMalformed,
            base + 2,
            24,
            "msgr2.preamble.segment.len",
        )
        .values("last listed segment non-empty", "0"),
        PreambleProblem::SegmentTooLong(i, len) => Problem::new(
            ProblemKind::SegmentTooLong,
            base + preamble::seg_len_range(i).start as u64,
            4,
            "msgr2.preamble.segment.len",
        )
        .values(format!("<= {max_seg}"), len.to_string()),
    }
}

/// Which revision makes the buffered frame's CRCs check; `None` until the
/// bytes decide (or, when `force`, the best guess).
pub(crate) fn probe_rev(p: &Preamble, buf: &[u8], force: bool) -> Option<Rev> {
    let mut fits = Vec::new();
    for rev in [Rev::V1, Rev::V0] {
        // Not all of the frame there yet under this revision's layout.
        let Ok((_, parts)) = frame::crc_frame(p, rev)(buf) else {
            continue;
        };
        let bytes = buf.get(..parts.total).unwrap_or(&[]);
        let f = frame::decode_crc(*p, rev, 0, &parts, bytes::Bytes::copy_from_slice(bytes));
        let segs_ok = f
            .checks
            .iter()
            .filter(|c| matches!(c.kind, CheckKind::Segment(_)))
            .all(|c| c.status == CheckStatus::Good);
        if segs_ok
            && f.problems
                .iter()
                .all(|pr| pr.kind != ProblemKind::LateStatusBad)
        {
            fits.push(rev);
        }
    }
    match fits.as_slice() {
        [only] => Some(*only),
        [first, ..] if force => Some(*first),
        _ if force => Some(Rev::V1),
        _ => None,
    }
}

/// AUTH_DONE payload: le64 global_id, le32 con_mode (frames_v2.h AuthDoneFrame).
pub(crate) fn auth_done_secure(f: &Frame) -> bool {
    f.segment(0)
        .and_then(|s| s.get(8..12))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        == Some(CON_MODE_SECURE)
}

/// A frame whose preamble is known but whose bytes stop early.
pub(crate) fn partial_frame(
    p: Preamble,
    rev: Rev,
    offset: u64,
    data: bytes::Bytes,
    kind: ProblemKind,
) -> Frame {
    let layout = crc_layout(&p, rev);
    let have = data.len() as u64;
    let mut problems = Vec::new();
    frame::preamble_notes(&p, offset, &mut problems);
    problems.push(
        Problem::new(
            kind,
            offset + have,
            layout.total.saturating_sub(have),
            "msgr2.frame",
        )
        .values(format!("{} bytes", layout.total), format!("{have} bytes")),
    );
    let clip = |r: &std::ops::Range<u64>| {
        let s = usize::try_from(r.start.min(have)).unwrap_or(0);
        let e = usize::try_from(r.end.min(have)).unwrap_or(0);
        s..e
    };
    Frame {
        offset,
        wire_len: have,
        rev,
        mode: Mode::Crc,
        preamble: p,
        checks: vec![frame::Check {
            kind: CheckKind::Preamble,
            offset: offset + 28,
            stored: p.crc,
            computed: p.computed_crc,
            status: CheckStatus::Good,
        }],
        late: None,
        problems,
        data,
        segments: layout.segments.clone().map(|r| clip(&r)),
        segment_offsets: layout.segments.map(|r| offset + r.start),
        seg0_rest_offset: None,
        decrypted: false,
        nonce: None,
        compression: None,
        elided: None,
    }
}
