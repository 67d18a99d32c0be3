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
