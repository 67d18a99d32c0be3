//! The rows the UI keeps: each dissected [`Record`], trimmed to a bounded
//! size, with what the list needs precomputed (problem level, secure mark),
//! and the counters of the status bar.
//!
//! Memory bound: a kept record holds at most [`KEEP_BYTES`] (64 KiB) of its
//! frame's bytes, always in an allocation of its own (never a slice that
//! pins a larger stream buffer); the hex pane says how many bytes were not
//! kept. Everything else a record holds is small and bounded (header,
//! checks, problems, the list of packets it came from), so the UI's memory
//! is about `sum(min(frame length, 64 KiB)) + ~0.5 KiB` per row.

use crate::analysis::{Record, RecordKind};
use crate::msgr2::{Mode, ProblemKind, Severity};
use crate::tcp::ConnId;
use bytes::Bytes;
use std::collections::HashMap;

/// Most bytes of a frame kept for the hex pane and the details.
pub const KEEP_BYTES: usize = 64 * 1024;

/// How bad the worst problem of a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// No problem.
    Ok,
    /// Notes only.
    Note,
    /// At least one warning.
    Warning,
    /// At least one error.
    Error,
}

impl Level {
    /// Whether `n`/`N` stop at this row.
    pub fn is_problem(self) -> bool {
        self >= Level::Warning
    }
}

/// One kept row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The record, its frame bytes trimmed to [`KEEP_BYTES`].
    pub record: Record,
    /// Worst problem.
    pub level: Level,
    /// A secure-mode frame decrypted with a key.
    pub secure: bool,
    /// Frame bytes before trimming (0 for rows that are not frames).
    pub full_len: usize,
}

impl Row {
    /// Keep `record`, trimming its frame bytes.
    pub fn keep(mut record: Record) -> Row {
        let level = record
            .problems()
            .iter()
            .map(|p| match p.kind.severity() {
                Severity::Note => Level::Note,
                Severity::Warning => Level::Warning,
                Severity::Error => Level::Error,
            })
            .max()
            .unwrap_or(Level::Ok);
        let mut full_len = 0;
        let mut secure = false;
        if let RecordKind::Frame(f) = &mut record.kind {
            full_len = f.data.len();
            secure = f.mode == Mode::Secure && f.decrypted;
            let kept = f.data.get(..KEEP_BYTES.min(full_len)).unwrap_or_default();
            f.data = Bytes::copy_from_slice(kept);
        }
        Row {
            record,
            level,
            secure,
            full_len,
        }
    }

    /// Bytes of the frame that were not kept.
    pub fn dropped(&self) -> usize {
        let kept = self.record.frame().map_or(0, |f| f.data.len());
        self.full_len.saturating_sub(kept)
    }

    /// A secure direction that no key opens.
    pub fn encrypted(&self) -> bool {
        matches!(&self.record.kind, RecordKind::Undecoded(p) if p.kind == ProblemKind::NoKey)
    }
}

/// What the rows say about one connection's secure mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecureSeen {
    /// Some frame was decrypted.
    pub opened: bool,
    /// Some direction could not be opened.
    pub no_key: bool,
}

/// Every kept row, in row-number order, with running counters.
#[derive(Debug, Default)]
pub struct Rows {
    rows: Vec<Row>,
    /// Rows with at least a warning.
    pub problems: usize,
    /// Secure-mode state per connection, from the rows.
    pub secure: HashMap<ConnId, SecureSeen>,
}

impl Rows {
    /// Append a row.
    pub fn push(&mut self, row: Row) {
        if row.level.is_problem() {
            self.problems += 1;
        }
        if row.secure || row.encrypted() {
            let s = self.secure.entry(row.record.conn).or_default();
            s.opened |= row.secure;
            s.no_key |= row.encrypted();
        }
        self.rows.push(row);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` (0-based position, not the row number).
    pub fn get(&self, i: usize) -> Option<&Row> {
        self.rows.get(i)
    }

    /// Every row.
    pub fn iter(&self) -> std::slice::Iter<'_, Row> {
        self.rows.iter()
    }

    /// Position of the row numbered `number`.
    pub fn position(&self, number: u64) -> Option<usize> {
        self.rows
            .binary_search_by_key(&number, |r| r.record.number)
            .ok()
    }

    /// Secure connections (opened, all).
    pub fn secure_counts(&self) -> (usize, usize) {
        let opened = self
            .secure
            .values()
            .filter(|s| s.opened && !s.no_key)
            .count();
        (opened, self.secure.len())
    }
}
