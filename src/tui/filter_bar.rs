//! The input line (shared by the filter bar, the search prompt and the
//! go-to prompt) and the display filter bar: the filter is parsed on every
//! keystroke, the bar is green while the text parses and red with the error
//! column marked while it does not; Enter applies, Esc leaves, Up and Down
//! walk the history of applied filters.

use super::keys::Action;
use super::theme::Theme;
use crate::filter::Filter;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// A one-line text editor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// The text.
    pub text: String,
    /// Cursor, in characters.
    pub cursor: usize,
}

impl Input {
    /// An input holding `text`, cursor at its end.
    pub fn with(text: &str) -> Input {
        Input {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, ch: usize) -> usize {
        self.text
            .char_indices()
            .nth(ch)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Insert a character at the cursor.
    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// Apply an editing action; returns whether the text changed.
    pub fn edit(&mut self, a: Action) -> bool {
        let len = self.text.chars().count();
        match a {
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(len),
            Action::First => self.cursor = 0,
            Action::Last => self.cursor = len,
            Action::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                return true;
            }
            Action::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                return true;
            }
            Action::ClearLine => {
                self.text.clear();
                self.cursor = 0;
                return true;
            }
            _ => {}
        }
        false
    }
}

/// Whether the text being typed parses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Validity {
    /// Empty: applying it clears the filter.
    #[default]
    Empty,
    /// It parses.
    Valid,
    /// It does not: 1-based column and message.
    Invalid(usize, String),
}

/// Parse a filter; `Ok(None)` for blank text.
pub fn compile(text: &str) -> Result<Option<Filter>, (usize, String)> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Filter::parse(text)
        .map(Some)
        .map_err(|e| (e.column, e.message.clone()))
}

/// The display filter bar.
#[derive(Debug, Default)]
pub struct FilterBar {
    /// Being edited.
    pub editing: bool,
    /// The text being edited.
    pub input: Input,
    /// Whether it parses.
    pub validity: Validity,
    /// Text of the filter in force ("" for none).
    pub applied: String,
    history: Vec<String>,
    /// Position in the history while walking it.
    hist: Option<usize>,
}

impl FilterBar {
    /// Start editing, from the filter in force.
    pub fn begin(&mut self) {
        self.editing = true;
        self.input = Input::with(&self.applied);
        self.hist = None;
        self.validate();
    }

    fn validate(&mut self) {
        self.validity = match compile(&self.input.text) {
            Ok(None) => Validity::Empty,
            Ok(Some(_)) => Validity::Valid,
            Err((col, msg)) => Validity::Invalid(col, msg),
        };
    }

    /// Type a character.
    pub fn insert(&mut self, c: char) {
        self.input.insert(c);
        self.validate();
    }

    /// Apply an editing or history action.
    pub fn edit(&mut self, a: Action) {
        match a {
            Action::HistoryPrev | Action::HistoryNext => {
                if self.history.is_empty() {
                    return;
                }
                let last = self.history.len() - 1;
                self.hist = match (a, self.hist) {
                    (Action::HistoryPrev, None) => Some(last),
                    (Action::HistoryPrev, Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i < last => Some(i + 1),
                    _ => None,
                };
                let text = self
                    .hist
                    .and_then(|i| self.history.get(i))
                    .cloned()
                    .unwrap_or_default();
                self.input = Input::with(&text);
            }
            other => {
                if !self.input.edit(other) {
                    return;
                }
            }
        }
        self.validate();
    }

    /// Enter: the filter to apply (`Ok(None)` clears it), or the parse
    /// error, in which case editing goes on.
    pub fn submit(&mut self) -> Result<Option<Filter>, (usize, String)> {
        let f = compile(&self.input.text)?;
        self.set_applied(&self.input.text.clone());
        self.editing = false;
        Ok(f)
    }

    /// Record `text` as the filter in force (and in the history).
    pub fn set_applied(&mut self, text: &str) {
        let text = text.trim().to_string();
        if !text.is_empty() {
            self.history.retain(|h| *h != text);
            self.history.push(text.clone());
        }
        self.applied = text;
    }

    /// Esc: leave, keeping the filter in force.
    pub fn cancel(&mut self) {
        self.editing = false;
        self.input = Input::with(&self.applied);
        self.validate();
    }

    /// Applied filters, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Draw the bar; returns where the terminal cursor goes while editing.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) -> Option<(u16, u16)> {
        let label = "Filter: ";
        let label_w = label.len() as u16;
        let mut spans = vec![Span::styled(label, theme.title_focused)];
        if !self.editing {
            if self.applied.is_empty() {
                spans.push(Span::styled("(none; press / to filter)", theme.dim));
            } else {
                spans.push(Span::styled(
                    crate::model::escape(&self.applied),
                    theme.base.add_modifier(Modifier::BOLD),
                ));
            }
            Paragraph::new(Line::from(spans)).render(area, buf);
            return None;
        }
        let style = match &self.validity {
            Validity::Empty => theme.base,
            Validity::Valid => theme.filter_ok,
            Validity::Invalid(..) => theme.filter_err,
        };
        let text_w = area.width.saturating_sub(label_w);
        // Scroll the text so the cursor stays visible.
        let skip = self
            .input
            .cursor
            .saturating_sub(usize::from(text_w.saturating_sub(1)));
        let err_col = match &self.validity {
            Validity::Invalid(col, _) => Some(col.saturating_sub(1)),
            _ => None,
        };
        let mut chars: Vec<Span> = Vec::new();
        let count = self.input.text.chars().count();
        for (i, c) in self.input.text.chars().enumerate().skip(skip) {
            let s = if Some(i) == err_col {
                style.add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
            } else {
                style
            };
            // One cell per character keeps the cursor in place: a
            // control character being edited shows as U+FFFD.
            chars.push(Span::styled(crate::tui::ui::one_cell(c), s));
        }
        // Pad the coloured field to the width of the bar.
        let shown = count.saturating_sub(skip);
        let pad = usize::from(text_w).saturating_sub(shown);
        if err_col.is_some_and(|c| c >= count) {
            // The error is at the end of the text: mark the place.
            chars.push(Span::styled(" ", style.add_modifier(Modifier::UNDERLINED)));
            chars.push(Span::styled(" ".repeat(pad.saturating_sub(1)), style));
        } else {
            chars.push(Span::styled(" ".repeat(pad), style));
        }
        spans.extend(chars);
        Paragraph::new(Line::from(spans)).render(area, buf);
        let x = area.x + label_w + u16::try_from(self.input.cursor - skip).unwrap_or(0);
        Some((x.min(area.right().saturating_sub(1)), area.y))
    }
}
