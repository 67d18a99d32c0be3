//! Several captures read as one, merged by packet time as `mergecap` does.
//!
//! ```text
//!  a.pcap   --CaptureReader--> pending packet --\
//!  b.pcapng --CaptureReader--> pending packet ---+-- earliest (time, then
//!  c.pcap   --CaptureReader--> pending packet --/    input order) -> Packet
//!                                                         |
//!                         Origins: merged number -> (input, number in it)
//! ```
//!
//! The merge is stable: packets with equal times come in the order of the
//! inputs, and each input's packets keep their order (an input whose clock
//! steps back is not reordered, as `mergecap` copies a file's packets in
//! file order). Merged packets are numbered 1..N in merged order, the
//! numbers the merged file would give them; [`Origins`] answers which input
//! a number came from and its number there. Memory: one pending packet per
//! input, and one [`Origins`] entry per run of consecutive packets from one
//! input. Every packet carries its link type, so inputs of different link
//! types merge.

use super::{CaptureError, CaptureReader, LinkType, Packet, PacketIndex, PacketSource, Timestamp};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// Where a merged packet came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The input, 0-based in the order given.
    pub file: usize,
    /// The packet's number in that input (1-based).
    pub packet: PacketIndex,
}

/// A stretch of merged packets that came, one after another, from one input.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Merged number of its first packet.
    first: u64,
    /// Its input.
    file: usize,
    /// Number of its first packet in that input.
    file_first: u64,
}

/// The inputs' names and, for every merged packet number, its input and
/// number there; shared between the merging reader (which writes it as it
/// reads) and the rows that name their packets' files.
#[derive(Debug, Default)]
pub struct Origins {
    names: Vec<String>,
    runs: Mutex<Vec<Run>>,
}

impl Origins {
    /// A table for inputs with these names (no packets yet).
    pub fn new(names: Vec<String>) -> Self {
        Origins {
            names,
            runs: Mutex::new(Vec::new()),
        }
    }

    /// The inputs' names, in the order given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name of input `file`.
    pub fn name(&self, file: usize) -> &str {
        self.names.get(file).map_or("", String::as_str)
    }

    /// Where merged packet `p` came from (`None`: not read yet).
    pub fn of(&self, p: PacketIndex) -> Option<Origin> {
        let runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        let at = runs.partition_point(|r| r.first <= p.0).checked_sub(1)?;
        let run = runs.get(at)?;
        Some(Origin {
            file: run.file,
            packet: PacketIndex(run.file_first.checked_add(p.0.checked_sub(run.first)?)?),
        })
    }

    /// Note merged packet `p`, packet `file_packet` of input `file`.
    fn note(&self, p: u64, file: usize, file_packet: u64) {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        if runs.last().is_some_and(|r| r.file == file) {
            return;
        }
        runs.push(Run {
            first: p,
            file,
            file_first: file_packet,
        });
    }
}

// The errors of a merge name their input.
impl CaptureError {
    /// This error, naming the input it happened in.
    pub fn in_file(self, name: &str) -> CaptureError {
        CaptureError::In(name.to_string(), Box::new(self))
    }

    /// Whether the input ends inside a header or block.
    pub fn is_truncated(&self) -> bool {
        match self {
            CaptureError::Truncated { .. } => true,
            CaptureError::In(_, error) => error.is_truncated(),
            _ => false,
        }
    }
}

/// An input's next packet, copied out of its reader's buffer.
#[derive(Debug)]
struct Pending {
    index: PacketIndex,
    ts: Timestamp,
    origlen: u32,
    link: LinkType,
    data: Vec<u8>,
}

impl Pending {
    fn empty() -> Self {
        Pending {
            index: PacketIndex(0),
            ts: Timestamp::default(),
            origlen: 0,
            link: LinkType::ETHERNET,
            data: Vec::new(),
        }
    }
}

struct Input<R: Read> {
    reader: CaptureReader<R>,
    pending: Pending,
    /// `pending` holds a packet not yet returned.
    full: bool,
    /// The reader has ended.
    ended: bool,
}

