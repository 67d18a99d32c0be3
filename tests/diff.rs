//! `diff`: a real capture (none-crc.pcap, Ceph 16.2) compared with copies
//! of itself damaged in known ways: a bit flipped (B's CRC fails at that
//! byte), a packet dropped (its frames in A only), a byte changed with its
//! segment CRC re-sealed (crc32c, seed 0xffffffff as frames_v2.cc, so both
//! sides verify), the clock shifted (the offset estimated from the
//! handshakes). Expected values come from the packets and the damage done,
//! never from the report itself.

mod support;

use cephshark::analysis::diff::{FindingKind, Report, Side, DEFAULT_HELD_BYTES};
use cephshark::analysis::{dissect, Config, Record};
use cephshark::capture::{parse_tcp, Timestamp};
use cephshark::cli::diff::compare_captures;
use cephshark::msgr2::crc::segment_crc;
use cephshark::msgr2::{CheckKind, Tag};
use cephshark::tcp::Direction;
use support::capture_conv::{read_all, OwnedPacket};
use support::flip::{capture, write, Placement};

fn rows(pcap: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(pcap, Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

fn diff(a: &[u8], b: &[u8]) -> Report {
    compare_captures(a, b, &Config::default(), DEFAULT_HELD_BYTES).unwrap_or_else(|e| panic!("{e}"))
}

fn ends(r: &Record) -> (String, String) {
    (r.src.to_string(), r.dst.to_string())
}

/// A MESSAGE frame with a data segment (segment 3) of at least 64 bytes.
fn message_with_data(recs: &[Record]) -> &Record {
    recs.iter()
        .find(|r| {
            r.frame()
                .is_some_and(|f| f.tag() == Tag::Message && f.segment_lens()[3] >= 64)
        })
        .unwrap_or_else(|| panic!("no MESSAGE with data"))
}

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

/// A file in a directory of this test run.
fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cephshark-diff-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_command_exits_like_verify_and_writes_json() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let at = m.frame().unwrap().segment_offsets[3] + 17;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 5);
    let pa = temp("a.pcap", &a);
    let pb = temp("b.pcap", &write(&pkts));
    let (code, text) = run(&[pa.as_os_str(), pa.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("differences: 0"), "{text}");
    let (code, text) = run(&[pa.as_os_str(), pb.as_os_str()]);
    assert_eq!(code, Some(1));
    let head = format!(
        "conn {src} -> {dst} c2s offset {} MESSAGE: corrupted in transit: A verifies, B does not",
        m.range().0
    );
    assert!(text.starts_with(&head), "{text}");
    assert!(
        text.contains(&format!("first difference at stream offset {at} ")),
        "{text}"
    );
    // -T jsonl: one object per finding, then the summary.
    let (code, text) = run(&[
        "-T".as_ref(),
        "jsonl".as_ref(),
        pa.as_os_str(),
        pb.as_os_str(),
    ]);
    assert_eq!(code, Some(1));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "differs");
    assert_eq!(lines[0]["first"]["stream_offset"], at);
    assert_eq!(lines[0]["a"]["verifies"], "yes");
    assert_eq!(lines[0]["b"]["verifies"], "no");
    assert_eq!(lines[1]["summary"]["differences"], 1);
    let (code, text) = run(&[
        "-T".as_ref(),
        "json".as_ref(),
        pa.as_os_str(),
        pb.as_os_str(),
    ]);
    assert_eq!(code, Some(1));
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(all["findings"][0], lines[0]);
    // A capture that cannot be read: 2.
    let missing = pa.with_file_name("missing.pcap");
    let junk = temp("junk.pcap", b"not a capture at all");
    assert_eq!(run(&[pa.as_os_str(), missing.as_os_str()]).0, Some(2));
    assert_eq!(run(&[junk.as_os_str(), pa.as_os_str()]).0, Some(2));
    // Captures of other traffic: nothing to compare, 2.
    let other = temp("other.pcap", &capture("cephx-crc.pcap"));
    let (code, text) = run(&[pa.as_os_str(), other.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(
        text.contains("connections in both: 0; in A only: 33; in B only: 30"),
        "{text}"
    );
}

#[test]
fn secure_frames_compare_decrypted_and_a_bad_tag_is_corrupted_in_transit() {
    let a = capture("cephx-secure.pcap");
    let text = String::from_utf8(capture("cephx-secure.keys")).unwrap();
    let cfg = Config {
        keys: Some(std::sync::Arc::new(
            cephshark::msgr2::keys::KeyLog::parse(&text).unwrap(),
        )),
        ..Config::default()
    };
    let mut recs = Vec::new();
    dissect(&a[..], cfg.clone(), &mut |r| recs.push(r)).unwrap();
    let m = recs
        .iter()
        .find(|r| {
            r.frame().is_some_and(|f| {
                f.decrypted && f.tag() == Tag::Message && f.segment_lens()[1] >= 64
            })
        })
        .unwrap_or_else(|| panic!("a decrypted MESSAGE"));
    let f = m.frame().unwrap();
    // A byte of segment 1 (the front) on the wire: its ciphertext.
    let at = f.segment_offsets[1] + 9;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    assert!(Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 2) >= 1);
    let r = compare_captures(&a[..], &write(&pkts)[..], &cfg, DEFAULT_HELD_BYTES).unwrap();
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.verdict(), "corrupted in transit: A verifies, B does not");
    assert_eq!(d.b.as_ref().unwrap().status, "gcm_tag_bad");
    // AES-GCM is a stream cipher: the flipped ciphertext bit flips the
    // same plaintext bit, at the same place.
    let first = d.first.unwrap();
    assert_eq!(first.stream_offset, at);
    assert_eq!(first.a.zip(first.b).map(|(x, y)| x ^ y), Some(1 << 2));
    // Without keys the secure frames are [ENCRYPTED] stretches with no
    // bytes to compare: counted, not compared.
    let r = diff(&a, &write(&pkts));
    assert!(r.findings.is_empty());
    let encrypted = recs
        .iter()
        .filter(|r| r.tag_name() == "[ENCRYPTED]")
        .count();
    assert_eq!(encrypted, 0, "with keys nothing stays encrypted");
    let mut plain = 0;
    dissect(&a[..], Config::default(), &mut |r| {
        plain += u64::from(r.tag_name() == "[ENCRYPTED]")
    })
    .unwrap();
    assert!(plain > 0);
    assert_eq!(r.summary.encrypted, [plain, plain]);
}

