//! Screen layout and drawing from `&App`: the filter bar on top, the three
//! panes (or the connections or follow view), the status bar and the hint
//! line at the bottom, and the help overlay over everything.
//!
//! ```text
//!  Filter: ceph.msg.type == 42
//!  ─ Frames ──────────────────────────────  list (virtual: visible rows only)
//!  ─ Details ─────────────────────────────  tree of the selected row
//!  ─ Bytes ───────────────────────────────  hex + ASCII, field highlighted
//!  file │ 12/513 shown │ 1 problem │ ...     status bar
//!  ? help  / filter  ...                     hints, or the last message
//! ```

use super::app::{App, Mode, Pane};
use super::keys::{labels, Action, Scope};
use super::{conns, follow, help, panes};
use crate::model::{escape, Escaped};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui::Frame;

/// Where everything goes on the screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    /// The whole screen.
    pub screen: Rect,
    /// The filter bar (or prompt).
    pub filter: Rect,
    /// Between the filter bar and the status bar.
    pub body: Rect,
    /// List, tree and hex panes (empty when zoomed away).
    pub panes: [Rect; 3],
    /// Status bar.
    pub status: Rect,
    /// Hint or message line.
    pub hint: Rect,
}

/// Lay out a screen of `area`; `zoom` gives one pane the whole body.
pub fn layout(area: Rect, zoom: Option<Pane>, weights: [u16; 3]) -> Areas {
    let [filter, body, status, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let panes = match zoom {
        Some(p) => {
            let mut a = [Rect::default(); 3];
            if let Some(r) = a.get_mut(p.index()) {
                *r = body;
            }
            a
        }
        None => Layout::vertical(weights.map(Constraint::Fill)).areas(body),
    };
    Areas {
        screen: area,
        filter,
        body,
        panes,
        status,
        hint,
    }
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    let zoom = app.zoom.then_some(app.focus);
    let a = layout(f.area(), zoom, app.weights);
    let buf = f.buffer_mut();
    let cursor = match app.mode {
        Mode::Search => prompt(buf, a.filter, app, "Search: "),
        Mode::Goto => prompt(buf, a.filter, app, "Go to frame: "),
        _ => app.bar.render(a.filter, buf, &app.theme),
    };
    match app.mode {
        Mode::Conns => conns::render(app, a.body, buf),
        Mode::Follow => follow::render(app, a.body, buf),
        _ => {
            let [list, tree, hex] = a.panes;
            if !list.is_empty() {
                panes::list::render(app, list, buf);
            }
            if !tree.is_empty() {
                panes::tree::render(app, tree, buf);
            }
            if !hex.is_empty() {
                panes::hex::render(app, hex, buf);
            }
        }
    }
    status_bar(app, a.status, buf);
    hint_line(app, a.hint, buf);
    if app.mode == Mode::Help {
        help::render(app, a.body, buf);
    }
    no_raw_controls(buf);
    if let Some(pos) = cursor {
        f.set_cursor_position(pos);
    }
}

/// The last guard: the views escape what they show, and any control or
/// bidi character that still reached a cell becomes U+FFFD rather than a
/// byte sent to the terminal.
pub fn no_raw_controls(buf: &mut Buffer) {
    for cell in &mut buf.content {
        if cell.symbol().contains(crate::model::escape::needs_escape) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

/// A character of text being edited, in one cell: controls and bidi
/// characters as U+FFFD, so that the cursor stays where it is counted.
pub fn one_cell(c: char) -> String {
    if crate::model::escape::needs_escape(c) {
        '\u{fffd}'.to_string()
    } else {
        c.to_string()
    }
}

fn prompt(buf: &mut Buffer, area: Rect, app: &App, label: &str) -> Option<(u16, u16)> {
    let t = &app.theme;
    let line = Line::from(vec![
        Span::styled(label.to_string(), t.title_focused),
        Span::raw(app.prompt.text.chars().map(one_cell).collect::<String>()),
    ]);
    Paragraph::new(line).render(area, buf);
    let x = area.x + u16::try_from(label.len() + app.prompt.cursor).unwrap_or(u16::MAX);
    Some((x.min(area.right().saturating_sub(1)), area.y))
}

/// `1.5 MB` style sizes.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = "kB";
    for u in UNITS.iter().skip(1) {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

fn status_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut parts: Vec<String> = vec![app.name.clone()];
    let total = app.rows.len();
    if app.bar.applied.is_empty() {
        parts.push(format!("{total} frames"));
    } else {
        parts.push(format!("{}/{total} shown", app.shown.len()));
    }
    let p = app.rows.problems;
    parts.push(format!("{p} problem{}", if p == 1 { "" } else { "s" }));
    let (opened, secure) = app.rows.secure_counts();
    if secure > 0 {
        parts.push(format!("secure {opened}/{secure} decrypted"));
    }
    let progress = if !app.loading.done && app.loading.live {
        format!("capturing {}", human(app.loading.read))
    } else if !app.loading.done {
        match app.loading.total {
            Some(tot) if tot > 0 => {
                format!("reading {}%", app.loading.read.saturating_mul(100) / tot)
            }
            _ => format!("reading {}", human(app.loading.read)),
        }
    } else if app.filtering() {
        "filtering".to_string()
    } else {
        "loaded".to_string()
    };
    parts.push(progress);
    if !app.bar.applied.is_empty() {
        parts.push(format!("filter: {}", Escaped(&app.bar.applied)));
    }
    let text = format!(" {}", parts.join(" │ "));
    let pad = usize::from(area.width).saturating_sub(text.chars().count());
    Paragraph::new(Line::from(format!("{text}{}", " ".repeat(pad))).style(t.status))
        .render(area, buf);
}

/// The selected row's worst problem in words (`segment_crc_bad in
/// msgr2.segment.crc: expected 0x…, found 0x…`), with how many others it
/// has; `None` when the row has no problem worth a warning.
pub fn problem_text(app: &App) -> Option<(String, usize)> {
    let row = app.selected_row().filter(|r| r.level.is_problem())?;
    let all = row.record.problems();
    let p = super::nav::worst_problem(&all)?;
    let mut text = format!("{} in {}", p.kind.name(), p.field);
    match (p.expected.is_empty(), p.found.is_empty()) {
        (false, false) => text.push_str(&format!(": expected {}, found {}", p.expected, p.found)),
        (true, false) => text.push_str(&format!(": {}", p.found)),
        (false, true) => text.push_str(&format!(": expected {}", p.expected)),
        (true, true) => {}
    }
    Some((escape(&text).into_owned(), all.len().saturating_sub(1)))
}

fn hint(spans: &mut Vec<Span<'static>>, app: &App, keys: String, what: &str) {
    spans.push(Span::styled(keys, app.theme.key));
    spans.push(Span::styled(format!(" {what}  "), app.theme.base));
}

fn hint_line(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if let Some(m) = &app.message {
        let style = if m.error { t.message_err } else { t.base };
        Paragraph::new(Line::styled(escape(&m.text).into_owned(), style)).render(area, buf);
        return;
    }
    let mut s: Vec<Span<'static>> = Vec::new();
    let m = |a| labels(Scope::Main, a);
    let i = |a| labels(Scope::Input, a);
    match app.mode {
        Mode::Filter => {
            if let super::filter_bar::Validity::Invalid(col, msg) = &app.bar.validity {
                s.push(Span::styled(
                    format!("column {col}: {}", Escaped(msg)),
                    t.message_err,
                ));
                s.push(Span::raw("  "));
            }
            hint(&mut s, app, i(Action::Enter), "apply");
            hint(&mut s, app, i(Action::Cancel), "cancel");
            hint(
                &mut s,
                app,
                format!("{}/{}", i(Action::HistoryPrev), i(Action::HistoryNext)),
                "history",
            );
        }
        Mode::Search | Mode::Goto => {
            hint(&mut s, app, i(Action::Enter), "go");
            hint(&mut s, app, i(Action::Cancel), "cancel");
        }
        Mode::Help => hint(
            &mut s,
            app,
            labels(Scope::Global, Action::Help),
            "close help",
        ),
        Mode::Conns | Mode::Follow => {
            let v = |a| labels(Scope::View, a);
            let what = if app.mode == Mode::Conns {
                "filter on it"
            } else {
                "go to frame"
            };
            hint(&mut s, app, v(Action::Enter), what);
            if app.mode == Mode::Conns {
                hint(&mut s, app, labels(Scope::View, Action::Follow), "follow");
            }
            hint(&mut s, app, v(Action::Cancel), "back");
            hint(&mut s, app, labels(Scope::Global, Action::Help), "help");
            hint(&mut s, app, labels(Scope::Global, Action::Quit), "quit");
        }
        Mode::Normal if problem_text(app).is_some() => {
            // The selected row's problem, in words, before the keys.
            let (text, more) = problem_text(app).unwrap_or_default();
            let style = match app.selected_row().map(|r| r.level) {
                Some(super::rows::Level::Error) => t.message_err,
                _ => t.key,
            };
            s.push(Span::styled(text, style));
            if more > 0 {
                s.push(Span::styled(format!(" (+{more} more)"), t.base));
            }
            s.push(Span::raw("  "));
            hint(&mut s, app, "n/N".into(), "problems");
            hint(&mut s, app, labels(Scope::Global, Action::Help), "help");
            hint(&mut s, app, labels(Scope::Global, Action::Quit), "quit");
        }
        Mode::Normal => {
            hint(&mut s, app, labels(Scope::Global, Action::Help), "help");
            hint(&mut s, app, m(Action::Filter), "filter");
            if let Some(text) = &app.search {
                hint(&mut s, app, "n/N".into(), &format!("next/prev \"{text}\""));
            } else {
                hint(&mut s, app, "n/N".into(), "problems");
            }
            hint(&mut s, app, m(Action::Search), "search");
            hint(&mut s, app, m(Action::Goto), "go to");
            hint(&mut s, app, m(Action::MatchPair), "match");
            hint(&mut s, app, m(Action::Conns), "conns");
            hint(&mut s, app, m(Action::Follow), "follow");
            hint(&mut s, app, "Tab".into(), "pane");
            hint(&mut s, app, m(Action::Zoom), "zoom");
            hint(&mut s, app, labels(Scope::Global, Action::Quit), "quit");
        }
    }
    Paragraph::new(Line::from(s)).render(area, buf);
}

/// A pane's title line: `─ Title ───…`, highlighted when focused.
pub fn title_line(
    area: Rect,
    buf: &mut Buffer,
    app: &App,
    title: &str,
    right: &str,
    focused: bool,
) {
    let t = &app.theme;
    let style = if focused { t.title_focused } else { t.title };
    let w = usize::from(area.width);
    let left = format!("─ {title} ");
    let right = if right.is_empty() {
        String::new()
    } else {
        format!(" {right} ─")
    };
    let used = left.chars().count() + right.chars().count();
    let fill = "─".repeat(w.saturating_sub(used));
    let line = Line::from(vec![
        Span::styled(left, style),
        Span::styled(fill, t.dim),
        Span::styled(right, style),
    ]);
    Paragraph::new(line).render(Rect { height: 1, ..area }, buf);
}
