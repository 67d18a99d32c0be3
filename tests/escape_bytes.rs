//! Bytes that are not text: strings whose wire bytes are not UTF-8, and an
//! xattr name carrying an OSC sequence, are shown escaped, kept byte for
//! byte in JSON and matched by byte filters.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod escape_common;
mod support;

use cephshark::msgr2::Tag;
use escape_common::*;
use support::mutants::frame;

/// Bytes that are not UTF-8: a lone 0xff, a cut two-byte sequence, a
/// stray continuation byte, NUL and a genuine U+10FF41 (the range the
/// model carries raw bytes in, so it must come back as its own 4 bytes).
const NOT_UTF8: &[u8] = b"ob\xffj\xc3.\x80\x00\xf4\x8f\xbd\x81z";

#[test]
fn bytes_that_are_not_utf8_are_kept_exactly_and_shown_escaped() {
    let mut json = b"{\"prefix\":\"".to_vec();
    json.extend_from_slice(NOT_UTF8);
    json.extend_from_slice(b"\"}");
    let cap = TempFile::new("not-utf8.pcap", &capture_with(NOT_UTF8, &json));
    // Text: every byte that is not text shown as \xNN, nothing raw, no U+FFFD.
    let shown = "ob\\xffj\\xc3.\\x80\\0\\xf4\\x8f\\xbd\\x81z";
    let (o, text) = with_capture(&cap, &["-V"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text.contains(&format!("Object: {shown}\n")), "{text}");
    // hobject_t as Ceph prints it (append_escaped: each byte as %xx).
    assert!(
        text.contains(":::ob%ffj%c3.%80%00%f4%8f%bd%81z:head"),
        "{text}"
    );
    assert!(!text.contains('\u{fffd}'), "{text}");
    for c in text.chars() {
        assert!(
            cephshark::model::wire_text::raw_byte(c).is_none(),
            "raw {c:?}"
        );
    }
    no_raw("-V", &text);
    // JSON: the exact bytes, as hex, beside the string.
    let (_, jsonl) = with_capture(&cap, &["-T", "jsonl"]);
    let want: String = NOT_UTF8.iter().map(|b| format!("{b:02x}")).collect();
    let mut raws = Vec::new();
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        collect_raw(&v, &mut raws);
    }
    assert!(
        raws.contains(&("ceph.osd_op.oid".to_string(), want.clone())),
        "{raws:?}"
    );
    let mut json_hex: String = b"{\"prefix\":\""
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json_hex.push_str(&want);
    json_hex.push_str("227d");
    assert!(
        raws.contains(&("ceph.mon_command.json".to_string(), json_hex)),
        "{raws:?}"
    );
    // Filters on the wire bytes: a byte string, and a byte regex.
    for f in [
        "ceph.osd_op.oid contains ff:6a:c3",
        // The filter string's own escapes first: `\\x` reaches the regex as `\x`.
        r#"ceph.osd_op.oid matches "(?-u:\\xf4\\x8f\\xbd\\x81)z$""#,
    ] {
        let (o, text) = with_capture(&cap, &["-Y", f]);
        assert_eq!(o.status.code(), Some(0), "{f}");
        assert_eq!(text.lines().count(), 1, "{f}: {text}");
        assert!(text.contains("osd_op("), "{f}: {text}");
    }
    let (_, none) = with_capture(&cap, &["-Y", "ceph.osd_op.oid contains ff:6a:c4"]);
    assert_eq!(none, "");
}

/// Every (field, value_raw) pair in a row's JSON.
fn collect_raw(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(o) => {
            if let (Some(f), Some(r)) = (o.get("field"), o.get("value_raw")) {
                out.push((
                    f.as_str().unwrap().to_string(),
                    r.as_str().unwrap().to_string(),
                ));
            }
            o.values().for_each(|c| collect_raw(c, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| collect_raw(c, out)),
        _ => {}
    }
}

/// OSC (ESC ]), a lone 0xff, NUL, U+202E and a letter: ten bytes, as many
/// as the real xattr name they replace.
const XATTR: &[u8] = b"\x1b]0;\xff\x00\xe2\x80\xaez";

#[test]
fn an_xattr_name_is_escaped_and_kept_exactly() {
    // The real getxattr of lab-enoent.pcap (`rados getxattr obj1
    // nosuchattr`): the name leads the op's data (segment 3).
    let recs = support::mutants::real_named("lab-enoent.pcap");
    let mut segs = recs
        .iter()
        .filter_map(|r| r.frame())
        .find(|f| f.tag() == Tag::Message && f.segment(3) == Some(&b"nosuchattr"[..]))
        .map(|f| [0, 1, 2, 3].map(|i| f.segment(i).unwrap_or(&[]).to_vec()))
        .unwrap_or_else(|| panic!("no getxattr in lab-enoent.pcap"));
    segs[3] = XATTR.to_vec();
    let more = vec![Send {
        from_client: true,
        data: frame(Tag::Message.raw(), &segs),
    }];
    let cap = TempFile::new("xattr.pcap", &capture_more(b"obj1", b"{}", more));
    let (o, text) = with_capture(&cap, &["-Y", "ceph.osd_op.op.data contains 1b:5d:30"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("[getxattr \\x1b]0;\\xff\\0\\u{202e}z in=10b]"),
        "{text}"
    );
    no_raw("xattr", &text);
    let (_, jsonl) = with_capture(
        &cap,
        &["-T", "jsonl", "-Y", "ceph.osd_op.op.data contains 1b:5d:30"],
    );
    let want: String = XATTR.iter().map(|b| format!("{b:02x}")).collect();
    let v: serde_json::Value = serde_json::from_str(jsonl.trim()).unwrap();
    let mut found = Vec::new();
    find_field(&v, "ceph.osd_op.op.data", &mut found);
    assert_eq!(found, vec![want]);
}

/// The values of every `field` node in a row's JSON.
fn find_field(v: &serde_json::Value, field: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            if o.get("field").and_then(|f| f.as_str()) == Some(field) {
                if let Some(s) = o.get("value").and_then(|x| x.as_str()) {
                    out.push(s.to_string());
                }
            }
            o.values().for_each(|c| find_field(c, field, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| find_field(c, field, out)),
        _ => {}
    }
}
