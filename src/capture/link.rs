//! Link, network and transport headers down to the TCP payload.
//!
//! Link-layer layouts (numbers and byte ranges from the tcpdump.org
//! LINKTYPE list, <https://www.tcpdump.org/linktypes.html>):
//!
//! ```text
//! ETHERNET (1)      dst [0..6] | src [6..12] | ethertype [12..14] | ...
//!                   802.1Q / 802.1ad tags (TPID 0x8100, 0x88a8, 0x9100) insert
//!                   TCI [0..2] | ethertype [2..4] before the payload, any number deep
//! LINUX_SLL (113)   packet type [0..2] | ARPHRD [2..4] | addr len [4..6]
//!                   | addr [6..14] | protocol [14..16], big-endian
//! LINUX_SLL2 (276)  protocol [0..2] | reserved [2..4] | ifindex [4..8] | ARPHRD [8..10]
//!                   | packet type [10] | addr len [11] | addr [12..20], big-endian
//! NULL (0)          address family [0..4] in the byte order of the host that wrote it
//! LOOP (108)        address family [0..4], big-endian
//! RAW (101)         IPv4 or IPv6 header at 0, version from the first nibble
//! IPV4 (228), IPV6 (229)  that IP version at 0
//! ```
//!
//! Address families: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD),
//! 28 (FreeBSD) or 30 (Darwin).
//!
//! IPv4 (with options and AH) and IPv6 (with extension headers) are sliced by
//! `etherparse`'s lax parsers, then the TCP header by `TcpHeaderSlice`. The TCP
//! segment's extent comes from the IP length fields, so Ethernet padding and
//! trailing FCS bytes never reach the payload; when the capture kept fewer bytes
//! than IP declares, the payload is what was kept and `missing` counts the rest.
//! A zero IPv4 total length or IPv6 payload length (segmentation offload,
//! jumbograms) means "up to the end of the captured bytes".

use super::LinkType;
use etherparse::{
    EtherType, Ethernet2HeaderSlice, IpNumber, Ipv6HeaderSlice, LaxIpv4Slice,
    SingleVlanHeaderSlice, TcpHeaderSlice,
};
use std::fmt::Display;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

/// The TCP flags the reassembler cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

/// A TCP segment found in a packet, borrowing its payload.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: u32,
    /// Acknowledgement number (meaningful when `flags.ack`).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Offset of `payload` within the packet's bytes.
    pub payload_offset: usize,
    /// Payload bytes the IP header declares but the capture did not keep (snap length).
    pub missing: u32,
    /// The buffer `payload` lies in, when a piece of it may be held past
    /// the packet (the packet's [`Owner`](super::Owner)).
    pub owner: Option<super::Owner<'a>>,
    /// CRC32C of `payload` (the crc32c crate's form), when it was computed
    /// where the bytes were read (see [`TcpHead::with_payload_crc`]).
    pub payload_crc: Option<u32>,
}

/// A TCP packet's headers read ahead (on the reader thread, see
/// [`super::ahead`]): a [`TcpPacket`] whose payload is a place in the
/// packet's bytes.
#[derive(Debug, Clone)]
pub struct TcpHead {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: Range<usize>,
    missing: u32,
    payload_crc: Option<u32>,
}

impl TcpHead {
    /// The headers of `p`.
    pub fn of(p: &TcpPacket<'_>) -> Self {
        TcpHead {
            src: p.src,
            dst: p.dst,
            seq: p.seq,
            ack: p.ack,
            flags: p.flags,
            payload: p.payload_offset..p.payload_offset.saturating_add(p.payload.len()),
            missing: p.missing,
            payload_crc: p.payload_crc,
        }
    }

    /// With the CRC32C of its payload, read from the packet's bytes `data`
    /// on the thread that read them, while they are in its cache: whoever
    /// checks a segment made of whole payloads then needs only their CRCs
    /// (`msgr2::crc::Shifts`), not their bytes.
    pub fn with_payload_crc(mut self, data: &[u8]) -> Self {
        if let Some(p) = data.get(self.payload.clone()).filter(|p| !p.is_empty()) {
            self.payload_crc = Some(crc32c::crc32c(p));
        }
        self
    }

