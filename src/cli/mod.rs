//! The command line's work, as functions over any `io::Read`/`io::Write`:
//! the frame list (text, JSON lines, JSON, fields), display filtering,
//! `-z` statistics, exports and the verify report. Only this module and
//! `main.rs` open files or draw on the terminal.
//!
//! ```text
//!  Read -> CaptureReader -> Dissector -> row -> [-Y filter over record_tree]
//!                                                 |-> printer (-T text|jsonl|json|fields)
//!                                                 |-> Stats (-z)
//!                                                 |-> PacketSet (-w, pass two copies packets)
//!                                                 '-> StreamExporter (--export-streams)
//! ```

pub mod diff;
pub mod export;
pub mod fields;
pub mod glossary;
pub mod line;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod progress;
pub mod row;
pub mod stats;
mod text;
pub mod tree;
mod verify;

pub use text::{info, record_json, row_json, write_jsonl, write_line};
pub use verify::{counted, no_msgr2_notice, verify_capture, VerifyOutcome};

use crate::analysis::stats::{StatKind, Stats};
use crate::analysis::{record_tree, Config, Dissector, Record, Summary};
use crate::capture::{with_packets, CaptureError, CaptureReader, PacketSource, Timestamp};
use crate::filter::Filter;
use crate::model::FieldNode;
use export::{CaptureInfo, PacketSet, StreamExporter};
use fields::FieldsSpec;
use line::{Clock, LineStyle};
use std::io::{Read, Write};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicUsize;

/// Output format of the frame list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per row.
    Text,
    /// One JSON object per row.
    Jsonl,
    /// One JSON array of row objects, each with its full field tree.
    Json,
    /// Chosen fields per row (`-T fields -e ...`).
    Fields,
}

/// What to print for each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Format.
    pub format: Format,
    /// Add the field tree (`-V`) to text output.
    pub verbose: bool,
    /// Add a hex dump of the frame's bytes (`-x`).
    pub hex: bool,
}

impl Output {
    /// Plain output in `format`.
    pub fn new(format: Format) -> Self {
        Output {
            format,
            verbose: false,
            hex: false,
        }
    }
}

/// Everything a listing pass does besides decoding.
#[derive(Default)]
pub struct ListOptions<'a> {
    /// Display filter (`-Y`): rows that do not match are not printed,
    /// counted or exported.
    pub filter: Option<&'a Filter>,
    /// Columns for [`Format::Fields`].
    pub fields: Option<&'a FieldsSpec>,
    /// Print no rows (`-q`, or `-w` without `-P`).
    pub quiet: bool,
    /// Statistics to collect (`-z`).
    pub stats: Vec<StatKind>,
    /// Mark the packets of matching rows (for `-w`).
    pub collect_packets: bool,
    /// Write matching frames' plaintext per connection direction.
    pub streams: Option<&'a mut StreamExporter>,
    /// Called once per packet read (progress).
    pub on_packet: Option<&'a mut dyn FnMut()>,
    /// Stop reading once this is nonzero (a signal, see [`signals`]):
    /// the rows completed so far are printed and counted, frames still
    /// waiting for bytes are not reported.
    pub stop: Option<&'a AtomicUsize>,
    /// Text lines: time format, columns, colours.
    pub line: LineStyle,
    /// Stop reading after this many rows that match the filter (`-c`):
    /// their statistics are still reported.
    pub max_rows: Option<u64>,
    /// Flush the output after each row (`-l`).
    pub flush_rows: bool,
    /// Where matching rows go besides the list (`-T parquet`'s file).
    pub sink: Option<&'a mut dyn RowSink>,
}

/// A destination for the rows of a listing other than the printed list
/// (a Parquet file): it is given every row that matches the filter.
pub trait RowSink {
    /// Take a row of a capture whose first packet came at `origin`.
    fn row(&mut self, r: &Record, origin: Timestamp) -> std::io::Result<()>;
}

/// What a listing pass produced.
#[derive(Debug)]
pub struct ListResult {
    /// Capture counters (`read_error` set if the capture ended early).
    pub summary: Summary,
    /// The statistics asked for.
    pub stats: Stats,
    /// Packets of matching rows, when asked for.
    pub packets: Option<PacketSet>,
    /// Link types and timestamp precision of the packets read.
    pub info: CaptureInfo,
    /// Rows read.
    pub rows: u64,
    /// Rows that matched the filter.
    pub matched: u64,
    /// The input ends inside a header or block (a truncated file, as
    /// tshark's "appears to have been cut short"); `summary.read_error`
    /// says where.
    pub cut_short: bool,
    /// Reading stopped early on request (`ListOptions::stop`).
    pub interrupted: bool,
    /// Reading stopped at the row limit (`ListOptions::max_rows`).
    pub limited: bool,
}

