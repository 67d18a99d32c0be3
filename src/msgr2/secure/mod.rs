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
//! first secure operation's tag verifies for exactly the right one. When
//! none does, the first frame may be damaged rather than the key missing
//! (see `trial`): a key whose decryption of the preamble passes its CRC is
//! taken, and the frame flagged; else each key is tried on the frames that
//! follow (the nonce of frame k is the initial one stepped by the
//! operations before it), and the first one found resumes decryption, the
//! damaged frame alone being reported. Only when no key opens any frame
//! within [`TRIAL_WINDOW`] bytes is the direction reported once as
//! "encrypted, no key".
//!
//! Damage: a bad tag on an operation whose preamble decrypted cleanly flags
//! the frame and keeps the nonce in step. After lost bytes or a preamble
//! that does not decrypt, the decoder searches for the next frame: its
//! start is congruent to the secure start modulo 16 (every secure frame's
//! length is a multiple of 16) and its first operation opens with the nonce
//! stepped by at most [`RESYNC_MAX_OPS`]; past [`RESYNC_WINDOW`] bytes
//! without one the direction is given up (`secure_sync_lost`).

use super::cipher::SharedCipher;
use super::crypto::{GcmStream, Nonce, NonceFormat, BLOCK, KEY_LEN, TAG_LEN};
use super::decoder::Event;
use super::frame::Rev;
use super::preamble::{self, Preamble};
use super::problem::{Problem, ProblemKind};

/// Bytes of segment 0 carried in the first operation (frames_v2.h
/// FRAME_PREAMBLE_INLINE_SIZE).
pub const INLINE_SIZE: usize = 48;
/// Secure epilogue: late byte + 15 zero bytes.
pub const EPILOGUE_LEN: usize = super::epilogue::SECURE_LEN;
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
    /// The key expanded once for every direction it is tried on (else
    /// expanded for each stream).
    pub cipher: SharedCipher,
}

impl KeyCandidate {
    /// A stream of this key whose next operation uses `nonce`.
    pub fn stream(&self, nonce: Nonce, format: NonceFormat) -> GcmStream {
        match &self.cipher.0 {
            Some(c) => GcmStream::with_cipher(c.clone(), nonce, format),
            None => GcmStream::new(&self.key, nonce, format),
        }
    }
}

/// What one secure step did.
#[derive(Debug)]
pub enum SecureStep {
    /// More bytes are needed.
    Needed,
    /// More bytes are needed: the frame begun at the buffer's start is
    /// this many bytes long (its preamble decrypted and checked), so the
    /// buffer can make room for all of it at once.
    NeedFrame(usize),
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
    /// Secure mode began; its keys are still being derived from the
    /// frames before it (see `defer_keys`): bytes wait.
    Waiting,
    /// Finding the key. `scan`: 0 while the first operation is tried;
    /// once no key opened it, where the search for a later frame goes on.
    Trial { scan: usize },
    /// Decrypting.
    Active(Box<GcmStream>),
    /// No key opens this direction: bytes since `since` are pending.
    NoKey { since: u64 },
    /// The stream can no longer be followed since `since`.
    Lost { since: u64, why: String },
    /// Bytes were lost: looking for the next frame and its nonce. `stream`
    /// holds the nonce of the first operation after the last frame decoded.
    Resync {
        stream: Box<GcmStream>,
        since: u64,
        problem: Option<Problem>,
    },
}

/// How many GCM operations a gap may have swallowed for the search after it
/// to still find the stream (msgr2.1: 1 to 3 per frame; msgr2.0: 1).
pub const RESYNC_MAX_OPS: u64 = 256;
/// Bytes searched after a gap before the direction is given up.
pub const RESYNC_WINDOW: u64 = 1 << 20;
/// Bytes from the secure start searched for a frame some key opens when
/// none opens the first one, before the direction is reported as having
/// no key.
pub const TRIAL_WINDOW: usize = 64 * 1024;
/// Operations the frames before the one found may have used (msgr2.1: 1
/// to 3 per frame; msgr2.0: 1).
pub const TRIAL_MAX_OPS: u64 = 8;

/// Secure-mode decoding state of one direction.
#[derive(Debug, Default)]
pub struct SecureDir {
    candidates: Vec<KeyCandidate>,
    state: State,
    rev: Option<Rev>,
    /// Stream offset where secure mode began: every secure frame's length
    /// is a multiple of 16, so frames start at this offset modulo 16.
    secure_start: u64,
    /// The candidate that opened the direction.
    matched: Option<KeyCandidate>,
    /// Keys may still come from the frames before secure mode began.
    deferred: bool,
    /// Why no key was derived, for the "no key" report.
    why_no_key: Option<String>,
    /// The search for the stream after a loss the resync window missed.
    rejoin: resync::Rejoin,
    /// The input has ended: what waits for more bytes decides now.
    finishing: bool,
}

