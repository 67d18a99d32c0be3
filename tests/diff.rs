//! `diff`: a real capture (none-crc.pcap, Ceph 16.2) compared with copies
//! of itself damaged in known ways: a bit flipped (B's CRC fails at that
//! byte), a packet dropped (its frames in A only), a byte changed with its
//! segment CRC re-sealed (crc32c, seed 0xffffffff as frames_v2.cc, so both
//! sides verify), the clock shifted (the offset estimated from the
//! handshakes). Expected values come from the packets and the damage done,
//! never from the report itself.

mod support;

use cephshark::analysis::diff::{FindingKind, Side};
use cephshark::analysis::Record;
use cephshark::capture::{parse_tcp, Timestamp};
use cephshark::msgr2::crc::segment_crc;
use cephshark::msgr2::CheckKind;
use cephshark::tcp::Direction;
use support::capture_conv::{read_all, OwnedPacket};
use support::diff_common::*;
use support::flip::{capture, write, Placement};

#[test]
fn a_capture_against_itself_has_no_difference() {
    let a = capture("none-crc.pcap");
    let units = rows(&a)
        .iter()
        .filter(|r| r.frame().is_some() || r.tag_name() == "BANNER")
        .count() as u64;
    let r = diff(&a, &a);
    assert!(r.same(), "{:#?}", r.findings);
    let s = &r.summary;
    assert_eq!(s.units, [units, units]);
    assert_eq!((s.matched, s.identical), (units, units));
    assert_eq!(s.conns_both, 33);
    assert!(s.conns_only.iter().all(Vec::is_empty));
    // Identical times: the offset and every delay are zero.
    let d = s.delays;
    assert_eq!(d.offset.map(|o| o.offset_ns), Some(0));
    for p in d.paths.iter().flatten() {
        assert_eq!((p.min_ns, p.max_ns), (0, 0));
    }
}

#[test]
fn a_flipped_bit_is_corrupted_in_transit_at_its_byte() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let f = m.frame().unwrap_or_else(|| panic!("frame"));
    let data = f.segment_offsets[3];
    let at = data + 17;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    assert!(Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 5) >= 1);
    let r = diff(&a, &write(&pkts));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.kind, FindingKind::Differs);
    assert_eq!(d.verdict(), "corrupted in transit: A verifies, B does not");
    assert_eq!(d.dir, m.dir);
    let first = d.first.unwrap_or_else(|| panic!("first byte"));
    assert_eq!(first.stream_offset, at);
    assert_eq!(first.frame_offset, at - f.offset);
    assert_eq!(first.a.zip(first.b).map(|(x, y)| x ^ y), Some(1 << 5));
    assert_eq!(first.field, Some("msgr2.segment"));
    let (sa, sb) = (d.a.as_ref().unwrap(), d.b.as_ref().unwrap());
    assert_eq!(
        (sa.row, sa.offset, sa.packets.clone()),
        (m.number, f.offset, m.packets.clone())
    );
    assert_eq!(sb.packets, m.packets);
    assert_eq!(sb.status, "segment_crc_bad");
    // The same damage seen the other way round: B verifies.
    let back = diff(&write(&pkts), &a);
    assert_eq!(
        back.findings[0].verdict(),
        "corrupted in transit: B verifies, A does not"
    );
}

/// Packets whose payload holds two or more whole frames and no part of
/// another: (packet index, frames).
fn packets_of_whole_frames(pkts: &[OwnedPacket], recs: &[Record]) -> Vec<(usize, Vec<u64>)> {
    let mut isn = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (i, p) in pkts.iter().enumerate() {
        let Some(t) = parse_tcp(p.link, &p.data).ok().flatten() else {
            continue;
        };
        let key = (t.src.to_string(), t.dst.to_string());
        if t.flags.syn {
            isn.insert(key.clone(), t.seq.wrapping_add(1));
        }
        if t.payload.is_empty() {
            continue;
        }
        let Some(s) = isn.get(&key) else { continue };
        let lo = u64::from(t.seq.wrapping_sub(*s));
        let hi = lo + t.payload.len() as u64;
        let mut inside = Vec::new();
        let mut clean = true;
        for r in recs
            .iter()
            .filter(|r| ends(r) == key && r.frame().is_some())
        {
            let (o, l) = r.range();
            if o >= lo && o + l <= hi {
                inside.push(r.number);
            } else if o < hi && o + l > lo {
                clean = false;
            }
        }
        if clean && inside.len() >= 2 {
            out.push((i, inside));
        }
    }
    out
}

#[test]
fn a_dropped_packet_leaves_its_frames_in_a_only() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let pkts = read_all(&a);
    let candidates = packets_of_whole_frames(&pkts, &recs);
    let (drop, frames) = candidates
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no packet"));
    let mut damaged = pkts.clone();
    damaged.remove(drop);
    let r = diff(&a, &write(&damaged));
    let only: Vec<u64> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OnlyIn(Side::A))
        .map(|f| f.a.as_ref().map_or(0, |s| s.row))
        .collect();
    assert_eq!(only, frames, "{:#?}", r.findings);
    assert_eq!(r.findings.len(), frames.len());
    for f in &r.findings {
        let other = f.other.as_ref().unwrap_or_else(|| panic!("B's cover"));
        assert_eq!(other.what, "lost");
        assert_eq!(f.verdict(), "only in A: not captured in B");
        assert_eq!(
            f.a.as_ref().map(|s| s.packets.clone()),
            Some(vec![cephshark::capture::PacketIndex(drop as u64 + 1)])
        );
    }
}

