//! A MSG item: the tag, `ceph_msg_header`, front, middle, data and footer
//! (see `header`), every CRC checked (Message.cc `decode_message`: the
//! header CRC; front and middle CRCs; the data CRC unless the footer says
//! CEPH_MSG_FOOTER_NOCRC), and the hunt for the next MSG after lost bytes.

use super::header::{self, Footer, MsgHeader};
use super::item::{Body, Check1, CheckKind1, Item, Msg};
use super::tag::Tag1;
use crate::msgr2::{CheckStatus, Problem, ProblemKind};
use bytes::Bytes;
use std::ops::Range;

/// Where the header starts (after the tag byte).
const HDR: usize = 1;
/// Tag and header.
const PREFIX: usize = HDR + header::HEADER_LEN;

/// What the bytes at a MSG tag hold.
#[derive(Debug)]
pub enum Step {
    /// At least this many more bytes are needed.
    Wait(usize),
    /// A whole MSG of this many bytes (its `data` left empty for the
    /// caller to fill with the consumed bytes).
    Item(Box<Item>, usize),
    /// The header cannot be trusted: the problem, and the caller hunts.
    Bad(Problem),
}

/// The header at `b[1..54]` and whether its CRC matches, or `None` when
/// fewer bytes are there.
fn header_at(b: &[u8]) -> Option<(MsgHeader, u32)> {
    let h = b.get(HDR..PREFIX)?;
    let (_, parsed) = MsgHeader::parse(h).ok()?;
    let computed = header::crc(h.get(..header::HEADER_CRC_COVERS)?);
    Some((parsed, computed))
}

/// The item's byte ranges: front, middle, data, footer start, total.
fn layout(h: &MsgHeader, signed: bool) -> Option<([Range<usize>; 3], usize, usize)> {
    let mut at = PREFIX;
    let mut r = [0..0, 0..0, 0..0];
    for (slot, len) in r.iter_mut().zip(h.lens()) {
        let end = at.checked_add(usize::try_from(len).ok()?)?;
        *slot = at..end;
        at = end;
    }
    let total = at.checked_add(Footer::len(signed))?;
    Some((r, at, total))
}

