//! Message bodies against Ceph's own logs: every decoded message in the
//! three real captures is matched to the `debug_ms=1` log line of the
//! process that received it (and, for osd_op, of the client that sent it),
//! and its decoded fields and summary must say what Ceph printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;

use ceph_logs::LogMsg;
use cephshark::analysis::{dissect, Config, Record};
use cephshark::decode::messages::{summary, summary_with, tree, MsgContext};
use cephshark::decode::MsgType;
use cephshark::model::{FieldNode, Source, Value};
use cephshark::tcp::{ConnId, Direction};
use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn records(name: &str) -> Vec<Record> {
    let mut cfg = Config::default();
    if let Ok(text) = std::fs::read_to_string(dir().join(format!("{name}.keys"))) {
        cfg.keys = Some(Arc::new(
            cephshark::msgr2::keys::KeyLog::parse(&text).unwrap(),
        ));
    }
    let f = std::fs::File::open(dir().join(format!("{name}.pcap"))).unwrap();
    let mut recs = Vec::new();
    dissect(std::io::BufReader::new(f), cfg, &mut |r| recs.push(r)).unwrap();
    recs
}

fn seg(r: &Record, i: usize) -> &[u8] {
    r.frame().and_then(|f| f.segment(i)).unwrap_or(&[])
}

/// The body nodes of a message record, decoded from its segments.
fn body(r: &Record) -> Vec<FieldNode> {
    let h = r.msg.unwrap();
    let f = r.frame().unwrap();
    let parts = [1, 2, 3].map(|i| (seg(r, i), f.segments[i].start));
    tree(MsgType(h.msg_type), h.version, parts, Source::Wire)
}

fn ctx(r: &Record) -> MsgContext {
    MsgContext {
        tid: r.msg.map(|h| h.tid),
        source: None,
    }
}

fn text_of(r: &Record, c: &MsgContext) -> Option<String> {
    let h = r.msg.unwrap();
    summary_with(
        c,
        MsgType(h.msg_type),
        h.version,
        seg(r, 1),
        seg(r, 2),
        seg(r, 3),
    )
}

/// Every line of every log of a capture, per file name.
fn log_lines(name: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir().join(format!("{name}.logs"))).unwrap() {
        let path = e.unwrap().path();
        let mut s = String::new();
        GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        out.insert(file, s.lines().map(String::from).collect());
    }
    out
}

/// A received message matched to its log line: the record's index, the
/// line, the receiver's log file and connection pointer, the peer's name.
struct Matched {
    rec: usize,
    log: LogMsg,
    file: String,
    con: String,
    peer: String,
}

/// Match each captured direction to the log group (one connection of one
/// process) that received the same messages (seq, type, sizes), closest
/// in time; a log that starts late or stops early matches a suffix or
/// prefix. Returns one entry per captured message found in the logs.
fn matched(name: &str, recs: &[Record]) -> Vec<Matched> {
    let groups: Vec<_> = ceph_logs::received(&dir().join(format!("{name}.logs")))
        .into_iter()
        .collect();
    let mut peers = BTreeMap::new();
    for (file, lines) in log_lines(name) {
        for l in &lines {
            if let Some((m, con)) = ceph_logs::parse_recv(l) {
                let peer = l
                    .split(" <== ")
                    .nth(1)
                    .and_then(|s| s.split(' ').next())
                    .unwrap()
                    .to_string();
                peers.insert((file.clone(), con, m.seq, m.text), peer);
            }
        }
    }
    let mut by_dir: BTreeMap<(ConnId, Direction), Vec<usize>> = BTreeMap::new();
    for (i, r) in recs.iter().enumerate() {
        if r.msg.is_some() {
            by_dir.entry((r.conn, r.dir)).or_default().push(i);
        }
    }
    let key = |m: &LogMsg| (m.seq, ceph_logs::type_number(&m.name), m.sizes);
    let cap = |i: &usize| {
        let (h, l) = (recs[*i].msg.unwrap(), recs[*i].segment_lens());
        (h.seq, Some(h.msg_type), (l[1], l[2], l[3]))
    };
    let mut used = vec![false; groups.len()];
    let mut out = Vec::new();
    let mut dirs: Vec<_> = by_dir.into_values().collect();
    dirs.sort_by(|a, b| recs[a[0]].ts.as_f64().total_cmp(&recs[b[0]].ts.as_f64()));
    for idxs in dirs {
        let got: Vec<_> = idxs.iter().map(cap).collect();
        let t0 = recs[idxs[0]].ts.as_f64();
        let dist = |msgs: &[LogMsg]| {
            msgs.iter()
                .map(|m| (m.time - t0).abs())
                .fold(f64::MAX, f64::min)
        };
        let best = groups
            .iter()
            .enumerate()
            .filter(|(i, (_, msgs))| {
                let want: Vec<_> = msgs.iter().map(key).collect();
                !used[*i]
                    && !want.is_empty()
                    && (want.ends_with(&got) || got.starts_with(&want))
                    && dist(msgs) < 0.5
            })
            .min_by(|a, b| dist(&a.1 .1).total_cmp(&dist(&b.1 .1)));
        let Some((gi, ((file, con, _), msgs))) = best else {
            continue;
        };
        used[gi] = true;
        for i in &idxs {
            let seq = recs[*i].msg.unwrap().seq;
            if let Some(m) = msgs.iter().find(|m| m.seq == seq) {
                let peer = peers
                    .get(&(file.clone(), con.clone(), m.seq, m.text.clone()))
                    .cloned()
                    .unwrap_or_default();
                out.push(Matched {
                    rec: *i,
                    log: m.clone(),
                    file: file.clone(),
                    con: con.clone(),
                    peer,
                });
            }
        }
    }
    out
}

