//! Capture writers: legacy pcap and pcapng, to any `io::Write`.
//!
//! Used to export packets and by tests that rebuild captures in other
//! layouts. The layouts are the ones [`super::CaptureReader`] reads (see the
//! table in `reader.rs`; facts from `draft-ietf-opsawg-pcap` and
//! `draft-ietf-opsawg-pcapng`):
//!
//! ```text
//! pcap:   header (magic, 2.4, thiszone 0, sigfigs 0, snaplen, link type)
//!         then per packet: ts_sec | ts_frac | caplen | origlen | data
//! pcapng: SHB (version 1.0, section length -1), one IDB per interface
//!         (if_tsresol and if_tsoffset options when not the defaults),
//!         then an EPB (or SPB) per packet; bodies padded to 4 bytes
//! ```
//!
//! Every writer produces whole blocks with one `write_all` each, in the
//! byte order chosen at construction.

use super::time::ts_units;
use super::{LinkType, Timestamp};
use std::io::{self, Write};

const PCAP_MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const PCAP_VERSION: (u16, u16) = (2, 4);
/// Snap length written when the caller does not choose one (libpcap's default).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_IDB: u32 = 0x0000_0001;
const NG_SPB: u32 = 0x0000_0003;
const NG_EPB: u32 = 0x0000_0006;
const NG_BOM: u32 = 0x1a2b_3c4d;
const NG_VERSION: (u16, u16) = (1, 0);
const NG_OPT_END: u16 = 0;
const NG_OPT_TSRESOL: u16 = 9;
const NG_OPT_TSOFFSET: u16 = 14;
/// if_tsresol values: 10^-6 (the default) and 10^-9 seconds.
const TSRESOL_MICROS: u8 = 6;
const TSRESOL_NANOS: u8 = 9;
const NANOS_PER_SEC: u128 = 1_000_000_000;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

fn len_u32(len: usize, what: &str) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| invalid(what))
}

/// Bytes encoded in one byte order.
struct Encoder {
    big_endian: bool,
    bytes: Vec<u8>,
}

impl Encoder {
    fn new(big_endian: bool) -> Self {
        Encoder {
            big_endian,
            bytes: Vec::new(),
        }
    }

    fn u16(&mut self, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    fn i64(&mut self, v: i64) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    /// Raw bytes then zeros up to a multiple of four.
    fn padded(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        let pad = (4 - data.len() % 4) % 4;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
    }
}

/// Settings of a legacy pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapOptions {
    /// Link type of every packet.
    pub link: LinkType,
    /// Snap length recorded in the header.
    pub snaplen: u32,
    /// Nanosecond timestamps (magic a1b23c4d) instead of microseconds.
    pub nanosecond: bool,
    /// Write big-endian instead of little-endian.
    pub big_endian: bool,
}

impl PcapOptions {
    /// Microsecond, little-endian, default snap length, for `link`.
    pub fn new(link: LinkType) -> Self {
        PcapOptions {
            link,
            snaplen: DEFAULT_SNAPLEN,
            nanosecond: false,
            big_endian: false,
        }
    }
}

impl Default for PcapOptions {
    fn default() -> Self {
        PcapOptions::new(LinkType::ETHERNET)
    }
}

/// Writes a legacy pcap file.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    options: PcapOptions,
}

impl<W: Write> PcapWriter<W> {
    /// Write the file header and return the writer.
    pub fn new(mut out: W, options: PcapOptions) -> io::Result<Self> {
        let mut e = Encoder::new(options.big_endian);
        e.u32(if options.nanosecond {
            PCAP_MAGIC_NANOS
        } else {
            PCAP_MAGIC_MICROS
        });
        e.u16(PCAP_VERSION.0);
        e.u16(PCAP_VERSION.1);
        e.u32(0); // thiszone
        e.u32(0); // sigfigs
        e.u32(options.snaplen);
        e.u32(options.link.0);
        out.write_all(&e.bytes)?;
        Ok(PcapWriter { out, options })
    }

    /// Append one packet: `data` is what was captured, `origlen` its length
    /// on the wire. Sub-microsecond digits are dropped in microsecond files.
    pub fn write_packet(&mut self, ts: Timestamp, origlen: u32, data: &[u8]) -> io::Result<()> {
        let secs = u32::try_from(ts.secs).map_err(|_| invalid("timestamp outside pcap's range"))?;
        let frac = if self.options.nanosecond {
            ts.nanos
        } else {
            ts.nanos / 1000
        };
        let caplen = len_u32(data.len(), "packet longer than 4 GiB")?;
        let mut e = Encoder::new(self.options.big_endian);
        e.u32(secs);
        e.u32(frac);
        e.u32(caplen);
        e.u32(origlen);
        e.bytes.extend_from_slice(data);
        self.out.write_all(&e.bytes)
    }

    /// The destination.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Push what the destination buffers to where it goes (a live
    /// capture's `-w` file between packets).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flush and hand back the destination.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Timestamp settings of one pcapng interface.
#[derive(Debug, Clone, Copy)]
struct NgInterface {
    /// Units per second.
    units: u64,
    /// if_tsoffset, seconds.
    offset: i64,
}

/// Writes a pcapng file with one section.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    big_endian: bool,
    interfaces: Vec<NgInterface>,
}

