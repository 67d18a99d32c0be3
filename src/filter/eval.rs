//! Evaluating a parsed filter over a row's field tree.
//!
//! Every occurrence of a field is a candidate: a comparison holds if any
//! occurrence satisfies it, `!=` if the field occurs and none equals.
//! Values of the wrong type for a literal never match (they cannot occur
//! for registry fields, whose kind decided the literal's type).

use super::lexer::RelOp;
use super::parser::{Expr, Lit};
use crate::model::{FieldNode, Value};
use std::cmp::Ordering;
use std::net::{IpAddr, SocketAddr};

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
            field,
            op: RelOp::Ne,
            lit,
        } => any(tree, field, &mut |_| true) && !any(tree, field, &mut |v| test(v, RelOp::Eq, lit)),
        Expr::Cmp { field, op, lit } => any(tree, field, &mut |v| test(v, *op, lit)),
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
        _ => compare(v, lit).is_some_and(|o| match op {
            RelOp::Eq => o == Ordering::Equal,
            RelOp::Ne => o != Ordering::Equal,
            RelOp::Lt => o == Ordering::Less,
            RelOp::Le => o != Ordering::Greater,
            RelOp::Gt => o == Ordering::Greater,
            RelOp::Ge => o != Ordering::Less,
            RelOp::Contains | RelOp::Matches => false,
        }),
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
        (Value::Addr(a), Lit::Sock(l)) => {
            let (ip, port) = parse_addr(a)?;
            Some((ip, port?).cmp(&(l.ip(), l.port())))
        }
        (Value::Addr(a), Lit::Ip(l)) => parse_addr(a).map(|(ip, _)| ip.cmp(l)),
        (Value::Time(s, n), Lit::Time(ls, ln)) => Some((s, n).cmp(&(ls, ln))),
        _ => None,
    }
}

/// An address value's IP and port: `ip:port`, `[v6]:port`, a bare IP, or
/// an entity address `v2:ip:port/nonce`.
fn parse_addr(text: &str) -> Option<(IpAddr, Option<u16>)> {
    let t = ["v1:", "v2:", "any:"]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    let t = t.split_once('/').map_or(t, |(a, _)| a);
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Some((a.ip(), Some(a.port())));
    }
    let bare = t
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    bare.parse::<IpAddr>().ok().map(|ip| (ip, None))
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
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(parse_addr("127.0.0.1:3300"), Some((ip, Some(3300))));
        assert_eq!(parse_addr("v2:127.0.0.1:3300/42"), Some((ip, Some(3300))));
        assert_eq!(parse_addr("[::1]:6800").map(|a| a.1), Some(Some(6800)));
        assert_eq!(parse_addr("::1").map(|a| a.1), Some(None));
        let sock: SocketAddr = "127.0.0.1:3300".parse().unwrap();
        assert_eq!(
            compare(&Value::Addr("127.0.0.1:3300".into()), &Lit::Sock(sock)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&Value::Addr("127.0.0.1:3301".into()), &Lit::Ip(ip)),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn contains_bytes() {
        let v = Value::Bytes(vec![1, 2, 3, 4]);
        assert!(contains(&v, &Lit::Bytes(vec![2, 3])));
        assert!(!contains(&v, &Lit::Bytes(vec![3, 2])));
    }
}
