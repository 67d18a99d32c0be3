//! The verbose outputs: the field tree as text (`-V`) and JSON, and the
//! hex dump of a frame's bytes (`-x`).
//!
//! The tree printers recurse once per level of the tree; decoders build
//! trees of bounded depth (`model::tree::MAX_NESTING` levels of subtrees
//! per builder; about ten levels in practice), so the recursion is bounded.

use crate::analysis::record_fields::{packet_ranges, PACKETS};
use crate::analysis::{record_tree, Record, RecordKind};
use crate::model::{Escaped, FieldNode, Source, Value};
use serde_json::{json, Map, Value as Json};
use std::io::{self, Write};

/// Write the tree of a row, indented, as `-V` shows it.
pub fn write_tree<W: Write>(w: &mut W, r: &Record) -> io::Result<()> {
    let root = record_tree(r);
    for c in &root.children {
        write_node(w, c, 1)?;
    }
    writeln!(w)
}

/// At most this many ranges of packet numbers on the folded packets line.
const RANGES_SHOWN: usize = 16;

/// The packets of a row, folded into one line of ranges (`Packet numbers:
/// 788-830,832-881`), so the problems and the frame come right after.
fn write_packet_ranges<W: Write>(w: &mut W, n: &FieldNode, depth: usize) -> io::Result<()> {
    if n.children.len() < 2 {
        return Ok(());
    }
    let numbers: Vec<u64> = n
        .children
        .iter()
        .filter_map(|c| match c.value {
            Value::Uint(v) => Some(v),
            _ => None,
        })
        .collect();
    let all = packet_ranges(&numbers);
    let ranges: Vec<&str> = all.split(',').collect();
    let pad = "    ".repeat(depth);
    if ranges.len() > RANGES_SHOWN {
        let shown = ranges.get(..RANGES_SHOWN).unwrap_or_default().join(",");
        let more = ranges.len() - RANGES_SHOWN;
        writeln!(
            w,
            "{pad}Packet numbers: {shown},… ({more} more ranges; -T fields -e frame.packet lists every one)"
        )
    } else {
        writeln!(w, "{pad}Packet numbers: {all}")
    }
}

fn write_node<W: Write>(w: &mut W, n: &FieldNode, depth: usize) -> io::Result<()> {
    let pad = "    ".repeat(depth);
    let gen = if n.span.is_none() && !matches!(n.value, Value::None) {
        " [generated]"
    } else {
        ""
    };
    writeln!(w, "{pad}{}{gen}", Escaped(&n.to_string()))?;
    if n.def.abbrev == PACKETS.abbrev {
        return write_packet_ranges(w, n, depth + 1);
    }
    for c in &n.children {
        write_node(w, c, depth + 1)?;
    }
    Ok(())
}

/// A field's value as JSON: numbers as numbers, bytes as hex.
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::None => Json::Null,
        Value::Uint(v) => json!(v),
        Value::Int(v) => json!(v),
        Value::Bool(b) => json!(b),
        Value::Bytes(b) => json!(crate::model::hex(b)),
        Value::Str(s) | Value::Addr(s) => json!(s),
        Value::Time(s, ns) => json!(*s as f64 + f64::from(*ns) / 1e9),
        Value::Enum(v, _) => json!(v),
    }
}

/// A node as JSON: name, display text, value, position and children.
pub fn node_json(n: &FieldNode) -> Json {
    let mut o = Map::new();
    o.insert("field".into(), json!(n.def.abbrev));
    o.insert("show".into(), json!(n.to_string()));
    let v = value_json(&n.value);
    if !v.is_null() {
        o.insert("value".into(), v);
    }
    // A string whose wire bytes are not all UTF-8: the exact bytes too.
    if let Value::Str(s) = &n.value {
        if crate::model::wire_text::has_raw(s) {
            let raw = crate::model::wire_text::wire_bytes(s);
            o.insert("value_raw".into(), json!(crate::model::hex(&raw)));
        }
    }
    if let Value::Enum(_, Some(name)) = &n.value {
        o.insert("name".into(), json!(name));
    }
    if let Some(sp) = &n.span {
        o.insert("pos".into(), json!(sp.range.start));
        o.insert("len".into(), json!(sp.range.len()));
        o.insert(
            "source".into(),
            json!(match sp.source {
                Source::Wire => "wire",
                Source::Decrypted => "decrypted",
                Source::Decompressed => "decompressed",
            }),
        );
    }
    if !n.children.is_empty() {
        o.insert(
            "children".into(),
            Json::Array(n.children.iter().map(node_json).collect()),
        );
    }
    Json::Object(o)
}

/// The row's whole tree as a JSON array of top-level nodes.
pub fn tree_json(r: &Record) -> Json {
    Json::Array(record_tree(r).children.iter().map(node_json).collect())
}

/// Write a hex dump of the row's frame bytes (`-x`): the wire bytes in crc
/// mode, the decrypted bytes in secure mode (labelled).
pub fn write_hex<W: Write>(w: &mut W, r: &Record) -> io::Result<()> {
    let RecordKind::Frame(f) = &r.kind else {
        return Ok(());
    };
    if f.decompressed() {
        writeln!(
            w,
            "Decompressed frame ({} bytes; {} on the wire{}):",
            f.data.len(),
            f.wire_len,
            if f.decrypted { ", decrypted" } else { "" }
        )?;
    } else if f.decrypted {
        writeln!(
            w,
            "Decrypted frame ({} bytes; {} on the wire):",
            f.data.len(),
            f.wire_len
        )?;
    }
    hexdump(w, &f.data)?;
    writeln!(w)
}

/// Classic 16-bytes-per-line dump with offsets and ASCII.
pub fn hexdump<W: Write>(w: &mut W, data: &[u8]) -> io::Result<()> {
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut hex = String::with_capacity(49);
        for (j, b) in chunk.iter().enumerate() {
            if j == 8 {
                hex.push(' ');
            }
            hex.push_str(&format!("{b:02x} "));
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        writeln!(w, "{:04x}  {hex:<49} {ascii}", i * 16)?;
    }
    Ok(())
}
