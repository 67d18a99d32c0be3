//! TCP reassembly on a real capture rewritten with its packets shuffled,
//! duplicated, split into overlapping pieces and dropped.

mod support;

use cephshark::analysis::{dissect, Config, Record, RecordKind};
use cephshark::capture::parse_tcp;
use cephshark::msgr2::ProblemKind;
use etherparse::{PacketBuilder, SlicedPacket, TransportSlice};
use std::collections::BTreeMap;
use support::capture_conv::{read_all, OwnedPacket};
use support::flip::{capture, write};

/// A row as (tag, segment lengths, status, stream offset, length, msg seq/type).
type Row = (String, [u32; 4], String, u64, u64, Option<(u64, u16)>);
/// (client, server, dir) -> rows.
type Streams = BTreeMap<(String, String, &'static str), Vec<Row>>;

fn original() -> Vec<u8> {
    capture("none-crc.pcap")
}

/// Rows per stream. `ack_ahead` notes are left out of the status: they
/// compare a frame with what the other direction has shown so far in
/// capture order, which reordering or loss in the other direction changes
/// by design; everything about the frames themselves must not change.
fn streams(pcap: &[u8]) -> (Streams, Vec<Record>) {
    let mut recs = Vec::new();
    dissect(pcap, Config::default(), &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Streams::new();
    for r in &recs {
        let (client, server) = if r.dir.short() == "c2s" {
            (r.src, r.dst)
        } else {
            (r.dst, r.src)
        };
        let (off, len) = r.range();
        out.entry((client.to_string(), server.to_string(), r.dir.short()))
            .or_default()
            .push((
                r.tag_name(),
                r.segment_lens(),
                // Shuffled across directions, the capture's order is not
                // the conversation's: the state machine's verdicts differ.
                support::mutants::status_alone(r)
                    .replace(",ack_ahead", "")
                    .replace("ack_ahead", "ok")
                    // Like ack_ahead, a reply before its request in
                    // capture order (the shuffle moves it) is a note.
                    .replace(",reply_unrequested", "")
                    .replace("reply_unrequested", "ok"),
                off,
                len,
                r.msg.map(|h| (h.seq, h.msg_type)),
            ));
    }
    (out, recs)
}

/// Assert two stream maps are equal, naming the first difference.
fn same(got: &Streams, want: &Streams, what: &str) {
    for (k, w) in want {
        match got.get(k) {
            None => panic!("{what}: {k:?} missing"),
            Some(g) if g != w => {
                let i = g
                    .iter()
                    .zip(w)
                    .position(|(a, b)| a != b)
                    .unwrap_or(g.len().min(w.len()));
                panic!(
                    "{what}: {k:?} differs at row {i}: got {:?}, want {:?} (lengths {} vs {})",
                    g.get(i),
                    w.get(i),
                    g.len(),
                    w.len()
                );
            }
            _ => {}
        }
    }
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(extra.is_empty(), "{what}: extra streams {extra:?}");
}

fn payload_len(p: &OwnedPacket) -> usize {
    parse_tcp(p.link, &p.data)
        .ok()
        .flatten()
        .map_or(0, |t| t.payload.len())
}

/// A tiny deterministic generator for reproducible shuffles.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn shuffled_packets_give_the_same_frames() {
    let pkts = read_all(&original());
    let (want, _) = streams(&write(&pkts));
    for seed in [1u64, 2, 3] {
        let mut rng = Lcg(seed);
        let mut shuffled = pkts.clone();
        // Reorder within runs of up to 4 data/ACK packets: data may now
        // follow its ACK, and one direction's packets pass the other's.
        // Handshake, FIN and RST packets stay where they are, and nothing
        // crosses them (no capture shows data before its connection's SYN).
        let fixed = |p: &OwnedPacket| {
            parse_tcp(p.link, &p.data)
                .ok()
                .flatten()
                .is_none_or(|t| t.flags.syn || t.flags.fin || t.flags.rst)
        };
        let mut start = 0;
        while start < shuffled.len() {
            let mut end = start;
            while end < shuffled.len() && end - start < 4 && !fixed(&shuffled[end]) {
                end += 1;
            }
            let w = &mut shuffled[start..end];
            for i in (1..w.len()).rev() {
                let j = rng.next(i + 1);
                w.swap(i, j);
            }
            start = end.max(start + 1);
        }
        let (got, _) = streams(&write(&shuffled));
        same(&got, &want, &format!("seed {seed}"));
    }
}

/// Connections as (client, server, handshake seen), in order of index.
fn connections(pcap: &[u8]) -> Vec<(String, String, bool)> {
    let summary = dissect(pcap, Config::default(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    summary
        .conns
        .values()
        .map(|c| (c.client.to_string(), c.server.to_string(), c.handshake_seen))
        .collect()
}

#[test]
fn data_shuffled_across_the_handshake_joins_its_connection() {
    for name in ["cephx-crc.pcap", "none-crc.pcap"] {
        let pkts = read_all(&capture(name));
        let plain = write(&pkts);
        let (want, _) = streams(&plain);
        let mut want_conns = connections(&plain);
        want_conns.sort();
        let is_data = |p: &OwnedPacket| {
            parse_tcp(p.link, &p.data).ok().flatten().is_some_and(|t| {
                !t.payload.is_empty() && !t.flags.syn && !t.flags.fin && !t.flags.rst
            })
        };
        let mut crossed = 0;
        for seed in [1u64, 2, 3, 4, 5] {
            let mut rng = Lcg(seed);
            let mut shuffled = pkts.clone();
            // Within each window of 8 packets, the data packets trade places
            // among themselves: one may land before its connection's SYN or
            // SYN+ACK when another connection's data sat there. Handshake,
            // ACK-only, FIN and RST packets keep their places.
            for start in (0..shuffled.len()).step_by(8) {
                let end = (start + 8).min(shuffled.len());
                let slots: Vec<usize> = (start..end).filter(|&i| is_data(&pkts[i])).collect();
                for k in (1..slots.len()).rev() {
                    let j = rng.next(k + 1);
                    shuffled.swap(slots[k], slots[j]);
                }
            }
            crossed += handshakes_crossed(&shuffled);
            let pcap = write(&shuffled);
            let (got, recs) = streams(&pcap);
            let what = format!("{name} seed {seed}");
            let mut got_conns = connections(&pcap);
            got_conns.sort();
            assert_eq!(got_conns, want_conns, "{what}");
            assert!(
                recs.iter()
                    .all(|r| !matches!(r.kind, RecordKind::Lost { .. })
                        && !r.status().contains(ProblemKind::BytesLost.name())),
                "{what}"
            );
            same(&got, &want, &what);
        }
        // The shuffles did put data ahead of a handshake.
        assert!(crossed >= 3, "{name}: {crossed} data packets crossed");
    }
}

/// Data packets captured before their connection's SYN or SYN+ACK.
fn handshakes_crossed(pkts: &[OwnedPacket]) -> usize {
    let segs: Vec<_> = pkts
        .iter()
        .filter_map(|p| parse_tcp(p.link, &p.data).ok().flatten())
        .collect();
    segs.iter()
        .enumerate()
        .filter(|(i, t)| {
            !t.payload.is_empty()
                && segs[i + 1..].iter().any(|s| {
                    s.flags.syn
                        && ((s.src, s.dst) == (t.src, t.dst) || (s.src, s.dst) == (t.dst, t.src))
                })
        })
        .count()
}

#[test]
fn duplicated_packets_give_the_same_frames() {
    let pkts = read_all(&original());
    let (want, _) = streams(&write(&pkts));
    let mut dup = Vec::new();
    for (i, p) in pkts.iter().enumerate() {
        dup.push(p.clone());
        if i % 3 == 0 {
            dup.push(p.clone());
        }
        // Also retransmit some data packets much later.
        if i % 7 == 0 && i >= 5 {
            dup.push(pkts[i - 5].clone());
        }
    }
    let (got, _) = streams(&write(&dup));
    same(&got, &want, "duplicated");
}

/// Rebuild an Ethernet/IPv4/TCP packet with another payload and sequence number.
fn rebuild(p: &OwnedPacket, seq: u32, payload: &[u8]) -> OwnedPacket {
    let s = SlicedPacket::from_ethernet(&p.data).unwrap_or_else(|e| panic!("{e:?}"));
    let Some(TransportSlice::Tcp(tcp)) = s.transport else {
        panic!("not tcp")
    };
    let Some(etherparse::NetSlice::Ipv4(ip)) = s.net else {
        panic!("not ipv4")
    };
    let h = ip.header();
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(h.source(), h.destination(), 64)
        .tcp(
            tcp.source_port(),
            tcp.destination_port(),
            seq,
            tcp.window_size(),
        );
    if tcp.ack() {
        b = b.ack(tcp.acknowledgment_number());
    }
    if tcp.psh() {
        b = b.psh();
    }
    let mut data = Vec::new();
    b.write(&mut data, payload)
        .unwrap_or_else(|e| panic!("{e}"));
    OwnedPacket { data, ..p.clone() }
}

#[test]
fn overlapping_pieces_give_the_same_frames() {
    let pkts = read_all(&original());
    let (want, _) = streams(&write(&pkts));
    // Connections picked up mid-stream start at their first segment seen;
    // splitting that one would move their origin, so leave them alone.
    let with_syn: std::collections::HashSet<(String, String)> = pkts
        .iter()
        .filter_map(|p| parse_tcp(p.link, &p.data).ok().flatten())
        .filter(|t| t.flags.syn)
        .flat_map(|t| {
            [
                (t.src.to_string(), t.dst.to_string()),
                (t.dst.to_string(), t.src.to_string()),
            ]
        })
        .collect();
    let mut out = Vec::new();
    for p in &pkts {
        let t = parse_tcp(p.link, &p.data).ok().flatten();
        match t {
            Some(t)
                if t.payload.len() >= 30
                    && !t.flags.syn
                    && !t.flags.fin
                    && with_syn.contains(&(t.src.to_string(), t.dst.to_string())) =>
            {
                // Two pieces sharing their middle third, the second sent first.
                let n = t.payload.len();
                let (a, b) = (n * 2 / 3, n / 3);
                let first = rebuild(p, t.seq, &t.payload[..a]);
                let second = rebuild(p, t.seq.wrapping_add(b as u32), &t.payload[b..]);
                out.push(second);
                out.push(first);
            }
            _ => out.push(p.clone()),
        }
    }
    let (got, recs) = streams(&write(&out));
    assert!(recs.iter().all(|r| !r.status().contains("overlap")));
    same(&got, &want, "overlapping");
}

#[test]
fn a_dropped_segment_flags_exactly_the_frames_it_touches() {
    let pkts = read_all(&original());
    let (want, _) = streams(&write(&pkts));
    // Drop packets carrying data at several places, one capture each.
    let data_idx: Vec<usize> = (0..pkts.len())
        .filter(|&i| payload_len(&pkts[i]) > 100)
        .collect();
    let mut named = 0;
    for pick in [
        data_idx.len() / 5,
        data_idx.len() / 2,
        data_idx.len() * 4 / 5,
    ] {
        let victim = data_idx[pick];
        let t = parse_tcp(pkts[victim].link, &pkts[victim].data)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("tcp"));
        let (src, dst) = (t.src.to_string(), t.dst.to_string());
        let mut fewer = pkts.clone();
        fewer.remove(victim);
        let (got, recs) = streams(&write(&fewer));
        // Every undecodable stretch names what was looked for and found.
        for r in &recs {
            if let RecordKind::Undecoded(p) = &r.kind {
                named += 1;
                assert!(
                    !p.expected.is_empty() && !p.found.is_empty(),
                    "victim {victim}: {p:?}"
                );
            }
        }
        // Exactly one lost stretch, in the victim's direction.
        let lost: Vec<&Record> = recs
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Lost { .. }))
            .collect();
        assert_eq!(lost.len(), 1, "victim {victim}");
        let (lo, ll) = lost[0].range();
        assert_eq!(ll, t.payload.len() as u64);
        assert_eq!(
            (lost[0].src.to_string(), lost[0].dst.to_string()),
            (src.clone(), dst.clone())
        );
        for (key, rows) in &want {
            let got_rows = got.get(key).unwrap_or_else(|| panic!("{key:?} missing"));
            let is_victim_dir = (key.2 == "c2s" && key.0 == src && key.1 == dst)
                || (key.2 == "s2c" && key.1 == src && key.0 == dst);
            if !is_victim_dir {
                let diff: Vec<_> = got_rows.iter().zip(rows).filter(|(a, b)| a != b).collect();
                assert!(
                    got_rows.len() == rows.len() && diff.is_empty(),
                    "untouched direction {key:?} changed: {diff:?}"
                );
                continue;
            }
            // Frames wholly before or after the lost bytes are unchanged.
            let outside = |r: &Row| r.3 + r.4 <= lo || r.3 >= lo + ll;
            let keep_want: Vec<_> = rows.iter().filter(|r| outside(r)).cloned().collect();
            let keep_got: Vec<_> = got_rows
                .iter()
                .filter(|r| outside(r) && r.2 == "ok")
                .cloned()
                .collect();
            assert_eq!(
                keep_got, keep_want,
                "{key:?}: every frame outside the gap still decodes"
            );
            // What overlaps the gap is flagged, never reported as intact.
            let touched: Vec<_> = got_rows.iter().filter(|r| !outside(r)).collect();
            assert!(
                !touched.is_empty(),
                "victim {victim}: lost {lo}+{ll} in {key:?} touches no frame: {:?}",
                got_rows
                    .iter()
                    .map(|r| (r.3, r.4, &r.2))
                    .collect::<Vec<_>>()
            );
            assert!(touched.iter().all(|r| r.2 != "ok"), "{touched:?}");
            let names = [
                ProblemKind::Incomplete.name(),
                ProblemKind::BytesLost.name(),
                ProblemKind::Undecoded.name(),
            ];
            assert!(
                touched
                    .iter()
                    .all(|r| names.iter().any(|n| r.2.contains(n))),
                "{touched:?}"
            );
        }
    }
    assert!(named > 0, "no undecodable stretch was checked");
}

