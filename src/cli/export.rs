//! Exports: the packets of the shown rows to a capture file (`-w`), and
//! each connection direction's plaintext frames to a file of its own
//! (`--export-streams DIR`), and the keys that opened secure directions
//! (`--export-keys FILE`, see [`keys_text`]).
//!
//! `-w` needs two passes over the input: a packet is known to be wanted
//! only once every row it carries is complete, which may be many packets
//! later. Pass one (the listing) marks the packets of matching rows in a
//! [`PacketSet`] (one bit per packet) and notes each packet's link type
//! and timestamp precision in [`CaptureInfo`]; pass two re-reads the file
//! and copies the marked packets whole, in capture order, with their
//! original timestamps. One link type gives a pcap file, several a pcapng
//! file with an interface per link type.
//!
//! Stream files, one per connection direction, named
//! `conn<N>-<c2s|s2c>-<src>-<dst>.msgr2` (`:` in addresses written `_`):
//!
//! ```text
//!  frame 1: preamble (32 bytes, plaintext) | segment 0 | segment 1 | ...
//!  frame 2: preamble | segments ...
//! ```
//!
//! Segments are written at their logical lengths (no padding, CRCs,
//! epilogues or GCM tags), decrypted in secure mode, decompressed (behind
//! a preamble rewritten with their lengths) when sent compressed; frames with a
//! segment missing (lost bytes, capture cut) are left out, so every file
//! parses frame by frame from its preamble lengths.

use crate::analysis::Record;
use crate::capture::{
    CaptureError, CaptureReader, LinkType, PacketIndex, PacketSource, PcapOptions, PcapWriter,
    PcapngWriter, DEFAULT_SNAPLEN,
};
use crate::msgr2::preamble;
use crate::tcp::{ConnId, Direction};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A set of packet numbers: one bit per packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketSet {
    bits: Vec<u64>,
    len: u64,
}

impl PacketSet {
    /// Add a packet.
    pub fn insert(&mut self, p: PacketIndex) {
        let (word, bit) = (p.0 / 64, p.0 % 64);
        let Ok(word) = usize::try_from(word) else {
            return;
        };
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        if let Some(w) = self.bits.get_mut(word) {
            if *w & (1 << bit) == 0 {
                self.len += 1;
            }
            *w |= 1 << bit;
        }
    }

    /// Whether a packet is in the set.
    pub fn contains(&self, p: PacketIndex) -> bool {
        usize::try_from(p.0 / 64)
            .ok()
            .and_then(|w| self.bits.get(w))
            .is_some_and(|w| w & (1 << (p.0 % 64)) != 0)
    }

    /// Packets in the set.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What pass one learns about the packets, to write them back faithfully.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureInfo {
    /// Link types seen, in order of first appearance.
    pub links: Vec<LinkType>,
    /// Some timestamp has digits finer than a microsecond.
    pub nanos: bool,
    /// Largest captured length.
    pub max_caplen: u32,
}

impl CaptureInfo {
    /// Note one packet.
    pub fn note(&mut self, link: LinkType, ts_nanos: u32, caplen: u32) {
        if !self.links.contains(&link) {
            self.links.push(link);
        }
        self.nanos |= ts_nanos % 1000 != 0;
        self.max_caplen = self.max_caplen.max(caplen);
    }
}

/// Copy the packets of `src` that are in `set` (all packets when `None`)
/// to `out`: pcap for one link type, pcapng for several. Returns the
/// number of packets written.
pub fn write_packets<R: Read, W: Write>(
    src: R,
    set: Option<&PacketSet>,
    info: &CaptureInfo,
    out: W,
    tick: &mut dyn FnMut(),
) -> Result<u64, ExportError> {
    write_packets_from(CaptureReader::new(src)?, set, info, out, tick)
}

