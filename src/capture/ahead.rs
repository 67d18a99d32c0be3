//! Reading ahead on a second thread: the file's bytes and the pcap/pcapng
//! blocks are read and parsed while the calling thread dissects the
//! packets before them.
//!
//! ```text
//!  reader thread:  CaptureReader -> Batch { bytes, packets } --\  (at most
//!                        ^                                     |  AHEAD
//!                        \---- emptied batches come back <-----/  in flight)
//!  calling thread: AheadReader::next_packet -> Packet<'_> (borrowed from its batch)
//! ```
//!
//! When the packets borrow from an input held whole in memory (a
//! memory-mapped file, [`PacketSource::shared`]), a batch holds only their
//! places in it: no packet byte is copied.
//!
//! Packets come out exactly as [`PacketSource::next_packet`] gives them,
//! in the same order, with the same numbers, and an error or the end at
//! the same place: the output of a dissection does not depend on whether
//! it read ahead. Memory is bounded: at most [`AHEAD`] batches wait, each
//! about [`BATCH_BYTES`] (or one packet, if larger), and emptied batches
//! are reused, not reallocated.

use super::{
    parse_head, CaptureError, LinkType, Packet, PacketIndex, PacketSource, Parsed, SharedBytes,
    Timestamp,
};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes of packet data gathered before a batch is handed over.
pub const BATCH_BYTES: usize = 1 << 20;
/// Packets gathered before a batch is handed over, whatever their size:
/// small packets make batches of some 280 KiB (at 1,500 bytes), still in
/// cache when the dissecting thread reads them, while 64 KiB packets fill
/// [`BATCH_BYTES`], enough in flight to cover the pauses of a secure
/// frame's decryption (measured: with 256 KiB batches whatever the packet
/// size, a secure verify with -j 2 took up to a fifth longer; with 8,192
/// packets, a crc verify a third longer).
const BATCH_PACKETS: usize = 192;
/// Batches read but not yet dissected.
pub const AHEAD: usize = 3;

/// One packet of a batch: its place in the batch's bytes.
#[derive(Debug, Clone)]
struct Meta {
    index: PacketIndex,
    ts: Timestamp,
    origlen: u32,
    link: LinkType,
    data: Range<usize>,
    /// Its link layers, parsed on the reader thread.
    tcp: Parsed,
}

/// Packets read together, and what ended the capture after them.
#[derive(Default)]
struct Batch {
    /// The packets' bytes, copied; or, with `shared`, nothing.
    bytes: Vec<u8>,
    /// The input the packets' ranges point into, when held in memory.
    shared: Option<SharedBytes>,
    packets: Vec<Meta>,
    /// Set on the last batch: `Ok` at the end of the capture, or the error.
    end: Option<Result<(), CaptureError>>,
}

/// The calling thread's side: packets of the batches the reader thread
/// sends, one at a time.
pub struct AheadReader {
    full: Receiver<Batch>,
    empty: SyncSender<Batch>,
    current: Batch,
    /// Next packet of `current` to hand out.
    at: usize,
    done: bool,
}

impl AheadReader {
    /// The next packet, `Ok(None)` at the end of the capture; after an
    /// error the reader is finished and returns `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        while !self.done && self.at >= self.current.packets.len() {
            if let Some(end) = self.current.end.take() {
                self.done = true;
                return end.map(|()| None);
            }
            let next = match self.full.recv() {
                Ok(b) => b,
                // The reader thread is gone without an end: it panicked.
                Err(_) => {
                    self.done = true;
                    return Err(CaptureError::Io(std::io::Error::other(
                        "the capture reader stopped",
                    )));
                }
            };
            let mut old = std::mem::replace(&mut self.current, next);
            old.bytes.clear();
            old.packets.clear();
            // The reader thread may have ended; the batch is then dropped.
            let _ = self.empty.try_send(old);
            self.at = 0;
        }
        if self.done {
            return Ok(None);
        }
        let Some(m) = self.current.packets.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        let bytes = match &self.current.shared {
            Some(s) => s.bytes(),
            None => &self.current.bytes,
        };
        let data = bytes.get(m.data.clone()).unwrap_or_default();
        Ok(Some(Packet {
            index: m.index,
            ts: m.ts,
            caplen: u32::try_from(data.len()).unwrap_or(u32::MAX),
            origlen: m.origlen,
            link: m.link,
            data,
            tcp: Some(&m.tcp),
        }))
    }
}

