//! Display filter grammar (recursive descent; `not` > `and` > `or`):
//!
//! ```text
//!  expr    := and ( ("or" | "||") and )*
//!  and     := unary ( ("and" | "&&") unary )*
//!  unary   := ("not" | "!") unary | primary
//!  primary := "(" expr ")" | FIELD | test
//!  test    := operand relop (VALUE | operand) | operand "in" set
//!  operand := FIELD [slice] | FUNC "(" FIELD [slice] ")"
//!  set     := "{" (VALUE | VALUE ".." VALUE) ([","] ...)* "}"
//!  slice   := "[" range ("," range)* "]"          (at most MAX_RANGES ranges, concatenated)
//!  range   := i ":" len | i "-" j | i | ":" len | i ":"
//!  FUNC    := len | lower | upper
//! ```
//!
//! The right-hand side of a comparison is a field (an operand) when it
//! names one, and a literal otherwise.
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
use super::literal::AddrLit;
use super::FilterError;
use crate::model::FieldKind;

/// Levels of `(` and `not` that may be open at once.
pub const MAX_NESTING: usize = 256;

/// Members (values or ranges) of one `in { }` set, at most.
pub const MAX_SET: usize = 1024;

/// Largest start or length of a slice (`[i:j]`).
pub const MAX_SLICE: i64 = 1 << 24;

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
    /// A comparison with a literal or another operand.
    Cmp {
        /// Left-hand side.
        lhs: Operand,
        /// Operator.
        op: RelOp,
        /// Right-hand side.
        rhs: Rhs,
    },
    /// Membership: some occurrence equals a value or lies in a range.
    In {
        /// Left-hand side.
        lhs: Operand,
        /// Values and inclusive ranges.
        set: Vec<Member>,
    },
}

/// A field's occurrences, optionally sliced, optionally through a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    /// Field name.
    pub field: &'static str,
    /// Byte ranges of each value, concatenated (`[0:2,4-5]`).
    pub slice: Option<Vec<Slice>>,
    /// Function applied last.
    pub func: Option<Func>,
    /// Kind of the values it yields.
    pub kind: FieldKind,
}

/// A slice, as Wireshark writes them: `[i:len]`, `[i-j]`, `[i]`, `[:len]`,
/// `[i:]`; a negative start counts from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First byte (negative: from the end).
    pub start: i64,
    /// Bytes taken; `None`: to the end.
    pub len: Option<i64>,
}

/// Functions over a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// Length in bytes (of text, bytes, or an address's text).
    Len,
    /// Text in lower case.
    Lower,
    /// Text in upper case.
    Upper,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Rhs {
    /// A literal.
    Lit(Lit),
    /// Another field.
    Field(Operand),
}

/// A member of a set.
#[derive(Debug, Clone)]
pub enum Member {
    /// A value.
    One(Lit),
    /// An inclusive range.
    Range(Lit, Lit),
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
    /// An address; the parts it leaves out match anything.
    Addr(AddrLit),
    /// Seconds and nanoseconds since the epoch.
    Time(i64, u32),
    /// A compiled regular expression (over the value's text or bytes).
    Regex(regex::bytes::Regex),
}

pub(super) struct Parser<'a> {
    pub(super) toks: &'a [Token],
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) fields: Vec<&'static str>,
    /// Levels of `(` and `not` open.
    pub(super) depth: usize,
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
    pub(super) fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    pub(super) fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn missing(&self, after: &Token, what: &str) -> FilterError {
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
                if let Some(func) = self.func_start(name) {
                    let lhs = self.function(t, func)?;
                    return self.test(lhs, t);
                }
                let lhs = self.field_operand(t, name)?;
                let is_test = self
                    .peek()
                    .is_some_and(|n| matches!(n.tok, Tok::Rel(_) | Tok::In));
                if !is_test && lhs.slice.is_none() {
                    if lhs.kind == FieldKind::None && name.contains('[') {
                        return Err(FilterError::new(
                            t.column,
                            "A slice needs a field with a value.",
                        ));
                    }
                    return Ok(Expr::Exists(lhs.field));
                }
                self.test(lhs, t)
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
pub(super) fn static_name(name: &str) -> &'static str {
    if let Some(d) = crate::analysis::registry::by_abbrev(name) {
        return d.abbrev;
    }
    super::PSEUDO_FIELDS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
        .unwrap_or("")
}
