//! The terminal UI (ratatui + crossterm), termshark style, over the same
//! model as the CLI: the frame list (content column from
//! [`crate::analysis::info`]), the field tree of the selected row
//! ([`crate::analysis::record_tree`]), the hex dump of its bytes with the
//! selected field highlighted, a live-validated display filter bar, a
//! connections view and a follow view.
//!
//! ```text
//!  run() ── opens the capture, starts ──> worker thread: CaptureReader -> Dissector
//!    │                                        │ Msg::Batch(rows, summary), Msg::Done
//!    │  loop: drain channel -> App::ingest    v
//!    │        App::pump (filter, time budget) App (rows, shown, selection, view state)
//!    │        draw(&App) -> ui, panes/, conns, follow, help
//!    └─────── key/mouse -> keys::lookup -> Action -> App (events.rs, nav.rs)
//! ```
//!
//! A capture that arrives as it is made (standard input, a live capture)
//! comes through [`run_feed`] on a [`crate::capture::feed`]: its rows are
//! sent to the UI as soon as no further packet is waiting, and the keys
//! are read from the terminal itself, so standard input can carry it.
//!
//! Large captures: the UI opens at once and fills while the reader thread
//! works (progress in the status bar); the list is virtual (only visible
//! rows are formatted) and the field tree is built for the selected row
//! only. Memory: each kept row holds its record with at most
//! [`rows::KEEP_BYTES`] (64 KiB) of frame bytes in an allocation of its own;
//! the hex pane says how many bytes were not kept. So the UI needs about
//! `sum(min(frame length, 64 KiB)) + ~0.5 KiB` per row, whatever the
//! capture's size. Trees, search and filters see the kept bytes only.
//!
//! The terminal is restored on exit, on error, on panic (a panic hook), on
//! Ctrl-C (read as a key in raw mode), and on SIGTERM, SIGINT and SIGHUP
//! (caught by [`crate::signals`], seen by the loop within one tick;
//! the binary then exits 128 + the signal's number). `NO_COLOR` turns
//! colours off.

pub mod app;
pub mod conns;
pub mod details;
mod events;
pub mod filter_bar;
pub mod follow;
pub mod help;
pub mod keys;
mod nav;
pub mod panes;
pub mod rows;
pub mod theme;
pub mod ui;
pub mod worker;

pub use app::{App, Message, Mode, Pane};
pub use theme::Theme;
pub use ui::draw;
pub use {crossterm, ratatui};

use crate::analysis::Config;
use crate::capture::{
    CaptureError, CaptureReader, FeedHandle, FeedReader, MergeReader, PacketSource,
};
use crate::signals::Signals;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use worker::{Counting, Worker};

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// The capture file.
    pub path: PathBuf,
    /// Dissection settings (keys for secure mode).
    pub config: Config,
    /// A display filter applied at start.
    pub filter: Option<String>,
}

/// Why the UI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The capture file could not be opened.
    #[error("cannot open {0}: {1}")]
    Open(PathBuf, #[source] io::Error),
    /// The file is not a readable capture.
    #[error("{0}: {1}")]
    Capture(PathBuf, #[source] CaptureError),
    /// The initial display filter does not parse.
    #[error("display filter: {0}")]
    Filter(String),
    /// The terminal failed.
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
}

/// How the UI ended (the terminal is restored either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit (`q`, Ctrl-C).
    Quit,
    /// A termination signal arrived (its number).
    Signal(i32),
}

/// How long the loop waits for input before drawing again.
const TICK: Duration = Duration::from_millis(100);
/// Filtering time per tick while keys wait.
const PUMP_BUDGET: Duration = Duration::from_millis(40);

/// Open a capture for reading (header checked), counting the bytes read
/// into `read`; what [`worker::Worker::start`] takes.
pub fn open_capture(
    path: &Path,
    read: Arc<AtomicU64>,
) -> Result<CaptureReader<Counting<BufReader<std::fs::File>>>, TuiError> {
    let file = std::fs::File::open(path).map_err(|e| TuiError::Open(path.to_path_buf(), e))?;
    let src = Counting::new(BufReader::with_capacity(1 << 20, file), read);
    CaptureReader::new(src).map_err(|e| TuiError::Capture(path.to_path_buf(), e))
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Read a whole capture now and build the app over it, for a screen of
/// `width` x `height` (tests, tools, benchmarks).
pub fn load(opts: &TuiOptions, theme: Theme, width: u16, height: u16) -> Result<App, TuiError> {
    let file = std::fs::File::open(&opts.path).map_err(|e| TuiError::Open(opts.path.clone(), e))?;
    let (records, summary) =
        worker::read_all(BufReader::with_capacity(1 << 20, file), opts.config.clone())
            .map_err(|e| TuiError::Capture(opts.path.clone(), e))?;
    let mut app = App::with_records(
        &display_name(&opts.path),
        records,
        summary,
        theme,
        width,
        height,
    );
    if let Some(f) = &opts.filter {
        app.set_filter_text(f).map_err(TuiError::Filter)?;
        app.settle();
    }
    Ok(app)
}

/// Put the terminal back as it was (raw mode off, main screen, no mouse).
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, however the UI ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Open several captures as one, merged by time (`capture::MergeReader`);
/// an input that cannot be read is named.
pub fn open_merged(
    paths: &[PathBuf],
    read: &Arc<AtomicU64>,
) -> Result<MergeReader<Counting<BufReader<std::fs::File>>>, TuiError> {
    let mut inputs = Vec::with_capacity(paths.len());
    for p in paths {
        let file = std::fs::File::open(p).map_err(|e| TuiError::Open(p.clone(), e))?;
        let src = Counting::new(BufReader::with_capacity(1 << 20, file), Arc::clone(read));
        inputs.push((p.display().to_string(), src));
    }
    MergeReader::new(inputs).map_err(|e| match e {
        CaptureError::In(name, e) => TuiError::Capture(PathBuf::from(name), *e),
        e => TuiError::Capture(PathBuf::new(), e),
    })
}

/// Run the UI on the terminal until the user quits: `cephshark FILE` with
/// standard output on a terminal.
pub fn run(opts: TuiOptions) -> Result<Ended, TuiError> {
    run_with(opts, &[])
}

/// [`run`] over `opts.path` and `more` captures read as one, merged by
/// time (`cephshark A B` on a terminal): every row names its capture.
pub fn run_with(mut opts: TuiOptions, more: &[PathBuf]) -> Result<Ended, TuiError> {
    let read = Arc::new(AtomicU64::new(0));
    // Errors about the files are reported before the screen changes.
    let mut paths = vec![opts.path.clone()];
    paths.extend_from_slice(more);
    let reader: Box<dyn PacketSource + Send> = if more.is_empty() {
        Box::new(open_capture(&opts.path, Arc::clone(&read))?)
    } else {
        let m = open_merged(&paths, &read)?;
        opts.config.origins = Some(m.origins());
        Box::new(m)
    };
    let sizes = paths
        .iter()
        .map(|p| std::fs::metadata(p).ok().map(|m| m.len()));
    let total = sizes.sum::<Option<u64>>();
    let title: Vec<String> = paths.iter().map(|p| display_name(p)).collect();
    run_on(opts, &title.join(" + "), reader, read, total, None, false)
}

/// What a capture fed as it is made is: how the status bar tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedKind {
    /// A pipe (standard input): "reading".
    Pipe,
    /// A live capture on the interface named: "capturing".
    Live(String),
}

