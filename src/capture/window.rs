//! The capture reader's view of its input: the unconsumed bytes, filled
//! by large reads into a buffer of its own, or, for an input held whole in
//! memory (a memory-mapped file), the input itself, read in place.
//!
//! ```text
//!  Owned:  src --read()--> buf[start..end]   (moved to the front, grown
//!                                             up to MAX_BLOCK_LEN)
//!  Shared: bytes[start..len]                 (nothing copied; pages far
//!                                             behind `start` released)
//! ```

use super::reader::{CaptureError, MAX_BLOCK_LEN};
use bytes::Bytes;
use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::sync::Arc;

/// An input held whole in memory, read in place: a memory-mapped file (the
/// binary maps it; this crate has no unsafe code), or bytes already read.
pub trait Mapped: Send + Sync {
    /// All of the input.
    fn bytes(&self) -> &[u8];
    /// The bytes in `range` will not be read again soon: their memory may
    /// be given back (a mapping's pages read the same when touched again).
    fn release(&self, _range: Range<usize>) {}
}

impl Mapped for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// A whole input shared by the reader and the packets it hands out.
pub type SharedBytes = Arc<dyn Mapped>;

/// A shared input as the owner of a [`Bytes`] over all of it: what the
/// packets read in place name as their [`Owner`](super::Owner).
struct Input(SharedBytes);

impl AsRef<[u8]> for Input {
    fn as_ref(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// All of a shared input, as one [`Bytes`] (no copy).
pub(super) fn whole(input: SharedBytes) -> Bytes {
    Bytes::from_owner(Input(input))
}

/// Buffer size to start with (and read at most per call): large reads
/// keep system calls and the copy of a block's start to the front rare.
const INITIAL_BUFFER: usize = 1024 * 1024;
/// A shared input's bytes are released this far behind the reader, so
/// packets read ahead on another thread (at most about 5 MiB: the batches
/// in flight, `ahead::AHEAD` + 2 of `ahead::BATCH_BYTES`) are never among
/// them (were they, they would only be read from the page cache again).
const RELEASE_LAG: usize = 8 << 20;
/// ... in steps of this many bytes.
const RELEASE_STEP: usize = 4 << 20;

enum Store {
    Owned(Vec<u8>),
    /// The input, and all of it as a [`Bytes`].
    Shared(SharedBytes, Bytes),
}

/// The unconsumed part of the input.
pub(super) struct Window<R> {
    src: R,
    store: Store,
    /// Unconsumed bytes are `data()[start..end]`.
    start: usize,
    end: usize,
    /// Input offset of `data()[start]`.
    offset: u64,
    eof: bool,
    /// A shared input's bytes before this were released.
    released: usize,
}

impl<R: Read> Window<R> {
    /// Bytes read from `src` into a buffer.
    pub(super) fn read_from(src: R) -> Self {
        Window {
            src,
            store: Store::Owned(vec![0; INITIAL_BUFFER]),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            released: 0,
        }
    }

    /// All the bytes there are, in memory already: read in place.
    pub(super) fn shared(src: R, bytes: SharedBytes) -> Self {
        let end = bytes.bytes().len();
        Window {
            src,
            store: Store::Shared(bytes.clone(), whole(bytes)),
            start: 0,
            end,
            offset: 0,
            eof: true,
            released: 0,
        }
    }

    /// The shared input, when the bytes are read in place.
    pub(super) fn shared_bytes(&self) -> Option<&SharedBytes> {
        match &self.store {
            Store::Shared(s, _) => Some(s),
            Store::Owned(_) => None,
        }
    }

    /// All of the shared input as a [`Bytes`], when the bytes are read in
    /// place: the owner of every packet.
    pub(super) fn whole(&self) -> Option<&Bytes> {
        match &self.store {
            Store::Shared(_, b) => Some(b),
            Store::Owned(_) => None,
        }
    }

    /// The store's bytes (`start..end` unconsumed).
    pub(super) fn data(&self) -> &[u8] {
        match &self.store {
            Store::Owned(b) => b,
            Store::Shared(_, b) => b,
        }
    }

    /// The unconsumed bytes.
    pub(super) fn available(&self) -> &[u8] {
        self.data().get(self.start..self.end).unwrap_or_default()
    }

    /// `range`, relative to the unconsumed bytes, as a range of `data()`,
    /// if it lies within them.
    pub(super) fn absolute(&self, range: &Range<usize>) -> Option<Range<usize>> {
        let s = self.start.checked_add(range.start)?;
        let e = self.start.checked_add(range.end)?;
        (s <= e && e <= self.end).then_some(s..e)
    }

    /// Input offset of the first unconsumed byte.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.end.saturating_sub(self.start));
        self.start = self.start.saturating_add(n);
        self.offset = self
            .offset
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        match &self.store {
            Store::Owned(_) => {
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                }
            }
            Store::Shared(s, _) => {
                let upto = self.start.saturating_sub(RELEASE_LAG);
                if upto >= self.released.saturating_add(RELEASE_STEP) {
                    s.release(self.released..upto);
                    self.released = upto;
                }
            }
        }
    }

    /// Make at least `need` unconsumed bytes available (`need` is at most
    /// [`MAX_BLOCK_LEN`]); `Ok(false)` when the input ends first.
    pub(super) fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        let have = self.end.saturating_sub(self.start);
        if have >= need {
            return Ok(true);
        }
        let Store::Owned(buf) = &mut self.store else {
            return Ok(false);
        };
        if buf.len().saturating_sub(self.start) < need {
            buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = have;
        }
        if buf.len() < need {
            let grown = need
                .max(buf.len().saturating_mul(2))
                .min(MAX_BLOCK_LEN.max(need));
            buf.resize(grown, 0);
        }
        while self.end.saturating_sub(self.start) < need && !self.eof {
            let Some(space) = buf.get_mut(self.end..) else {
                break;
            };
            match self.src.read(space) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = self.end.saturating_add(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(CaptureError::Io(e)),
            }
        }
        Ok(self.end.saturating_sub(self.start) >= need)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Watched {
        bytes: Vec<u8>,
        released: Mutex<Vec<Range<usize>>>,
    }

    impl Mapped for Watched {
        fn bytes(&self) -> &[u8] {
            &self.bytes
        }
        fn release(&self, range: Range<usize>) {
            self.released.lock().unwrap().push(range);
        }
    }

    #[test]
    fn a_shared_input_is_released_in_steps_far_behind_the_reader() {
        let total = RELEASE_LAG + 3 * RELEASE_STEP + 100;
        let shared = Arc::new(Watched {
            bytes: vec![7; total],
            released: Mutex::new(Vec::new()),
        });
        let mut w = Window::shared(std::io::empty(), shared.clone());
        assert!(w.fill(total).unwrap());
        assert!(!w.fill(total + 1).unwrap());
        while w.available().len() >= 4096 {
            w.consume(4096);
        }
        let got = shared.released.lock().unwrap().clone();
        // Contiguous, each at least a step, none closer than the lag.
        assert_eq!(got.len(), 3);
        assert_eq!(got.first().unwrap().start, 0);
        for pair in got.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert!(got.iter().all(|r| r.len() >= RELEASE_STEP));
        let consumed = usize::try_from(w.offset()).unwrap();
        assert!(got.last().unwrap().end + RELEASE_LAG <= consumed);
    }
}
