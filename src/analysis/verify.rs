//! Verify findings: every problem of warning level or worse, located by
//! connection, direction, row, stream offset and packet.

use super::record::Record;
use crate::capture::PacketIndex;
use crate::msgr2::{ProblemKind, Severity};
use crate::tcp::{ConnId, Direction};

/// One thing `verify` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Connection.
    pub conn: ConnId,
    /// Direction.
    pub dir: Direction,
    /// Row number in the frame list.
    pub row: u64,
    /// Tag (or pseudo tag) of the row.
    pub tag: String,
    /// Stream offset of the field.
    pub offset: u64,
    /// Packet carrying that byte (or the row's first packet).
    pub packet: PacketIndex,
    /// Problem kind.
    pub kind: ProblemKind,
    /// Field abbreviation.
    pub field: &'static str,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub found: String,
}

/// The findings of one record.
pub fn findings(r: &Record) -> Vec<Finding> {
    r.problems()
        .into_iter()
        .zip(
            r.problem_packets
                .iter()
                .copied()
                .chain(std::iter::repeat(PacketIndex(0))),
        )
        .filter(|(p, _)| p.kind.severity() >= Severity::Warning)
        .map(|(p, pkt)| Finding {
            conn: r.conn,
            dir: r.dir,
            row: r.number,
            tag: r.tag_name(),
            offset: p.offset,
            packet: if pkt.0 == 0 {
                r.packets.first().copied().unwrap_or_default()
            } else {
                pkt
            },
            kind: p.kind,
            field: p.field,
            expected: p.expected,
            found: p.found,
        })
        .collect()
}
