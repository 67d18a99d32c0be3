//! Finding the stream again after lost bytes or a frame whose preamble
//! does not decrypt.
//!
//! First every 16-aligned offset is tried with the nonce stepped by up to
//! [`RESYNC_MAX_OPS`] operations. When that finds nothing in the first
//! [`REJOIN_WINDOW`] bytes after the loss (a loss of many frames), the
//! mid-stream search (`midstream.rs`) looks at the captured segments'
//! starts in those bytes for a msgr2.1 frame up to 2^24 operations on,
//! once; then the stepped scan goes on to [`RESYNC_WINDOW`].

/// Bytes held after a loss before the wide search is made.
pub const REJOIN_WINDOW: usize = 256 * 1024;
/// Segment starts remembered for it.
const REJOIN_STARTS: usize = 256;

/// The wide search after one loss (`since`): the segment starts seen, how
/// far the stepped scan went, whether the search was made.
#[derive(Debug, Default)]
pub(super) struct Rejoin {
    since: u64,
    starts: Vec<u64>,
    scanned: u64,
    searched: bool,
}

impl Rejoin {
    /// The state for the loss at `since` (a new loss starts afresh).
    fn at(&mut self, since: u64) -> &mut Rejoin {
        if self.since != since {
            *self = Rejoin {
                since,
                scanned: since,
                ..Rejoin::default()
            };
        }
        self
    }

    /// A captured segment began at `at`.
    pub(super) fn note(&mut self, since: u64, at: u64) {
        let r = self.at(since);
        if r.starts.len() < REJOIN_STARTS && at >= since {
            r.starts.push(at);
        }
    }
}

use super::midstream::{search, MIDSTREAM_MAX_OPS};
use super::{
    secure_len, KeyCandidate, SecureDir, SecureStep, State, FIRST_OP_LEN, RESYNC_MAX_OPS,
    RESYNC_WINDOW,
};
use crate::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use crate::msgr2::decoder::Event;
use crate::msgr2::frame::Rev;
use crate::msgr2::preamble::{self, Preamble};
use crate::msgr2::problem::{Problem, ProblemKind};

impl SecureDir {
    /// After lost bytes: find the next frame start (an offset congruent to
    /// the secure start modulo 16) whose first operation opens with the
    /// nonce stepped by up to [`RESYNC_MAX_OPS`] operations; resume there.
    pub(super) fn resync(&mut self, base: u64, buf: &[u8], rev: Rev, max_seg: u32) -> SecureStep {
        let State::Resync {
            stream,
            since,
            problem,
        } = &self.state
        else {
            return SecureStep::Needed;
        };
        let since = *since;
        let problem = problem.clone();
        let first = stream.nonce();
        let mut probe = (**stream).clone();
        let head = match rev {
            Rev::V1 => FIRST_OP_LEN,
            Rev::V0 => preamble::LEN,
        };
        let skew = usize::try_from((self.secure_start.wrapping_sub(base)) % 16).unwrap_or(0);
        let last = buf.len().saturating_sub(head);
        // Offsets the stepped scan already tried (bytes held for the wide
        // search) are not tried again.
        let scanned = self.rejoin.at(since).scanned;
        let from = usize::try_from(scanned.saturating_sub(base)).unwrap_or(usize::MAX);
        let from = skew.saturating_add(from.saturating_sub(skew).div_ceil(16).saturating_mul(16));
        let mut found = None;
        for i in (from..=last).step_by(16) {
            match probe_at(&mut probe, first, 0..RESYNC_MAX_OPS, buf, i, rev, max_seg) {
                Probe::Opens(nonce) => {
                    found = Some((i, nonce));
                    break;
                }
                // The whole msgr2.0 frame is not in yet: wait for it.
                Probe::Wait => return SecureStep::Needed,
                Probe::No => {}
            }
        }
        match found {
            Some((i, nonce)) => {
                probe.set_nonce(nonce);
                self.state = State::Active(Box::new(probe));
                let at = base + i as u64;
                let event = skipped(
                    problem,
                    since,
                    at,
                    "the rest of a frame cut by lost bytes; decryption resumed after it".into(),
                );
                SecureStep::Consumed { len: i, event }
            }
            None => {
                if !self.rejoin.at(since).searched && rev == Rev::V1 {
                    if buf.len() < REJOIN_WINDOW && !self.finishing {
                        // Hold the bytes for the wide search.
                        let next = skew + last.saturating_sub(skew) / 16 * 16 + 16;
                        self.rejoin.at(since).scanned = base.saturating_add(next as u64);
                        return SecureStep::Needed;
                    }
                    self.rejoin.at(since).searched = true;
                    if let Some(step) =
                        self.rejoin_search(base, buf, first, since, problem, max_seg)
                    {
                        return step;
                    }
                }
                // Keep what may still hold a frame start; give up past the window.
                let drop = last.saturating_sub(skew) / 16 * 16;
                self.rejoin.at(since).scanned = base.saturating_add(drop as u64);
                if base + drop as u64 - since > RESYNC_WINDOW {
                    self.state = State::Lost {
                        since,
                        why: "no decryptable frame found after the damage".into(),
                    };
                    return SecureStep::Consumed {
                        len: 0,
                        event: None,
                    };
                }
                if drop == 0 {
                    SecureStep::Needed
                } else {
                    // The skipped bytes stay pending in `since`.
                    SecureStep::Consumed {
                        len: drop,
                        event: None,
                    }
                }
            }
        }
    }
}

