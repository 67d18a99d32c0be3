//! Property tests for TCP reassembly: any split, reorder or duplication of
//! a stream's segments rebuilds the same bytes; a segment lost to the
//! capture becomes exactly one gap covering it; and whatever arrives, data
//! and gaps tile the stream.

use cephshark::capture::{PacketIndex, TcpFlags, TcpPacket, Timestamp};
use cephshark::tcp::{
    CloseReason, Direction, FlowTable, Reassembler, ReassemblyConfig, ReassemblyEvent, StreamEvent,
};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::ops::Range;

const CLIENT_ISN_NEAR_WRAP: u32 = u32::MAX - 3000;
const SERVER_ISN: u32 = 0x5000_0000;

fn client() -> SocketAddr {
    SocketAddr::from(([192, 168, 1, 10], 51000))
}

fn server() -> SocketAddr {
    SocketAddr::from(([192, 168, 1, 20], 3300))
}

/// Cut `0..len` into consecutive ranges of the given sizes (cycled).
fn cut(len: usize, sizes: &[usize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at >= len {
            break;
        }
        let end = (at + size).min(len);
        out.push(at..end);
        at = end;
    }
    out
}

/// Deterministic shuffle driven by `seed` (xorshift).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

fn seq_at(isn: u32, offset: usize) -> u32 {
    isn.wrapping_add(1).wrapping_add(offset as u32)
}

/// What the flow table reported for the client's stream.
#[derive(Debug, Default)]
struct Seen {
    bytes: Vec<u8>,
    /// `Some(byte)` delivered, `None` reported as lost, in offset order.
    tiles: Vec<Option<u8>>,
    gaps: Vec<Range<u64>>,
    differs: usize,
    opened: usize,
    closed: Vec<CloseReason>,
    other: usize,
}

impl Seen {
    fn take(&mut self, ev: StreamEvent<'_>) {
        match ev {
            StreamEvent::Opened { .. } => self.opened += 1,
            StreamEvent::Data {
                dir: Direction::ClientToServer,
                offset,
                data,
                ..
            } => {
                assert_eq!(offset, self.tiles.len() as u64, "data does not tile");
                self.bytes.extend_from_slice(data);
                self.tiles.extend(data.iter().map(|&b| Some(b)));
            }
            StreamEvent::Gap {
                dir: Direction::ClientToServer,
                offset,
                len,
                ..
            } => {
                assert_eq!(offset, self.tiles.len() as u64, "gap does not tile");
                assert!(len > 0);
                self.tiles.extend((0..len).map(|_| None));
                self.gaps.push(offset..offset + len);
            }
            StreamEvent::OverlapDiffers { .. } => self.differs += 1,
            StreamEvent::Closed { reason, .. } => self.closed.push(reason),
            _ => self.other += 1,
        }
    }
}

/// Drives one connection: handshake, client segments, server ACKs.
struct Conn {
    table: FlowTable,
    packet: u64,
    isn: u32,
    seen: Seen,
    /// Bytes the server has received (including ones the capture lost).
    received: Vec<bool>,
    acked: usize,
}

impl Conn {
    fn new(isn: u32, len: usize) -> Conn {
        let mut conn = Conn {
            table: FlowTable::new(),
            packet: 0,
            isn,
            seen: Seen::default(),
            received: vec![false; len],
            acked: 0,
        };
        conn.send(true, (true, false, false), isn, 0, &[]);
        conn.send(
            false,
            (true, true, false),
            SERVER_ISN,
            isn.wrapping_add(1),
            &[],
        );
        conn.send(
            true,
            (false, true, false),
            isn.wrapping_add(1),
            SERVER_ISN + 1,
            &[],
        );
        conn
    }

