//! Display filter tokens, Wireshark style.
//!
//! ```text
//!  punctuation  ( ) { } , == != < <= > >= ! && || ~
//!  string       "text" with \" \\ \n \t \r \xNN escapes
//!  word         a run of letters, digits and _ . : - / [ ]
//!               (field names, numbers, addresses, byte strings, enum names,
//!               slices written onto a field name: `ceph.osd_op.oid[0:4]`,
//!               and the keywords and or not in eq ne lt le gt ge contains matches)
//! ```
//!
//! Every token carries its 1-based column (in characters) so errors can
//! point at it.

use super::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// A comparison operator (symbol or keyword).
    Rel(RelOp),
    /// `and`, `&&`.
    And,
    /// `or`, `||`.
    Or,
    /// `not`, `!`.
    Not,
    /// `in`.
    In,
    /// `{`.
    SetOpen,
    /// `}`.
    SetClose,
    /// `,` (between set members).
    Comma,
    /// A quoted string, unescaped.
    Str(String),
    /// A bare word: field name or unquoted literal.
    Word(String),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    /// `==`, `eq`.
    Eq,
    /// `!=`, `ne`.
    Ne,
    /// `<`, `lt`.
    Lt,
    /// `<=`, `le`.
    Le,
    /// `>`, `gt`.
    Gt,
    /// `>=`, `ge`.
    Ge,
    /// `contains`.
    Contains,
    /// `matches`, `~`.
    Matches,
}

impl RelOp {
    /// The operator as written in symbols (or its keyword).
    pub fn as_str(self) -> &'static str {
        match self {
            RelOp::Eq => "==",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
            RelOp::Contains => "contains",
            RelOp::Matches => "matches",
        }
    }

    /// Whether this is an ordering (`<`, `<=`, `>`, `>=`).
    pub fn is_ordering(self) -> bool {
        matches!(self, RelOp::Lt | RelOp::Le | RelOp::Gt | RelOp::Ge)
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// 1-based column of its first character.
    pub column: usize,
    /// The text as written (for messages).
    pub text: String,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '/' | '[' | ']')
}

fn keyword(w: &str) -> Option<Tok> {
    Some(match w.to_ascii_lowercase().as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        "eq" => Tok::Rel(RelOp::Eq),
        "ne" => Tok::Rel(RelOp::Ne),
        "lt" => Tok::Rel(RelOp::Lt),
        "le" => Tok::Rel(RelOp::Le),
        "gt" => Tok::Rel(RelOp::Gt),
        "ge" => Tok::Rel(RelOp::Ge),
        "contains" => Tok::Rel(RelOp::Contains),
        "matches" => Tok::Rel(RelOp::Matches),
        _ => return None,
    })
}

/// Split `src` into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(&c) = chars.get(i) {
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let two = |t: Tok, s: &str| (t, s.to_string(), 2usize);
        let one = |t: Tok, s: &str| (t, s.to_string(), 1usize);
        let punct = match (c, next) {
            ('(', _) => Some(one(Tok::Open, "(")),
            (')', _) => Some(one(Tok::Close, ")")),
            ('{', _) => Some(one(Tok::SetOpen, "{")),
            ('}', _) => Some(one(Tok::SetClose, "}")),
            (',', _) => Some(one(Tok::Comma, ",")),
            ('=', Some('=')) => Some(two(Tok::Rel(RelOp::Eq), "==")),
            ('!', Some('=')) => Some(two(Tok::Rel(RelOp::Ne), "!=")),
            ('<', Some('=')) => Some(two(Tok::Rel(RelOp::Le), "<=")),
            ('>', Some('=')) => Some(two(Tok::Rel(RelOp::Ge), ">=")),
            ('<', _) => Some(one(Tok::Rel(RelOp::Lt), "<")),
            ('>', _) => Some(one(Tok::Rel(RelOp::Gt), ">")),
            ('~', _) => Some(one(Tok::Rel(RelOp::Matches), "~")),
            ('!', _) => Some(one(Tok::Not, "!")),
            ('&', Some('&')) => Some(two(Tok::And, "&&")),
            ('|', Some('|')) => Some(two(Tok::Or, "||")),
            _ => None,
        };
        if let Some((tok, text, len)) = punct {
            out.push(Token { tok, column, text });
            i += len;
            continue;
        }
        if c == '"' {
            let (s, end) = string(&chars, i)?;
            let text: String = chars
                .get(i..end)
                .map(|s| s.iter().collect())
                .unwrap_or_default();
            out.push(Token {
                tok: Tok::Str(s),
                column,
                text,
            });
            i = end;
            continue;
        }
        if word_char(c) {
            let start = i;
            // Inside a slice's brackets a comma joins ranges (`[0:2,4-5]`).
            let mut open = false;
            while let Some(&c) = chars.get(i) {
                if !(word_char(c) || (open && c == ',')) {
                    break;
                }
                match c {
                    '[' => open = true,
                    ']' => open = false,
                    _ => {}
                }
                i += 1;
            }
            let w: String = chars
                .get(start..i)
                .map(|s| s.iter().collect())
                .unwrap_or_default();
            let tok = keyword(&w).unwrap_or_else(|| Tok::Word(w.clone()));
            out.push(Token {
                tok,
                column,
                text: w,
            });
            continue;
        }
        return Err(FilterError::new(
            column,
            format!("\"{c}\" was unexpected in this context."),
        ));
    }
    Ok(out)
}