/// A loss inside a frame whose preamble was read (so its length is known):
/// the frame's row is flagged incomplete, the lost bytes are one row, the
/// rest of that frame is one skipped stretch, and the next frame decodes.
#[test]
fn a_loss_inside_a_large_frame_skips_the_rest_as_one_stretch() {
    let pkts = read_all(&original());
    let (_, recs) = streams(&write(&pkts));
    // The largest frame spanning at least four data packets (a 3 MB
    // osd_op write, the last frame of its direction).
    let big = recs
        .iter()
        .filter(|r| r.frame().is_some() && r.packets.len() >= 4)
        .max_by_key(|r| r.range().1)
        .unwrap_or_else(|| panic!("no large frame"));
    let (off, len) = big.range();
    let victim = big.packets[big.packets.len() / 2];
    let mut fewer = pkts.clone();
    fewer.retain(|p| p.index != victim.0);
    let (_, got) = streams(&write(&fewer));
    let mine: Vec<&Record> = got
        .iter()
        .filter(|r| r.conn == big.conn && r.dir == big.dir)
        .filter(|r| {
            let (o, l) = r.range();
            o < off + len + 200 && o + l > off
        })
        .collect();
    // The frame up to the loss, the loss, the rest skipped as one stretch
    // naming its frame, up to the frame's known end.
    let shape: Vec<(String, String)> = mine.iter().map(|r| (r.tag_name(), r.status())).collect();
    assert_eq!(
        shape,
        [
            ("MESSAGE", "incomplete"),
            ("[LOST]", "bytes_lost"),
            ("[UNDECODED]", "undecoded"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
    );
    let (lo, ll) = mine[1].range();
    assert_eq!(mine[0].range(), (off, lo - off));
    assert_eq!(mine[2].range(), (lo + ll, off + len - lo - ll));
    let RecordKind::Undecoded(p) = &mine[2].kind else {
        unreachable!()
    };
    assert_eq!(
        p.found,
        format!("the rest of the frame at stream offset {off}, after lost bytes: skipped")
    );
}

/// The same with a frame after the damaged one, and two losses in it: each
/// part of the rest between losses is one row, and the next frame, where
/// the damaged one ends by its preamble's lengths, decodes.
#[test]
fn the_next_frame_is_read_where_a_damaged_frame_ends() {
    use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
    use cephshark::msgr2::{banner, Rev, Tag};
    use support::synth::{connection, Send};
    let ka = encode_crc(
        Rev::V1,
        &FrameSpec::control(Tag::Keepalive2.raw(), &[1, 0, 0, 0, 2, 0, 0, 0]),
    );
    // The data carries a whole valid frame's bytes after the second loss:
    // a decoder hunting for preambles would take it for a frame.
    let mut data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    data[15_000..15_000 + ka.len()].copy_from_slice(&ka);
    let header = vec![0u8; 41];
    let big = encode_crc(Rev::V1, &FrameSpec::message(&header, b"front", b"", &data));
    let sends = [
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: true,
            data: big.clone(),
        },
        Send {
            from_client: true,
            data: ka,
        },
    ];
    let pkts = read_all(&connection(40000, 6800, &sends, 1000));
    // The big frame's packets: the client's data packets of 1000 bytes.
    let carrying: Vec<usize> = (0..pkts.len())
        .filter(|&i| payload_len(&pkts[i]) == 1000)
        .collect();
    assert!(carrying.len() >= 18, "{}", carrying.len());
    let mut fewer = pkts.clone();
    // Lose the 5th and the 12th.
    fewer.remove(carrying[11]);
    fewer.remove(carrying[4]);
    let (_, got) = streams(&write(&fewer));
    let rows: Vec<(String, String, (u64, u64))> = got
        .iter()
        .filter(|r| r.dir.short() == "c2s")
        .map(|r| (r.tag_name(), r.status(), r.range()))
        .collect();
    let off = 26u64; // after the client's banner
    let end = off + big.len() as u64;
    let tags: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        tags,
        [
            "BANNER",
            "MESSAGE",
            "[LOST]",
            "[UNDECODED]",
            "[LOST]",
            "[UNDECODED]",
            "KEEPALIVE2"
        ],
        "{rows:?}"
    );
    // Contiguous: each row starts where the one before ends.
    for w in rows.windows(2) {
        assert_eq!(w[0].2 .0 + w[0].2 .1, w[1].2 .0, "{rows:?}");
    }
    assert_eq!(rows[1].2 .0, off);
    assert_eq!(rows[5].2 .0 + rows[5].2 .1, end);
    assert_eq!((rows[6].1.as_str(), rows[6].2 .0), ("ok", end));
    assert_eq!(rows[2].2 .1, 1000);
    assert_eq!(rows[4].2 .1, 1000);
    for r in [3, 5] {
        let RecordKind::Undecoded(p) = &got
            .iter()
            .filter(|r| r.dir.short() == "c2s")
            .nth(r)
            .unwrap()
            .kind
        else {
            unreachable!()
        };
        assert_eq!(
            p.found,
            format!("the rest of the frame at stream offset {off}, after lost bytes: skipped")
        );
    }
}

