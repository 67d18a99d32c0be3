//! Capture reading: pcap and pcapng files (via `pcap-parser`) and the link
//! layers under IP (via `etherparse`), down to TCP segments.
//!
//! [`CaptureReader`] streams packets from any `io::Read` with memory bounded
//! by the largest block (at most [`MAX_BLOCK_LEN`]); [`parse_tcp`] turns one
//! packet's bytes into a [`TcpPacket`] view that borrows the payload.
//! [`PcapWriter`] and [`PcapngWriter`] write captures back out; a
//! [`feed`] carries a stream that another thread produces (a live capture,
//! a pipe) to the same reader.
//!
//! ```text
//!  impl Read --CaptureReader--> Packet { index, ts, link, data }
//!                                  |
//!                          parse_tcp(link, data)
//!                                  v
//!            TcpPacket { src, dst, seq, ack, flags, payload, missing }
//! ```
//!
//! Format facts come from the IETF OPSAWG drafts for pcap and pcapng and
//! from the tcpdump.org LINKTYPE list; each file's docs draw its layouts.

pub mod ahead;
pub mod feed;
mod link;
pub mod merge;
mod reader;
mod time;
mod window;
mod writer;

pub use ahead::{read_ahead, with_packets, AheadReader, Packets};
use bytes::Bytes;
pub use feed::{feed, feed_from, FeedHandle, FeedReader, FeedWriter};
pub use link::{parse_head, parse_tcp, LinkError, Parsed, TcpFlags, TcpHead, TcpPacket};
pub use merge::{MergeReader, Origin, Origins};
pub use reader::{CaptureError, CaptureReader, MAX_BLOCK_LEN};
pub use window::{Mapped, SharedBytes};
pub use writer::{PcapOptions, PcapWriter, PcapngWriter, DEFAULT_SNAPLEN};

/// Anything that gives packets one at a time: a [`CaptureReader`], or a
/// [`MergeReader`] over several.
pub trait PacketSource {
    /// The next packet, `Ok(None)` at the end; after an error the source
    /// is finished and returns `Ok(None)`.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;

    /// The whole input the packets borrow from, when it is held in memory
    /// (a memory-mapped file): packets can then be handed on as places in
    /// it rather than copied (see [`ahead`]).
    fn shared(&self) -> Option<SharedBytes> {
        None
    }

    /// Where the last packet's bytes lie in [`PacketSource::shared`].
    fn last_span(&self) -> std::ops::Range<usize> {
        0..0
    }
}

impl<R: std::io::Read> PacketSource for CaptureReader<R> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        CaptureReader::next_packet(self)
    }
    fn shared(&self) -> Option<SharedBytes> {
        CaptureReader::shared(self).cloned()
    }
    fn last_span(&self) -> std::ops::Range<usize> {
        CaptureReader::last_span(self)
    }
}

impl<S: PacketSource + ?Sized> PacketSource for Box<S> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        (**self).next_packet()
    }
    fn shared(&self) -> Option<SharedBytes> {
        (**self).shared()
    }
    fn last_span(&self) -> std::ops::Range<usize> {
        (**self).last_span()
    }
}

/// 1-based packet number in the capture file, as Wireshark counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PacketIndex(pub u64);

impl std::fmt::Display for PacketIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A packet's capture time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds as a float, for relative-time arithmetic in printers.
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// Link-layer type of a packet, using the LINKTYPE_* numbers of pcap/pcapng.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// LINKTYPE_NULL: BSD loopback, 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// LINKTYPE_ETHERNET.
    pub const ETHERNET: LinkType = LinkType(1);
    /// LINKTYPE_RAW: raw IPv4 or IPv6, version from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// LINKTYPE_LOOP: OpenBSD loopback, 4-byte address family big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// LINKTYPE_LINUX_SLL: Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// LINKTYPE_IPV4: raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// LINKTYPE_IPV6: raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// LINKTYPE_LINUX_SLL2: Linux cooked capture v2 (20-byte header), `tcpdump -i any`.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The link type's name, for what is read (`None`: not read).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "BSD loopback",
            LinkType::ETHERNET => "Ethernet",
            LinkType::LOOP => "OpenBSD loopback",
            LinkType::LINUX_SLL => "Linux cooked",
            LinkType::LINUX_SLL2 => "Linux cooked v2",
            LinkType::IPV4 => "raw IPv4",
            LinkType::IPV6 => "raw IPv6",
            // pcap's DLT_RAW numbers (12, 14 on some systems) read as 101.
            LinkType::RAW | LinkType(12) | LinkType(14) => "raw IP",
            _ => return None,
        })
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "link type {} (not supported)", self.0),
        }
    }
}

/// One captured packet, borrowing its bytes from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based index in the file.
    pub index: PacketIndex,
    /// Capture time.
    pub ts: Timestamp,
    /// Bytes captured (== `data.len()`).
    pub caplen: u32,
    /// Bytes on the wire; more than `caplen` when the snap length cut the packet.
    pub origlen: u32,
    /// Link-layer type of `data`.
    pub link: LinkType,
    /// The captured bytes, starting at the link-layer header.
    pub data: &'a [u8],
    /// Its link layers already parsed (read ahead on another thread), or
    /// `None`: [`parse_tcp`] then reads them.
    pub tcp: Option<&'a Parsed>,
    /// The buffer `data` lies in, when a piece of it may be held past the
    /// packet (read ahead, or a mapped file); `None` when the bytes are
    /// only lent until the next packet.
    pub owner: Option<Owner<'a>>,
}

/// The buffer a packet's bytes lie in, when pieces of it may be held
/// (`Bytes::slice`) after the packet: what keeps them then needs no copy.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    /// The buffer.
    pub bytes: &'a Bytes,
    /// Its number: buffers are numbered in the order of their packets.
    pub id: u64,
    /// Set when too many earlier buffers are still held by such pieces:
    /// whoever keeps pieces of buffers numbered below this should copy
    /// what it needs and let go of them now, so that the memory the reader
    /// uses stays bounded.
    pub release: Option<u64>,
}

impl<'a> Packet<'a> {
    /// The TCP segment it carries (`Ok(None)`: not TCP), as [`parse_tcp`]
    /// reads it, or as it was read ahead.
    pub fn tcp(&self) -> Result<Option<TcpPacket<'a>>, LinkError> {
        match self.tcp {
            Some(Ok(head)) => Ok(head.as_ref().map(|h| h.view(self.data, self.owner))),
            Some(Err(e)) => Err(e.clone()),
            None => parse_tcp(self.link, self.data).map(|tcp| {
                tcp.map(|mut t| {
                    t.owner = self.owner;
                    t
                })
            }),
        }
    }
}
