//! Secure-mode frames of one direction (frames_v2.cc
//! `asm/disasm_secure_rev0/rev1`; RESEARCH.md A4, A7):
//!
//! ```text
//! msgr2.1: GCM(preamble 32 | first 48 bytes of pad16(S0)) | tag      = 96 bytes
//!          [GCM(rest of pad16(S0)) | tag]                 if pad16(S0) > 48
//!          [GCM(pad16(S1) | pad16(S2) | pad16(S3) | epilogue 16) | tag]  if nseg > 1
//! msgr2.0: GCM(preamble 32 | pad16(S0..S3) | epilogue 16) | tag    one operation
//! ```
//!
//! The epilogue is `late_status`/`late_flags` followed by 15 zero bytes.
//! Padding is zeros. Every operation is checked with its own tag; the
//! preamble CRC is checked on the plaintext too.
//!
//! Keys: a direction is given candidate (key, initial nonce) pairs; the
//! first secure operation's tag verifies for exactly the right one. With
//! none, the direction is reported once as "encrypted, no key".

use super::crypto::{GcmStream, Nonce, NonceFormat, BLOCK, KEY_LEN, TAG_LEN};
use super::decoder::Event;
use super::frame::{self, Check, CheckKind, CheckStatus, Frame, Late, Mode, Rev};
use super::preamble::{self, Preamble, MAX_SEGMENTS};
use super::problem::{Problem, ProblemKind};
use bytes::Bytes;

/// Bytes of segment 0 carried in the first operation (frames_v2.h
/// FRAME_PREAMBLE_INLINE_SIZE).
pub const INLINE_SIZE: usize = 48;
/// Secure epilogue: late byte + 15 zero bytes.
pub const EPILOGUE_LEN: usize = 16;
/// First operation on the wire (msgr2.1).
pub const FIRST_OP_LEN: usize = preamble::LEN + INLINE_SIZE + TAG_LEN;

/// A key and initial nonce that may open a direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCandidate {
    /// AES-128 key.
    pub key: [u8; KEY_LEN],
    /// Nonce of the direction's first secure operation.
    pub nonce: Nonce,
    /// Where it came from (e.g. `keys.txt:12`), for reports.
    pub origin: String,
}

/// What one secure step did.
#[derive(Debug)]
pub enum SecureStep {
    /// More bytes are needed.
    Needed,
    /// `len` bytes were consumed, maybe producing an event.
    Consumed {
        /// Bytes consumed from the buffer.
        len: usize,
        /// What they were.
        event: Option<Event>,
    },
}

#[derive(Debug, Default)]
enum State {
    /// Not in secure mode.
    #[default]
    Off,
    /// Waiting for the first operation to find the key.
    Trial,
    /// Decrypting.
    Active(Box<GcmStream>),
    /// No key opens this direction: bytes since `since` are pending.
    NoKey { since: u64 },
    /// The stream can no longer be followed since `since`.
    Lost { since: u64, why: String },
}

/// Secure-mode decoding state of one direction.
#[derive(Debug, Default)]
pub struct SecureDir {
    candidates: Vec<KeyCandidate>,
    state: State,
    rev: Option<Rev>,
    /// The candidate that opened the direction.
    matched: Option<KeyCandidate>,
}

/// Round up to the AES block size.
pub fn pad16(n: usize) -> usize {
    n.div_ceil(BLOCK).saturating_mul(BLOCK)
}

/// Secure on-wire length of a frame from its (decrypted) preamble.
pub fn secure_len(p: &Preamble, rev: Rev) -> usize {
    let seg = |i: usize| pad16(usize::try_from(p.seg_len(i)).unwrap_or(usize::MAX));
    match rev {
        Rev::V1 => {
            let s0 = seg(0);
            let rest0 = if s0 > INLINE_SIZE {
                s0 - INLINE_SIZE + TAG_LEN
            } else {
                0
            };
            let tail = if p.nseg() > 1 {
                seg(1) + seg(2) + seg(3) + EPILOGUE_LEN + TAG_LEN
            } else {
                0
            };
            FIRST_OP_LEN + rest0 + tail
        }
        Rev::V0 => preamble::LEN + seg(0) + seg(1) + seg(2) + seg(3) + EPILOGUE_LEN + TAG_LEN,
    }
}

