//! The capture reader thread: reads the capture, runs the dissector and
//! sends the records to the UI in batches, so the UI opens at once and
//! stays responsive while a large capture loads. Progress (bytes read) is
//! shared through an atomic counter the UI reads when it draws.

use super::rows::Row;
use crate::analysis::{Config, Dissector, Record, Summary};
use crate::capture::{with_packets, CaptureError, FeedHandle, PacketSource};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Largest batch of records sent at once.
const BATCH_ROWS: usize = 4096;
/// Longest time records wait in a batch.
const BATCH_TIME: Duration = Duration::from_millis(50);
/// Batches in flight before the reader waits for the UI.
const CHANNEL_DEPTH: usize = 16;
/// Longest wait for the reader to stop when the UI quits.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// What the reader tells the UI.
#[derive(Debug)]
pub enum Msg {
    /// More rows (records already trimmed to the memory bound), and the
    /// counters so far.
    Batch(Vec<Row>, Box<Summary>),
    /// The capture has been read to its end (or to a read error, named in
    /// the summary).
    Done(Box<Summary>),
}

/// A reader that counts the bytes it hands out.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    /// Count reads of `inner` into `count`.
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A running reader thread.
pub struct Worker {
    /// Messages from the thread.
    pub rx: Receiver<Msg>,
    /// Bytes of the capture read so far.
    pub read: Arc<AtomicU64>,
    /// The feed the capture arrives on, if it is made as it is read.
    pub feed: Option<FeedHandle>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Start reading `reader` (already opened, header checked) in a thread.
    pub fn start<S: PacketSource + Send + 'static>(
        reader: S,
        read: Arc<AtomicU64>,
        cfg: Config,
    ) -> std::io::Result<Worker> {
        Self::spawn(reader, read, cfg, None)
    }

    /// Start reading a capture that arrives on a feed as it is made (a
    /// live capture, a pipe): the rows of a packet are sent as soon as no
    /// further packet is waiting, and stopping closes the feed, so a
    /// reader waiting for the next packet returns.
    pub fn start_feed<S: PacketSource + Send + 'static>(
        reader: S,
        read: Arc<AtomicU64>,
        cfg: Config,
        feed: FeedHandle,
    ) -> std::io::Result<Worker> {
        Self::spawn(reader, read, cfg, Some(feed))
    }

    fn spawn<S: PacketSource + Send + 'static>(
        reader: S,
        read: Arc<AtomicU64>,
        cfg: Config,
        feed: Option<FeedHandle>,
    ) -> std::io::Result<Worker> {
        let (tx, rx) = sync_channel(CHANNEL_DEPTH);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let idle = feed.clone();
        let handle = std::thread::Builder::new()
            .name("cephshark-reader".into())
            .spawn(move || run(reader, cfg, &tx, &flag, idle.as_ref()))?;
        Ok(Worker {
            rx,
            read,
            feed,
            stop,
            handle: Some(handle),
        })
    }

    /// Ask the thread to stop and wait for it (a little: a thread stuck in
    /// a read that never returns, on a pipe say, is left behind).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(f) = &self.feed {
            f.close();
        }
        let Some(h) = self.handle.take() else { return };
        let deadline = Instant::now() + STOP_WAIT;
        // Drain so a send blocked on a full channel returns.
        while !h.is_finished() && Instant::now() < deadline {
            while self.rx.try_recv().is_ok() {}
            std::thread::sleep(Duration::from_millis(5));
        }
        if h.is_finished() {
            let _ = h.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Dissect everything `reader` gives, sending batches on `tx`; stops early
/// when `stop` is set or the UI has gone. With `cfg.threads` of 2 or more
/// the capture is read ahead on a thread of its own (`capture::read_ahead`),
/// except from a feed (read ahead, packets would wait for a whole batch).
fn run<S: PacketSource + Send>(
    reader: S,
    cfg: Config,
    tx: &SyncSender<Msg>,
    stop: &AtomicBool,
    feed: Option<&FeedHandle>,
) {
    // The list shows every byte: no payload CRCs on the reader thread.
    let ahead = (cfg.threads > 1 && feed.is_none(), None);
    let mut d = Dissector::new(cfg);
    let mut batch: Vec<Row> = Vec::new();
    let mut since = Instant::now();
    // None: stopped, or the UI has gone; else the read error, if any.
    let ended = with_packets(reader, ahead, |reader| loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match reader.next_packet() {
            Ok(Some(pkt)) => d.packet(&pkt, &mut |r| batch.push(Row::keep(r))),
            Ok(None) => return Some(None),
            Err(e) => return Some(Some(e.to_string())),
        }
        // From a feed, nothing waiting means the next read would wait:
        // the rows so far are sent first.
        let idle = feed.is_some_and(|f| f.queued() == 0);
        if batch.len() >= BATCH_ROWS
            || (!batch.is_empty() && (idle || since.elapsed() >= BATCH_TIME))
        {
            let msg = Msg::Batch(std::mem::take(&mut batch), Box::new(d.summary().clone()));
            if tx.send(msg).is_err() {
                return None;
            }
            since = Instant::now();
        }
    });
    let Some(read_error) = ended else {
        return;
    };
    d.finish(&mut |r| batch.push(Row::keep(r)));
    let mut summary = d.into_summary();
    summary.read_error = read_error;
    if !batch.is_empty()
        && tx
            .send(Msg::Batch(batch, Box::new(summary.clone())))
            .is_err()
    {
        return;
    }
    let _ = tx.send(Msg::Done(Box::new(summary)));
}

/// Read a whole capture in the calling thread: every record and the
/// summary (for tests and tools that want the UI's model without a
/// terminal).
pub fn read_all<R: Read>(src: R, cfg: Config) -> Result<(Vec<Record>, Summary), CaptureError> {
    let mut records = Vec::new();
    let summary = crate::analysis::dissect(src, cfg, &mut |r| records.push(r))?;
    Ok((records, summary))
}
