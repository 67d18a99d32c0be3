//! The captures a command reads: one, or several read as one (`-r A -r
//! B`, `verify --merge`), merged by packet time (`capture::MergeReader`),
//! each row naming its capture.

use super::input::{open, Input};
use cephshark::analysis::{Config, Summary};
use cephshark::capture::{CaptureError, MergeReader};
use cephshark::cli::export::{self, CaptureInfo, ExportError, PacketSet};
use cephshark::cli::progress::CountingReader;
use cephshark::cli::{self, ListError, ListOptions, ListResult, Output, VerifyOutcome};
use cephshark::filter::Filter;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;

/// The inputs, opened: the first, then the others (whose bytes count on
/// the first's counter, so one progress bar covers them all).
pub(crate) struct Inputs {
    first: Input,
    rest: Vec<Input>,
    names: Vec<String>,
}

/// How the inputs are named in messages: the path, or all of them.
pub(crate) fn label(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// A capture error, naming the input: a merged input's errors name theirs.
pub(crate) fn named(paths: &[PathBuf], e: &CaptureError) -> String {
    match e {
        CaptureError::In(..) => e.to_string(),
        _ => format!("{}: {e}", label(paths)),
    }
}

/// Open every input; an input that cannot be opened is named.
pub(crate) fn open_all(paths: &[PathBuf]) -> anyhow::Result<Inputs> {
    let Some((head, tail)) = paths.split_first() else {
        anyhow::bail!("no capture given");
    };
    let mut first = open(head)?;
    let count = first.reader.counter();
    let mut rest = Vec::with_capacity(tail.len());
    for p in tail {
        let Input { reader, size } = open(p)?;
        let reader: Box<dyn Read + Send> = Box::new(reader);
        let reader = CountingReader::with_counter(reader, Arc::clone(&count));
        first.size = first.size.zip(size).map(|(a, b)| a.saturating_add(b));
        rest.push(Input { reader, size });
    }
    Ok(Inputs {
        first,
        rest,
        names: paths.iter().map(|p| p.display().to_string()).collect(),
    })
}

impl Inputs {
    /// One input that is not a file of its own (a live capture's feed),
    /// named `name` in messages.
    pub(crate) fn single(input: Input, name: String) -> Inputs {
        Inputs {
            first: input,
            rest: Vec::new(),
            names: vec![name],
        }
    }

    /// Bytes in all, when every input is a file.
    pub(crate) fn size(&self) -> Option<u64> {
        self.first.size
    }

    /// Bytes read so far, from all inputs.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.first.reader.counter()
    }

    /// `cfg` with its threads settled (see `Input::threads`).
    pub(crate) fn threads(&self, cfg: Config) -> Config {
        self.first.threads(cfg)
    }

    /// The packets: one capture's, or all of them merged (then `cfg`
    /// names the merge's table of origins, so every row names its capture).
    fn source(self, cfg: Config) -> Result<(Source, Config), CaptureError> {
        if self.rest.is_empty() {
            return Ok((Source::One(self.first.reader), cfg));
        }
        let readers = std::iter::once(self.first)
            .chain(self.rest)
            .map(|i| i.reader);
        let m = MergeReader::new(self.names.into_iter().zip(readers).collect())?;
        let cfg = Config {
            origins: Some(m.origins()),
            ..cfg
        };
        Ok((Source::Many(m), cfg))
    }

    /// The listing (`cli::list_with`).
    pub(crate) fn list<W: Write>(
        self,
        cfg: Config,
        out: Output,
        opts: ListOptions<'_>,
        w: &mut W,
    ) -> Result<ListResult, ListError> {
        match self.source(cfg)? {
            (Source::One(r), cfg) => cli::list_with(r, cfg, out, opts, w),
            (Source::Many(m), cfg) => cli::list_packets(m, cfg, out, opts, w),
        }
    }

    /// `verify` (`cli::verify_until`).
    pub(crate) fn verify(
        self,
        cfg: Config,
        filter: Option<&Filter>,
        stop: &AtomicUsize,
    ) -> Result<VerifyOutcome, CaptureError> {
        match self.source(cfg)? {
            (Source::One(r), cfg) => cli::verify_until(r, cfg, filter, stop),
            (Source::Many(m), cfg) => Ok(cli::verify_packets(m, cfg, filter, stop)),
        }
    }

    /// A whole pass without output (`-2`'s first pass).
    pub(crate) fn dissect(self, cfg: Config) -> Result<Summary, CaptureError> {
        match self.source(cfg)? {
            (Source::One(r), cfg) => cephshark::analysis::dissect(r, cfg, &mut |_| {}),
            (Source::Many(m), cfg) => Ok(cephshark::analysis::dissect_packets(m, cfg, &mut |_| {})),
        }
    }

    /// `-w`'s pass two: copy the marked packets (of the merged capture).
    pub(crate) fn write<W: Write>(
        self,
        set: Option<&PacketSet>,
        info: &CaptureInfo,
        out: W,
        tick: &mut dyn FnMut(),
    ) -> Result<u64, ExportError> {
        match self.source(Config::default())? {
            (Source::One(r), _) => export::write_packets(r, set, info, out, tick),
            (Source::Many(m), _) => export::write_packets_from(m, set, info, out, tick),
        }
    }
}

type Reader = CountingReader<Box<dyn Read + Send>>;

/// One capture's bytes, or several merged.
enum Source {
    One(Reader),
    Many(MergeReader<Reader>),
}
