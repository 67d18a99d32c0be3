//! What a daemon's own key opens past its handshake, read from decrypted
//! bytes: the rotating service secrets of its GET_ROTATING_KEY reply, and
//! the CephXServiceTicketInfo inside a ticket blob such a secret encrypts;
//! and the monitor messages that carry cephx requests inside a session.
//!
//! ```text
//! RotatingSecrets         u8 v | le32 n | n x (le64 secret_id | ExpiringCryptoKey) | le64 max_ver
//! ExpiringCryptoKey       u8 v | CryptoKey key | utime expiration
//! CephXServiceTicketInfo  u8 v | AuthTicket ticket | CryptoKey session_key
//! AuthTicket              u8 v | EntityName (le32 type, string id) | le64 global_id
//!                         | [v >= 2] le64 old_auid | utime created | utime expires
//!                         | AuthCapsInfo (u8 v, u8 allow_all, bl caps) | le32 flags
//! MAuth front             Paxos (le64 version, le16 mon, le64 tid) | le32 protocol
//!                         | bl payload | [le32 monmap_epoch]
//! MAuthReply front        le32 protocol | le32 result | le64 global_id | bl result_bl
//!                         | string msg
//! cephx reply (result_bl) le16 request_type | le32 status | by request type:
//!   0x0400 GET_ROTATING_KEY            bl encrypt(RotatingSecrets, the entity's key)
//!   0x0200 GET_PRINCIPAL_SESSION_KEY   service ticket reply (AUTH session key)
//! ```
//!
//! Sources: auth/Auth.h (ExpiringCryptoKey, RotatingSecrets, AuthTicket,
//! AuthCapsInfo), auth/cephx/CephxProtocol.h (CephXServiceTicketInfo),
//! auth/cephx/CephxKeyServer.cc get_rotating_encrypted,
//! auth/cephx/CephxServiceHandler.cc handle_request, messages/MAuth.h,
//! messages/MAuthReply.h, mon/MonClient.cc _check_auth_rotating and
//! _check_auth_tickets. Every count is checked against the bytes left
//! before anything is allocated for it.

use super::crypto::CryptoKey;
use super::structs::string;
use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;

/// CephXRequestHeader request_type: GET_PRINCIPAL_SESSION_KEY.
pub const GET_PRINCIPAL_SESSION_KEY: u16 = 0x0200;
/// CephXRequestHeader request_type: GET_ROTATING_KEY.
pub const GET_ROTATING_KEY: u16 = 0x0400;
/// CEPH_MSG_AUTH.
pub const MSG_AUTH: u16 = 17;
/// CEPH_MSG_AUTH_REPLY.
pub const MSG_AUTH_REPLY: u16 = 18;
/// CEPH_AUTH_CEPHX.
pub const AUTH_CEPHX: u32 = 2;
/// Least bytes of one RotatingSecrets entry: id, v, an empty CryptoKey
/// (type, created, len) and the expiration.
const ROTATING_ENTRY_MIN: usize = 8 + 1 + 12 + 8;
/// Paxos header of a PaxosServiceMessage (messages/PaxosServiceMessage.h).
const PAXOS_LEN: usize = 18;

/// One rotating secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotating {
    /// Its secret_id (ticket blobs name it).
    pub secret_id: u64,
    /// The secret.
    pub key: CryptoKey,
    /// Expiration: seconds, nanoseconds.
    pub expires: (u32, u32),
}

/// RotatingSecrets: a service's current secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatingSecrets {
    /// The secrets, in the order sent.
    pub secrets: Vec<Rotating>,
    /// The newest secret_id.
    pub max_ver: u64,
}

fn utime(i: &[u8]) -> IResult<&[u8], (u32, u32)> {
    let (i, s) = le_u32(i)?;
    let (i, ns) = le_u32(i)?;
    Ok((i, (s, ns)))
}

