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