/// The log text without the trailing ` v<header version>`.
fn log_text(m: &Matched, r: &Record) -> String {
    let v = format!(" v{}", r.msg.unwrap().version);
    m.log
        .text
        .strip_suffix(&v)
        .unwrap_or_else(|| panic!("{}: no {v}", m.log.text))
        .to_string()
}

fn find<'a>(nodes: &'a [FieldNode], abbrev: &str) -> Vec<&'a FieldNode> {
    nodes
        .iter()
        .flat_map(FieldNode::walk)
        .filter(|n| n.def.abbrev == abbrev)
        .collect()
}

fn one(nodes: &[FieldNode], abbrev: &str) -> String {
    let v = find(nodes, abbrev);
    assert_eq!(v.len(), 1, "{abbrev}");
    v[0].value_text()
}

/// Ops of a log text `... [a 0~1 out=1b,b] ...` as (name, extent).
fn log_ops(text: &str) -> Vec<(String, Option<String>)> {
    let inner = &text[text.find('[').unwrap() + 1..text.find(']').unwrap()];
    inner
        .split(',')
        .map(|op| {
            let mut w = op.split(' ');
            let name = w.next().unwrap().to_string();
            (name, w.find(|x| x.contains('~')).map(String::from))
        })
        .collect()
}

/// Ops of decoded fields (`<prefix>.op` groups) as (name, extent).
fn field_ops(nodes: &[FieldNode], prefix: &str) -> Vec<(String, Option<String>)> {
    find(nodes, &format!("{prefix}.op"))
        .into_iter()
        .map(|op| {
            let code = op.find(&format!("{prefix}.op.code")).unwrap();
            let Value::Enum(_, Some(name)) = code.value else {
                panic!("unnamed op {:?}", code.value)
            };
            let off = op
                .find(&format!("{prefix}.op.offset"))
                .map(|n| n.value_text());
            let len = op
                .find(&format!("{prefix}.op.length"))
                .map(|n| n.value_text());
            (
                name.to_string(),
                off.zip(len).map(|(o, l)| format!("{o}~{l}")),
            )
        })
        .collect()
}

/// The osd_op lines a client logged when sending (`-->`), per (file, con).
fn sent_osd_ops(name: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for (file, lines) in log_lines(name) {
        for l in lines {
            let Some((_, rest)) = l.split_once(" --> ") else {
                continue;
            };
            let Some((_, rest)) = rest.split_once(" -- ") else {
                continue;
            };
            let Some((text, tail)) = rest.rsplit_once(" -- ") else {
                continue;
            };
            if let (true, Some(con)) = (text.starts_with("osd_op("), tail.split(" con ").nth(1)) {
                out.entry((file.clone(), con.trim().to_string()))
                    .or_default()
                    .push(text.to_string());
            }
        }
    }
    out
}

const CAPTURES: [&str; 3] = ["none-crc", "cephx-crc", "cephx-secure"];

