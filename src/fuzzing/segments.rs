//! TCP segment records: the `packets` target's second reading of its input,
//! a sequence of segments of a few connections between two fixed hosts,
//! built into IPv4 packets and run through the dissector (flow table,
//! reassembly, msgr2, records and their trees).
//!
//! ```text
//! record := flags:u8 seq:le32 ack:le32 len:le16 payload[len]
//! flags  := bit 0-1 flow (client port 40000 + flow, server port 3300)
//!           bit 2   from the server
//!           bit 3-6 SYN, ACK, FIN, RST
//!           bit 7   capture keeps only half the payload (snap length)
//! seq    := offset from the sender's initial sequence number
//! ack    := offset from the receiver's initial sequence number
//! ```
//!
//! Sequence numbers are offsets, so reordering, duplicating or overlapping
//! segments, or sending data before the SYN, is a matter of record order:
//! every case the reassembler must handle is a small edit of a seed.

use std::net::{Ipv4Addr, SocketAddr};

use crate::analysis::{record_tree, Config, Dissector};
use crate::capture::{LinkType, Packet, PacketIndex, Timestamp};

/// Bytes of a record before its payload.
pub const HEADER_LEN: usize = 11;
/// Largest payload a record carries (longer lengths are cut).
pub const MAX_PAYLOAD: usize = 16 << 10;
/// Connections a record can name.
pub const FLOWS: u8 = 4;
/// The server's port (IANA's msgr2 port).
pub const SERVER_PORT: u16 = 3300;
/// Bytes of the IPv4 and TCP headers of every packet built.
const HEADERS_LEN: usize = 40;

const SYN: u8 = 1 << 3;
const ACK: u8 = 1 << 4;
const FIN: u8 = 1 << 5;
const RST: u8 = 1 << 6;
const SNAPPED: u8 = 1 << 7;

/// One segment as a record describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seg<'a> {
    /// Connection, `0..FLOWS`.
    pub flow: u8,
    /// Sent by the server.
    pub from_server: bool,
    /// TCP flags: SYN, ACK, FIN, RST.
    pub syn: bool,
    /// ACK flag.
    pub ack_flag: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// Capture keeps only half the payload.
    pub snapped: bool,
    /// Sequence number as an offset from the sender's ISN.
    pub seq: u32,
    /// Acknowledgement as an offset from the receiver's ISN.
    pub ack: u32,
    /// Payload.
    pub payload: &'a [u8],
}

impl<'a> Seg<'a> {
    /// Read one record from the front of `data`; the rest follows it.
    pub fn read(data: &'a [u8]) -> Option<(Seg<'a>, &'a [u8])> {
        let head = data.get(..HEADER_LEN)?;
        let rest = data.get(HEADER_LEN..)?;
        let word = |i: usize| {
            head.get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u32::from_le_bytes)
        };
        let f = head.first().copied().unwrap_or(0);
        let len = head
            .get(9..11)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u16::from_le_bytes);
        let len = usize::from(len).min(MAX_PAYLOAD).min(rest.len());
        let (payload, rest) = rest.split_at(len);
        let seg = Seg {
            flow: f & 3,
            from_server: f & 4 != 0,
            syn: f & SYN != 0,
            ack_flag: f & ACK != 0,
            fin: f & FIN != 0,
            rst: f & RST != 0,
            snapped: f & SNAPPED != 0,
            seq: word(1),
            ack: word(5),
            payload,
        };
        Some((seg, rest))
    }

    /// The record's bytes (a payload over [`MAX_PAYLOAD`] is cut).
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = self.payload.get(..MAX_PAYLOAD).unwrap_or(self.payload);
        let mut f = self.flow % FLOWS;
        for (on, bit) in [
            (self.from_server, 4),
            (self.syn, SYN),
            (self.ack_flag, ACK),
            (self.fin, FIN),
            (self.rst, RST),
            (self.snapped, SNAPPED),
        ] {
            if on {
                f |= bit;
            }
        }
        let mut v = vec![f];
        v.extend_from_slice(&self.seq.to_le_bytes());
        v.extend_from_slice(&self.ack.to_le_bytes());
        let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// The segment as an IPv4 packet (link type RAW): the bytes captured
    /// and the length on the wire.
    pub fn packet(&self) -> (Vec<u8>, u32) {
        let (client, server) = endpoints(self.flow);
        let (src, dst) = if self.from_server {
            (server, client)
        } else {
            (client, server)
        };
        let seq = isn(self.flow, self.from_server).wrapping_add(self.seq);
        let ack = isn(self.flow, !self.from_server).wrapping_add(self.ack);
        let total = HEADERS_LEN + self.payload.len();
        let mut p = Vec::with_capacity(total);
        // IPv4 (RFC 791): version 4, IHL 5, total length, DF, TTL 64, TCP.
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&u16::try_from(total).unwrap_or(u16::MAX).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        for a in [src, dst] {
            if let std::net::IpAddr::V4(ip) = a.ip() {
                p.extend_from_slice(&ip.octets());
            }
        }
        // TCP (RFC 9293): ports, seq, ack, data offset 5, flags, window.
        p.extend_from_slice(&src.port().to_be_bytes());
        p.extend_from_slice(&dst.port().to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        let mut flags = 0u8;
        for (on, bit) in [
            (self.fin, 0x01),
            (self.syn, 0x02),
            (self.rst, 0x04),
            (!self.payload.is_empty(), 0x08),
            (self.ack_flag, 0x10),
        ] {
            if on {
                flags |= bit;
            }
        }
        p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(self.payload);
        let wire = u32::try_from(p.len()).unwrap_or(u32::MAX);
        if self.snapped {
            p.truncate(HEADERS_LEN + self.payload.len() / 2);
        }
        (p, wire)
    }
}

/// Client and server of connection `flow`.
pub fn endpoints(flow: u8) -> (SocketAddr, SocketAddr) {
    let client = SocketAddr::from((Ipv4Addr::new(10, 0, 0, 1), 40000 + u16::from(flow % FLOWS)));
    let server = SocketAddr::from((Ipv4Addr::new(10, 0, 0, 2), SERVER_PORT));
    (client, server)
}

/// Initial sequence number of one side of connection `flow`; the server of
/// flow 3 wraps around 2^32 after 256 bytes.
pub fn isn(flow: u8, server: bool) -> u32 {
    match (flow % FLOWS, server) {
        (3, true) => 0xffff_ff00,
        (f, false) => 0x1000_0000_u32.wrapping_mul(u32::from(f) + 1),
        (f, true) => 0x8000_0000_u32.wrapping_add(0x0100_0000 * u32::from(f)),
    }
}

/// Run every record of `data` through the dissector, building each row's tree.
pub fn run(data: &[u8]) {
    let mut d = Dissector::new(Config::default());
    let mut out = |r: crate::analysis::Record| {
        let _ = record_tree(&r);
    };
    let mut rest = data;
    let mut index = 0u64;
    while let Some((seg, more)) = Seg::read(rest) {
        rest = more;
        index += 1;
        let (bytes, wire) = seg.packet();
        let pkt = Packet {
            index: PacketIndex(index),
            ts: Timestamp {
                secs: 1_700_000_000,
                nanos: u32::try_from(index.min(999_999) * 1000).unwrap_or(0),
            },
            caplen: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            origlen: wire,
            link: LinkType::RAW,
            data: &bytes,
            tcp: None,
            owner: None,
        };
        d.packet(&pkt, &mut out);
    }
    d.finish(&mut out);
}
