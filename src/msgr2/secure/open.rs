//! Opening one secure frame: every GCM operation of msgr2.1 (preamble +
//! inline, rest of segment 0, segments 1..3 + epilogue) or the single one of
//! msgr2.0, with the plaintext checks (preamble CRC, padding, epilogue).

use super::SecureStep;
use super::{pad16, secure_len, FIRST_OP_LEN, INLINE_SIZE};
use crate::msgr2::crypto::{GcmStream, TAG_LEN};
use crate::msgr2::decoder::Event;
use crate::msgr2::epilogue;
use crate::msgr2::frame::{self, Check, CheckKind, CheckStatus, Frame, Late, Mode, Rev};
use crate::msgr2::preamble::{self, preamble, Preamble, MAX_SEGMENTS};
use crate::msgr2::problem::{Problem, ProblemKind};
use bytes::Bytes;
use nom::bytes::streaming::take;

/// Decode one secure frame at the start of `buf`. Returns the step and,
/// when the frame's preamble cannot be trusted, the problem (the caller
/// then searches for the next frame).
pub(super) fn decode_frame(
    s: &mut GcmStream,
    base: u64,
    buf: &[u8],
    rev: Rev,
    max_seg: u32,
) -> (SecureStep, Option<Problem>) {
    let head_len = match rev {
        Rev::V1 => FIRST_OP_LEN,
        Rev::V0 => preamble::LEN,
    };
    // The first operation (msgr2.0: the preamble block) before anything.
    let Ok((_, first)) = take::<_, _, ()>(head_len)(buf) else {
        return (SecureStep::Needed, None);
    };
    // The preamble decrypts before its tag is checked: lengths first.
    let plain_pre = s.peek_keystream_decrypt(first.get(..preamble::LEN).unwrap_or(first));
    let Ok((_, p)) = preamble(&plain_pre) else {
        return (SecureStep::Needed, None);
    };
    if !p.crc_ok() {
        // The lengths cannot be trusted: the caller looks for the next frame.
        let pr = Problem::new(
            ProblemKind::PreambleCrcBad,
            base + 28,
            4,
            "msgr2.preamble.crc",
        )
        .values(
            format!("{:#010x}", p.computed_crc),
            format!("{:#010x} (decrypted)", p.crc),
        );
        return (SecureStep::Needed, Some(pr));
    }
    if let Err(e) = p.validate(max_seg) {
        let pr = Problem::new(
            ProblemKind::PreambleMalformed,
            base,
            preamble::LEN as u64,
            "msgr2.preamble",
        )
        .values("a plausible decrypted preamble", format!("{e:?}"));
        return (SecureStep::Needed, Some(pr));
    }
    let total = secure_len(&p, rev);
    let Ok((_, wire)) = take::<_, _, ()>(total)(buf) else {
        return (SecureStep::NeedFrame(total), None);
    };
    let first = s.nonce();
    let mut f = match rev {
        Rev::V1 => open_rev1(s, p, base, wire),
        Rev::V0 => open_rev0(s, p, base, wire),
    };
    f.nonce = Some(super::FrameNonce {
        nonce: first,
        steps: None,
    });
    (
        SecureStep::Consumed {
            len: total,
            event: Some(Event::Frame(Box::new(f))),
        },
        None,
    )
}

/// Open one operation, appending its plaintext to `out`; on a bad tag fall
/// back to the unverified keystream decryption so the frame can still be
/// shown, and record the check. Returns whether its tag verified.
fn open_to(
    s: &mut GcmStream,
    op: &[u8],
    (idx, at): (u8, u64),
    checks: &mut Vec<Check>,
    problems: &mut Vec<Problem>,
    out: &mut Vec<u8>,
) -> bool {
    let body = op.len().saturating_sub(TAG_LEN);
    let tag_at = at + body as u64;
    let status = match s.open_append(op, out) {
        Ok(()) => CheckStatus::Good,
        Err(e) => {
            out.extend(s.peek_keystream_decrypt(op.get(..body).unwrap_or(&[])));
            s.skip_op();
            problems.push(
                Problem::new(
                    ProblemKind::GcmTagBad,
                    tag_at,
                    TAG_LEN as u64,
                    "msgr2.secure.tag",
                )
                .values(
                    "a tag that verifies",
                    format!("tag mismatch (nonce {})", e.nonce),
                ),
            );
            CheckStatus::Bad
        }
    };
    checks.push(Check {
        kind: CheckKind::GcmTag(idx),
        offset: tag_at,
        stored: 0,
        computed: 0,
        status,
    });
    status == CheckStatus::Good
}

