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
//! Each packet comes with its batch's buffer as its [`Owner`]: what must
//! outlive the packet (the window of bytes a TCP direction delivered, for
//! checking retransmissions) keeps a piece of it instead of a copy. A
//! dissected batch's buffer goes back to the reader thread once no piece
//! of it is held. When more than twice [`HELD`] such buffers wait, the
//! next packet handed out asks for all but the last [`HELD`] back
//! (`Owner::release`), and whoever keeps pieces of them copies those then:
//! only the pieces of connections quiet since then, as a busy one's
//! window lies in the last batches.
//!
//! Packets come out exactly as [`PacketSource::next_packet`] gives them,
//! in the same order, with the same numbers, and an error or the end at
//! the same place: the output of a dissection does not depend on whether
//! it read ahead. Memory is bounded: at most [`AHEAD`] batches wait, each
//! about [`BATCH_BYTES`] (or one packet, if larger), and emptied batches
//! are reused, not reallocated.

use super::{
    parse_head, CaptureError, LinkType, Owner, Packet, PacketIndex, PacketSource, Parsed, Timestamp,
};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
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
/// The last dissected batches whose buffers may stay held (see the
/// module's text): a busy TCP direction's window of 256 KiB spans one or
/// two batches.
pub const HELD: usize = 4;
/// Buffers still held that are waited for at most: past this (whoever
/// keeps pieces did not let go when asked), the oldest is no longer
/// waited for, and is freed when its last piece goes.
const HELD_MAX: usize = 4 * HELD;

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
    /// The packets' bytes, copied; or the whole input, when it is held in
    /// memory (`mapped`).
    bytes: Bytes,
    mapped: bool,
    /// The batch's number, from 0.
    id: u64,
    /// An emptied buffer to copy the next packets into.
    spare: BytesMut,
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
    /// Buffers of dissected batches still held by pieces, with their
    /// batch's number, oldest first.
    held: VecDeque<(u64, Bytes)>,
    /// The next packet handed out asks for those numbered below this back.
    release: Option<u64>,
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
            let old = std::mem::replace(&mut self.current, next);
            self.retire(old);
            self.at = 0;
        }
        if self.done {
            return Ok(None);
        }
        let Some(m) = self.current.packets.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        let data = self.current.bytes.get(m.data.clone()).unwrap_or_default();
        let owner = Owner {
            bytes: &self.current.bytes,
            id: self.current.id,
            release: self.release.take(),
        };
        Ok(Some(Packet {
            index: m.index,
            ts: m.ts,
            caplen: u32::try_from(data.len()).unwrap_or(u32::MAX),
            origlen: m.origlen,
            link: m.link,
            data,
            tcp: Some(&m.tcp),
            owner: Some(owner),
        }))
    }

    /// A dissected batch: its buffer waits until no piece of it is held,
    /// and every buffer no longer held goes back to the reader thread.
    fn retire(&mut self, mut old: Batch) {
        let bytes = std::mem::take(&mut old.bytes);
        // (The batch before the first has no buffer.)
        if !old.mapped && !bytes.is_empty() {
            self.held.push_back((old.id, bytes));
        }
        old.packets.clear();
        let mut batch = Some(old);
        let mut k = 0;
        while k < self.held.len() {
            if !self.held.get(k).is_some_and(|(_, b)| b.is_unique()) {
                k += 1;
                continue;
            }
            let Some(Ok(mut spare)) = self.held.remove(k).map(|(_, b)| b.try_into_mut()) else {
                continue;
            };
            spare.clear();
            let mut b = batch.take().unwrap_or_default();
            b.spare = spare;
            // The reader thread may have ended, or have enough emptied
            // batches: the batch is then dropped.
            let _ = self.empty.try_send(b);
        }
        if let Some(b) = batch {
            let _ = self.empty.try_send(b);
        }
        if self.held.len() > HELD_MAX {
            self.held.pop_front();
        }
        if self.held.len() > 2 * HELD {
            let keep = self.held.len() - HELD;
            self.release = self.held.get(keep).map(|(id, _)| *id);
        }
    }
}