/// The nonce a secure frame's first GCM operation used, and how many steps
/// past the initial nonce of the key that opened the direction it is (the
/// nonce counter; msgr2.0 steps per frame, msgr2.1 per operation:
/// crypto_onwire.cc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameNonce {
    /// The 12 nonce bytes (le32 fixed, le64 counter).
    pub nonce: crate::msgr2::crypto::Nonce,
    /// Steps past the initial nonce, once the key is known.
    pub steps: Option<u64>,
}

/// Steps from nonce `a` to nonce `b` (msgr2.0: the le32 fixed field steps
/// per frame; msgr2.1: the le64 counter per operation; crypto_onwire.cc).
pub fn steps_between(a: Nonce, b: Nonce, format: NonceFormat) -> u64 {
    match format {
        NonceFormat::Rev0 => u64::from(b.fixed().wrapping_sub(a.fixed())),
        NonceFormat::Rev1 => b.counter().wrapping_sub(a.counter()),
    }
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

pub mod midstream;
mod open;
mod resync;
mod trial;

use open::decode_frame;

impl SecureDir {
    /// Give the direction the keys that may open it.
    pub fn set_candidates(&mut self, candidates: Vec<KeyCandidate>) {
        self.candidates = candidates;
    }

    /// Keys for this direction may be derived from the connection's own
    /// auth frames (a keyring): when secure mode begins, its bytes wait
    /// for [`SecureDir::resolve`].
    pub fn defer_keys(&mut self) {
        self.deferred = true;
    }

    /// The keys that may open the direction.
    pub fn candidates(&self) -> &[KeyCandidate] {
        &self.candidates
    }

    /// Begin decrypting a direction captured mid-stream at stream offset
    /// `at`, where a msgr2.1 frame opens with `nonce`, `steps` operations
    /// past the initial nonce of candidate `c` (see `midstream`).
    pub fn start_found(&mut self, at: u64, c: &KeyCandidate, nonce: Nonce, steps: u64) {
        self.rev = Some(Rev::V1);
        self.secure_start = at;
        self.state = State::Active(Box::new(c.stream(nonce, NonceFormat::Rev1)));
        let mut m = c.clone();
        m.origin = format!("{} (mid-stream: nonce counter +{steps})", c.origin);
        self.matched = Some(m);
    }

    /// Bytes at stream offset `at` began a captured TCP segment: after a
    /// loss, where a frame is searched for (see `resync`).
    pub fn note_start(&mut self, at: u64) {
        if let State::Resync { since, .. } = &self.state {
            let since = *since;
            self.rejoin.note(since, at);
        }
    }

    /// The input has ended: bytes held for a search are searched now.
    pub fn set_finishing(&mut self) {
        self.finishing = true;
    }

    /// Why no key was derived for the direction, when it was said.
    pub fn why_no_key(&self) -> Option<&str> {
        self.why_no_key.as_deref()
    }

    /// Whether the direction waits for [`SecureDir::resolve`].
    pub fn waiting(&self) -> bool {
        matches!(self.state, State::Waiting)
    }

    /// The derivation is over: `derived` keys are tried first, then the
    /// ones given before; `why` says why none was derived, if so.
    pub fn resolve(&mut self, derived: Vec<KeyCandidate>, why: Option<String>) {
        let mut all = derived;
        all.append(&mut self.candidates);
        self.candidates = all;
        self.why_no_key = why;
        if self.waiting() {
            self.state = if self.candidates.is_empty() {
                State::NoKey {
                    since: self.secure_start,
                }
            } else {
                State::Trial { scan: 0 }
            };
        }
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
        self.secure_start = at;
        self.state = if self.deferred {
            State::Waiting
        } else if self.candidates.is_empty() {
            State::NoKey { since: at }
        } else {
            State::Trial { scan: 0 }
        };
    }

    /// Bytes were lost at `offset`: the nonce sequence cannot be followed.
    pub fn lost_sync(&mut self, offset: u64) {
        match std::mem::take(&mut self.state) {
            s @ (State::NoKey { .. } | State::Lost { .. } | State::Off) => self.state = s,
            State::Active(stream) | State::Resync { stream, .. } => {
                // Look for the next frame after the loss (see `resync`).
                self.state = State::Resync {
                    stream,
                    since: offset,
                    problem: None,
                };
            }
            State::Trial { .. } | State::Waiting => {
                self.state = State::Lost {
                    since: offset,
                    why: "bytes lost by the capture".into(),
                };
            }
        }
    }

    /// Decode from `buf` (stream offset `base`); a frame's nonce is
    /// counted from the initial nonce of the key that opened the direction.
    pub fn step(&mut self, base: u64, buf: &[u8], max_seg: u32) -> SecureStep {
        let mut step = self.step_inner(base, buf, max_seg);
        if let SecureStep::Consumed {
            event: Some(Event::Frame(f)),
            ..
        } = &mut step
        {
            let initial = self.matched.as_ref().map(|m| m.nonce);
            let format = NonceFormat::for_revision(self.rev != Some(Rev::V0));
            if let (Some(n), Some(initial)) = (f.nonce.as_mut(), initial) {
                n.steps = Some(steps_between(initial, n.nonce, format));
            }
        }
        step
    }

    fn step_inner(&mut self, base: u64, buf: &[u8], max_seg: u32) -> SecureStep {
        let rev = self.rev.unwrap_or(Rev::V1);
        match &mut self.state {
            State::Off | State::Waiting => SecureStep::Needed,
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
            State::Trial { scan: 0 } => self.trial(buf, rev, max_seg),
            State::Trial { scan } => {
                let scan = *scan;
                self.search_later(base, buf, rev, max_seg, scan)
            }
            State::Resync { .. } => self.resync(base, buf, rev, max_seg),
            State::Active(stream) => {
                let (step, bad) = decode_frame(stream, base, buf, rev, max_seg);
                if let Some(problem) = bad {
                    if let State::Active(stream) = std::mem::take(&mut self.state) {
                        self.state = State::Resync {
                            stream,
                            since: base,
                            problem: Some(problem),
                        };
                    }
                    return SecureStep::Consumed {
                        len: 0,
                        event: None,
                    };
                }
                step
            }
        }
    }

    /// Find the candidate whose first operation verifies.
    fn trial(&mut self, buf: &[u8], rev: Rev, max_seg: u32) -> SecureStep {
        let format = NonceFormat::for_revision(rev == Rev::V1);
        let mut undecided = false;
        let mut found = None;
        for c in &self.candidates {
            let mut s = c.stream(c.nonce, format);
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
                self.state = State::Active(Box::new(c.stream(c.nonce, format)));
                self.matched = Some(c);
                SecureStep::Consumed {
                    len: 0,
                    event: None,
                }
            }
            None if undecided => SecureStep::Needed,
            None => self.first_frame_failed(buf, rev, max_seg),
        }
    }

    /// Report what is pending (end of stream or a gap).
    pub fn flush(&mut self, base: u64, buf: &[u8], kind: ProblemKind) -> Option<Event> {
        let end = base + buf.len() as u64;
        let state = match std::mem::take(&mut self.state) {
            // No key opened the first frame, nor one after it.
            State::Trial { scan: 1.. } => State::NoKey { since: base },
            State::Waiting => State::NoKey {
                since: self.secure_start,
            },
            other => other,
        };
        match state {
            State::NoKey { since } => {
                self.state = State::NoKey { since: end };
                (end > since).then(|| {
                    Event::Undecoded(
                        Problem::new(ProblemKind::NoKey, since, end - since, "msgr2.secure")
                            .values(
                                "a key that opens this direction",
                                self.why_no_key
                                    .clone()
                                    .unwrap_or_else(|| "none of the keys given".into()),
                            ),
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
            State::Resync {
                stream,
                since,
                problem,
            } => {
                self.state = State::Resync {
                    stream,
                    since: end,
                    problem: None,
                };
                if let Some(mut p) = problem {
                    // A damaged frame and no frame after it: no byte was
                    // lost, the damage runs to the end.
                    p.len = p.len.max(end.saturating_sub(p.offset));
                    return Some(Event::Undecoded(p));
                }
                (end > since).then(|| {
                    Event::Undecoded(
                        Problem::new(
                            ProblemKind::SecureSyncLost,
                            since,
                            end - since,
                            "msgr2.secure",
                        )
                        .values(
                            "a frame after the lost bytes",
                            "none found before the stream ended",
                        ),
                    )
                })
            }
            other => {
                self.state = other;
                (!buf.is_empty()).then(|| {
                    Event::Undecoded(crate::msgr2::resync::unfinished(
                        kind,
                        base,
                        buf.len() as u64,
                        "msgr2.frame",
                    ))
                })
            }
        }
    }
}