impl SecureDir {
    /// Give the direction the keys that may open it.
    pub fn set_candidates(&mut self, candidates: Vec<KeyCandidate>) {
        self.candidates = candidates;
    }

    /// The key that opened the direction, once found.
    pub fn matched(&self) -> Option<&KeyCandidate> {
        self.matched.as_ref()
    }

    /// Whether the direction is in secure mode without a key.
    pub fn no_key(&self) -> bool {
        matches!(self.state, State::NoKey { .. })
    }

    /// The direction switched to secure mode at stream offset `at`.
    pub fn start(&mut self, at: u64, rev: Rev) {
        self.rev = Some(rev);
        self.state = if self.candidates.is_empty() {
            State::NoKey { since: at }
        } else {
            State::Trial
        };
    }

    /// Bytes were lost at `offset`: the nonce sequence cannot be followed.
    pub fn lost_sync(&mut self, offset: u64) {
        match self.state {
            State::NoKey { .. } | State::Lost { .. } | State::Off => {}
            _ => {
                self.state = State::Lost {
                    since: offset,
                    why: "bytes lost by the capture".into(),
                };
            }
        }
    }

    /// Decode from `buf` (stream offset `base`).
    pub fn step(&mut self, base: u64, buf: &[u8], max_seg: u32) -> SecureStep {
        let rev = self.rev.unwrap_or(Rev::V1);
        match &mut self.state {
            State::Off => SecureStep::Needed,
            State::NoKey { .. } | State::Lost { .. } => {
                if buf.is_empty() {
                    SecureStep::Needed
                } else {
                    SecureStep::Consumed {
                        len: buf.len(),
                        event: None,
                    }
                }
            }
            State::Trial => self.trial(base, buf, rev, max_seg),
            State::Active(stream) => {
                let (step, lost) = decode_frame(stream, base, buf, rev, max_seg);
                if let Some(why) = lost {
                    self.state = State::Lost { since: base, why };
                }
                step
            }
        }
    }

    /// Find the candidate whose first operation verifies.
    fn trial(&mut self, base: u64, buf: &[u8], rev: Rev, max_seg: u32) -> SecureStep {
        let format = NonceFormat::for_revision(rev == Rev::V1);
        let mut undecided = false;
        let mut found = None;
        for c in &self.candidates {
            let mut s = GcmStream::new(&c.key, c.nonce, format);
            let op = match rev {
                Rev::V1 => buf.get(..FIRST_OP_LEN),
                Rev::V0 => {
                    let Some(head) = buf.get(..preamble::LEN) else {
                        undecided = true;
                        continue;
                    };
                    let plain = s.peek_keystream_decrypt(head);
                    match Preamble::parse(&plain) {
                        Some(p) if p.crc_ok() && p.validate(max_seg).is_ok() => {
                            let n = secure_len(&p, rev);
                            if buf.len() < n {
                                undecided = true;
                            }
                            buf.get(..n)
                        }
                        _ => continue,
                    }
                }
            };
            let Some(op) = op else {
                undecided = true;
                continue;
            };
            if s.open(op).is_ok() {
                found = Some(c.clone());
                break;
            }
        }
        match found {
            Some(c) => {
                self.state = State::Active(Box::new(GcmStream::new(&c.key, c.nonce, format)));
                self.matched = Some(c);
                SecureStep::Consumed {
                    len: 0,
                    event: None,
                }
            }
            None if undecided => SecureStep::Needed,
            None => {
                self.state = State::NoKey { since: base };
                SecureStep::Consumed {
                    len: 0,
                    event: None,
                }
            }
        }
    }

