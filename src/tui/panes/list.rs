//! The frame list: one line per shown row, like the CLI's list (number,
//! time, sender → receiver, connection, tag, content from
//! [`crate::analysis::info`]), coloured by the worst problem, secure frames
//! marked. It is virtual: only the rows on screen are formatted, and column
//! widths are measured on those rows only.

use crate::model::{escape, Escaped};
use crate::tcp::Direction;
use crate::tui::app::{App, Pane};
use crate::tui::rows::{Level, Row};
use crate::tui::ui::title_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Below this width the addresses give way to a direction column.
const ADDR_MIN_WIDTH: u16 = 100;
/// Below this width the time column is left out too.
const TIME_MIN_WIDTH: u16 = 60;
/// Widest tag column.
const TAG_MAX: usize = 22;

/// The content column: the CLI's info text, plus the problems when any.
pub fn content(row: &Row) -> String {
    let mut s = escape(row.record.info()).into_owned();
    if row.level != Level::Ok {
        s.push_str(&format!("  [{}]", Escaped(&row.record.status())));
    }
    s
}

/// Mark of the secure-mode column: `S` decrypted, `E` no key opens it.
fn mark(row: &Row) -> &'static str {
    if row.secure {
        "S"
    } else if row.encrypted() {
        "E"
    } else {
        " "
    }
}

/// Symbol of the problem column (shown without colour): `!` error, `?`
/// warning.
fn symbol(level: Level) -> char {
    match level {
        Level::Error => '!',
        Level::Warning => '?',
        Level::Note | Level::Ok => ' ',
    }
}

/// Draw the list pane.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let focused = app.focus == Pane::List;
    let right = if app.shown.is_empty() {
        String::new()
    } else {
        format!("{} of {}", app.sel + 1, app.shown.len())
    };
    title_line(area, buf, app, "Frames", &right, focused);
    if area.height < 2 {
        return;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let h = usize::from(body.height.saturating_sub(1));
    let top = crate::tui::details::scroll_to(app.top, app.sel, h);
    let visible: Vec<(usize, &Row)> = app
        .shown
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .filter_map(|(i, &p)| app.rows.get(p).map(|r| (i, r)))
        .collect();
    let num_w = visible
        .iter()
        .map(|(_, r)| r.record.number.to_string().len())
        .max()
        .unwrap_or(3)
        .max(3);
    let src_w = visible
        .iter()
        .map(|(_, r)| r.record.src.to_string().len())
        .max()
        .unwrap_or(6)
        .max(6);
    let dst_w = visible
        .iter()
        .map(|(_, r)| r.record.dst.to_string().len())
        .max()
        .unwrap_or(11)
        .max(11);
    let tag_w = visible
        .iter()
        .map(|(_, r)| escape(&r.record.tag_name()).len())
        .max()
        .unwrap_or(3)
        .clamp(3, TAG_MAX);
    let time = area.width >= TIME_MIN_WIDTH;
    let addrs = area.width >= ADDR_MIN_WIDTH;
    let origin = app.origin().as_f64();

    // Without colour, a symbol column marks problem rows.
    let symbols = !t.colored;
    let mut header = if symbols {
        "  ".to_string()
    } else {
        String::new()
    };
    header.push_str(&format!("{:>num_w$} ", "No."));
    if time {
        header.push_str(&format!("{:>10} ", "Time"));
    }
    if addrs {
        header.push_str(&format!(
            "{:>src_w$}   {:<dst_w$} ",
            "Source", "Destination"
        ));
    } else {
        header.push_str("Dir ");
    }
    header.push_str(&format!("{:>4}   {:<tag_w$} Content", "Conn", "Tag"));
    let mut lines = vec![Line::styled(header, t.header)];
    for (i, row) in visible {
        let r = &row.record;
        let mut text = if symbols {
            format!("{} ", symbol(row.level))
        } else {
            String::new()
        };
        text.push_str(&format!("{:>num_w$} ", r.number));
        if time {
            text.push_str(&format!("{:>10.6} ", r.ts.as_f64() - origin));
        }
        if addrs {
            text.push_str(&format!(
                "{:>src_w$} → {:<dst_w$} ",
                r.src.to_string(),
                r.dst.to_string()
            ));
        } else {
            text.push_str(match r.dir {
                Direction::ClientToServer => "c→s ",
                Direction::ServerToClient => "s→c ",
            });
        }
        text.push_str(&format!("{:>4} ", r.conn.0));
        let rest = format!(" {:<tag_w$} {}", Escaped(&r.tag_name()), content(row));
        let level_style = match row.level {
            Level::Error => t.error,
            Level::Warning => t.warning,
            Level::Note | Level::Ok => t.base,
        };
        let mark_style = if row.secure { t.secure } else { t.encrypted };
        let line = if i == app.sel {
            // The selection's colours win over the problem colours, so a
            // problem row stays readable when selected (no red on blue).
            let sel: Style = if focused { t.selected } else { t.selected_idle };
            let body_w = usize::from(body.width);
            let text = format!("{text}{}{rest}", mark(row));
            let pad = body_w.saturating_sub(Line::raw(text.as_str()).width());
            Line::styled(format!("{text}{}", " ".repeat(pad)), sel)
        } else {
            Line::from(vec![
                Span::styled(text, level_style),
                Span::styled(mark(row), mark_style),
                Span::styled(rest, level_style),
            ])
        };
        lines.push(line);
    }
    if app.shown.is_empty() {
        let why = if !app.loading.done && app.rows.is_empty() {
            "reading the capture…"
        } else if app.filtering() {
            "filtering…"
        } else if app.rows.is_empty() {
            "no msgr2 frames in this capture"
        } else {
            "no frame matches the filter"
        };
        lines.push(Line::styled(format!("  ({why})"), t.dim));
    }
    Paragraph::new(lines).render(body, buf);
}
