//! The operands of comparisons: fields with slices, functions over them,
//! the right-hand side (a literal or another operand) and `in` sets.
//! Nothing here recurses: a function takes a field, a set takes values.

use super::lexer::{RelOp, Tok, Token};
use super::literal::literal;
use super::parser::{
    static_name, Expr, Func, Member, Operand, Parser, Rhs, Slice, MAX_SET, MAX_SLICE,
};
use super::{field_kind, FilterError};
use crate::model::FieldKind;

impl<'a> Parser<'a> {
    /// Note a field the filter uses.
    pub(super) fn note(&mut self, field: &'static str) {
        if !self.fields.contains(&field) {
            self.fields.push(field);
        }
    }

    /// `name` is a function when a `(` follows it.
    pub(super) fn func_start(&self, name: &str) -> Option<Func> {
        if self.peek().map(|t| &t.tok) != Some(&Tok::Open) {
            return None;
        }
        match name.to_ascii_lowercase().as_str() {
            "len" => Some(Func::Len),
            "lower" => Some(Func::Lower),
            "upper" => Some(Func::Upper),
            _ => None,
        }
    }

    /// A field name, with an optional slice written onto it.
    pub(super) fn field_operand(&mut self, t: &Token, word: &str) -> Result<Operand, FilterError> {
        let (name, slice_text) = match word.split_once('[') {
            Some((n, rest)) if !n.is_empty() => (n, Some(rest)),
            _ => (word, None),
        };
        let Some(kind) = field_kind(name) else {
            return Err(FilterError::new(
                t.column,
                format!("\"{name}\" is neither a field nor a protocol name."),
            ));
        };
        let field = static_name(name);
        self.note(field);
        let Some(st) = slice_text else {
            return Ok(Operand {
                field,
                slice: None,
                func: None,
                kind,
            });
        };
        let col = t.column + name.chars().count();
        if !matches!(kind, FieldKind::Bytes | FieldKind::Str) {
            return Err(FilterError::new(
                col,
                format!(
                    "{field} is a {} field: only byte and text fields can be sliced.",
                    kind.as_str()
                ),
            ));
        }
        let ranges: Option<Vec<Slice>> = st
            .strip_suffix(']')
            .map(|inner| inner.split(',').map(slice).collect::<Option<Vec<Slice>>>())
            .unwrap_or(None)
            .filter(|r| (1..=MAX_RANGES).contains(&r.len()));
        let ranges = ranges.ok_or_else(|| FilterError::new(col, format!("\"[{st}\" is not a valid slice ([i:len], [i-j], [i], [:len] or [i:], several joined by commas, at most {MAX_RANGES}; offsets at most {MAX_SLICE}).")))?;
        Ok(Operand {
            field,
            slice: Some(ranges),
            func: None,
            kind: FieldKind::Bytes,
        })
    }

    /// `FUNC ( FIELD[slice] )`, the name already read.
    pub(super) fn function(&mut self, t: &Token, func: Func) -> Result<Operand, FilterError> {
        self.pos += 1; // the `(`
        let Some(arg) = self.next() else {
            return Err(self.missing(t, "field"));
        };
        let Tok::Word(w) = &arg.tok else {
            return Err(FilterError::new(
                arg.column,
                format!("{}() takes a field, not \"{}\".", t.text, arg.text),
            ));
        };
        let mut op = self.field_operand(arg, w)?;
        match self.next() {
            Some(c) if c.tok == Tok::Close => {}
            Some(c) => {
                return Err(FilterError::new(
                    c.column,
                    format!("\"{}\" was unexpected in this context.", c.text),
                ))
            }
            None => {
                return Err(FilterError::new(
                    t.column,
                    "Unmatched \"(\": no \")\" closes it.",
                ))
            }
        }
        op.kind = match (func, op.kind) {
            (Func::Len, FieldKind::Str | FieldKind::Bytes | FieldKind::Addr) => FieldKind::Uint,
            (Func::Lower | Func::Upper, FieldKind::Str | FieldKind::Addr | FieldKind::Enum) => {
                FieldKind::Str
            }
            (_, k) => {
                return Err(FilterError::new(
                    arg.column,
                    format!(
                        "{}() does not apply to {}, a {} field.",
                        t.text,
                        op.field,
                        k.as_str()
                    ),
                ))
            }
        };
        op.func = Some(func);
        Ok(op)
    }

