//! The legacy `entity_addr_t` of the msgr1 handshake (msg_types.h
//! `entity_addr_t::encode` without CEPH_FEATURE_MSG_ADDR2; msgr.h), 136
//! bytes:
//!
//! ```text
//!  0      4       8                                         136
//!  | type | nonce | sockaddr_storage (128): family (BE u16), |
//!  | le32 | le32  | port (BE u16), IPv4 (4) or flowinfo (4)  |
//!  |      |       | + IPv6 (16) + scope (4), zero padding     |
//! ```
//!
//! The family is in network byte order on the wire (msg_types.h
//! `ceph_sockaddr_storage` is encoded with `htons(ss_family)`).

use nom::bytes::complete::take;
use nom::number::complete::{be_u16, le_u32};
use nom::IResult;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Bytes of a legacy entity_addr.
pub const LEN: usize = 136;
/// `type` (le32; 0 in the legacy encoding).
pub const TYPE: Range<usize> = 0..4;
/// `nonce` (le32).
pub const NONCE: Range<usize> = 4..8;
/// `sockaddr_storage.ss_family` (big-endian u16).
pub const FAMILY: Range<usize> = 8..10;
/// The port (big-endian u16).
pub const PORT: Range<usize> = 10..12;
/// AF_INET (socket.h; Linux value, as Ceph puts it on the wire).
pub const AF_INET: u16 = 2;
/// AF_INET6 (socket.h; Linux value).
pub const AF_INET6: u16 = 10;

/// A decoded legacy entity_addr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyAddr {
    /// `type`.
    pub kind: u32,
    /// `nonce`.
    pub nonce: u32,
    /// Address family.
    pub family: u16,
    /// Port.
    pub port: u16,
    /// IP address, for AF_INET and AF_INET6.
    pub ip: Option<IpAddr>,
}

impl LegacyAddr {
    /// Parse 136 bytes (complete input).
    pub fn parse(b: &[u8]) -> IResult<&[u8], LegacyAddr> {
        let (rest, kind) = le_u32(b)?;
        let (rest, nonce) = le_u32(rest)?;
        let (rest, ss) = take(LEN - 8)(rest)?;
        let (sa, family) = be_u16(ss)?;
        let (sa, port) = be_u16(sa)?;
        let ip = match family {
            AF_INET => sa
                .get(..4)
                .and_then(|v| <[u8; 4]>::try_from(v).ok())
                .map(|v| IpAddr::V4(Ipv4Addr::from(v))),
            // sockaddr_in6: flowinfo (4) before the address.
            AF_INET6 => sa
                .get(4..20)
                .and_then(|v| <[u8; 16]>::try_from(v).ok())
                .map(|v| IpAddr::V6(Ipv6Addr::from(v))),
            _ => None,
        };
        Ok((
            rest,
            LegacyAddr {
                kind,
                nonce,
                family,
                port,
                ip,
            },
        ))
    }
}

impl std::fmt::Display for LegacyAddr {
    /// As Ceph prints a v1 address: `v1:127.0.0.1:6789/1234`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            Some(IpAddr::V4(ip)) => write!(f, "v1:{ip}:{}/{}", self.port, self.nonce),
            Some(IpAddr::V6(ip)) => write!(f, "v1:[{ip}]:{}/{}", self.port, self.nonce),
            None => write!(f, "v1:-/{} (family {})", self.nonce, self.family),
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6() {
        let mut b = [0u8; LEN];
        b[4..8].copy_from_slice(&1234u32.to_le_bytes());
        b[8..10].copy_from_slice(&AF_INET.to_be_bytes());
        b[10..12].copy_from_slice(&6789u16.to_be_bytes());
        b[12..16].copy_from_slice(&[127, 0, 0, 1]);
        let (rest, a) = LegacyAddr::parse(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(a.to_string(), "v1:127.0.0.1:6789/1234");
        b[8..10].copy_from_slice(&AF_INET6.to_be_bytes());
        b[12..32].fill(0);
        b[31] = 1;
        let (_, a) = LegacyAddr::parse(&b).unwrap();
        assert_eq!(a.to_string(), "v1:[::1]:6789/1234");
        assert!(LegacyAddr::parse(&b[..LEN - 1]).is_err());
    }
}
