//! Literals of display filters, converted for the kind of value they are
//! compared with: integers in the field's range, booleans, enum names,
//! addresses (Ceph's own `v2:ip:port/nonce` text too), byte strings,
//! times (seconds since the epoch, or a UTC date).

use super::lexer::{RelOp, Tok, Token};
use super::parser::Lit;
use super::FilterError;
use crate::decode::MsgType;
use crate::model::FieldKind;
use crate::msgr2::Tag;
use std::net::{IpAddr, SocketAddr};

/// An address literal: Ceph's entity address text (`v2:ip:port/nonce`,
/// `v1:`, `any:`, or none) or a socket address or bare IP. Parts left
/// out match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrLit {
    /// `v1`, `v2` or `any`, when given.
    pub kind: Option<String>,
    /// The IP.
    pub ip: IpAddr,
    /// The port, when given.
    pub port: Option<u16>,
    /// The nonce, when given.
    pub nonce: Option<u32>,
}

/// Parse address text (a literal or an address field's value).
pub fn parse_addr(text: &str) -> Option<AddrLit> {
    let (kind, t) = match ["v1:", "v2:", "any:"].iter().find_map(|p| {
        text.strip_prefix(p)
            .map(|rest| (p.trim_end_matches(':').to_string(), rest))
    }) {
        Some((k, rest)) => (Some(k), rest),
        None => (None, text),
    };
    let (t, nonce) = match t.split_once('/') {
        Some((a, n)) => (a, Some(n.parse::<u32>().ok()?)),
        None => (t, None),
    };
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Some(AddrLit {
            kind,
            ip: a.ip(),
            port: Some(a.port()),
            nonce,
        });
    }
    let bare = t
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    bare.parse::<IpAddr>().ok().map(|ip| AddrLit {
        kind,
        ip,
        port: None,
        nonce,
    })
}

pub fn bad(v: &Token, what: &str) -> FilterError {
    FilterError::new(v.column, format!("{} is not a valid {what}.", shown(v)))
}

/// A value token as messages quote it (a quoted string as written).
fn shown(v: &Token) -> String {
    match v.tok {
        Tok::Str(_) => v.text.clone(),
        _ => format!("\"{}\"", v.text),
    }
}