/// A count whose entries (at least `min` bytes each) fit in `i`.
fn count(i: &[u8], min: usize) -> IResult<&[u8], u32> {
    let (r, n) = le_u32(i)?;
    let need = (n as usize).checked_mul(min);
    if need.is_none_or(|need| need > r.len()) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TooLarge,
        )));
    }
    Ok((r, n))
}

impl RotatingSecrets {
    /// Read it (auth/Auth.h RotatingSecrets::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], Self> {
        let (i, _v) = le_u8(i)?;
        let (mut i, n) = count(i, ROTATING_ENTRY_MIN)?;
        let mut secrets = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (r, secret_id) = le_u64(i)?;
            let (r, _v) = le_u8(r)?;
            let (r, key) = CryptoKey::parse(r)?;
            let (r, expires) = utime(r)?;
            secrets.push(Rotating {
                secret_id,
                key,
                expires,
            });
            i = r;
        }
        let (i, max_ver) = le_u64(i)?;
        Ok((i, RotatingSecrets { secrets, max_ver }))
    }

    /// Encode (tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![1u8];
        let n = u32::try_from(self.secrets.len()).unwrap_or(u32::MAX);
        o.extend_from_slice(&n.to_le_bytes());
        for s in &self.secrets {
            o.extend_from_slice(&s.secret_id.to_le_bytes());
            o.push(1);
            s.key.encode(&mut o);
            o.extend_from_slice(&s.expires.0.to_le_bytes());
            o.extend_from_slice(&s.expires.1.to_le_bytes());
        }
        o.extend_from_slice(&self.max_ver.to_le_bytes());
        o
    }
}

/// CephXServiceTicketInfo: what a ticket blob holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTicketInfo {
    /// The ticket holder: entity type and id.
    pub name: (u32, String),
    /// The holder's global id.
    pub global_id: u64,
    /// The session key the holder was given.
    pub session_key: CryptoKey,
}

impl ServiceTicketInfo {
    /// Read it (CephxProtocol.h CephXServiceTicketInfo::decode,
    /// auth/Auth.h AuthTicket::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], Self> {
        let (i, _v) = le_u8(i)?;
        let (i, ticket_v) = le_u8(i)?;
        let (i, ty) = le_u32(i)?;
        let (i, id) = string(i)?;
        let (i, global_id) = le_u64(i)?;
        let (i, _) = if ticket_v >= 2 { le_u64(i)? } else { (i, 0) };
        let (i, _created) = utime(i)?;
        let (i, _expires) = utime(i)?;
        let (i, _caps_v) = le_u8(i)?;
        let (i, _allow_all) = le_u8(i)?;
        let (i, _caps) = string(i)?;
        let (i, _flags) = le_u32(i)?;
        let (i, session_key) = CryptoKey::parse(i)?;
        Ok((
            i,
            ServiceTicketInfo {
                name: (ty, String::from_utf8_lossy(id).into_owned()),
                global_id,
                session_key,
            },
        ))
    }

    /// Encode (tests): an AuthTicket v2 with no caps.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![1u8, 2];
        o.extend_from_slice(&self.name.0.to_le_bytes());
        let n = u32::try_from(self.name.1.len()).unwrap_or(u32::MAX);
        o.extend_from_slice(&n.to_le_bytes());
        o.extend_from_slice(self.name.1.as_bytes());
        o.extend_from_slice(&self.global_id.to_le_bytes());
        o.extend_from_slice(&[0; 8 + 16]);
        o.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
        o.extend_from_slice(&[0; 4]);
        self.session_key.encode(&mut o);
        o
    }
}

/// An MAuth's protocol and cephx payload (messages/MAuth.h decode_payload).
pub fn mauth(front: &[u8]) -> IResult<&[u8], (u32, &[u8])> {
    let (i, _paxos) = take(PAXOS_LEN)(front)?;
    let (i, protocol) = le_u32(i)?;
    let (i, payload) = string(i)?;
    Ok((i, (protocol, payload)))
}