/// Retransmissions compared on the reading thread's buffers: two real
/// captures one after the other (some 2,000 packets, so that many read-ahead
/// batches pass and quiet connections hold pieces of old ones until they
/// are asked back), with data packets sent again two packets later (where
/// three data packets of one direction follow each other), every other
/// such copy with its payload's last byte changed. Read with one
/// thread (each window a copy), two (windows holding places in the
/// batches) or in place (places in the mapped file), the output is the
/// same, and each changed copy, and only those, is a `tcp_overlap_differs`
/// problem.
#[test]
fn retransmissions_are_compared_alike_read_ahead_or_not() {
    let mut pkts = read_all(&original());
    pkts.extend(read_all(&capture("cephx-crc.pcap")));
    let mut out = Vec::new();
    let (mut copies, mut changed) = (0, 0);
    for (i, p) in pkts.iter().enumerate() {
        out.push(p.clone());
        let Some(old) = i.checked_sub(2).map(|k| &pkts[k]) else {
            continue;
        };
        // Only inside a run of the same direction's data, so that the
        // connection is open when the copy comes.
        let run = || {
            // The three in sequence: the capture has stretches reordered.
            let flow = |p: &OwnedPacket| {
                parse_tcp(p.link, &p.data)
                    .ok()
                    .flatten()
                    .filter(|t| !t.flags.fin && !t.flags.rst && !t.payload.is_empty())
                    .map(|t| {
                        (
                            t.src,
                            t.dst,
                            t.seq,
                            t.seq.wrapping_add(t.payload.len() as u32),
                        )
                    })
            };
            let (a, b, c) = (flow(old), flow(&pkts[i - 1]), flow(p));
            let next = |x: Option<(_, _, u32, u32)>, y: Option<(_, _, u32, u32)>| {
                x.zip(y)
                    .is_some_and(|(x, y)| (x.0, x.1, x.3) == (y.0, y.1, y.2))
            };
            next(a, b) && next(b, c)
        };
        if !run() {
            continue;
        }
        let mut copy = old.clone();
        copies += 1;
        if copies % 2 == 0 {
            // The payload's last byte (a short frame's last byte is padding).
            let at = parse_tcp(old.link, &old.data)
                .ok()
                .flatten()
                .map(|t| t.payload_offset + t.payload.len() - 1);
            if let Some(b) = at.and_then(|at| copy.data.get_mut(at)) {
                *b ^= 0x5a;
                changed += 1;
            }
        }
        out.push(copy);
    }
    assert!(
        out.len() > 2_000 && changed > 30,
        "{} packets, {changed} changed",
        out.len()
    );
    let dir = std::env::temp_dir().join(format!("cephshark-retransmit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("retransmit.pcap");
    std::fs::write(&path, write(&out)).unwrap_or_else(|e| panic!("{e}"));
    let verify = |how: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
            .arg("verify")
            .args(how)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let one = verify(&["-j", "1"]);
    assert_eq!(verify(&["-j", "2"]), one);
    // Read in place: the windows hold places in the mapped file.
    assert_eq!(verify(&["-j", "1", "--mmap"]), one);
    let flagged = one.matches("tcp_overlap_differs").count();
    assert_eq!(flagged, changed, "{one}");
    let _ = std::fs::remove_dir_all(&dir);
}
