//! Display filter grammar (recursive descent; `not` > `and` > `or`):
//!
//! ```text
//!  expr    := and ( ("or" | "||") and )*
//!  and     := unary ( ("and" | "&&") unary )*
//!  unary   := ("not" | "!") unary | primary
//!  primary := "(" expr ")" | FIELD [ relop VALUE ]
//! ```
//!
//! Field names are checked against the registry and literals converted for
//! the field's kind here, so evaluation never fails.
//!
//! Depth is bounded: chains of `and`/`or` are read in a loop into one
//! flat node (a chain of 100,000 terms is one `Vec`, not a 100,000-deep
//! tree), and each `(` or `not` opens a nesting level, of which at most
//! [`MAX_NESTING`] may be open at once. The recursion of this parser, of
//! the evaluator, and of `Drop`/`Clone` on [`Expr`] is thus bounded by a
//! few frames per level, whatever the expression's length.

use super::lexer::{RelOp, Tok, Token};
use super::{field_kind, FilterError};
use crate::decode::MsgType;
use crate::model::FieldKind;
use crate::msgr2::Tag;
use std::net::{IpAddr, SocketAddr};

/// Levels of `(` and `not` that may be open at once.
pub const MAX_NESTING: usize = 256;

/// A filter expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// All of them (two or more).
    And(Vec<Expr>),
    /// Any of them (two or more).
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// The field occurs.
    Exists(&'static str),
    /// A comparison with a literal.
    Cmp {
        /// Field name.
        field: &'static str,
        /// Operator.
        op: RelOp,
        /// Right-hand side.
        lit: Lit,
    },
}

/// A literal converted for its field.
#[derive(Debug, Clone)]
pub enum Lit {
    /// Any integer (unsigned, signed, bool as 0/1, enum value).
    Int(i128),
    /// Text (string fields, enum names not in a known table, addresses
    /// given as quoted text).
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// An address with a port.
    Sock(SocketAddr),
    /// An IP address (any port).
    Ip(IpAddr),
    /// Seconds and nanoseconds since the epoch.
    Time(i64, u32),
    /// A compiled regular expression (over the value's text or bytes).
    Regex(regex::bytes::Regex),
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    end: usize,
    fields: Vec<&'static str>,
    /// Levels of `(` and `not` open.
    depth: usize,
}