/// [`open_to`] into a buffer of its own: the plaintext and whether its tag
/// verified.
fn open_op(
    s: &mut GcmStream,
    op: &[u8],
    idx: u8,
    at: u64,
    checks: &mut Vec<Check>,
    problems: &mut Vec<Problem>,
) -> (Vec<u8>, bool) {
    let mut plain = Vec::with_capacity(op.len().saturating_sub(TAG_LEN));
    let ok = open_to(s, op, (idx, at), checks, problems, &mut plain);
    (plain, ok)
}

/// [`open_to`] into the frame's own buffer (large segments are decrypted
/// where they will stay): where the plaintext went, and whether its tag
/// verified.
fn open_op_into(
    s: &mut GcmStream,
    op: &[u8],
    (idx, at): (u8, u64),
    checks: &mut Vec<Check>,
    b: &mut Builder,
) -> (std::ops::Range<usize>, bool) {
    let start = b.data.len();
    let ok = open_to(s, op, (idx, at), checks, &mut b.problems, &mut b.data);
    (start..b.data.len(), ok)
}

fn check_zero(bytes: &[u8], at: u64, field: &'static str, problems: &mut Vec<Problem>) {
    if let Some(i) = bytes.iter().position(|b| *b != 0) {
        problems.push(
            Problem::new(
                ProblemKind::PaddingNotZero,
                at + i as u64,
                (bytes.len() - i) as u64,
                field,
            )
            .values(
                "zero bytes",
                format!("{:#04x}", bytes.get(i).copied().unwrap_or(0)),
            ),
        );
    }
}

struct Builder {
    data: Vec<u8>,
    segments: [std::ops::Range<usize>; MAX_SEGMENTS],
    offsets: [u64; MAX_SEGMENTS],
    /// Where segment 0's bytes past the inline part are (msgr2.1).
    seg0_rest: Option<u64>,
    problems: Vec<Problem>,
}

impl Builder {
    /// Segment `i` already in `data` at `start` (`len` bytes, then its
    /// padding up to `padded`), at wire offset `at`; the padding is judged
    /// only if the plaintext is `verified`.
    fn placed(
        &mut self,
        i: usize,
        (start, len, padded): (usize, usize, usize),
        at: u64,
        verified: bool,
    ) {
        let end = start.saturating_add(len).min(self.data.len());
        if let Some(r) = self.segments.get_mut(i) {
            *r = start.min(end)..end;
        }
        if let Some(o) = self.offsets.get_mut(i) {
            *o = at;
        }
        if verified {
            let pad_end = start.saturating_add(padded).min(self.data.len());
            check_zero(
                self.data.get(end..pad_end).unwrap_or(&[]),
                at + len as u64,
                "msgr2.secure.padding",
                &mut self.problems,
            );
        }
    }

    /// Append segment `i` from padded plaintext `padded` (wire offset `at`,
    /// its padding at `pad_at`); the padding is judged only if the
    /// plaintext is `verified` (a bad tag already says the bytes are wrong).
    fn segment(
        &mut self,
        i: usize,
        len: usize,
        padded: &[u8],
        (at, pad_at): (u64, u64),
        verified: bool,
    ) {
        let start = self.data.len();
        self.data
            .extend_from_slice(padded.get(..len).unwrap_or(padded));
        if let Some(r) = self.segments.get_mut(i) {
            *r = start..self.data.len();
        }
        if let Some(o) = self.offsets.get_mut(i) {
            *o = at;
        }
        if verified {
            check_zero(
                padded.get(len..).unwrap_or(&[]),
                pad_at,
                "msgr2.secure.padding",
                &mut self.problems,
            );
        }
    }
}

fn epilogue(
    rev: Rev,
    plain: &[u8],
    at: u64,
    verified: bool,
    problems: &mut Vec<Problem>,
) -> Option<Late> {
    let (_, e) = epilogue::secure(plain).ok()?;
    let value = e.late;
    let (aborted, bad) = frame::judge_late(rev, value);
    if let Some(kind) = bad {
        problems.push(
            Problem::new(kind, at, 1, "msgr2.epilogue.late_status")
                .values("0x0e or 0x01", format!("{value:#04x}")),
        );
    }
    if aborted {
        problems.push(Problem::new(
            ProblemKind::Aborted,
            at,
            1,
            "msgr2.epilogue.aborted",
        ));
    }
    if verified {
        check_zero(
            e.padding,
            at + epilogue::SECURE_PADDING.start as u64,
            "msgr2.epilogue.padding",
            problems,
        );
    }
    Some(Late {
        value,
        offset: at,
        aborted,
    })
}