/// Decode the MSG starting at `b[0]` (its tag), at stream offset `base`;
/// `signed`: the footer has `sig`; `max`: the largest front, middle or
/// data accepted.
pub fn step(b: &[u8], base: u64, signed: bool, max: u32) -> Step {
    let Some((h, computed)) = header_at(b) else {
        return Step::Wait(PREFIX.saturating_sub(b.len()));
    };
    let crc_at = base + (HDR + header::CRC.start) as u64;
    if computed != h.crc {
        return Step::Bad(
            Problem::new(
                ProblemKind::Msgr1HeaderCrcBad,
                crc_at,
                4,
                "msgr1.header.crc",
            )
            .values(format!("{computed:#010x}"), format!("{:#010x}", h.crc)),
        );
    }
    let names = [
        "msgr1.header.front_len",
        "msgr1.header.middle_len",
        "msgr1.header.data_len",
    ];
    let at = [header::FRONT_LEN, header::MIDDLE_LEN, header::DATA_LEN];
    for ((len, name), r) in h.lens().into_iter().zip(names).zip(at) {
        if len > max {
            return Step::Bad(
                Problem::new(
                    ProblemKind::Msgr1LengthTooLong,
                    base + (HDR + r.start) as u64,
                    4,
                    name,
                )
                .values(format!("at most {max}"), len.to_string()),
            );
        }
    }
    let Some((parts, footer_at, total)) = layout(&h, signed) else {
        return Step::Bad(Problem::new(
            ProblemKind::Msgr1LengthTooLong,
            base,
            1,
            "msgr1.header",
        ));
    };
    if b.len() < total {
        return Step::Wait(total - b.len());
    }
    let Some(Ok((_, footer))) = b.get(footer_at..total).map(Footer::parse(signed)) else {
        return Step::Wait(1);
    };
    let [front, middle, data] = parts;
    let mut it = Item {
        offset: base,
        data: Bytes::new(),
        body: Body::Msg(Box::new(Msg {
            header: h,
            front: front.clone(),
            middle: middle.clone(),
            data: data.clone(),
            footer: Some(footer),
            footer_at,
        })),
        checks: vec![Check1 {
            kind: CheckKind1::Header,
            offset: crc_at,
            stored: h.crc,
            computed,
            status: CheckStatus::Good,
        }],
        problems: Vec::new(),
    };
    let stored = [footer.front_crc, footer.middle_crc, footer.data_crc];
    let kinds = [CheckKind1::Front, CheckKind1::Middle, CheckKind1::Data];
    let fields = [
        "msgr1.footer.front_crc",
        "msgr1.footer.middle_crc",
        "msgr1.footer.data_crc",
    ];
    let spans = [header::FRONT_CRC, header::MIDDLE_CRC, header::DATA_CRC];
    for (i, range) in [front, middle, data].into_iter().enumerate() {
        let (Some(&kind), Some(&stored), Some(&field), Some(span)) =
            (kinds.get(i), stored.get(i), fields.get(i), spans.get(i))
        else {
            continue;
        };
        let computed = header::crc(b.get(range).unwrap_or_default());
        let offset = base + (footer_at + span.start) as u64;
        let status = if kind == CheckKind1::Data && footer.flags & header::FLAG_NOCRC != 0 {
            it.problems.push(
                Problem::new(ProblemKind::Msgr1DataCrcAbsent, offset, 4, field)
                    .values(format!("{computed:#010x}"), "CEPH_MSG_FOOTER_NOCRC"),
            );
            CheckStatus::Absent
        } else if computed == stored {
            CheckStatus::Good
        } else {
            it.problems.push(
                Problem::new(ProblemKind::Msgr1CrcBad, offset, 4, field)
                    .values(format!("{computed:#010x}"), format!("{stored:#010x}")),
            );
            CheckStatus::Bad
        };
        it.checks.push(Check1 {
            kind,
            offset,
            stored,
            computed,
            status,
        });
    }
    let flags_at = base + (total - 1) as u64;
    if footer.flags & !header::FLAGS_KNOWN != 0 {
        it.problems.push(
            Problem::new(
                ProblemKind::Msgr1FooterFlagsUnknown,
                flags_at,
                1,
                "msgr1.footer.flags",
            )
            .values(
                format!("bits of {:#04x}", header::FLAGS_KNOWN),
                format!("{:#04x}", footer.flags),
            ),
        );
    }
    if footer.flags & header::FLAG_COMPLETE == 0 {
        // ProtocolV1.cc read_message_footer: a footer without COMPLETE
        // marks a message its sender aborted; the receiver drops it.
        it.problems.push(
            Problem::new(ProblemKind::Aborted, flags_at, 1, "msgr1.footer.flags")
                .values("CEPH_MSG_FOOTER_COMPLETE", format!("{:#04x}", footer.flags)),
        );
    }
    Step::Item(Box::new(it), total)
}

/// A MSG cut short (capture ended or lost bytes): its header, when whole
/// and its CRC matches, with the ranges clipped to what is there.
pub fn partial(b: &[u8], base: u64, signed: bool) -> Option<Item> {
    let (h, computed) = header_at(b)?;
    if computed != h.crc {
        return None;
    }
    let (parts, footer_at, _) = layout(&h, signed)?;
    let clip = |r: &Range<usize>| r.start.min(b.len())..r.end.min(b.len());
    Some(Item {
        offset: base,
        data: Bytes::new(),
        body: Body::Msg(Box::new(Msg {
            header: h,
            front: clip(&parts[0]),
            middle: clip(&parts[1]),
            data: clip(&parts[2]),
            footer: None,
            footer_at: footer_at.min(b.len()),
        })),
        checks: vec![Check1 {
            kind: CheckKind1::Header,
            offset: base + (HDR + header::CRC.start) as u64,
            stored: h.crc,
            computed,
            status: CheckStatus::Good,
        }],
        problems: Vec::new(),
    })
}

/// Where a hunt stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// A MSG tag whose header CRC matches starts here.
    At(usize),
    /// None starts before this offset (bytes from it may still).
    NotBefore(usize),
}

/// Look for a MSG whose header CRC matches (`finishing`: no more bytes
/// will come).
pub fn find(b: &[u8], finishing: bool) -> Found {
    let whole = b.len().saturating_sub(PREFIX - 1);
    for at in 0..whole {
        let Some(rest) = b.get(at..) else { break };
        if rest.first() != Some(&Tag1::Msg.raw()) {
            continue;
        }
        if let Some((h, computed)) = header_at(rest) {
            if computed == h.crc {
                return Found::At(at);
            }
        }
    }
    Found::NotBefore(if finishing { b.len() } else { whole })
}