/// Parse tokens; `end` is the column one past the expression's end.
pub fn parse(toks: &[Token], end: usize) -> Result<(Expr, Vec<&'static str>), FilterError> {
    let mut p = Parser {
        toks,
        pos: 0,
        end,
        fields: Vec::new(),
        depth: 0,
    };
    if toks.is_empty() {
        return Err(FilterError::new(1, "The filter expression is empty."));
    }
    let e = p.or()?;
    if let Some(t) = p.peek() {
        let msg = if t.tok == Tok::Close {
            "Unmatched \")\": no \"(\" opens it.".to_string()
        } else {
            format!("\"{}\" was unexpected in this context.", t.text)
        };
        return Err(FilterError::new(t.column, msg));
    }
    Ok((e, p.fields))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn missing(&self, after: &Token, what: &str) -> FilterError {
        FilterError::new(
            self.end,
            format!("Missing {what} after \"{}\".", after.text),
        )
    }

    /// Enter one more level of `(` or `not` at token `t`.
    fn enter(&mut self, t: &Token) -> Result<(), FilterError> {
        if self.depth >= MAX_NESTING {
            return Err(FilterError::new(
                t.column,
                format!(
                    "The expression nests too deeply: at most {MAX_NESTING} levels of \"(\" and \"not\" may be open."
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let first = self.and()?;
        let mut terms = Vec::new();
        while let Some(t) = self.peek().filter(|t| t.tok == Tok::Or) {
            self.pos += 1;
            if self.peek().is_none() {
                return Err(self.missing(t, "operand"));
            }
            terms.push(self.and()?);
        }
        Ok(chain(first, terms, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let first = self.unary()?;
        let mut terms = Vec::new();
        while let Some(t) = self.peek().filter(|t| t.tok == Tok::And) {
            self.pos += 1;
            if self.peek().is_none() {
                return Err(self.missing(t, "operand"));
            }
            terms.push(self.unary()?);
        }
        Ok(chain(first, terms, Expr::And))
    }

    /// `not`s are counted in a loop, each one a nesting level, then
    /// wrapped around the primary they apply to.
    fn unary(&mut self) -> Result<Expr, FilterError> {
        let mut nots = 0usize;
        while let Some(t) = self.peek().filter(|t| t.tok == Tok::Not) {
            self.enter(t)?;
            nots += 1;
            self.pos += 1;
            if self.peek().is_none() {
                return Err(self.missing(t, "operand"));
            }
        }
        let mut e = self.primary()?;
        for _ in 0..nots {
            e = Expr::Not(Box::new(e));
        }
        self.depth = self.depth.saturating_sub(nots);
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::new(
                self.end,
                "Unexpected end of the filter expression.",
            ));
        };
        match &t.tok {
            Tok::Open => {
                self.enter(t)?;
                if self.peek().is_none() {
                    return Err(self.missing(t, "expression"));
                }
                let e = self.or()?;
                self.depth = self.depth.saturating_sub(1);
                match self.next() {
                    Some(c) if c.tok == Tok::Close => Ok(e),
                    Some(other) => Err(FilterError::new(
                        other.column,
                        format!("\"{}\" was unexpected in this context.", other.text),
                    )),
                    None => Err(FilterError::new(
                        t.column,
                        "Unmatched \"(\": no \")\" closes it.",
                    )),
                }
            }
            Tok::Word(name) => {
                let Some(kind) = field_kind(name) else {
                    return Err(FilterError::new(
                        t.column,
                        format!("\"{name}\" is neither a field nor a protocol name."),
                    ));
                };
                let field = static_name(name);
                if !self.fields.contains(&field) {
                    self.fields.push(field);
                }
                let Some(op_tok) = self.peek() else {
                    return Ok(Expr::Exists(field));
                };
                let Tok::Rel(op) = op_tok.tok else {
                    return Ok(Expr::Exists(field));
                };
                self.pos += 1;
                let Some(v) = self.next() else {
                    return Err(self.missing(op_tok, "value"));
                };
                let lit = literal(field, kind, op, op_tok.column, v)?;
                Ok(Expr::Cmp { field, op, lit })
            }
            _ => Err(FilterError::new(
                t.column,
                format!("\"{}\" was unexpected in this context.", t.text),
            )),
        }
    }
}

/// `first` alone, or `first` and `rest` joined by `join`.
fn chain(first: Expr, mut rest: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if rest.is_empty() {
        return first;
    }
    rest.insert(0, first);
    join(rest)
}

/// The registry's (or the pseudo table's) static copy of a known name.
fn static_name(name: &str) -> &'static str {
    if let Some(d) = crate::analysis::registry::by_abbrev(name) {
        return d.abbrev;
    }
    super::PSEUDO_FIELDS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
        .unwrap_or("")
}

fn bad(v: &Token, what: &str) -> FilterError {
    FilterError::new(v.column, format!("\"{}\" is not a valid {what}.", v.text))
}

/// Convert the value token `v` for a comparison `field op v`.
fn literal(
    field: &str,
    kind: FieldKind,
    op: RelOp,
    op_column: usize,
    v: &Token,
) -> Result<Lit, FilterError> {
    let (text, quoted) = match &v.tok {
        Tok::Word(w) => (w.clone(), false),
        Tok::Str(s) => (s.clone(), true),
        _ => {
            return Err(FilterError::new(
                v.column,
                format!(
                    "Expected a value after \"{}\", found \"{}\".",
                    op.as_str(),
                    v.text
                ),
            ))
        }
    };
    let not_for = |kind_name: &str| {
        FilterError::new(
            op_column,
            format!(
                "\"{}\" cannot be used with {field}, a {kind_name} field.",
                op.as_str()
            ),
        )
    };
    if kind == FieldKind::None {
        return Err(FilterError::new(
            op_column,
            format!("{field} is a protocol or subtree with no value; test its presence alone."),
        ));
    }
    match op {
        RelOp::Matches => {
            if !matches!(
                kind,
                FieldKind::Str | FieldKind::Addr | FieldKind::Bytes | FieldKind::Enum
            ) {
                return Err(not_for(kind.as_str()));
            }
            regex::bytes::RegexBuilder::new(&text)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map(Lit::Regex)
                .map_err(|e| FilterError::new(v.column, format!("Invalid regular expression: {e}")))
        }
        RelOp::Contains => match kind {
            // An unquoted byte string (`ff:00:1b`) against a text field
            // looks for those bytes on the wire (`model::wire_text`).
            FieldKind::Str if !quoted && text.contains(':') => {
                Ok(byte_string(&text).map(Lit::Bytes).unwrap_or(Lit::Str(text)))
            }
            FieldKind::Str | FieldKind::Addr | FieldKind::Enum => Ok(Lit::Str(text)),
            FieldKind::Bytes if quoted => Ok(Lit::Bytes(text.into_bytes())),
            FieldKind::Bytes => byte_string(&text)
                .map(Lit::Bytes)
                .ok_or_else(|| bad(v, "byte string")),
            other => Err(not_for(other.as_str())),
        },
        _ => match kind {
            FieldKind::Uint | FieldKind::Hex => integer(&text)
                .map(Lit::Int)
                .ok_or_else(|| bad(v, &format!("integer for {field}"))),
            // Signed fields hold results: an errno name stands for its
            // negative value (`ceph.osd_op_reply.result == EOPNOTSUPP`).
            FieldKind::Int => integer(&text)
                .or_else(|| crate::decode::errno::from_name(&text).map(i128::from))
                .map(Lit::Int)
                .ok_or_else(|| bad(v, &format!("integer for {field}"))),
            FieldKind::Bool => boolean(&text)
                .map(Lit::Int)
                .ok_or_else(|| bad(v, "boolean (true, false, 1, 0)")),
            FieldKind::Enum => {
                enum_value(field, &text).ok_or_else(|| bad(v, &format!("value of {field}")))
            }
            FieldKind::Str => Ok(Lit::Str(text)),
            FieldKind::Addr => match address(&text) {
                Some(l) => Ok(l),
                None if quoted => Ok(Lit::Str(text)),
                None => Err(bad(v, "address (ip:port, [ipv6]:port or a bare IP)")),
            },
            FieldKind::Bytes if quoted => Ok(Lit::Bytes(text.into_bytes())),
            FieldKind::Bytes => byte_string(&text)
                .map(Lit::Bytes)
                .ok_or_else(|| bad(v, "byte string (e.g. 01:02:ff)")),
            FieldKind::Time => time(&text)
                .map(|(s, n)| Lit::Time(s, n))
                .ok_or_else(|| bad(v, "time (seconds since the epoch)")),
            FieldKind::None => Err(not_for("subtree")),
        },
    }
}

/// Decimal, `0x` hex, `0o` octal or `0b` binary, optionally negative.
pub fn integer(s: &str) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(h) = lower.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

fn boolean(s: &str) -> Option<i128> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(1),
        "false" | "0" => Some(0),
        _ => None,
    }
}

/// An enum literal: a number, or a name. Names of the message types and
/// frame tags are resolved to numbers here (unknown ones are errors);
/// names for other enum fields are compared with each value's name.
fn enum_value(field: &str, s: &str) -> Option<Lit> {
    if let Some(n) = integer(s) {
        return Some(Lit::Int(n));
    }
    match field {
        "ceph.msg.type" => MsgType::all()
            .find(|t| {
                t.log_name().is_some_and(|n| n.eq_ignore_ascii_case(s))
                    || t.const_name().is_some_and(|n| n.eq_ignore_ascii_case(s))
            })
            .map(|t| Lit::Int(i128::from(t.0))),
        "msgr2.tag" => Tag::ALL
            .iter()
            .find(|t| t.known_name().is_some_and(|n| n.eq_ignore_ascii_case(s)))
            .map(|t| Lit::Int(i128::from(t.raw()))),
        _ => (!s.is_empty()).then(|| Lit::Str(s.to_string())),
    }
}

/// `ip:port`, `[v6]:port`, or a bare IP.
fn address(s: &str) -> Option<Lit> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(Lit::Sock(a));
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>().ok().map(Lit::Ip)
}