    /// The packet again, over its bytes `data` (which lie in `owner`).
    pub fn view<'a>(&self, data: &'a [u8], owner: Option<super::Owner<'a>>) -> TcpPacket<'a> {
        TcpPacket {
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            payload: data.get(self.payload.clone()).unwrap_or_default(),
            payload_offset: self.payload.start,
            missing: self.missing,
            owner,
            payload_crc: self.payload_crc,
        }
    }
}

/// What [`parse_tcp`] made of a packet, kept apart from its bytes.
pub type Parsed = Result<Option<TcpHead>, LinkError>;

/// [`parse_tcp`], its payload kept as a place in `data`.
pub fn parse_head(link: LinkType, data: &[u8]) -> Parsed {
    parse_tcp(link, data).map(|p| p.as_ref().map(TcpHead::of))
}

/// Why a packet's headers could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The headers are cut short or inconsistent.
    #[error("malformed {layer} header: {detail}")]
    Malformed {
        /// Which header.
        layer: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The capture's link type is not one this crate reads.
    #[error("unsupported link type {}", .0 .0)]
    UnsupportedLink(LinkType),
}

/// Ethertypes that announce a VLAN tag (802.1Q, 802.1ad, the old QinQ 0x9100).
const VLAN_TPIDS: [EtherType; 3] = [
    EtherType::VLAN_TAGGED_FRAME,
    EtherType::PROVIDER_BRIDGING,
    EtherType::VLAN_DOUBLE_TAGGED_FRAME,
];
/// More stacked VLAN tags than this is treated as malformed.
const MAX_VLAN_TAGS: usize = 8;
/// Length of one VLAN tag (TCI + inner ethertype).
const VLAN_TAG_LEN: usize = 4;

/// Linux cooked capture v1: header length and protocol field.
const SLL_HEADER_LEN: usize = 16;
const SLL_PROTOCOL: Range<usize> = 14..16;
/// Linux cooked capture v2: header length and protocol field.
const SLL2_HEADER_LEN: usize = 20;
const SLL2_PROTOCOL: Range<usize> = 0..2;
/// BSD loopback (NULL and LOOP): header length and address family field.
const LOOPBACK_HEADER_LEN: usize = 4;
const LOOPBACK_FAMILY: Range<usize> = 0..4;
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];
/// Raw-IP link type numbers some systems wrote instead of LINKTYPE_RAW (DLT_RAW values).
const RAW_ALIASES: [u32; 2] = [12, 14];
/// Fixed IPv6 header length.
const IPV6_HEADER_LEN: usize = 40;

/// Which IP version the link layer announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4,
    V6,
    /// Decide from the first nibble (raw IP link types).
    FromNibble,
}

fn malformed(layer: &'static str, detail: impl Display) -> LinkError {
    LinkError::Malformed {
        layer,
        detail: detail.to_string(),
    }
}

/// Read a fixed-size field, or report the header as cut.
fn field<const N: usize>(
    data: &[u8],
    range: Range<usize>,
    layer: &'static str,
) -> Result<[u8; N], LinkError> {
    let len = data.len();
    data.get(range)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| malformed(layer, format!("cut at {len} bytes")))
}

/// Parse one packet of link type `link` down to TCP. `Ok(None)` when the
/// packet is not TCP over IPv4/IPv6 (ARP, UDP, an IP fragment after the first, ...).
pub fn parse_tcp(link: LinkType, data: &[u8]) -> Result<Option<TcpPacket<'_>>, LinkError> {
    let Some((net, ip_start)) = link_layer(link, data)? else {
        return Ok(None);
    };
    let ip = data
        .get(ip_start..)
        .ok_or_else(|| malformed("link", "shorter than its header"))?;
    let net = match net {
        Net::FromNibble => match ip.first().map(|b| b >> 4) {
            Some(4) => Net::V4,
            Some(6) => Net::V6,
            Some(v) => return Err(malformed("ip", format!("version {v}"))),
            None => return Err(malformed("ip", "no bytes")),
        },
        known => known,
    };
    if net == Net::V4 {
        ipv4(data, ip_start, ip)
    } else {
        ipv6(data, ip_start, ip)
    }
}

