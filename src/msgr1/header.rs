//! `ceph_msg_header` and `ceph_msg_footer` of a msgr1 MSG (msgr.h, packed,
//! little-endian). After the MSG tag come the header, `front_len`,
//! `middle_len` and `data_len` bytes, then the footer:
//!
//! ```text
//! header (53): 0 seq(8) | 8 tid(8) | 16 type(2) | 18 priority(2) | 20 version(2)
//!              | 22 front_len(4) | 26 middle_len(4) | 30 data_len(4) | 34 data_off(2)
//!              | 36 src.type(1) | 37 src.num(8) | 45 compat_version(2)
//!              | 47 reserved(2) | 49 crc(4)
//! footer (21): 0 front_crc(4) | 4 middle_crc(4) | 8 data_crc(4) | 12 sig(8) | 20 flags(1)
//! old footer (13, peer without CEPH_FEATURE_MSG_AUTH): no sig
//! ```
//!
//! The header CRC is `ceph_crc32c(0, header[0..49])`; front, middle and data
//! CRCs are `ceph_crc32c(0, bytes)` (Message.cc `calc_header_crc`,
//! `calc_front_crc`; `bufferlist::crc32c(0)`): seed 0, unlike msgr2's
//! segment CRCs.

use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;
use std::ops::Range;

/// Bytes of `ceph_msg_header`.
pub const HEADER_LEN: usize = 53;
/// Bytes the header CRC covers.
pub const HEADER_CRC_COVERS: usize = 49;
/// `seq`.
pub const SEQ: Range<usize> = 0..8;
/// `tid`.
pub const TID: Range<usize> = 8..16;
/// `type`.
pub const TYPE: Range<usize> = 16..18;
/// `priority`.
pub const PRIORITY: Range<usize> = 18..20;
/// `version`.
pub const VERSION: Range<usize> = 20..22;
/// `front_len`.
pub const FRONT_LEN: Range<usize> = 22..26;
/// `middle_len`.
pub const MIDDLE_LEN: Range<usize> = 26..30;
/// `data_len`.
pub const DATA_LEN: Range<usize> = 30..34;
/// `data_off`.
pub const DATA_OFF: Range<usize> = 34..36;
/// `src.type`.
pub const SRC_TYPE: Range<usize> = 36..37;
/// `src.num`.
pub const SRC_NUM: Range<usize> = 37..45;
/// `compat_version`.
pub const COMPAT_VERSION: Range<usize> = 45..47;
/// `reserved`.
pub const RESERVED: Range<usize> = 47..49;
/// `crc`.
pub const CRC: Range<usize> = 49..53;

/// Bytes of the footer with a signature.
pub const FOOTER_LEN: usize = 21;
/// Bytes of the old footer (no signature).
pub const OLD_FOOTER_LEN: usize = 13;
/// `front_crc`.
pub const FRONT_CRC: Range<usize> = 0..4;
/// `middle_crc`.
pub const MIDDLE_CRC: Range<usize> = 4..8;
/// `data_crc`.
pub const DATA_CRC: Range<usize> = 8..12;
/// `sig` (new footer only).
pub const SIG: Range<usize> = 12..20;

/// CEPH_MSG_FOOTER_COMPLETE (msgr.h): the message was sent whole.
pub const FLAG_COMPLETE: u8 = 1;
/// CEPH_MSG_FOOTER_NOCRC (msgr.h): no data CRC was computed.
pub const FLAG_NOCRC: u8 = 2;
/// CEPH_MSG_FOOTER_SIGNED (msgr.h): `sig` holds a signature.
pub const FLAG_SIGNED: u8 = 4;
/// Every footer flag msgr.h defines.
pub const FLAGS_KNOWN: u8 = FLAG_COMPLETE | FLAG_NOCRC | FLAG_SIGNED;

/// A decoded `ceph_msg_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgHeader {
    /// Message sequence number of the session.
    pub seq: u64,
    /// Transaction id.
    pub tid: u64,
    /// Message type.
    pub msg_type: u16,
    /// Priority.
    pub priority: u16,
    /// Encoding version.
    pub version: u16,
    /// Bytes of front.
    pub front_len: u32,
    /// Bytes of middle.
    pub middle_len: u32,
    /// Bytes of data.
    pub data_len: u32,
    /// Sender's hint for the data's alignment.
    pub data_off: u16,
    /// Sender's entity type.
    pub src_type: u8,
    /// Sender's entity number.
    pub src_num: u64,
    /// Oldest version able to decode.
    pub compat_version: u16,
    /// Reserved.
    pub reserved: u16,
    /// Header CRC as sent.
    pub crc: u32,
}