/// `01:02:ff`, `01-02-ff`, `01.02.ff` or `0102ff`.
fn byte_string(s: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = if s.contains([':', '-', '.']) {
        s.split([':', '-', '.']).collect()
    } else {
        let mut v = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let (a, b) = rest.split_at(rest.len().min(2));
            v.push(a);
            rest = b;
        }
        v
    };
    if parts.is_empty() {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            if p.len() == 2 || p.len() == 1 {
                u8::from_str_radix(p, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

/// Seconds since the epoch, with up to nine decimals.
fn time(s: &str) -> Option<(i64, u32)> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some((secs, nanos))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(integer("0x1F"), Some(31));
        assert_eq!(integer("-5"), Some(-5));
        assert_eq!(integer("0b101"), Some(5));
        assert_eq!(integer("12a"), None);
        assert_eq!(byte_string("01:02:ff"), Some(vec![1, 2, 255]));
        assert_eq!(byte_string("0102ff"), Some(vec![1, 2, 255]));
        assert_eq!(byte_string("01:0g"), None);
        assert_eq!(time("12.5"), Some((12, 500_000_000)));
        assert!(matches!(address("127.0.0.1"), Some(Lit::Ip(_))));
        assert!(matches!(address("[::1]:3300"), Some(Lit::Sock(_))));
        assert!(matches!(address("[::1]"), Some(Lit::Ip(_))));
        assert!(matches!(
            enum_value("msgr2.tag", "message"),
            Some(Lit::Int(17))
        ));
        assert!(matches!(
            enum_value("ceph.msg.type", "OSD_OPREPLY"),
            Some(Lit::Int(43))
        ));
        assert!(enum_value("ceph.msg.type", "nonsense").is_none());
    }
}