    fn send(
        &mut self,
        from_client: bool,
        syn_ack_fin: (bool, bool, bool),
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) {
        let (src, dst) = if from_client {
            (client(), server())
        } else {
            (server(), client())
        };
        let (syn, ack_flag, fin) = syn_ack_fin;
        let seg = TcpPacket {
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags {
                syn,
                ack: ack_flag,
                fin,
                rst: false,
            },
            payload,
            payload_offset: 66,
            missing: 0,
            owner: None,
            payload_crc: None,
        };
        self.packet += 1;
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: 0,
        };
        let seen = &mut self.seen;
        self.table
            .process(PacketIndex(self.packet), ts, &seg, &mut |ev| seen.take(ev));
    }

    /// A client segment carrying `range`; `captured` false when only the
    /// server got it. With `acks`, the server then acknowledges what it
    /// holds contiguously.
    fn data(&mut self, stream: &[u8], range: Range<usize>, captured: bool, acks: bool) {
        if captured {
            let seq = seq_at(self.isn, range.start);
            self.send(
                true,
                (false, true, false),
                seq,
                SERVER_ISN + 1,
                &stream[range.clone()],
            );
        }
        for flag in &mut self.received[range] {
            *flag = true;
        }
        while self.received.get(self.acked) == Some(&true) {
            self.acked += 1;
        }
        if acks {
            self.ack();
        }
    }

    fn ack(&mut self) {
        let ack = seq_at(self.isn, self.acked);
        self.send(false, (false, true, false), SERVER_ISN + 1, ack, &[]);
    }

    fn fin(&mut self, len: usize) {
        self.send(
            true,
            (false, true, true),
            seq_at(self.isn, len),
            SERVER_ISN + 1,
            &[],
        );
    }

    fn finish(&mut self) {
        let seen = &mut self.seen;
        self.table.finish(&mut |ev| seen.take(ev));
    }
}

