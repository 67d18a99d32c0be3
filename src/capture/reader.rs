//! Streaming pcap/pcapng reader.
//!
//! Formats (facts from the IETF OPSAWG drafts `draft-ietf-opsawg-pcap` and
//! `draft-ietf-opsawg-pcapng`; block parsing by `pcap-parser`):
//!
//! ```text
//! pcap file header (24 bytes)
//!   magic [0..4]: a1b2c3d4 (µs) / a1b23c4d (ns) / a1b2cd34 (µs, 24-byte records),
//!                 read little-endian; the byte-swapped values mean big-endian
//!   version [4..8] | thiszone [8..12] | sigfigs [12..16] | snaplen [16..20]
//!   link type [20..24]: low 16 bits LINKTYPE_*, high bits FCS info
//! pcap record: ts_sec [0..4] | ts_frac [4..8] | caplen [8..12] | origlen [12..16] | data
//!
//! pcapng block: type [0..4] | total length [4..8] | body | total length again
//!   SHB 0x0a0d0d0a: byte-order magic 0x1a2b3c4d [8..12] sets the section's byte order
//!   IDB 0x00000001: link type [8..10] | snaplen [12..16] | options
//!                   (if_tsresol = 9, if_tsoffset = 14); interface ids count from 0
//!                   per section
//!   EPB 0x00000006: interface [8..12] | ts high [12..16] | ts low [16..20]
//!                   | caplen [20..24] | origlen [24..28] | data at 28, padded to 4
//!   SPB 0x00000003: origlen [8..12] | data at 12 (interface 0; caplen is
//!                   min(origlen, snaplen, room in the block))
//!   other blocks are skipped
//! ```
//!
//! The reader keeps one buffer that holds at least the current block; it grows
//! to fit a larger block up to [`MAX_BLOCK_LEN`] and never past it, so memory is
//! bounded whatever the input claims. The legacy header's `thiszone` is ignored,
//! as every writer sets it to 0.

use super::time::{timestamp, ts_units};
use super::window::{SharedBytes, Window};
use super::{LinkType, Owner, Packet, PacketIndex, Timestamp};
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{
    parse_block_be, parse_block_le, Block, InterfaceDescriptionBlock, OptionCode,
};
use pcap_parser::traits::PcapNGPacketBlock;
use std::io::Read;
use std::ops::Range;

/// The largest block (pcap record with its header, or pcapng block) the
/// reader buffers; anything larger is [`CaptureError::BlockTooLarge`].
pub const MAX_BLOCK_LEN: usize = 16 * 1024 * 1024;
/// More interfaces than this in one pcapng section is treated as malformed.
const MAX_INTERFACES: usize = 65_536;

const PCAP_HEADER_LEN: usize = 24;
const PCAP_RECORD_LEN: usize = 16;
const PCAP_MODIFIED_RECORD_LEN: usize = 24;
const PCAP_CAPLEN: Range<usize> = 8..12;
const PCAP_LINKTYPE: Range<usize> = 20..24;
const PCAP_MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
/// The low 16 bits of the legacy link-type field are the LINKTYPE_* value.
const PCAP_LINKTYPE_MASK: u32 = 0xffff;

const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_BOM: u32 = 0x1a2b_3c4d;
const NG_BLOCK_HEADER_LEN: usize = 8;
const NG_BLOCK_LEN: Range<usize> = 4..8;
const NG_SHB_BOM: Range<usize> = 8..12;
/// Smallest block: type, length, length again.
const NG_MIN_BLOCK_LEN: usize = 12;
const NG_EPB_DATA: usize = 28;
const NG_SPB_DATA: usize = 12;

/// Errors while reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Reading the underlying source failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The data is neither pcap nor pcapng.
    #[error("not a pcap or pcapng capture")]
    NotACapture,
    /// The input holds no bytes at all.
    #[error("empty input: no capture header")]
    Empty,
    /// The input ends inside a header or block; the packets before it were returned.
    #[error("capture truncated at byte {offset} (inside a block), after {packets_read} packets")]
    Truncated {
        /// Packets returned before the cut.
        packets_read: u64,
        /// File offset of the incomplete header or block.
        offset: u64,
    },
    /// A block declares more bytes than the reader will buffer.
    #[error("block at byte {offset} is {len} bytes, more than the {MAX_BLOCK_LEN}-byte limit")]
    BlockTooLarge {
        /// File offset of the block.
        offset: u64,
        /// Its declared length, header included.
        len: u64,
    },
    /// A header or block is inconsistent.
    #[error("malformed capture at byte {offset}: {detail}")]
    Malformed {
        /// File offset of the offending header or block.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// An error reading one of several inputs: its name, the error.
    #[error("{0}: {1}")]
    In(String, Box<CaptureError>),
}

