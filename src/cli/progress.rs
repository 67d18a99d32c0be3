//! Progress on large captures: a bar of bytes read over the file's size,
//! drawn on stderr (indicatif) only when stderr is a terminal, so pipes,
//! redirects and CI logs never see it.
//!
//! The bytes read are counted by [`CountingReader`], which wraps the input
//! below the capture reader; the listing calls [`Progress::tick`] once per
//! packet and the bar redraws at most a few times a second.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Files smaller than this read too fast to need a bar.
pub const PROGRESS_THRESHOLD: u64 = 32 << 20;

/// A `Read` that counts the bytes that pass through it.
#[derive(Debug)]
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    /// Wrap `inner`; the count starts at zero.
    pub fn new(inner: R) -> Self {
        CountingReader {
            inner,
            count: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Wrap `inner`, adding to a count shared with other readers (several
    /// captures read as one).
    pub fn with_counter(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }

    /// A handle on the count, readable while the reader is in use.
    pub fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.count)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A progress bar over a file of known size.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    count: Arc<AtomicU64>,
    calls: u32,
}

impl Progress {
    /// A bar for a file of `total` bytes whose reading `count` measures, if
    /// one should be shown: stderr is a terminal, the file is at least
    /// [`PROGRESS_THRESHOLD`] bytes, and `stdout_busy` (rows printed to a
    /// terminal, which would interleave with the bar) is false.
    pub fn start(
        total: u64,
        count: Arc<AtomicU64>,
        label: &str,
        stdout_busy: bool,
    ) -> Option<Progress> {
        if total < PROGRESS_THRESHOLD || stdout_busy || !io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template(
            "{prefix} [{wide_bar}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(250));
        Some(Progress {
            bar,
            count,
            calls: 0,
        })
    }

    /// Update from the byte count (cheap; call once per packet).
    pub fn tick(&mut self) {
        self.calls = self.calls.wrapping_add(1);
        if self.calls % 256 == 0 {
            self.bar.set_position(self.count.load(Ordering::Relaxed));
        }
    }

    /// Remove the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Tick an optional bar.
pub fn tick(p: &mut Option<Progress>) {
    if let Some(p) = p {
        p.tick();
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes() {
        let mut r = CountingReader::new(&[1u8, 2, 3, 4, 5][..]);
        let c = r.counter();
        let mut buf = [0u8; 3];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(c.load(Ordering::Relaxed), 3);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(c.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn no_bar_for_small_files_or_busy_stdout() {
        let c = Arc::new(AtomicU64::new(0));
        assert!(Progress::start(10, Arc::clone(&c), "x", false).is_none());
        assert!(Progress::start(u64::MAX, c, "x", true).is_none());
    }
}
