//! Display filters: Wireshark's filter language over the field tree of a row.
//!
//! ```text
//!  "ceph.msg.type == osd_op && !msgr2.error"
//!      |  lexer     tokens with 1-based columns
//!      v
//!  parser  (every field name checked against analysis::registry,
//!      |    every literal converted for its field's kind)
//!      v
//!  Expr  --eval over record_tree(&record)-->  bool
//! ```
//!
//! The language:
//!
//! - a field name alone tests presence: `ceph.msg`, `msgr2.problem`;
//! - comparisons `==` `!=` `<` `<=` `>` `>=` (or `eq ne lt le gt ge`),
//!   `contains`, `matches` (or `~`, a regular expression, case-insensitive
//!   unless the pattern says `(?-i)`);
//! - `and` `or` `not` (or `&&` `||` `!`) and parentheses; `not` binds
//!   tightest, then `and`, then `or`;
//! - literals: integers (decimal, `0x` hex, `0o`, `0b`, signed for signed
//!   fields), `true`/`false`, quoted strings (`\" \\ \n \t \xNN`) or bare
//!   words for text fields, addresses (`127.0.0.1:3300`, `[::1]:3300`; a
//!   bare IP matches any port), byte strings (`01:02:ff`, `01-02-ff`,
//!   `0102ff`; a quoted string stands for its UTF-8 bytes), seconds since
//!   the epoch for times, and value names for enum fields
//!   (`ceph.msg.type == osd_op`, `msgr2.tag == message`; case-insensitive);
//! - convenience fields (see [`PSEUDO_FIELDS`]): `msgr2.error`,
//!   `msgr2.crc.bad`, `ceph.encoding`, `msgr2.secure`, `msgr2.aborted`;
//! - sets `field in {a b 3..7}` (values and inclusive ranges, at most
//!   [`MAX_SET`] members), field-to-field comparisons
//!   (`ceph.msg.seq > ceph.msg.ack_seq`), slices of byte and text fields
//!   as Wireshark writes them (`[i:len]`, `[i-j]`, `[i]`, `[:len]`, `[i:]`),
//!   and the [`FUNCTIONS`] `len()`, `lower()`, `upper()`;
//! - dates for times, read as UTC (`"2026-11-01 00:00:00"`), and Ceph's
//!   address text (`v2:127.0.0.1:6800/1234`) for addresses;
//! - integers outside their field's range and values of the wrong type
//!   are errors, never a filter that silently matches nothing.
//!
//! A field may occur several times in one row (`frame.packet`, the
//! segment CRCs). As in Wireshark, a comparison is true if **any**
//! occurrence satisfies it, except `!=`, which is true if the field occurs
//! and **no** occurrence equals the value (`a != x` is `a and not a == x`).
//! The right-hand side is a literal, or a field when it names one.
//!
//! Unknown field names, bad literals and syntax errors are [`FilterError`]s
//! carrying the 1-based column they concern. So is nesting deeper than
//! [`MAX_NESTING`] levels of `(` and `not` (the error points at the first
//! level too many): parsing, evaluating and dropping a filter take stack in
//! proportion to its nesting only, never to its length.

mod eval;
mod lexer;
mod literal;
mod operand;
mod parser;

pub use eval::occurrences;
pub use lexer::RelOp;
pub use literal::date;
pub use parser::{MAX_NESTING, MAX_SET, MAX_SLICE};

use crate::analysis::{record_tree, Record};
use crate::model::FieldNode;
use std::fmt;

/// Fields the filter understands beyond the registry: name and meaning.
/// Each occurs once (value `true`) in a row where its condition holds, and
/// not at all otherwise.
pub const PSEUDO_FIELDS: &[(&str, &str)] = &[
    (
        "msgr2.error",
        "The row has a problem of warning level or worse.",
    ),
    (
        "msgr2.crc.bad",
        "A preamble or segment CRC of the row does not match.",
    ),
    (
        "ceph.encoding",
        "The row's payload has an encoding error: Ceph's decoder would reject it.",
    ),
    ("msgr2.secure", "The frame was sent in secure mode."),
    (
        "msgr2.aborted",
        "The sender aborted the frame (late status/flags).",
    ),
];

