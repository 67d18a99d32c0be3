//! `-T fields`: chosen fields of each row, one line per row, tshark style
//! (`-e FIELD` for each column, `-E NAME=VALUE` for the layout).
//!
//! ```text
//!  -E separator=/t|/s|<text>   between fields (default tab)
//!  -E header=y|n               first line names the fields
//!  -E quote=d|s|n              quote each field (double, single, none)
//!  -E occurrence=f|l|a|<n>     which occurrences of a repeated field
//!  -E aggregator=,|/s|<text>   between the occurrences shown
//! ```
//!
//! Values print as tshark prints them: integers in decimal, hex fields as
//! `0x..`, enum fields as their number, booleans as 1/0, bytes as plain
//! hex, times as seconds since the epoch.

use crate::filter::{is_field, occurrences};
use crate::model::{FieldKind, FieldNode, Value};
use std::io::{self, Write};

/// Which occurrences of a field to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// The first.
    First,
    /// The last.
    Last,
    /// All, joined by the aggregator.
    All,
    /// The n-th (1-based).
    Nth(usize),
}

/// Quoting of each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// None.
    None,
    /// `"value"`.
    Double,
    /// `'value'`.
    Single,
}

/// The columns and layout of `-T fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsSpec {
    /// Field names, in column order.
    pub fields: Vec<&'static str>,
    /// Between fields.
    pub separator: String,
    /// Print a header line.
    pub header: bool,
    /// Quoting.
    pub quote: Quote,
    /// Which occurrences.
    pub occurrence: Occurrence,
    /// Between occurrences.
    pub aggregator: String,
}

fn static_name(name: &str) -> Option<&'static str> {
    if let Some(d) = crate::analysis::registry::by_abbrev(name) {
        return Some(d.abbrev);
    }
    crate::filter::PSEUDO_FIELDS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
}

fn escape_char(v: &str) -> String {
    match v {
        "/t" => "\t".into(),
        "/s" => " ".into(),
        other => other.into(),
    }
}

