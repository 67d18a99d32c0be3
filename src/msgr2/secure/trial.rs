//! When no key opens a direction's first secure frame: a damaged first
//! frame, or no right key given.

use super::open::decode_frame;
use super::resync::{probe_at, Probe};
use super::{SecureDir, SecureStep, State, FIRST_OP_LEN, TRIAL_MAX_OPS, TRIAL_WINDOW};
use crate::msgr2::crypto::{GcmStream, NonceFormat};
use crate::msgr2::frame::Rev;
use crate::msgr2::preamble::{self, Preamble};
use crate::msgr2::problem::{Problem, ProblemKind};

const UNCHANGED: SecureStep = SecureStep::Consumed {
    len: 0,
    event: None,
};

impl SecureDir {
    /// No key verified the first operation. A key whose decryption of the
    /// preamble passes its CRC (one chance in 2^32 for a wrong key) is the
    /// right one and the frame is damaged after its preamble: decryption
    /// starts, and flags it. Else the search for a later frame begins.
    pub(super) fn first_frame_failed(&mut self, buf: &[u8], rev: Rev, max_seg: u32) -> SecureStep {
        let format = NonceFormat::for_revision(rev == Rev::V1);
        let head = buf.get(..preamble::LEN).unwrap_or(&[]);
        let right = self.candidates.iter().find(|c| {
            let s = c.stream(c.nonce, format);
            Preamble::parse(&s.peek_keystream_decrypt(head))
                .is_some_and(|p| p.crc_ok() && p.validate(max_seg).is_ok())
        });
        if let Some(c) = right {
            self.state = State::Active(Box::new(c.stream(c.nonce, format)));
            self.matched = Some(c.clone());
            return UNCHANGED;
        }
        // The next frame starts 16 bytes on at the earliest.
        self.state = State::Trial { scan: 16 };
        UNCHANGED
    }

    /// Search the frames after a damaged first one, from `buf[scan..]`,
    /// for one that a key opens with its nonce stepped by 1 to
    /// [`TRIAL_MAX_OPS`] operations. Found: the key is matched and the
    /// search after a damaged frame (`resync`) takes over, reporting the
    /// first frame alone. None within [`TRIAL_WINDOW`] bytes: no key.
    pub(super) fn search_later(
        &mut self,
        base: u64,
        buf: &[u8],
        rev: Rev,
        max_seg: u32,
        scan: usize,
    ) -> SecureStep {
        let format = NonceFormat::for_revision(rev == Rev::V1);
        let head = match rev {
            Rev::V1 => FIRST_OP_LEN,
            Rev::V0 => preamble::LEN,
        };
        let last = buf.len().saturating_sub(head).min(TRIAL_WINDOW);
        let mut probes: Vec<GcmStream> = self
            .candidates
            .iter()
            .map(|c| c.stream(c.nonce, format))
            .collect();
        let mut next = scan;
        for i in (scan..=last).step_by(16) {
            if buf.len() < i.saturating_add(head) {
                break;
            }
            for (c, probe) in self.candidates.iter().zip(probes.iter_mut()) {
                match probe_at(probe, c.nonce, 1..TRIAL_MAX_OPS + 1, buf, i, rev, max_seg) {
                    Probe::Opens(_) => {
                        let mut first = c.stream(c.nonce, format);
                        let problem = decode_frame(&mut first, base, buf, rev, max_seg)
                            .1
                            .unwrap_or_else(|| {
                                Problem::new(
                                    ProblemKind::GcmTagBad,
                                    base,
                                    preamble::LEN as u64,
                                    "msgr2.secure",
                                )
                                .values("a first frame that decrypts", "no key opens it")
                            });
                        self.matched = Some(c.clone());
                        self.state = State::Resync {
                            stream: Box::new(c.stream(c.nonce, format)),
                            since: base,
                            problem: Some(problem),
                        };
                        return UNCHANGED;
                    }
                    // The whole msgr2.0 frame is not in yet: wait for it.
                    Probe::Wait => {
                        self.state = State::Trial { scan: i.max(16) };
                        return SecureStep::Needed;
                    }
                    Probe::No => {}
                }
            }
            next = i.saturating_add(16);
        }
        if next > TRIAL_WINDOW {
            self.state = State::NoKey { since: base };
            return UNCHANGED;
        }
        self.state = State::Trial { scan: next.max(16) };
        SecureStep::Needed
    }
}
