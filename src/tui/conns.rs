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
    /// Entity names, `client.4112 → osd.0` (each side's address while its
    /// name is not known).
    pub entities: String,
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
            let mode = if s.msgr1 {
                "msgr1"
            } else if s.not_msgr2 {
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
                entities: {
                    let [c, v] = &s.names;
                    let c = c.clone().unwrap_or_else(|| s.client.to_string());
                    let v = v.clone().unwrap_or_else(|| s.server.to_string());
                    crate::model::escape(&format!("{c} → {v}")).into_owned()
                },
                mode: mode.to_string(),
                rev: if s.msgr1 {
                    "1".to_string()
                } else {
                    s.rev.map_or("?", |r| r.as_str()).to_string()
                },
                frames: s.frames.iter().sum(),
                bytes: s.bytes.iter().sum(),
                problems: s.faulty,
                keys: keys.to_string(),
                compression: s.compression.map_or_else(|| "-".to_string(), |d| d.text()),
            }
        })
        .collect()
}

/// Width of every column but the names and addresses: `Conn  `, the gap
/// after the names, mode, rev, compression, frames, bytes, problems and
/// keys.
const FIXED_W: usize = 6 + 2 + 9 + 1 + 3 + 1 + 6 + 1 + 6 + 1 + 8 + 1 + 5 + 2 + 9;

/// `s` cut to `w` characters, an ellipsis marking the cut.
fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
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
    // Entity names always; the addresses too when the width allows.
    let ent_w = all
        .iter()
        .map(|c| c.entities.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let ep_w = all
        .iter()
        .map(|c| c.endpoints.chars().count())
        .max()
        .unwrap_or(15)
        .max(15);
    let width = usize::from(body.width);
    let addrs = width >= FIXED_W + ent_w + 2 + ep_w;
    let ent_w = if addrs {
        ent_w
    } else {
        ent_w.min(width.saturating_sub(FIXED_W)).max(8)
    };
    let mut header = format!("{:>4}  {:<ent_w$}  ", "Conn", "Entities");
    if addrs {
        header.push_str(&format!("{:<ep_w$}  ", "Client → Server"));
    }
    header.push_str(&format!(
        "{:<9} {:>3} {:<6} {:>6} {:>8} {:>5}  Keys",
        "Mode", "Rev", "Compr", "Frames", "Bytes", "Probs"
    ));
    let mut out = vec![Line::styled(header, t.header)];
    for (i, c) in all.iter().enumerate().skip(top).take(h) {
        let mut text = format!("{:>4}  {:<ent_w$}  ", c.conn.0, fit(&c.entities, ent_w));
        if addrs {
            text.push_str(&format!("{:<ep_w$}  ", c.endpoints));
        }
        text.push_str(&format!(
            "{:<9} {:>3} {:<6} {:>6} {:>8} {:>5}  {}",
            c.mode,
            c.rev,
            c.compression,
            c.frames,
            human(c.bytes),
            c.problems,
            c.keys
        ));
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
