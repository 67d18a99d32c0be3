//! The command line's inputs: the capture file (or standard input) and
//! the settings read from files the flags name (key file, keyrings).

use super::Args;
use anyhow::Context;
use cephshark::analysis::Config;
use cephshark::cli::progress::CountingReader;
use cephshark::msgr2::keys::KeyLog;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An input: the reader, its size when it is a file, and its byte count;
/// a regular file's bytes mapped to be read in place (`main_map.rs`).
pub(crate) struct Input {
    pub(crate) reader: CountingReader<Box<dyn Read + Send>>,
    pub(crate) size: Option<u64>,
    pub(crate) mapped: Option<cephshark::capture::SharedBytes>,
}

/// The machine's cores: the threads of a file's dissection without `-j`.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Input {
    /// `cfg` with its threads settled: `-j` as given, else the machine's
    /// cores for a file and 1 for standard input (a pipe's reader could
    /// wait on its next read after the dissection has stopped).
    pub(crate) fn threads(&self, mut cfg: Config) -> Config {
        if cfg.threads == 0 {
            cfg.threads = match self.size {
                Some(_) => cores(),
                None => 1,
            };
        }
        cfg
    }
}

impl Input {
    /// A stream with no size (a live capture's feed).
    pub(crate) fn stream(reader: Box<dyn Read + Send>) -> Input {
        Input {
            reader: CountingReader::new(reader),
            size: None,
            mapped: None,
        }
    }
}

pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

pub(crate) fn open(path: &Path) -> anyhow::Result<Input> {
    if is_stdin(path) {
        return Ok(Input {
            reader: CountingReader::new(Box::new(io::stdin())),
            size: None,
            mapped: None,
        });
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = f.metadata().ok().map(|m| m.len());
    let mapped = super::map::map(&f);
    // The capture reader buffers (large reads, straight into its buffer):
    // a BufReader here would copy every byte once more.
    let r: Box<dyn Read + Send> = Box::new(f);
    let reader = CountingReader::new(r);
    Ok(Input {
        reader,
        size,
        mapped,
    })
}

/// Build the dissection settings from the flags: read and check the key file.
pub(crate) fn config(args: &Args) -> anyhow::Result<Config> {
    let mut key_file = args.keys.clone();
    let mut keyrings = args.keyrings.clone();
    for pref in &args.prefs {
        let Some((name, value)) = pref.split_once(':') else {
            anyhow::bail!("-o {pref}: expected NAME:VALUE");
        };
        match name {
            "keylog" | "msgr2.keylog_file" => key_file = Some(PathBuf::from(value)),
            "ceph.keyring" => keyrings.push(PathBuf::from(value)),
            // The text columns: read with the listing's other flags.
            "gui.column.format" => {}
            other => anyhow::bail!(
                "-o {pref}: unknown preference `{other}` (known: {}; `-G prefs` says what each does)",
                cephshark::cli::glossary::PREFS
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let mut cfg = Config::default();
    cfg.memcap = args.memcap.unwrap_or(cfg.memcap);
    // 0: settled per input (`Input::threads`).
    cfg.threads = args.jobs.map_or(0, usize::from);
    if let Some(ns) = args.reply_grace {
        cfg.interop.grace_ns = ns;
    }
    if let Some(path) = key_file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read key file {}", path.display()))?;
        let log = KeyLog::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        cfg.keys = Some(Arc::new(log));
    }
    if !keyrings.is_empty() {
        let mut ring = cephshark::cephx::Keyring::default();
        for path in &keyrings {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read keyring {}", path.display()))?;
            ring.add(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        for e in ring.unsupported() {
            eprintln!(
                "cephshark: keyring entity {}: key type {} (aes256k) is not supported; its connections stay encrypted",
                cephshark::model::escape::escape(&e.name),
                e.key.ty
            );
        }
        cfg.keyring = Some(Arc::new(ring));
    }
    Ok(cfg)
}

/// Whether a filter reads the connections' entity names or types, which
/// ident frames teach only part way into a connection.
pub(crate) fn reads_entities(filter: Option<&cephshark::filter::Filter>) -> bool {
    filter.is_some_and(|f| {
        f.fields().iter().any(|n| {
            ["ceph.entity", "ceph.src.entity", "ceph.dst.entity"]
                .iter()
                .any(|p| n.starts_with(p))
        })
    })
}

/// Pass one (`-2`, or a filter on entities): learn who every connection's
/// peers are, so that pass two puts their names on every row of it, those
/// before the ident frames too. Standard input can be read once only: it
/// gets one pass.
pub(crate) fn first_pass(paths: &[PathBuf], cfg: Config) -> anyhow::Result<Config> {
    if paths.iter().any(|p| is_stdin(p)) {
        return Ok(cfg);
    }
    let input = super::inputs::open_all(paths)?;
    let pass = input.threads(cfg.clone());
    let summary = input
        .dissect(pass)
        .map_err(|e| anyhow::anyhow!(super::inputs::named(paths, &e)))?;
    Ok(Config {
        identities: Some(Arc::new(summary.identities())),
        ..cfg
    })
}

/// `--reply-grace`: seconds (fractions allowed) as nanoseconds.
pub(crate) fn parse_grace(s: &str) -> Result<u64, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(0.0..=1e9).contains(&secs) {
        return Err(format!("`{s}`: expected 0 to 1e9 seconds"));
    }
    Ok((secs * 1e9).round() as u64)
}