#[test]
fn msgr1_items_compare_on_their_wire_bytes() {
    let a = capture("lab-v1.pcap");
    let recs = rows(&a);
    let m = recs
        .iter()
        .find(|r| {
            r.msgr1()
                .and_then(|i| i.msg())
                .is_some_and(|m| m.front.len() >= 64)
        })
        .unwrap_or_else(|| panic!("a msgr1 MSG"));
    let it = m.msgr1().unwrap();
    let front = it.msg().unwrap().front.clone();
    let at = it.offset + front.start as u64 + 30;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    assert!(Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 1) >= 1);
    let r = diff(&a, &write(&pkts));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.verdict(), "corrupted in transit: A verifies, B does not");
    assert_eq!(d.first.map(|f| f.stream_offset), Some(at));
    assert_eq!(d.b.as_ref().unwrap().tag, "MSG");
}

/// netem's `corrupt` damages a packet under its TCP checksum: the receiver
/// drops it and the sender repeats it, so the capture after the damage
/// holds the damaged copy and then the good one. The first copy is the
/// one kept: B's frame fails its CRC, and the later copy is noted.
#[test]
fn a_damaged_copy_repaired_by_a_retransmission_is_noted() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let at = m.frame().unwrap().segment_offsets[3] + 17;
    let pkts = read_all(&a);
    let (src, dst) = ends(m);
    let mut damaged = pkts.clone();
    assert_eq!(
        Placement::new(&damaged).flip(&mut damaged, (&src, &dst), at, 3),
        1
    );
    // The packet that changed, its damaged copy put before the original.
    let i = (0..pkts.len()).find(|&i| pkts[i] != damaged[i]).unwrap();
    let mut b = pkts.clone();
    b.insert(i, damaged[i].clone());
    let r = diff(&a, &write(&b));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let d = &r.findings[0];
    assert_eq!(d.verdict(), "corrupted in transit: A verifies, B does not");
    assert_eq!(d.first.map(|f| f.stream_offset), Some(at));
    assert!(d.retransmitted);
    // Without the later copy there is nothing to note.
    let r = diff(&a, &write(&damaged));
    assert!(!r.findings[0].retransmitted);
}

