//! The follow view: one connection's rows as a sequence diagram, the
//! client on the left, the server on the right, an arrow per row in the
//! direction it travelled:
//!
//! ```text
//!   No.       Time │ 127.0.0.1:53056 (client)        127.0.0.1:43701 (server) │
//!    68   0.022542 │ MESSAGE osd_op seq=1 tid=1 ─────────────────────────────▶ │
//!    69   0.023179 │ ◀──────────────────────── MESSAGE osd_op_reply seq=1 tid=1 │
//! ```
//!
//! Enter goes to the selected row in the main list.

use super::app::App;
use super::details::scroll_to;
use super::rows::{Level, Row};
use super::ui::title_line;
use crate::analysis::Record;
use crate::model::escape;
use crate::tcp::{ConnId, Direction};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// View state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowView {
    /// The connection followed.
    pub conn: Option<ConnId>,
    /// Positions (in the app's rows) of its rows.
    pub rows: Vec<usize>,
    /// Selected line.
    pub sel: usize,
    /// First line shown.
    pub top: usize,
}

impl FollowView {
    /// Follow `conn`, selecting the row at position `at` when it is one of its rows.
    pub fn open(&mut self, app_rows: &super::rows::Rows, conn: ConnId, at: Option<usize>) {
        self.conn = Some(conn);
        self.rows = app_rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.record.conn == conn)
            .map(|(i, _)| i)
            .collect();
        self.sel = at
            .and_then(|p| self.rows.binary_search(&p).ok())
            .unwrap_or(0);
        self.top = 0;
    }
}

/// What the arrow of a row says.
pub fn label(r: &Record) -> String {
    let mut s = r.tag_name();
    if let Some(h) = &r.msg {
        s.push_str(&format!(
            " {} seq={} tid={}",
            crate::decode::MsgType(h.msg_type).display_name(),
            h.seq,
            h.tid
        ));
    }
    s
}

fn arrow(row: &Row, width: usize) -> String {
    let r = &row.record;
    let mut text = label(r);
    if row.level != Level::Ok {
        text.push_str(&format!(" [{}]", r.status()));
    }
    // A frame out of place on the ladder: the state it met and what that
    // state expected.
    if let Some(p) = r.problems().into_iter().find(|p| {
        matches!(
            p.kind,
            crate::model::ProblemKind::UnexpectedFrame | crate::model::ProblemKind::WrongSide
        )
    }) {
        text.push_str(&format!(" ✗ expected {}", p.expected));
    }
    let text = escape(&text);
    let room = width.saturating_sub(4);
    let text: String = text.chars().take(room).collect();
    let fill = "─".repeat(width.saturating_sub(text.chars().count() + 2));
    match r.dir {
        Direction::ClientToServer => format!("{text} {fill}▶"),
        Direction::ServerToClient => format!("◀{fill} {text}"),
    }
}

/// Draw the view.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let v = &app.follow;
    let Some(conn) = v.conn else { return };
    let (client, server) = match app.summary.conns.get(&conn) {
        Some(s) => (s.client.to_string(), s.server.to_string()),
        None => ("client".to_string(), "server".to_string()),
    };
    title_line(
        area,
        buf,
        app,
        &format!("Follow connection {conn} ({} rows)", v.rows.len()),
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
    let sel = v.sel.min(v.rows.len().saturating_sub(1));
    let top = scroll_to(v.top, sel, h);
    let num_w = v
        .rows
        .last()
        .and_then(|&i| app.rows.get(i))
        .map_or(3, |r| r.record.number.to_string().len())
        .max(3);
    let prefix_w = num_w + 1 + 10 + 1;
    let diagram = usize::from(body.width).saturating_sub(prefix_w + 4);
    let left = format!("{client} (client)");
    let right = format!("{server} (server)");
    let gap = diagram.saturating_sub(left.chars().count() + right.chars().count());
    let header = format!(
        "{:>num_w$} {:>10} │ {left}{}{right} │",
        "No.",
        "Time",
        " ".repeat(gap)
    );
    let mut out = vec![Line::styled(header, t.header)];
    let origin = app.origin().as_f64();
    for (i, &p) in v.rows.iter().enumerate().skip(top).take(h) {
        let Some(row) = app.rows.get(p) else { continue };
        let r = &row.record;
        let prefix = format!("{:>num_w$} {:>10.6} │ ", r.number, r.ts.as_f64() - origin);
        let dir_style = match r.dir {
            Direction::ClientToServer => t.c2s,
            Direction::ServerToClient => t.s2c,
        };
        let style = match row.level {
            Level::Error => t.error,
            Level::Warning => t.warning,
            _ => dir_style,
        };
        let a = arrow(row, diagram);
        let pad = " ".repeat(diagram.saturating_sub(a.chars().count()));
        let mut line = Line::from(vec![
            Span::styled(prefix, t.base),
            Span::styled(a, style),
            Span::raw(pad),
            Span::styled(" │", t.base),
        ]);
        if i == sel {
            line = line.style(t.selected);
        }
        out.push(line);
    }
    Paragraph::new(out).render(body, buf);
}
