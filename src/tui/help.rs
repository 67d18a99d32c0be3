//! The help overlay: every binding of the key table, grouped by where it
//! applies, keys of the same action on one line. Scrolls with the moving
//! keys when it does not fit.

use super::app::App;
use super::keys::{Action, Scope, KEYS};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

const SCOPES: [Scope; 5] = [
    Scope::Global,
    Scope::Move,
    Scope::Main,
    Scope::View,
    Scope::Input,
];

/// One help line: a heading, or keys with what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A scope heading.
    Heading(&'static str),
    /// Keys (joined by `/`) and the help text.
    Keys(String, &'static str),
}

/// Every help line, from the key table.
pub fn lines() -> Vec<HelpLine> {
    let mut out = Vec::new();
    for scope in SCOPES {
        if !out.is_empty() {
            out.push(HelpLine::Heading(""));
        }
        out.push(HelpLine::Heading(scope.title()));
        let mut done: Vec<(Action, &str)> = Vec::new();
        for k in KEYS.iter().filter(|k| k.scope == scope) {
            if done.contains(&(k.action, k.help)) {
                continue;
            }
            done.push((k.action, k.help));
            let keys: Vec<&str> = KEYS
                .iter()
                .filter(|o| o.scope == scope && o.action == k.action && o.help == k.help)
                .map(|o| o.label)
                .collect();
            out.push(HelpLine::Keys(keys.join("/"), k.help));
        }
    }
    out.push(HelpLine::Heading(""));
    out.push(HelpLine::Heading(
        "Text typed in an input line is inserted at the cursor.",
    ));
    out
}

/// Draw the overlay inside `area`.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let w = area.width.saturating_sub(4).min(84);
    let h = area.height.saturating_sub(2);
    if w < 20 || h < 3 {
        return;
    }
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(" Keys (? or Esc closes, arrows scroll) ")
        .border_style(t.title_focused);
    let inner = block.inner(r);
    block.render(r, buf);
    let all = lines();
    let top = app
        .help_top
        .min(all.len().saturating_sub(usize::from(inner.height)));
    let key_w = 16;
    let out: Vec<Line> = all
        .iter()
        .skip(top)
        .take(usize::from(inner.height))
        .map(|l| match l {
            HelpLine::Heading(s) => Line::styled(*s, t.header),
            HelpLine::Keys(k, help) => Line::from(vec![
                Span::styled(format!("  {k:<key_w$}"), t.key),
                Span::styled(format!(" {help}"), t.base),
            ]),
        })
        .collect();
    Paragraph::new(out).render(inner, buf);
}
