//! `-G REPORT`: what cephshark knows, one tab-separated line per item, as
//! `tshark -G` prints it: the fields (`F`), the filter's pseudo fields,
//! row fields made for filtering and functions (`U`), the expert model's
//! problem kinds (`E`), and the preferences `-o` sets (`P`).

use std::io::{self, Write};

/// The reports `-G` knows.
pub const REPORTS: &str = "fields, filter-fields, experts, prefs";

/// Every preference `-o NAME:VALUE` sets: name, value, meaning.
pub const PREFS: &[(&str, &str, &str)] = &[
    ("keylog", "FILE", "Secure-mode key file (as --keys)."),
    (
        "msgr2.keylog_file",
        "FILE",
        "Secure-mode key file (as --keys; another name for keylog).",
    ),
    (
        "ceph.keyring",
        "FILE",
        "A Ceph keyring whose keys open cephx and secure mode (as --keyring; repeatable).",
    ),
    (
        "gui.column.format",
        "\"Title\",\"%fmt\",...",
        "Text list columns as tshark's title and format pairs: %m number, %t time (as -t), \
         %At %Yt %YDOYt %Rt %Dt %Gt %Et %Ut %YUt %YDOYUt time in that format, %s source, \
         %d destination, %p tag, %i info (as --columns).",
    ),
];

/// One field as `-G fields` lists it: `F`, name, abbreviation, kind, blurb.
fn field_line<W: Write>(w: &mut W, d: &crate::model::FieldDef) -> io::Result<()> {
    writeln!(
        w,
        "F\t{}\t{}\t{}\t{}",
        d.name,
        d.abbrev,
        d.kind.as_str(),
        d.blurb
    )
}

/// Write report `report` to `w`; `Ok(false)` when there is no such report.
pub fn write_report<W: Write>(w: &mut W, report: &str) -> io::Result<bool> {
    match report {
        "fields" => {
            for d in crate::analysis::registry::all() {
                field_line(w, d)?;
            }
        }
        "filter-fields" => {
            for (abbrev, blurb) in crate::filter::PSEUDO_FIELDS {
                writeln!(w, "F\t{abbrev}\t{abbrev}\tbool\t{blurb}")?;
            }
            for d in crate::filter::ROW_FIELDS
                .iter()
                .filter_map(|a| crate::analysis::registry::by_abbrev(a))
            {
                field_line(w, d)?;
            }
            for (name, kind, blurb) in crate::filter::FUNCTIONS {
                writeln!(w, "U\t{name}()\t{name}\t{kind}\t{blurb}")?;
            }
        }
        "experts" => {
            for k in crate::model::ProblemKind::ALL {
                writeln!(
                    w,
                    "E\t{}\t{}\t{}\t{}",
                    k.name(),
                    k.group().as_str(),
                    k.severity().as_str(),
                    k.description()
                )?;
            }
        }
        "prefs" => {
            for (name, value, blurb) in PREFS {
                writeln!(w, "P\t{name}\t{value}\t{blurb}")?;
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}
