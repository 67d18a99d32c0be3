//! Evaluating a parsed filter over a row's field tree.
//!
//! Every occurrence of a field is a candidate: a comparison holds if any
//! occurrence satisfies it, `!=` if the field occurs and none equals.
//! Values of the wrong type for a literal never match (they cannot occur
//! for registry fields, whose kind decided the literal's type).
//!
//! An operand's values are its field's occurrences, each sliced and put
//! through its function (a slice past a value's end gives no value, as in
//! Wireshark). Two operands compare when any pair of their values does
//! (`!=`: both occur and no pair is equal); `in` holds when any value
//! equals a member or lies in a range (inclusive).

use super::lexer::RelOp;
use super::literal::{parse_addr, AddrLit};
use super::parser::{Expr, Func, Lit, Member, Operand, Rhs, Slice};
use crate::model::{FieldNode, Value};
use std::cmp::Ordering;

/// Evaluate `e` over `tree`. The recursion follows the expression's
/// nesting, which the parser bounds (`parser::MAX_NESTING`); chains are
/// flat lists, walked in a loop.
pub fn eval(e: &Expr, tree: &FieldNode) -> bool {
    match e {
        Expr::And(all) => all.iter().all(|a| eval(a, tree)),
        Expr::Or(any) => any.iter().any(|a| eval(a, tree)),
        Expr::Not(a) => !eval(a, tree),
        Expr::Exists(f) => any(tree, f, &mut |_| true),
        Expr::Cmp {
            lhs,
            op,
            rhs: Rhs::Lit(lit),
        } => {
            if *op == RelOp::Ne {
                any_op(tree, lhs, &mut |_| true)
                    && !any_op(tree, lhs, &mut |v| test(v, RelOp::Eq, lit))
            } else {
                any_op(tree, lhs, &mut |v| test(v, *op, lit))
            }
        }
        Expr::Cmp {
            lhs,
            op,
            rhs: Rhs::Field(rhs),
        } => {
            let (a, b) = (values(tree, lhs), values(tree, rhs));
            let pair = |op: RelOp| a.iter().any(|x| b.iter().any(|y| test_values(x, op, y)));
            if *op == RelOp::Ne {
                !a.is_empty() && !b.is_empty() && !pair(RelOp::Eq)
            } else {
                pair(*op)
            }
        }
        Expr::In { lhs, set } => any_op(tree, lhs, &mut |v| {
            set.iter().any(|m| match m {
                Member::One(l) => test(v, RelOp::Eq, l),
                Member::Range(lo, hi) => test(v, RelOp::Ge, lo) && test(v, RelOp::Le, hi),
            })
        }),
    }
}

/// Whether some value of the operand satisfies `pred`.
fn any_op(tree: &FieldNode, o: &Operand, pred: &mut dyn FnMut(&Value) -> bool) -> bool {
    if o.slice.is_none() && o.func.is_none() {
        return any(tree, o.field, pred);
    }
    any(tree, o.field, &mut |v| {
        apply(v, o).is_some_and(|x| pred(&x))
    })
}

/// Every value of the operand.
fn values(tree: &FieldNode, o: &Operand) -> Vec<Value> {
    let mut out = Vec::new();
    any(tree, o.field, &mut |v| {
        out.extend(apply(v, o));
        false
    });
    out
}

/// A value sliced and through the operand's function.
fn apply(v: &Value, o: &Operand) -> Option<Value> {
    let v = match &o.slice {
        Some(ranges) => {
            // Several ranges are concatenated, as in Wireshark.
            let b = raw(v)?;
            let mut out = Vec::new();
            for s in ranges {
                out.extend_from_slice(cut(b, *s)?);
            }
            Value::Bytes(out)
        }
        None => v.clone(),
    };
    Some(match o.func {
        None => v,
        Some(Func::Len) => Value::Uint(u64::try_from(raw(&v)?.len()).ok()?),
        Some(Func::Lower) => Value::Str(text(&v)?.to_lowercase()),
        Some(Func::Upper) => Value::Str(text(&v)?.to_uppercase()),
    })
}

/// The bytes of a text, bytes or address value.
fn raw(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Str(s) | Value::Addr(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

/// The text of a text, address or named enum value.
fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) | Value::Addr(s) => Some(s),
        Value::Enum(_, Some(n)) => Some(n),
        _ => None,
    }
}

