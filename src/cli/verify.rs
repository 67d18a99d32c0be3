//! `verify`: check every byte of every connection and report each problem
//! with its connection, direction, row, stream offset and packet.

use crate::analysis::verify::{findings, Finding};
use crate::analysis::{Config, Dissector, Summary};
use crate::capture::{with_packets, CaptureError, CaptureReader, PacketSource};
use crate::model::Escaped;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    /// Whether everything is intact: and there was msgr2 to check (a
    /// capture of something else, or of an unsupported link type, does not
    /// pass for verified).
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
            && !self.interrupted
            && self.summary.read_error.is_none()
            && self.summary.malformed_packets == 0
            && self.msgr2_connections() + self.msgr1_connections() > 0
    }

    /// Connections that carried msgr2.
    pub fn msgr2_connections(&self) -> usize {
        self.summary
            .conns
            .values()
            .filter(|c| !c.not_msgr2 && !c.msgr1)
            .count()
    }

    /// Connections that carried msgr1.
    pub fn msgr1_connections(&self) -> usize {
        self.summary.conns.values().filter(|c| c.msgr1).count()
    }

    /// Secure directions no key opened.
    pub fn locked_directions(&self) -> usize {
        self.summary
            .conns
            .values()
            .flat_map(|c| c.keys.iter())
            .filter(|k| matches!(k, crate::analysis::KeyStatus::Missing))
            .count()
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
            writeln!(
                w,
                "{name}: ... and {} more not listed",
                counted(self.more, "problem")
            )?;
        }
        for (pkt, e) in &self.summary.malformed {
            writeln!(w, "{name}: packet {pkt}: {}", Escaped(e))?;
        }
        if let Some(e) = &self.summary.read_error {
            writeln!(w, "{name}: capture ends early: {}", Escaped(e))?;
        }
        let conns = self.msgr2_connections();
        let v1 = self.msgr1_connections();
        let s = &self.summary;
        if conns + v1 == 0 && !self.interrupted {
            // Say what was seen instead of passing on nothing checked.
            writeln!(w, "{name}: {}", no_msgr2_notice(s))?;
        }
        let locked = self.locked_directions();
        if locked > 0 {
            writeln!(
                w,
                "{name}: {} in secure mode could not be decrypted: give their keys with --keys FILE or --keyring FILE",
                counted(locked as u64, "direction"),
            )?;
        }
        // msgr1 with --keyring: what the message signatures came to.
        let [good, bad, unchecked] = s
            .conns
            .values()
            .filter_map(|c| c.v1_signing.as_ref())
            .fold([0u64; 3], |[g, b, u], (_, [g2, b2, u2])| {
                [g + g2, b + b2, u + u2]
            });
        if good + bad + unchecked > 0 {
            let why = if unchecked > 0 {
                " (the keyring gives no session key for them: -z keys says why)"
            } else {
                ""
            };
            writeln!(
                w,
                "{name}: msgr1 message signatures: {good} good, {bad} bad, {unchecked} not checked{why}"
            )?;
        }
        let verdict = match (self.ok(), self.interrupted) {
            (true, _) => "OK",
            (false, true) => "INTERRUPTED",
            (false, false) => "FAILED",
        };
        // msgr1 connections are named only when there are any.
        let v1 = if v1 > 0 {
            format!(", {}", counted(v1 as u64, "msgr1 connection"))
        } else {
            String::new()
        };
        writeln!(
            w,
            "{name}: {verdict} — {}, {}{v1}, {}, {}",
            counted(s.packets, "packet"),
            counted(conns as u64, "msgr2 connection"),
            counted(self.frames, "frame"),
            counted(self.findings.len() as u64 + self.more, "problem")
        )
    }
}

/// What a capture without msgr2 held: packets by link type, those not
/// TCP, the TCP connections with data.
pub fn no_msgr2_notice(s: &Summary) -> String {
    let mut parts: Vec<String> = s.links.iter().map(|(l, n)| format!("{n} {l}")).collect();
    if s.other_link_packets > 0 {
        parts.push(format!("{} of other link types", s.other_link_packets));
    }
    parts.push(format!("{} not TCP", s.non_tcp_packets));
    format!(
        "no msgr2 traffic: {} ({}), {} with data, no msgr2 banner or preamble found",
        counted(s.packets, "packet"),
        parts.join(", "),
        counted(s.conns.len() as u64, "TCP connection"),
    )
}

/// `n` and the noun, plural unless `n` is 1 ("1 problem", "2 problems").
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Verify one capture.
pub fn verify_capture<R: Read + Send>(src: R, cfg: Config) -> Result<VerifyOutcome, CaptureError> {
    verify_where(src, cfg, None, |_| true)
}

/// Verify one capture, reporting the problems of the rows `wanted` selects
/// (every row is decoded either way).
pub(crate) fn verify_where<R: Read + Send>(
    src: R,
    cfg: Config,
    stop: Option<&AtomicUsize>,
    wanted: impl FnMut(&crate::analysis::Record) -> bool,
) -> Result<VerifyOutcome, CaptureError> {
    Ok(verify_source(CaptureReader::new(src)?, cfg, stop, wanted))
}

/// [`verify_where`] over packets from any source.
pub(crate) fn verify_source<S: PacketSource + Send>(
    reader: S,
    cfg: Config,
    stop: Option<&AtomicUsize>,
    mut wanted: impl FnMut(&crate::analysis::Record) -> bool,
) -> VerifyOutcome {
    // Once a decoder has use for them, the reader computes payload CRCs.
    let crcs = AtomicBool::new(false);
    let ahead = (cfg.threads > 1, cfg.decoder.elide_data.then_some(&crcs));
    let mut d = Dissector::new(cfg);
    let mut out = Vec::new();
    let mut more = 0u64;
    let (mut rows, mut frames) = (0u64, 0u64);
    let mut take = |r: crate::analysis::Record| {
        rows += 1;
        if r.frame().is_some() || r.msgr1().is_some() {
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
    let read_error = with_packets(reader, ahead, |reader| loop {
        if crate::signals::stopped(stop) {
            interrupted = true;
            break None;
        }
        match reader.next_packet() {
            Ok(Some(pkt)) => {
                d.packet(&pkt, &mut take);
                want_crcs(&crcs, &d);
            }
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    });
    if !interrupted {
        d.finish(&mut take);
    }
    let mut summary = d.into_summary();
    summary.read_error = read_error;
    VerifyOutcome {
        findings: out,
        more,
        summary,
        rows,
        frames,
        interrupted,
    }
}

/// Findings kept in memory and listed; past it they are only counted.
pub const MAX_FINDINGS: usize = 100_000;

/// Ask the reader for payload CRCs (`crcs`) once `d` has use for them:
/// until then they would be computed for nothing (a capture in secure
/// mode, or of small frames only).
pub(super) fn want_crcs(crcs: &AtomicBool, d: &Dissector) {
    if d.wants_crcs() && !crcs.load(Ordering::Relaxed) {
        crcs.store(true, Ordering::Relaxed);
    }
}
