//! Damage to real captures: packets read once, a bit flipped at a stream
//! offset of a direction (in every packet that carries that byte, so
//! retransmissions agree), and the capture written back.
#![allow(dead_code)]

use super::capture_conv::OwnedPacket;
use cephshark::capture::{parse_tcp, LinkType, PcapOptions, PcapWriter};
use std::collections::HashMap;

/// A direction, `(src, dst)` as text.
type Dir = (String, String);

/// A packet's payload in its direction: (stream start, length, packet,
/// payload offset in the packet).
type Piece = (u64, u64, usize, usize);

/// Where the bytes of each direction lie.
pub struct Placement {
    dirs: HashMap<Dir, Vec<Piece>>,
}

impl Placement {
    /// Map every packet's payload to its direction's stream offsets (from
    /// the direction's SYN).
    pub fn new(pkts: &[OwnedPacket]) -> Placement {
        let mut isn: HashMap<Dir, u32> = HashMap::new();
        let mut dirs: HashMap<Dir, Vec<Piece>> = HashMap::new();
        for (i, p) in pkts.iter().enumerate() {
            let Some(t) = parse_tcp(p.link, &p.data).ok().flatten() else {
                continue;
            };
            let key = (t.src.to_string(), t.dst.to_string());
            // Stream offset 0 is the byte after the SYN, or, for a
            // direction whose SYN was not captured, its first byte seen.
            if t.flags.syn {
                isn.entry(key.clone()).or_insert(t.seq.wrapping_add(1));
            }
            if t.payload.is_empty() {
                continue;
            }
            let s = *isn.entry(key.clone()).or_insert(t.seq);
            let start = u64::from(t.seq.wrapping_sub(s));
            dirs.entry(key)
                .or_default()
                .push((start, t.payload.len() as u64, i, t.payload_offset));
        }
        Placement { dirs }
    }

    /// Flip bit `bit` of the byte at stream offset `at` of `src -> dst`
    /// in every packet carrying it; how many packets were changed.
    pub fn flip(
        &self,
        pkts: &mut [OwnedPacket],
        (src, dst): (&str, &str),
        at: u64,
        bit: u8,
    ) -> usize {
        let mut hits = 0;
        let key = (src.to_string(), dst.to_string());
        for &(start, len, i, off) in self.dirs.get(&key).map_or(&[][..], |v| v) {
            if (start..start + len).contains(&at) {
                let b = &mut pkts[i].data[off + (at - start) as usize];
                *b ^= 1 << bit;
                hits += 1;
            }
        }
        hits
    }
}

/// The packets as a pcap file (Ethernet).
pub fn write(packets: &[OwnedPacket]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET))
        .unwrap_or_else(|e| panic!("{e}"));
    for p in packets {
        w.write_packet(p.ts, p.data.len() as u32, &p.data)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    w.into_inner().unwrap_or_else(|e| panic!("{e}"))
}

/// A bundled capture's bytes.
pub fn capture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
