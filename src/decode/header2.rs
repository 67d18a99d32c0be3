//! `ceph_msg_header2`, the first segment of every MESSAGE frame
//! (msgr.h; RESEARCH.md A11). Packed, little-endian, 41 bytes:
//!
//! ```text
//!  0    8    16   18   20   22        26   28      36  37   39   41
//!  |seq |tid |type|prio|vers|pre_pad  |doff|ack_seq |flg|cvers|rsvd|
//! ```

use std::ops::Range;

/// Length of the header.
pub const LEN: usize = 41;
/// Message sequence number of the session.
pub const SEQ: Range<usize> = 0..8;
/// Transaction id.
pub const TID: Range<usize> = 8..16;
/// Message type (CEPH_MSG_* / MSG_*).
pub const TYPE: Range<usize> = 16..18;
/// Priority.
pub const PRIORITY: Range<usize> = 18..20;
/// Encoding version of the message.
pub const VERSION: Range<usize> = 20..22;
/// data_pre_padding_len.
pub const DATA_PRE_PADDING_LEN: Range<usize> = 22..26;
/// data_off.
pub const DATA_OFF: Range<usize> = 26..28;
/// Piggy-backed ack of the peer's messages.
pub const ACK_SEQ: Range<usize> = 28..36;
/// Flags.
pub const FLAGS: Range<usize> = 36..37;
/// Oldest version able to decode the message.
pub const COMPAT_VERSION: Range<usize> = 37..39;
/// Reserved.
pub const RESERVED: Range<usize> = 39..41;

/// A decoded `ceph_msg_header2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header2 {
    /// seq.
    pub seq: u64,
    /// tid.
    pub tid: u64,
    /// type.
    pub msg_type: u16,
    /// priority.
    pub priority: u16,
    /// version.
    pub version: u16,
    /// data_pre_padding_len.
    pub data_pre_padding_len: u32,
    /// data_off.
    pub data_off: u16,
    /// ack_seq.
    pub ack_seq: u64,
    /// flags.
    pub flags: u8,
    /// compat_version.
    pub compat_version: u16,
    /// reserved.
    pub reserved: u16,
}

impl Header2 {
    /// Decode from the first 41 bytes of `b`; `None` if shorter. The
    /// layout is the consts above, read in order by nom (msgr.h: packed).
    pub fn parse(b: &[u8]) -> Option<Header2> {
        use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
        use nom::Parser;
        let mut fields = (
            (le_u64, le_u64, le_u16, le_u16, le_u16),
            (le_u32, le_u16, le_u64, le_u8, le_u16, le_u16),
        );
        let r: nom::IResult<&[u8], _, nom::error::Error<&[u8]>> = fields.parse(b);
        let (_, (a, c)) = r.ok()?;
        let (seq, tid, msg_type, priority, version) = a;
        let (data_pre_padding_len, data_off, ack_seq, flags, compat_version, reserved) = c;
        Some(Header2 {
            seq,
            tid,
            msg_type,
            priority,
            version,
            data_pre_padding_len,
            data_off,
            ack_seq,
            flags,
            compat_version,
            reserved,
        })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::msgr2::encoder::msg_header2;

    #[test]
    fn parse_encoded() {
        let h = msg_header2(7, 42, 42);
        let d = Header2::parse(&h).unwrap_or_else(|| unreachable!());
        assert_eq!(
            (
                d.seq,
                d.tid,
                d.msg_type,
                d.priority,
                d.version,
                d.compat_version
            ),
            (7, 42, 42, 127, 1, 1)
        );
        assert!(Header2::parse(&h[..40]).is_none());
    }
}

crate::fields! {
    MSG = "ceph.msg", "Ceph message header", None, "ceph_msg_header2, the first segment of a MESSAGE frame.";
    SEQ_F = "ceph.msg.seq", "Sequence number", Uint, "Message sequence number within the session.";
    TID_F = "ceph.msg.tid", "Transaction id", Uint, "Transaction id (pairs requests with replies).";
    TYPE_F = "ceph.msg.type", "Type", Enum, "Message type (CEPH_MSG_* / MSG_*), named as Ceph's logs print it.";
    PRIORITY_F = "ceph.msg.priority", "Priority", Uint, "Priority (64 low, 127 default, 196 high, 255 highest).";
    VERSION_F = "ceph.msg.version", "Version", Uint, "Encoding version of the message.";
    PRE_PAD_F = "ceph.msg.data_pre_padding_len", "Data pre-padding length", Uint, "data_pre_padding_len (always 0 in Ceph).";
    DATA_OFF_F = "ceph.msg.data_off", "Data offset", Uint, "data_off: sender's hint for the data's offset in the object.";
    ACK_SEQ_F = "ceph.msg.ack_seq", "Ack seq", Uint, "Piggy-backed acknowledgement of the peer's messages up to this seq.";
    FLAGS_F = "ceph.msg.flags", "Flags", Hex, "Header flags.";
    COMPAT_F = "ceph.msg.compat_version", "Compat version", Uint, "Oldest version able to decode the message.";
    RESERVED_F = "ceph.msg.reserved", "Reserved", Hex, "Reserved.";
}

fn type_name(v: u64) -> Option<&'static str> {
    u16::try_from(v)
        .ok()
        .and_then(|t| super::MsgType(t).log_name())
}

