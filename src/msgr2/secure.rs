//! Secure-mode state of one direction.
//!
//! Without key material the direction's bytes after the mode switch are
//! reported once, as a single "encrypted, no key" stretch, never as frames.

use super::decoder::Event;
use super::frame::Rev;
use super::problem::{Problem, ProblemKind};

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

/// Secure-mode decoding state of one direction.
#[derive(Debug, Default)]
pub struct SecureDir {
    /// Stream offset where secure mode began.
    start: Option<u64>,
    rev: Option<Rev>,
    /// First offset of the stretch not yet reported.
    pending_since: Option<u64>,
}

impl SecureDir {
    /// The direction switched to secure mode at stream offset `at`.
    pub fn start(&mut self, at: u64, rev: Rev) {
        self.start = Some(at);
        self.rev = Some(rev);
        self.pending_since = Some(at);
    }

    /// Decode from `buf` (stream offset `base`).
    pub fn step(&mut self, base: u64, buf: &[u8], _max_seg: u32) -> SecureStep {
        if buf.is_empty() {
            return SecureStep::Needed;
        }
        if self.pending_since.is_none() {
            self.pending_since = Some(base);
        }
        SecureStep::Consumed {
            len: buf.len(),
            event: None,
        }
    }

    /// Bytes were lost at `offset`: the GCM nonce sequence can no longer be followed.
    pub fn lost_sync(&mut self, offset: u64) {
        let _ = offset;
    }

    /// Report what is pending (end of stream or a gap).
    pub fn flush(&mut self, base: u64, buf: &[u8], _kind: ProblemKind) -> Option<Event> {
        let since = self.pending_since.take()?;
        let end = base + buf.len() as u64;
        (end > since).then(|| {
            Event::Undecoded(
                Problem::new(ProblemKind::NoKey, since, end - since, "msgr2.secure")
                    .values("a key for this direction", "none"),
            )
        })
    }
}