impl MsgHeader {
    /// Parse the 53 bytes (complete input).
    pub fn parse(b: &[u8]) -> IResult<&[u8], MsgHeader> {
        let (b, seq) = le_u64(b)?;
        let (b, tid) = le_u64(b)?;
        let (b, msg_type) = le_u16(b)?;
        let (b, priority) = le_u16(b)?;
        let (b, version) = le_u16(b)?;
        let (b, front_len) = le_u32(b)?;
        let (b, middle_len) = le_u32(b)?;
        let (b, data_len) = le_u32(b)?;
        let (b, data_off) = le_u16(b)?;
        let (b, src_type) = le_u8(b)?;
        let (b, src_num) = le_u64(b)?;
        let (b, compat_version) = le_u16(b)?;
        let (b, reserved) = le_u16(b)?;
        let (b, crc) = le_u32(b)?;
        Ok((
            b,
            MsgHeader {
                seq,
                tid,
                msg_type,
                priority,
                version,
                front_len,
                middle_len,
                data_len,
                data_off,
                src_type,
                src_num,
                compat_version,
                reserved,
                crc,
            },
        ))
    }

    /// The three body lengths, in wire order.
    pub fn lens(&self) -> [u32; 3] {
        [self.front_len, self.middle_len, self.data_len]
    }

    /// The same fields as msgr2's `ceph_msg_header2` carries (seq, tid,
    /// type, priority, version, data_off, compat_version), for the message
    /// decoders the two envelopes share; msgr1 has no ack_seq, flags nor
    /// pre-padding in its header (0 here).
    pub fn as_header2(&self) -> crate::decode::Header2 {
        crate::decode::Header2 {
            seq: self.seq,
            tid: self.tid,
            msg_type: self.msg_type,
            priority: self.priority,
            version: self.version,
            data_pre_padding_len: 0,
            data_off: self.data_off,
            ack_seq: 0,
            flags: 0,
            compat_version: self.compat_version,
            reserved: self.reserved,
        }
    }
}

/// A decoded `ceph_msg_footer` (or the old footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// CRC of front.
    pub front_crc: u32,
    /// CRC of middle.
    pub middle_crc: u32,
    /// CRC of data.
    pub data_crc: u32,
    /// Signature (`None` in the old footer).
    pub sig: Option<u64>,
    /// CEPH_MSG_FOOTER_* flags.
    pub flags: u8,
}

impl Footer {
    /// Parse a footer with (`signed_layout`) or without its `sig` field.
    pub fn parse(signed_layout: bool) -> impl Fn(&[u8]) -> IResult<&[u8], Footer> {
        move |b| {
            let (b, front_crc) = le_u32(b)?;
            let (b, middle_crc) = le_u32(b)?;
            let (b, data_crc) = le_u32(b)?;
            let (b, sig) = if signed_layout {
                let (b, s) = le_u64(b)?;
                (b, Some(s))
            } else {
                (b, None)
            };
            let (b, flags) = le_u8(b)?;
            Ok((
                b,
                Footer {
                    front_crc,
                    middle_crc,
                    data_crc,
                    sig,
                    flags,
                },
            ))
        }
    }

    /// Bytes of this layout.
    pub fn len(signed_layout: bool) -> usize {
        if signed_layout {
            FOOTER_LEN
        } else {
            OLD_FOOTER_LEN
        }
    }
}

/// `ceph_crc32c(0, data)`: every msgr1 CRC.
pub fn crc(data: &[u8]) -> u32 {
    crate::msgr2::crc::ceph_crc32c(0, data)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn header_layout() {
        let mut h = [0u8; HEADER_LEN];
        h[SEQ].copy_from_slice(&3u64.to_le_bytes());
        h[TYPE].copy_from_slice(&18u16.to_le_bytes());
        h[FRONT_LEN].copy_from_slice(&33u32.to_le_bytes());
        h[DATA_LEN].copy_from_slice(&4096u32.to_le_bytes());
        h[SRC_TYPE][0] = 1;
        h[SRC_NUM].copy_from_slice(&7u64.to_le_bytes());
        let c = crc(&h[..HEADER_CRC_COVERS]);
        h[CRC].copy_from_slice(&c.to_le_bytes());
        let (rest, d) = MsgHeader::parse(&h).unwrap();
        assert!(rest.is_empty());
        assert_eq!((d.seq, d.msg_type, d.lens()), (3, 18, [33, 0, 4096]));
        assert_eq!((d.src_type, d.src_num, d.crc), (1, 7, c));
        assert_eq!(d.as_header2().seq, 3);
    }

    #[test]
    fn footers_and_seed() {
        let mut f = [0u8; FOOTER_LEN];
        f[SIG].copy_from_slice(&9u64.to_le_bytes());
        f[20] = FLAG_COMPLETE | FLAG_SIGNED;
        let (rest, d) = Footer::parse(true)(&f).unwrap();
        assert!(rest.is_empty());
        assert_eq!((d.sig, d.flags), (Some(9), 5));
        // The old layout: flags right after the three CRCs.
        let mut old = [0u8; OLD_FOOTER_LEN];
        old[12] = FLAG_COMPLETE;
        let (rest, d) = Footer::parse(false)(&old).unwrap();
        assert!(rest.is_empty());
        assert_eq!((d.sig, d.flags), (None, 1));
        // Seed 0 without inversion: four zero bytes have CRC 0 (Ceph's
        // logs print `(unknown 0 0 0)` for a 4-byte front of zeros).
        assert_eq!(crc(&[0, 0, 0, 0]), 0);
        assert_eq!(crc(b"123456789"), 0x58E3_FA20);
    }
}