impl SecureDir {
    /// The wide search after a loss: a msgr2.1 frame at a captured
    /// segment's start (16-aligned with the secure stream) whose first
    /// operation opens with the nonce `first` stepped by up to 2^24
    /// operations; resume there.
    fn rejoin_search(
        &mut self,
        base: u64,
        buf: &[u8],
        first: Nonce,
        since: u64,
        problem: Option<Problem>,
        max_seg: u32,
    ) -> Option<SecureStep> {
        let m = self.matched.as_ref()?;
        let cand = KeyCandidate {
            key: m.key,
            nonce: first,
            origin: m.origin.clone(),
            cipher: Default::default(),
        };
        let secure_start = self.secure_start;
        let starts: Vec<usize> = self
            .rejoin
            .at(since)
            .starts
            .iter()
            .filter(|&&s| s >= base && s.wrapping_sub(secure_start) % 16 == 0)
            .filter_map(|&s| usize::try_from(s - base).ok())
            .filter(|&i| i < buf.len())
            .collect();
        let found = search(
            std::slice::from_ref(&cand),
            buf,
            &starts,
            MIDSTREAM_MAX_OPS,
            max_seg,
        )?;
        let at = base + found.offset as u64;
        self.state = State::Active(Box::new(GcmStream::new(
            &cand.key,
            found.nonce,
            NonceFormat::Rev1,
        )));
        let what = format!(
            "bytes cut by the loss; decryption resumed {} operations past the last frame decoded (nonce search)",
            found.steps
        );
        let event = skipped(problem, since, at, what);
        Some(SecureStep::Consumed {
            len: found.offset,
            event,
        })
    }
}

/// What the bytes from `since` to the frame found at `at` were: a damaged
/// frame's own problem (it names the field; the stretch runs to the next
/// frame), else an undecoded stretch saying `what` happened.
fn skipped(problem: Option<Problem>, since: u64, at: u64, what: String) -> Option<Event> {
    match problem {
        Some(mut p) => {
            p.len = p.len.max(at.saturating_sub(p.offset));
            Some(Event::Undecoded(p))
        }
        None => (at > since).then(|| {
            Event::Undecoded(
                Problem::new(ProblemKind::Undecoded, since, at - since, "msgr2.secure")
                    .values("whole frames", what),
            )
        }),
    }
}

/// Whether a frame starts at `buf[i..]`.
pub(super) enum Probe {
    /// Its first operation opens with this nonce.
    Opens(Nonce),
    /// A msgr2.0 frame's preamble decrypts, but the frame is not all in.
    Wait,
    /// No nonce tried opens it.
    No,
}

/// Try the nonces `first` stepped by each count in `steps` on the bytes at
/// `i`: the decrypted preamble must pass its CRC and checks, and the first
/// operation (the whole frame for msgr2.0) must verify.
pub(super) fn probe_at(
    probe: &mut GcmStream,
    first: Nonce,
    steps: std::ops::Range<u64>,
    buf: &[u8],
    i: usize,
    rev: Rev,
    max_seg: u32,
) -> Probe {
    let Some(pre) = i.checked_add(preamble::LEN).and_then(|end| buf.get(i..end)) else {
        return Probe::No;
    };
    let format = probe.format();
    let mut nonce = first;
    for _ in 0..steps.start {
        nonce.step(format);
    }
    for _ in steps {
        probe.set_nonce(nonce);
        let p = Preamble::parse(&probe.peek_keystream_decrypt(pre));
        if let Some(p) = p.filter(|p| p.crc_ok() && p.validate(max_seg).is_ok()) {
            let op_len = match rev {
                Rev::V1 => FIRST_OP_LEN,
                Rev::V0 => secure_len(&p, rev),
            };
            match i.checked_add(op_len).and_then(|end| buf.get(i..end)) {
                Some(op) => {
                    if probe.clone().open(op).is_ok() {
                        return Probe::Opens(nonce);
                    }
                }
                None => return Probe::Wait,
            }
        }
        nonce.step(format);
    }
    Probe::No
}