/// Row fields made for filtering as Wireshark users and Ceph people do
/// (registry fields; `-G filter-fields` lists them with the convenience
/// fields).
pub const ROW_FIELDS: &[&str] = &[
    "ceph.entity",
    "ceph.src.entity",
    "ceph.dst.entity",
    "ceph.entity.type",
    "ceph.src.entity.type",
    "ceph.dst.entity.type",
    "tcp.port",
    "tcp.srcport",
    "tcp.dstport",
    "ip.addr",
    "ip.src",
    "ip.dst",
    "frame.time_relative",
];

/// Functions over a field: name, the kind of their result, meaning.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "len",
        "uint",
        "Length in bytes of a text, byte or address field (or its slice): len(ceph.osd_op.oid) == 4.",
    ),
    (
        "lower",
        "string",
        "A text, address or enum name in lower case: lower(ceph.osd_op.oid) == \"obj1\".",
    ),
    (
        "upper",
        "string",
        "A text, address or enum name in upper case: upper(ceph.entity.type) == \"OSD\".",
    ),
];

/// Whether `name` is a field a filter (or `-e`) may use.
pub fn is_field(name: &str) -> bool {
    field_kind(name).is_some()
}

/// The kind of a registry field or convenience field (`None` if unknown).
pub fn field_kind(name: &str) -> Option<crate::model::FieldKind> {
    if let Some(d) = crate::analysis::registry::by_abbrev(name) {
        return Some(d.kind);
    }
    PSEUDO_FIELDS
        .iter()
        .any(|(n, _)| *n == name)
        .then_some(crate::model::FieldKind::Bool)
}

/// A parse error: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    /// 1-based column (in characters) of the offending token; one past
    /// the end when something is missing at the end.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl FilterError {
    /// An error at `column`.
    pub fn new(column: usize, message: impl Into<String>) -> Self {
        FilterError {
            column,
            message: message.into(),
        }
    }

    /// tshark's layout: the message, the expression, and a caret under
    /// the column.
    ///
    /// ```text
    /// "ceph.nope" is neither a field nor a protocol name.
    ///     ceph.nope == 1
    ///     ^
    /// ```
    pub fn render(&self, expr: &str) -> String {
        let plain: String = expr
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        // Controls in the expression are shown escaped; the caret counts
        // the escaped characters before its column.
        let shown = crate::model::escape(&plain);
        let before: String = plain.chars().take(self.column.saturating_sub(1)).collect();
        let pad = " ".repeat(crate::model::escape(&before).chars().count());
        format!("{}\n    {shown}\n    {pad}^", self.message)
    }
}

/// A parsed display filter.
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    expr: parser::Expr,
    fields: Vec<&'static str>,
}

impl Filter {
    /// Parse a filter expression.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let tokens = lexer::tokenize(text)?;
        let end = text.chars().count() + 1;
        let (expr, fields) = parser::parse(&tokens, end)?;
        Ok(Filter {
            text: text.to_string(),
            expr,
            fields,
        })
    }

    /// Whether the row matches (builds its field tree).
    pub fn matches(&self, r: &Record) -> bool {
        self.matches_tree(&record_tree(r))
    }

    /// Whether a row whose tree is already built matches.
    pub fn matches_tree(&self, tree: &FieldNode) -> bool {
        eval::eval(&self.expr, tree)
    }

    /// The field names the filter uses, in order of first use.
    pub fn fields(&self) -> &[&'static str] {
        &self.fields
    }

    /// Whether the filter reads any field of bytes (which may be a data
    /// segment's: a decoder that elides those must not be used with it).
    pub fn reads_bytes(&self) -> bool {
        self.fields
            .iter()
            .any(|f| field_kind(f) == Some(crate::model::FieldKind::Bytes))
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