/// Change byte `at` of `m`'s data segment to `value` and re-seal the
/// segment's CRC, in every packet carrying those bytes.
fn reseal(pkts: &mut [OwnedPacket], m: &Record, at: u64, value: u8) {
    let f = m.frame().unwrap_or_else(|| panic!("frame"));
    let seg = f.segment(3).unwrap_or_else(|| panic!("segment")).to_vec();
    let mut new = seg.clone();
    let i = (at - f.segment_offsets[3]) as usize;
    new[i] = value;
    let (old_crc, new_crc) = (segment_crc(&seg), segment_crc(&new));
    let crc_at = f
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Segment(3))
        .unwrap_or_else(|| panic!("segment 3's crc"))
        .offset;
    let place = Placement::new(pkts);
    let (src, dst) = ends(m);
    let mut set = |off: u64, old: u8, new: u8| {
        for bit in 0..8 {
            if (old ^ new) & (1 << bit) != 0 {
                assert!(place.flip(pkts, (&src, &dst), off, bit) >= 1);
            }
        }
    };
    set(at, seg[i], value);
    for (k, (o, n)) in old_crc
        .to_le_bytes()
        .into_iter()
        .zip(new_crc.to_le_bytes())
        .enumerate()
    {
        set(crc_at + k as u64, o, n);
    }
}

#[test]
fn resealed_bytes_differ_with_both_sides_verifying() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let f = m.frame().unwrap_or_else(|| panic!("frame"));
    let at = f.segment_offsets[3] + 40;
    let old = f.segment(3).unwrap()[40];
    let mut pkts = read_all(&a);
    reseal(&mut pkts, m, at, !old);
    let b = write(&pkts);
    // The re-sealed copy verifies.
    assert!(rows(&b).iter().all(|r| !r.is_faulty()));
    // Changed and re-sealed on both sides: the same bytes, no difference.
    assert!(diff(&b, &b).same());
    // Only in B: a difference, and both verify.
    let r = diff(&a, &b);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.verdict(), "differs, both verify");
    let first = d.first.unwrap();
    assert_eq!(
        (first.stream_offset, first.a, first.b),
        (at, Some(old), Some(!old))
    );
}

#[test]
fn a_shifted_clock_is_the_offset_and_delays_are_what_is_left() {
    let a = capture("none-crc.pcap");
    let pkts = read_all(&a);
    let shift = |p: &OwnedPacket, ns: i64| {
        let t = i128::from(p.ts.secs) * 1_000_000_000 + i128::from(p.ts.nanos) + i128::from(ns);
        Timestamp {
            secs: (t / 1_000_000_000) as i64,
            nanos: (t % 1_000_000_000) as u32,
        }
    };
    // B's clock 2.5 s ahead: every row 2.5 s later, no delay left.
    let mut b = pkts.clone();
    for p in &mut b {
        p.ts = shift(p, 2_500_000_000);
    }
    let r = diff(&a, &write(&b));
    assert!(r.same());
    let o = r.summary.delays.offset.unwrap();
    assert_eq!((o.offset_ns, o.from_handshakes), (2_500_000_000, true));
    for p in r.summary.delays.paths.iter().flatten() {
        assert_eq!((p.min_ns, p.median_ns, p.max_ns), (0, 0, 0));
    }
    // Clients' packets 3 ms later at B, servers' 1 ms: an offset of 2 ms
    // (the midpoint) and 1 ms each way.
    let recs = rows(&a);
    let clients: std::collections::HashSet<String> = recs
        .iter()
        .filter(|r| r.dir == Direction::ClientToServer)
        .map(|r| r.src.to_string())
        .collect();
    let mut b = pkts.clone();
    for p in &mut b {
        let t = parse_tcp(p.link, &p.data).ok().flatten().unwrap();
        let ns = if clients.contains(&t.src.to_string()) {
            3_000_000
        } else {
            1_000_000
        };
        p.ts = shift(p, ns);
    }
    let r = diff(&a, &write(&b));
    assert!(r.same());
    let o = r.summary.delays.offset.unwrap();
    assert_eq!(
        (o.forward_min_ns, o.backward_max_ns, o.offset_ns),
        (3_000_000, 1_000_000, 2_000_000)
    );
    for p in r.summary.delays.paths.iter().flatten() {
        assert_eq!(
            (p.min_ns, p.median_ns, p.max_ns),
            (1_000_000, 1_000_000, 1_000_000)
        );
    }
    let [fwd, back] = r.summary.delays.paths;
    let messages = recs.iter().filter(|r| r.is_message()).count();
    assert_eq!(fwd.unwrap().count + back.unwrap().count, messages);
}

#[test]
fn a_flipped_preamble_bit_leaves_the_frame_undecoded_in_b() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let f = m.frame().unwrap_or_else(|| panic!("frame"));
    // msgr2.preamble.segments[0].length (frames_v2.h preamble_block_t:
    // tag, num_segments, then segment lengths from byte 2).
    let at = f.offset + 2;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 0);
    let r = diff(&a, &write(&pkts));
    // B resynchronises at the next frame: this one finding only.
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.kind, FindingKind::OnlyIn(Side::A));
    assert_eq!(
        d.a.as_ref().map(|s| (s.row, s.offset)),
        Some((m.number, f.offset))
    );
    let other = d.other.as_ref().unwrap();
    // Blamed at the preamble's CRC, bytes 28..32 (frames_v2.h).
    assert_eq!(
        (other.what, other.offset),
        ("preamble_crc_bad", f.offset + 28)
    );
    assert_eq!(
        d.verdict(),
        "corrupted in transit: A verifies, B could not decode it (preamble_crc_bad)"
    );
}