    /// Report what is pending (end of stream or a gap).
    pub fn flush(&mut self, base: u64, buf: &[u8], kind: ProblemKind) -> Option<Event> {
        let end = base + buf.len() as u64;
        match std::mem::take(&mut self.state) {
            State::NoKey { since } => {
                self.state = State::NoKey { since: end };
                (end > since).then(|| {
                    Event::Undecoded(
                        Problem::new(ProblemKind::NoKey, since, end - since, "msgr2.secure")
                            .values("a key that opens this direction", "none of the keys given"),
                    )
                })
            }
            State::Lost { since, why } => {
                self.state = State::Lost {
                    since: end,
                    why: why.clone(),
                };
                (end > since).then(|| {
                    Event::Undecoded(
                        Problem::new(
                            ProblemKind::SecureSyncLost,
                            since,
                            end - since,
                            "msgr2.secure",
                        )
                        .values("a decryptable secure stream", why),
                    )
                })
            }
            other => {
                self.state = other;
                (!buf.is_empty()).then(|| {
                    Event::Undecoded(Problem::new(kind, base, buf.len() as u64, "msgr2.frame"))
                })
            }
        }
    }
}

/// Decode one secure frame at the start of `buf`. Returns the step and,
/// when the stream can no longer be followed, why.
fn decode_frame(
    s: &mut GcmStream,
    base: u64,
    buf: &[u8],
    rev: Rev,
    max_seg: u32,
) -> (SecureStep, Option<String>) {
    let head_len = match rev {
        Rev::V1 => FIRST_OP_LEN,
        Rev::V0 => preamble::LEN,
    };
    let Some(head) = buf.get(..head_len.min(preamble::LEN)) else {
        return (SecureStep::Needed, None);
    };
    if buf.len() < head_len {
        return (SecureStep::Needed, None);
    }
    // The preamble decrypts before its tag is checked: lengths first.
    let plain_pre = s.peek_keystream_decrypt(head);
    let Some(p) = Preamble::parse(&plain_pre) else {
        return (SecureStep::Needed, None);
    };
    if !p.crc_ok() || p.validate(max_seg).is_err() {
        let why = if p.crc_ok() {
            "implausible decrypted preamble"
        } else {
            "decrypted preamble CRC mismatch"
        };
        let pr = Problem::new(
            ProblemKind::SecureSyncLost,
            base,
            buf.len() as u64,
            "msgr2.preamble",
        )
        .values("a valid decrypted preamble", why);
        return (
            SecureStep::Consumed {
                len: buf.len(),
                event: Some(Event::Undecoded(pr)),
            },
            Some(why.into()),
        );
    }
    let total = secure_len(&p, rev);
    let Some(wire) = buf.get(..total) else {
        return (SecureStep::Needed, None);
    };
    let f = match rev {
        Rev::V1 => open_rev1(s, p, base, wire),
        Rev::V0 => open_rev0(s, p, base, wire),
    };
    (
        SecureStep::Consumed {
            len: total,
            event: Some(Event::Frame(Box::new(f))),
        },
        None,
    )
}

/// Open one operation; on a bad tag fall back to the unverified keystream
/// decryption so the frame can still be shown, and record the check.
fn open_op(
    s: &mut GcmStream,
    op: &[u8],
    idx: u8,
    at: u64,
    checks: &mut Vec<Check>,
    problems: &mut Vec<Problem>,
) -> Vec<u8> {
    let body = op.len().saturating_sub(TAG_LEN);
    let tag_at = at + body as u64;
    let (plain, status) = match s.open(op) {
        Ok(p) => (p, CheckStatus::Good),
        Err(e) => {
            let p = s.peek_keystream_decrypt(op.get(..body).unwrap_or(&[]));
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
            (p, CheckStatus::Bad)
        }
    };
    checks.push(Check {
        kind: CheckKind::GcmTag(idx),
        offset: tag_at,
        stored: 0,
        computed: 0,
        status,
    });
    plain
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
    problems: Vec<Problem>,
}