/// Read the quoted string starting at `chars[start]` (a `"`); returns the
/// unescaped text and the index past the closing quote.
fn string(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(FilterError::new(
                start + 1,
                "The string has no closing quote.",
            ));
        };
        match c {
            '"' => return Ok((s, i + 1)),
            '\\' => {
                let esc = chars.get(i + 1).copied();
                let (ch, used) = match esc {
                    Some('n') => ('\n', 2),
                    Some('t') => ('\t', 2),
                    Some('r') => ('\r', 2),
                    Some('\\') => ('\\', 2),
                    Some('"') => ('"', 2),
                    Some('x') => {
                        let hex: String = chars
                            .get(i + 2..i + 4)
                            .map(|h| h.iter().collect())
                            .unwrap_or_default();
                        match u8::from_str_radix(&hex, 16) {
                            Ok(b) if hex.len() == 2 => (char::from(b), 4),
                            _ => {
                                return Err(FilterError::new(
                                    i + 1,
                                    "\\x must be followed by two hex digits.",
                                ))
                            }
                        }
                    }
                    _ => {
                        return Err(FilterError::new(
                            i + 1,
                            "Unknown escape sequence in string.",
                        ))
                    }
                };
                s.push(ch);
                i += used;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_operators_and_strings() {
        assert_eq!(
            toks("a.b==1&&!(c ne \"x\\\"y\")||d ~ e"),
            vec![
                Tok::Word("a.b".into()),
                Tok::Rel(RelOp::Eq),
                Tok::Word("1".into()),
                Tok::And,
                Tok::Not,
                Tok::Open,
                Tok::Word("c".into()),
                Tok::Rel(RelOp::Ne),
                Tok::Str("x\"y".into()),
                Tok::Close,
                Tok::Or,
                Tok::Word("d".into()),
                Tok::Rel(RelOp::Matches),
                Tok::Word("e".into()),
            ]
        );
        assert_eq!(
            toks("x == 127.0.0.1:3300")[2],
            Tok::Word("127.0.0.1:3300".into())
        );
        assert_eq!(toks("x AND y")[1], Tok::And);
        assert_eq!(tokenize("  ab  ").unwrap()[0].column, 3);
    }

    #[test]
    fn sets_slices_and_functions() {
        assert_eq!(
            toks("tcp.port in {1..3, 7} && len(a.b[0:2])"),
            vec![
                Tok::Word("tcp.port".into()),
                Tok::In,
                Tok::SetOpen,
                Tok::Word("1..3".into()),
                Tok::Comma,
                Tok::Word("7".into()),
                Tok::SetClose,
                Tok::And,
                Tok::Word("len".into()),
                Tok::Open,
                Tok::Word("a.b[0:2]".into()),
                Tok::Close,
            ]
        );
        assert_eq!(
            toks("x == v2:127.0.0.1:6800/42")[2],
            Tok::Word("v2:127.0.0.1:6800/42".into())
        );
    }

    #[test]
    fn errors_have_columns() {
        assert_eq!(tokenize("a == \"open").unwrap_err().column, 6);
        assert_eq!(tokenize("a = 1").unwrap_err().column, 3);
        assert_eq!(tokenize("a == \"\\q\"").unwrap_err().column, 7);
    }
}