/// Run the UI over a capture that arrives as it is made (standard input,
/// a live capture): rows appear as their frames complete. `opts.path` is
/// the name shown. The terminal's keys are read from the terminal itself
/// (crossterm opens `/dev/tty` when standard input is not one), so the
/// capture may come on standard input.
pub fn run_feed(opts: TuiOptions, feed: FeedReader, kind: FeedKind) -> Result<Ended, TuiError> {
    let read = Arc::new(AtomicU64::new(0));
    let handle = feed.handle();
    let name = match &kind {
        FeedKind::Pipe => display_name(&opts.path),
        FeedKind::Live(iface) => iface.clone(),
    };
    let src = Counting::new(feed, Arc::clone(&read));
    let reader = CaptureReader::new(src).map_err(|e| TuiError::Capture(opts.path.clone(), e))?;
    let live = matches!(kind, FeedKind::Live(_));
    run_on(
        opts,
        &name,
        Box::new(reader),
        read,
        None,
        Some(handle),
        live,
    )
}

fn run_on(
    opts: TuiOptions,
    name: &str,
    reader: Box<dyn PacketSource + Send>,
    read: Arc<AtomicU64>,
    total: Option<u64>,
    feed: Option<FeedHandle>,
    live: bool,
) -> Result<Ended, TuiError> {
    let filter = match &opts.filter {
        Some(f) => match filter_bar::compile(f) {
            Ok(_) => Some(f.clone()),
            Err((col, msg)) => return Err(TuiError::Filter(format!("column {col}: {msg}"))),
        },
        None => None,
    };
    let mut app = App::new(name, Theme::from_env());
    if live {
        app.set_capturing();
    }
    if let Some(f) = &filter {
        app.set_filter_text(f).map_err(TuiError::Filter)?;
    }
    let mut worker = match feed {
        Some(h) => Worker::start_feed(reader, read, opts.config, h)?,
        None => Worker::start(reader, read, opts.config)?,
    };
    let signals = Signals::install()?;

    // A panic restores the terminal before the message is printed.
    let previous = Arc::new(std::panic::take_hook());
    let chained = Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        restore();
        (*chained)(info);
    }));
    terminal::enable_raw_mode()?;
    let _guard = Guard;
    crossterm::execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    term.clear()?;
    let size = term.size()?;
    app.resize(size.width, size.height);
    let result = event_loop(&mut term, &mut app, &mut worker, total, &signals);
    worker.stop();
    // Put back the panic hook that was there before.
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| (*previous)(info)));
    let _ = term.show_cursor();
    let _ = io::stdout().flush();
    result
}

fn event_loop<W: Write>(
    term: &mut Terminal<CrosstermBackend<W>>,
    app: &mut App,
    worker: &mut Worker,
    total: Option<u64>,
    signals: &Signals,
) -> Result<Ended, TuiError> {
    loop {
        if let Some(sig) = signals.caught() {
            return Ok(Ended::Signal(sig));
        }
        let mut got = false;
        while let Ok(msg) = worker.rx.try_recv() {
            app.ingest(msg);
            got = true;
        }
        if !app.loaded() {
            app.set_read(worker.read.load(Ordering::Relaxed), total);
        }
        let more = app.pump(PUMP_BUDGET);
        term.draw(|f| draw(f, app))?;
        // Quick redraws while rows come in; a stream that waits for its
        // next packet (a pipe, a live capture) is drawn at the tick.
        let wait = if more || (!app.loaded() && (got || worker.feed.is_none())) {
            Duration::from_millis(15)
        } else {
            TICK
        };
        if event::poll(wait)? {
            // Take every pending event before drawing again.
            loop {
                match event::read()? {
                    Event::Key(k) => app.handle_key(k),
                    Event::Mouse(m) => app.handle_mouse(m),
                    Event::Resize(w, h) => app.resize(w, h),
                    _ => {}
                }
                if app.should_quit() || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        if app.should_quit() {
            return Ok(Ended::Quit);
        }
    }
}
