//! Finding the stream again after lost bytes or a frame whose preamble
//! does not decrypt.

use super::{
    secure_len, SecureDir, SecureStep, State, FIRST_OP_LEN, RESYNC_MAX_OPS, RESYNC_WINDOW,
};
use crate::msgr2::crypto::{GcmStream, Nonce};
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
        let mut found = None;
        for i in (skew..=last).step_by(16) {
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
                let event = match problem {
                    // A damaged frame: its problem names the field, the
                    // stretch runs to the next frame.
                    Some(mut p) => {
                        p.len = p.len.max(at.saturating_sub(p.offset));
                        Some(Event::Undecoded(p))
                    }
                    None => (at > since).then(|| {
                        Event::Undecoded(
                            Problem::new(ProblemKind::Undecoded, since, at - since, "msgr2.secure")
                                .values("whole frames", "the rest of a frame cut by lost bytes; decryption resumed after it"),
                        )
                    }),
                };
                SecureStep::Consumed { len: i, event }
            }
            None => {
                // Keep what may still hold a frame start; give up past the window.
                let drop = last.saturating_sub(skew) / 16 * 16;
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