/// osd_op_reply: object, ops and extents in the fields, and the whole
/// summary, equal what the client logged on receipt.
#[test]
fn osd_op_replies_match_client_logs() {
    for name in CAPTURES {
        let recs = records(name);
        let all: Vec<usize> = (0..recs.len())
            .filter(|i| recs[*i].msg.is_some_and(|h| h.msg_type == 43))
            .collect();
        let m: Vec<Matched> = matched(name, &recs)
            .into_iter()
            .filter(|m| m.log.name == "osd_op_reply")
            .collect();
        assert!(!all.is_empty());
        assert_eq!(
            m.len(),
            all.len(),
            "{name}: every osd_op_reply has its log line"
        );
        for m in &m {
            let r = &recs[m.rec];
            let want = log_text(m, r);
            let nodes = body(r);
            let oid = want.split(' ').nth(1).unwrap();
            assert_eq!(one(&nodes, "ceph.osd_op_reply.oid"), oid, "{want}");
            assert_eq!(
                field_ops(&nodes, "ceph.osd_op_reply"),
                log_ops(&want),
                "{want}"
            );
            assert_eq!(text_of(r, &ctx(r)).as_deref(), Some(want.as_str()));
        }
    }
}

/// osd_op: the OSD logs a request before decoding its ops
/// (`osd_op(client.N.0:tid pgid pool.hash (undecoded) flags eE)`), so the
/// pgid, hash, flags, epoch and request id are checked against that line,
/// and the object, ops and extents against the line the client logged when
/// sending it, which Ceph prints fully decoded. The summary is that fully
/// decoded form (the capture holds the whole message); with the sender's
/// name unknown it names it `unknown.0` exactly as the sending client does.
#[test]
fn osd_ops_match_osd_and_client_logs() {
    for name in CAPTURES {
        let recs = records(name);
        let all: Vec<usize> = (0..recs.len())
            .filter(|i| recs[*i].msg.is_some_and(|h| h.msg_type == 42))
            .collect();
        let matches = matched(name, &recs);
        let sent = sent_osd_ops(name);
        let replies: BTreeMap<(ConnId, Direction), (String, String)> = matches
            .iter()
            .filter(|m| m.log.name == "osd_op_reply")
            .map(|m| {
                (
                    (recs[m.rec].conn, recs[m.rec].dir),
                    (m.file.clone(), m.con.clone()),
                )
            })
            .collect();
        let ops: Vec<&Matched> = matches.iter().filter(|m| m.log.name == "osd_op").collect();
        assert!(!all.is_empty());
        assert_eq!(
            ops.len(),
            all.len(),
            "{name}: every osd_op has its log line"
        );
        for m in ops {
            let r = &recs[m.rec];
            let h = r.msg.unwrap();
            let nodes = body(r);
            let flags: Vec<String> = find(&nodes, "ceph.osd_op.flag")
                .iter()
                .map(|n| n.value_text())
                .collect();
            let undecoded = format!(
                "osd_op({}.{}:{} {} {} (undecoded) {} e{})",
                m.peer,
                one(&nodes, "ceph.reqid.inc"),
                h.tid,
                one(&nodes, "ceph.osd_op.pgid"),
                one(&nodes, "ceph.osd_op.raw_pg"),
                flags.join("+"),
                one(&nodes, "ceph.osd_op.epoch")
            );
            assert_eq!(undecoded, log_text(m, r));
            // The same request as the client printed it when sending.
            let key = replies
                .get(&(r.conn, r.dir.reverse()))
                .unwrap_or_else(|| panic!("{name}: no reply log for {}", m.log.text));
            let tid_part = format!(".0:{} ", h.tid);
            let lines: Vec<&String> = sent[key].iter().filter(|l| l.contains(&tid_part)).collect();
            assert_eq!(lines.len(), 1, "{name}: {key:?} tid {}", h.tid);
            let want = lines[0].strip_suffix(&format!(" v{}", h.version)).unwrap();
            let object = want.split(' ').nth(2).unwrap();
            assert_eq!(one(&nodes, "ceph.osd_op.object"), object);
            assert_eq!(
                object.split(':').nth(4).unwrap(),
                one(&nodes, "ceph.osd_op.oid")
            );
            assert_eq!(field_ops(&nodes, "ceph.osd_op"), log_ops(want), "{want}");
            assert_eq!(text_of(r, &ctx(r)).as_deref(), Some(want));
            // With the sender's name known, the request id is the OSD's.
            let named = MsgContext {
                tid: Some(h.tid),
                source: Some(m.peer.clone()),
            };
            let text = text_of(r, &named).unwrap();
            assert!(
                text.starts_with(&format!("osd_op({}.0:{} ", m.peer, h.tid)),
                "{text}"
            );
        }
    }
}