/// Read a capture and print every row as it completes. Returns the summary
/// (with `read_error` set if the capture ended early).
pub fn list<R: Read + Send, W: Write>(
    src: R,
    cfg: Config,
    out: Output,
    w: &mut W,
) -> Result<Summary, ListError> {
    list_with(src, cfg, out, ListOptions::default(), w).map(|r| r.summary)
}

/// State of one pass, fed row by row.
struct Pass<'a, 'w, W: Write> {
    w: &'w mut W,
    out: Output,
    opts: ListOptions<'a>,
    stats: Stats,
    packets: Option<PacketSet>,
    first: bool,
    rows: u64,
    matched: u64,
    clock: Clock,
    err: Option<ListError>,
}

impl<W: Write> Pass<'_, '_, W> {
    /// The row limit is reached: no more rows are taken.
    fn full(&self) -> bool {
        self.opts.max_rows.is_some_and(|n| self.matched >= n)
    }

    fn row(&mut self, r: &Record, origin: Timestamp) {
        if self.err.is_some() || self.full() {
            return;
        }
        self.rows += 1;
        self.clock.origin = origin;
        let mut tree: Option<FieldNode> = None;
        if let Some(f) = self.opts.filter {
            let t = record_tree(r);
            if !f.matches_tree(&t) {
                self.clock.prev = Some(r.ts);
                return;
            }
            tree = Some(t);
        }
        self.matched += 1;
        if !self.opts.quiet {
            let res = match (self.out.format, self.opts.fields) {
                (Format::Fields, Some(spec)) => {
                    let t = tree.get_or_insert_with(|| record_tree(r));
                    spec.write_row(self.w, t)
                }
                (Format::Json | Format::Jsonl, Some(spec)) => {
                    let t = tree.get_or_insert_with(|| record_tree(r));
                    let first = self.first;
                    fields::write_json_row(self.w, r.number, spec, t, self.out.format, first)
                }
                (Format::Text, _) => self.text_row(r),
                _ => emit_row(self.w, r, tree.as_ref(), origin, self.out, self.first),
            };
            let res = res.and_then(|()| match self.opts.flush_rows {
                true => self.w.flush(),
                false => Ok(()),
            });
            self.first = false;
            if let Err(e) = res {
                self.err = Some(ListError::Write(e));
                return;
            }
        }
        if !self.stats.kinds.is_empty() {
            self.stats.add(r, tree.as_ref());
        }
        if let Some(set) = &mut self.packets {
            for p in &r.packets {
                set.insert(*p);
            }
        }
        if let Some(s) = self.opts.streams.as_deref_mut() {
            if let Err(e) = s.add(r) {
                self.err = Some(ListError::Export(e));
            }
        }
        if let Some(s) = self.opts.sink.as_deref_mut() {
            if let Err(e) = s.row(r, origin) {
                self.err = Some(ListError::Sink(e));
            }
        }
        self.clock.prev = Some(r.ts);
        self.clock.prev_shown = Some(r.ts);
    }

    /// A text row: its line in the chosen style, then `-V` and `-x`.
    fn text_row(&mut self, r: &Record) -> std::io::Result<()> {
        self.opts.line.write(self.w, r, &self.clock)?;
        if self.out.verbose {
            tree::write_tree(self.w, r)?;
        }
        if self.out.hex {
            tree::write_hex(self.w, r)?;
        }
        Ok(())
    }
}

/// Read a capture, filter its rows, print them, and collect statistics and
/// export data as `opts` asks.
pub fn list_with<R: Read + Send, W: Write>(
    src: R,
    cfg: Config,
    out: Output,
    opts: ListOptions<'_>,
    w: &mut W,
) -> Result<ListResult, ListError> {
    list_packets(CaptureReader::new(src)?, cfg, out, opts, w)
}

