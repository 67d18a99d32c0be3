//! The details pane: the selected row's field tree, one line per visible
//! node (`▸` closed, `▾` open), the selected field's abbrev and byte range
//! in the title.

use crate::model::{Escaped, FieldNode, Value};
use crate::tui::app::{App, Pane};
use crate::tui::details::scroll_to;
use crate::tui::ui::title_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Whether a node reports something wrong (a problem, or a bad check).
fn is_bad(n: &FieldNode) -> bool {
    let abbrev = n.def.abbrev;
    match &n.value {
        Value::Str(s) if abbrev.ends_with(".status") => s == "bad",
        Value::Str(_) => abbrev == "msgr2.problem",
        _ => false,
    }
}

/// Draw the details pane.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let d = &app.details;
    let focused = app.focus == Pane::Tree;
    let title = match d.number {
        Some(n) => format!("Details of frame {n}"),
        None => "Details".to_string(),
    };
    let right = match d.selected() {
        Some(n) => match &n.span {
            Some(s) => format!("{} [{}..{}]", n.def.abbrev, s.range.start, s.range.end),
            None => format!("{} [generated]", n.def.abbrev),
        },
        None => String::new(),
    };
    title_line(area, buf, app, &title, &right, focused);
    if area.height < 2 {
        return;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let h = usize::from(body.height);
    let top = scroll_to(d.top, d.cursor, h);
    let mut lines = Vec::new();
    for (i, l) in d.lines.iter().enumerate().skip(top).take(h) {
        let Some(node) = d.node(i) else { continue };
        let marker = match (l.has_children, l.open) {
            (true, true) => "▾ ",
            (true, false) => "▸ ",
            _ => "  ",
        };
        let pad = "  ".repeat(l.depth);
        let style = if is_bad(node) { t.error } else { t.base };
        let mut spans = vec![Span::styled(
            format!("{pad}{marker}{}", Escaped(&node.to_string())),
            style,
        )];
        if node.span.is_none() && !matches!(node.value, Value::None) {
            spans.push(Span::styled(" [generated]", t.dim));
        }
        let mut line = Line::from(spans);
        if i == d.cursor {
            let w = line.width();
            line.spans.push(Span::raw(
                " ".repeat(usize::from(body.width).saturating_sub(w)),
            ));
            line = line.style(if focused { t.selected } else { t.selected_idle });
        }
        lines.push(line);
    }
    if d.lines.is_empty() {
        lines.push(Line::styled("  (no frame selected)", t.dim));
    }
    Paragraph::new(lines).render(body, buf);
}