fn isn_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), CLIENT_ISN_NEAR_WRAP..=u32::MAX]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_reorder_duplication_rebuilds_the_stream(
        stream in prop::collection::vec(any::<u8>(), 1..3000),
        sizes in prop::collection::vec(1usize..400, 1..24),
        isn in isn_strategy(),
        seed in any::<u64>(),
        dups in prop::collection::vec(any::<usize>(), 0..8),
        overlaps in prop::collection::vec((any::<usize>(), 1usize..600), 0..8),
        acks in any::<bool>(),
    ) {
        let len = stream.len();
        let mut pieces = cut(len, &sizes);
        let n = pieces.len();
        for d in dups {
            pieces.push(pieces[d % n].clone());
        }
        for (at, size) in overlaps {
            let start = at % len;
            pieces.push(start..(start + size).min(len));
        }
        shuffle(&mut pieces, seed);
        let mut conn = Conn::new(isn, len);
        for range in pieces {
            conn.data(&stream, range, true, acks);
        }
        conn.finish();
        let seen = &conn.seen;
        prop_assert_eq!(&seen.bytes, &stream);
        prop_assert!(seen.gaps.is_empty(), "gaps: {:?}", seen.gaps);
        prop_assert_eq!(seen.differs, 0);
        prop_assert_eq!(seen.opened, 1);
        prop_assert_eq!(&seen.closed, &vec![CloseReason::EndOfCapture]);
    }

    #[test]
    fn one_lost_segment_is_exactly_one_gap(
        stream in prop::collection::vec(any::<u8>(), 2..3000),
        sizes in prop::collection::vec(1usize..400, 1..24),
        isn in isn_strategy(),
        seed in any::<u64>(),
        lost in any::<usize>(),
        dups in prop::collection::vec(any::<usize>(), 0..8),
        reveal in 0u8..3,
        acks in any::<bool>(),
    ) {
        let len = stream.len();
        let pieces = cut(len, &sizes);
        let n = pieces.len();
        let lost = lost % n;
        let dropped = pieces[lost].clone();
        // Retransmissions of other segments, and the lost one seen by the
        // server only.
        let mut order: Vec<(Range<usize>, bool)> =
            pieces.iter().cloned().enumerate().map(|(i, r)| (r, i != lost)).collect();
        for d in dups {
            let i = d % n;
            if i != lost {
                order.push((pieces[i].clone(), true));
            }
        }
        shuffle(&mut order, seed);
        let mut conn = Conn::new(isn, len);
        for (range, captured) in order {
            conn.data(&stream, range, captured, acks);
        }
        match reveal {
            0 => conn.ack(),
            1 => conn.fin(len),
            _ => {}
        }
        conn.finish();
        let seen = &conn.seen;
        prop_assert_eq!(seen.differs, 0);
        let unrevealed = reveal == 2 && !acks && dropped.end == len;
        let mut want: Vec<Option<u8>> = stream.iter().map(|&b| Some(b)).collect();
        if unrevealed {
            want.truncate(dropped.start);
            prop_assert!(seen.gaps.is_empty());
        } else {
            for b in &mut want[dropped.clone()] {
                *b = None;
            }
            let gap = dropped.start as u64..dropped.end as u64;
            prop_assert_eq!(&seen.gaps, &vec![gap]);
        }
        prop_assert_eq!(&seen.tiles, &want);
    }

    /// Arbitrary segments, ACKs, snap-length cuts, FINs and a tiny buffer:
    /// whatever happens, data and gaps tile the stream from offset 0, and a
    /// delivered byte is the first copy the reassembler saw of it.
    #[test]
    fn data_and_gaps_always_tile(
        ops in prop::collection::vec(
            (0u8..10, 0u32..3000, prop::collection::vec(any::<u8>(), 0..300), 0u32..64),
            1..60,
        ),
        origin in any::<u32>(),
        max_buffered in 0usize..4000,
        recent_window in 0usize..500,
    ) {
        let cfg = ReassemblyConfig { max_buffered, recent_window, ack_gap_delay: 0 };
        let mut r = Reassembler::with_config(cfg);
        r.syn(origin.wrapping_sub(1));
        let mut tiles: Vec<Option<u8>> = Vec::new();
        let mut first_copy: std::collections::HashMap<u64, u8> = Default::default();
        for (i, (kind, at, payload, missing)) in ops.into_iter().enumerate() {
            let packet = PacketIndex(i as u64 + 1);
            let seq = origin.wrapping_add(at);
            let mut sink = |ev: ReassemblyEvent<'_>| match ev {
                ReassemblyEvent::Data { offset, data, .. } => {
                    assert_eq!(offset, tiles.len() as u64);
                    tiles.extend(data.iter().map(|&b| Some(b)));
                }
                ReassemblyEvent::Gap { offset, len, .. } => {
                    assert_eq!(offset, tiles.len() as u64);
                    assert!(len > 0);
                    tiles.extend((0..len).map(|_| None));
                }
                ReassemblyEvent::OverlapDiffers { len, .. } => assert!(len > 0),
            };
            match kind {
                0 => r.ack_seen(seq, packet, &mut sink),
                1 => r.fin(seq),
                _ => {
                    let missing = if kind == 2 { missing } else { 0 };
                    for (k, &b) in payload.iter().enumerate() {
                        first_copy.entry(u64::from(at) + k as u64).or_insert(b);
                    }
                    r.segment(packet, Timestamp::default(), seq, &payload, missing, &mut sink);
                }
            }
            prop_assert_eq!(r.next_offset(), tiles.len() as u64);
            prop_assert!(r.buffered() <= max_buffered);
        }
        r.flush(&mut |ev| {
            if let ReassemblyEvent::Data { offset, data, .. } = ev {
                assert_eq!(offset, tiles.len() as u64);
                tiles.extend(data.iter().map(|&b| Some(b)));
            } else if let ReassemblyEvent::Gap { offset, len, .. } = ev {
                assert_eq!(offset, tiles.len() as u64);
                tiles.extend((0..len).map(|_| None));
            }
        });
        prop_assert_eq!(r.buffered(), 0);
        for (offset, byte) in tiles.iter().enumerate() {
            if let Some(b) = byte {
                prop_assert_eq!(first_copy.get(&(offset as u64)), Some(b));
            }
        }
    }
}

