//! One-line and JSON-lines rendering of a row.

use crate::analysis::{Record, RecordKind};
use crate::capture::Timestamp;
use crate::model::Escaped;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

fn rel(ts: Timestamp, origin: Timestamp) -> f64 {
    ts.as_f64() - origin.as_f64()
}

/// Short description of the row's content (computed once, when first shown).
pub fn info(r: &Record) -> String {
    r.info().to_string()
}

/// Write the one-line form of a row.
pub fn write_line<W: Write>(w: &mut W, r: &Record, origin: Timestamp) -> io::Result<()> {
    writeln!(
        w,
        "{:>6} {:>11.6} {:>21} \u{2192} {:<21} {:>3} {:<22} {}  [{}]",
        r.number,
        rel(r.ts, origin),
        r.src.to_string(),
        r.dst.to_string(),
        r.conn.0,
        Escaped(&r.tag_name()),
        Escaped(r.info()),
        Escaped(&r.status())
    )
}

/// The JSON object of a row (the `-T jsonl` keys).
pub fn record_json(r: &Record, origin: Timestamp) -> Value {
    let (offset, len) = r.range();
    let mut o = Map::new();
    o.insert("frame".into(), json!(r.number));
    o.insert("time".into(), json!(r.ts.as_f64()));
    o.insert("time_relative".into(), json!(rel(r.ts, origin)));
    o.insert("src".into(), json!(r.src.to_string()));
    o.insert("dst".into(), json!(r.dst.to_string()));
    o.insert("conn".into(), json!(r.conn.0));
    o.insert("dir".into(), json!(r.dir.short()));
    o.insert("proto".into(), json!(r.proto()));
    o.insert("tag".into(), json!(r.tag_name()));
    o.insert("segments".into(), json!(r.segment_lens()));
    o.insert("status".into(), json!(r.status()));
    o.insert("offset".into(), json!(offset));
    o.insert("len".into(), json!(len));
    o.insert(
        "packets".into(),
        json!(r.packets.iter().map(|p| p.0).collect::<Vec<_>>()),
    );
    if let Some(files) = r.file_names() {
        o.insert("file".into(), json!(files));
    }
    if let Some(f) = r.frame() {
        o.insert("rev".into(), json!(f.rev.as_str()));
        o.insert("mode".into(), json!(f.mode.as_str()));
        o.insert("flags".into(), json!(f.preamble.flags));
        if let Some(l) = f.late {
            o.insert("late".into(), json!(l.value));
        }
        let checks: Vec<Value> = f
            .checks
            .iter()
            .map(|c| {
                json!({
                    "check": match c.kind {
                        crate::msgr2::CheckKind::Preamble => "preamble_crc".to_string(),
                        crate::msgr2::CheckKind::Segment(i) => format!("segment{i}_crc"),
                        crate::msgr2::CheckKind::GcmTag(i) => format!("gcm_tag{i}"),
                    },
                    "offset": c.offset,
                    "stored": c.stored,
                    "computed": c.computed,
                    "status": c.status.as_str(),
                })
            })
            .collect();
        o.insert("checks".into(), Value::Array(checks));
    }
    if let Some(it) = r.msgr1() {
        let checks: Vec<Value> = it
            .checks
            .iter()
            .map(|c| {
                json!({
                    "check": c.kind.as_str(),
                    "offset": c.offset,
                    "stored": c.stored,
                    "computed": c.computed,
                    "status": c.status.as_str(),
                })
            })
            .collect();
        o.insert("checks".into(), Value::Array(checks));
        if let Some(f) = it.msg().and_then(|m| m.footer) {
            o.insert("footer_flags".into(), json!(f.flags));
        }
    }
    if let RecordKind::Banner(b) = &r.kind {
        o.insert("supported".into(), json!(b.supported));
        o.insert("required".into(), json!(b.required));
    }
    if let Some(h) = &r.msg {
        o.insert("msg_type".into(), json!(h.msg_type));
        o.insert(
            "msg_name".into(),
            json!(crate::decode::MsgType(h.msg_type).display_name()),
        );
        o.insert("seq".into(), json!(h.seq));
        o.insert("tid".into(), json!(h.tid));
        // msgr1's ceph_msg_header has no ack_seq (ACK items carry it).
        if r.msgr1().is_none() {
            o.insert("ack_seq".into(), json!(h.ack_seq));
        }
    }
    if let Some([front, middle, data]) = r.sizes() {
        o.insert(
            "sizes".into(),
            json!({"front": front, "middle": middle, "data": data}),
        );
    }
    let problems = r.problems();
    if !problems.is_empty() {
        let list: Vec<Value> = problems
            .iter()
            .zip(r.problem_packets.iter())
            .map(|(p, pkt)| {
                json!({
                    "kind": p.kind.name(),
                    "severity": format!("{:?}", p.kind.severity()).to_lowercase(),
                    "field": p.field,
                    "offset": p.offset,
                    "len": p.len,
                    "packet": pkt.0,
                    "expected": p.expected,
                    "found": p.found,
                })
            })
            .collect();
        o.insert("problems".into(), Value::Array(list));
    }
    Value::Object(o)
}

/// Write a row as one JSON line.
pub fn write_jsonl<W: Write>(w: &mut W, r: &Record, origin: Timestamp) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &record_json(r, origin))?;
    w.write_all(b"\n")
}