/// Types whose summary is exactly Ceph's log text for every message.
const EXACT: [&str; 9] = [
    "mon_subscribe",
    "osd_map",
    "config",
    "mon_command",
    "mon_command_ack",
    "mgrmap",
    "mon_map",
    "mon_getmap",
    "osd_op_reply",
];

#[test]
fn summaries_equal_log_text() {
    let mut seen = BTreeMap::new();
    for name in CAPTURES {
        let recs = records(name);
        let matches = matched(name, &recs);
        // A process that closes a connection right after reading its last
        // frames never logs them (librados' short-lived bootstrap MonClient
        // does this), and a capture may start mid-connection: those few
        // messages have no log line to compare with.
        let logged: std::collections::BTreeSet<usize> = matches.iter().map(|m| m.rec).collect();
        let unlogged: Vec<String> = (0..recs.len())
            .filter(|i| recs[*i].msg.is_some() && !logged.contains(i))
            .map(|i| {
                format!(
                    "{} {}",
                    recs[i].number,
                    recs[i].msg_type().and_then(|t| t.log_name()).unwrap_or("?")
                )
            })
            .collect();
        assert!(unlogged.len() <= 6, "{name}: {unlogged:?}");
        for m in matches
            .iter()
            .filter(|m| EXACT.contains(&m.log.name.as_str()))
        {
            let r = &recs[m.rec];
            assert_eq!(
                text_of(r, &ctx(r)),
                Some(log_text(m, r)),
                "{name} {}",
                m.log.text
            );
            *seen.entry(m.log.name.clone()).or_insert(0) += 1;
        }
    }
    assert_eq!(seen.len(), EXACT.len(), "{seen:?}");
}

#[test]
fn real_messages_decode_without_malformed_or_trailing_bytes() {
    for name in CAPTURES {
        let recs = records(name);
        let mut n = 0;
        for r in recs.iter().filter(|r| r.msg.is_some()) {
            let nodes = body(r);
            let first = &nodes[0];
            assert!(
                first.def.abbrev != "ceph.msg.front",
                "{name}: type {} not decoded",
                r.msg.unwrap().msg_type
            );
            assert!(first.summary.is_some(), "{name}: {}", first.def.abbrev);
            let bad = nodes
                .iter()
                .flat_map(FieldNode::walk)
                .filter(|n| matches!(n.def.abbrev, "ceph.malformed" | "ceph.trailing"))
                .count();
            assert_eq!(bad, 0, "{name}: {} {:?}", first.def.abbrev, first.summary);
            // Every leaf lies inside the frame's bytes.
            let len = r.frame().unwrap().data.len();
            for leaf in nodes.iter().flat_map(FieldNode::walk) {
                if let Some(s) = &leaf.span {
                    assert!(s.range.end <= len);
                }
            }
            n += 1;
        }
        assert!(n > 100, "{name}: {n}");
    }
}

/// Data segments stay bytes with their length; an osd_op's splits per op.
#[test]
fn data_segments_have_length_and_pieces() {
    let recs = records("none-crc");
    let r = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42) && r.segment_lens()[3] == 12813)
        .unwrap();
    let nodes = body(r);
    assert_eq!(one(&nodes, "ceph.msg.data.len"), "12813");
    let piece = find(&nodes, "ceph.osd_op.op.data");
    assert_eq!(piece.len(), 1);
    let start = r.frame().unwrap().segments[3].start;
    assert_eq!(piece[0].span.as_ref().unwrap().range, start..start + 12813);
    assert_eq!(piece[0].value, Value::Bytes(seg(r, 3).to_vec()));
}

/// Leaves (fields with bytes and no children) of a tree.
fn leaves(nodes: &[FieldNode]) -> Vec<(&'static str, std::ops::Range<usize>, Value)> {
    nodes
        .iter()
        .flat_map(FieldNode::walk)
        .filter(|n| n.children.is_empty() && n.def.abbrev != "ceph.malformed")
        .filter_map(|n| {
            n.span
                .as_ref()
                .filter(|s| !s.range.is_empty())
                .map(|s| (n.def.abbrev, s.range.clone(), n.value.clone()))
        })
        .collect()
}

