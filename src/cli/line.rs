//! The text list's line, as the user shapes it: the time format (`-t`),
//! the columns (`--columns`, `-o gui.column.format`) and the colours
//! (`--color`).
//!
//! ```text
//!  -t a     time of day, local           23:04:31.123456
//!  -t ad    date and time, local         2026-12-01 23:04:31.123456
//!  -t adoy  year/day of year, local      2026/335 23:04:31.123456
//!  -t r     since the first packet       0.000119      (the default)
//!  -t d     since the previous row       0.000138
//!  -t dd    since the previous shown row 0.000138
//!  -t e     since the epoch              1764630271.123456
//!  -t u, ud, udoy                        as a, ad, adoy, in UTC
//! ```
//!
//! Times print with six decimals (microseconds, truncated), as tshark
//! prints a microsecond capture.

use crate::analysis::{Record, RecordKind};
use crate::capture::Timestamp;
use crate::model::palette::{self, Paint};
use crate::model::{Escaped, ProblemKind, Severity};
use chrono::{DateTime, Local, Utc};
use std::io::{self, Write};
use std::str::FromStr;

/// How the time column reads (tshark's `-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `a`: time of day, local time.
    Absolute,
    /// `ad`: date and time of day, local time.
    AbsoluteDate,
    /// `adoy`: year, day of year and time of day, local time.
    AbsoluteDoy,
    /// `r`: seconds since the first packet of the capture.
    #[default]
    Relative,
    /// `d`: seconds since the previous row (shown or not).
    Delta,
    /// `dd`: seconds since the previous row shown.
    DeltaDisplayed,
    /// `e`: seconds since the Unix epoch.
    Epoch,
    /// `u`: time of day, UTC.
    Utc,
    /// `ud`: date and time of day, UTC.
    UtcDate,
    /// `udoy`: year, day of year and time of day, UTC.
    UtcDoy,
}

impl TimeFormat {
    /// Every format with its `-t` name.
    pub const ALL: [(&'static str, TimeFormat); 10] = [
        ("a", TimeFormat::Absolute),
        ("ad", TimeFormat::AbsoluteDate),
        ("adoy", TimeFormat::AbsoluteDoy),
        ("r", TimeFormat::Relative),
        ("d", TimeFormat::Delta),
        ("dd", TimeFormat::DeltaDisplayed),
        ("e", TimeFormat::Epoch),
        ("u", TimeFormat::Utc),
        ("ud", TimeFormat::UtcDate),
        ("udoy", TimeFormat::UtcDoy),
    ];
}

impl FromStr for TimeFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TimeFormat::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                format!(
                    "-t {s}: unknown time format (known: a, ad, adoy, r, d, dd, e, u, ud, udoy)"
                )
            })
    }
}

/// Signed seconds `to - from`, six decimals, truncated toward zero.
fn delta(to: Timestamp, from: Timestamp) -> String {
    let ns = |t: Timestamp| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
    let d = ns(to) - ns(from);
    let sign = if d < 0 { "-" } else { "" };
    let d = d.unsigned_abs();
    format!(
        "{sign}{}.{:06}",
        d / 1_000_000_000,
        d % 1_000_000_000 / 1000
    )
}

/// A time of day (with the date, or year and day of year) in `tz`.
fn wall<Tz: chrono::TimeZone>(t: Timestamp, tz: &Tz, date: Option<&str>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let Some(utc) = DateTime::<Utc>::from_timestamp(t.secs, t.nanos.min(999_999_999)) else {
        return format!("{}.{:06}", t.secs, t.nanos / 1000);
    };
    let local = utc.with_timezone(tz);
    let clock = format!("{}.{:06}", local.format("%H:%M:%S"), t.nanos / 1000);
    match date {
        Some(d) => format!("{} {clock}", local.format(d)),
        None => clock,
    }
}

/// The times a pass has seen, for the relative and delta formats.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// First packet of the capture.
    pub origin: Timestamp,
    /// Previous row, shown or not.
    pub prev: Option<Timestamp>,
    /// Previous row shown.
    pub prev_shown: Option<Timestamp>,
}

impl Clock {
    /// The time column of a row at `t` in `format`.
    pub fn show(&self, t: Timestamp, format: TimeFormat) -> String {
        match format {
            TimeFormat::Relative => delta(t, self.origin),
            TimeFormat::Delta => delta(t, self.prev.unwrap_or(t)),
            TimeFormat::DeltaDisplayed => delta(t, self.prev_shown.unwrap_or(t)),
            TimeFormat::Epoch => delta(t, Timestamp::default()),
            TimeFormat::Absolute => wall(t, &Local, None),
            TimeFormat::AbsoluteDate => wall(t, &Local, Some("%Y-%m-%d")),
            TimeFormat::AbsoluteDoy => wall(t, &Local, Some("%Y/%j")),
            TimeFormat::Utc => wall(t, &Utc, None),
            TimeFormat::UtcDate => wall(t, &Utc, Some("%Y-%m-%d")),
            TimeFormat::UtcDoy => wall(t, &Utc, Some("%Y/%j")),
        }
    }
}

