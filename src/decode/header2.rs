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

fn le<const N: usize>(b: &[u8], r: Range<usize>) -> Option<[u8; N]> {
    b.get(r)?.try_into().ok()
}

impl Header2 {
    /// Decode from the first 41 bytes of `b`; `None` if shorter.
    pub fn parse(b: &[u8]) -> Option<Header2> {
        Some(Header2 {
            seq: u64::from_le_bytes(le(b, SEQ)?),
            tid: u64::from_le_bytes(le(b, TID)?),
            msg_type: u16::from_le_bytes(le(b, TYPE)?),
            priority: u16::from_le_bytes(le(b, PRIORITY)?),
            version: u16::from_le_bytes(le(b, VERSION)?),
            data_pre_padding_len: u32::from_le_bytes(le(b, DATA_PRE_PADDING_LEN)?),
            data_off: u16::from_le_bytes(le(b, DATA_OFF)?),
            ack_seq: u64::from_le_bytes(le(b, ACK_SEQ)?),
            flags: *b.get(FLAGS.start)?,
            compat_version: u16::from_le_bytes(le(b, COMPAT_VERSION)?),
            reserved: u16::from_le_bytes(le(b, RESERVED)?),
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

/// Add the header's fields to `t` (positioned at the header) as one group.
pub fn tree(t: &mut crate::model::tree::Tree<'_>) -> crate::model::tree::Res<()> {
    let start = t.offset();
    let node = t.group(&MSG, |t| {
        t.uint(&SEQ_F, 8)?;
        t.uint(&TID_F, 8)?;
        t.enumerated(&TYPE_F, 2, type_name)?;
        t.uint(&PRIORITY_F, 2)?;
        t.uint(&VERSION_F, 2)?;
        t.uint(&PRE_PAD_F, 4)?;
        t.uint(&DATA_OFF_F, 2)?;
        t.uint(&ACK_SEQ_F, 8)?;
        t.uint(&FLAGS_F, 1)?;
        t.uint(&COMPAT_F, 2)?;
        t.uint(&RESERVED_F, 2)?;
        Ok(())
    })?;
    let _ = start;
    if let (Some(seq), Some(ty)) = (node.find("ceph.msg.seq"), node.find("ceph.msg.type")) {
        node.summary = Some(format!("seq {}, {}", seq.value_text(), ty.value_text()));
    }
    Ok(())
}