/// Reads several captures as one, in time order (see the module docs).
pub struct MergeReader<R: Read> {
    inputs: Vec<Input<R>>,
    origins: Arc<Origins>,
    /// Input whose pending packet was returned last: refilled next call.
    last: Option<usize>,
    /// Packets returned.
    packets: u64,
    done: bool,
}

impl<R: Read> MergeReader<R> {
    /// Open every input (name, bytes): each must start as a capture; an
    /// error names the input.
    pub fn new(inputs: Vec<(String, R)>) -> Result<Self, CaptureError> {
        let mut names = Vec::with_capacity(inputs.len());
        let mut readers = Vec::with_capacity(inputs.len());
        for (name, src) in inputs {
            let reader = CaptureReader::new(src).map_err(|e| e.in_file(&name))?;
            names.push(name);
            readers.push(Input {
                reader,
                pending: Pending::empty(),
                full: false,
                ended: false,
            });
        }
        let mut merge = MergeReader {
            inputs: readers,
            origins: Arc::new(Origins::new(names)),
            last: None,
            packets: 0,
            done: false,
        };
        for i in 0..merge.inputs.len() {
            merge.refill(i)?;
        }
        Ok(merge)
    }

    /// The table of where each merged packet came from.
    pub fn origins(&self) -> Arc<Origins> {
        Arc::clone(&self.origins)
    }

    /// Read input `i`'s next packet into its pending slot.
    fn refill(&mut self, i: usize) -> Result<(), CaptureError> {
        let origins = &self.origins;
        let Some(input) = self.inputs.get_mut(i) else {
            return Ok(());
        };
        input.full = false;
        if input.ended {
            return Ok(());
        }
        match input.reader.next_packet() {
            Ok(Some(p)) => {
                let slot = &mut input.pending;
                slot.index = p.index;
                slot.ts = p.ts;
                slot.origlen = p.origlen;
                slot.link = p.link;
                slot.data.clear();
                slot.data.extend_from_slice(p.data);
                input.full = true;
                Ok(())
            }
            Ok(None) => {
                input.ended = true;
                Ok(())
            }
            Err(e) => {
                input.ended = true;
                Err(e.in_file(origins.name(i)))
            }
        }
    }
}

