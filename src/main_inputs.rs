//! The captures a command reads: one, or several read as one (`-r A -r
//! B`, `verify --merge`), merged by packet time (`capture::MergeReader`),
//! each row naming its capture.

use super::input::{is_stdin, open, Input};
use crate::{live, Args};
use anyhow::Context;
use cephshark::analysis::{Config, Summary};
use cephshark::capture::{
    CaptureError, CaptureReader, MergeReader, Packet, PacketSource, SharedBytes,
};
use cephshark::cli::export::{self, CaptureInfo, ExportError, PacketSet};
use cephshark::cli::progress::CountingReader;
use cephshark::cli::progress::{self, Progress};
use cephshark::cli::{self, ListError, ListOptions, ListResult, Output, VerifyOutcome};
use cephshark::filter::Filter;
use cephshark::signals::Signals;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
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
        // Merged inputs are read (the merge takes `Read`s).
        let Input { reader, size, .. } = open(p)?;
        let reader: Box<dyn Read + Send> = Box::new(reader);
        let reader = CountingReader::with_counter(reader, Arc::clone(&count));
        first.size = first.size.zip(size).map(|(a, b)| a.saturating_add(b));
        rest.push(Input {
            reader,
            size,
            mapped: None,
        });
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
    fn source(self, cfg: Config) -> Result<(Packets, Config), CaptureError> {
        if self.rest.is_empty() {
            let Input { reader, mapped, .. } = self.first;
            if let Some(bytes) = mapped {
                let counter = reader.counter();
                let reader = CaptureReader::from_shared(bytes)?;
                return Ok((Packets::InPlace(InPlace { reader, counter }), cfg));
            }
            return Ok((Packets::One(reader), cfg));
        }
        let readers = std::iter::once(self.first)
            .chain(self.rest)
            .map(|i| i.reader);
        let m = MergeReader::new(self.names.into_iter().zip(readers).collect())?;
        let cfg = Config {
            origins: Some(m.origins()),
            ..cfg
        };
        Ok((Packets::Many(m), cfg))
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
            (Packets::One(r), cfg) => cli::list_with(r, cfg, out, opts, w),
            (Packets::InPlace(r), cfg) => cli::list_packets(r, cfg, out, opts, w),
            (Packets::Many(m), cfg) => cli::list_packets(m, cfg, out, opts, w),
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
            (Packets::One(r), cfg) => cli::verify_until(r, cfg, filter, stop),
            (Packets::InPlace(r), cfg) => Ok(cli::verify_packets(r, cfg, filter, stop)),
            (Packets::Many(m), cfg) => Ok(cli::verify_packets(m, cfg, filter, stop)),
        }
    }

    /// A whole pass without output (`-2`'s first pass).
    pub(crate) fn dissect(self, cfg: Config) -> Result<Summary, CaptureError> {
        match self.source(cfg)? {
            (Packets::One(r), cfg) => cephshark::analysis::dissect(r, cfg, &mut |_| {}),
            (Packets::InPlace(r), cfg) => {
                Ok(cephshark::analysis::dissect_packets(r, cfg, &mut |_| {}))
            }
            (Packets::Many(m), cfg) => {
                Ok(cephshark::analysis::dissect_packets(m, cfg, &mut |_| {}))
            }
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
            (Packets::One(r), _) => export::write_packets(r, set, info, out, tick),
            (Packets::InPlace(r), _) => export::write_packets_from(r, set, info, out, tick),
            (Packets::Many(m), _) => export::write_packets_from(m, set, info, out, tick),
        }
    }
}

type Reader = CountingReader<Box<dyn Read + Send>>;

/// One capture's bytes (read, or in place), or several merged.
enum Packets {
    One(Reader),
    InPlace(InPlace),
    Many(MergeReader<Reader>),
}

/// A capture read in place, its progress counted as the read one's.
struct InPlace {
    reader: CaptureReader<io::Empty>,
    counter: Arc<AtomicU64>,
}

impl PacketSource for InPlace {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        // Bytes up to the packet before this one: the progress bar's count.
        self.counter.store(
            self.reader.bytes_read(),
            std::sync::atomic::Ordering::Relaxed,
        );
        self.reader.next_packet()
    }
    fn shared(&self) -> Option<SharedBytes> {
        PacketSource::shared(&self.reader)
    }
    fn last_span(&self) -> std::ops::Range<usize> {
        self.reader.last_span()
    }
}

/// What a listing reads.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// Capture files (several are read as one), or `-` for standard input.
    Files(&'a [PathBuf]),
    /// A live capture on the interface named (`-i`).
    Live(&'a str),
}

/// Start reading `source`: the input, with the capture behind it when live.
pub(crate) fn start(
    source: Source<'_>,
    args: &Args,
    signals: &Signals,
) -> anyhow::Result<(Inputs, Option<live::Live>)> {
    match source {
        Source::Files(paths) => Ok((open_all(paths)?, None)),
        Source::Live(iface) => {
            // Ctrl-C ends the capture; what was captured is then read to
            // its end, so rows and statistics are complete.
            let save = crate::parquet::pcap_out(args);
            let bpf = args.capture_filter.as_deref();
            let (capture, feed) = live::start(iface, bpf, save, Some(signals.shared()))?;
            let input = Input::stream(Box::new(feed));
            Ok((Inputs::single(input, iface.to_string()), Some(capture)))
        }
    }
}

/// Pass two of `-w`: copy the marked packets.
pub(crate) fn write_capture(
    paths: &[PathBuf],
    out: &Path,
    result: &cli::ListResult,
) -> anyhow::Result<()> {
    let input = open_all(paths)?;
    let mut bar = input
        .size()
        .and_then(|s| Progress::start(s, input.counter(), "writing", false));
    let mut tick = || progress::tick(&mut bar);
    let set = result.packets.as_ref();
    let res = if is_stdin(out) {
        input.write(
            set,
            &result.info,
            BufWriter::new(io::stdout().lock()),
            &mut tick,
        )
    } else {
        let f = std::fs::File::create(out).with_context(|| format!("-w {}", out.display()))?;
        input.write(
            set,
            &result.info,
            BufWriter::with_capacity(1 << 20, f),
            &mut tick,
        )
    };
    if let Some(b) = bar.take() {
        b.finish();
    }
    res.map(|_| ())
        .map_err(|e| anyhow::anyhow!("-w {}: {e}", out.display()))
}