/// Read `reader`'s packets on a thread of its own while `f` takes them
/// from the [`AheadReader`] it is given. When `f` returns, reading stops
/// (whatever was read ahead is dropped) and the thread is joined.
pub fn read_ahead<S, T>(reader: S, f: impl FnOnce(&mut AheadReader) -> T) -> T
where
    S: PacketSource + Send,
{
    let (full_tx, full_rx) = sync_channel::<Batch>(AHEAD);
    let (empty_tx, empty_rx) = sync_channel::<Batch>(AHEAD + 2);
    std::thread::scope(|s| {
        s.spawn(move || fill(reader, &full_tx, &empty_rx));
        let mut ahead = AheadReader {
            full: full_rx,
            empty: empty_tx,
            current: Batch::default(),
            at: 0,
            done: false,
        };
        let out = f(&mut ahead);
        // Dropping the receiving end makes the reader thread's next send
        // fail, so it ends and the scope can join it.
        drop(ahead);
        out
    })
}

/// Packets from a reader on this thread or read ahead on another.
pub enum Packets<'a, S: PacketSource> {
    /// Read on the calling thread.
    Here(S),
    /// Read ahead on a thread of their own.
    Ahead(&'a mut AheadReader),
}

impl<S: PacketSource> Packets<'_, S> {
    /// The next packet, as [`PacketSource::next_packet`].
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        match self {
            Packets::Here(r) => r.next_packet(),
            Packets::Ahead(a) => a.next_packet(),
        }
    }
}

