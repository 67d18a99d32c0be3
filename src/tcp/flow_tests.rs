//! Unit tests of `flow.rs`.
use super::*;
use crate::capture::{Owner, TcpFlags};

/// Events as short strings, e.g. `open 0 40000>6800 syn`,
/// `0 c2s 4:ef@6`, `0 c2s gap 2+2@7`, `close 0 Fin@9`.
fn show(ev: StreamEvent<'_>) -> String {
    match ev {
        StreamEvent::Opened {
            conn,
            client,
            server,
            handshake_seen: hs,
            ..
        } => {
            let how = if hs { "syn" } else { "mid" };
            format!("open {conn} {}>{} {how}", client.port(), server.port())
        }
        StreamEvent::Data {
            conn,
            dir,
            offset,
            data,
            packet,
            ..
        } => {
            let text = String::from_utf8_lossy(data);
            format!("{conn} {} {offset}:{text}@{packet}", dir.short())
        }
        StreamEvent::Gap {
            conn,
            dir,
            offset,
            len,
            packet,
        } => {
            format!("{conn} {} gap {offset}+{len}@{packet}", dir.short())
        }
        StreamEvent::OverlapDiffers {
            conn,
            dir,
            offset,
            len,
            packet,
            first_packet: f,
        } => {
            format!("{conn} {} diff {offset}+{len}@{packet}/{f}", dir.short())
        }
        StreamEvent::Evicted {
            conn,
            dir,
            offset,
            len,
            packet,
            ..
        } => format!("evicted {conn} {} {offset}+{len}@{packet}", dir.short()),
        StreamEvent::Closed {
            conn,
            reason,
            packet: Some(p),
        } => format!("close {conn} {reason:?}@{p}"),
        StreamEvent::Closed {
            conn,
            reason,
            packet: None,
        } => format!("close {conn} {reason:?}"),
    }
}

fn ep(port: u16) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, if port < 10_000 { 2 } else { 1 }], port))
}

/// A flow table, a packet counter and the events since the last `take`.
#[derive(Default)]
struct T {
    table: FlowTable,
    n: u64,
    secs: i64,
    /// Bytes the snap length cuts from the next payload.
    cut: u32,
    /// The buffer the payloads lie in, and its number: payloads are then
    /// taken from it (at `at`), as packets read ahead are.
    shared: Option<(bytes::Bytes, u64, usize)>,
    ev: Vec<String>,
}

impl T {
    /// Send from port `from` to port `to`; `flags` letters: S A F R.
    fn tx(
        &mut self,
        from: u16,
        to: u16,
        flags: &str,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) -> &mut T {
        self.n += 1;
        let has = |c| flags.contains(c);
        let flags = TcpFlags {
            syn: has('S'),
            ack: has('A'),
            fin: has('F'),
            rst: has('R'),
        };
        let missing = std::mem::take(&mut self.cut);
        let (src, dst) = (ep(from), ep(to));
        let shared = self.shared.clone();
        let (payload, owner) = match &shared {
            Some((buf, id, at)) => {
                let place = buf.get(*at..*at + payload.len()).unwrap_or_default();
                assert_eq!(place, payload, "the shared buffer holds the payload");
                let owner = Owner {
                    bytes: buf,
                    id: *id,
                    release: None,
                };
                (place, Some(owner))
            }
            None => (payload, None),
        };
        let seg = TcpPacket {
            src,
            dst,
            seq,
            ack,
            flags,
            payload,
            payload_offset: 54,
            missing,
            owner,
            payload_crc: None,
        };
        let ts = Timestamp {
            secs: self.secs,
            nanos: 0,
        };
        let ev = &mut self.ev;
        self.table
            .process(PacketIndex(self.n), ts, &seg, &mut |e| ev.push(show(e)));
        self
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.ev)
    }

    /// End of capture.
    fn finish(&mut self) -> &mut T {
        let ev = &mut self.ev;
        self.table.finish(&mut |e| ev.push(show(e)));
        self
    }

    /// Handshake on client port `port` to server 6800, ISNs 100 and 500.
    fn connect(&mut self, port: u16) -> &mut T {
        self.tx(port, 6800, "S", 100, 0, b"")
            .tx(6800, port, "SA", 500, 101, b"")
            .tx(port, 6800, "A", 101, 501, b"")
    }
}