/// The header's fields in order: field, range, whether named by type.
const LAYOUT: [(&crate::model::FieldDef, Range<usize>); 11] = [
    (&SEQ_F, SEQ),
    (&TID_F, TID),
    (&TYPE_F, TYPE),
    (&PRIORITY_F, PRIORITY),
    (&VERSION_F, VERSION),
    (&PRE_PAD_F, DATA_PRE_PADDING_LEN),
    (&DATA_OFF_F, DATA_OFF),
    (&ACK_SEQ_F, ACK_SEQ),
    (&FLAGS_F, FLAGS),
    (&COMPAT_F, COMPAT_VERSION),
    (&RESERVED_F, RESERVED),
];

impl Header2 {
    /// The fields' values, in [`LAYOUT`] order.
    fn values(&self) -> [u64; 11] {
        [
            self.seq,
            self.tid,
            u64::from(self.msg_type),
            u64::from(self.priority),
            u64::from(self.version),
            u64::from(self.data_pre_padding_len),
            u64::from(self.data_off),
            self.ack_seq,
            u64::from(self.flags),
            u64::from(self.compat_version),
            u64::from(self.reserved),
        ]
    }
}

/// Decode the header (segment 0 of a MESSAGE frame, at frame offset
/// `base`): one `ceph.msg` group, and when the segment is shorter than the
/// header, the fields it holds and an `end_of_buffer` at the first one
/// missing (the header is decoded raw: decode_raw, include/encoding.h).
/// Bytes after the header are left to the caller.
pub fn decode(s0: &[u8], base: usize, src: crate::model::Source) -> super::grammar::Decoded {
    decode_parsed(Header2::parse(s0), s0, base, src)
}

/// [`decode`] of a header the caller parsed already (`h` is
/// `Header2::parse(s0)`): the nodes and fault without reading it again.
pub fn decode_parsed(
    h: Option<Header2>,
    s0: &[u8],
    base: usize,
    src: crate::model::Source,
) -> super::grammar::Decoded {
    use super::grammar::view::Nodes;
    use super::grammar::{DencError, Sp};
    use crate::model::Value;
    let vals = h.map(|h| h.values());
    let mut n = Nodes::new(src);
    let mut error = None;
    n.wrap(&MSG, Value::None, |g| {
        for (i, (def, r)) in LAYOUT.iter().enumerate() {
            let sp = Sp {
                v: (),
                at: base.saturating_add(r.start),
                len: r.len(),
            };
            let v = match (&vals, s0.get(r.clone())) {
                (Some(vals), _) => vals.get(i).copied().unwrap_or(0),
                (None, Some(b)) => b
                    .iter()
                    .rev()
                    .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
                (None, None) => {
                    let left = s0.len().saturating_sub(r.start);
                    error = Some(
                        DencError::new(
                            super::grammar::Fault::EndOfBuffer,
                            sp.at,
                            format!("{} bytes", r.len()),
                            format!("{left} left"),
                        )
                        .label(def.abbrev),
                    );
                    break;
                }
            };
            let value = if i == 2 {
                Value::Enum(v, type_name(v))
            } else {
                Value::Uint(v)
            };
            g.leaf(def, value, &sp);
        }
    });
    if let Some(h) = h {
        let v = h.msg_type;
        let ty = type_name(u64::from(v))
            .map_or_else(|| format!("unknown ({v})"), |name| format!("{name} ({v})"));
        n.summary(format!("seq {}, {ty}", h.seq));
    }
    if let Some(e) = &error {
        n.fault(e);
    }
    let mut notes = Vec::new();
    if let Some(rest) = s0.get(LEN..).filter(|r| !r.is_empty()) {
        let sp = Sp {
            v: (),
            at: base.saturating_add(LEN),
            len: rest.len(),
        };
        n.leaf(
            &crate::model::tree::TRAILING,
            Value::Bytes(rest.to_vec()),
            &sp,
        );
        notes.push(super::grammar::Note {
            kind: super::grammar::NoteKind::Trailing,
            offset: sp.at,
            len: sp.len,
            field: MSG.abbrev,
            expected: format!("{LEN} bytes"),
            found: format!("{} more bytes", rest.len()),
        });
    }
    super::grammar::Decoded {
        nodes: n.finish(),
        error,
        notes,
        ..Default::default()
    }
}
