//! Parquet export on the command line, behind the cargo feature `parquet`:
//! `-T parquet -w FILE` writes the listing's rows (after -Y, -c) to one
//! file; `export-parquet -w DIR FILE...` writes each capture to
//! `DIR/<stem>.parquet`, each dissected on its own, several at once.

use crate::{Args, OutFormat};
use std::path::{Path, PathBuf};

/// Why Parquet export is not there, and how to have it.
#[cfg(not(feature = "parquet"))]
const NOT_BUILT: &str = "Parquet export (-T parquet, export-parquet) is not built in: \
     build cephshark with `cargo build --release --features parquet`";

/// Whether the listing writes Parquet.
fn parquet(args: &Args) -> bool {
    matches!(args.format, OutFormat::Parquet)
}

/// The pcap file `-w` names (none when `-w` names the Parquet file).
pub(crate) fn pcap_out(args: &Args) -> Option<&Path> {
    args.write.as_deref().filter(|_| !parquet(args))
}

/// The complaint about `-T parquet` and the flags given with it, if any.
pub(crate) fn check(args: &Args) -> Result<(), String> {
    if !parquet(args) {
        return Ok(());
    }
    #[cfg(not(feature = "parquet"))]
    return Err(NOT_BUILT.into());
    #[cfg(feature = "parquet")]
    match &args.write {
        None => Err("-T parquet writes a file: name it with -w FILE".into()),
        Some(p) if crate::is_stdin(p) => {
            Err("-T parquet: Parquet is written to a file (-w FILE), not to standard output".into())
        }
        Some(_) if args.print => Err(
            "-P with -T parquet: the rows go to the -w file; list them with -T text or jsonl"
                .into(),
        ),
        Some(_) => Ok(()),
    }
}

#[cfg(feature = "parquet")]
pub(crate) use on::{finish, open, run_batch};

#[cfg(not(feature = "parquet"))]
pub(crate) use off::{finish, open, run_batch};

#[cfg(not(feature = "parquet"))]
mod off {
    use super::*;
    use cephshark::analysis::{Config, Record};
    use cephshark::capture::Timestamp;
    use cephshark::cli::RowSink;
    use cephshark::filter::Filter;
    use cephshark::signals::Signals;
    use std::process::ExitCode;

    /// Never made without the feature.
    pub(crate) enum Sink {}

    impl RowSink for Sink {
        fn row(&mut self, _: &Record, _: Timestamp) -> std::io::Result<()> {
            match *self {}
        }
    }

    pub(crate) fn open(_args: &Args) -> anyhow::Result<Option<Sink>> {
        Ok(None)
    }

    pub(crate) fn finish(sink: Option<Sink>) -> anyhow::Result<()> {
        match sink {
            Some(s) => match s {},
            None => Ok(()),
        }
    }

    pub(crate) fn run_batch(
        _dir: &Path,
        _files: &[PathBuf],
        _cfg: &Config,
        _filter: Option<&Filter>,
        _sig: &Signals,
    ) -> ExitCode {
        say!("{NOT_BUILT}");
        ExitCode::from(2)
    }
}

#[cfg(feature = "parquet")]
mod on {
    use super::*;
    use crate::input::{first_pass, is_stdin, reads_entities};
    use crate::inputs;
    use anyhow::Context;
    use cephshark::analysis::Config;
    use cephshark::cli::parquet::ParquetFile;
    use cephshark::cli::{Format, ListError, ListOptions, Output};
    use cephshark::filter::Filter;
    use cephshark::signals::{self, Signals};
    use std::collections::HashMap;
    use std::io::{self, Write};
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
    use std::sync::Mutex;

    pub(crate) type Sink = ParquetFile;

    /// `-T parquet -w FILE`: the file, created (after the inputs opened).
    pub(crate) fn open(args: &Args) -> anyhow::Result<Option<Sink>> {
        match (&args.write, parquet(args)) {
            (Some(p), true) => ParquetFile::create(p)
                .map(Some)
                .with_context(|| format!("-w {}", p.display())),
            _ => Ok(None),
        }
    }

    /// The last row group and the footer.
    pub(crate) fn finish(sink: Option<Sink>) -> anyhow::Result<()> {
        match sink {
            Some(s) => s.finish().map(|_| ()).context("-T parquet"),
            None => Ok(()),
        }
    }