/// A pcapng interface, as its IDB described it.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// Timestamp units per second.
    units: u64,
    /// Seconds added to every timestamp (if_tsoffset).
    offset: i64,
}

/// What the legacy file header said.
#[derive(Debug, Clone, Copy)]
struct PcapLayout {
    big_endian: bool,
    nanos: bool,
    record_len: usize,
    link: LinkType,
}

#[derive(Debug)]
enum Format {
    Pcap(PcapLayout),
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Where the next packet sits in the buffer and what describes it.
struct Found {
    data: Range<usize>,
    ts: Timestamp,
    origlen: u32,
    link: LinkType,
}

/// Streams packets out of a pcap or pcapng source.
pub struct CaptureReader<R: Read> {
    win: Window<R>,
    /// Where the last packet's bytes lie in the window's store.
    last: Range<usize>,
    /// Length of the block returned last, consumed on the next call.
    pending: usize,
    format: Format,
    packets: u64,
    /// Set after the end or an error: later calls return `Ok(None)`.
    done: bool,
}

impl CaptureReader<std::io::Empty> {
    /// Open a capture held whole in memory (a memory-mapped file): packets
    /// are read in place, never copied, and borrow from `bytes`.
    pub fn from_shared(bytes: SharedBytes) -> Result<Self, CaptureError> {
        Self::open(Window::shared(std::io::empty(), bytes))
    }
}

impl<R: Read> CaptureReader<R> {
    /// The input the packets are read from in place, if it is held whole.
    pub fn shared(&self) -> Option<&SharedBytes> {
        self.win.shared_bytes()
    }

    /// Where the last packet's bytes lie in [`CaptureReader::shared`]'s
    /// bytes (meaningful only for a shared input).
    pub fn last_span(&self) -> Range<usize> {
        self.last.clone()
    }

    /// Open a capture from any byte source: checks the magic and reads the
    /// legacy file header; pcapng blocks are read as packets are asked for.
    pub fn new(src: R) -> Result<Self, CaptureError> {
        Self::open(Window::read_from(src))
    }

    fn open(win: Window<R>) -> Result<Self, CaptureError> {
        let mut reader = CaptureReader {
            win,
            last: 0..0,
            pending: 0,
            format: Format::Pcapng {
                big_endian: false,
                interfaces: Vec::new(),
            },
            packets: 0,
            done: false,
        };
        reader.fill(4)?;
        let head = reader.available();
        if head.is_empty() {
            return Err(CaptureError::Empty);
        }
        let magic = head
            .get(..4)
            .and_then(|m| <[u8; 4]>::try_from(m).ok())
            .map(u32::from_le_bytes)
            .ok_or(CaptureError::NotACapture)?;
        if magic == NG_SHB {
            if !reader.fill(NG_SHB_BOM.end)? {
                return Err(reader.truncated());
            }
            let bom = reader.u32_at(NG_SHB_BOM, false).unwrap_or(0);
            if bom != NG_BOM && bom != NG_BOM.swap_bytes() {
                return Err(CaptureError::NotACapture);
            }
            return Ok(reader);
        }
        if !PCAP_MAGICS.contains(&magic) && !PCAP_MAGICS.contains(&magic.swap_bytes()) {
            return Err(CaptureError::NotACapture);
        }
        if !reader.fill(PCAP_HEADER_LEN)? {
            return Err(reader.truncated());
        }
        let header = reader
            .available()
            .get(..PCAP_HEADER_LEN)
            .map(parse_pcap_header)
            .and_then(Result::ok)
            .map(|(_, h)| h)
            .ok_or(CaptureError::NotACapture)?;
        let big_endian = header.is_bigendian();
        let link = reader
            .u32_at(PCAP_LINKTYPE, big_endian)
            .ok_or(CaptureError::NotACapture)?
            & PCAP_LINKTYPE_MASK;
        reader.format = Format::Pcap(PcapLayout {
            big_endian,
            nanos: header.is_nanosecond_precision(),
            record_len: if header.is_modified_format() {
                PCAP_MODIFIED_RECORD_LEN
            } else {
                PCAP_RECORD_LEN
            },
            link: LinkType(link),
        });
        reader.consume(PCAP_HEADER_LEN);
        Ok(reader)
    }

