//! The one theme of the terminal UI: every style the panes use, in one
//! struct, in two flavours. The coloured theme is the default; when the
//! `NO_COLOR` environment variable is set to a non-empty value (see
//! no-color.org) the monochrome theme is used instead: no colours at all,
//! highlights made with reverse video, bold and underline.

use crate::model::palette::{self, Ansi, Paint};
use ratatui::style::{Color, Modifier, Style};

/// A row colour of the shared palette as a style.
fn paint(p: Paint) -> Style {
    let fg = match p.fg {
        Ansi::Red => Color::Red,
        Ansi::Yellow => Color::Yellow,
        Ansi::Blue => Color::Blue,
        Ansi::Magenta => Color::Magenta,
    };
    let s = Style::new().fg(fg);
    if p.bold {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

/// Every style the UI draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used (false under `NO_COLOR`).
    pub colored: bool,
    /// Plain text.
    pub base: Style,
    /// Rows and fields with an error-level problem.
    pub error: Style,
    /// Rows with a warning-level problem.
    pub warning: Style,
    /// Rows with only notes.
    pub note: Style,
    /// The secure-mode mark of a frame decrypted with a key.
    pub secure: Style,
    /// A secure direction no key opens.
    pub encrypted: Style,
    /// The selected line of the focused pane.
    pub selected: Style,
    /// The selected line of a pane without focus.
    pub selected_idle: Style,
    /// Title of the focused pane.
    pub title_focused: Style,
    /// Title of other panes.
    pub title: Style,
    /// Column headers.
    pub header: Style,
    /// Hex bytes of the selected field.
    pub field: Style,
    /// Hex bytes of the field's enclosing structure.
    pub layer: Style,
    /// The hex cursor.
    pub cursor: Style,
    /// Filter bar text while it parses.
    pub filter_ok: Style,
    /// Filter bar text while it does not parse.
    pub filter_err: Style,
    /// Status bar.
    pub status: Style,
    /// Less important text (generated fields, offsets).
    pub dim: Style,
    /// Client-to-server arrows.
    pub c2s: Style,
    /// Server-to-client arrows.
    pub s2c: Style,
    /// Key names in the help overlay and the hint line.
    pub key: Style,
    /// Error messages in the message line.
    pub message_err: Style,
}

impl Theme {
    /// The theme the environment asks for: monochrome when `NO_COLOR` is
    /// set and not empty, coloured otherwise.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::colored(),
        }
    }

    /// The coloured theme.
    pub fn colored() -> Theme {
        let s = Style::new();
        Theme {
            colored: true,
            base: s,
            error: paint(palette::ERROR),
            warning: paint(palette::WARNING),
            note: paint(palette::NOTE),
            secure: paint(palette::SECURE),
            encrypted: paint(palette::ENCRYPTED),
            selected: s
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            selected_idle: s.bg(Color::DarkGray).fg(Color::White),
            title_focused: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: s.fg(Color::Gray),
            header: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            field: s.bg(Color::Yellow).fg(Color::Black),
            layer: s.bg(Color::DarkGray).fg(Color::White),
            cursor: s
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            filter_ok: s.bg(Color::Green).fg(Color::Black),
            filter_err: s.bg(Color::Red).fg(Color::White),
            status: s.bg(Color::Blue).fg(Color::White),
            dim: s.fg(Color::DarkGray),
            c2s: s.fg(Color::Green),
            s2c: s.fg(Color::Cyan),
            key: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            message_err: s.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    /// The monochrome theme: attributes only, never a colour.
    pub fn mono() -> Theme {
        let s = Style::new();
        let bold = s.add_modifier(Modifier::BOLD);
        let rev = s.add_modifier(Modifier::REVERSED);
        Theme {
            colored: false,
            base: s,
            error: bold,
            warning: s.add_modifier(Modifier::UNDERLINED),
            note: s,
            secure: bold,
            encrypted: bold,
            selected: rev,
            selected_idle: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            title_focused: s.add_modifier(Modifier::BOLD | Modifier::REVERSED),
            title: bold,
            header: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            field: rev,
            layer: s.add_modifier(Modifier::UNDERLINED),
            cursor: s.add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
            filter_ok: bold,
            filter_err: rev,
            status: rev,
            dim: s.add_modifier(Modifier::DIM),
            c2s: s,
            s2c: s,
            key: bold,
            message_err: bold,
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::colored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_has_no_colour() {
        let t = Theme::mono();
        for s in [
            t.base,
            t.error,
            t.warning,
            t.note,
            t.secure,
            t.encrypted,
            t.selected,
            t.selected_idle,
            t.title_focused,
            t.title,
            t.header,
            t.field,
            t.layer,
            t.cursor,
            t.filter_ok,
            t.filter_err,
            t.status,
            t.dim,
            t.c2s,
            t.s2c,
            t.key,
            t.message_err,
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
