//! Finding the stream again after lost bytes or a frame whose preamble
//! does not decrypt.

use super::{
    secure_len, SecureDir, SecureStep, State, FIRST_OP_LEN, RESYNC_MAX_OPS, RESYNC_WINDOW,
};
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
        let format = stream.format();
        let first = stream.nonce();
        let mut probe = (**stream).clone();
        let head = match rev {
            Rev::V1 => FIRST_OP_LEN,
            Rev::V0 => preamble::LEN,
        };
        let skew = usize::try_from((self.secure_start.wrapping_sub(base)) % 16).unwrap_or(0);
        let last = buf.len().saturating_sub(head);
        let mut found = None;
        'search: for i in (skew..=last).step_by(16) {
            let Some(pre) = buf.get(i..i + preamble::LEN) else {
                break;
            };
            let mut nonce = first;
            for _ in 0..RESYNC_MAX_OPS {
                probe.set_nonce(nonce);
                let p = Preamble::parse(&probe.peek_keystream_decrypt(pre));
                if let Some(p) = p.filter(|p| p.crc_ok() && p.validate(max_seg).is_ok()) {
                    let op_len = match rev {
                        Rev::V1 => FIRST_OP_LEN,
                        Rev::V0 => secure_len(&p, rev),
                    };
                    match buf.get(i..i + op_len) {
                        Some(op) => {
                            let mut check = probe.clone();
                            if check.open(op).is_ok() {
                                found = Some((i, nonce));
                                break 'search;
                            }
                        }
                        // The whole msgr2.0 frame is not in yet: wait for it.
                        None => return SecureStep::Needed,
                    }
                }
                nonce.step(format);
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