    /// The next packet, `Ok(None)` at the end of the capture. After an error
    /// the reader is finished and returns `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let pending = std::mem::take(&mut self.pending);
        self.consume(pending);
        let found = match self.advance() {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        let caplen = u32::try_from(found.data.len()).unwrap_or(u32::MAX);
        let Some(range) = self.win.absolute(&found.data) else {
            self.done = true;
            return Err(self.malformed("packet data outside its block"));
        };
        self.packets = self.packets.saturating_add(1);
        self.last = range.clone();
        let data = self.win.data().get(range).unwrap_or_default();
        Ok(Some(Packet {
            index: PacketIndex(self.packets),
            ts: found.ts,
            caplen,
            origlen: found.origlen,
            link: found.link,
            data,
            tcp: None,
            // Read in place: the input is the owner (number 0: it is
            // held whole anyway, never asked back).
            owner: self.win.whole().map(|bytes| Owner {
                bytes,
                id: 0,
                release: None,
            }),
        }))
    }

    /// Packets returned so far.
    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    /// Input bytes consumed so far (up to the last packet's block).
    pub fn bytes_read(&self) -> u64 {
        self.win
            .offset()
            .saturating_add(u64::try_from(self.pending).unwrap_or(u64::MAX))
    }

    /// Find the next packet block; its data range is relative to `start`,
    /// and `pending` is set to the block's length.
    fn advance(&mut self) -> Result<Option<Found>, CaptureError> {
        if let Format::Pcap(layout) = self.format {
            return self.next_record(layout);
        }
        loop {
            if let Some(found) = self.next_block()? {
                return Ok(Some(found));
            }
            if self.pending == 0 {
                return Ok(None);
            }
            let skipped = std::mem::take(&mut self.pending);
            self.consume(skipped);
        }
    }

    /// One legacy pcap record.
    fn next_record(&mut self, layout: PcapLayout) -> Result<Option<Found>, CaptureError> {
        let PcapLayout {
            big_endian,
            nanos,
            record_len,
            link,
        } = layout;
        if !self.fill(record_len)? {
            return self.end_or_truncated();
        }
        let caplen = self.u32_at(PCAP_CAPLEN, big_endian).unwrap_or(u32::MAX);
        let total = usize::try_from(caplen)
            .ok()
            .and_then(|c| c.checked_add(record_len))
            .filter(|&t| t <= MAX_BLOCK_LEN)
            .ok_or(CaptureError::BlockTooLarge {
                offset: self.win.offset(),
                len: u64::from(caplen).saturating_add(u64::try_from(record_len).unwrap_or(0)),
            })?;
        if !self.fill(total)? {
            return Err(self.truncated());
        }
        let block = self.available().get(..total).unwrap_or_default();
        let parsed = if record_len == PCAP_MODIFIED_RECORD_LEN {
            parse_pcap_frame_modified(block)
        } else if big_endian {
            parse_pcap_frame_be(block)
        } else {
            parse_pcap_frame(block)
        };
        let frame = parsed
            .map(|(_, f)| f)
            .map_err(|e| self.malformed(format!("pcap record: {e}")))?;
        let frac_nanos = if nanos {
            u64::from(frame.ts_usec)
        } else {
            u64::from(frame.ts_usec).saturating_mul(1000)
        };
        let ts = timestamp(u64::from(frame.ts_sec), frac_nanos, 0);
        let origlen = frame.origlen;
        self.pending = total;
        Ok(Some(Found {
            data: record_len..total,
            ts,
            origlen,
            link,
        }))
    }