/// [`list_with`] over packets from any source (a [`crate::capture::MergeReader`]
/// for several captures; give `cfg.origins` its table to name the files).
pub fn list_packets<S: PacketSource + Send, W: Write>(
    reader: S,
    cfg: Config,
    out: Output,
    opts: ListOptions<'_>,
    w: &mut W,
) -> Result<ListResult, ListError> {
    // Once a decoder has use for them, the reader computes payload CRCs.
    let crcs = AtomicBool::new(false);
    let ahead = (cfg.threads > 1, cfg.decoder.elide_data.then_some(&crcs));
    let mut d = Dissector::new(cfg);
    let mut info = CaptureInfo::default();
    let mut origin: Option<Timestamp> = None;
    let printing = !opts.quiet;
    if printing && out.format == Format::Json {
        w.write_all(b"[\n").map_err(ListError::Write)?;
    }
    if let (true, Format::Fields, Some(spec)) = (printing, out.format, opts.fields) {
        if spec.header {
            spec.write_header(w).map_err(ListError::Write)?;
        }
    }
    let stats = Stats::new(&opts.stats);
    let packets = opts.collect_packets.then(PacketSet::default);
    let mut pass = Pass {
        w,
        out,
        opts,
        stats,
        packets,
        first: true,
        rows: 0,
        matched: 0,
        clock: Clock::default(),
        err: None,
    };
    let stop = pass.opts.stop;
    let mut interrupted = false;
    let read_error = with_packets(reader, ahead, |reader| loop {
        if crate::signals::stopped(stop) {
            interrupted = true;
            break None;
        }
        match reader.next_packet() {
            Ok(Some(pkt)) => {
                info.note(pkt.link, pkt.ts.nanos, pkt.caplen);
                if let Some(tick) = pass.opts.on_packet.as_deref_mut() {
                    tick();
                }
                let o = *origin.get_or_insert(pkt.ts);
                d.packet(&pkt, &mut |r| pass.row(&r, o));
                verify::want_crcs(&crcs, &d);
                d.charge_caller(pass.stats.memory());
                if pass.err.is_some() || pass.full() {
                    break None;
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    });
    let cut_short = read_error.as_ref().is_some_and(CaptureError::is_truncated);
    let o = origin.unwrap_or_default();
    // tshark's -c: the packets past the limit are not read, so frames still
    // waiting for their bytes are not reported either.
    let limited = pass.full();
    if pass.err.is_none() && !interrupted && !limited {
        d.finish(&mut |r| pass.row(&r, o));
    }
    if let Some(e) = pass.err {
        return Err(e);
    }
    if printing && out.format == Format::Json {
        pass.w.write_all(b"\n]\n").map_err(ListError::Write)?;
    }
    let mut summary = d.into_summary();
    summary.read_error = read_error.map(|e| e.to_string());
    Ok(ListResult {
        summary,
        stats: pass.stats,
        packets: pass.packets,
        info,
        rows: pass.rows,
        matched: pass.matched,
        cut_short,
        interrupted,
        limited,
    })
}

/// The tree as JSON, from the tree already built for the filter if any.
fn fields_json(r: &Record, built: Option<&FieldNode>) -> serde_json::Value {
    match built {
        Some(t) => serde_json::Value::Array(t.children.iter().map(tree::node_json).collect()),
        None => tree::tree_json(r),
    }
}

fn emit_row<W: Write>(
    w: &mut W,
    r: &Record,
    built: Option<&FieldNode>,
    origin: Timestamp,
    out: Output,
    first: bool,
) -> std::io::Result<()> {
    match out.format {
        Format::Text | Format::Fields => {
            write_line(w, r, origin)?;
            if out.verbose {
                tree::write_tree(w, r)?;
            }
            if out.hex {
                tree::write_hex(w, r)?;
            }
            Ok(())
        }
        Format::Jsonl => {
            let mut v = record_json(r, origin);
            if let Some(o) = v.as_object_mut() {
                o.insert("fields".into(), fields_json(r, built));
            }
            serde_json::to_writer(&mut *w, &v)?;
            w.write_all(b"\n")
        }
        Format::Json => {
            let mut v = record_json(r, origin);
            if let Some(o) = v.as_object_mut() {
                o.insert("fields".into(), fields_json(r, built));
            }
            if !first {
                w.write_all(b",\n")?;
            }
            serde_json::to_writer_pretty(&mut *w, &v)?;
            Ok(())
        }
    }
}

/// Verify one capture, reporting only the problems of rows that match
/// `filter` (every row is still decoded: the filter selects what is told).
pub fn verify_filtered<R: Read + Send>(
    src: R,
    cfg: Config,
    filter: &Filter,
) -> Result<VerifyOutcome, CaptureError> {
    verify::verify_where(src, cfg, None, |r| filter.matches(r))
}

/// Verify one capture, reporting the problems of the rows `filter`
/// selects (all without one), and stop early once `stop` is nonzero
/// (the outcome then says it was interrupted and is not OK).
pub fn verify_until<R: Read + Send>(
    src: R,
    cfg: Config,
    filter: Option<&Filter>,
    stop: &AtomicUsize,
) -> Result<VerifyOutcome, CaptureError> {
    verify::verify_where(src, cfg, Some(stop), |r| {
        filter.is_none_or(|f| f.matches(r))
    })
}

/// [`verify_until`] over packets from any source (several captures
/// merged by a [`crate::capture::MergeReader`]).
pub fn verify_packets<S: PacketSource + Send>(
    reader: S,
    cfg: Config,
    filter: Option<&Filter>,
    stop: &AtomicUsize,
) -> VerifyOutcome {
    verify::verify_source(reader, cfg, Some(stop), |r| {
        filter.is_none_or(|f| f.matches(r))
    })
}

/// Why listing failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The input is not a readable capture.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Writing the output failed (e.g. a closed pipe).
    #[error("write error: {0}")]
    Write(std::io::Error),
    /// Writing an exported stream failed.
    #[error("--export-streams: {0}")]
    Export(std::io::Error),
    /// The row sink failed (its error names its file).
    #[error("{0}")]
    Sink(std::io::Error),
}