fn finish(
    p: Preamble,
    rev: Rev,
    base: u64,
    total: usize,
    checks: Vec<Check>,
    b: Builder,
    late: Option<Late>,
) -> Frame {
    let mut problems = Vec::new();
    frame::preamble_notes(&p, base, &mut problems);
    problems.extend(b.problems);
    problems.sort_by_key(|pr| pr.offset);
    Frame {
        offset: base,
        wire_len: total as u64,
        rev,
        mode: Mode::Secure,
        preamble: p,
        checks,
        late,
        problems,
        data: Bytes::from(b.data),
        segments: b.segments,
        segment_offsets: b.offsets,
        seg0_rest_offset: b.seg0_rest,
        decrypted: true,
        nonce: None,
        compression: None,
        elided: None,
    }
}

fn preamble_check(p: &Preamble, base: u64) -> Check {
    Check {
        kind: CheckKind::Preamble,
        offset: base + 28,
        stored: p.crc,
        computed: p.computed_crc,
        status: CheckStatus::Good,
    }
}

/// A frame's plaintext, sized once: its segments' bytes are all in the
/// buffer already (the frame was taken whole), so the size is bounded by
/// bytes received.
fn new_builder(p: &Preamble) -> Builder {
    // Padded segments and the epilogue: what the operations decrypt to.
    let segs = (0..4)
        .map(|i| pad16(usize::try_from(p.seg_len(i)).unwrap_or(0)))
        .fold(INLINE_SIZE + 32, usize::saturating_add);
    let mut data = Vec::with_capacity(preamble::LEN.saturating_add(segs));
    data.extend_from_slice(&p.raw);
    Builder {
        data,
        segments: [0..0, 0..0, 0..0, 0..0],
        offsets: [0; MAX_SEGMENTS],
        seg0_rest: None,
        problems: Vec::new(),
    }
}

fn seg_len(p: &Preamble, i: usize) -> usize {
    usize::try_from(p.seg_len(i)).unwrap_or(usize::MAX)
}

fn open_rev1(s: &mut GcmStream, p: Preamble, base: u64, wire: &[u8]) -> Frame {
    let mut checks = vec![preamble_check(&p, base)];
    let mut b = new_builder(&p);
    let op1 = wire.get(..FIRST_OP_LEN).unwrap_or(&[]);
    let (plain1, ok1) = open_op(s, op1, 0, base, &mut checks, &mut b.problems);
    // Segment 0: inline part, then the rest in its own operation.
    let s0 = seg_len(&p, 0);
    let s0p = pad16(s0);
    let mut seg0 = plain1.get(preamble::LEN..).unwrap_or(&[]).to_vec();
    let mut at = FIRST_OP_LEN;
    let mut ok0 = ok1;
    let seg0_at = base + preamble::LEN as u64;
    // Padding of segment 0 follows its last byte: in the preamble block,
    // or in the second operation when segment 0 is longer than the inline part.
    let mut pad_at = seg0_at + s0 as u64;
    if s0p > INLINE_SIZE {
        b.seg0_rest = Some(base + FIRST_OP_LEN as u64);
        pad_at = base + FIRST_OP_LEN as u64 + (s0 - INLINE_SIZE) as u64;
        let n = s0p - INLINE_SIZE + TAG_LEN;
        let op2 = wire.get(at..at + n).unwrap_or(&[]);
        let (plain2, ok2) = open_op(s, op2, 1, base + at as u64, &mut checks, &mut b.problems);
        seg0.extend(plain2);
        ok0 &= ok2;
        at += n;
    }
    b.segment(
        0,
        s0,
        seg0.get(..s0p.max(INLINE_SIZE)).unwrap_or(&seg0),
        (seg0_at, pad_at),
        ok0,
    );
    let mut late = None;
    if p.nseg() > 1 {
        // Segments 1..3 and the epilogue: decrypted into the frame's
        // buffer, each segment where it lies in the padded plaintext.
        let op3 = wire.get(at..).unwrap_or(&[]);
        let (r3, ok3) = open_op_into(s, op3, (2, base + at as u64), &mut checks, &mut b);
        let mut off = 0usize;
        for i in 1..MAX_SEGMENTS {
            let len = seg_len(&p, i);
            let seg_at = base + (at + off) as u64;
            b.placed(i, (r3.start + off, len, pad16(len)), seg_at, ok3);
            off += pad16(len);
        }
        let epi_at = base + (at + off) as u64;
        let epi = b.data.get(r3.start + off..r3.end).unwrap_or(&[]).to_vec();
        late = epilogue(Rev::V1, &epi, epi_at, ok3, &mut b.problems);
    }
    finish(p, Rev::V1, base, wire.len(), checks, b, late)
}

