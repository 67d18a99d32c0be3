//! `verify`: check every byte of every connection and report each problem
//! with its connection, direction, row, stream offset and packet.

use crate::analysis::verify::{findings, Finding};
use crate::analysis::{Config, Dissector, Summary};
use crate::capture::{CaptureError, CaptureReader};
use crate::model::Escaped;
use std::io::{self, Read, Write};
use std::sync::atomic::AtomicUsize;

/// The result of verifying one capture.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    /// The findings, in row order (at most [`MAX_FINDINGS`]).
    pub findings: Vec<Finding>,
    /// Findings past [`MAX_FINDINGS`], counted but not kept.
    pub more: u64,
    /// Counters.
    pub summary: Summary,
    /// Rows seen.
    pub rows: u64,
    /// Frames seen.
    pub frames: u64,
    /// Reading stopped on request (a signal) before the end.
    pub interrupted: bool,
}

impl VerifyOutcome {
    /// Whether everything is intact.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
            && !self.interrupted
            && self.summary.read_error.is_none()
            && self.summary.malformed_packets == 0
    }

    /// Write the report for `name`.
    pub fn report<W: Write>(&self, name: &str, w: &mut W) -> io::Result<()> {
        let name = Escaped(name);
        for f in &self.findings {
            writeln!(
                w,
                "{name}: conn {} {} frame {} ({}) stream offset {} packet {}: {} at {}: expected {}, found {}",
                f.conn,
                f.dir.short(),
                f.row,
                Escaped(&f.tag),
                f.offset,
                f.packet,
                f.kind.name(),
                Escaped(f.field),
                Escaped(if f.expected.is_empty() { "-" } else { &f.expected }),
                Escaped(if f.found.is_empty() { "-" } else { &f.found }),
            )?;
        }
        if self.more > 0 {
            writeln!(w, "{name}: ... and {} more problems not listed", self.more)?;
        }
        for (pkt, e) in &self.summary.malformed {
            writeln!(w, "{name}: packet {pkt}: {}", Escaped(e))?;
        }
        if let Some(e) = &self.summary.read_error {
            writeln!(w, "{name}: capture ends early: {}", Escaped(e))?;
        }
        let conns = self.summary.conns.values().filter(|c| !c.not_msgr2).count();
        let verdict = match (self.ok(), self.interrupted) {
            (true, _) => "OK",
            (false, true) => "INTERRUPTED",
            (false, false) => "FAILED",
        };
        writeln!(
            w,
            "{name}: {verdict} — {} packets, {} msgr2 connections, {} frames, {} problems",
            self.summary.packets,
            conns,
            self.frames,
            self.findings.len() as u64 + self.more
        )
    }
}

/// Verify one capture.
pub fn verify_capture<R: Read>(src: R, cfg: Config) -> Result<VerifyOutcome, CaptureError> {
    verify_where(src, cfg, None, |_| true)
}

/// Verify one capture, reporting the problems of the rows `wanted` selects
/// (every row is decoded either way).
pub(crate) fn verify_where<R: Read>(
    src: R,
    cfg: Config,
    stop: Option<&AtomicUsize>,
    mut wanted: impl FnMut(&crate::analysis::Record) -> bool,
) -> Result<VerifyOutcome, CaptureError> {
    let mut reader = CaptureReader::new(src)?;
    let mut d = Dissector::new(cfg);
    let mut out = Vec::new();
    let mut more = 0u64;
    let (mut rows, mut frames) = (0u64, 0u64);
    let mut take = |r: crate::analysis::Record| {
        rows += 1;
        if r.frame().is_some() {
            frames += 1;
        }
        if wanted(&r) {
            for f in findings(&r) {
                if out.len() < MAX_FINDINGS {
                    out.push(f);
                } else {
                    more += 1;
                }
            }
        }
    };
    let mut interrupted = false;
    let read_error = loop {
        if crate::signals::stopped(stop) {
            interrupted = true;
            break None;
        }
        match reader.next_packet() {
            Ok(Some(pkt)) => d.packet(&pkt, &mut take),
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    if !interrupted {
        d.finish(&mut take);
    }
    let mut summary = d.into_summary();
    summary.read_error = read_error;
    Ok(VerifyOutcome {
        findings: out,
        more,
        summary,
        rows,
        frames,
        interrupted,
    })
}

/// Findings kept in memory and listed; past it they are only counted.
pub const MAX_FINDINGS: usize = 100_000;