/// Strip the link layer: which IP version follows, and at which offset.
/// `Ok(None)` for non-IP payloads.
fn link_layer(link: LinkType, data: &[u8]) -> Result<Option<(Net, usize)>, LinkError> {
    match link {
        LinkType::ETHERNET => {
            let eth =
                Ethernet2HeaderSlice::from_slice(data).map_err(|e| malformed("ethernet", e))?;
            ethertype_chain(data, eth.slice().len(), eth.ether_type())
        }
        LinkType::LINUX_SLL => cooked(data, SLL_HEADER_LEN, SLL_PROTOCOL, "linux sll"),
        LinkType::LINUX_SLL2 => cooked(data, SLL2_HEADER_LEN, SLL2_PROTOCOL, "linux sll2"),
        LinkType::NULL => {
            let raw = field::<4>(data, LOOPBACK_FAMILY, "null")?;
            // The writer's byte order is unknown: accept a family read either way.
            let family = address_family(u32::from_le_bytes(raw))
                .or_else(|| address_family(u32::from_be_bytes(raw)));
            Ok(family.map(|net| (net, LOOPBACK_HEADER_LEN)))
        }
        LinkType::LOOP => {
            let raw = field::<4>(data, LOOPBACK_FAMILY, "loop")?;
            Ok(address_family(u32::from_be_bytes(raw)).map(|net| (net, LOOPBACK_HEADER_LEN)))
        }
        LinkType::RAW => Ok(Some((Net::FromNibble, 0))),
        LinkType::IPV4 => Ok(Some((Net::V4, 0))),
        LinkType::IPV6 => Ok(Some((Net::V6, 0))),
        LinkType(n) if RAW_ALIASES.contains(&n) => Ok(Some((Net::FromNibble, 0))),
        other => Err(LinkError::UnsupportedLink(other)),
    }
}

/// Linux cooked headers: fixed length, big-endian ethertype at `protocol`.
fn cooked(
    data: &[u8],
    header_len: usize,
    protocol: Range<usize>,
    layer: &'static str,
) -> Result<Option<(Net, usize)>, LinkError> {
    if data.len() < header_len {
        return Err(malformed(layer, format!("cut at {} bytes", data.len())));
    }
    let proto = field::<2>(data, protocol, layer)?;
    ethertype_chain(data, header_len, EtherType(u16::from_be_bytes(proto)))
}

fn address_family(family: u32) -> Option<Net> {
    if family == AF_INET {
        Some(Net::V4)
    } else if AF_INET6.contains(&family) {
        Some(Net::V6)
    } else {
        None
    }
}

/// Follow VLAN tags from `offset` until a non-VLAN ethertype.
fn ethertype_chain(
    data: &[u8],
    mut offset: usize,
    mut ether_type: EtherType,
) -> Result<Option<(Net, usize)>, LinkError> {
    let mut tags = 0usize;
    while VLAN_TPIDS.contains(&ether_type) {
        tags = tags.saturating_add(1);
        if tags > MAX_VLAN_TAGS {
            return Err(malformed("vlan", format!("more than {MAX_VLAN_TAGS} tags")));
        }
        let rest = data.get(offset..).unwrap_or_default();
        let tag = SingleVlanHeaderSlice::from_slice(rest).map_err(|e| malformed("vlan", e))?;
        ether_type = tag.ether_type();
        offset = offset
            .checked_add(VLAN_TAG_LEN)
            .ok_or_else(|| malformed("vlan", "offset overflow"))?;
    }
    Ok(match ether_type {
        EtherType::IPV4 => Some((Net::V4, offset)),
        EtherType::IPV6 => Some((Net::V6, offset)),
        _ => None,
    })
}

