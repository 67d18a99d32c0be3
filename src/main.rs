//! `cephshark`: list, filter, count, export and verify msgr2 traffic in
//! pcap/pcapng captures, with tshark's flags where tshark has one.

use anyhow::Context;
use cephshark::analysis::stats::StatKind;
use cephshark::analysis::{memcap, Config};
use cephshark::cli::export::StreamExporter;
use cephshark::cli::line::TimeFormat;
use cephshark::cli::progress::{self, Progress};
use cephshark::cli::{self, ListError, ListOptions};
use cephshark::filter::Filter;
use cephshark::signals::{self, Signals};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// A message to stderr, escaped by the one rule for printed text (errors
/// echo file names, key-file text and capture contents); the message's own
/// line breaks (a filter error's caret line) stay line breaks.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("cephshark: {}", cephshark::model::escape::escape_lines(&format!($($arg)*)))
    };
}

#[path = "main_alloc.rs"]
mod alloc;
#[path = "main_diff.rs"]
mod diff;
#[path = "main_input.rs"]
mod input;
#[path = "main_inputs.rs"]
mod inputs;
#[path = "main_live.rs"]
mod live;
#[path = "main_map.rs"]
mod map;
#[path = "main_parquet.rs"]
mod parquet;
#[path = "main_plan.rs"]
mod plan;
#[cfg(feature = "tui")]
#[path = "main_tui.rs"]
mod ui;
#[path = "main_verify.rs"]
mod verify;
use input::{config, first_pass, is_stdin, parse_grace, reads_entities};
use inputs::{start, write_capture, Source};
use plan::{extra_argument, live_conflict, plan, Plan};

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
    /// Capture file to read (`-` for standard input); repeat to read
    /// several captures as one, merged by packet time (as mergecap).
    #[arg(short = 'r', long = "read-file", value_name = "FILE")]
    read: Vec<PathBuf>,
    /// Output format of the frame list (`parquet`: to the file -w names).
    #[arg(short = 'T', value_enum, default_value = "text")]
    format: OutFormat,
    /// Print each frame's field tree under its line.
    #[arg(short = 'V')]
    verbose: bool,
    /// Print a hex dump of each frame's bytes (decrypted bytes in secure mode).
    #[arg(short = 'x')]
    hex: bool,
    /// Print a glossary and exit: `fields` lists every field name,
    /// `filter-fields` the filter's convenience fields (msgr2.error, ...),
    /// `experts` every kind of problem (name, group, severity, meaning),
    /// `prefs` every preference -o sets.
    #[arg(short = 'G', value_name = "REPORT")]
    glossary: Option<String>,
    /// Display filter: only rows that match are printed, counted and exported.
    #[arg(
        short = 'Y',
        long = "display-filter",
        value_name = "FILTER",
        global = true
    )]
    filter: Option<String>,
    /// Statistics printed after the frames (repeatable): conv, tags, msgs,
    /// oplat, errors; `-z help` lists them.
    #[arg(short = 'z', value_name = "STAT")]
    stats: Vec<String>,
    /// Do not print the frame list (statistics are still printed).
    #[arg(short = 'q')]
    quiet: bool,
    /// A field to print with `-T fields` (repeatable).
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// A `-T fields` option (repeatable): separator=/t|/s|<c>, header=y|n,
    /// quote=d|s|n, occurrence=f|l|a|<n>, aggregator=<c>.
    #[arg(short = 'E', value_name = "NAME=VALUE")]
    field_opts: Vec<String>,
    /// Write the packets of the matching rows to a pcap file (`-` for
    /// standard output); the input must be a file (it is read twice).
    #[arg(short = 'w', value_name = "OUTFILE")]
    write: Option<PathBuf>,
    /// With -w, print the frame list too.
    #[arg(short = 'P')]
    print: bool,
    /// Write each connection direction's plaintext frames (preamble and
    /// segments) to a file of its own in DIR.
    #[arg(long = "export-streams", value_name = "DIR")]
    export_streams: Option<PathBuf>,
    /// Write every key that opened a secure direction to FILE, in the key
    /// file format with endpoints (read back with `--keys`).
    #[arg(long = "export-keys", value_name = "FILE")]
    export_keys: Option<PathBuf>,
    /// Stop after N rows that pass -Y (tshark counts packets; a row is a
    /// frame): reading stops there and -z counts what was read.
    #[arg(short = 'c', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Time column format: a, ad, adoy (local), u, ud, udoy (UTC), e
    /// (epoch), r (since the first packet, the default), d (since the
    /// previous row), dd (since the previous row shown).
    #[arg(short = 't', value_name = "FORMAT", value_parser = parse_time_format)]
    time_format: Option<TimeFormat>,
    /// Accepted for tshark's sake: there is no name resolution to disable.
    #[arg(short = 'n')]
    no_resolve: bool,
    /// Flush the output after each row (for `| grep`, `| tee`).
    #[arg(short = 'l')]
    line_buffered: bool,
    /// Two passes: the first learns every connection's entities, so each
    /// row carries them, those before the ident frames too (a filter on
    /// ceph.entity makes two passes by itself; so does -w).
    #[arg(short = '2')]
    two_pass: bool,
    /// Colour problem rows (errors red, warnings yellow) and the tags of
    /// decrypted secure frames, as the terminal UI does: `auto` when
    /// standard output is a terminal and NO_COLOR is not set.
    #[arg(
        long = "color",
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: ColorWhen,
    /// Text columns, comma-separated, in order: no, time, src, dst, conn,
    /// tag, info, status (also `-o gui.column.format:...`).
    #[arg(long = "columns", value_name = "LIST")]
    columns: Option<String>,
    /// Capture live on this interface (`-D` lists them); needs cephshark
    /// built with `--features live` (libpcap).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// Capture filter for -i, in libpcap's (tcpdump's) syntax.
    #[arg(short = 'f', value_name = "BPF")]
    capture_filter: Option<String>,
    /// List the interfaces -i can capture on, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    list_interfaces: bool,
    /// Capture file (same as -r).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Anything after the capture: taken only to be refused with a clear
    /// message (see `extra_argument`).
    #[arg(value_name = "EXTRA", hide = true)]
    extra: Vec<PathBuf>,
    /// Secure-mode key file (format in the README).
    #[arg(long = "keys", value_name = "FILE", global = true)]
    keys: Option<PathBuf>,
    /// Ceph keyring (repeatable): its entities' keys open cephx in the
    /// capture and, through it, secure mode (format in the README).
    #[arg(long = "keyring", value_name = "FILE", global = true)]
    keyrings: Vec<PathBuf>,
    /// Set a preference, tshark style (`-G prefs` lists them):
    /// `keylog:FILE` (also `msgr2.keylog_file:FILE`) names the key file,
    /// `ceph.keyring:FILE` adds a keyring, `gui.column.format:...` picks
    /// the text columns.
    #[arg(short = 'o', value_name = "NAME:VALUE", global = true)]
    prefs: Vec<String>,
    /// Memory cap (`512M`, default 1G); past it idle connections are evicted.
    #[arg(long, value_name = "SIZE", global = true, value_parser = memcap::parse_cap)]
    memcap: Option<usize>,
    /// Seconds a request may still wait for its reply when the capture
    /// ends before it is reported unanswered (default 5; a request whose
    /// connection closed is always reported).
    #[arg(long, value_name = "SECONDS", global = true, value_parser = parse_grace)]
    reply_grace: Option<u64>,
    /// Threads (default: the machine's cores for a file, 1 for standard
    /// input); with 2 or more the capture is read on a thread of its own.
    /// The output is the same whatever the number.
    #[arg(short = 'j', long = "jobs", value_name = "N", global = true,
          value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Map capture files into memory and read their packets in place
    /// (the default for a regular file when more than one thread
    /// dissects; a file truncated while it is read is then an error)
    #[arg(long, global = true, conflicts_with = "no_mmap")]
    mmap: bool,
    /// Read capture files with read(), never mapped
    #[arg(long, global = true)]
    no_mmap: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every frame of every connection; exit 0 only if all are intact,
    /// 1 if any problem was found, 2 if an input could not be read. With -Y,
    /// only the problems of matching rows are reported.
    Verify {
        /// Capture files (`-` for standard input).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Verify the captures as one, merged by packet time (one report).
        #[arg(long)]
        merge: bool,
    },
    /// Compare two captures of the same connections (4-tuple): frames on
    /// one side only, frames whose bytes differ and which side verifies,
    /// one-way delays; exit 0 if none differ, 1 if any do, 2 on errors.
    Diff {
        /// The first capture (A).
        #[arg(value_name = "A")]
        a: PathBuf,
        /// The second capture (B).
        #[arg(value_name = "B")]
        b: PathBuf,
        /// Output format.
        #[arg(short = 'T', value_enum, default_value = "text")]
        format: diff::DiffFormat,
    },
    /// Write each capture's rows (as `-T parquet`) to DIR/<stem>.parquet,
    /// each capture dissected on its own, several at once (-j: how many).
    ExportParquet {
        /// The directory (made if missing).
        #[arg(short = 'w', value_name = "DIR", required = true)]
        dir: PathBuf,
        /// Capture files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorWhen {
    /// When standard output is a terminal and NO_COLOR is not set.
    Auto,
    /// Always (NO_COLOR too).
    Always,
    /// Never.
    Never,
}