/// A column of the text list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Row number.
    Number,
    /// Time, in `-t`'s format or a format of its own.
    Time(Option<TimeFormat>),
    /// Sender ip:port.
    Src,
    /// Receiver ip:port.
    Dst,
    /// Connection index.
    Conn,
    /// Tag (or the kind of a row that is not a frame).
    Tag,
    /// What the row carries.
    Info,
    /// `[ok]` or the problems' names.
    Status,
    /// With several captures: the ones the row's packets came from.
    File,
}

/// The default columns, in order.
pub const DEFAULT_COLUMNS: [Column; 8] = [
    Column::Number,
    Column::Time(None),
    Column::Src,
    Column::Dst,
    Column::Conn,
    Column::Tag,
    Column::Info,
    Column::Status,
];

/// The default columns for several captures read as one: the file
/// after the time.
pub fn merged_columns() -> Vec<Column> {
    let mut cols = DEFAULT_COLUMNS.to_vec();
    cols.insert(2, Column::File);
    cols
}

/// The names `--columns` takes.
pub const COLUMN_NAMES: &str = "no, time, file, src, dst, conn, tag, info, status";

/// Parse `--columns no,time,src,...`.
pub fn parse_columns(list: &str) -> Result<Vec<Column>, String> {
    let cols = list
        .split(',')
        .map(|c| match c.trim() {
            "no" | "number" => Ok(Column::Number),
            "time" => Ok(Column::Time(None)),
            "src" => Ok(Column::Src),
            "dst" => Ok(Column::Dst),
            "conn" => Ok(Column::Conn),
            "tag" => Ok(Column::Tag),
            "info" => Ok(Column::Info),
            "status" => Ok(Column::Status),
            "file" => Ok(Column::File),
            other => Err(format!(
                "--columns: unknown column `{other}` (known: {COLUMN_NAMES})"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cols)
}

/// Parse tshark's `gui.column.format` value: quoted title and format
/// pairs, `"No.","%m","Time","%t",...`; the titles are not printed (the
/// list has no header line), the formats choose the columns.
pub fn parse_gui_columns(value: &str) -> Result<Vec<Column>, String> {
    let items: Vec<&str> = value
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    if items.len() % 2 != 0 || items.is_empty() {
        return Err("gui.column.format: expected \"Title\",\"%fmt\" pairs".into());
    }
    items
        .chunks(2)
        .filter_map(|pair| pair.get(1))
        .map(|fmt| {
            // tshark's column formats (epan/column.c); %t follows -t.
            Ok(match *fmt {
                "%m" => Column::Number,
                "%t" => Column::Time(None),
                "%At" => Column::Time(Some(TimeFormat::Absolute)),
                "%Yt" => Column::Time(Some(TimeFormat::AbsoluteDate)),
                "%YDOYt" => Column::Time(Some(TimeFormat::AbsoluteDoy)),
                "%Rt" => Column::Time(Some(TimeFormat::Relative)),
                "%Dt" => Column::Time(Some(TimeFormat::Delta)),
                "%Gt" => Column::Time(Some(TimeFormat::DeltaDisplayed)),
                "%Et" => Column::Time(Some(TimeFormat::Epoch)),
                "%Ut" => Column::Time(Some(TimeFormat::Utc)),
                "%YUt" => Column::Time(Some(TimeFormat::UtcDate)),
                "%YDOYUt" => Column::Time(Some(TimeFormat::UtcDoy)),
                "%s" | "%rs" | "%us" | "%hs" | "%uns" | "%rhs" => Column::Src,
                "%d" | "%rd" | "%ud" | "%hd" | "%und" | "%rhd" => Column::Dst,
                "%p" => Column::Tag,
                "%i" => Column::Info,
                other => {
                    return Err(format!(
                        "gui.column.format: column format `{other}` is not supported \
                         (known: %m, %t, %At, %Yt, %YDOYt, %Rt, %Dt, %Gt, %Et, %Ut, %YUt, %YDOYUt, \
                         %s, %d, %p (the tag), %i)"
                    ))
                }
            })
        })
        .collect()
}

/// How each text line is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStyle {
    /// `-t`.
    pub time: TimeFormat,
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Colour problem and secure rows (SGR escapes).
    pub color: bool,
}

impl Default for LineStyle {
    fn default() -> Self {
        LineStyle {
            time: TimeFormat::Relative,
            columns: DEFAULT_COLUMNS.to_vec(),
            color: false,
        }
    }
}

/// The colours of a row: the whole line for the worst problem (error
/// red, warning yellow, as the terminal UI's list), else the tag of a
/// decrypted secure frame (the UI's `S` mark).
fn paints(r: &Record) -> (Option<Paint>, Option<Paint>) {
    let worst = r.problems().iter().map(|p| p.kind.severity()).max();
    let line = match worst {
        Some(Severity::Error) => Some(palette::ERROR),
        Some(Severity::Warning) => Some(palette::WARNING),
        _ => None,
    };
    let tag = match &r.kind {
        RecordKind::Frame(f) if f.mode == crate::msgr2::Mode::Secure && f.decrypted => {
            Some(palette::SECURE)
        }
        RecordKind::Undecoded(p) if p.kind == ProblemKind::NoKey => Some(palette::ENCRYPTED),
        _ => None,
    };
    (line, tag)
}

impl LineStyle {
    /// Write one row's line.
    pub fn write<W: Write>(&self, w: &mut W, r: &Record, clock: &Clock) -> io::Result<()> {
        let (line_paint, tag_paint) = if self.color { paints(r) } else { (None, None) };
        let mut s = String::with_capacity(160);
        if let Some(p) = line_paint {
            s.push_str(&p.sgr());
        }
        let mut prev: Option<Column> = None;
        for col in &self.columns {
            if let Some(p) = prev {
                s.push_str(match (p, col) {
                    (Column::Src, Column::Dst) => " \u{2192} ",
                    (_, Column::Status) => "  ",
                    _ => " ",
                });
            }
            let cell = match col {
                Column::Number => format!("{:>6}", r.number),
                Column::Time(f) => format!("{:>11}", clock.show(r.ts, f.unwrap_or(self.time))),
                Column::Src => format!("{:>21}", r.src.to_string()),
                Column::Dst => format!("{:<21}", r.dst.to_string()),
                Column::Conn => format!("{:>3}", r.conn.0),
                Column::Tag => {
                    let tag = Escaped(&r.tag_name()).to_string();
                    let pad = " ".repeat(22usize.saturating_sub(tag.chars().count()));
                    match (tag_paint, line_paint) {
                        (Some(p), None) => format!("{}{tag}{}{pad}", p.sgr(), palette::RESET),
                        _ => format!("{tag}{pad}"),
                    }
                }
                Column::Info => Escaped(r.info()).to_string(),
                Column::Status => format!("[{}]", Escaped(&r.status())),
                Column::File => Escaped(&r.file_names().unwrap_or_default()).to_string(),
            };
            s.push_str(&cell);
            prev = Some(*col);
        }
        let end = s.trim_end().len();
        s.truncate(end);
        if line_paint.is_some() {
            s.push_str(palette::RESET);
        }
        s.push('\n');
        w.write_all(s.as_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(secs: i64, nanos: u32) -> Timestamp {
        Timestamp { secs, nanos }
    }

    #[test]
    fn time_formats() {
        let clock = Clock {
            origin: ts(1_700_000_000, 500_000_000),
            prev: Some(ts(1_700_000_001, 0)),
            prev_shown: Some(ts(1_700_000_002, 0)),
        };
        let t = ts(1_700_000_001, 250_123_999);
        assert_eq!(clock.show(t, TimeFormat::Relative), "0.750123");
        assert_eq!(clock.show(t, TimeFormat::Delta), "0.250123");
        assert_eq!(clock.show(t, TimeFormat::DeltaDisplayed), "-0.749876");
        assert_eq!(clock.show(t, TimeFormat::Epoch), "1700000001.250123");
        // 1700000001 s: 2023-11-14 22:13:21 UTC, day 318 of 2023.
        assert_eq!(clock.show(t, TimeFormat::Utc), "22:13:21.250123");
        assert_eq!(
            clock.show(t, TimeFormat::UtcDate),
            "2023-11-14 22:13:21.250123"
        );
        assert_eq!(
            clock.show(t, TimeFormat::UtcDoy),
            "2023/318 22:13:21.250123"
        );
        assert!("x".parse::<TimeFormat>().is_err());
        assert_eq!("dd".parse::<TimeFormat>(), Ok(TimeFormat::DeltaDisplayed));
    }

    #[test]
    fn gui_columns() {
        let cols = parse_gui_columns(r#""No.","%m","Time","%Yt","Source","%s","Info","%i""#);
        assert_eq!(
            cols,
            Ok(vec![
                Column::Number,
                Column::Time(Some(TimeFormat::AbsoluteDate)),
                Column::Src,
                Column::Info
            ])
        );
        assert!(parse_gui_columns(r#""No.""#).is_err());
        assert!(parse_gui_columns(r#""Len","%L""#).is_err());
        assert_eq!(
            parse_columns("no, tag").unwrap(),
            vec![Column::Number, Column::Tag]
        );
        assert!(parse_columns("no,len").is_err());
    }
}
