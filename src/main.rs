//! `cephshark`: list, verify and inspect msgr2 traffic in pcap/pcapng captures.

use anyhow::Context;
use cephshark::analysis::Config;
use cephshark::cli::{self, Format, ListError, Output};
use cephshark::msgr2::keys::KeyLog;
use std::sync::Arc;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cephshark",
    version,
    about = "Dissect and verify Ceph msgr2 traffic in pcap/pcapng captures",
    args_conflicts_with_subcommands = true,
    disable_version_flag = true
)]
struct Args {
    /// Print the version (tshark's -v).
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// Capture file to read (`-` for standard input).
    #[arg(short = 'r', long = "read-file", value_name = "FILE")]
    read: Option<PathBuf>,
    /// Output format of the frame list.
    #[arg(short = 'T', value_enum, default_value = "text")]
    format: OutFormat,
    /// Print each frame's field tree under its line.
    #[arg(short = 'V')]
    verbose: bool,
    /// Print a hex dump of each frame's bytes (decrypted bytes in secure mode).
    #[arg(short = 'x')]
    hex: bool,
    /// Print a glossary and exit: `fields` lists every field name.
    #[arg(short = 'G', value_name = "REPORT")]
    glossary: Option<String>,
    /// Capture file (same as -r).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Secure-mode key file (format in the README).
    #[arg(long = "keys", value_name = "FILE", global = true)]
    keys: Option<PathBuf>,
    /// Set a preference, tshark style: `keylog:FILE` (also spelled
    /// `msgr2.keylog_file:FILE`) names the key file.
    #[arg(short = 'o', value_name = "NAME:VALUE", global = true)]
    prefs: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every frame of every connection; exit 0 only if all are intact,
    /// 1 if any problem was found, 2 if an input could not be read.
    Verify {
        /// Capture files (`-` for standard input).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum OutFormat {
    /// One line per frame.
    Text,
    /// One JSON object per frame, with its field tree under `fields`.
    Jsonl,
    /// One JSON array of frames, each with its field tree.
    Json,
}

fn open(path: &Path) -> anyhow::Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(io::BufReader::with_capacity(1 << 20, f)))
}

/// Build the dissection settings from the flags: read and check the key file.
fn config(args: &Args) -> anyhow::Result<Config> {
    let mut key_file = args.keys.clone();
    for pref in &args.prefs {
        let Some((name, value)) = pref.split_once(':') else {
            anyhow::bail!("-o {pref}: expected NAME:VALUE");
        };
        match name {
            "keylog" | "msgr2.keylog_file" => key_file = Some(PathBuf::from(value)),
            other => anyhow::bail!("-o {pref}: unknown preference `{other}` (known: keylog, msgr2.keylog_file)"),
        }
    }
    let mut cfg = Config::default();
    if let Some(path) = key_file {
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read key file {}", path.display()))?;
        let log = KeyLog::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        cfg.keys = Some(Arc::new(log));
    }
    Ok(cfg)
}

fn glossary(report: &str) -> ExitCode {
    match report {
        "fields" => {
            let stdout = io::stdout();
            let mut w = stdout.lock();
            for d in cephshark::decode::registry::all() {
                let _ = writeln!(w, "F\t{}\t{}\t{}\t{}", d.name, d.abbrev, d.kind.as_str(), d.blurb);
            }
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("cephshark: -G {other}: unknown report (known: fields)");
            ExitCode::from(2)
        }
    }
}

fn run_list(path: &Path, out: Output, cfg: Config) -> anyhow::Result<ExitCode> {
    let src = open(path)?;
    let stdout = io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    match cli::list(src, cfg, out, &mut w) {
        Ok(summary) => {
            // A closed pipe (e.g. `| head`) is not an error.
            let _ = w.flush();
            if let Some(e) = summary.read_error {
                eprintln!("cephshark: {}: capture ends early: {e}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ListError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(ListError::Capture(e)) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        Err(e) => Err(e.into()),
    }
}

fn run_verify(files: &[PathBuf], cfg: &Config) -> ExitCode {
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let mut worst = 0u8;
    for path in files {
        let name = path.display().to_string();
        let outcome = open(path).and_then(|src| {
            cli::verify_capture(src, cfg.clone()).map_err(|e| anyhow::anyhow!("{name}: {e}"))
        });
        match outcome {
            Ok(o) => {
                let _ = o.report(&name, &mut w);
                if !o.ok() {
                    worst = worst.max(1);
                }
            }
            Err(e) => {
                eprintln!("cephshark: {e:#}");
                worst = 2;
            }
        }
    }
    let _ = w.flush();
    ExitCode::from(worst)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(report) = &args.glossary {
        return glossary(report);
    }
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cephshark: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Verify { files }) = &args.command {
        return run_verify(files, &cfg);
    }
    let Some(path) = args.read.as_ref().or(args.file.as_ref()) else {
        eprintln!("cephshark: no capture given (use -r FILE, or `cephshark --help`)");
        return ExitCode::from(2);
    };
    let format = match args.format {
        OutFormat::Text => Format::Text,
        OutFormat::Jsonl => Format::Jsonl,
        OutFormat::Json => Format::Json,
    };
    let out = Output { format, verbose: args.verbose, hex: args.hex };
    match run_list(path, out, cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cephshark: {e:#}");
            ExitCode::from(2)
        }
    }
}