impl<R: Read> PacketSource for MergeReader<R> {
    /// The earliest pending packet (the first input's on a tie),
    /// `Ok(None)` when every input has ended; an error ends the merge.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        if let Some(i) = self.last.take() {
            if let Err(e) = self.refill(i) {
                self.done = true;
                return Err(e);
            }
        }
        let mut best: Option<(usize, Timestamp)> = None;
        for (i, input) in self.inputs.iter().enumerate() {
            if input.full && best.is_none_or(|(_, t)| input.pending.ts < t) {
                best = Some((i, input.pending.ts));
            }
        }
        let Some((i, _)) = best else {
            self.done = true;
            return Ok(None);
        };
        self.last = Some(i);
        self.packets = self.packets.saturating_add(1);
        let Some(input) = self.inputs.get(i) else {
            return Ok(None);
        };
        let p = &input.pending;
        self.origins.note(self.packets, i, p.index.0);
        Ok(Some(Packet {
            index: PacketIndex(self.packets),
            ts: p.ts,
            caplen: u32::try_from(p.data.len()).unwrap_or(u32::MAX),
            origlen: p.origlen,
            link: p.link,
            data: &p.data,
            tcp: None,
            owner: None,
        }))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::capture::{PcapOptions, PcapWriter, PcapngWriter};

    fn ts(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// A pcap whose packets are one byte each: the tag, at the given seconds.
    fn pcap(packets: &[(i64, u8)]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), PcapOptions::default()).unwrap();
        for &(s, tag) in packets {
            w.write_packet(ts(s), 1, &[tag]).unwrap();
        }
        w.into_inner().unwrap()
    }

    /// Merged number, seconds, tag and origin of each packet.
    type Seen = Vec<(u64, i64, u8, Origin)>;

    fn merged(inputs: Vec<(String, &[u8])>) -> (Seen, Option<String>) {
        let mut m = MergeReader::new(inputs).unwrap();
        let origins = m.origins();
        let mut seen = Vec::new();
        let err = loop {
            match m.next_packet() {
                Ok(Some(p)) => seen.push((p.index.0, p.ts.secs, p.data[0])),
                Ok(None) => break None,
                Err(e) => break Some(e.to_string()),
            }
        };
        let got = seen
            .into_iter()
            .map(|(n, s, t)| (n, s, t, origins.of(PacketIndex(n)).unwrap()));
        (got.collect(), err)
    }

    fn o(file: usize, packet: u64) -> Origin {
        Origin {
            file,
            packet: PacketIndex(packet),
        }
    }

    #[test]
    fn by_time_then_input_order_then_packet_order() {
        let a = pcap(&[(1, b'a'), (3, b'b'), (3, b'c'), (9, b'd')]);
        let b = pcap(&[(0, b'w'), (3, b'x'), (5, b'y')]);
        let (got, err) = merged(vec![("a".into(), &a[..]), ("b".into(), &b[..])]);
        assert_eq!(err, None);
        let want = vec![
            (1, 0, b'w', o(1, 1)),
            (2, 1, b'a', o(0, 1)),
            (3, 3, b'b', o(0, 2)),
            (4, 3, b'c', o(0, 3)),
            (5, 3, b'x', o(1, 2)),
            (6, 5, b'y', o(1, 3)),
            (7, 9, b'd', o(0, 4)),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_file_stepping_back_in_time_keeps_its_order() {
        let a = pcap(&[(5, b'a'), (2, b'b')]);
        let b = pcap(&[(3, b'x')]);
        let (got, _) = merged(vec![("a".into(), &a[..]), ("b".into(), &b[..])]);
        let tags: Vec<u8> = got.iter().map(|g| g.2).collect();
        // b at 3 goes before a's 5; a's 2 can only follow a's 5.
        assert_eq!(tags, b"xab");
    }

    #[test]
    fn pcap_and_pcapng_of_other_link_types_merge() {
        let a = pcap(&[(1, b'a'), (4, b'b')]);
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        let id = w.add_interface(LinkType::RAW, 65535, true).unwrap();
        w.write_packet(id, ts(2), 1, b"x").unwrap();
        let b = w.into_inner().unwrap();
        let mut m = MergeReader::new(vec![("a".into(), &a[..]), ("b".into(), &b[..])]).unwrap();
        let mut links = Vec::new();
        while let Some(p) = m.next_packet().unwrap() {
            links.push((p.data[0], p.link));
        }
        assert_eq!(
            links,
            vec![
                (b'a', LinkType::ETHERNET),
                (b'x', LinkType::RAW),
                (b'b', LinkType::ETHERNET)
            ]
        );
    }

    #[test]
    fn errors_name_the_input() {
        let a = pcap(&[(1, b'a')]);
        let err = MergeReader::new(vec![
            ("a.pcap".into(), &a[..]),
            ("b.txt".into(), &b"hello"[..]),
        ])
        .err()
        .unwrap();
        assert_eq!(err.to_string(), "b.txt: not a pcap or pcapng capture");
        // Cut inside b's second record: b's first packet comes out, then
        // the error naming b, read as soon as b's next packet is wanted.
        let b = pcap(&[(0, b'x'), (2, b'y')]);
        let cut = &b[..b.len() - 3];
        let (got, err) = merged(vec![("a.pcap".into(), &a[..]), ("b.pcap".into(), cut)]);
        assert_eq!(got.iter().map(|g| g.2).collect::<Vec<_>>(), b"x");
        let err = err.unwrap();
        assert!(
            err.starts_with("b.pcap: capture truncated at byte 41"),
            "{err}"
        );
    }
}