/// The bytes a slice selects, `None` when the value is too short.
fn cut(b: &[u8], s: Slice) -> Option<&[u8]> {
    let n = i64::try_from(b.len()).ok()?;
    let start = if s.start < 0 {
        n.checked_add(s.start)?
    } else {
        s.start
    };
    if start < 0 || start > n {
        return None;
    }
    let end = match s.len {
        Some(l) => start.checked_add(l)?,
        None => n,
    };
    if end > n {
        return None;
    }
    b.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

/// Two values under an operator (field against field).
fn test_values(a: &Value, op: RelOp, b: &Value) -> bool {
    if op == RelOp::Contains {
        return match (raw(a), raw(b)) {
            (Some(x), Some(y)) => y.is_empty() || x.windows(y.len()).any(|w| w == y),
            _ => false,
        };
    }
    let o = match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => match (a, b) {
            (Value::Addr(x), Value::Addr(y)) => match (parse_addr(x), parse_addr(y)) {
                (Some(p), Some(q)) => Some((p.ip, p.port, p.nonce).cmp(&(q.ip, q.port, q.nonce))),
                _ => Some(x.cmp(y)),
            },
            (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
            (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
            (Value::Time(s, n), Value::Time(t, m)) => Some((s, n).cmp(&(t, m))),
            _ => None,
        },
    };
    o.is_some_and(|o| holds(op, o))
}

/// Whether an ordering satisfies a comparison operator.
fn holds(op: RelOp, o: Ordering) -> bool {
    match op {
        RelOp::Eq => o == Ordering::Equal,
        RelOp::Ne => o != Ordering::Equal,
        RelOp::Lt => o == Ordering::Less,
        RelOp::Le => o != Ordering::Greater,
        RelOp::Gt => o == Ordering::Greater,
        RelOp::Ge => o != Ordering::Less,
        RelOp::Contains | RelOp::Matches => false,
    }
}

/// Whether some occurrence of `field` satisfies `pred`; convenience
/// fields are computed from the tree.
fn any(tree: &FieldNode, field: &str, pred: &mut dyn FnMut(&Value) -> bool) -> bool {
    match pseudo(tree, field) {
        Some(true) => pred(&Value::Bool(true)),
        Some(false) => false,
        None => any_node(tree, field, pred),
    }
}

fn any_node(n: &FieldNode, field: &str, pred: &mut dyn FnMut(&Value) -> bool) -> bool {
    (n.def.abbrev == field && pred(&n.value)) || n.children.iter().any(|c| any_node(c, field, pred))
}

/// A convenience field's condition, or `None` if `field` is not one (or
/// is a registry field of the same name, which wins).
fn pseudo(tree: &FieldNode, field: &str) -> Option<bool> {
    if !super::PSEUDO_FIELDS.iter().any(|(n, _)| *n == field)
        || crate::analysis::registry::by_abbrev(field).is_some()
    {
        return None;
    }
    let is_str = |abbrev: &str, want: &[&str]| {
        any_node(
            tree,
            abbrev,
            &mut |v| matches!(v, Value::Str(s) if want.contains(&s.as_str())),
        )
    };
    match field {
        "msgr2.error" => Some(is_str("msgr2.problem.severity", &["warning", "error"])),
        "msgr2.crc.bad" => Some(
            is_str("msgr2.preamble.crc.status", &["bad"])
                || is_str("msgr2.segment.crc.status", &["bad"]),
        ),
        "ceph.encoding" => Some(tree.children.iter().any(|p| {
            p.def.abbrev == "msgr2.problem"
                && p.children.iter().any(|c| {
                    c.def.abbrev == "msgr2.problem.group"
                        && matches!(&c.value, Value::Str(g) if g == "encoding")
                })
                && p.children.iter().any(|c| {
                    c.def.abbrev == "msgr2.problem.severity"
                        && matches!(&c.value, Value::Str(g) if g == "error")
                })
        })),
        "msgr2.secure" => Some(is_str("msgr2.mode", &["secure"])),
        "msgr2.aborted" => Some(any_node(tree, "msgr2.epilogue.aborted", &mut |v| {
            *v == Value::Bool(true)
        })),
        _ => None,
    }
}

/// Every value of `field` in the tree, in tree order (a convenience field
/// gives `Bool(true)` once when its condition holds).
pub fn occurrences(tree: &FieldNode, field: &str) -> Vec<Value> {
    let mut out = Vec::new();
    match pseudo(tree, field) {
        Some(true) => out.push(Value::Bool(true)),
        Some(false) => {}
        None => {
            any_node(tree, field, &mut |v| {
                out.push(v.clone());
                false
            });
        }
    }
    out
}

fn test(v: &Value, op: RelOp, lit: &Lit) -> bool {
    match op {
        RelOp::Contains => contains(v, lit),
        RelOp::Matches => match lit {
            Lit::Regex(re) => text_bytes(v).is_some_and(|b| re.is_match(&b)),
            _ => false,
        },
        _ => compare(v, lit).is_some_and(|o| holds(op, o)),
    }
}

fn as_int(v: &Value) -> Option<i128> {
    match v {
        Value::Uint(u) | Value::Enum(u, _) => Some(i128::from(*u)),
        Value::Int(i) => Some(i128::from(*i)),
        Value::Bool(b) => Some(i128::from(*b)),
        _ => None,
    }
}

/// How the value orders against the literal; `None` if incomparable.
fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match (v, lit) {
        (_, Lit::Int(n)) => as_int(v).map(|x| x.cmp(n)),
        (Value::Str(s), Lit::Str(l)) | (Value::Addr(s), Lit::Str(l)) => {
            Some(s.as_str().cmp(l.as_str()))
        }
        (Value::Enum(_, Some(name)), Lit::Str(l)) => {
            Some(name.to_ascii_lowercase().cmp(&l.to_ascii_lowercase()))
        }
        (Value::Bytes(b), Lit::Bytes(l)) => Some(b.as_slice().cmp(l.as_slice())),
        (Value::Addr(a), Lit::Addr(l)) => addr_cmp(a, l),
        (Value::Time(s, n), Lit::Time(ls, ln)) => Some((s, n).cmp(&(ls, ln))),
        _ => None,
    }
}

/// How an address value (`ip:port`, a bare IP, or Ceph's
/// `v2:ip:port/nonce`) orders against an address literal: equal when the
/// IP matches and so does each part both give (port, `v1`/`v2`/`any`,
/// nonce); otherwise by IP and port.
fn addr_cmp(text: &str, l: &AddrLit) -> Option<Ordering> {
    let a = parse_addr(text)?;
    let port = match (a.port, l.port) {
        (Some(p), Some(q)) => p.cmp(&q),
        (None, Some(_)) => return None,
        _ => Ordering::Equal,
    };
    let o = a.ip.cmp(&l.ip).then(port);
    if o != Ordering::Equal {
        return Some(o);
    }
    let kind_differs = matches!((&a.kind, &l.kind), (Some(p), Some(q)) if p != q);
    let nonce_differs = matches!((a.nonce, l.nonce), (Some(p), Some(q)) if p != q);
    if kind_differs || nonce_differs {
        // Same place, another address: unequal, and unordered.
        return Some(a.nonce.cmp(&l.nonce).then(Ordering::Greater));
    }
    Some(Ordering::Equal)
}

fn contains(v: &Value, lit: &Lit) -> bool {
    match (v, lit) {
        (Value::Str(s), Lit::Str(l)) | (Value::Addr(s), Lit::Str(l)) => s.contains(l.as_str()),
        (Value::Enum(_, Some(name)), Lit::Str(l)) => name.contains(l.as_str()),
        (Value::Bytes(b), Lit::Bytes(l)) => {
            l.is_empty() || b.windows(l.len()).any(|w| w == l.as_slice())
        }
        // A string's exact wire bytes (`model::wire_text`).
        (Value::Str(s), Lit::Bytes(l)) => {
            let b = crate::model::wire_text::wire_bytes(s);
            l.is_empty() || b.windows(l.len()).any(|w| w == l.as_slice())
        }
        _ => false,
    }
}

/// The bytes a regular expression runs over: text as its wire bytes, bytes
/// as they are, an enum's name (or number), other values' display text.
fn text_bytes(v: &Value) -> Option<std::borrow::Cow<'_, [u8]>> {
    use std::borrow::Cow;
    Some(match v {
        Value::None => return None,
        Value::Str(s) => crate::model::wire_text::wire_bytes(s),
        Value::Addr(s) => Cow::Borrowed(s.as_bytes()),
        Value::Bytes(b) => Cow::Borrowed(b.as_slice()),
        Value::Enum(_, Some(n)) => Cow::Borrowed(n.as_bytes()),
        Value::Enum(n, None) | Value::Uint(n) => Cow::Owned(n.to_string().into_bytes()),
        Value::Int(n) => Cow::Owned(n.to_string().into_bytes()),
        Value::Bool(b) => Cow::Owned(b.to_string().into_bytes()),
        Value::Time(s, n) => Cow::Owned(format!("{s}.{n:09}").into_bytes()),
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let lit = |t: &str| parse_addr(t).unwrap();
        let v2 = "v2:127.0.0.1:43501/7928";
        assert_eq!(addr_cmp(v2, &lit("127.0.0.1:43501")), Some(Ordering::Equal));
        assert_eq!(
            addr_cmp(v2, &lit("v2:127.0.0.1:43501/7928")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            addr_cmp(v2, &lit("v2:127.0.0.1:43501")),
            Some(Ordering::Equal)
        );
        assert_ne!(
            addr_cmp(v2, &lit("v1:127.0.0.1:43501/7928")),
            Some(Ordering::Equal)
        );
        assert_ne!(
            addr_cmp(v2, &lit("v2:127.0.0.1:43501/1")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            addr_cmp("127.0.0.1:3301", &lit("127.0.0.1")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            addr_cmp("127.0.0.1:3301", &lit("127.0.0.1:3300")),
            Some(Ordering::Greater)
        );
        assert_eq!(
            addr_cmp("[::1]:6800", &lit("any:[::1]:6800/5")),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn slices_cut_as_wireshark() {
        let b = b"rbd_data";
        let s = |start, len| Slice { start, len };
        assert_eq!(cut(b, s(0, Some(4))), Some(&b"rbd_"[..]));
        assert_eq!(cut(b, s(-4, None)), Some(&b"data"[..]));
        assert_eq!(cut(b, s(6, Some(4))), None);
        assert_eq!(cut(b, s(8, Some(0))), Some(&b""[..]));
    }

    #[test]
    fn contains_bytes() {
        let v = Value::Bytes(vec![1, 2, 3, 4]);
        assert!(contains(&v, &Lit::Bytes(vec![2, 3])));
        assert!(!contains(&v, &Lit::Bytes(vec![3, 2])));
    }
}