impl FieldsSpec {
    /// Columns for `fields` (each must be a known field), tshark's defaults.
    pub fn new(fields: &[String]) -> Result<Self, String> {
        if fields.is_empty() {
            return Err(
                "\"-T fields\" was specified, but no fields were specified with \"-e\"".into(),
            );
        }
        let fields = fields
            .iter()
            .map(|f| {
                static_name(f)
                    .filter(|n| is_field(n))
                    .ok_or_else(|| format!("-e {f}: \"{f}\" is not a valid field"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FieldsSpec {
            fields,
            separator: "\t".into(),
            header: false,
            quote: Quote::None,
            occurrence: Occurrence::All,
            aggregator: ",".into(),
        })
    }

    /// Apply one `-E NAME=VALUE` option.
    pub fn set_option(&mut self, opt: &str) -> Result<(), String> {
        let bad = || {
            format!("-E {opt}: invalid option (separator=, header=y|n, quote=d|s|n, occurrence=f|l|a|N, aggregator=)")
        };
        let (name, value) = opt.split_once('=').ok_or_else(bad)?;
        match name {
            "separator" => self.separator = escape_char(value),
            "aggregator" => self.aggregator = escape_char(value),
            "header" => {
                self.header = match value {
                    "y" => true,
                    "n" => false,
                    _ => return Err(bad()),
                }
            }
            "quote" => {
                self.quote = match value {
                    "d" => Quote::Double,
                    "s" => Quote::Single,
                    "n" => Quote::None,
                    _ => return Err(bad()),
                }
            }
            "occurrence" => {
                self.occurrence = match value {
                    "f" => Occurrence::First,
                    "l" => Occurrence::Last,
                    "a" => Occurrence::All,
                    n => match n.parse::<usize>() {
                        Ok(0) => Occurrence::All,
                        Ok(i) => Occurrence::Nth(i),
                        Err(_) => return Err(bad()),
                    },
                }
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    fn quoted(&self, s: &str) -> String {
        match self.quote {
            Quote::None => s.to_string(),
            Quote::Double => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            Quote::Single => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// Write the header line (field names).
    pub fn write_header<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let cols: Vec<String> = self.fields.iter().map(|f| self.quoted(f)).collect();
        writeln!(w, "{}", cols.join(&self.separator))
    }

    /// The cells of one row.
    pub fn cells(&self, tree: &FieldNode) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| {
                let kind = crate::filter::field_kind(f);
                let all: Vec<String> = occurrences(tree, f)
                    .iter()
                    // Escaped per value: a TAB or newline inside a value
                    // cannot split a cell or a row.
                    .map(|v| crate::model::escape(&value_text(v, kind)).into_owned())
                    .collect();
                let chosen: Vec<String> = match self.occurrence {
                    Occurrence::All => all,
                    Occurrence::First => all.into_iter().take(1).collect(),
                    Occurrence::Last => all.into_iter().last().into_iter().collect(),
                    Occurrence::Nth(n) => all
                        .into_iter()
                        .nth(n.saturating_sub(1))
                        .into_iter()
                        .collect(),
                };
                if chosen.is_empty() {
                    String::new()
                } else {
                    self.quoted(&chosen.join(&self.aggregator))
                }
            })
            .collect()
    }

    /// Write one row.
    pub fn write_row<W: Write>(&self, w: &mut W, tree: &FieldNode) -> io::Result<()> {
        writeln!(w, "{}", self.cells(tree).join(&self.separator))
    }
}

/// One row of `-T json`/`jsonl` with `-e`: the row number and, under
/// `fields`, each named field that occurs with every value it has (as
/// tshark's `-T json -e` lists them); fields the row lacks are left out.
pub fn write_json_row<W: Write>(
    w: &mut W,
    number: u64,
    spec: &FieldsSpec,
    tree: &FieldNode,
    format: super::Format,
    first: bool,
) -> io::Result<()> {
    let mut fields = serde_json::Map::new();
    for f in &spec.fields {
        let values: Vec<serde_json::Value> = occurrences(tree, f)
            .iter()
            .map(super::tree::value_json)
            .collect();
        if !values.is_empty() {
            fields.insert((*f).to_string(), serde_json::Value::Array(values));
        }
    }
    let row = serde_json::json!({ "frame": number, "fields": fields });
    if format == super::Format::Json {
        if !first {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer_pretty(&mut *w, &row)?;
        Ok(())
    } else {
        serde_json::to_writer(&mut *w, &row)?;
        w.write_all(b"\n")
    }
}

/// One value as `-T fields` prints it.
pub fn value_text(v: &Value, kind: Option<FieldKind>) -> String {
    match v {
        Value::None => String::new(),
        Value::Uint(x) if kind == Some(FieldKind::Hex) => format!("{x:#x}"),
        Value::Uint(x) | Value::Enum(x, _) => x.to_string(),
        Value::Int(x) => x.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        Value::Str(s) | Value::Addr(s) => s.clone(),
        Value::Time(s, n) => format!("{s}.{n:09}"),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let mut s = FieldsSpec::new(&["frame.number".into(), "frame.packet".into()]).unwrap();
        s.set_option("separator=,").unwrap();
        s.set_option("quote=d").unwrap();
        s.set_option("occurrence=l").unwrap();
        s.set_option("header=y").unwrap();
        assert_eq!(
            (s.separator.as_str(), s.quote, s.occurrence, s.header),
            (",", Quote::Double, Occurrence::Last, true)
        );
        assert!(s.set_option("quote=x").is_err());
        assert!(FieldsSpec::new(&["nope.nope".into()]).is_err());
        assert!(FieldsSpec::new(&[]).is_err());
        assert_eq!(s.quoted("a\"b"), "\"a\\\"b\"");
    }
}