/// Convert the value token `v` for a comparison `field op v`.
pub fn literal(
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
            FieldKind::Uint | FieldKind::Hex => {
                let n = integer(&text).ok_or_else(|| bad(v, &format!("integer for {field}")))?;
                in_range(n, 0, i128::from(u64::MAX), field, "an unsigned 64-bit", v)
            }
            // Signed fields hold results: an errno name stands for its
            // negative value (`ceph.osd_op_reply.result == EOPNOTSUPP`).
            FieldKind::Int => {
                let n = integer(&text)
                    .or_else(|| crate::decode::errno::from_name(&text).map(i128::from))
                    .ok_or_else(|| bad(v, &format!("integer for {field}")))?;
                in_range(
                    n,
                    i128::from(i64::MIN),
                    i128::from(i64::MAX),
                    field,
                    "a signed 64-bit",
                    v,
                )
            }
            FieldKind::Bool => boolean(&text)
                .map(Lit::Int)
                .ok_or_else(|| bad(v, "boolean (true, false, 1, 0)")),
            FieldKind::Enum => match enum_value(field, &text) {
                Some(Lit::Int(n)) => {
                    in_range(n, 0, i128::from(u64::MAX), field, "an enumerated", v)
                }
                Some(l) => Ok(l),
                None => Err(bad(v, &format!("value of {field}"))),
            },
            FieldKind::Str => Ok(Lit::Str(text)),
            FieldKind::Addr => match parse_addr(&text) {
                Some(l) => Ok(Lit::Addr(l)),
                None if quoted => Ok(Lit::Str(text)),
                None => Err(bad(
                    v,
                    "address (ip:port, [ipv6]:port, a bare IP, or v2:ip:port/nonce)",
                )),
            },
            FieldKind::Bytes if quoted => Ok(Lit::Bytes(text.into_bytes())),
            FieldKind::Bytes => byte_string(&text)
                .map(Lit::Bytes)
                .ok_or_else(|| bad(v, "byte string (e.g. 01:02:ff)")),
            FieldKind::Time if field == "frame.time_relative" => time(&text)
                .map(|(s, n)| Lit::Time(s, n))
                .ok_or_else(|| bad(v, "time in seconds (e.g. 0.25)")),
            FieldKind::Time => time(&text)
                .or_else(|| date(&text))
                .map(|(s, n)| Lit::Time(s, n))
                .ok_or_else(|| {
                    bad(
                        v,
                        "time (seconds since the epoch, or \"YYYY-MM-DD HH:MM:SS[.frac]\" in UTC)",
                    )
                }),
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

pub fn boolean(s: &str) -> Option<i128> {
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

/// `01:02:ff`, `01-02-ff`, `01.02.ff` or `0102ff`.
pub fn byte_string(s: &str) -> Option<Vec<u8>> {
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
pub fn time(s: &str) -> Option<(i64, u32)> {
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

/// `n` as a literal when it lies in `lo..=hi`; an error at the value
/// otherwise (no value of the field could match it).
fn in_range(
    n: i128,
    lo: i128,
    hi: i128,
    field: &str,
    what: &str,
    v: &Token,
) -> Result<Lit, FilterError> {
    if n < lo || n > hi {
        return Err(FilterError::new(
            v.column,
            format!(
                "\"{}\" is out of range for {field}, {what} field ({lo} to {hi}).",
                v.text
            ),
        ));
    }
    Ok(Lit::Int(n))
}

/// `YYYY-MM-DD HH:MM:SS[.frac]` (or with `T`, optionally ending in `Z`),
/// or a date alone, read as UTC (the time zone cephshark prints times
/// in): seconds and nanoseconds since the epoch.
pub fn date(s: &str) -> Option<(i64, u32)> {
    let s = s.trim().trim_end_matches('Z');
    let (d, t) = s.split_once([' ', 'T']).unwrap_or((s, "00:00:00"));
    let mut dp = d.split('-');
    let (y, mo, da) = (dp.next()?, dp.next()?, dp.next()?);
    if dp.next().is_some() || y.len() != 4 {
        return None;
    }
    let num = |x: &str| -> Option<i64> {
        let ok = (1..=4).contains(&x.len()) && x.chars().all(|c| c.is_ascii_digit());
        ok.then(|| x.parse().ok()).flatten()
    };
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut tp = hms.split(':');
    let (h, mi) = (num(tp.next()?)?, num(tp.next()?)?);
    let sec = tp.next().map_or(Some(0), num)?;
    if tp.next().is_some()
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    let (_, nanos) = time(&format!("0.{frac}"))
        .filter(|_| !frac.is_empty())
        .unwrap_or((0, 0));
    // Days from the civil date (the inverse of decode::text::civil_date).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy.rem_euclid(400);
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (crate::decode::text::civil_date(days) == (y, mo, da)).then_some(())?;
    Some((days * 86_400 + h * 3600 + mi * 60 + sec, nanos))
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
        assert_eq!(parse_addr("127.0.0.1").map(|a| a.port), Some(None));
        assert_eq!(parse_addr("[::1]:3300").map(|a| a.port), Some(Some(3300)));
        let a = parse_addr("v2:127.0.0.1:43501/7928").unwrap();
        assert_eq!(
            (a.kind.as_deref(), a.port, a.nonce),
            (Some("v2"), Some(43501), Some(7928))
        );
        assert_eq!(
            parse_addr("any:[::1]:6800").map(|a| a.port),
            Some(Some(6800))
        );
        assert_eq!(date("1970-01-02 00:00:01"), Some((86_401, 0)));
        assert_eq!(date("2026-11-01 00:00:00"), Some((1_793_491_200, 0)));
        assert_eq!(
            date("2000-02-29T12:00:00.5Z"),
            Some((951_825_600, 500_000_000))
        );
        assert_eq!(date("2001-02-29 00:00:00"), None);
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
