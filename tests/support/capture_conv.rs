//! Capture converters for tests: rewrite a capture's packets under another
//! link type, byte order or file format, so a test can check that the whole
//! pipeline gives the same results on every layout.
//!
//! Every packet keeps its place (packet numbers stay aligned with the
//! original): packets that are not IP keep their ethertype in cooked
//! headers, get address family 0 in loopback headers, and are copied without
//! their link header for the raw-IP link types. `origlen` changes by the
//! difference in link-header length; timestamps are kept exactly.
#![allow(dead_code)]

use cephshark::capture::{
    CaptureReader, LinkType, PcapOptions, PcapWriter, PcapngWriter, Timestamp,
};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const VLAN_TPIDS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// ARPHRD_LOOPBACK, for the cooked headers.
const ARPHRD_LOOPBACK: u16 = 772;
/// Address families written in loopback headers (Darwin's AF_INET6 for NULL,
/// OpenBSD's for LOOP).
const AF_INET: u32 = 2;
const AF_INET6_NULL: u32 = 30;
const AF_INET6_LOOP: u32 = 24;
/// A pcapng block type no reader knows, to check that readers skip it.
const UNKNOWN_BLOCK: u32 = 0x0000_0bad;
/// if_tsoffset of the second interface in [`to_pcapng`].
pub const PCAPNG_TSOFFSET: i64 = 1_700_000_000;

/// One packet read into owned memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPacket {
    pub index: u64,
    pub ts: Timestamp,
    pub origlen: u32,
    pub link: LinkType,
    pub data: Vec<u8>,
}

/// Read every packet of a capture; panics on any error.
pub fn read_all(input: &[u8]) -> Vec<OwnedPacket> {
    let mut reader = CaptureReader::new(input).expect("a capture");
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet().expect("a readable packet") {
        assert_eq!(p.caplen as usize, p.data.len());
        out.push(OwnedPacket {
            index: p.index.0,
            ts: p.ts,
            origlen: p.origlen,
            link: p.link,
            data: p.data.to_vec(),
        });
    }
    out
}

/// Split a packet into (ethertype, bytes after the link header).
/// Ethertype 0 when the link layer does not say.
pub fn split_link(link: LinkType, data: &[u8]) -> (u16, &[u8]) {
    let be16 = |at: usize| {
        data.get(at..at + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    let rest = |at: usize| data.get(at..).unwrap_or(&[]);
    let from_nibble = |bytes: &[u8]| match bytes.first().map(|b| b >> 4) {
        Some(4) => ETHERTYPE_IPV4,
        Some(6) => ETHERTYPE_IPV6,
        _ => 0,
    };
    match link {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut ethertype = be16(at);
            while VLAN_TPIDS.contains(&ethertype) {
                at += 4;
                ethertype = be16(at);
            }
            (ethertype, rest(at + 2))
        }
        LinkType::LINUX_SLL => (be16(14), rest(16)),
        LinkType::LINUX_SLL2 => (be16(0), rest(20)),
        LinkType::NULL | LinkType::LOOP => {
            let raw: [u8; 4] = data.get(..4).map_or([0; 4], |b| [b[0], b[1], b[2], b[3]]);
            let family = |f: u32| match f {
                AF_INET => Some(ETHERTYPE_IPV4),
                24 | 28 | 30 => Some(ETHERTYPE_IPV6),
                _ => None,
            };
            let ethertype = family(u32::from_be_bytes(raw))
                .or(if link == LinkType::NULL {
                    family(u32::from_le_bytes(raw))
                } else {
                    None
                })
                .unwrap_or(0);
            (ethertype, rest(4))
        }
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => (from_nibble(data), data),
        other => panic!("converter does not read link type {}", other.0),
    }
}

/// The link header for `target` in front of a packet of `ethertype`.
/// `big_endian` is the byte order of the host that "wrote" a NULL header.
pub fn link_header(target: LinkType, ethertype: u16, big_endian: bool) -> Vec<u8> {
    let mut h = Vec::new();
    match target {
        LinkType::ETHERNET => {
            h.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02]);
            h.extend_from_slice(&ethertype.to_be_bytes());
        }
        LinkType::LINUX_SLL => {
            h.extend_from_slice(&0u16.to_be_bytes()); // packet type: to us
            h.extend_from_slice(&ARPHRD_LOOPBACK.to_be_bytes());
            h.extend_from_slice(&6u16.to_be_bytes());
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&ethertype.to_be_bytes());
        }
        LinkType::LINUX_SLL2 => {
            h.extend_from_slice(&ethertype.to_be_bytes());
            h.extend_from_slice(&[0, 0]); // reserved
            h.extend_from_slice(&1u32.to_be_bytes()); // interface index
            h.extend_from_slice(&ARPHRD_LOOPBACK.to_be_bytes());
            h.extend_from_slice(&[0, 6]); // packet type, address length
            h.extend_from_slice(&[0; 8]);
        }
        LinkType::NULL | LinkType::LOOP => {
            let family = match ethertype {
                ETHERTYPE_IPV4 => AF_INET,
                ETHERTYPE_IPV6 if target == LinkType::NULL => AF_INET6_NULL,
                ETHERTYPE_IPV6 => AF_INET6_LOOP,
                _ => 0,
            };
            if big_endian || target == LinkType::LOOP {
                h.extend_from_slice(&family.to_be_bytes());
            } else {
                h.extend_from_slice(&family.to_le_bytes());
            }
        }
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => {}
        other => panic!("converter does not write link type {}", other.0),
    }
    h
}

