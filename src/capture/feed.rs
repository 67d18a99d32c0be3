//! A byte stream fed by another thread: how a live capture or a pipe
//! reaches the same [`super::CaptureReader`] a file does.
//!
//! ```text
//!  producer thread                         consumer (dissection)
//!  FeedWriter::write(chunk) --bounded channel, FEED_DEPTH chunks--> FeedReader: Read
//!        ^                                                            |
//!        \------------- FeedHandle: queued(), close() ---------------/
//! ```
//!
//! The producer writes whole chunks (a live capture writes one pcap record
//! per write); the reader hands them out as an ordinary [`Read`]. What a
//! plain pipe cannot tell, the handle can: whether more bytes are already
//! waiting ([`FeedHandle::queued`], so a consumer that batches its output
//! sends what it has before it would wait), and whether either side has
//! stopped ([`FeedHandle::close`]: the reader then reads the end, the
//! writer's next write fails with `BrokenPipe`). Memory is bounded: at most
//! [`FEED_DEPTH`] chunks wait; a producer faster than the dissection waits
//! for room (a live capture's kernel buffer then drops packets, and says
//! how many).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::Duration;

/// Chunks written but not yet read, at most.
pub const FEED_DEPTH: usize = 256;
/// How often a waiting reader looks whether the feed was closed.
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
struct State {
    /// Chunks in the channel.
    queued: AtomicUsize,
    /// Set by [`FeedHandle::close`] or when either side is dropped.
    closed: AtomicBool,
}

/// Either side's view of the feed's state.
#[derive(Debug, Clone)]
pub struct FeedHandle {
    state: Arc<State>,
}

impl FeedHandle {
    /// Chunks written and not yet taken by the reader: 0 means the reader,
    /// once through its current chunk, would wait.
    pub fn queued(&self) -> usize {
        self.state.queued.load(Ordering::SeqCst)
    }

    /// Stop the feed: the reader reads the end once through what it holds
    /// (within [`POLL`] when it is waiting), the writer's writes fail.
    pub fn close(&self) {
        self.state.closed.store(true, Ordering::SeqCst);
    }

    /// Whether the feed was closed (by a handle, or a side dropped).
    pub fn is_closed(&self) -> bool {
        self.state.closed.load(Ordering::SeqCst)
    }
}

/// The producer's side.
#[derive(Debug)]
pub struct FeedWriter {
    tx: SyncSender<Vec<u8>>,
    handle: FeedHandle,
}

/// The consumer's side: an ordinary [`Read`].
#[derive(Debug)]
pub struct FeedReader {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    /// Bytes of `chunk` already read.
    at: usize,
    handle: FeedHandle,
}

/// A new feed: its writer and its reader.
pub fn feed() -> (FeedWriter, FeedReader) {
    let (tx, rx) = sync_channel(FEED_DEPTH);
    let handle = FeedHandle {
        state: Arc::new(State::default()),
    };
    let writer = FeedWriter {
        tx,
        handle: handle.clone(),
    };
    let reader = FeedReader {
        rx,
        chunk: Vec::new(),
        at: 0,
        handle,
    };
    (writer, reader)
}

/// Copy `src` into a feed on a thread of its own, in chunks of up to
/// `chunk` bytes as they are read (standard input in the terminal UI).
/// The thread ends at the end of `src`, on a read error (the reader then
/// sees the end: what was read stays readable), or once the feed is
/// closed and its next read returns.
pub fn feed_from<R: Read + Send + 'static>(mut src: R, chunk: usize) -> io::Result<FeedReader> {
    let (mut writer, reader) = feed();
    let size = chunk.max(1);
    std::thread::Builder::new()
        .name("cephshark-feed".into())
        .spawn(move || {
            let mut buf = vec![0u8; size];
            loop {
                let n = match src.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let Some(part) = buf.get(..n) else { break };
                if writer.write_all(part).is_err() {
                    break;
                }
            }
        })?;
    Ok(reader)
}

impl FeedWriter {
    /// The feed's state, shared with the reader.
    pub fn handle(&self) -> FeedHandle {
        self.handle.clone()
    }

    /// Whether the reader has stopped (closed or dropped): writing on is
    /// pointless.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }
}

impl Write for FeedWriter {
    /// Send `buf` whole as one chunk (waiting while [`FEED_DEPTH`] chunks
    /// are queued); `BrokenPipe` once the reader has stopped.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.handle.is_closed() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        // Counted before sending, so the reader never sees it go below 0.
        self.handle.state.queued.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(buf.to_vec()).is_err() {
            self.handle.state.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FeedReader {
    /// The feed's state, shared with the writer.
    pub fn handle(&self) -> FeedHandle {
        self.handle.clone()
    }

    /// The next chunk, `None` at the end (writer gone, or feed closed).
    fn next_chunk(&mut self) -> Option<Vec<u8>> {
        loop {
            if self.handle.is_closed() {
                return None;
            }
            match self.rx.recv_timeout(POLL) {
                Ok(c) => {
                    self.handle.state.queued.fetch_sub(1, Ordering::SeqCst);
                    return Some(c);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

impl Read for FeedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.at >= self.chunk.len() {
            match self.next_chunk() {
                Some(c) => {
                    self.chunk = c;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at = self.at.saturating_add(n);
        Ok(n)
    }
}

impl Drop for FeedReader {
    /// A reader gone is a closed feed: the writer stops.
    fn drop(&mut self) {
        self.handle.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_out_in_order_and_end_when_the_writer_goes() {
        let (mut w, mut r) = feed();
        let h = r.handle();
        w.write_all(b"abc").unwrap();
        w.write_all(b"defgh").unwrap();
        assert_eq!(h.queued(), 2);
        let mut small = [0u8; 2];
        assert_eq!(r.read(&mut small).unwrap(), 2);
        assert_eq!(&small, b"ab");
        assert_eq!(h.queued(), 1);
        drop(w);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"cdefgh");
        assert_eq!(h.queued(), 0);
    }

    #[test]
    fn closing_ends_the_reader_and_fails_the_writer() {
        let (mut w, mut r) = feed();
        r.handle().close();
        assert!(w.is_closed());
        assert_eq!(w.write(b"x").unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn a_waiting_reader_sees_the_close() {
        let (w, mut r) = feed();
        let h = w.handle();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 4];
            r.read(&mut buf).unwrap()
        });
        h.close();
        assert_eq!(t.join().unwrap(), 0);
        drop(w);
    }

    #[test]
    fn dropping_the_reader_fails_the_writer() {
        let (mut w, r) = feed();
        drop(r);
        assert!(w.is_closed());
        assert!(w.write_all(b"x").is_err());
    }

    #[test]
    fn feed_from_copies_a_reader() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut r = feed_from(io::Cursor::new(data.clone()), 777).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }
}