fn ipv4<'a>(
    data: &'a [u8],
    ip_start: usize,
    ip: &'a [u8],
) -> Result<Option<TcpPacket<'a>>, LinkError> {
    let (slice, ext_err) = LaxIpv4Slice::from_slice(ip).map_err(|e| malformed("ipv4", e))?;
    let header = slice.header();
    let header_len = header.slice().len();
    let total = usize::from(header.total_len());
    if total != 0 && total < header_len {
        return Err(malformed(
            "ipv4",
            format!("total length {total} shorter than header length {header_len}"),
        ));
    }
    if header.fragments_offset().value() != 0 {
        return Ok(None);
    }
    if let Some(e) = ext_err {
        return Err(malformed("ipv4 authentication", e));
    }
    let payload = slice.payload();
    if payload.ip_number != IpNumber::TCP {
        return Ok(None);
    }
    let auth_len = slice.extensions().auth.map_or(0, |auth| auth.slice().len());
    let declared_end = if total == 0 {
        data.len()
    } else {
        ip_start.saturating_add(total)
    };
    let segment_start = ip_start.saturating_add(header_len).saturating_add(auth_len);
    tcp(
        data,
        segment_start,
        payload.payload.len(),
        declared_end,
        (
            IpAddr::V4(header.source_addr()),
            IpAddr::V4(header.destination_addr()),
        ),
    )
}

fn ipv6<'a>(
    data: &'a [u8],
    ip_start: usize,
    ip: &'a [u8],
) -> Result<Option<TcpPacket<'a>>, LinkError> {
    // Only the fixed 40-byte header is sliced by etherparse. Its extension
    // header iterator trusts that a whole chain was validated and reads
    // past its slice when the chain ends in an error (a second hop-by-hop
    // header, say), so the chain is walked here with checked reads.
    let header = Ipv6HeaderSlice::from_slice(ip).map_err(|e| malformed("ipv6", e))?;
    let declared = usize::from(header.payload_length());
    let after_header = ip.get(IPV6_HEADER_LEN..).unwrap_or_default();
    // What the capture kept of the payload IP declares (zero: jumbogram or
    // segmentation offload, up to the captured end).
    let payload = if declared == 0 {
        after_header
    } else {
        after_header.get(..declared).unwrap_or(after_header)
    };
    let declared_end = if declared == 0 {
        data.len()
    } else {
        ip_start
            .saturating_add(IPV6_HEADER_LEN)
            .saturating_add(declared)
    };
    let (next, ext_len) = match ipv6_extensions(header.next_header(), payload)? {
        Ipv6Chain::LaterFragment => return Ok(None),
        Ipv6Chain::Upper { next, ext_len } => (next, ext_len),
    };
    if next != IpNumber::TCP {
        return Ok(None);
    }
    let segment_start = ip_start
        .saturating_add(IPV6_HEADER_LEN)
        .saturating_add(ext_len);
    tcp(
        data,
        segment_start,
        payload.len() - ext_len,
        declared_end,
        (
            IpAddr::V6(header.source_addr()),
            IpAddr::V6(header.destination_addr()),
        ),
    )
}

/// Where an IPv6 extension header chain leads.
enum Ipv6Chain {
    /// A fragment with a non-zero offset: no upper-layer header in it.
    LaterFragment,
    /// The upper-layer protocol and the length of the chain before it.
    Upper { next: IpNumber, ext_len: usize },
}

/// More extension headers than this is not a packet anyone sent.
const IPV6_MAX_EXTENSIONS: usize = 16;

