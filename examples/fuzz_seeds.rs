//! Writes the fuzz targets' seed corpora (`fuzz/corpus/<target>/`) from the
//! real captures, key files and filter tests, so that every seed can be
//! traced to the bytes it was cut from. Run by `scripts/fuzz-seeds.sh`:
//!
//! ```text
//! cargo run --example fuzz_seeds -- <repository root>
//! ```
//!
//! Output is deterministic: the same captures give the same files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cephshark::capture::{parse_tcp, CaptureReader, PcapOptions, PcapWriter, Timestamp};
use cephshark::decode::Header2;
use cephshark::fuzzing::secure::{frame_record, FLIP, LOSE};
use cephshark::fuzzing::segments::{Seg, FLOWS};
use cephshark::fuzzing::Payload;
use cephshark::msgr2::compress::{self, Method};
use cephshark::msgr2::{banner, ConnDecoder, DecoderConfig, Event, Frame, Tag};
use cephshark::tcp::Direction;

/// Largest seed (bytes).
const MAX_SEED: usize = 6 << 10;
/// Most seeds per target.
const MAX_SEEDS: usize = 48;

/// One packet of a capture: time, wire length, bytes.
struct Pkt {
    ts: Timestamp,
    origlen: u32,
    link: cephshark::capture::LinkType,
    data: Vec<u8>,
}

fn read(path: &Path) -> Result<Vec<Pkt>> {
    let bytes = fs::read(path).with_context(|| path.display().to_string())?;
    let mut r = CaptureReader::new(&bytes[..])?;
    let mut out = Vec::new();
    while let Some(p) = r.next_packet()? {
        out.push(Pkt {
            ts: p.ts,
            origlen: p.origlen,
            link: p.link,
            data: p.data.to_vec(),
        });
    }
    Ok(out)
}

/// A TCP connection of a capture: its packets' indexes, in capture order.
struct Conn {
    client: SocketAddr,
    packets: Vec<usize>,
}

fn connections(pkts: &[Pkt]) -> Vec<Conn> {
    let mut conns: Vec<Conn> = Vec::new();
    let mut by_key: BTreeMap<(SocketAddr, SocketAddr), usize> = BTreeMap::new();
    for (i, p) in pkts.iter().enumerate() {
        let Ok(Some(t)) = parse_tcp(p.link, &p.data) else {
            continue;
        };
        let key = if t.src < t.dst {
            (t.src, t.dst)
        } else {
            (t.dst, t.src)
        };
        let n = *by_key.entry(key).or_insert_with(|| {
            conns.push(Conn {
                client: t.src,
                packets: Vec::new(),
            });
            conns.len() - 1
        });
        conns[n].packets.push(i);
    }
    conns
}

/// Each direction's bytes (client first), in sequence order from the SYN.
fn streams(pkts: &[Pkt], c: &Conn) -> [Vec<u8>; 2] {
    let mut isn: [Option<u32>; 2] = [None, None];
    let mut parts: [BTreeMap<u32, Vec<u8>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for &i in &c.packets {
        let Ok(Some(t)) = parse_tcp(pkts[i].link, &pkts[i].data) else {
            continue;
        };
        let d = usize::from(t.src != c.client);
        if t.flags.syn {
            isn[d] = Some(t.seq.wrapping_add(1));
        } else if let (Some(base), false) = (isn[d], t.payload.is_empty()) {
            parts[d]
                .entry(t.seq.wrapping_sub(base))
                .or_insert_with(|| t.payload.to_vec());
        }
    }
    parts.map(|m| {
        let mut s = Vec::new();
        for (off, p) in m {
            let off = off as usize;
            if off <= s.len() && off + p.len() > s.len() {
                s.extend_from_slice(&p[s.len() - off..]);
            }
        }
        s
    })
}

/// The frames of a connection's two streams: (direction, frame, its wire bytes).
fn frames(s: &[Vec<u8>; 2]) -> Vec<(Direction, Frame, Vec<u8>)> {
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    let mut out = Vec::new();
    d.feed(Direction::ServerToClient, 0, &s[1], &mut out);
    d.feed(Direction::ClientToServer, 0, &s[0], &mut out);
    d.finish(&mut out);
    out.into_iter()
        .filter_map(|(dir, e)| match e {
            Event::Frame(f) => {
                let st = &s[dir.index()];
                let start = usize::try_from(f.offset).ok()?;
                let end = start + usize::try_from(f.wire_len).ok()?;
                Some((dir, *f.clone(), st.get(start..end)?.to_vec()))
            }
            _ => None,
        })
        .collect()
}

/// The first packets of `pkts` (indexes) as a pcap, up to `MAX_SEED` bytes.
fn pcap(pkts: &[Pkt], idx: &[usize]) -> Result<Vec<u8>> {
    let link = idx
        .first()
        .map_or(cephshark::capture::LinkType::ETHERNET, |&i| pkts[i].link);
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(link))?;
    for &i in idx {
        let p = &pkts[i];
        if w.get_ref().len() + p.data.len() + 16 > MAX_SEED {
            break;
        }
        w.write_packet(p.ts, p.origlen, &p.data)?;
    }
    Ok(w.into_inner()?)
}

