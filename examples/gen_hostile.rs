//! Synthesise captures that attack memory, for `scripts/bench-memory.sh`:
//!
//! * `syn N`: N flows that send one SYN each and nothing else;
//! * `half N [PENDING]`: N connections that each complete the handshake,
//!   exchange msgr2 banners and then stay open holding the first PENDING
//!   bytes (default 6000) of a frame twice that long, never finished.
//!
//! ```text
//! cargo run --release --example gen_hostile -- syn 1000000 OUTPUT
//! cargo run --release --example gen_hostile -- half 200000 OUTPUT [PENDING]
//! ```
//!
//! Each flow has its own address pair (10.a.b.c:port -> 127.0.0.1:3300), so
//! every one is a new connection.

use cephshark::capture::{PcapOptions, PcapWriter, Timestamp};
use cephshark::msgr2::banner::{FEATURE_REVISION_1, PREFIX};
use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
use cephshark::msgr2::Rev;
use etherparse::PacketBuilder;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const SERVER: [u8; 4] = [127, 0, 0, 1];
const SERVER_PORT: u16 = 3300;
const MSS: usize = 1448;

struct Gen<W: Write> {
    w: PcapWriter<W>,
    n: u64,
}

impl<W: Write> Gen<W> {
    /// One TCP segment; `from_client` picks the direction of flow `i`.
    #[allow(clippy::too_many_arguments)]
    fn seg(
        &mut self,
        i: u32,
        from_client: bool,
        seq: u32,
        ack: Option<u32>,
        syn: bool,
        data: &[u8],
    ) -> Result<(), String> {
        let [_, a, b, c] = i.to_be_bytes();
        let client = [10, a, b, c];
        let cport = 40_000 + u16::try_from(i % 20_000).unwrap_or(0);
        let (src, dst, sp, dp) = if from_client {
            (client, SERVER, cport, SERVER_PORT)
        } else {
            (SERVER, client, SERVER_PORT, cport)
        };
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535);
        if syn {
            b = b.syn();
        }
        if let Some(a) = ack {
            b = b.ack(a);
        }
        let mut buf = Vec::with_capacity(b.size(data.len()));
        b.write(&mut buf, data).map_err(|e| e.to_string())?;
        self.n += 1;
        let ts = Timestamp {
            secs: 1_700_000_000 + i64::try_from(self.n / 1_000_000).unwrap_or(0),
            nanos: u32::try_from(self.n % 1_000_000).unwrap_or(0) * 1000,
        };
        let len = u32::try_from(buf.len()).map_err(|e| e.to_string())?;
        self.w
            .write_packet(ts, len, &buf)
            .map_err(|e| e.to_string())
    }
}

fn banner() -> Vec<u8> {
    let mut b = PREFIX.to_vec();
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(&FEATURE_REVISION_1.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b
}

fn run(mode: &str, count: u32, output: &str, pending: usize) -> Result<(), String> {
    let out = std::fs::File::create(output).map_err(|e| format!("{output}: {e}"))?;
    let w = PcapWriter::new(
        BufWriter::with_capacity(1 << 20, out),
        PcapOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let mut g = Gen { w, n: 0 };
    let banner = banner();
    // A HELLO-tagged frame twice as long as what is sent of it.
    let frame = encode_crc(Rev::V1, &FrameSpec::control(1, &vec![0x5a; pending * 2]));
    let half = frame.get(..pending).unwrap_or(&frame);
    let (cisn, sisn) = (1000u32, 5000u32);
    for i in 0..count {
        g.seg(i, true, cisn, None, true, &[])?;
        if mode == "syn" {
            continue;
        }
        g.seg(i, false, sisn, Some(cisn + 1), true, &[])?;
        g.seg(i, true, cisn + 1, Some(sisn + 1), false, &[])?;
        let blen = u32::try_from(banner.len()).unwrap_or(0);
        g.seg(i, false, sisn + 1, Some(cisn + 1), false, &banner)?;
        g.seg(i, true, cisn + 1, Some(sisn + 1 + blen), false, &banner)?;
        let mut seq = cisn + 1 + blen;
        for chunk in half.chunks(MSS) {
            g.seg(i, true, seq, Some(sisn + 1 + blen), false, chunk)?;
            seq = seq.wrapping_add(u32::try_from(chunk.len()).unwrap_or(0));
        }
    }
    g.w.into_inner()
        .map_err(|e| e.to_string())?
        .flush()
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(count), Some(output)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: gen_hostile syn|half COUNT OUTPUT [PENDING]");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u32>() else {
        eprintln!("COUNT must be a number");
        return ExitCode::from(2);
    };
    let pending = args.get(3).and_then(|p| p.parse().ok()).unwrap_or(6000);
    if mode != "syn" && mode != "half" {
        eprintln!("mode must be syn or half");
        return ExitCode::from(2);
    }
    match run(mode, count, output, pending) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_hostile: {e}");
            ExitCode::FAILURE
        }
    }
}
