//! The one escaping rule for text a person reads: every string cephshark
//! prints comes from a capture or a file the user was handed, so no byte
//! of it may reach a terminal as a control.
//!
//! Escaped: C0 controls (`\0`, `\t`, `\n`, `\r`, others as `\x1b`), DEL
//! (`\x7f`), C1 controls (`\u{9b}`) and the bidirectional marks, embeddings,
//! overrides and isolates (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069,
//! as `\u{202e}`), and bytes of the wire that were not UTF-8 (carried as
//! `wire_text` says, shown as `\xff`). Everything else, backslashes included, is unchanged, so
//! escaping an escaped string changes nothing. JSON output does not use this
//! rule: serde's escaping keeps it valid JSON and the characters exact.

use super::wire_text::raw_byte;
use std::borrow::Cow;
use std::fmt;

/// True for a character the rule escapes.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
        || raw_byte(c).is_some()
}

fn write_char<W: fmt::Write>(w: &mut W, c: char) -> fmt::Result {
    if let Some(b) = raw_byte(c) {
        // A byte of the wire that was not UTF-8 (see `wire_text`).
        return write!(w, "\\x{b:02x}");
    }
    match c {
        '\0' => w.write_str("\\0"),
        '\t' => w.write_str("\\t"),
        '\n' => w.write_str("\\n"),
        '\r' => w.write_str("\\r"),
        '\u{0}'..='\u{1f}' | '\u{7f}' => write!(w, "\\x{:02x}", u32::from(c)),
        c if needs_escape(c) => write!(w, "\\u{{{:x}}}", u32::from(c)),
        c => w.write_char(c),
    }
}

/// `s` with every control and bidi character escaped; borrowed when there
/// is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    let Some(at) = s.find(needs_escape) else {
        return Cow::Borrowed(s);
    };
    let (clean, rest) = s.split_at(at);
    let mut out = String::with_capacity(s.len().saturating_add(8));
    out.push_str(clean);
    for c in rest.chars() {
        // Writing to a String cannot fail.
        let _ = write_char(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`escape`] line by line: the text's own line breaks stay line breaks
/// (for messages cephshark composes, such as a filter error and its caret
/// line).
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.contains('\n') {
        return escape(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(escape).collect();
    Cow::Owned(lines.join("\n"))
}

/// Display adapter: formats the string escaped, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() || f.precision().is_some() {
            // Padding counts the escaped characters.
            return f.pad(&escape(self.0));
        }
        for part in self.0.split_inclusive(needs_escape) {
            let mut chars = part.chars();
            match chars.next_back() {
                Some(last) if needs_escape(last) => {
                    f.write_str(chars.as_str())?;
                    write_char(f, last)?;
                }
                _ => f.write_str(part)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for s in [
            "",
            "obj1",
            "rbd_data.1234",
            "caf\u{e9} \u{2192} \\x1b",
            "\u{fffd}",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s), "{s:?}");
            assert_eq!(Escaped(s).to_string(), s);
        }
    }

    #[test]
    fn controls_and_bidi_are_escaped() {
        let cases = [
            ("\u{1b}[31mred", "\\x1b[31mred"),
            ("a\0b", "a\\0b"),
            ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
            ("\u{5}\u{7f}", "\\x05\\x7f"),
            ("x\u{9b}2J", "x\\u{9b}2J"),
            ("\u{80}\u{9f}", "\\u{80}\\u{9f}"),
            ("abc\u{202e}fed", "abc\\u{202e}fed"),
            (
                "\u{200e}\u{200f}\u{202a}\u{2066}\u{2069}",
                "\\u{200e}\\u{200f}\\u{202a}\\u{2066}\\u{2069}",
            ),
            ("\u{1b}]52;c;QQ==\u{7}", "\\x1b]52;c;QQ==\\x07"),
        ];
        for (raw, want) in cases {
            assert_eq!(escape(raw), want, "{raw:?}");
            assert_eq!(Escaped(raw).to_string(), want, "{raw:?}");
        }
    }

    #[test]
    fn the_edges_of_each_range() {
        for c in [
            '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(needs_escape(c), "{c:?}");
        }
        for c in [
            ' ', '~', '\u{a0}', '\u{200d}', '\u{2029}', '\u{202f}', '\u{2065}', '\u{206a}',
        ] {
            assert!(!needs_escape(c), "{c:?}");
        }
    }

    #[test]
    fn padding_counts_the_escaped_text() {
        assert_eq!(format!("[{:<6}]", Escaped("a\tb")), "[a\\tb  ]");
        assert_eq!(format!("[{:>4}]", Escaped("ok")), "[  ok]");
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(escape_lines("a\u{1b}\n  ^\r"), "a\\x1b\n  ^\\r");
        assert_eq!(escape_lines("one\tline"), "one\\tline");
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let once = escape("\u{1b}[2J\0\u{202e}\u{9b}").into_owned();
        assert_eq!(once, "\\x1b[2J\\0\\u{202e}\\u{9b}");
        assert!(matches!(escape(&once), Cow::Borrowed(_)));
        assert!(!once.chars().any(needs_escape));
    }
}