#[test]
fn handshake_sets_roles_offsets_and_ids() {
    let mut t = T::default();
    t.connect(40000).tx(40000, 6800, "A", 101, 501, b"hi");
    t.tx(6800, 40000, "A", 501, 103, b"ok").connect(40001);
    let want = ["open 0 40000>6800 syn", "0 c2s 0:hi@4", "0 s2c 0:ok@5"];
    // Connection 1 only exchanged its handshake: nothing to announce yet.
    assert_eq!(t.take(), want);
    assert_eq!(t.table.open_connections(), 2);
}

#[test]
fn capture_starting_at_syn_ack() {
    let mut t = T::default();
    t.tx(6800, 40000, "SA", 500, 101, b"")
        .tx(40000, 6800, "A", 101, 501, b"hi");
    assert_eq!(t.take(), ["open 0 40000>6800 syn", "0 c2s 0:hi@2"]);
}

#[test]
fn without_handshake_the_lower_port_serves() {
    let mut t = T::default();
    t.tx(6800, 40000, "A", 9000, 7000, b"ab")
        .tx(40000, 6800, "A", 7000, 9002, b"cd")
        .finish();
    let want = [
        "open 0 40000>6800 mid",
        "0 s2c 0:ab@1",
        "0 c2s 0:cd@2",
        "close 0 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
    // Equal ports: the first sender is the client.
    let mut t = T::default();
    t.tx(6800, 6800, "A", 1, 1, b"x").finish();
    let want = [
        "open 0 6800>6800 mid",
        "0 c2s 0:x@1",
        "close 0 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
}

#[test]
fn without_handshake_known_listeners_and_ceph_ports_serve() {
    // 44400 accepted a connection: later it serves, though its port is higher.
    let mut t = T::default();
    t.tx(40000, 44400, "S", 1, 0, b"")
        .tx(44400, 40000, "SA", 5, 2, b"");
    t.take();
    t.tx(44400, 38000, "A", 9000, 7000, b"ab").finish();
    let want = [
        "open 1 38000>44400 mid",
        "1 s2c 0:ab@3",
        "close 1 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
    // A Ceph port serves whatever the other port is.
    let mut t = T::default();
    t.tx(6801, 2000, "A", 9000, 7000, b"ab").finish();
    let want = [
        "open 0 2000>6801 mid",
        "0 s2c 0:ab@1",
        "close 0 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
}

#[test]
fn ack_from_the_peer_reveals_a_gap() {
    let cfg = FlowConfig {
        reassembly: ReassemblyConfig {
            ack_gap_delay: 0,
            ..ReassemblyConfig::default()
        },
        ..FlowConfig::default()
    };
    let mut t = T {
        table: FlowTable::with_config(cfg),
        ..T::default()
    };
    t.connect(40000).take();
    t.tx(40000, 6800, "A", 101, 501, b"ab")
        .tx(40000, 6800, "A", 105, 501, b"ef");
    assert_eq!(t.take(), ["open 0 40000>6800 syn", "0 c2s 0:ab@4"]);
    t.tx(6800, 40000, "A", 501, 107, b"")
        .tx(40000, 6800, "A", 104, 501, b"cX");
    assert_eq!(
        t.take(),
        ["0 c2s gap 2+2@6", "0 c2s 4:ef@5", "0 c2s diff 4+1@7/5"]
    );
}

#[test]
fn snaplen_cut_payload_is_a_gap() {
    let mut t = T::default();
    t.connect(40000).take();
    t.cut = 5;
    t.tx(40000, 6800, "A", 101, 501, b"abc")
        .tx(40000, 6800, "A", 109, 501, b"z");
    assert_eq!(
        t.take(),
        [
            "open 0 40000>6800 syn",
            "0 c2s 0:abc@4",
            "0 c2s gap 3+5@4",
            "0 c2s 8:z@5"
        ]
    );
}

#[test]
fn fin_from_both_sides_closes_and_late_packets_are_absorbed() {
    let mut t = T::default();
    t.connect(40000).take();
    t.tx(40000, 6800, "AF", 101, 501, b"bye")
        .tx(40000, 6800, "A", 104, 501, b"late");
    t.tx(6800, 40000, "AF", 501, 105, b"");
    assert_eq!(
        t.take(),
        ["open 0 40000>6800 syn", "0 c2s 0:bye@4", "close 0 Fin@6"]
    );
    t.tx(40000, 6800, "A", 105, 502, b"")
        .tx(40000, 6800, "AF", 101, 501, b"bye");
    assert!(t.take().is_empty());
    assert_eq!(t.table.open_connections(), 0);
}

#[test]
fn rst_flushes_holes_and_closes() {
    let mut t = T::default();
    t.connect(40000).take();
    t.tx(40000, 6800, "A", 103, 501, b"cd")
        .tx(6800, 40000, "R", 501, 0, b"");
    assert_eq!(
        t.take(),
        [
            "open 0 40000>6800 syn",
            "0 c2s gap 0+2@5",
            "0 c2s 2:cd@4",
            "close 0 Rst@5"
        ]
    );
    // After one FIN, a RST counts as a FIN close.
    t.connect(40001).take();
    t.tx(40001, 6800, "AF", 101, 501, b"x")
        .tx(6800, 40001, "RA", 501, 103, b"");
    assert_eq!(
        t.take(),
        ["open 1 40001>6800 syn", "1 c2s 0:x@9", "close 1 Fin@10"]
    );
    // A connection that carried no byte is never announced.
    t.connect(40002).take();
    t.tx(40002, 6800, "AF", 101, 501, b"")
        .tx(6800, 40002, "RA", 501, 102, b"");
    assert!(t.take().is_empty());
    assert_eq!(t.table.open_connections(), 0);
}

#[test]
fn new_syn_on_an_open_pair_reuses_it() {
    let mut t = T::default();
    t.connect(40000).tx(40000, 6800, "A", 101, 501, b"x").take();
    // A retransmitted SYN is not a new connection.
    t.tx(40000, 6800, "S", 100, 0, b"");
    assert!(t.take().is_empty());
    t.tx(40000, 6800, "S", 7777, 0, b"")
        .tx(40000, 6800, "A", 7778, 1, b"y");
    assert_eq!(
        t.take(),
        ["close 0 Reused@6", "open 1 40000>6800 syn", "1 c2s 0:y@7"]
    );
}

#[test]
fn new_syn_after_close_opens_a_new_connection() {
    let mut t = T::default();
    t.connect(40000).tx(40000, 6800, "R", 101, 0, b"").take();
    // The old handshake, retransmitted, is absorbed.
    t.connect(40000);
    assert!(t.take().is_empty());
    t.tx(40000, 6800, "S", 9000, 0, b"");
    assert!(t.take().is_empty());
    assert_eq!(t.table.open_connections(), 1);
    // A new connection whose SYN the capture missed.
    t.tx(40000, 6800, "R", 9001, 0, b"").take();
    t.tx(6800, 40000, "SA", 800, 9001, b"")
        .tx(40000, 6800, "A", 9001, 801, b"hi");
    assert_eq!(t.take(), ["open 2 40000>6800 syn", "2 c2s 0:hi@11"]);
}

#[test]
fn closed_records_expire() {
    let cfg = FlowConfig {
        closed_linger_secs: 5,
        ..FlowConfig::default()
    };
    let mut t = T {
        table: FlowTable::with_config(cfg),
        ..T::default()
    };
    t.connect(40000).tx(40000, 6800, "R", 101, 0, b"").take();
    t.secs = 10;
    t.tx(40000, 6800, "A", 101, 501, b"q").finish();
    let want = [
        "open 1 40000>6800 mid",
        "1 c2s 0:q@5",
        "close 1 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
}

#[test]
fn finish_flushes_and_closes_in_id_order() {
    let mut t = T::default();
    t.connect(40000).connect(40001).take();
    // Both FINs, but bytes before the client's FIN were never seen.
    t.tx(40001, 6800, "A", 103, 501, b"cd")
        .tx(40000, 6800, "AF", 104, 501, b"");
    t.tx(6800, 40000, "AF", 501, 101, b"");
    assert!(t.take().is_empty());
    let ev = &mut t.ev;
    t.table.finish(&mut |e| ev.push(show(e)));
    let want = [
        "open 0 40000>6800 syn",
        "0 c2s gap 0+3@9",
        "close 0 Fin@9",
        "open 1 40001>6800 syn",
        "1 c2s gap 0+2@7",
        "1 c2s 2:cd@7",
        "close 1 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
    assert_eq!(t.table.open_connections(), 0);
}

#[test]
fn data_before_its_syn_joins_the_connection() {
    let mut t = T::default();
    // The client's first bytes and the server's reply are captured before
    // the handshake that opened their connection.
    t.tx(40000, 6800, "A", 101, 501, b"hi")
        .tx(6800, 40000, "A", 501, 103, b"ok");
    assert!(t.take().is_empty());
    t.tx(40000, 6800, "S", 100, 0, b"");
    assert_eq!(t.take(), ["open 0 40000>6800 syn", "0 c2s 0:hi@1"]);
    t.tx(6800, 40000, "SA", 500, 101, b"")
        .tx(40000, 6800, "A", 103, 503, b"!");
    assert_eq!(t.take(), ["0 s2c 0:ok@2", "0 c2s 2:!@5"]);
    t.finish();
    assert_eq!(t.take(), ["close 0 EndOfCapture"]);
}

#[test]
fn server_data_before_the_syn_ack_waits_for_it() {
    let mut t = T::default();
    // The server's second segment, then its first, then the SYN+ACK.
    t.tx(40000, 6800, "S", 100, 0, b"")
        .tx(6800, 40000, "A", 503, 101, b"cd")
        .tx(6800, 40000, "A", 501, 101, b"ab");
    assert!(t.take().is_empty());
    t.tx(6800, 40000, "SA", 500, 101, b"");
    let want = ["open 0 40000>6800 syn", "0 s2c 0:ab@3", "0 s2c 2:cd@2"];
    assert_eq!(t.take(), want);
}

#[test]
fn a_flow_without_handshake_opens_when_the_wait_is_over() {
    let cfg = FlowConfig {
        handshake_wait: 4,
        ..FlowConfig::default()
    };
    let mut t = T {
        table: FlowTable::with_config(cfg),
        ..T::default()
    };
    t.tx(40000, 6800, "A", 7000, 9000, b"ab").connect(40001);
    assert!(t.take().is_empty());
    assert_eq!(t.table.open_connections(), 2);
    // Packet 5 ends the wait of packet 1: it keeps index 0 and its place.
    t.tx(40001, 6800, "A", 101, 501, b"x");
    let want = [
        "open 0 40000>6800 mid",
        "0 c2s 0:ab@1",
        "open 1 40001>6800 syn",
        "1 c2s 0:x@5",
    ];
    assert_eq!(t.take(), want);
    // A RST ends a wait at once.
    t.tx(40002, 6800, "A", 300, 9000, b"cd")
        .tx(6800, 40002, "R", 9000, 0, b"");
    let want = ["open 2 40002>6800 mid", "2 c2s 0:cd@6", "close 2 Rst@7"];
    assert_eq!(t.take(), want);
    // So does the end of the capture.
    t.tx(40003, 6800, "A", 300, 9000, b"ef").finish();
    let want = [
        "open 3 40003>6800 mid",
        "3 c2s 0:ef@8",
        "close 0 EndOfCapture",
        "close 1 EndOfCapture",
        "close 3 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
}

#[test]
fn without_handshake_the_stream_starts_at_the_earliest_contiguous_bytes() {
    let mut t = T::default();
    // "ab" was captured after "cd": the stream still starts with it. The
    // stale copy of bytes before them (6990..6992) does not move the start.
    t.tx(40000, 6800, "A", 7002, 9000, b"cd")
        .tx(40000, 6800, "A", 6990, 9000, b"zz")
        .tx(40000, 6800, "A", 7000, 9000, b"ab")
        .finish();
    let want = [
        "open 0 40000>6800 mid",
        "0 c2s 0:ab@3",
        "0 c2s 2:cd@1",
        "close 0 EndOfCapture",
    ];
    assert_eq!(t.take(), want);
}

/// A lone SYN carrying RST and data (what a fuzzer built): the RST ends the
/// wait for a SYN+ACK and hands the segment back; applied again it must not
/// look like a new SYN on the pair. It used to open connection after
/// connection without end (out of memory).
#[test]
fn syn_with_rst_and_data_opens_one_connection() {
    let mut t = T::default();
    t.tx(40000, 6800, "SR", 0x577c_4b2e, 0x8116_4290, b"data");
    t.finish();
    let ev = t.take();
    let opened = ev.iter().filter(|e| e.starts_with("open")).count();
    assert_eq!(opened, 1, "{ev:?}");
    assert!(ev.iter().any(|e| e.starts_with("close 0")), "{ev:?}");
}

#[test]
fn syn_only_flows_hold_no_buffers() {
    assert_eq!(std::mem::size_of::<Slot>(), 16);
    let mut t = T::default();
    for port in 40000..40010 {
        t.tx(port, 6800, "S", 100, 0, b"");
    }
    assert!(t.take().is_empty());
    assert_eq!(t.table.open_connections(), 10);
    // Ten boxed connections without reassemblers, and nothing else.
    assert_eq!(t.table.heap, 10 * std::mem::size_of::<Conn>());
    // The first byte makes the reassemblers; the closing drops them.
    t.tx(40000, 6800, "A", 101, 1, b"x");
    assert_eq!(t.take(), ["open 0 40000>6800 syn", "0 c2s 0:x@11"]);
    assert!(t.table.heap > 10 * std::mem::size_of::<Conn>() + 256);
    t.tx(40000, 6800, "R", 102, 0, b"");
    assert_eq!(t.take(), ["close 0 Rst@12"]);
    let closed = std::mem::size_of::<super::Closed>();
    assert_eq!(t.table.heap, 9 * std::mem::size_of::<Conn>() + closed);
}

#[test]
fn an_evicted_connection_reports_what_was_not_analysed_when_it_ends() {
    let mut t = T::default();
    t.connect(40000).tx(40000, 6800, "A", 101, 501, b"abcd");
    // Bytes 6..8 held out of order, behind a hole at 4..6.
    t.tx(40000, 6800, "A", 107, 501, b"gh");
    t.take();
    let (c, s) = (ep(40000), ep(6800));
    // The consumer had analysed up to offset 1: 3 bytes were pending.
    assert!(t
        .table
        .evict((c, s), ConnId(0), [(1, 3), (0, 0)], PacketIndex(5)));
    assert!(!t
        .table
        .evict((c, s), ConnId(0), [(1, 3), (0, 0)], PacketIndex(5)));
    assert_eq!(t.table.heap, std::mem::size_of::<super::Evicted>());
    // Later bytes are absorbed and counted, in both directions.
    t.tx(40000, 6800, "A", 105, 501, b"ef")
        .tx(6800, 40000, "A", 501, 109, b"12345");
    assert!(t.take().is_empty());
    t.finish();
    assert_eq!(t.take(), ["evicted 0 c2s 1+7@5", "evicted 0 s2c 0+5@5"]);
}

/// An ask for buffers back visits only the connections whose windows hold
/// pieces of them, not every connection: a thousand quiet connections
/// that took one piece each are visited until they let go of it, then no
/// more.
#[test]
fn buffers_are_asked_back_only_from_connections_holding_them() {
    let mut t = T::default();
    for k in 0..1000u16 {
        t.connect(20_000 + k);
    }
    t.take();
    let buf = bytes::Bytes::from(b"..hello..".to_vec());
    t.shared = Some((buf.clone(), 1, 2));
    for k in 0..1000u16 {
        t.tx(20_000 + k, 6800, "A", 101, 501, b"hello");
    }
    t.shared = None;
    assert!(!buf.is_unique());
    // Nothing below buffer 1: visited, and still holding.
    assert_eq!(t.table.release_shared(1), 1000);
    assert!(!buf.is_unique());
    assert_eq!(t.table.release_shared(2), 1000);
    assert!(buf.is_unique(), "every window copied its piece");
    // One busy connection, in a later buffer.
    let later = bytes::Bytes::from(b"world".to_vec());
    t.shared = Some((later.clone(), 5, 0));
    t.tx(20_007, 6800, "A", 106, 501, b"world");
    t.shared = None;
    assert_eq!(t.table.release_shared(3), 1, "only the busy one is visited");
    assert!(!later.is_unique(), "buffer 5 is not asked for");
    assert_eq!(t.table.release_shared(6), 1);
    assert!(later.is_unique());
    assert_eq!(t.table.release_shared(9), 0);
}
