//! When the command line opens the terminal UI, and over what: a capture
//! file, standard input (a pipe: keys then come from the terminal itself),
//! or a live capture (`-i`).

use super::{is_stdin, live, Args, OutFormat};
use cephshark::analysis::Config;
use cephshark::signals;
use cephshark::tui::{self, Ended, FeedKind, TuiOptions};
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

/// Bytes read from standard input at a time for the UI.
const STDIN_CHUNK: usize = 64 * 1024;

/// What the UI reads.
enum Input {
    File(PathBuf),
    Stdin,
    Live(String),
}

/// No flag asks for printed output: a listing flag (`-r`, `-T`, `-V`, `-z`,
/// `-c`, `-w`, ...) prints instead, as with tshark.
fn no_output_flags(args: &Args) -> bool {
    args.read.is_empty()
        && matches!(args.format, OutFormat::Text)
        && !args.verbose
        && !args.hex
        && args.stats.is_empty()
        && !args.quiet
        && args.fields.is_empty()
        && args.write.is_none()
        && args.export_streams.is_none()
        && args.export_keys.is_none()
        && args.count.is_none()
        && args.time_format.is_none()
        && args.columns.is_none()
        && !args.line_buffered
}

/// `cephshark FILE`, `cephshark -i IFACE`, and `cephshark -` or plain
/// `cephshark` with a capture piped in, on a terminal, open the UI, as
/// termshark does; `-r`, output to a pipe, or any output option prints.
fn wanted(args: &Args) -> Option<Input> {
    if !no_output_flags(args) || !io::stdout().is_terminal() {
        return None;
    }
    let stdin_tty = io::stdin().is_terminal();
    match (&args.interface, args.file.as_deref()) {
        (Some(iface), None) => Some(Input::Live(iface.clone())),
        (Some(_), Some(_)) => None,
        (None, Some(p)) if is_stdin(p) && !stdin_tty => Some(Input::Stdin),
        (None, Some(p)) if !is_stdin(p) && stdin_tty => Some(Input::File(p.to_path_buf())),
        (None, None) if !stdin_tty => Some(Input::Stdin),
        _ => None,
    }
}

/// Whether the command line opens the UI.
pub(crate) fn wanted_by(args: &Args) -> bool {
    wanted(args).is_some()
}

/// Run the UI if the command line asks for it; `None` when it does not.
pub(crate) fn run(args: &Args, cfg: &Config) -> Option<ExitCode> {
    let input = wanted(args)?;
    let mut cfg = cfg.clone();
    if cfg.threads == 0 {
        // A file is read ahead on every core by default; a stream is
        // read as it comes.
        cfg.threads = match input {
            Input::File(_) => super::input::cores(),
            Input::Stdin | Input::Live(_) => 1,
        };
    }
    let opts = |path: PathBuf| TuiOptions {
        path,
        config: cfg.clone(),
        filter: args.filter.clone(),
    };
    let mut capture = None;
    let ended = match input {
        // `cephshark A B`: several captures read as one.
        Input::File(path) => tui::run_with(opts(path), &args.extra),
        Input::Stdin => match cephshark::capture::feed_from(io::stdin(), STDIN_CHUNK) {
            Ok(feed) => tui::run_feed(opts("standard input".into()), feed, FeedKind::Pipe),
            Err(e) => Err(e.into()),
        },
        Input::Live(iface) => {
            // Quitting the UI closes the feed, which ends the capture.
            match live::start(&iface, args.capture_filter.as_deref(), None, None) {
                Ok((l, feed)) => {
                    capture = Some(l);
                    tui::run_feed(opts(iface.clone().into()), feed, FeedKind::Live(iface))
                }
                Err(e) => {
                    say!("{e:#}");
                    return Some(ExitCode::from(2));
                }
            }
        }
    };
    // The screen is back: the capture's end summary can be printed.
    let finished = capture.map_or(Ok(()), live::Live::finish);
    Some(match (ended, finished) {
        (Err(e), _) => {
            say!("{e}");
            ExitCode::from(2)
        }
        (Ok(_), Err(e)) => {
            say!("{e:#}");
            ExitCode::from(2)
        }
        (Ok(Ended::Quit), Ok(())) => ExitCode::SUCCESS,
        (Ok(Ended::Signal(s)), Ok(())) => ExitCode::from(signals::exit_status(s)),
    })
}
