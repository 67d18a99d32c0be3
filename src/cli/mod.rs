//! Printers over the model: the one-line frame list (tshark style), JSON
//! lines, and the verify report. They write to any `io::Write`.

mod text;
pub mod tree;
mod verify;

pub use text::{info, record_json, write_jsonl, write_line};
pub use verify::{verify_capture, VerifyOutcome};

use crate::analysis::{Config, Dissector, Record, Summary};
use crate::capture::{CaptureError, CaptureReader, Timestamp};
use std::io::{Read, Write};

/// Output format of the frame list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per row.
    Text,
    /// One JSON object per row.
    Jsonl,
    /// One JSON array of row objects, each with its full field tree.
    Json,
}

/// What to print for each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Format.
    pub format: Format,
    /// Add the field tree (`-V`) to text output.
    pub verbose: bool,
    /// Add a hex dump of the frame's bytes (`-x`).
    pub hex: bool,
}

impl Output {
    /// Plain output in `format`.
    pub fn new(format: Format) -> Self {
        Output { format, verbose: false, hex: false }
    }
}

/// Read a capture and print every row as it completes. Returns the summary
/// (with `read_error` set if the capture ended early).
pub fn list<R: Read, W: Write>(
    src: R,
    cfg: Config,
    out: Output,
    w: &mut W,
) -> Result<Summary, ListError> {
    let mut reader = CaptureReader::new(src)?;
    let mut d = Dissector::new(cfg);
    let mut origin: Option<Timestamp> = None;
    let mut io_err: Option<std::io::Error> = None;
    let mut first = true;
    if out.format == Format::Json {
        if let Err(e) = w.write_all(b"[\n") {
            return Err(ListError::Write(e));
        }
    }
    let mut emit = |r: Record, origin: Timestamp| {
        if io_err.is_some() {
            return;
        }
        let res = emit_row(w, &r, origin, out, first);
        first = false;
        if let Err(e) = res {
            io_err = Some(e);
        }
    };
    let read_error = loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => {
                let o = *origin.get_or_insert(pkt.ts);
                d.packet(&pkt, &mut |r| emit(r, o));
            }
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    let o = origin.unwrap_or_default();
    d.finish(&mut |r| emit(r, o));
    if let Some(e) = io_err {
        return Err(ListError::Write(e));
    }
    if out.format == Format::Json {
        w.write_all(b"\n]\n").map_err(ListError::Write)?;
    }
    let mut s = d.into_summary();
    s.read_error = read_error;
    Ok(s)
}

fn emit_row<W: Write>(w: &mut W, r: &Record, origin: Timestamp, out: Output, first: bool) -> std::io::Result<()> {
    match out.format {
        Format::Text => {
            write_line(w, r, origin)?;
            if out.verbose {
                tree::write_tree(w, r)?;
            }
            if out.hex {
                tree::write_hex(w, r)?;
            }
            Ok(())
        }
        Format::Jsonl => {
            let mut v = record_json(r, origin);
            if let Some(o) = v.as_object_mut() {
                o.insert("fields".into(), tree::tree_json(r));
            }
            serde_json::to_writer(&mut *w, &v)?;
            w.write_all(b"\n")
        }
        Format::Json => {
            let mut v = record_json(r, origin);
            if let Some(o) = v.as_object_mut() {
                o.insert("fields".into(), tree::tree_json(r));
            }
            if !first {
                w.write_all(b",\n")?;
            }
            serde_json::to_writer_pretty(&mut *w, &v)?;
            Ok(())
        }
    }
}

/// Why listing failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The input is not a readable capture.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Writing the output failed (e.g. a closed pipe).
    #[error("write error: {0}")]
    Write(std::io::Error),
}