fn parse_time_format(s: &str) -> Result<TimeFormat, String> {
    s.parse()
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum OutFormat {
    /// One line per frame.
    Text,
    /// One JSON object per frame, with its field tree under `fields`.
    Jsonl,
    /// One JSON array of frames, each with its field tree.
    Json,
    /// The fields named with -e, one line per frame.
    Fields,
    /// A Parquet file (-w FILE) of the JSON lines' keys as typed columns.
    Parquet,
}

fn glossary(report: &str) -> ExitCode {
    match cli::glossary::write_report(&mut io::stdout().lock(), report) {
        Ok(true) | Err(_) => ExitCode::SUCCESS,
        Ok(false) => {
            say!(
                "-G {report}: unknown report (known: {})",
                cli::glossary::REPORTS
            );
            ExitCode::from(2)
        }
    }
}

/// Parse `-Y`; an empty expression means no filter.
fn parse_filter(text: Option<&str>) -> Result<Option<Filter>, String> {
    match text {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => Filter::parse(t).map(Some).map_err(|e| e.render(t)),
    }
}

fn run_list(
    source: Source<'_>,
    args: &Args,
    plan: &Plan,
    filter: Option<&Filter>,
    cfg: Config,
    signals: &Signals,
) -> anyhow::Result<ExitCode> {
    let live = matches!(source, Source::Live(_));
    let name = match source {
        Source::Files(paths) => inputs::label(paths),
        Source::Live(iface) => iface.to_string(),
    };
    let pcap_out = parquet::pcap_out(args);
    if let (Some(out), Source::Files(paths)) = (&args.write, source) {
        if pcap_out.is_some() && paths.iter().any(|p| is_stdin(p)) {
            anyhow::bail!(
                "-w needs a capture file: the packets of a row are known to match only once the row is complete, \
                 so the input is read twice, and standard input can be read only once (save it to a file first)"
            );
        }
        let same = |p: &PathBuf| std::fs::canonicalize(out).ok() == std::fs::canonicalize(p).ok();
        if !is_stdin(out) && paths.iter().any(same) {
            anyhow::bail!(
                "-w {}: refusing to overwrite the capture being read",
                out.display()
            );
        }
    }
    let mut streams = match &args.export_streams {
        Some(dir) => Some(
            StreamExporter::new(dir)
                .with_context(|| format!("--export-streams {}", dir.display()))?,
        ),
        None => None,
    };
    // -2, or a filter on entities: a first pass learns each connection's
    // peers (files only: a pipe or a live capture is read once).
    let cfg = match source {
        Source::Files(paths) if args.two_pass || reads_entities(filter) => first_pass(paths, cfg)?,
        _ => cfg,
    };
    let (input, capture) = start(source, args, signals)?;
    let mut sink = parquet::open(args)?;
    let stdout = io::stdout();
    let stdout_busy = !plan.quiet && stdout.is_terminal();
    let mut bar = input
        .size()
        .and_then(|s| Progress::start(s, input.counter(), "reading", stdout_busy));
    let mut tick = || progress::tick(&mut bar);
    // Nothing shown reads a data segment's bytes (no rows, no export, no
    // filter on bytes): their middles are checked as they pass, not kept.
    let elide = plan.quiet
        && sink.is_none()
        && streams.is_none()
        && !filter.is_some_and(Filter::reads_bytes);
    let opts = ListOptions {
        filter,
        fields: plan.fields.as_ref(),
        quiet: plan.quiet,
        stats: plan.stats.clone(),
        // -w copies every packet unless rows are chosen (-Y, -c); a live
        // capture saves every packet as it arrives.
        collect_packets: !live && pcap_out.is_some() && (filter.is_some() || args.count.is_some()),
        streams: streams.as_mut(),
        on_packet: Some(&mut tick),
        // A live capture stops itself on a signal, and ends its stream.
        stop: (!live).then(|| signals.flag()),
        line: plan.line.clone(),
        max_rows: args.count,
        // Live, each row is printed as its frame completes.
        flush_rows: args.line_buffered || live,
        sink: sink.as_mut().map(|s| s as &mut dyn cli::RowSink),
    };
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut cfg = input.threads(cfg);
    cfg.decoder.elide_data = elide;
    if live {
        // Read ahead, packets would wait for a whole batch: rows come as
        // their packets do.
        cfg.threads = 1;
    }
    let listed = input.list(cfg, plan.out, opts, &mut w);
    // The reading has ended (-c, a signal, an error): so does the capture.
    if let Some(c) = capture {
        c.finish()?;
    }
    let result = match listed {
        Ok(r) => r,
        // A closed pipe (e.g. `| head`) is not an error.
        Err(ListError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(ExitCode::SUCCESS)
        }
        Err(ListError::Capture(e)) => {
            return Err(match source {
                Source::Files(paths) => anyhow::anyhow!(inputs::named(paths, &e)),
                Source::Live(_) => anyhow::anyhow!("{name}: {e}"),
            })
        }
        Err(e) => return Err(e.into()),
    };
    parquet::finish(sink)?;
    if let Some(b) = bar.take() {
        b.finish();
    }
    // As tshark: the rows decoded are printed, and the cut makes the exit
    // status 2, so scripts do not take a truncated file for a whole one.
    let mut code = match &result.summary.read_error {
        Some(e) if result.cut_short && matches!(source, Source::Files(p) if p.len() > 1) => {
            say!("a capture appears to have been cut short: {e}");
            ExitCode::from(2)
        }
        Some(e) if result.cut_short => {
            say!("The file \"{name}\" appears to have been cut short: {e}");
            ExitCode::from(2)
        }
        Some(e) => {
            say!("{name}: capture ends early: {e}");
            ExitCode::from(2)
        }
        None => ExitCode::SUCCESS,
    };
    // Nothing to show: say what was seen, on stderr (the listing is empty).
    let s = &result.summary;
    if !result.interrupted && !result.limited && s.conns.values().all(|c| c.not_msgr2) {
        say!("{name}: {}", cli::no_msgr2_notice(s));
    }
    // A signal stops the reading; what was decoded is still printed.
    // A live capture ends that way as a matter of course (exit 0).
    let caught = signals.caught().filter(|_| !live);
    if let Some(sig) = caught {
        if result.interrupted {
            let (sig_name, n) = (signals::name(sig), result.summary.packets);
            say!("{name}: stopped by {sig_name} after {n} packets");
        }
        code = ExitCode::from(signals::exit_status(sig));
    }
    if !plan.stats.is_empty() {
        let text = filter.map(Filter::text);
        let res = if args.write.as_deref().is_some_and(is_stdin) {
            cli::stats::write_stats(
                &mut io::stderr().lock(),
                &result.stats,
                &result.summary,
                text,
            )
        } else {
            cli::stats::write_stats(&mut w, &result.stats, &result.summary, text)
        };
        if let Err(e) = res {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
    }
    let _ = w.flush();
    drop(w);
    if let Some(s) = streams {
        s.finish().context("--export-streams")?;
    }
    if let Some(out) = &args.export_keys {
        std::fs::write(out, cli::export::keys_text(&result.summary))
            .with_context(|| format!("--export-keys {}", out.display()))?;
    }
    match (pcap_out, source) {
        (Some(out), Source::Files(_)) if caught.is_some() => {
            say!("-w {}: not written", out.display())
        }
        (Some(out), Source::Files(paths)) => write_capture(paths, out, &result)?,
        // Live, -w was written as the packets came.
        _ => {}
    }
    Ok(code)
}

fn signals_failed(e: &io::Error) -> ExitCode {
    say!("cannot handle signals: {e}");
    ExitCode::from(2)
}

fn stats_help() -> ExitCode {
    println!("Statistics for -z (printed after the frames; -q prints only them):");
    for (_, name, what) in StatKind::ALL {
        println!("  {name:<8} {what}");
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    alloc::tune();
    let args = Args::parse();
    map::choose(args.mmap, args.no_mmap, args.jobs);
    if let Some(report) = &args.glossary {
        return glossary(report);
    }
    if args.stats.iter().any(|s| s == "help") {
        return stats_help();
    }
    if args.list_interfaces {
        return match live::list_interfaces() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say!("{e:#}");
                ExitCode::from(2)
            }
        };
    }
    let filter = match parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(msg) => {
            say!("{msg}");
            return ExitCode::from(2);
        }
    };
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            say!("{e:#}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Diff { a, b, format }) = &args.command {
        return diff::run_diff(a, b, *format, &cfg);
    }
    if let Some(Command::Verify { files, merge }) = &args.command {
        return match Signals::install() {
            Ok(sig) => verify::run_verify(files, *merge, &cfg, filter.as_ref(), &sig),
            Err(e) => signals_failed(&e),
        };
    }
    if let Some(Command::ExportParquet { dir, files }) = &args.command {
        return match Signals::install() {
            Ok(sig) => parquet::run_batch(dir, files, &cfg, filter.as_ref(), &sig),
            Err(e) => signals_failed(&e),
        };
    }
    let plan = match plan(&args) {
        Ok(p) => p,
        Err(msg) => {
            say!("{msg}");
            return ExitCode::from(2);
        }
    };
    #[cfg(feature = "tui")]
    let tui = ui::wanted_by(&args);
    #[cfg(not(feature = "tui"))]
    let tui = false;
    if let Some(msg) = extra_argument(&args, tui) {
        say!("{msg}");
        return ExitCode::from(2);
    }
    if let Some(msg) = live_conflict(&args) {
        say!("{msg}");
        return ExitCode::from(2);
    }
    #[cfg(feature = "tui")]
    if let Some(code) = ui::run(&args, &cfg) {
        return code;
    }
    let paths: Vec<PathBuf> = match args.read.is_empty() {
        true => args.file.iter().cloned().collect(),
        false => args.read.clone(),
    };
    let source = match (&args.interface, paths.is_empty()) {
        (Some(iface), _) => Source::Live(iface),
        (None, false) => Source::Files(&paths),
        (None, true) => {
            say!("no capture given (use -r FILE, -i IFACE, or `cephshark --help`)");
            return ExitCode::from(2);
        }
    };
    let sig = match Signals::install() {
        Ok(s) => s,
        Err(e) => return signals_failed(&e),
    };
    match run_list(source, &args, &plan, filter.as_ref(), cfg, &sig) {
        Ok(c) => c,
        Err(e) => {
            say!("{e:#}");
            ExitCode::from(2)
        }
    }
}