/// Walk the extension headers at the start of `payload`, first of type
/// `next`. Lengths (RFC 8200 §4.3-4.6, RFC 4302 §2.2): hop-by-hop (0),
/// routing (43) and destination options (60) are `(hdr ext len + 1) * 8`
/// bytes, fragment (44) is 8 bytes with the offset in bits 0..13 of bytes
/// 2..4, authentication (51) is `(payload len + 2) * 4` bytes.
fn ipv6_extensions(mut next: IpNumber, payload: &[u8]) -> Result<Ipv6Chain, LinkError> {
    let mut at = 0usize;
    for index in 0..=IPV6_MAX_EXTENSIONS {
        let len = match next {
            IpNumber::IPV6_HEADER_HOP_BY_HOP
            | IpNumber::IPV6_ROUTE_HEADER
            | IpNumber::IPV6_DESTINATION_OPTIONS => {
                payload.get(at + 1).map(|&l| (usize::from(l) + 1) * 8)
            }
            IpNumber::IPV6_FRAGMENTATION_HEADER => Some(8),
            IpNumber::AUTHENTICATION_HEADER => {
                payload.get(at + 1).map(|&l| (usize::from(l) + 2) * 4)
            }
            _ => return Ok(Ipv6Chain::Upper { next, ext_len: at }),
        };
        if index == IPV6_MAX_EXTENSIONS {
            return Err(malformed(
                "ipv6 extension",
                format!("more than {IPV6_MAX_EXTENSIONS} extension headers"),
            ));
        }
        // RFC 8200 §4.3: hop-by-hop options only directly after the header.
        if next == IpNumber::IPV6_HEADER_HOP_BY_HOP && index != 0 {
            return Err(malformed(
                "ipv6 extension",
                format!("hop-by-hop header at position {}", index + 1),
            ));
        }
        let header = len
            .and_then(|len| payload.get(at..at.checked_add(len)?))
            .ok_or_else(|| {
                malformed(
                    "ipv6 extension",
                    format!("header {} cut at {} bytes", index + 1, payload.len() - at),
                )
            })?;
        if let (IpNumber::IPV6_FRAGMENTATION_HEADER, [_, _, hi, lo, ..]) = (next, header) {
            if u16::from_be_bytes([*hi, *lo]) >> 3 != 0 {
                return Ok(Ipv6Chain::LaterFragment);
            }
        }
        next = IpNumber(header.first().copied().unwrap_or_default());
        at += header.len();
    }
    // The loop returns at the latest at index IPV6_MAX_EXTENSIONS.
    Err(malformed("ipv6 extension", "chain too long"))
}

/// Slice the TCP header found at `start` (`len` captured segment bytes) and
/// build the view; `declared_end` is where IP says the segment ends.
fn tcp(
    data: &[u8],
    start: usize,
    len: usize,
    declared_end: usize,
    (src_ip, dst_ip): (IpAddr, IpAddr),
) -> Result<Option<TcpPacket<'_>>, LinkError> {
    let end = start
        .checked_add(len)
        .ok_or_else(|| malformed("tcp", "segment offset overflow"))?;
    let segment = data
        .get(start..end)
        .ok_or_else(|| malformed("tcp", "segment outside the packet"))?;
    let header = TcpHeaderSlice::from_slice(segment).map_err(|e| malformed("tcp", e))?;
    let payload_offset = start
        .checked_add(header.slice().len())
        .ok_or_else(|| malformed("tcp", "payload offset overflow"))?;
    let payload = data
        .get(payload_offset..end)
        .ok_or_else(|| malformed("tcp", "header longer than the segment"))?;
    let missing = u32::try_from(declared_end.saturating_sub(data.len()))
        .map_err(|_| malformed("ip", "declared length out of range"))?;
    Ok(Some(TcpPacket {
        src: SocketAddr::new(src_ip, header.source_port()),
        dst: SocketAddr::new(dst_ip, header.destination_port()),
        seq: header.sequence_number(),
        ack: header.acknowledgment_number(),
        flags: TcpFlags {
            syn: header.syn(),
            ack: header.ack(),
            fin: header.fin(),
            rst: header.rst(),
        },
        payload,
        payload_offset,
        missing,
        owner: None,
        payload_crc: None,
    }))
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
