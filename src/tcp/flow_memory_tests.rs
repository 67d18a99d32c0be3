//! Unit tests of `flow_memory.rs`: what a flow costs.

use crate::capture::{PacketIndex, TcpFlags, TcpPacket, Timestamp};
use crate::tcp::{FlowTable, StreamEvent};
use std::net::SocketAddr;

/// Bytes [`FlowTable::memory`] may count per flow that sent only a SYN.
/// The target is 1,000,000 such flows within 256 MB of peak RSS, 268 bytes
/// each; a hash table grows by doubling (just after, it is less than half
/// full, and while it moves both tables are live), allocations are
/// rounded up, and the process has a base of its own: half of that.
const SYN_FLOW_BUDGET: usize = 134;

fn syn(src: SocketAddr, dst: SocketAddr, seq: u32) -> TcpPacket<'static> {
    TcpPacket {
        src,
        dst,
        seq,
        ack: 0,
        flags: TcpFlags {
            syn: true,
            ack: false,
            fin: false,
            rst: false,
        },
        payload: b"",
        payload_offset: 54,
        missing: 0,
        owner: None,
        payload_crc: None,
    }
}

#[test]
fn a_syn_only_flow_costs_little() {
    let mut table = FlowTable::new();
    let server = SocketAddr::from(([127, 0, 0, 1], 3300));
    let mut events = 0usize;
    for i in 0..10_000u32 {
        let [_, a, b, c] = i.to_be_bytes();
        let client = SocketAddr::from(([10, a, b, c], 40_000));
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: 0,
        };
        let p = PacketIndex(u64::from(i) + 1);
        table.process(p, ts, &syn(client, server, i), &mut |_| events += 1);
    }
    assert_eq!(events, 0);
    assert_eq!(table.open_connections(), 10_000);
    let per_flow = table.memory() / 10_000;
    assert!(
        per_flow <= SYN_FLOW_BUDGET,
        "{per_flow} bytes per SYN-only flow"
    );
}

fn seg<'a>(
    (src, dst): (SocketAddr, SocketAddr),
    (syn, ack): (bool, bool),
    (seq, ackno): (u32, u32),
    payload: &'a [u8],
) -> TcpPacket<'a> {
    TcpPacket {
        src,
        dst,
        seq,
        ack: ackno,
        flags: TcpFlags {
            syn,
            ack,
            fin: false,
            rst: false,
        },
        payload,
        payload_offset: 74,
        missing: 0,
        owner: None,
        payload_crc: None,
    }
}

/// Pairs that are not two IPv4 endpoints are keyed by their addresses as
/// given (an IPv6 scope included) and reported exactly.
#[test]
fn other_pairs_keep_their_addresses() {
    let v6c: SocketAddr = "[fe80::1%3]:40000"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let v6s: SocketAddr = "[fe80::2]:3300".parse().unwrap_or_else(|e| panic!("{e}"));
    let v4c = SocketAddr::from(([10, 0, 0, 1], 40001));
    let mut table = FlowTable::new();
    let mut seen = Vec::new();
    let ts = Timestamp::default();
    for (n, (c, s)) in [(v6c, v6s), (v4c, v6s)].into_iter().enumerate() {
        let base = 10 * u64::try_from(n).unwrap_or(0);
        let pkts = [
            seg((c, s), (true, false), (100, 0), b""),
            seg((s, c), (true, true), (500, 101), b""),
            seg((c, s), (false, true), (101, 501), b"hi"),
        ];
        for (i, p) in pkts.iter().enumerate() {
            let at = PacketIndex(base + u64::try_from(i).unwrap_or(0) + 1);
            table.process(at, ts, p, &mut |e| seen.push(show(e)));
        }
    }
    let entry = std::mem::size_of::<((SocketAddr, SocketAddr), super::Slot)>() + 1;
    assert!(table.memory() >= 4 * entry);
    table.finish(&mut |e| seen.push(show(e)));
    let want = [
        "open 0 [fe80::1%3]:40000>[fe80::2]:3300 @1 syn",
        "data 0 c2s 0 2 @3",
        "open 1 10.0.0.1:40001>[fe80::2]:3300 @11 syn",
        "data 1 c2s 0 2 @13",
        "close 0 EndOfCapture",
        "close 1 EndOfCapture",
    ];
    assert_eq!(seen, want);
}

fn show(e: StreamEvent<'_>) -> String {
    match e {
        StreamEvent::Opened {
            conn,
            client,
            server,
            packet,
            handshake_seen,
            ..
        } => format!(
            "open {conn} {client}>{server} @{packet} {}",
            if handshake_seen { "syn" } else { "mid" }
        ),
        StreamEvent::Data {
            conn,
            dir,
            offset,
            data,
            packet,
            ..
        } => format!(
            "data {conn} {} {offset} {} @{packet}",
            dir.short(),
            data.len()
        ),
        StreamEvent::Closed { conn, reason, .. } => format!("close {conn} {reason:?}"),
        other => format!("{other:?}"),
    }
}
