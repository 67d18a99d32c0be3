//! The floor a whole-capture pass is measured against: walk every packet of
//! a pcap or pcapng file with `pcap-parser` and run CRC32C over every
//! packet's bytes, nothing else. `cephshark verify` of a crc-mode capture
//! has to do at least this much (read each block, CRC each frame's bytes),
//! so its time over this one's is the cost of everything else. The CRC is
//! the one `cephshark` computes with (`msgr2::crc`), so a faster CRC would
//! lower the floor as much as the tool.
//!
//!   cargo run --release --example floor -- CAPTURE
//!
//! Prints the packets, their captured bytes and the CRC32C chained over all
//! of them (so that none of the work can be optimised away); exits 2 if the
//! file cannot be read or parsed.

use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{create_reader, Block, PcapBlockOwned, PcapError};
use std::fs::File;
use std::process::ExitCode;

/// Read size of the streaming reader; grown (up to `MAX_BUFFER`) when one
/// block does not fit.
const BUFFER: usize = 1024 * 1024;
/// The largest block the walk accepts, as `cephshark` does.
const MAX_BUFFER: usize = 16 * 1024 * 1024;

struct Totals {
    packets: u64,
    bytes: u64,
    crc: u32,
}

fn walk(path: &str) -> Result<Totals, String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = create_reader(BUFFER, file).map_err(|e| format!("{path}: {e:?}"))?;
    let mut capacity = BUFFER;
    let mut totals = Totals {
        packets: 0,
        bytes: 0,
        crc: 0,
    };
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let data = match &block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(Block::EnhancedPacket(b)) => Some(b.packet_data()),
                    PcapBlockOwned::NG(Block::SimplePacket(b)) => Some(b.packet_data()),
                    _ => None,
                };
                if let Some(data) = data {
                    totals.packets += 1;
                    totals.bytes += data.len() as u64;
                    totals.crc = cephshark::msgr2::crc::append(totals.crc, data);
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(totals),
            Err(PcapError::Incomplete(_)) => {
                reader.refill().map_err(|e| format!("{path}: {e:?}"))?;
            }
            Err(PcapError::BufferTooSmall) if capacity < MAX_BUFFER => {
                capacity = (capacity * 2).min(MAX_BUFFER);
                if !reader.grow(capacity) {
                    return Err(format!(
                        "{path}: cannot grow the buffer to {capacity} bytes"
                    ));
                }
                reader.refill().map_err(|e| format!("{path}: {e:?}"))?;
            }
            Err(e) => return Err(format!("{path}: {e:?}")),
        }
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floor CAPTURE");
        return ExitCode::from(2);
    };
    match walk(&path) {
        Ok(t) => {
            println!(
                "{} packets, {} bytes, crc32c {:08x}",
                t.packets, t.bytes, t.crc
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {e}");
            ExitCode::from(2)
        }
    }
}
