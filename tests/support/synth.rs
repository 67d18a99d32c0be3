//! Synthetic captures: turn msgr2 byte streams into a real pcap (Ethernet,
//! IPv4, TCP with handshake, data, ACKs and FIN) so that tests can run the
//! whole pipeline on conversations the encoder built.
#![allow(dead_code)]

use cephshark::capture::{LinkType, PcapOptions, PcapWriter, Timestamp};
use etherparse::PacketBuilder;

/// One send: which side, and the bytes.
#[derive(Debug, Clone)]
pub struct Send {
    /// True for client -> server.
    pub from_client: bool,
    /// Payload.
    pub data: Vec<u8>,
}

/// Build a pcap of one connection 127.0.0.1:`cport` -> 127.0.0.1:`sport`
/// carrying `sends` in order, one packet each (split at `mss`), each data
/// packet followed by the peer's ACK; the i-th packet is at time base + i ms.
pub fn connection(cport: u16, sport: u16, sends: &[Send], mss: usize) -> Vec<u8> {
    let mut w =
        PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET)).expect("pcap header");
    let mut n = 0u32;
    let mut packet = |w: &mut PcapWriter<Vec<u8>>,
                      from_client: bool,
                      seq: u32,
                      ack: u32,
                      syn: bool,
                      fin: bool,
                      data: &[u8]| {
        let (sp, dp) = if from_client {
            (cport, sport)
        } else {
            (sport, cport)
        };
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ipv4(
            [127, 0, 0, 1],
            [127, 0, 0, 1],
            64,
        );
        let mut b = b.tcp(sp, dp, seq, 65535);
        if syn {
            b = b.syn();
        }
        if fin {
            b = b.fin();
        }
        if !(syn && from_client) {
            b = b.ack(ack);
        }
        let mut out = Vec::with_capacity(b.size(data.len()));
        b.write(&mut out, data).expect("build packet");
        n += 1;
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: n * 1_000_000,
        };
        w.write_packet(ts, out.len() as u32, &out)
            .expect("write packet");
    };
    let (mut cseq, mut sseq) = (1000u32, 5000u32);
    packet(&mut w, true, cseq, 0, true, false, &[]);
    packet(&mut w, false, sseq, cseq + 1, true, false, &[]);
    cseq += 1;
    sseq += 1;
    packet(&mut w, true, cseq, sseq, false, false, &[]);
    for s in sends {
        for chunk in s.data.chunks(mss.max(1)) {
            if s.from_client {
                packet(&mut w, true, cseq, sseq, false, false, chunk);
                cseq = cseq.wrapping_add(chunk.len() as u32);
                packet(&mut w, false, sseq, cseq, false, false, &[]);
            } else {
                packet(&mut w, false, sseq, cseq, false, false, chunk);
                sseq = sseq.wrapping_add(chunk.len() as u32);
                packet(&mut w, true, cseq, sseq, false, false, &[]);
            }
        }
    }
    packet(&mut w, true, cseq, sseq, false, true, &[]);
    packet(&mut w, false, sseq, cseq + 1, false, true, &[]);
    packet(&mut w, true, cseq + 1, sseq + 1, false, false, &[]);
    w.into_inner().expect("flush")
}