/// A connection's segments as records (flow `flow`), offsets from each side's ISN.
fn records(pkts: &[Pkt], c: &Conn, flow: u8) -> Vec<Vec<u8>> {
    let mut isn: [Option<u32>; 2] = [None, None];
    let mut out = Vec::new();
    for &i in &c.packets {
        let Ok(Some(t)) = parse_tcp(pkts[i].link, &pkts[i].data) else {
            continue;
        };
        let d = usize::from(t.src != c.client);
        if t.flags.syn {
            isn[d] = Some(t.seq);
        }
        let base = |d: usize| isn[d].unwrap_or(0);
        let seg = Seg {
            flow,
            from_server: d == 1,
            syn: t.flags.syn,
            ack_flag: t.flags.ack,
            fin: t.flags.fin,
            rst: t.flags.rst,
            snapped: false,
            seq: t.seq.wrapping_sub(base(d)),
            ack: t.ack.wrapping_sub(base(1 - d)),
            payload: t.payload,
        };
        out.push(seg.to_bytes());
    }
    out
}

/// Records joined while they fit in a seed.
fn join(recs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for r in recs {
        if v.len() + r.len() > MAX_SEED {
            break;
        }
        v.extend_from_slice(r);
    }
    v
}

struct Corpus {
    root: PathBuf,
    seeds: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
}

impl Corpus {
    fn add(&mut self, target: &'static str, name: String, bytes: Vec<u8>) {
        let set = self.seeds.entry(target).or_default();
        let dup = set.values().any(|b| *b == bytes);
        if !bytes.is_empty() && bytes.len() <= MAX_SEED && set.len() < MAX_SEEDS && !dup {
            set.insert(name, bytes);
        }
    }