    /// `DIR/<stem>.parquet` for each input, refused when two would share
    /// one or one would replace its input.
    fn outputs(dir: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
        let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
        let mut outs = Vec::with_capacity(files.len());
        for f in files {
            if is_stdin(f) {
                return Err("export-parquet reads capture files: for standard input, \
                     use `cephshark -r - -T parquet -w FILE`"
                    .into());
            }
            let Some(stem) = f.file_stem() else {
                return Err(format!("export-parquet: {} names no file", f.display()));
            };
            let mut name = stem.to_os_string();
            name.push(".parquet");
            let out = dir.join(name);
            if let Some(other) = seen.insert(out.clone(), f) {
                return Err(format!(
                    "export-parquet: {} and {} would both be written to {}: \
                     export them in two runs, to different directories",
                    other.display(),
                    f.display(),
                    out.display()
                ));
            }
            let same = std::fs::canonicalize(&out).ok();
            if same.is_some() && same == std::fs::canonicalize(f).ok() {
                return Err(format!(
                    "export-parquet: refusing to overwrite the capture {}",
                    f.display()
                ));
            }
            outs.push(out);
        }
        Ok(outs)
    }

    /// What one capture's export came to.
    struct Done {
        rows: u64,
        read_error: Option<String>,
        interrupted: bool,
    }

    /// Export one capture on its own.
    fn export_one(
        input: &Path,
        out: &Path,
        cfg: Config,
        filter: Option<&Filter>,
        stop: &AtomicUsize,
    ) -> anyhow::Result<Done> {
        let paths = [input.to_path_buf()];
        let cfg = match reads_entities(filter) {
            true => first_pass(&paths, cfg)?,
            false => cfg,
        };
        let src = inputs::open_all(&paths)?;
        let cfg = src.threads(cfg);
        let mut sink = ParquetFile::create(out).with_context(|| format!("{}", out.display()))?;
        let opts = ListOptions {
            filter,
            quiet: true,
            stop: Some(stop),
            sink: Some(&mut sink),
            ..ListOptions::default()
        };
        let result = match src.list(cfg, Output::new(Format::Text), opts, &mut io::sink()) {
            Ok(r) => r,
            Err(ListError::Capture(e)) => anyhow::bail!(inputs::named(&paths, &e)),
            Err(e) => return Err(e.into()),
        };
        let rows = sink
            .finish()
            .with_context(|| format!("{}", out.display()))?;
        Ok(Done {
            rows,
            read_error: result.summary.read_error,
            interrupted: result.interrupted,
        })
    }

    /// `export-parquet -w DIR FILE...`: exit 0 if every capture was
    /// written whole, 2 if any could not be read (whole).
    pub(crate) fn run_batch(
        dir: &Path,
        files: &[PathBuf],
        cfg: &Config,
        filter: Option<&Filter>,
        sig: &Signals,
    ) -> ExitCode {
        let outs = match outputs(dir, files) {
            Ok(o) => o,
            Err(msg) => {
                say!("{msg}");
                return ExitCode::from(2);
            }
        };
        if let Err(e) = std::fs::create_dir_all(dir) {
            say!("export-parquet -w {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        // -j N: at most N captures at once (default: the cores), each
        // read on one thread; a lone capture gets them all.
        let cores = crate::input::cores();
        let jobs = match cfg.threads {
            0 => cores,
            n => n,
        };
        let workers = jobs.min(files.len()).max(1);
        let mut one = cfg.clone();
        if files.len() > 1 {
            one.threads = 1;
        }
        let next = AtomicUsize::new(0);
        let worst = AtomicU8::new(0);
        let stdout = Mutex::new(io::stdout());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let (Some(input), Some(out)) = (files.get(i), outs.get(i)) else {
                        break;
                    };
                    if sig.caught().is_some() {
                        break;
                    }
                    let code = report(
                        input,
                        out,
                        export_one(input, out, one.clone(), filter, sig.flag()),
                        &stdout,
                    );
                    worst.fetch_max(code, Ordering::SeqCst);
                });
            }
        });
        if let Some(s) = sig.caught() {
            say!("export-parquet stopped by {}", signals::name(s));
            return ExitCode::from(signals::exit_status(s));
        }
        ExitCode::from(worst.load(Ordering::SeqCst))
    }

    /// Say what became of one capture; its exit status.
    fn report(
        input: &Path,
        out: &Path,
        done: anyhow::Result<Done>,
        stdout: &Mutex<io::Stdout>,
    ) -> u8 {
        let d = match done {
            Ok(d) => d,
            Err(e) => {
                say!("{e:#}");
                return 2;
            }
        };
        let name =
            |p: &Path| cephshark::model::escape::escape(&p.display().to_string()).to_string();
        if let Ok(mut w) = stdout.lock() {
            let _ = writeln!(w, "{}: {} rows from {}", name(out), d.rows, name(input));
        }
        match d.read_error {
            Some(e) if !d.interrupted => {
                say!("{}: capture ends early: {e}", input.display());
                2
            }
            _ => 0,
        }
    }
}
