//! The listing's plan: the flags checked against each other and turned
//! into what `cli::list_with` is told (formats, columns, colours), and the
//! refusal of words past the capture.

use super::{is_stdin, Args, ColorWhen, OutFormat};
use cephshark::analysis::stats::StatKind;
use cephshark::cli::fields::FieldsSpec;
use cephshark::cli::line::{self, LineStyle};
use cephshark::cli::{Format, Output};
use std::io::{self, IsTerminal};
use std::path::PathBuf;

/// The complaint about positional arguments past the capture a listing
/// reads (`-r FILE`, repeated for several, or `FILE`), if there are any: a
/// word is never silently ignored, least of all `verify` written after
/// the file. The terminal UI (`tui`) reads captures past the first as one
/// with it.
pub(crate) fn extra_argument(args: &Args, tui: bool) -> Option<String> {
    let read = args.read.first().map(PathBuf::as_path);
    let mut positional = args.file.iter().chain(&args.extra);
    let capture = match read {
        Some(r) => r,
        None => positional.next()?.as_path(),
    };
    let extras: Vec<&PathBuf> = positional.collect();
    let capture = capture.display();
    if extras.iter().any(|p| p.as_os_str() == "verify") {
        return Some(format!(
            "unexpected argument 'verify' after the capture {capture}: \
             to verify it, run `cephshark verify {capture}`"
        ));
    }
    if tui && read.is_none() {
        return None;
    }
    let extra = extras.first()?.display();
    Some(match read {
        Some(_) => format!(
            "unexpected argument '{extra}': -r already names the capture ({capture}); \
             to read several captures as one, give each with -r (`-r A -r B`)"
        ),
        None => format!(
            "two captures given ('{capture}' and '{extra}'): to read several captures \
             as one, give each with -r (`-r {capture} -r {extra}`)"
        ),
    })
}

/// The complaint about flags that do not go with live capture (or need
/// it), if any.
pub(crate) fn live_conflict(args: &Args) -> Option<String> {
    let Some(iface) = &args.interface else {
        return args.capture_filter.as_ref().map(|_| {
            "-f sets a capture filter for -i IFACE: a capture file is filtered with -Y".into()
        });
    };
    if let Some(p) = args.read.first().or(args.file.as_ref()) {
        return Some(format!(
            "-i {iface} and {}: cephshark reads one input, a live capture or a file",
            p.display()
        ));
    }
    match crate::parquet::pcap_out(args) {
        Some(w) if is_stdin(w) => Some(
            "-w - with -i: the capture is written to a file (-w FILE), the rows to standard output"
                .into(),
        ),
        // tshark says the same: -w saves what was captured, -Y would
        // not apply to it.
        Some(_) if args.filter.is_some() => Some(
            "-Y with -i and -w: the file gets every packet captured; choose them with a capture filter (-f)"
                .into(),
        ),
        _ => None,
    }
}

/// Everything the list command was asked to do, checked.
pub(crate) struct Plan {
    pub(crate) out: Output,
    pub(crate) stats: Vec<StatKind>,
    pub(crate) fields: Option<FieldsSpec>,
    pub(crate) quiet: bool,
    pub(crate) line: LineStyle,
}

pub(crate) fn plan(args: &Args) -> Result<Plan, String> {
    let format = match args.format {
        OutFormat::Text => Format::Text,
        OutFormat::Jsonl => Format::Jsonl,
        OutFormat::Json => Format::Json,
        OutFormat::Fields => Format::Fields,
        // The rows go to the -w file, none to the list.
        OutFormat::Parquet => Format::Text,
    };
    crate::parquet::check(args)?;
    let stats = args
        .stats
        .iter()
        .map(|s| s.parse::<StatKind>())
        .collect::<Result<Vec<_>, _>>()?;
    let fields = if format == Format::Fields {
        let mut spec = FieldsSpec::new(&args.fields)?;
        for o in &args.field_opts {
            spec.set_option(o)?;
        }
        Some(spec)
    } else if !args.field_opts.is_empty() {
        return Err("-E requires -T fields".into());
    } else if args.fields.is_empty() {
        None
    } else if matches!(format, Format::Json | Format::Jsonl) {
        // tshark's -T json -e: each row limited to the fields named.
        Some(FieldsSpec::new(&args.fields)?)
    } else {
        return Err("-e requires -T fields, json or jsonl".into());
    };
    let to_stdout = args.write.as_deref().is_some_and(is_stdin);
    if to_stdout && args.print {
        return Err("-P cannot be used with -w - (the capture goes to standard output)".into());
    }
    let quiet = args.quiet || (args.write.is_some() && !args.print);
    Ok(Plan {
        out: Output {
            format,
            verbose: args.verbose,
            hex: args.hex,
        },
        stats,
        fields,
        quiet,
        line: line_style(args)?,
    })
}

/// `--color`: `always` colours (NO_COLOR notwithstanding: a flag is the
/// user's own word, no-color.org), `never` does not, `auto` colours a
/// terminal unless NO_COLOR is set to something.
fn colored(when: ColorWhen) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => !no_color && io::stdout().is_terminal(),
    }
}

/// The text line: `-t`, the columns (`--columns`, else the last
/// `-o gui.column.format`), `--color`.
fn line_style(args: &Args) -> Result<LineStyle, String> {
    let gui = args
        .prefs
        .iter()
        .filter_map(|p| p.strip_prefix("gui.column.format:"))
        .next_back();
    let columns = match (&args.columns, gui) {
        (Some(list), _) => line::parse_columns(list)?,
        (None, Some(fmt)) => line::parse_gui_columns(fmt).map_err(|e| format!("-o {e}"))?,
        (None, None) if args.read.len() > 1 => line::merged_columns(),
        (None, None) => line::DEFAULT_COLUMNS.to_vec(),
    };
    Ok(LineStyle {
        time: args.time_format.unwrap_or_default(),
        columns,
        color: colored(args.color),
    })
}
