//! `cephshark verify FILE...`: each capture checked (or all as one with
//! `--merge`), its report printed, the exit status the worst of them.

use crate::input::{first_pass, reads_entities};
use crate::inputs;
use cephshark::analysis::Config;
use cephshark::filter::Filter;
use cephshark::signals::{self, Signals};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

pub(crate) fn run_verify(
    files: &[PathBuf],
    merge: bool,
    cfg: &Config,
    filter: Option<&Filter>,
    sig: &Signals,
) -> ExitCode {
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let mut worst = 0u8;
    // --merge: all the captures as one; else each on its own.
    let groups: Vec<&[PathBuf]> = match merge {
        true => vec![files],
        false => files.chunks(1).collect(),
    };
    for paths in groups {
        let name = inputs::label(paths);
        let cfg = if reads_entities(filter) {
            match first_pass(paths, cfg.clone()) {
                Ok(c) => c,
                Err(e) => {
                    say!("{e:#}");
                    worst = 2;
                    continue;
                }
            }
        } else {
            cfg.clone()
        };
        let outcome = inputs::open_all(paths).and_then(|src| {
            let mut cfg = src.threads(cfg);
            // The report shows no data segment's bytes: their middles are
            // checked as they pass, not kept (unless the filter reads bytes).
            cfg.decoder.elide_data = !filter.is_some_and(Filter::reads_bytes);
            src.verify(cfg, filter, sig.flag())
                .map_err(|e| anyhow::anyhow!(inputs::named(paths, &e)))
        });
        match outcome {
            Ok(o) => {
                let _ = o.report(&name, &mut w);
                if !o.ok() {
                    worst = worst.max(1);
                }
            }
            Err(e) => {
                say!("{e:#}");
                worst = 2;
            }
        }
        // Stopped by a signal: the files not yet read are not verified.
        if let Some(s) = sig.caught() {
            let _ = w.flush();
            say!("verify stopped by {}", signals::name(s));
            return ExitCode::from(signals::exit_status(s));
        }
    }
    let _ = w.flush();
    ExitCode::from(worst)
}
