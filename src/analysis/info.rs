//! The content column of a row: what a banner, frame, lost stretch or
//! undecodable stretch says, in one line: a view of the payload decoded
//! when the row was made, computed the first time a row is shown.

use super::record::{Record, RecordKind};

/// Short description of the row's content.
pub fn info(r: &Record) -> String {
    match &r.kind {
        RecordKind::Banner(b) => format!(
            "ceph v2 supported={:#x} required={:#x}",
            b.supported, b.required
        ),
        RecordKind::Frame(f) => frame_info(r, f),
        RecordKind::Msgr1(it) => {
            let text = r.payload.as_ref().and_then(|p| p.text_msgr1(it));
            crate::msgr1::tree::item_info(it, text)
        }
        RecordKind::Lost { offset, len } => {
            format!("{len} bytes not captured at stream offset {offset}")
        }
        RecordKind::Undecoded(p) if p.kind == crate::msgr2::ProblemKind::RequestUnanswered => {
            p.found.clone()
        }
        RecordKind::Undecoded(p) => {
            let mut s = format!(
                "{} bytes at stream offset {}: {}",
                p.len,
                p.offset,
                p.kind.name()
            );
            if !p.expected.is_empty() || !p.found.is_empty() {
                s.push_str(&format!(
                    " ({} expected {}, found {})",
                    p.field, p.expected, p.found
                ));
            }
            s
        }
    }
}

/// The content column of a frame: mode, segment lengths, then what the
/// frame says (a message as Ceph's log prints it, a control frame's gist).
fn frame_info(r: &Record, f: &crate::msgr2::Frame) -> String {
    let l = f.segment_lens();
    // A compressed frame: its method, and the segments' decompressed sizes.
    let method = match f.compression.as_ref() {
        Some(c) if c.decompressed => c.method.map_or(String::new(), |m| format!(" {m}")),
        Some(_) => " compressed".to_string(),
        None => String::new(),
    };
    let mut s = format!(
        "{} {}{method} segs={}+{}+{}+{}",
        f.rev.as_str(),
        f.mode.as_str(),
        l[0],
        l[1],
        l[2],
        l[3]
    );
    if let Some(h) = &r.msg {
        let t = crate::decode::MsgType(h.msg_type);
        s.push_str(&format!(
            " seq={} type={} tid={} ",
            h.seq, h.msg_type, h.tid
        ));
        match r.payload.as_ref().and_then(|p| p.text(f)) {
            Some(text) => s.push_str(&text),
            None => s.push_str(&t.display_name()),
        }
    } else if let Some(gist) = r.payload.as_ref().and_then(|p| p.text(f)) {
        if !gist.is_empty() {
            s.push(' ');
            s.push_str(&gist);
        }
    }
    s
}