impl Builder {
    /// Append segment `i` from padded plaintext `padded` (wire offset `at`).
    fn segment(&mut self, i: usize, len: usize, padded: &[u8], at: u64) {
        let start = self.data.len();
        self.data
            .extend_from_slice(padded.get(..len).unwrap_or(padded));
        if let Some(r) = self.segments.get_mut(i) {
            *r = start..self.data.len();
        }
        if let Some(o) = self.offsets.get_mut(i) {
            *o = at;
        }
        check_zero(
            padded.get(len..).unwrap_or(&[]),
            at + len as u64,
            "msgr2.secure.padding",
            &mut self.problems,
        );
    }
}

fn epilogue(rev: Rev, plain: &[u8], at: u64, problems: &mut Vec<Problem>) -> Option<Late> {
    let value = *plain.first()?;
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
    check_zero(
        plain.get(1..EPILOGUE_LEN).unwrap_or(&[]),
        at + 1,
        "msgr2.epilogue.padding",
        problems,
    );
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
        decrypted: true,
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

fn new_builder(p: &Preamble) -> Builder {
    let mut data = Vec::with_capacity(
        preamble::LEN
            + (0..4)
                .map(|i| p.seg_len(i) as usize)
                .sum::<usize>()
                .min(1 << 20),
    );
    data.extend_from_slice(&p.raw);
    Builder {
        data,
        segments: [0..0, 0..0, 0..0, 0..0],
        offsets: [0; MAX_SEGMENTS],
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
    let plain1 = open_op(s, op1, 0, base, &mut checks, &mut b.problems);
    // Segment 0: inline part, then the rest in its own operation.
    let s0 = seg_len(&p, 0);
    let s0p = pad16(s0);
    let mut seg0 = plain1.get(preamble::LEN..).unwrap_or(&[]).to_vec();
    let mut at = FIRST_OP_LEN;
    if s0p > INLINE_SIZE {
        let n = s0p - INLINE_SIZE + TAG_LEN;
        let op2 = wire.get(at..at + n).unwrap_or(&[]);
        seg0.extend(open_op(
            s,
            op2,
            1,
            base + at as u64,
            &mut checks,
            &mut b.problems,
        ));
        at += n;
    }
    b.segment(
        0,
        s0,
        seg0.get(..s0p.max(INLINE_SIZE)).unwrap_or(&seg0),
        base + preamble::LEN as u64,
    );
    let mut late = None;
    if p.nseg() > 1 {
        let op3 = wire.get(at..).unwrap_or(&[]);
        let plain3 = open_op(s, op3, 2, base + at as u64, &mut checks, &mut b.problems);
        let mut off = 0usize;
        for i in 1..MAX_SEGMENTS {
            let len = seg_len(&p, i);
            let padded = plain3.get(off..off + pad16(len)).unwrap_or(&[]);
            b.segment(i, len, padded, base + (at + off) as u64);
            off += pad16(len);
        }
        let epi_at = base + (at + off) as u64;
        late = epilogue(
            Rev::V1,
            plain3.get(off..).unwrap_or(&[]),
            epi_at,
            &mut b.problems,
        );
    }
    finish(p, Rev::V1, base, wire.len(), checks, b, late)
}

fn open_rev0(s: &mut GcmStream, p: Preamble, base: u64, wire: &[u8]) -> Frame {
    let mut checks = vec![preamble_check(&p, base)];
    let mut b = new_builder(&p);
    let plain = open_op(s, wire, 0, base, &mut checks, &mut b.problems);
    s.end_frame();
    let mut off = preamble::LEN;
    for i in 0..MAX_SEGMENTS {
        let len = seg_len(&p, i);
        let padded = plain.get(off..off + pad16(len)).unwrap_or(&[]);
        b.segment(i, len, padded, base + off as u64);
        off += pad16(len);
    }
    let late = epilogue(
        Rev::V0,
        plain.get(off..).unwrap_or(&[]),
        base + off as u64,
        &mut b.problems,
    );
    finish(p, Rev::V0, base, wire.len(), checks, b, late)
}