    /// What follows an operand: a comparison or a set.
    pub(super) fn test(&mut self, lhs: Operand, at: &Token) -> Result<Expr, FilterError> {
        let Some(op_tok) = self.next() else {
            return Err(self.missing(at, "comparison"));
        };
        if op_tok.tok == Tok::In {
            return self.set(lhs, op_tok);
        }
        let Tok::Rel(op) = op_tok.tok else {
            return Err(FilterError::new(
                op_tok.column,
                format!("\"{}\" was unexpected in this context.", op_tok.text),
            ));
        };
        let Some(v) = self.next() else {
            return Err(self.missing(op_tok, "value"));
        };
        if let Tok::Word(w) = &v.tok {
            if let Some(func) = self.func_start(w) {
                let rhs = self.function(v, func)?;
                return self.field_pair(lhs, op, op_tok, rhs, v);
            }
            let base = w.split_once('[').map_or(w.as_str(), |(n, _)| n);
            if field_kind(base).is_some_and(|k| k != FieldKind::None) {
                let rhs = self.field_operand(v, w)?;
                return self.field_pair(lhs, op, op_tok, rhs, v);
            }
        }
        let lit = literal(lhs.label(), lhs.kind, op, op_tok.column, v)?;
        Ok(Expr::Cmp {
            lhs,
            op,
            rhs: Rhs::Lit(lit),
        })
    }

    /// A comparison of two operands, whose kinds must compare.
    fn field_pair(
        &mut self,
        lhs: Operand,
        op: RelOp,
        op_tok: &Token,
        rhs: Operand,
        v: &Token,
    ) -> Result<Expr, FilterError> {
        if op == RelOp::Matches {
            return Err(FilterError::new(
                v.column,
                "\"matches\" takes a regular expression, not a field.",
            ));
        }
        let ok = group(lhs.kind) == group(rhs.kind)
            && (op != RelOp::Contains || matches!(group(lhs.kind), 1 | 3));
        if !ok || lhs.kind == FieldKind::None {
            return Err(FilterError::new(
                v.column,
                format!(
                    "{} (a {} value) cannot be compared with {} (a {} value) by \"{}\".",
                    lhs.label(),
                    lhs.kind.as_str(),
                    rhs.label(),
                    rhs.kind.as_str(),
                    op_tok.text
                ),
            ));
        }
        Ok(Expr::Cmp {
            lhs,
            op,
            rhs: Rhs::Field(rhs),
        })
    }

    /// `{ a b c..d }`, the `in` already read.
    fn set(&mut self, lhs: Operand, in_tok: &Token) -> Result<Expr, FilterError> {
        match self.next() {
            Some(o) if o.tok == Tok::SetOpen => {}
            Some(o) => {
                return Err(FilterError::new(
                    o.column,
                    format!("Expected \"{{\" after \"in\", found \"{}\".", o.text),
                ))
            }
            None => return Err(self.missing(in_tok, "set")),
        }
        let open_col = self
            .toks
            .get(self.pos.saturating_sub(1))
            .map_or(self.end, |t| t.column);
        let mut set = Vec::new();
        loop {
            let Some(v) = self.next() else {
                return Err(FilterError::new(
                    open_col,
                    "Unmatched \"{\": no \"}\" closes it.",
                ));
            };
            match &v.tok {
                Tok::SetClose if !set.is_empty() => break,
                Tok::SetClose => return Err(FilterError::new(v.column, "The set is empty.")),
                Tok::Comma if !set.is_empty() => continue,
                _ => {}
            }
            if set.len() >= MAX_SET {
                return Err(FilterError::new(
                    v.column,
                    format!("A set holds at most {MAX_SET} members."),
                ));
            }
            set.push(self.member(&lhs, v)?);
        }
        Ok(Expr::In { lhs, set })
    }