/// Read `reader`'s packets on a thread of its own while `f` takes them
/// from the [`AheadReader`] it is given. When `f` returns, reading stops
/// (whatever was read ahead is dropped) and the thread is joined. While
/// `crcs` is set, each TCP payload's CRC32C is computed there too, while
/// its bytes are in that thread's cache
/// ([`TcpHead::with_payload_crc`](super::link::TcpHead::with_payload_crc)):
/// the caller sets it once its decoders make use of them.
pub fn read_ahead<S, T>(
    reader: S,
    crcs: Option<&AtomicBool>,
    f: impl FnOnce(&mut AheadReader) -> T,
) -> T
where
    S: PacketSource + Send,
{
    let (full_tx, full_rx) = sync_channel::<Batch>(AHEAD);
    let (empty_tx, empty_rx) = sync_channel::<Batch>(AHEAD + 2);
    std::thread::scope(|s| {
        s.spawn(move || fill(reader, crcs, &full_tx, &empty_rx));
        let mut ahead = AheadReader {
            full: full_rx,
            empty: empty_tx,
            current: Batch::default(),
            at: 0,
            done: false,
            held: VecDeque::new(),
            release: None,
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
/// `ahead` is set (see [`read_ahead`], `crcs` as there), else on this one.
pub fn with_packets<S, T>(
    reader: S,
    (ahead, crcs): (bool, Option<&AtomicBool>),
    f: impl FnOnce(&mut Packets<'_, S>) -> T,
) -> T
where
    S: PacketSource + Send,
{
    if ahead {
        read_ahead(reader, crcs, |a| f(&mut Packets::Ahead(a)))
    } else {
        f(&mut Packets::Here(reader))
    }
}

/// The reader thread: batches until the end, an error, or nobody listens.
fn fill<S: PacketSource>(
    mut reader: S,
    crcs: Option<&AtomicBool>,
    full: &SyncSender<Batch>,
    empty: &Receiver<Batch>,
) {
    // A mapped input is the buffer of every batch.
    let shared = reader.shared().map(super::window::whole);
    let mut id = 0u64;
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        let mut spare = std::mem::take(&mut batch.spare);
        if shared.is_none() && spare.capacity() < BATCH_BYTES {
            spare.reserve(BATCH_BYTES);
        }
        let mut size = 0usize;
        while size < BATCH_BYTES && batch.packets.len() < BATCH_PACKETS {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    size = size.saturating_add(p.data.len());
                    let (index, ts, origlen, link) = (p.index, p.ts, p.origlen, p.link);
                    // The link layers are read here, off the dissecting thread.
                    let mut tcp = parse_head(p.link, p.data);
                    if crcs.is_some_and(|c| c.load(Ordering::Relaxed)) {
                        tcp = tcp.map(|h| h.map(|h| h.with_payload_crc(p.data)));
                    }
                    let data = if shared.is_some() {
                        reader.last_span()
                    } else {
                        let from = spare.len();
                        spare.extend_from_slice(p.data);
                        from..spare.len()
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
        match &shared {
            Some(input) => {
                batch.bytes = input.clone();
                batch.mapped = true;
            }
            None => {
                batch.bytes = spare.freeze();
                batch.id = id;
                id += 1;
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
        read_ahead(r, None, |a| {
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

    /// Pieces of each batch's buffer kept past its packets (as a TCP
    /// window keeps them) are asked back once more than twice `HELD`
    /// buffers are held, all but the last `HELD`; and every packet lies in
    /// the buffer it names.
    #[test]
    fn held_buffers_are_asked_back_all_but_the_last_few() {
        // 1,000-byte packets: 192 to a batch, some 100 batches.
        let bytes = capture(20_000, 1000);
        let r = CaptureReader::new(&bytes[..]).unwrap();
        let (batches, asked) = read_ahead(r, None, |a| {
            let mut kept: Vec<(u64, Bytes)> = Vec::new();
            let mut asked = 0;
            let mut last = None;
            while let Some(p) = a.next_packet().unwrap() {
                let o = p.owner.unwrap();
                let at = p.data.as_ptr().addr() - o.bytes.as_ptr().addr();
                assert_eq!(&o.bytes[at..at + p.data.len()], p.data);
                assert!(last <= Some(o.id), "buffers are numbered in packet order");
                last = Some(o.id);
                if let Some(before) = o.release {
                    asked += 1;
                    assert!(kept.len() > 2 * HELD, "asked with {} held", kept.len());
                    let held_before = kept.len();
                    kept.retain(|(id, _)| *id >= before);
                    // All but the last HELD dissected batches (this
                    // packet's is not kept yet).
                    assert_eq!(kept.len(), HELD, "{held_before} held");
                }
                if kept.last().map(|k| k.0) != Some(o.id) {
                    kept.push((o.id, o.bytes.clone()));
                }
            }
            (last.unwrap() + 1, asked)
        });
        assert_eq!(batches, 20_000u64.div_ceil(BATCH_PACKETS as u64));
        // Asked at the (2 HELD + 1)-th held buffer, then every HELD + 1.
        let want = (batches - 1 - 2 * HELD as u64).div_ceil(HELD as u64 + 1);
        assert!(
            asked >= want - 1 && asked <= want + 1,
            "asked {asked} times, {batches} batches"
        );
    }

    #[test]
    fn stopping_early_ends_the_reader_thread() {
        let bytes = capture(50_000, 200);
        let r = CaptureReader::new(&bytes[..]).unwrap();
        // Take three packets and stop: read_ahead returns (its thread
        // joined) although most of the capture was never read.
        let got = read_ahead(r, None, |a| {
            (0..3)
                .map(|_| a.next_packet().unwrap().unwrap().index.0)
                .collect::<Vec<_>>()
        });
        assert_eq!(got, vec![1, 2, 3]);
    }
}