/// One packet rewritten under `target`: (new bytes, new origlen).
pub fn relink(p: &OwnedPacket, target: LinkType, big_endian: bool) -> (Vec<u8>, u32) {
    let (ethertype, net) = split_link(p.link, &p.data);
    let old_header = p.data.len() - net.len();
    let mut data = link_header(target, ethertype, big_endian);
    let new_header = data.len();
    data.extend_from_slice(net);
    let origlen = (p.origlen as usize + new_header).saturating_sub(old_header);
    (data, u32::try_from(origlen).expect("origlen fits"))
}

/// Rewrite any capture as a nanosecond legacy pcap of link type `target`,
/// little- or big-endian.
pub fn convert_pcap_with(input: &[u8], target: LinkType, big_endian: bool) -> Vec<u8> {
    let options = PcapOptions {
        nanosecond: true,
        big_endian,
        ..PcapOptions::new(target)
    };
    let mut w = PcapWriter::new(Vec::new(), options).expect("header");
    for p in read_all(input) {
        let (data, origlen) = relink(&p, target, big_endian);
        w.write_packet(p.ts, origlen, &data).expect("packet");
    }
    w.into_inner().expect("flush")
}

/// Rewrite any capture as a little-endian nanosecond pcap of link type `target`.
pub fn convert_pcap(input: &[u8], target: LinkType) -> Vec<u8> {
    convert_pcap_with(input, target, false)
}

/// Rewrite any capture as pcapng with two interfaces of different link
/// types: odd-numbered packets stay on interface 0 with their own link type
/// (microsecond timestamps when the input has no finer digits), even-numbered ones move to interface 1 as
/// LINUX_SLL2 (nanosecond timestamps, if_tsoffset [`PCAPNG_TSOFFSET`]). An
/// unknown block after the interfaces checks that readers skip it.
pub fn to_pcapng(input: &[u8]) -> Vec<u8> {
    to_pcapng_with(input, false)
}

/// [`to_pcapng`] in either byte order.
pub fn to_pcapng_with(input: &[u8], big_endian: bool) -> Vec<u8> {
    let packets = read_all(input);
    let first_link = packets.first().map_or(LinkType::ETHERNET, |p| p.link);
    let mut w = PcapngWriter::with_byte_order(Vec::new(), big_endian).expect("section header");
    // Microseconds on interface 0 when that loses nothing.
    let micros = packets.iter().all(|p| p.ts.nanos % 1000 == 0);
    let if0 = w
        .add_interface(first_link, 262_144, !micros)
        .expect("interface 0");
    let if1 = w
        .add_interface_with(LinkType::LINUX_SLL2, 262_144, 9, PCAPNG_TSOFFSET)
        .expect("interface 1");
    w.write_raw_block(UNKNOWN_BLOCK, b"skip me")
        .expect("unknown block");
    for p in &packets {
        if p.index % 2 == 1 && p.link == first_link {
            w.write_packet(if0, p.ts, p.origlen, &p.data)
                .expect("packet");
        } else {
            let (data, origlen) = relink(p, LinkType::LINUX_SLL2, big_endian);
            w.write_packet(if1, p.ts, origlen, &data).expect("packet");
        }
    }
    w.into_inner().expect("flush")
}
