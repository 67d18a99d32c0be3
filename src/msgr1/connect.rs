//! `ceph_msg_connect` (client) and `ceph_msg_connect_reply` (server) of
//! the msgr1 handshake (msgr.h, packed, little-endian), each followed by
//! `authorizer_len` bytes of authorizer (ProtocolV1.cc `send_connect_message`,
//! `send_connect_message_reply`):
//!
//! ```text
//! connect (33):  0 features(8) | 8 host_type(4) | 12 global_seq(4)
//!                | 16 connect_seq(4) | 20 protocol_version(4)
//!                | 24 authorizer_protocol(4) | 28 authorizer_len(4) | 32 flags(1)
//! reply (26):    0 tag(1) | 1 features(8) | 9 global_seq(4) | 13 connect_seq(4)
//!                | 17 protocol_version(4) | 21 authorizer_len(4) | 25 flags(1)
//! ```

use super::tag::Tag1;
use nom::number::complete::{le_u32, le_u64, le_u8};
use nom::IResult;
use std::ops::Range;

/// Bytes of `ceph_msg_connect`.
pub const CONNECT_LEN: usize = 33;
/// Bytes of `ceph_msg_connect_reply`.
pub const REPLY_LEN: usize = 26;
/// `ceph_msg_connect.authorizer_len`.
pub const CONNECT_AUTH_LEN: Range<usize> = 28..32;
/// `ceph_msg_connect_reply.authorizer_len`.
pub const REPLY_AUTH_LEN: Range<usize> = 21..25;
/// CEPH_MSG_CONNECT_LOSSY (msgr.h): the connection is lossy.
pub const FLAG_LOSSY: u8 = 1;

/// A decoded `ceph_msg_connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect {
    /// Features the client supports.
    pub features: u64,
    /// CEPH_ENTITY_TYPE_* of the client.
    pub host_type: u32,
    /// Client's global connection counter.
    pub global_seq: u32,
    /// Connection attempts within the session.
    pub connect_seq: u32,
    /// CEPH_*_PROTOCOL of the target's type.
    pub protocol_version: u32,
    /// CEPH_AUTH_* of the authorizer.
    pub authorizer_protocol: u32,
    /// Bytes of authorizer that follow.
    pub authorizer_len: u32,
    /// CEPH_MSG_CONNECT_* flags.
    pub flags: u8,
}

impl Connect {
    /// Parse the 33 fixed bytes (complete input).
    pub fn parse(b: &[u8]) -> IResult<&[u8], Connect> {
        let (b, features) = le_u64(b)?;
        let (b, host_type) = le_u32(b)?;
        let (b, global_seq) = le_u32(b)?;
        let (b, connect_seq) = le_u32(b)?;
        let (b, protocol_version) = le_u32(b)?;
        let (b, authorizer_protocol) = le_u32(b)?;
        let (b, authorizer_len) = le_u32(b)?;
        let (b, flags) = le_u8(b)?;
        Ok((
            b,
            Connect {
                features,
                host_type,
                global_seq,
                connect_seq,
                protocol_version,
                authorizer_protocol,
                authorizer_len,
                flags,
            },
        ))
    }
}

/// A decoded `ceph_msg_connect_reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectReply {
    /// What the server answers (READY, SEQ, WAIT, ...).
    pub tag: Tag1,
    /// Features: (client's & server's supported) | server's required.
    pub features: u64,
    /// Server's global_seq (for RETRY_GLOBAL).
    pub global_seq: u32,
    /// connect_seq (for RETRY_SESSION).
    pub connect_seq: u32,
    /// CEPH_*_PROTOCOL of the server.
    pub protocol_version: u32,
    /// Bytes of authorizer reply that follow.
    pub authorizer_len: u32,
    /// CEPH_MSG_CONNECT_* flags.
    pub flags: u8,
}

impl ConnectReply {
    /// Parse the 26 fixed bytes (complete input).
    pub fn parse(b: &[u8]) -> IResult<&[u8], ConnectReply> {
        let (b, tag) = le_u8(b)?;
        let (b, features) = le_u64(b)?;
        let (b, global_seq) = le_u32(b)?;
        let (b, connect_seq) = le_u32(b)?;
        let (b, protocol_version) = le_u32(b)?;
        let (b, authorizer_len) = le_u32(b)?;
        let (b, flags) = le_u8(b)?;
        Ok((
            b,
            ConnectReply {
                tag: Tag1::from(tag),
                features,
                global_seq,
                connect_seq,
                protocol_version,
                authorizer_len,
                flags,
            },
        ))
    }
}

/// A cephx authorizer (CEPH_AUTH_CEPHX, ceph_fs.h) read with the decoder
/// msgr2's AUTH_REQUEST uses: a version byte (CephxProtocol.cc
/// CephXTicketHandler::build_authorizer: `__u8 authorizer_v = 1`), then
/// the global id, service, ticket and CephXAuthorize; `at` is where the
/// bytes start in the item. Only one whole authorizer is kept.
pub fn cephx_authorizer(
    protocol: u32,
    b: &[u8],
    at: usize,
) -> Option<Box<crate::decode::cephx::Authorizer>> {
    if protocol != crate::decode::auth::AUTH_CEPHX {
        return None;
    }
    let rest = b.get(1..)?;
    let notes = std::cell::RefCell::new(Vec::new());
    let mut a = crate::decode::cephx::Authorizer::default();
    let i = crate::decode::grammar::input(rest, at + 1, &notes);
    let (left, ()) = a.parse(i).ok()?;
    left.fragment().is_empty().then(|| Box::new(a))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let mut c = [0u8; CONNECT_LEN];
        c[..8].copy_from_slice(&0x3f01_cfbf_fffd_ffffu64.to_le_bytes());
        c[8] = 8;
        c[CONNECT_AUTH_LEN].copy_from_slice(&174u32.to_le_bytes());
        c[32] = FLAG_LOSSY;
        let (rest, d) = Connect::parse(&c).unwrap();
        assert!(rest.is_empty());
        assert_eq!((d.host_type, d.authorizer_len, d.flags), (8, 174, 1));
        let mut r = [0u8; REPLY_LEN];
        r[0] = 13;
        r[REPLY_AUTH_LEN].copy_from_slice(&36u32.to_le_bytes());
        let (rest, d) = ConnectReply::parse(&r).unwrap();
        assert!(rest.is_empty());
        assert_eq!((d.tag, d.authorizer_len), (Tag1::Seq, 36));
        assert!(ConnectReply::parse(&r[..25]).is_err());
    }
}
