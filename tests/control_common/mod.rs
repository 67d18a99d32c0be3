//! Helpers shared by the control-payload tests: field lookups, span
//! tiling, and populated payloads of every tag with their checks.
#![allow(dead_code)]

pub mod cases;

use cephshark::decode::{control, frame_tree};
use cephshark::model::{FieldNode, Source, Value};
use cephshark::msgr2::{Frame, Tag};
use std::ops::Range;

/// The group of a frame's payload (`msgr2.hello`, ...).
pub fn group(f: &Frame) -> FieldNode {
    let root = frame_tree(f);
    root.find("msgr2.payload").unwrap().children[0].clone()
}

pub fn val(n: &FieldNode, abbrev: &str) -> Value {
    n.find(abbrev)
        .unwrap_or_else(|| panic!("{abbrev} missing in {n:#?}"))
        .value
        .clone()
}

pub fn vals(n: &FieldNode, abbrev: &str) -> Vec<Value> {
    n.walk()
        .into_iter()
        .filter(|x| x.def.abbrev == abbrev)
        .map(|x| x.value.clone())
        .collect()
}

pub fn uint(n: &FieldNode, abbrev: &str) -> u64 {
    val(n, abbrev).as_u64().unwrap()
}

pub fn int(n: &FieldNode, abbrev: &str) -> i64 {
    match val(n, abbrev) {
        Value::Int(v) => v,
        v => panic!("{abbrev}: {v:?}"),
    }
}

pub fn text(n: &FieldNode, abbrev: &str) -> String {
    n.find(abbrev).unwrap().value_text()
}

/// Leaves of a subtree: nodes with a span none of whose children has one.
pub fn leaves(n: &FieldNode, out: &mut Vec<(Range<usize>, &'static str, Value)>) {
    let Some(sp) = &n.span else { return };
    if n.children.iter().all(|c| c.span.is_none()) {
        out.push((sp.range.clone(), n.def.abbrev, n.value.clone()));
        return;
    }
    let (lo, hi) = n
        .children
        .iter()
        .filter_map(|c| c.span.as_ref())
        .fold((usize::MAX, 0), |(a, b), s| {
            (a.min(s.range.start), b.max(s.range.end))
        });
    assert_eq!(
        sp.range,
        lo..hi,
        "group {} spans its children",
        n.def.abbrev
    );
    for c in &n.children {
        leaves(c, out);
    }
}

/// Assert the leaves of `nodes` tile `range` and return them.
pub fn tiles(nodes: &[FieldNode], range: Range<usize>) -> Vec<(Range<usize>, &'static str, Value)> {
    let mut l = Vec::new();
    for n in nodes {
        leaves(n, &mut l);
    }
    let mut sorted = l.clone();
    sorted.sort_by_key(|x| (x.0.start, x.0.end));
    let mut at = range.start;
    for (r, a, _) in &sorted {
        assert_eq!(r.start, at, "{a} at {r:?}, expected start {at}: {sorted:?}");
        at = r.end;
    }
    assert_eq!(at, range.end, "leaves end at {at}: {sorted:?}");
    l
}

/// Decode `payload` of `tag` straight into nodes (frame offset 0): the
/// children of the `msgr2.payload` node.
pub fn decode(tag: Tag, payload: &[u8]) -> Vec<FieldNode> {
    let d = control::decode(tag, payload, 0, Source::Wire, None);
    d.nodes
        .into_iter()
        .next()
        .map(|p| p.children)
        .unwrap_or_default()
}
