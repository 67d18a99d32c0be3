//! Synthesise a large capture from a real one, for benchmarks: every
//! packet of INPUT is written COPIES times, each copy moved to its own
//! loopback addresses (127.a.b.1, so its connections are new ones) and
//! later in time. Nothing else changes, so every copy dissects like the
//! original.
//!
//! ```text
//! cargo run --release --example gen_capture -- INPUT OUTPUT COPIES
//! ```

use cephshark::capture::{CaptureReader, PcapOptions, PcapWriter, Timestamp};
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

/// Ethernet header, then IPv4 source and destination addresses.
const ETHERTYPE: std::ops::Range<usize> = 12..14;
const IPV4_SRC: std::ops::Range<usize> = 26..30;
const IPV4_DST: std::ops::Range<usize> = 30..34;

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

fn run(input: &str, output: &str, copies: u32) -> Result<(), String> {
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
            w.write_packet(ts, p.origlen, &data)
                .map_err(|e| e.to_string())?;
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
        eprintln!("usage: gen_capture INPUT OUTPUT COPIES");
        return ExitCode::from(2);
    };
    match run(input, output, copies) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {e}");
            ExitCode::from(2)
        }
    }
}
