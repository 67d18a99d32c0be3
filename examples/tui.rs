//! The terminal UI on a capture, without the CLI around it:
//!
//! ```text
//! cargo run --example tui -- FILE [--keys KEYFILE] [--filter EXPR]
//! ```

use cephshark::analysis::Config;
use cephshark::msgr2::keys::KeyLog;
use cephshark::tui::{self, TuiOptions};
use std::process::ExitCode;
use std::sync::Arc;

fn options() -> Result<TuiOptions, String> {
    let mut opts = TuiOptions::default();
    let mut args = std::env::args().skip(1);
    let mut path = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--keys" => {
                let file = args.next().ok_or("--keys needs a file")?;
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
                let log = KeyLog::parse(&text).map_err(|e| format!("{file}: {e}"))?;
                opts.config = Config {
                    keys: Some(Arc::new(log)),
                    ..Config::default()
                };
            }
            "--filter" => opts.filter = Some(args.next().ok_or("--filter needs an expression")?),
            _ if path.is_none() => path = Some(a),
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    opts.path = path
        .ok_or("usage: tui FILE [--keys KEYFILE] [--filter EXPR]")?
        .into();
    Ok(opts)
}

fn main() -> ExitCode {
    let result = options().and_then(|o| tui::run(o).map_err(|e| e.to_string()));
    match result {
        Ok(tui::Ended::Quit) => ExitCode::SUCCESS,
        Ok(tui::Ended::Signal(s)) => ExitCode::from(cephshark::signals::exit_status(s)),
        Err(e) => {
            eprintln!("tui: {e}");
            ExitCode::from(2)
        }
    }
}
