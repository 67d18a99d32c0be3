//! Synthesise a large capture from a real one, for benchmarks: every
//! packet of INPUT is written COPIES times, each copy moved to its own
//! loopback addresses (127.a.b.1, so its connections are new ones) and
//! later in time. Nothing else changes, so every copy dissects like the
//! original.
//!
//! With MSS (bytes), every IPv4 TCP segment carrying more payload than
//! that is cut into segments of at most MSS payload bytes, as a 1500-byte
//! MTU link would have carried them (MSS 1448 with timestamps): sequence
//! numbers, IPv4 total length and header checksum follow; PSH and FIN stay
//! on the last piece. The TCP checksum is left as captured (loopback
//! captures carry offloaded, unverified checksums anyway).
//!
//! ```text
//! cargo run --release --example gen_capture -- INPUT OUTPUT COPIES [MSS]
//! ```

use cephshark::capture::{CaptureReader, PcapOptions, PcapWriter, Timestamp};
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

/// Ethernet header, then IPv4 source and destination addresses.
const ETHERTYPE: std::ops::Range<usize> = 12..14;
const IPV4_SRC: std::ops::Range<usize> = 26..30;
const IPV4_DST: std::ops::Range<usize> = 30..34;
/// Start of the IPv4 header after Ethernet.
const IP: usize = 14;
/// TCP flags PSH and FIN (RFC 9293).
const PSH_FIN: u8 = 0x08 | 0x01;

/// RFC 1071 checksum of an IPv4 header whose checksum field is zero.
fn ip_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `data` (Ethernet + IPv4 + TCP) cut into pieces of at most `mss` payload
/// bytes; anything else is returned whole.
fn segments(data: &[u8], mss: usize) -> Vec<Vec<u8>> {
    let whole = || vec![data.to_vec()];
    if mss == 0 || data.get(ETHERTYPE) != Some(&[0x08, 0x00][..]) || data.get(IP + 9) != Some(&6) {
        return whole();
    }
    let ihl = usize::from(data[IP] & 0x0f) * 4;
    let tcp = IP + ihl;
    let Some(&off) = data.get(tcp + 12) else {
        return whole();
    };
    let payload = tcp + usize::from(off >> 4) * 4;
    let total = usize::from(u16::from_be_bytes([data[IP + 2], data[IP + 3]]));
    let end = (IP + total).min(data.len());
    if end <= payload || end - payload <= mss {
        return whole();
    }
    let seq = u32::from_be_bytes([data[tcp + 4], data[tcp + 5], data[tcp + 6], data[tcp + 7]]);
    let body = &data[payload..end];
    let pieces = body.len().div_ceil(mss);
    body.chunks(mss)
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = data[..payload].to_vec();
            p.extend_from_slice(chunk);
            let len = (payload - IP + chunk.len()) as u16;
            p[IP + 2..IP + 4].copy_from_slice(&len.to_be_bytes());
            p[IP + 10..IP + 12].copy_from_slice(&[0, 0]);
            let c = ip_checksum(&p[IP..tcp]);
            p[IP + 10..IP + 12].copy_from_slice(&c.to_be_bytes());
            let s = seq.wrapping_add((i * mss) as u32);
            p[tcp + 4..tcp + 8].copy_from_slice(&s.to_be_bytes());
            if i + 1 < pieces {
                p[tcp + 13] &= !PSH_FIN;
            }
            p
        })
        .collect()
}

/// Seconds from the first packet of `input` to its last, plus one.
fn duration(input: &str) -> Result<i64, String> {
    let f = std::fs::File::open(input).map_err(|e| format!("{input}: {e}"))?;
    let mut r = CaptureReader::new(BufReader::new(f)).map_err(|e| format!("{input}: {e}"))?;
    let mut first = None;
    let mut last = 0;
    while let Some(p) = r.next_packet().map_err(|e| format!("{input}: {e}"))? {
        first.get_or_insert(p.ts.secs);
        last = p.ts.secs;
    }
    Ok(last - first.unwrap_or(last) + 1)
}

fn run(input: &str, output: &str, copies: u32, mss: usize) -> Result<(), String> {
    let shift = duration(input)?;
    let out = std::fs::File::create(output).map_err(|e| format!("{output}: {e}"))?;
    let mut w = PcapWriter::new(
        BufWriter::with_capacity(1 << 20, out),
        PcapOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    for copy in 0..copies {
        let f = std::fs::File::open(input).map_err(|e| format!("{input}: {e}"))?;
        let mut r = CaptureReader::new(BufReader::new(f)).map_err(|e| format!("{input}: {e}"))?;
        let [_, _, hi, lo] = copy.to_be_bytes();
        while let Some(p) = r.next_packet().map_err(|e| format!("{input}: {e}"))? {
            let mut data = p.data.to_vec();
            if data.get(ETHERTYPE) == Some(&[0x08, 0x00][..]) {
                for range in [IPV4_SRC, IPV4_DST] {
                    if let Some(ip) = data.get_mut(range) {
                        ip.copy_from_slice(&[127, hi, lo, 1]);
                    }
                }
            }
            // Copy k starts k times the input's duration later.
            let ts = Timestamp {
                secs: p.ts.secs + i64::from(copy) * shift,
                nanos: p.ts.nanos,
            };
            if p.origlen as usize != p.data.len() {
                w.write_packet(ts, p.origlen, &data)
                    .map_err(|e| e.to_string())?;
                continue;
            }
            for piece in segments(&data, mss) {
                let len = u32::try_from(piece.len()).map_err(|e| e.to_string())?;
                w.write_packet(ts, len, &piece).map_err(|e| e.to_string())?;
            }
        }
    }
    w.into_inner().map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output), Some(copies)) = (
        args.first(),
        args.get(1),
        args.get(2).and_then(|c| c.parse().ok()),
    ) else {
        eprintln!("usage: gen_capture INPUT OUTPUT COPIES [MSS]");
        return ExitCode::from(2);
    };
    let mss = args.get(3).and_then(|m| m.parse().ok()).unwrap_or(0);
    match run(input, output, copies, mss) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {e}");
            ExitCode::from(2)
        }
    }
}