fn open_rev0(s: &mut GcmStream, p: Preamble, base: u64, wire: &[u8]) -> Frame {
    let mut checks = vec![preamble_check(&p, base)];
    let mut b = new_builder(&p);
    // One operation holds the preamble, the padded segments and the
    // epilogue: decrypted into the frame's buffer, whose first bytes are
    // the preamble already.
    b.data.clear();
    let (r, ok) = open_op_into(s, wire, (0, base), &mut checks, &mut b);
    s.end_frame();
    let mut off = preamble::LEN;
    for i in 0..MAX_SEGMENTS {
        let len = seg_len(&p, i);
        b.placed(i, (r.start + off, len, pad16(len)), base + off as u64, ok);
        off += pad16(len);
    }
    let epi = b.data.get(r.start + off..r.end).unwrap_or(&[]).to_vec();
    let late = epilogue(Rev::V0, &epi, base + off as u64, ok, &mut b.problems);
    finish(p, Rev::V0, base, wire.len(), checks, b, late)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::msgr2::crypto::{Nonce, NonceFormat};
    use crate::msgr2::encoder::FrameSpec;

    /// A msgr2.1 secure frame whose segment 0 (50 bytes) is longer than
    /// the inline part: bytes 48.. travel after the preamble block's tag
    /// (frames_v2.cc), and so does their padding.
    #[test]
    fn segment_0_past_the_inline_part_is_placed_after_the_first_tag() {
        let key = [3u8; 16];
        let nonce = Nonce::from_parts(5, 9);
        let payload: Vec<u8> = (0..50).collect();
        let pre = FrameSpec::control(17, &payload).preamble();
        let mut tx = GcmStream::new(&key, nonce, NonceFormat::Rev1);
        let mut op1 = pre.to_vec();
        op1.extend_from_slice(&payload[..INLINE_SIZE]);
        let mut wire = tx.seal(&op1);
        // Bytes 48 and 49, then 14 bytes of padding, one of them not zero.
        let mut rest = payload[INLINE_SIZE..].to_vec();
        rest.resize(16, 0);
        rest[5] = 0xaa;
        wire.extend(tx.seal(&rest));
        assert_eq!(wire.len(), FIRST_OP_LEN + 16 + TAG_LEN);
        let base = 1000u64;
        let mut rx = GcmStream::new(&key, nonce, NonceFormat::Rev1);
        let (step, _) = decode_frame(&mut rx, base, &wire, Rev::V1, 1 << 20);
        let SecureStep::Consumed {
            event: Some(crate::msgr2::Event::Frame(f)),
            ..
        } = step
        else {
            panic!("{step:?}")
        };
        assert_eq!(f.segment(0), Some(&payload[..]));
        // Byte 10 is inline; byte 49 is the second byte after the tag
        // (`data` holds the preamble first).
        let s0 = f.segments[0].start;
        let first_op = base + FIRST_OP_LEN as u64;
        assert_eq!(f.segment_stream_offset(0, s0 + 10), Some(base + 32 + 10));
        assert_eq!(f.segment_stream_offset(0, s0 + 49), Some(first_op + 1));
        assert_eq!(f.stream_offset(s0 + 49), first_op + 1);
        // Just past the last byte.
        assert_eq!(f.segment_stream_offset(0, s0 + 50), Some(first_op + 2));
        // The padding byte 0xaa: 5 bytes into the second operation.
        let pad: Vec<_> = f
            .problems
            .iter()
            .filter(|p| p.field == "msgr2.secure.padding")
            .collect();
        assert_eq!(pad.len(), 1, "{:?}", f.problems);
        assert_eq!(pad[0].offset, first_op + 5);
    }
}
