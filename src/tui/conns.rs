//! The connections view: every TCP connection of the capture with its
//! endpoints, mode (crc or secure, msgr2.0 or 2.1), compression (the
//! method COMPRESSION_DONE named, or off), frames, bytes, rows with
//! problems and key status. Enter filters the list to the selected
//! connection (`tcp.stream == N`).

use super::app::App;
use super::details::scroll_to;
use super::ui::{human, title_line};
use crate::analysis::KeyStatus;
use crate::tcp::ConnId;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// View state: the selection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnsView {
    /// Selected line.
    pub sel: usize,
    /// First line shown.
    pub top: usize,
}

/// One connection, as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLine {
    /// Connection index.
    pub conn: ConnId,
    /// `client → server`.
    pub endpoints: String,
    /// `crc`, `secure` or `not msgr2`.
    pub mode: String,
    /// `2.0`, `2.1` or `?`.
    pub rev: String,
    /// Frames, both directions.
    pub frames: u64,
    /// Wire bytes of frames, both directions.
    pub bytes: u64,
    /// Rows with a problem.
    pub problems: u64,
    /// Key status: `-`, `decrypted`, `no key`, `partly`.
    pub keys: String,
    /// Compression (COMPRESSION_DONE): the method, `off`, or `-` when none
    /// was negotiated in the capture.
    pub compression: String,
}

/// The lines of the view, in connection order.
pub fn lines(app: &App) -> Vec<ConnLine> {
    app.summary
        .conns
        .values()
        .map(|s| {
            let seen = app.rows.secure.get(&s.conn).copied().unwrap_or_default();
            let opened = seen.opened || s.keys.iter().any(|k| matches!(k, KeyStatus::Opened(_)));
            let missing = seen.no_key || s.keys.contains(&KeyStatus::Missing);
            let secure = opened || missing || s.mode == crate::msgr2::Mode::Secure;
            let mode = if s.not_msgr2 {
                "not msgr2"
            } else if secure {
                "secure"
            } else {
                "crc"
            };
            let keys = match (opened, missing) {
                (true, true) => "partly",
                (true, false) => "decrypted",
                (false, true) => "no key",
                (false, false) => "-",
            };
            ConnLine {
                conn: s.conn,
                endpoints: format!("{} → {}", s.client, s.server),
                mode: mode.to_string(),
                rev: s.rev.map_or("?", |r| r.as_str()).to_string(),
                frames: s.frames.iter().sum(),
                bytes: s.bytes.iter().sum(),
                problems: s.faulty,
                keys: keys.to_string(),
                compression: s.compression.map_or_else(|| "-".to_string(), |d| d.text()),
            }
        })
        .collect()
}

/// Draw the view.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let all = lines(app);
    title_line(
        area,
        buf,
        app,
        &format!("Connections ({})", all.len()),
        "",
        true,
    );
    if area.height < 3 {
        return;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let h = usize::from(body.height - 1);
    let sel = app.conns.sel.min(all.len().saturating_sub(1));
    let top = scroll_to(app.conns.top, sel, h);
    let ep_w = all
        .iter()
        .map(|c| c.endpoints.chars().count())
        .max()
        .unwrap_or(15)
        .max(15);
    let header = format!(
        "{:>4}  {:<ep_w$}  {:<9} {:>3} {:<6} {:>7} {:>9} {:>8}  Keys",
        "Conn", "Client → Server", "Mode", "Rev", "Compr", "Frames", "Bytes", "Problems"
    );
    let mut out = vec![Line::styled(header, t.header)];
    for (i, c) in all.iter().enumerate().skip(top).take(h) {
        let text = format!(
            "{:>4}  {:<ep_w$}  {:<9} {:>3} {:<6} {:>7} {:>9} {:>8}  {}",
            c.conn.0,
            c.endpoints,
            c.mode,
            c.rev,
            c.compression,
            c.frames,
            human(c.bytes),
            c.problems,
            c.keys
        );
        let mut style = if c.problems > 0 { t.error } else { t.base };
        if c.keys == "no key" || c.keys == "partly" {
            style = t.warning;
        }
        let mut line = Line::styled(text, style);
        if i == sel {
            let w = line.width();
            line.spans.push(ratatui::text::Span::raw(
                " ".repeat(usize::from(body.width).saturating_sub(w)),
            ));
            line = line.style(t.selected);
        }
        out.push(line);
    }
    if all.is_empty() {
        out.push(Line::styled("  (no connection yet)", t.dim));
    }
    Paragraph::new(out).render(body, buf);
}