/// Run `f` over `reader`'s packets, read ahead on a second thread when
/// `ahead` is set (see [`read_ahead`]), else on this one.
pub fn with_packets<S, T>(reader: S, ahead: bool, f: impl FnOnce(&mut Packets<'_, S>) -> T) -> T
where
    S: PacketSource + Send,
{
    if ahead {
        read_ahead(reader, |a| f(&mut Packets::Ahead(a)))
    } else {
        f(&mut Packets::Here(reader))
    }
}

/// The reader thread: batches until the end, an error, or nobody listens.
fn fill<S: PacketSource>(mut reader: S, full: &SyncSender<Batch>, empty: &Receiver<Batch>) {
    let shared = reader.shared();
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.shared.clone_from(&shared);
        let mut size = 0usize;
        while size < BATCH_BYTES && batch.packets.len() < BATCH_PACKETS {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    size = size.saturating_add(p.data.len());
                    let (index, ts, origlen, link) = (p.index, p.ts, p.origlen, p.link);
                    // The link layers are read here, off the dissecting thread.
                    let tcp = parse_head(p.link, p.data);
                    let data = if shared.is_some() {
                        reader.last_span()
                    } else {
                        let from = batch.bytes.len();
                        batch.bytes.extend_from_slice(p.data);
                        from..batch.bytes.len()
                    };
                    batch.packets.push(Meta {
                        index,
                        ts,
                        origlen,
                        link,
                        data,
                        tcp,
                    });
                }
                Ok(None) => {
                    batch.end = Some(Ok(()));
                    break;
                }
                Err(e) => {
                    batch.end = Some(Err(e));
                    break;
                }
            }
        }
        let last = batch.end.is_some();
        if full.send(batch).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, PcapOptions, PcapWriter};

    /// A pcap of `n` packets whose bytes say their number.
    fn capture(n: u32, size: usize) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), PcapOptions::default()).unwrap();
        for i in 0..n {
            let data: Vec<u8> = (0..size).map(|k| (i as usize + k) as u8).collect();
            let ts = Timestamp {
                secs: i64::from(i),
                nanos: i * 1000,
            };
            w.write_packet(ts, u32::try_from(size).unwrap(), &data)
                .unwrap();
        }
        w.into_inner().unwrap()
    }

    type Seen = (u64, Timestamp, u32, u32, Vec<u8>);

    fn direct(bytes: &[u8]) -> (Vec<Seen>, Option<String>) {
        let mut r = CaptureReader::new(bytes).unwrap();
        let mut seen = Vec::new();
        loop {
            match r.next_packet() {
                Ok(Some(p)) => seen.push((p.index.0, p.ts, p.caplen, p.origlen, p.data.to_vec())),
                Ok(None) => return (seen, None),
                Err(e) => return (seen, Some(e.to_string())),
            }
        }
    }

    fn ahead(bytes: &[u8]) -> (Vec<Seen>, Option<String>) {
        ahead_from(CaptureReader::new(bytes).unwrap())
    }

    /// Every packet `r` gives read ahead, and the error that ended them.
    fn ahead_from<S: PacketSource + Send>(r: S) -> (Vec<Seen>, Option<String>) {
        read_ahead(r, |a| {
            let mut seen = Vec::new();
            loop {
                match a.next_packet() {
                    Ok(Some(p)) => {
                        seen.push((p.index.0, p.ts, p.caplen, p.origlen, p.data.to_vec()))
                    }
                    Ok(None) => {
                        assert!(a.next_packet().unwrap().is_none());
                        return (seen, None);
                    }
                    Err(e) => return (seen, Some(e.to_string())),
                }
            }
        })
    }

    #[test]
    fn the_same_packets_in_the_same_order_over_many_batches() {
        // 20,000 packets: many batches by count; 300 of 9,000 bytes:
        // several by size.
        for (n, size) in [(20_000, 60), (300, 9_000), (1, 10), (0, 10)] {
            let bytes = capture(n, size);
            let (want, err) = direct(&bytes);
            assert_eq!(want.len(), n as usize);
            assert_eq!(err, None);
            assert_eq!(ahead(&bytes), (want, None), "{n} packets of {size}");
        }
    }

    /// The same, read in place from a shared input.
    fn ahead_in_place(bytes: &[u8]) -> (Vec<Seen>, Option<String>) {
        let shared: crate::capture::SharedBytes = std::sync::Arc::new(bytes.to_vec());
        ahead_from(CaptureReader::from_shared(shared).unwrap())
    }

    #[test]
    fn packets_read_in_place_are_the_same_packets() {
        for (n, size) in [(20_000, 60), (300, 9_000), (1, 10), (0, 10)] {
            let bytes = capture(n, size);
            let want = direct(&bytes);
            assert_eq!(want.0.len(), n as usize);
            assert_eq!(ahead_in_place(&bytes), want, "{n} packets of {size}");
        }
        let bytes = capture(12_000, 100);
        let cut = &bytes[..bytes.len() - 50];
        let want = direct(cut);
        assert_eq!(want.0.len(), 11_999);
        assert_eq!(ahead_in_place(cut), want);
    }

    #[test]
    fn a_cut_capture_ends_with_the_same_error_after_the_same_packets() {
        let bytes = capture(12_000, 100);
        let cut = &bytes[..bytes.len() - 50];
        let (want, err) = direct(cut);
        assert_eq!(want.len(), 11_999);
        let err = err.unwrap();
        assert!(err.starts_with("capture truncated at byte"), "{err}");
        assert_eq!(ahead(cut), (want, Some(err)));
    }

    #[test]
    fn stopping_early_ends_the_reader_thread() {
        let bytes = capture(50_000, 200);
        let r = CaptureReader::new(&bytes[..]).unwrap();
        // Take three packets and stop: read_ahead returns (its thread
        // joined) although most of the capture was never read.
        let got = read_ahead(r, |a| {
            (0..3)
                .map(|_| a.next_packet().unwrap().unwrap().index.0)
                .collect::<Vec<_>>()
        });
        assert_eq!(got, vec![1, 2, 3]);
    }
}
