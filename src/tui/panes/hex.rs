//! The bytes pane: the selected frame's bytes in hex and ASCII (for secure
//! frames, the decrypted bytes, as the title says), with highlight layers:
//! the selected field's bytes, the bytes of the structure enclosing it,
//! and the hex cursor when the pane has focus.
//!
//! ```text
//!  0000  1c 01 29 00 00 00 08 00  00 00 00 00 00 00 00 00  ..).............
//!  ^off  ^ byte j at 6 + 3j (+1 past the 8th)              ^ ASCII
//! ```

use crate::tui::app::{App, Pane};
use crate::tui::details::scroll_to;
use crate::tui::ui::title_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Width of the offset column and its gap.
const OFFSET_W: usize = 6;

/// Bytes per line for a pane `width` columns wide.
pub fn columns(width: u16) -> usize {
    if width >= 72 {
        16
    } else {
        8
    }
}

/// Column (from the pane's left) of byte `j` of a line, in hex.
fn hex_x(j: usize, cols: usize) -> usize {
    OFFSET_W + 3 * j + usize::from(cols == 16 && j >= 8)
}

/// Column of the ASCII part.
fn ascii_x(cols: usize) -> usize {
    hex_x(cols, cols) + 1
}

/// The byte under screen position (`x`, `y`) of a pane drawn in `area`.
pub fn byte_at(app: &App, area: Rect, x: u16, y: u16) -> Option<usize> {
    let cols = columns(area.width);
    let line = usize::from(y.checked_sub(area.y + 1)?) + app.details.hex_top;
    let cx = usize::from(x.checked_sub(area.x)?);
    let a = ascii_x(cols);
    let j = if cx >= a {
        cx - a
    } else {
        (0..cols).rev().find(|&j| hex_x(j, cols) <= cx)?
    };
    let b = line * cols + j.min(cols - 1);
    (b < app.details.data_len).then_some(b)
}

/// Draw the bytes pane.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let d = &app.details;
    let focused = app.focus == Pane::Hex;
    let row = app.selected_row();
    let frame = row.and_then(|r| r.record.frame());
    let title = match (row, frame) {
        (Some(r), Some(f)) if f.decompressed() => {
            format!(
                "Decompressed bytes of frame {} ({} B; {} B on the wire)",
                r.record.number, r.full_len, f.wire_len
            )
        }
        (Some(r), Some(f)) if f.decrypted => {
            format!(
                "Decrypted bytes of secure frame {} ({} B; {} B on the wire)",
                r.record.number, r.full_len, f.wire_len
            )
        }
        (Some(r), Some(_)) => format!("Bytes of frame {} ({} B)", r.record.number, r.full_len),
        _ => "Bytes".to_string(),
    };
    let right = match row.map(|r| r.dropped()) {
        Some(n) if n > 0 => format!("{n} bytes not kept"),
        _ => String::new(),
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
    let Some(f) = frame else {
        let why = if row.is_some() {
            "  (this row is not a frame: no bytes to show)"
        } else {
            ""
        };
        Paragraph::new(Line::styled(why, t.dim)).render(body, buf);
        return;
    };
    let cols = columns(area.width);
    let h = usize::from(body.height);
    let top = scroll_to(d.hex_top, d.hex_cursor / cols, h);
    let field = d.highlight();
    let layer = d.layer();
    let style_of = |b: usize| -> Style {
        if focused && b == d.hex_cursor {
            t.cursor
        } else if field.as_ref().is_some_and(|r| r.contains(&b)) {
            t.field
        } else if layer.as_ref().is_some_and(|r| r.contains(&b)) {
            t.layer
        } else {
            t.base
        }
    };
    let mut lines = Vec::new();
    for (n, chunk) in f.data.chunks(cols).enumerate().skip(top).take(h) {
        let start = n * cols;
        let mut spans = vec![Span::styled(format!("{start:04x}  "), t.dim)];
        for (j, byte) in chunk.iter().enumerate() {
            if cols == 16 && j == 8 {
                spans.push(Span::raw(" "));
            }
            let b = start + j;
            // The space after a byte belongs to the field when the next byte does.
            let next_same = j + 1 < chunk.len()
                && style_of(b + 1) == style_of(b)
                && style_of(b) != t.cursor
                && !(cols == 16 && j == 7);
            spans.push(Span::styled(format!("{byte:02x}"), style_of(b)));
            spans.push(Span::styled(
                " ",
                if next_same { style_of(b) } else { t.base },
            ));
        }
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        spans.push(Span::raw(" ".repeat(ascii_x(cols).saturating_sub(used))));
        for (j, byte) in chunk.iter().enumerate() {
            let c = if (0x20..0x7f).contains(byte) {
                char::from(*byte)
            } else {
                '.'
            };
            spans.push(Span::styled(c.to_string(), style_of(start + j)));
        }
        lines.push(Line::from(spans));
    }
    if f.data.is_empty() {
        lines.push(Line::styled("  (no bytes)", t.dim));
    }
    Paragraph::new(lines).render(body, buf);
}