/// An MAuthReply's protocol, result and result_bl (messages/MAuthReply.h
/// decode_payload).
pub fn mauth_reply(front: &[u8]) -> IResult<&[u8], (u32, i32, &[u8])> {
    let (i, protocol) = le_u32(front)?;
    let (i, result) = le_u32(i)?;
    let (i, _global_id) = le_u64(i)?;
    let (i, bl) = string(i)?;
    // Ceph decodes the whole front or throws: the message string too.
    let (i, _msg) = string(i)?;
    Ok((i, (protocol, i32::from_le_bytes(result.to_le_bytes()), bl)))
}

/// CephXRequestHeader.
pub fn request_header(i: &[u8]) -> IResult<&[u8], u16> {
    le_u16(i)
}

/// CephXResponseHeader: request type, status.
pub fn response_header(i: &[u8]) -> IResult<&[u8], (u16, i32)> {
    let (i, ty) = le_u16(i)?;
    let (i, status) = le_u32(i)?;
    Ok((i, (ty, i32::from_le_bytes(status.to_le_bytes()))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn secrets() -> RotatingSecrets {
        RotatingSecrets {
            secrets: (1..=3)
                .map(|n| Rotating {
                    secret_id: n,
                    key: CryptoKey::aes([n as u8; 16]),
                    expires: (1000 + n as u32, 7),
                })
                .collect(),
            max_ver: 3,
        }
    }

    #[test]
    fn rotating_secrets_round_trip_and_every_cut_fails() {
        let b = secrets().encode();
        assert_eq!(b.len(), 1 + 4 + 3 * (8 + 1 + 28 + 8) + 8);
        let (rest, s) = RotatingSecrets::parse(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(s, secrets());
        for n in 0..b.len() {
            assert!(RotatingSecrets::parse(&b[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn a_count_past_the_bytes_allocates_nothing() {
        let mut b = vec![1u8];
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&[0; 64]);
        let e = RotatingSecrets::parse(&b).unwrap_err();
        assert!(matches!(e, nom::Err::Error(x) if x.code == nom::error::ErrorKind::TooLarge));
    }

    #[test]
    fn ticket_info_round_trip() {
        let t = ServiceTicketInfo {
            name: (8, "admin".into()),
            global_id: 4107,
            session_key: CryptoKey::aes([9; 16]),
        };
        let b = t.encode();
        let (rest, back) = ServiceTicketInfo::parse(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, t);
        for n in 0..b.len() {
            assert!(ServiceTicketInfo::parse(&b[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn auth_messages() {
        let mut front = vec![0u8; PAXOS_LEN];
        front.extend_from_slice(&2u32.to_le_bytes());
        front.extend_from_slice(&2u32.to_le_bytes());
        front.extend_from_slice(&GET_ROTATING_KEY.to_le_bytes());
        front.extend_from_slice(&0u32.to_le_bytes());
        let (rest, (p, payload)) = mauth(&front).unwrap();
        assert_eq!((p, payload, rest.len()), (2, &[0u8, 4][..], 4));
        assert_eq!(request_header(payload).unwrap().1, GET_ROTATING_KEY);
        let mut reply = 2u32.to_le_bytes().to_vec();
        reply.extend_from_slice(&(-13i32).to_le_bytes());
        reply.extend_from_slice(&7u64.to_le_bytes());
        reply.extend_from_slice(&6u32.to_le_bytes());
        reply.extend_from_slice(&[0, 2, 0xf3, 0xff, 0xff, 0xff]);
        reply.extend_from_slice(&0u32.to_le_bytes());
        let (_, (p, r, bl)) = mauth_reply(&reply).unwrap();
        assert_eq!((p, r), (2, -13));
        assert_eq!(response_header(bl).unwrap().1, (0x0200, -13));
        for n in 0..reply.len() {
            assert!(mauth_reply(&reply[..n]).is_err(), "cut at {n}");
        }
    }
}