/// Past the cap on waiting bytes only digests are kept: the difference is
/// still found, its first byte is not.
#[test]
fn past_the_memory_cap_a_difference_is_found_by_its_digest() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let at = m.frame().unwrap().segment_offsets[3] + 17;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 5);
    let r = compare_captures(&a[..], &write(&pkts)[..], &Config::default(), 0).unwrap();
    assert_eq!(r.findings.len(), 1);
    let d = &r.findings[0];
    assert_eq!(d.verdict(), "corrupted in transit: A verifies, B does not");
    assert_eq!(d.a.as_ref().map(|s| s.row), Some(m.number));
    assert_eq!(d.first, None);
    assert!(r.summary.shed > 0);
    assert_eq!(r.summary.identical + 1, r.summary.matched);
}

/// B's copy of the traffic with every client moved to another address
/// (as NAT between the points would): its connections are paired with
/// A's by their session cookies, and compared.
#[test]
fn connections_renamed_between_the_points_are_paired_by_cookies() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let clients: std::collections::HashSet<std::net::SocketAddr> = recs
        .iter()
        .filter(|r| r.dir == Direction::ClientToServer)
        .map(|r| r.src)
        .collect();
    let m = message_with_data(&recs);
    let at = m.frame().unwrap().segment_offsets[3] + 17;
    let mut pkts = read_all(&a);
    let (src, dst) = ends(m);
    Placement::new(&pkts).flip(&mut pkts, (&src, &dst), at, 5);
    // Ethernet, IPv4: addresses at 26..30 (source) and 30..34; TCP ports
    // first in the TCP header. A client's address becomes 10.9.9.9.
    for p in &mut pkts {
        let t = parse_tcp(p.link, &p.data).ok().flatten().unwrap();
        let (s, d) = (t.src, t.dst);
        assert_eq!(&p.data[12..14], &[0x08, 0x00]);
        for (end, at) in [(s, 26), (d, 30)] {
            if clients.contains(&end) {
                p.data[at..at + 4].copy_from_slice(&[10, 9, 9, 9]);
            }
        }
    }
    let r = diff(&a, &write(&pkts));
    // The connections that reached CLIENT_IDENT and SERVER_IDENT.
    let idents: std::collections::HashSet<_> = recs
        .iter()
        .filter(|r| r.tag_name() == "CLIENT_IDENT")
        .map(|r| r.conn)
        .collect();
    assert!(idents.len() > 20);
    assert_eq!(r.summary.renamed.len(), idents.len());
    for (ka, kb) in &r.summary.renamed {
        assert_eq!((ka.server, ka.client.port()), (kb.server, kb.client.port()));
        assert_eq!(kb.client.ip().to_string(), "10.9.9.9");
    }
    // Every connection's client; those that never sent a row were not
    // moved, those moved without idents stay apart.
    let conns: std::collections::HashMap<_, _> = recs
        .iter()
        .map(|r| {
            (
                r.conn,
                if r.dir == Direction::ClientToServer {
                    r.src
                } else {
                    r.dst
                },
            )
        })
        .collect();
    let unmoved = conns.values().filter(|c| !clients.contains(c)).count();
    let apart = conns
        .iter()
        .filter(|(id, c)| clients.contains(c) && !idents.contains(id))
        .count();
    assert_eq!(r.summary.conns_both, idents.len() + unmoved);
    assert_eq!(
        r.summary.conns_only.each_ref().map(Vec::len),
        [apart, apart]
    );
    // The flipped bit, found in a renamed connection.
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    assert_eq!(
        r.findings[0].verdict(),
        "corrupted in transit: A verifies, B does not"
    );
    assert_eq!(r.findings[0].first.map(|f| f.stream_offset), Some(at));
    assert_eq!(r.summary.matched, r.summary.identical + 1);
}

/// B's capture stopped halfway: A's later rows are not findings, they
/// came after B's last.
#[test]
fn rows_after_the_other_capture_ended_are_not_differences() {
    let a = capture("none-crc.pcap");
    let pkts = read_all(&a);
    let b = write(&pkts[..500]);
    let r = diff(&a, &b);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let s = &r.summary;
    let only: std::collections::HashSet<_> = s.conns_only[0]
        .iter()
        .map(|k| (k.client, k.server))
        .collect();
    let recs = rows(&a);
    let in_only = recs
        .iter()
        .filter(|r| r.frame().is_some() || r.tag_name() == "BANNER")
        .filter(|r| {
            let k = if r.dir == Direction::ClientToServer {
                (r.src, r.dst)
            } else {
                (r.dst, r.src)
            };
            only.contains(&k)
        })
        .count() as u64;
    assert!(s.past_end[0] > 0);
    assert_eq!(s.past_end[0] + s.matched + in_only, s.units[0]);
    assert_eq!(s.past_end[1], 0);
}