#[test]
fn client_stream_across_sequence_wrap() {
    let stream: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let mut conn = Conn::new(u32::MAX - 1000, stream.len());
    for range in cut(stream.len(), &[700, 1448, 3]) {
        conn.data(&stream, range, true, true);
    }
    conn.fin(stream.len());
    conn.send(
        false,
        (false, true, true),
        SERVER_ISN + 1,
        seq_at(conn.isn, 5001),
        &[],
    );
    assert_eq!(conn.seen.bytes, stream);
    assert_eq!(conn.seen.closed, vec![CloseReason::Fin]);
    assert_eq!(conn.table.open_connections(), 0);
}

proptest! {
    /// Random flags, sequence numbers, ACKs and snap-length cuts on two
    /// address pairs: no panic; per connection and direction, data and gaps
    /// tile the stream; every connection is closed exactly once, last.
    #[test]
    fn flow_table_survives_arbitrary_segments(
        ops in prop::collection::vec(
            (any::<bool>(), any::<bool>(), 0u8..16, 0u32..2000, 0u32..2000, 0usize..200, 0u32..50),
            1..80,
        ),
    ) {
        use std::collections::HashMap;
        let mut table = FlowTable::new();
        let mut tiles: HashMap<(u32, Direction), u64> = HashMap::new();
        let mut state: HashMap<u32, bool> = HashMap::new(); // conn -> closed
        let mut check = |ev: StreamEvent<'_>| match ev {
            StreamEvent::Opened { conn, .. } => {
                assert!(state.insert(conn.0, false).is_none(), "conn opened twice");
            }
            StreamEvent::Data { conn, dir, offset, data, .. } => {
                assert_eq!(state.get(&conn.0), Some(&false));
                let at = tiles.entry((conn.0, dir)).or_default();
                assert_eq!(*at, offset);
                *at += data.len() as u64;
            }
            StreamEvent::Gap { conn, dir, offset, len, .. } => {
                assert_eq!(state.get(&conn.0), Some(&false));
                let at = tiles.entry((conn.0, dir)).or_default();
                assert_eq!(*at, offset);
                assert!(len > 0);
                *at += len;
            }
            StreamEvent::OverlapDiffers { conn, len, .. } => {
                assert_eq!(state.get(&conn.0), Some(&false));
                assert!(len > 0);
            }
            StreamEvent::Closed { conn, .. } => {
                assert_eq!(state.insert(conn.0, true), Some(false), "bad close");
            }
            // No connection is evicted without a memory cap.
            StreamEvent::Evicted { .. } => panic!("eviction without a cap"),
        };
        for (i, (from_client, second_pair, flags, seq, ack, len, missing)) in
            ops.into_iter().enumerate()
        {
            let mut c = client();
            if second_pair {
                c.set_port(51001);
            }
            // Each packet's bytes differ, so overlaps can disagree.
            let payload = vec![i as u8; len];
            let (src, dst) = if from_client { (c, server()) } else { (server(), c) };
            let seg = TcpPacket {
                src,
                dst,
                seq: seq.wrapping_add(if from_client { 0xFFFF_FC00 } else { 7 }),
                ack: ack.wrapping_add(if from_client { 7 } else { 0xFFFF_FC00 }),
                flags: TcpFlags {
                    syn: flags & 1 != 0,
                    ack: flags & 2 != 0,
                    fin: flags & 4 != 0,
                    rst: flags & 8 != 0 && flags & 1 == 0,
                },
                payload: &payload,
                payload_offset: 54,
                missing,
                owner: None,
                payload_crc: None,
            };
            let ts = Timestamp { secs: i as i64, nanos: 0 };
            table.process(PacketIndex(i as u64 + 1), ts, &seg, &mut check);
        }
        table.finish(&mut check);
        prop_assert!(state.values().all(|&closed| closed));
        prop_assert_eq!(table.open_connections(), 0);
    }
}