    /// One pcapng block: `Ok(Some)` for a packet; `Ok(None)` with `pending`
    /// set for a block that was handled or skipped; `Ok(None)` with `pending`
    /// zero at the end of the input.
    fn next_block(&mut self) -> Result<Option<Found>, CaptureError> {
        if !self.fill(NG_BLOCK_HEADER_LEN)? {
            return self.end_or_truncated();
        }
        let big_endian = if self.u32_at(0..4, false) == Some(NG_SHB) {
            if !self.fill(NG_SHB_BOM.end)? {
                return Err(self.truncated());
            }
            match self.u32_at(NG_SHB_BOM, false) {
                Some(NG_BOM) => false,
                Some(bom) if bom == NG_BOM.swap_bytes() => true,
                _ => return Err(self.malformed("section header byte-order magic")),
            }
        } else {
            matches!(
                self.format,
                Format::Pcapng {
                    big_endian: true,
                    ..
                }
            )
        };
        let declared = self.u32_at(NG_BLOCK_LEN, big_endian).unwrap_or(0);
        let len = usize::try_from(declared).unwrap_or(usize::MAX);
        if len < NG_MIN_BLOCK_LEN || len % 4 != 0 {
            return Err(self.malformed(format!("block length {declared}")));
        }
        if len > MAX_BLOCK_LEN {
            return Err(CaptureError::BlockTooLarge {
                offset: self.win.offset(),
                len: u64::from(declared),
            });
        }
        if !self.fill(len)? {
            return Err(self.truncated());
        }
        let bytes = self.available().get(..len).unwrap_or_default();
        let parsed = if big_endian {
            parse_block_be(bytes)
        } else {
            parse_block_le(bytes)
        };
        let block = match parsed {
            Ok((_, block)) => block,
            Err(e) => return Err(self.malformed(format!("pcapng block: {e}"))),
        };
        let result = match block {
            Block::SectionHeader(_) => {
                self.format = Format::Pcapng {
                    big_endian,
                    interfaces: Vec::new(),
                };
                Ok(None)
            }
            Block::InterfaceDescription(idb) => interface_of(&idb, big_endian)
                .and_then(|iface| self.add_interface(iface))
                .map(|()| None),
            Block::EnhancedPacket(epb) => self
                .interface(epb.if_id)
                .map(|iface| Found {
                    data: NG_EPB_DATA..NG_EPB_DATA.saturating_add(epb.packet_data().len()),
                    ts: ng_timestamp(
                        (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low),
                        iface,
                    ),
                    origlen: epb.origlen,
                    link: iface.link,
                })
                .map(Some)
                .ok_or_else(|| format!("packet for undeclared interface {}", epb.if_id)),
            Block::SimplePacket(spb) => self
                .interface(0)
                .map(|iface| {
                    let snaplen = match usize::try_from(iface.snaplen) {
                        Ok(0) | Err(_) => usize::MAX,
                        Ok(n) => n,
                    };
                    let caplen = spb.packet_data().len().min(snaplen);
                    Found {
                        data: NG_SPB_DATA..NG_SPB_DATA.saturating_add(caplen),
                        // A simple packet block carries no timestamp.
                        ts: Timestamp::default(),
                        origlen: spb.origlen,
                        link: iface.link,
                    }
                })
                .map(Some)
                .ok_or_else(|| "simple packet block before any interface".to_string()),
            _ => Ok(None),
        };
        self.pending = len;
        result.map_err(|detail| self.malformed(detail))
    }

    fn add_interface(&mut self, iface: Interface) -> Result<(), String> {
        if let Format::Pcapng { interfaces, .. } = &mut self.format {
            if interfaces.len() >= MAX_INTERFACES {
                return Err(format!("more than {MAX_INTERFACES} interfaces"));
            }
            interfaces.push(iface);
        }
        Ok(())
    }

    fn interface(&self, id: u32) -> Option<Interface> {
        match &self.format {
            Format::Pcapng { interfaces, .. } => interfaces.get(usize::try_from(id).ok()?).copied(),
            Format::Pcap(_) => None,
        }
    }

    fn available(&self) -> &[u8] {
        self.win.available()
    }

    fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        self.win.fill(need)
    }

    fn consume(&mut self, n: usize) {
        self.win.consume(n);
    }

    fn u32_at(&self, range: Range<usize>, big_endian: bool) -> Option<u32> {
        let bytes = <[u8; 4]>::try_from(self.available().get(range)?).ok()?;
        Some(if big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }

    /// At a block boundary: a clean end if nothing is left, else a cut block.
    fn end_or_truncated(&self) -> Result<Option<Found>, CaptureError> {
        if self.available().is_empty() {
            Ok(None)
        } else {
            Err(self.truncated())
        }
    }

    fn truncated(&self) -> CaptureError {
        CaptureError::Truncated {
            packets_read: self.packets,
            offset: self.win.offset(),
        }
    }

    fn malformed(&self, detail: impl Into<String>) -> CaptureError {
        CaptureError::Malformed {
            offset: self.win.offset(),
            detail: detail.into(),
        }
    }
}

/// The interface an IDB describes, in a section of the given byte order.
fn interface_of(
    idb: &InterfaceDescriptionBlock<'_>,
    big_endian: bool,
) -> Result<Interface, String> {
    let units = ts_units(idb.if_tsresol)
        .ok_or_else(|| format!("interface time resolution {:#x}", idb.if_tsresol))?;
    // pcap-parser reads if_tsoffset little-endian whatever the section says.
    let offset = idb
        .options
        .iter()
        .find(|o| o.code == OptionCode::IfTsoffset)
        .and_then(|o| <[u8; 8]>::try_from(o.value.get(..8)?).ok())
        .map_or(0, |v| {
            if big_endian {
                i64::from_be_bytes(v)
            } else {
                i64::from_le_bytes(v)
            }
        });
    Ok(Interface {
        // A 16-bit field in the IDB, so never negative.
        link: LinkType(u32::try_from(idb.linktype.0).unwrap_or(0)),
        snaplen: idb.snaplen,
        units,
        offset,
    })
}

/// A pcapng timestamp in `iface` units since the epoch (plus its offset).
fn ng_timestamp(ticks: u64, iface: Interface) -> Timestamp {
    super::time::from_ticks(ticks, iface.units, iface.offset)
}
