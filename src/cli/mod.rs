//! Printers over the model: the one-line frame list (tshark style), JSON
//! lines, and the verify report. They write to any `io::Write`.

mod text;
mod verify;

pub use text::{record_json, write_jsonl, write_line};
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
}

/// Read a capture and print every row as it completes. Returns the summary
/// (with `read_error` set if the capture ended early).
pub fn list<R: Read, W: Write>(
    src: R,
    cfg: Config,
    format: Format,
    w: &mut W,
) -> Result<Summary, ListError> {
    let mut reader = CaptureReader::new(src)?;
    let mut d = Dissector::new(cfg);
    let mut origin: Option<Timestamp> = None;
    let mut io_err: Option<std::io::Error> = None;
    let mut emit = |r: Record, origin: Timestamp| {
        if io_err.is_some() {
            return;
        }
        let res = match format {
            Format::Text => write_line(w, &r, origin),
            Format::Jsonl => write_jsonl(w, &r, origin),
        };
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
    let mut s = d.into_summary();
    s.read_error = read_error;
    Ok(s)
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