/// [`write_packets`] from any packet source (several captures merged:
/// the merged capture, numbered as pass one numbered it).
pub fn write_packets_from<S: PacketSource, W: Write>(
    mut reader: S,
    set: Option<&PacketSet>,
    info: &CaptureInfo,
    out: W,
    tick: &mut dyn FnMut(),
) -> Result<u64, ExportError> {
    let snaplen = info.max_caplen.max(DEFAULT_SNAPLEN);
    let mut written = 0u64;
    match info.links.as_slice() {
        [] | [_] => {
            let link = info.links.first().copied().unwrap_or(LinkType::ETHERNET);
            let opts = PcapOptions {
                snaplen,
                nanosecond: info.nanos,
                ..PcapOptions::new(link)
            };
            let mut w = PcapWriter::new(out, opts).map_err(ExportError::Write)?;
            while let Some(p) = reader.next_packet()? {
                tick();
                if set.is_none_or(|s| s.contains(p.index)) {
                    w.write_packet(p.ts, p.origlen, p.data)
                        .map_err(ExportError::Write)?;
                    written += 1;
                }
            }
            w.into_inner().map_err(ExportError::Write)?;
        }
        links => {
            let mut w = PcapngWriter::new(out).map_err(ExportError::Write)?;
            let mut ids = HashMap::new();
            for l in links {
                ids.insert(
                    *l,
                    w.add_interface(*l, snaplen, info.nanos)
                        .map_err(ExportError::Write)?,
                );
            }
            while let Some(p) = reader.next_packet()? {
                tick();
                if set.is_none_or(|s| s.contains(p.index)) {
                    let Some(id) = ids.get(&p.link).copied() else {
                        return Err(ExportError::Changed);
                    };
                    w.write_packet(id, p.ts, p.origlen, p.data)
                        .map_err(ExportError::Write)?;
                    written += 1;
                }
            }
            w.into_inner().map_err(ExportError::Write)?;
        }
    }
    Ok(written)
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The input could not be read again.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Writing failed.
    #[error("write error: {0}")]
    Write(io::Error),
    /// The second pass saw a link type the first did not.
    #[error("the capture changed between the two passes")]
    Changed,
}

/// Most stream files kept open at once; others are reopened to append.
const MAX_OPEN: usize = 64;

/// Writes each connection direction's plaintext frames to its own file.
#[derive(Debug)]
pub struct StreamExporter {
    dir: PathBuf,
    open: HashMap<(ConnId, Direction), (BufWriter<File>, u64)>,
    paths: HashMap<(ConnId, Direction), PathBuf>,
    clock: u64,
    /// Frames written.
    pub frames: u64,
    /// Frames left out because a segment is missing.
    pub skipped: u64,
}

fn addr_part(a: SocketAddr) -> String {
    a.to_string().replace([':'], "_").replace(['[', ']'], "")
}

/// The file name of a connection direction's stream.
pub fn stream_file_name(conn: ConnId, dir: Direction, src: SocketAddr, dst: SocketAddr) -> String {
    format!(
        "conn{}-{}-{}-{}.msgr2",
        conn.0,
        dir.short(),
        addr_part(src),
        addr_part(dst)
    )
}