    fn write(&self) -> Result<()> {
        for (target, set) in &self.seeds {
            let dir = self.root.join("fuzz/corpus").join(target);
            if dir.exists() {
                fs::remove_dir_all(&dir)?;
            }
            fs::create_dir_all(&dir)?;
            for (name, bytes) in set {
                fs::write(dir.join(name), bytes)?;
            }
            println!("{target}: {} seeds", set.len());
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let cap = |n: &str| root.join("captures").join(n);
    let mut c = Corpus {
        root: root.clone(),
        seeds: BTreeMap::new(),
    };
    let mut seen_payloads = BTreeSet::new();
    for name in [
        "none-crc.pcap",
        "cephx-crc.pcap",
        "cephx-secure.pcap",
        "keylog-rados.pcap",
    ] {
        let pkts = read(&cap(name))?;
        let conns = connections(&pkts);
        let stem = name.trim_end_matches(".pcap");
        // capture: the start of the file and of a few connections.
        let all: Vec<usize> = (0..pkts.len()).collect();
        c.add("capture", format!("{stem}-head"), pcap(&pkts, &all)?);
        for (n, conn) in conns.iter().enumerate().step_by(9).take(3) {
            c.add(
                "capture",
                format!("{stem}-conn{n}"),
                pcap(&pkts, &conn.packets)?,
            );
        }
        // packets: single packets as pcaps, and connections as segment records.
        for i in [0usize, 3, 5] {
            if i < pkts.len() {
                c.add(
                    "packets",
                    format!("{stem}-packet{}", i + 1),
                    pcap(&pkts, &[i])?,
                );
            }
        }
        for (n, conn) in conns.iter().enumerate().step_by(11).take(2) {
            let recs = records(&pkts, conn, 0);
            c.add("packets", format!("{stem}-conn{n}-segments"), join(&recs));
            // Reordered: each pair of data segments swapped.
            let mut swapped = recs.clone();
            for pair in swapped.chunks_mut(2).skip(2) {
                pair.reverse();
            }
            c.add(
                "packets",
                format!("{stem}-conn{n}-reordered"),
                join(&swapped),
            );
            // Duplicated: every third segment sent twice.
            let dup: Vec<Vec<u8>> = recs
                .iter()
                .enumerate()
                .flat_map(|(i, r)| std::iter::repeat_n(r.clone(), 1 + usize::from(i % 3 == 2)))
                .collect();
            c.add("packets", format!("{stem}-conn{n}-duplicated"), join(&dup));
            // Data before SYN: the client's first data segment moved to the front.
            let mut late = recs.clone();
            if let Some(p) = late.iter().position(|r| r.len() > 11 && r[0] & 4 == 0) {
                let r = late.remove(p);
                late.insert(0, r);
            }
            c.add(
                "packets",
                format!("{stem}-conn{n}-data-before-syn"),
                join(&late),
            );
        }
        if conns.len() >= usize::from(FLOWS) {
            // Two connections interleaved, as flows 1 and 3.
            let a = records(&pkts, &conns[1], 1);
            let b = records(&pkts, &conns[2], 3);
            let mixed: Vec<Vec<u8>> = a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect();
            c.add("packets", format!("{stem}-two-flows"), join(&mixed));
        }
        if name.contains("secure") || name.contains("keylog") {
            continue;
        }
        // frames, secure, payloads: from the crc captures' frames.
        for (n, conn) in conns.iter().enumerate() {
            let s = streams(&pkts, conn);
            let fs = frames(&s);
            let after_banner = banner::encode(banner::FEATURE_REVISION_1, 0).len();
            for (dir, f, wire) in &fs {
                let mut one = vec![0xf0u8];
                one.extend_from_slice(wire);
                let tag = f.tag();
                let mut tagname = tag.to_string().to_lowercase();
                if let Some(h) = f
                    .segment(0)
                    .and_then(Header2::parse)
                    .filter(|_| tag == Tag::Message)
                {
                    tagname = format!("msg-{}", h.msg_type);
                }
                c.add("frames", format!("{stem}-{tagname}-{}", dir.short()), one);
                let segs: Vec<&[u8]> = (0..f.preamble.nseg())
                    .filter_map(|i| f.segment(i))
                    .collect();
                // decompress: a message's front in each method's format.
                if let (Tag::Message, Some(front)) = (tag, segs.get(1)) {
                    for m in [Method::Snappy, Method::Zlib, Method::Zstd, Method::Lz4] {
                        if let Some(z) = compress::compress(m, front) {
                            let mut seed = vec![u8::try_from(m.raw()).unwrap_or(0)];
                            seed.extend(z);
                            c.add(
                                "decompress",
                                format!("{stem}-{tagname}-{}-{m}", dir.short()),
                                seed,
                            );
                        }
                    }
                }
                let mut rec = vec![1u8];
                rec.extend(frame_record(
                    tag.raw(),
                    f.preamble.raw[cephshark::msgr2::preamble::FLAGS],
                    &segs,
                ));
                c.add("secure", format!("{stem}-{tagname}-{}", dir.short()), rec);
                let payload = match tag {
                    Tag::Message => {
                        let h = segs.first().and_then(|h| Header2::parse(h));
                        h.map(|h| Payload::Message {
                            msg_type: h.msg_type,
                            version: h.version,
                            parts: [1, 2, 3].map(|i| segs.get(i).copied().unwrap_or(&[])),
                        })
                    }
                    _ => segs.first().map(|p| Payload::Control {
                        tag: tag.raw(),
                        payload: p,
                    }),
                };
                let key = match payload {
                    Some(Payload::Message { msg_type, .. }) => format!("msg-{msg_type}"),
                    _ => format!("tag-{tagname}"),
                };
                if let Some(p) = payload.filter(|_| seen_payloads.insert(key.clone())) {
                    c.add("payloads", key.clone(), p.to_bytes());
                }
                if tag == Tag::Message && seen_payloads.insert("header2".into()) {
                    let hdr = Payload::Control {
                        tag: 17,
                        payload: segs[0],
                    };
                    c.add("payloads", "header2".into(), hdr.to_bytes());
                }
            }
            if n % 4 == 0 && n < 16 {
                // A direction's stream after the banner, in 64-byte pieces.
                let mut run = vec![64u8];
                run.extend_from_slice(s[0].get(after_banner..).unwrap_or(&[]));
                run.truncate(MAX_SEED);
                c.add("frames", format!("{stem}-conn{n}-c2s-run"), run);
                // The same frames sealed in msgr2.0 and msgr2.1, fed in
                // pieces, one with a flipped byte and one with a loss.
                let mut seq = Vec::new();
                for (_, f, _) in fs
                    .iter()
                    .filter(|x| x.0 == Direction::ClientToServer)
                    .take(6)
                {
                    let segs: Vec<&[u8]> = (0..f.preamble.nseg())
                        .filter_map(|i| f.segment(i))
                        .collect();
                    seq.extend(frame_record(f.tag().raw(), 0, &segs));
                }
                seq.truncate(MAX_SEED - 8);
                for (h, what) in [(1u8, "v1"), (0, "v0"), (2 * 33 + 1, "v1-pieces")] {
                    let mut v = vec![h];
                    v.extend_from_slice(&seq);
                    c.add("secure", format!("{stem}-conn{n}-{what}"), v);
                }
                let mut v = vec![1u8];
                v.extend_from_slice(&seq);
                v.extend_from_slice(&[FLIP, 40, 0, 0x10]);
                c.add("secure", format!("{stem}-conn{n}-flip"), v.clone());
                v.truncate(v.len() - 4);
                v.extend_from_slice(&[LOSE, 20]);
                c.add("secure", format!("{stem}-conn{n}-lose"), v);
            }
        }
    }
    // msgr1: a v1 session's client items after the handshake (MSG, ACK,
    // KEEPALIVE2, CLOSE), as the target feeds them after its own
    // handshake; the first byte is the piece size.
    {
        use cephshark::msgr1::{Body, Event1, Msgr1Decoder};
        let pkts = read(&cap("lab-v1.pcap"))?;
        for (n, conn) in connections(&pkts).iter().enumerate().step_by(4).take(7) {
            let s = streams(&pkts, conn);
            let mut d = Msgr1Decoder::new(1 << 20);
            let mut out = Vec::new();
            d.feed(Direction::ServerToClient, 0, &s[1], &mut out);
            d.feed(Direction::ClientToServer, 0, &s[0], &mut out);
            d.finish(&mut out);
            let mut items = Vec::new();
            for (dir, e) in &out {
                if let (Direction::ClientToServer, Event1::Item(it)) = (dir, e) {
                    let after = matches!(
                        it.body,
                        Body::Msg(_)
                            | Body::Ack(_)
                            | Body::Keepalive
                            | Body::Keepalive2 { .. }
                            | Body::Close
                    );
                    if after && items.len() + it.data.len() <= MAX_SEED {
                        items.extend_from_slice(&it.data);
                    }
                }
            }
            if items.is_empty() {
                continue;
            }
            for (chunk, what) in [(0xf0u8, "whole"), (7, "pieces")] {
                let mut v = vec![chunk];
                v.extend_from_slice(&items);
                c.add("msgr1", format!("lab-v1-conn{n}-c2s-{what}"), v);
            }
        }
    }
    // filter: every expression in the filter tests.
    let tests = fs::read_to_string(root.join("tests/filter.rs"))?;
    let lit = regex::Regex::new(r#"(?m)^\s+"((?:[^"\\]|\\.)*)",\s*$"#)?;
    for (i, m) in lit.captures_iter(&tests).enumerate() {
        let expr = m[1].replace("\\\"", "\"").replace("\\\\", "\\");
        c.add("filter", format!("tests-filter-{i:02}"), expr.into_bytes());
    }
    // keys: the real key files, their lines, and the other forms the format allows.
    for name in [
        "cephx-secure.keys",
        "keylog-rados.keys",
        "cephx-crc.keyring",
    ] {
        let text = fs::read(cap(name))?;
        c.add("keys", name.into(), text.clone());
        if let Some(line) = text.split(|&b| b == b'\n').nth(1) {
            c.add("keys", format!("{name}-line"), line.to_vec());
        }
    }
    let secret = format!(
        "127.0.0.1:50000 127.0.0.1:3300 CONNECTION_SECRET {}\n",
        "a5".repeat(64)
    );
    c.add("keys", "connection-secret".into(), secret.into_bytes());
    let v6 = "[::1]:50000 [::1]:3300 5e32efc95d7dd7fb44fc4fb6b3435333 c9a95573192803b6d6d2aaf0\n";
    c.add("keys", "ipv6-endpoints".into(), v6.as_bytes().to_vec());
    c.write()
}
