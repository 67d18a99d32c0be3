//! `diff`, continued: the command's exit codes and JSON, secure frames
//! compared decrypted, msgr1 items, a damaged copy repaired by a
//! retransmission, the memory cap, connections renamed between the points
//! (NAT) and captures of different lengths. Expected values come from the
//! packets and the damage done, never from the report itself.

mod support;

use cephshark::analysis::diff::DEFAULT_HELD_BYTES;
use cephshark::analysis::{dissect, Config};
use cephshark::capture::parse_tcp;
use cephshark::cli::diff::compare_captures;
use cephshark::msgr2::Tag;
use cephshark::tcp::Direction;
use support::capture_conv::read_all;
use support::diff_common::*;
use support::flip::{capture, write, Placement};

#[test]
fn the_command_exits_like_verify_and_writes_json() {
    let a = capture("none-crc.pcap");
    let recs = rows(&a);
    let m = message_with_data(&recs);
    let (src, dst) = ends(m);
    let (b, at) = flip_data_bit(&a);
    let pa = temp("a.pcap", &a);
    let pb = temp("b.pcap", &b);
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
    let (b, _) = flip_data_bit(&a);
    let r = compare_captures(&a[..], &b[..], &Config::default(), 0).unwrap();
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