/// Every prefix of real osd_op fronts decodes as the prefix of the full
/// decoding, with one malformed item from the fault to where the bytes
/// end, and never panics. The fault is where Ceph's decoder throws: at the
/// first struct_len or count whose content the cut leaves short (the
/// structure or container is refused there), else at the field cut.
#[test]
fn truncated_osd_op_fronts_decode_as_prefixes() {
    let recs = records("none-crc");
    let mut fronts: Vec<Vec<u8>> = recs
        .iter()
        .filter(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .map(|r| seg(r, 1).to_vec())
        .collect();
    fronts.dedup_by_key(|f| f.len());
    assert!(fronts.len() >= 2);
    const BASE: usize = 1000;
    for front in fronts {
        let full = tree(
            MsgType(42),
            8,
            [(&front, BASE), (&[], 0), (&[], 0)],
            Source::Wire,
        );
        let full_leaves = leaves(&full);
        for cut in 0..front.len() {
            let nodes = tree(
                MsgType(42),
                8,
                [(&front[..cut], BASE), (&[], 0), (&[], 0)],
                Source::Wire,
            );
            let bad = find(&nodes, "ceph.malformed");
            assert_eq!(bad.len(), 1, "cut {cut}");
            assert!(find(&nodes, "ceph.trailing").is_empty());
            let at = bad[0].span.as_ref().unwrap().range.clone();
            let end = BASE + cut;
            // (leaf, bytes it claims after itself)
            let claim = |l: &(&str, std::ops::Range<usize>, Value)| -> usize {
                let n = match l.2 {
                    Value::Uint(n) => n as usize,
                    _ => 0,
                };
                match l.0 {
                    "ceph.denc.struct_len" => n,
                    "ceph.osd_op.num_ops" => n * 38,
                    "ceph.osd_op.snaps.count" => n * 8,
                    _ => 0,
                }
            };
            let blamed = full_leaves
                .iter()
                .find(|l| l.1.end <= end && l.1.end + claim(l) > end)
                .or_else(|| full_leaves.iter().find(|l| l.1.end > end))
                .unwrap();
            assert_eq!(at, blamed.1.start..end, "cut {cut}: {}", blamed.0);
            let before: Vec<_> = full_leaves
                .iter()
                .filter(|l| l.1.end <= at.start)
                .cloned()
                .collect();
            assert_eq!(leaves(&nodes), before, "cut {cut}");
        }
    }
}

#[test]
fn unknown_types_and_versions_stay_raw() {
    let front = [1u8, 2, 3];
    let data = [9u8; 5];
    for (ty, v) in [(0x7777, 1), (42, 7), (43, 9)] {
        let nodes = tree(
            MsgType(ty),
            v,
            [(&front, 41), (&[], 0), (&data, 48)],
            Source::Wire,
        );
        let names: Vec<_> = nodes.iter().map(|n| n.def.abbrev).collect();
        assert_eq!(names, ["ceph.msg.front", "ceph.msg.data"]);
        assert_eq!(nodes[0].span.as_ref().unwrap().range, 41..44);
        assert_eq!(summary(MsgType(ty), v, &front, &[], &data), None);
    }
    // A decoded type with a short front: a malformed item, no summary.
    let nodes = tree(
        MsgType(62),
        1,
        [(&front, 41), (&[], 0), (&[], 0)],
        Source::Wire,
    );
    assert_eq!(nodes[0].def.abbrev, "ceph.config");
    assert_eq!(find(&nodes, "ceph.malformed").len(), 1);
    assert_eq!(summary(MsgType(62), 1, &front, &[], &[]), None);
}

/// Every single-bit flip of every distinct real front decodes without a
/// panic, with at most one malformed item and the summary only when the
/// front decoded.
#[test]
fn bit_flips_of_real_fronts_never_panic() {
    let recs = records("none-crc");
    let mut fronts: Vec<(u16, u16, Vec<u8>)> = recs
        .iter()
        .filter_map(|r| r.msg.map(|h| (h.msg_type, h.version, seg(r, 1).to_vec())))
        .collect();
    fronts.sort();
    fronts.dedup();
    for (ty, v, front) in fronts {
        for bit in 0..front.len() * 8 {
            let mut b = front.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            let nodes = tree(MsgType(ty), v, [(&b, 0), (&[], 0), (&[], 0)], Source::Wire);
            let bad = find(&nodes, "ceph.malformed").len();
            assert!(bad <= 1, "type {ty} bit {bit}");
            let text = summary(MsgType(ty), v, &b, &[], &[]);
            assert_eq!(text.is_some(), bad == 0, "type {ty} bit {bit}");
        }
    }
}