impl StreamExporter {
    /// Export into `dir` (created if missing).
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(StreamExporter {
            dir: dir.to_path_buf(),
            open: HashMap::new(),
            paths: HashMap::new(),
            clock: 0,
            frames: 0,
            skipped: 0,
        })
    }

    /// Append a row's frame (other rows are ignored).
    pub fn add(&mut self, r: &Record) -> io::Result<()> {
        let Some(f) = r.frame() else { return Ok(()) };
        let Some(pre) = f.data.get(..preamble::LEN) else {
            self.skipped += 1;
            return Ok(());
        };
        let segs: Option<Vec<&[u8]>> = (0..f.preamble.nseg().min(preamble::MAX_SEGMENTS))
            .map(|i| f.segment(i))
            .collect();
        let Some(segs) = segs else {
            self.skipped += 1;
            return Ok(());
        };
        // A decompressed frame is written as if sent uncompressed: its
        // preamble carries the decompressed lengths, flag clear, CRC anew.
        let rewritten;
        let pre = if f.decompressed() {
            let descs: Vec<preamble::SegmentDesc> = f
                .preamble
                .segments
                .iter()
                .zip(&segs)
                .map(|(d, s)| preamble::SegmentDesc {
                    len: u32::try_from(s.len()).unwrap_or(u32::MAX),
                    align: d.align,
                })
                .collect();
            let flags = f.preamble.flags & !preamble::FLAG_COMPRESSED;
            rewritten = preamble::encode(f.preamble.tag.raw(), &descs, flags);
            &rewritten[..]
        } else {
            pre
        };
        self.clock += 1;
        let key = (r.conn, r.dir);
        if !self.open.contains_key(&key) {
            if self.open.len() >= MAX_OPEN {
                self.close_oldest()?;
            }
            let first = !self.paths.contains_key(&key);
            let path = self
                .paths
                .entry(key)
                .or_insert_with(|| self.dir.join(stream_file_name(r.conn, r.dir, r.src, r.dst)))
                .clone();
            let file = if first {
                File::create(&path)?
            } else {
                OpenOptions::new().append(true).open(&path)?
            };
            self.open
                .insert(key, (BufWriter::with_capacity(1 << 16, file), 0));
        }
        if let Some((w, used)) = self.open.get_mut(&key) {
            *used = self.clock;
            w.write_all(pre)?;
            for s in segs {
                w.write_all(s)?;
            }
        }
        self.frames += 1;
        Ok(())
    }

    fn close_oldest(&mut self) -> io::Result<()> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(k, _)| *k);
        if let Some((mut w, _)) = oldest.and_then(|k| self.open.remove(&k)) {
            w.flush()?;
        }
        Ok(())
    }

    /// Flush everything; returns the files written.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        for (_, (mut w, _)) in self.open.drain() {
            w.flush()?;
        }
        let mut files: Vec<PathBuf> = self.paths.into_values().collect();
        files.sort();
        Ok(files)
    }
}

/// `--export-keys`: every key that opened a secure direction, as key file
/// lines naming their sender and receiver (the format `--keys` reads), so
/// a capture can be shared with just the keys of its connections.
pub fn keys_text(summary: &crate::analysis::Summary) -> String {
    use std::fmt::Write as _;
    let hex = crate::cephx::crypto::hex;
    let mut out = String::from(
        "# msgr2 secure-mode keys: <sender> <receiver> <aes-128-gcm key> <initial nonce>\n",
    );
    for c in summary.conns.values() {
        for (i, dir) in ["c2s", "s2c"].iter().enumerate() {
            let Some(Some(k)) = c.opened_with.get(i) else {
                continue;
            };
            let (src, dst) = if i == 0 {
                (c.client, c.server)
            } else {
                (c.server, c.client)
            };
            let _ = writeln!(
                out,
                "{src} {dst} {} {}  # tcp.stream {} {dir}: {}",
                hex(&k.key),
                hex(&k.nonce.0),
                c.conn.0,
                k.origin
            );
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn packet_set() {
        let mut s = PacketSet::default();
        for p in [1, 64, 65, 1000, 64] {
            s.insert(PacketIndex(p));
        }
        assert_eq!(s.len(), 4);
        assert!(s.contains(PacketIndex(64)) && s.contains(PacketIndex(1000)));
        assert!(!s.contains(PacketIndex(2)) && !s.contains(PacketIndex(5000)));
    }

    #[test]
    fn names() {
        let a: SocketAddr = "127.0.0.1:3300".parse().unwrap();
        let b: SocketAddr = "[::1]:6800".parse().unwrap();
        assert_eq!(
            stream_file_name(ConnId(3), Direction::ServerToClient, a, b),
            "conn3-s2c-127.0.0.1_3300-__1_6800.msgr2"
        );
    }
}
