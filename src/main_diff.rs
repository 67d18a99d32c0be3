//! `cephshark diff A B`: two captures of the same traffic compared (the
//! comparison is the library's `analysis::diff`; this reads and prints).

use cephshark::analysis::diff::DEFAULT_HELD_BYTES;
use cephshark::analysis::Config;
use cephshark::cli::diff::{compare_captures, write_json, write_text};
use clap::ValueEnum;
use std::io::{self, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

/// Output format of `diff`.
#[derive(ValueEnum, Clone, Copy, Debug, Default)]
pub(crate) enum DiffFormat {
    /// One line per difference with details below it, then a summary.
    #[default]
    Text,
    /// One JSON object per difference, then the summary's.
    Jsonl,
    /// One JSON object: the differences and the summary.
    Json,
}

/// `--keys`/`--keyring` like verify: secure frames compare decrypted.
pub(crate) fn run_diff(a: &Path, b: &Path, format: DiffFormat, cfg: &Config) -> ExitCode {
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let (ra, rb) = match (open(a), open(b)) {
        (Ok(ra), Ok(rb)) => (ra, rb),
        (Err(e), _) | (_, Err(e)) => {
            say!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = match compare_captures(ra, rb, cfg, DEFAULT_HELD_BYTES) {
        Ok(r) => r,
        Err(e) => {
            let path = if e.side == "A" { a } else { b };
            say!("{}: {}", path.display(), e.error);
            return ExitCode::from(2);
        }
    };
    let names = [a.display().to_string(), b.display().to_string()];
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let written = match format {
        DiffFormat::Text => write_text(&report, [&names[0], &names[1]], &mut w),
        DiffFormat::Jsonl => write_json(&report, true, &mut w),
        DiffFormat::Json => write_json(&report, false, &mut w),
    };
    if written.and_then(|()| w.flush()).is_err() {
        return ExitCode::from(2);
    }
    // Captures of different traffic: nothing could be compared.
    let s = &report.summary;
    if s.conns_both == 0 && s.units.iter().any(|&n| n > 0) {
        say!(
            "no connection is in both captures (by 4-tuple or CLIENT_IDENT): nothing was compared"
        );
        return ExitCode::from(2);
    }
    ExitCode::from(if report.same() { 0 } else { 1 })
}