    /// One member of a set: a value or `lo..hi`.
    fn member(&self, lhs: &Operand, v: &Token) -> Result<Member, FilterError> {
        if let Tok::Word(w) = &v.tok {
            if let Some((lo, hi)) = w.split_once("..") {
                if !matches!(group(lhs.kind), 0 | 4) {
                    return Err(FilterError::new(
                        v.column,
                        format!(
                            "Ranges need integers or times; {} is a {} value.",
                            lhs.label(),
                            lhs.kind.as_str()
                        ),
                    ));
                }
                let part = |text: &str, off: usize| Token {
                    tok: Tok::Word(text.to_string()),
                    column: v.column + off,
                    text: text.to_string(),
                };
                let hi_off = lo.chars().count() + 2;
                let lo = literal(lhs.label(), lhs.kind, RelOp::Ge, v.column, &part(lo, 0))?;
                let hi = literal(
                    lhs.label(),
                    lhs.kind,
                    RelOp::Le,
                    v.column,
                    &part(hi, hi_off),
                )?;
                return Ok(Member::Range(lo, hi));
            }
        }
        literal(lhs.label(), lhs.kind, RelOp::Eq, v.column, v).map(Member::One)
    }
}

impl Operand {
    /// The field name (used in messages and for enum names).
    pub fn label(&self) -> &'static str {
        self.field
    }
}

/// Kinds that compare with each other: integers (0), text (1), addresses
/// (2), bytes (3), times (4); subtrees (5) with nothing.
fn group(k: FieldKind) -> u8 {
    match k {
        FieldKind::Uint | FieldKind::Hex | FieldKind::Int | FieldKind::Bool | FieldKind::Enum => 0,
        FieldKind::Str => 1,
        FieldKind::Addr => 2,
        FieldKind::Bytes => 3,
        FieldKind::Time => 4,
        FieldKind::None => 5,
    }
}

/// Most ranges in one slice (`[0:2,4-5,...]`).
pub const MAX_RANGES: usize = 16;

/// One range inside `[...]`: `i:len`, `i-j`, `i`, `:len`, `i:`.
fn slice(s: &str) -> Option<Slice> {
    let num = |x: &str| -> Option<i64> {
        let n: i64 = x.parse().ok()?;
        (n.abs() <= MAX_SLICE).then_some(n)
    };
    let sl = if let Some((a, b)) = s.split_once(':') {
        let start = if a.is_empty() { 0 } else { num(a)? };
        let len = if b.is_empty() { None } else { Some(num(b)?) };
        Slice { start, len }
    } else if let Some((a, b)) = s
        .get(1..)
        .and_then(|r| r.split_once('-'))
        .map(|(a2, b)| (s.get(..a2.len() + 1).unwrap_or(""), b))
    {
        let (i, j) = (num(a)?, num(b)?);
        if j < i || (i < 0) != (j < 0) {
            return None;
        }
        Slice {
            start: i,
            len: Some(j - i + 1),
        }
    } else {
        Slice {
            start: num(s)?,
            len: Some(1),
        }
    };
    sl.len.is_none_or(|l| l >= 0).then_some(sl)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn slices() {
        assert_eq!(
            slice("0:4"),
            Some(Slice {
                start: 0,
                len: Some(4)
            })
        );
        assert_eq!(
            slice("1-3"),
            Some(Slice {
                start: 1,
                len: Some(3)
            })
        );
        assert_eq!(
            slice("2"),
            Some(Slice {
                start: 2,
                len: Some(1)
            })
        );
        assert_eq!(
            slice(":2"),
            Some(Slice {
                start: 0,
                len: Some(2)
            })
        );
        assert_eq!(
            slice("3:"),
            Some(Slice {
                start: 3,
                len: None
            })
        );
        assert_eq!(
            slice("-2:"),
            Some(Slice {
                start: -2,
                len: None
            })
        );
        assert_eq!(slice("3-1"), None);
        assert_eq!(slice("0:99999999999"), None);
        assert_eq!(slice("x"), None);
    }
}
