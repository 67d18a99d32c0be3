//! One-line and JSON-lines rendering of a row.

use super::row::{rel, Row};
use crate::analysis::Record;
use crate::capture::Timestamp;
use crate::model::Escaped;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

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
    row_json(&Row::of(r, origin))
}

/// The JSON object of a row's values: each key a view of [`Row`], as each
/// Parquet column is (`cli::parquet`).
pub fn row_json(r: &Row<'_>) -> Value {
    let mut o = Map::new();
    o.insert("frame".into(), json!(r.frame));
    o.insert("time".into(), json!(r.time.as_f64()));
    o.insert("time_relative".into(), json!(r.time_relative));
    o.insert("src".into(), json!(r.src.to_string()));
    o.insert("dst".into(), json!(r.dst.to_string()));
    o.insert("conn".into(), json!(r.conn));
    o.insert("dir".into(), json!(r.dir));
    o.insert("proto".into(), json!(r.proto));
    o.insert("tag".into(), json!(r.tag));
    o.insert("segments".into(), json!(r.segments));
    o.insert("status".into(), json!(r.status));
    o.insert("offset".into(), json!(r.offset));
    o.insert("len".into(), json!(r.len));
    o.insert(
        "packets".into(),
        json!(r.packets.iter().map(|p| p.0).collect::<Vec<_>>()),
    );
    if let Some(files) = &r.files {
        o.insert("file".into(), json!(files.join(",")));
    }
    if let Some(f) = &r.framing {
        o.insert("rev".into(), json!(f.rev));
        o.insert("mode".into(), json!(f.mode));
        o.insert("flags".into(), json!(f.flags));
        if let Some(l) = f.late {
            o.insert("late".into(), json!(l));
        }
    }
    if let Some(checks) = &r.checks {
        let list = checks
            .iter()
            .map(|c| {
                json!({
                    "check": c.check,
                    "offset": c.offset,
                    "stored": c.stored,
                    "computed": c.computed,
                    "status": c.status,
                })
            })
            .collect();
        o.insert("checks".into(), Value::Array(list));
    }
    if let Some(f) = r.footer_flags {
        o.insert("footer_flags".into(), json!(f));
    }
    if let Some([supported, required]) = r.banner {
        o.insert("supported".into(), json!(supported));
        o.insert("required".into(), json!(required));
    }
    if let Some(h) = &r.msg {
        o.insert("msg_type".into(), json!(h.msg_type));
        o.insert("msg_name".into(), json!(h.msg_name));
        o.insert("seq".into(), json!(h.seq));
        o.insert("tid".into(), json!(h.tid));
        if let Some(a) = h.ack_seq {
            o.insert("ack_seq".into(), json!(a));
        }
    }
    if let Some([front, middle, data]) = r.sizes {
        o.insert(
            "sizes".into(),
            json!({"front": front, "middle": middle, "data": data}),
        );
    }
    if !r.problems.is_empty() {
        let list: Vec<Value> = r
            .problems
            .iter()
            .map(|p| {
                json!({
                    "kind": p.kind(),
                    "severity": p.severity(),
                    "field": p.problem.field,
                    "offset": p.problem.offset,
                    "len": p.problem.len,
                    "packet": p.packet,
                    "expected": p.problem.expected,
                    "found": p.problem.found,
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