impl<W: Write> PcapngWriter<W> {
    /// Write a little-endian section header and return the writer.
    pub fn new(out: W) -> io::Result<Self> {
        Self::with_byte_order(out, false)
    }

    /// Write a section header in the chosen byte order.
    pub fn with_byte_order(out: W, big_endian: bool) -> io::Result<Self> {
        let mut w = PcapngWriter {
            out,
            big_endian,
            interfaces: Vec::new(),
        };
        let mut body = Encoder::new(big_endian);
        body.u32(NG_BOM);
        body.u16(NG_VERSION.0);
        body.u16(NG_VERSION.1);
        body.i64(-1); // section length unknown
        w.block(NG_SHB, &body.bytes)?;
        Ok(w)
    }

    /// Describe an interface (microsecond or nanosecond timestamps); returns
    /// the id to pass to [`PcapngWriter::write_packet`].
    pub fn add_interface(
        &mut self,
        link: LinkType,
        snaplen: u32,
        nanosecond: bool,
    ) -> io::Result<u32> {
        let tsresol = if nanosecond {
            TSRESOL_NANOS
        } else {
            TSRESOL_MICROS
        };
        self.add_interface_with(link, snaplen, tsresol, 0)
    }

    /// Describe an interface with any `if_tsresol` (high bit set: a power of
    /// two) and `if_tsoffset` (seconds added to every timestamp).
    pub fn add_interface_with(
        &mut self,
        link: LinkType,
        snaplen: u32,
        tsresol: u8,
        tsoffset: i64,
    ) -> io::Result<u32> {
        let link16 = u16::try_from(link.0).map_err(|_| invalid("pcapng link types are 16-bit"))?;
        let units = ts_units(tsresol).ok_or_else(|| invalid("if_tsresol out of range"))?;
        let id = len_u32(self.interfaces.len(), "too many interfaces")?;
        let mut body = Encoder::new(self.big_endian);
        body.u16(link16);
        body.u16(0); // reserved
        body.u32(snaplen);
        if tsresol != TSRESOL_MICROS {
            body.u16(NG_OPT_TSRESOL);
            body.u16(1);
            body.padded(&[tsresol]);
        }
        if tsoffset != 0 {
            body.u16(NG_OPT_TSOFFSET);
            body.u16(8);
            body.i64(tsoffset);
        }
        if tsresol != TSRESOL_MICROS || tsoffset != 0 {
            body.u16(NG_OPT_END);
            body.u16(0);
        }
        self.block(NG_IDB, &body.bytes)?;
        self.interfaces.push(NgInterface {
            units,
            offset: tsoffset,
        });
        Ok(id)
    }

    /// Append an Enhanced Packet Block on `interface`. Digits finer than the
    /// interface's resolution are dropped.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        origlen: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let iface = usize::try_from(interface)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .copied()
            .ok_or_else(|| invalid("unknown interface id"))?;
        let ticks =
            ticks(ts, iface).ok_or_else(|| invalid("timestamp outside the interface's range"))?;
        let caplen = len_u32(data.len(), "packet longer than 4 GiB")?;
        let mut body = Encoder::new(self.big_endian);
        body.u32(interface);
        body.u32(u32::try_from(ticks >> 32).unwrap_or(u32::MAX));
        body.u32(u32::try_from(ticks & u64::from(u32::MAX)).unwrap_or(u32::MAX));
        body.u32(caplen);
        body.u32(origlen);
        body.padded(data);
        self.block(NG_EPB, &body.bytes)
    }

    /// Append a Simple Packet Block (interface 0, no timestamp); `data` must
    /// be the whole packet or cut to interface 0's snap length.
    pub fn write_simple_packet(&mut self, origlen: u32, data: &[u8]) -> io::Result<()> {
        if self.interfaces.is_empty() {
            return Err(invalid("simple packet before any interface"));
        }
        let mut body = Encoder::new(self.big_endian);
        body.u32(origlen);
        body.padded(data);
        self.block(NG_SPB, &body.bytes)
    }

    /// Append a block of any type with the given body (padded to 4 bytes);
    /// readers skip types they do not know.
    pub fn write_raw_block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let mut e = Encoder::new(self.big_endian);
        e.padded(body);
        self.block(block_type, &e.bytes)
    }

    /// Flush and hand back the destination.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// Frame a body (already a multiple of 4 bytes) as a block.
    fn block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let total = body
            .len()
            .checked_add(12)
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| invalid("block longer than 4 GiB"))?;
        let mut e = Encoder::new(self.big_endian);
        e.u32(block_type);
        e.u32(total);
        e.bytes.extend_from_slice(body);
        e.u32(total);
        self.out.write_all(&e.bytes)
    }
}

/// `ts` in the interface's units since its offset.
fn ticks(ts: Timestamp, iface: NgInterface) -> Option<u64> {
    let secs = u128::try_from(ts.secs.checked_sub(iface.offset)?).ok()?;
    let units = u128::from(iface.units);
    let frac = u128::from(ts.nanos) * units / NANOS_PER_SEC;
    u64::try_from(secs.checked_mul(units)?.checked_add(frac)?).ok()
}
