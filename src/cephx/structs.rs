//! The cephx structures that travel encrypted (CephxProtocol.h), read from
//! their decrypted bytes, and their field nodes. The ciphertext's place in
//! the frame is the encrypted field's; these nodes are generated (no span).

use super::crypto::{hex, CryptoKey};
use crate::fields;
use crate::model::{FieldNode, Value};
use nom::bytes::complete::take;
use nom::number::complete::{le_u32, le_u64, le_u8};
use nom::IResult;

fields! {
    DECRYPTED = "ceph.cephx.dec", "Decrypted cephx", None, "A cephx structure this row carries encrypted, decrypted with a key from the keyring or one derived from it.";
    DEC_KEY_FROM = "ceph.cephx.dec.key_from", "Decrypted with", Str, "Which key opened the structure: a keyring entity, or a session key and where it came from.";
    DEC_STRUCT = "ceph.cephx.dec.struct", "Structure", Str, "CephXServiceTicket, connection secret, CephXAuthorize, CephXAuthorizeChallenge, CephXAuthorizeReply, RotatingSecrets or CephXServiceTicketInfo.";
    DEC_SERVICE = "ceph.cephx.dec.service", "Service", Str, "The service a ticket is for.";
    DEC_SESSION_KEY = "ceph.cephx.dec.session_key", "Session key", Bytes, "The session key a CephXServiceTicket grants (AES secret, hex).";
    DEC_KEY_TYPE = "ceph.cephx.dec.key_type", "Key type", Uint, "CryptoKey type (1 AES, 2 aes256k).";
    DEC_VALIDITY = "ceph.cephx.dec.validity", "Validity", Str, "How long the ticket is valid.";
    DEC_SECRET_ID = "ceph.cephx.dec.secret_id", "Secret id", Uint, "Which rotating service secret encrypts the ticket blob.";
    DEC_CONN_SECRET = "ceph.cephx.dec.connection_secret", "Connection secret", Bytes, "The connection secret: AES-GCM key (0..16), server and client nonces (16..28, 28..40).";
    DEC_NONCE = "ceph.cephx.dec.nonce", "Nonce", Hex, "CephXAuthorize nonce.";
    DEC_NONCE_PLUS_ONE = "ceph.cephx.dec.nonce_plus_one", "Nonce + 1", Hex, "CephXAuthorizeReply: the authorizer's nonce plus one.";
    DEC_HAVE_CHALLENGE = "ceph.cephx.dec.have_challenge", "Have challenge", Bool, "CephXAuthorize answers a server challenge.";
    DEC_CHALLENGE = "ceph.cephx.dec.server_challenge", "Server challenge", Hex, "CephXAuthorizeChallenge's challenge, or CephXAuthorize's challenge plus one.";
    DEC_HOLDER = "ceph.cephx.dec.holder", "Ticket holder", Str, "The entity a ticket blob was issued to (CephXServiceTicketInfo's AuthTicket name).";
    DEC_GLOBAL_ID = "ceph.cephx.dec.global_id", "Global id", Uint, "The ticket holder's global id.";
    DEC_ROTATING_KEY = "ceph.cephx.dec.rotating_secret", "Rotating secret", Bytes, "A service's rotating secret (AES secret, hex): it encrypts the ticket blobs of that service with the same secret id.";
    DEC_EXPIRES = "ceph.cephx.dec.expires", "Expires", Str, "When a rotating secret expires (seconds since the epoch).";
    DEC_REQUEST = "ceph.cephx.dec.request", "Request", Str, "The cephx request an MAuthReply answers: get_rotating_key or get_principal_session_key.";
    DEC_ERROR = "ceph.cephx.dec.error", "Not decrypted", Str, "Why the structure could not be decrypted.";
    DEC_SIGNATURE = "ceph.cephx.dec.signature", "Signature check", Str, "AUTH_SIGNATURE against HMAC-SHA256 of the bytes its sender received, keyed with the session key; or a msgr1 MSG's footer signature against the one its session key gives: good or bad.";
    DEC_SIGNATURE_FORM = "ceph.cephx.dec.signature_form", "Signature form", Str, "msgr1 message signatures: cephx v2 (CEPHX_V2 negotiated) or the pre-mimic form.";
    DEC_SIGNATURE_EXPECTED = "ceph.cephx.dec.signature_expected", "Expected signature", Bytes, "The HMAC-SHA256 computed from the capture.";
    DEC_SIGNED_BYTES = "ceph.cephx.dec.signed_bytes", "Bytes signed", Uint, "How many received bytes the signature covers.";
}

/// CephXServiceTicket: `u8 v, CryptoKey session_key, utime validity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTicketPlain {
    /// The session key it grants.
    pub session_key: CryptoKey,
    /// Validity: seconds, nanoseconds.
    pub validity: (u32, u32),
}

impl ServiceTicketPlain {
    /// Read it (CephxProtocol.h CephXServiceTicket::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], Self> {
        let (i, _v) = le_u8(i)?;
        let (i, session_key) = CryptoKey::parse(i)?;
        let (i, s) = le_u32(i)?;
        let (i, ns) = le_u32(i)?;
        Ok((
            i,
            ServiceTicketPlain {
                session_key,
                validity: (s, ns),
            },
        ))
    }

    /// Encode (tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![1u8];
        self.session_key.encode(&mut o);
        o.extend_from_slice(&self.validity.0.to_le_bytes());
        o.extend_from_slice(&self.validity.1.to_le_bytes());
        o
    }
}

/// A cephx `string`: le32 length and bytes.
pub fn string(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, n) = le_u32(i)?;
    take(n)(i)
}

/// CephXAuthorize: `u8 v, le64 nonce, [v >= 2] bool have_challenge,
/// le64 server_challenge_plus_one`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizePlain {
    /// struct_v.
    pub v: u8,
    /// The client's nonce.
    pub nonce: u64,
    /// Challenge fields (v >= 2).
    pub challenge: Option<(bool, u64)>,
}

impl AuthorizePlain {
    /// Read it (CephxProtocol.h CephXAuthorize::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], Self> {
        let (i, v) = le_u8(i)?;
        let (i, nonce) = le_u64(i)?;
        if v < 2 {
            return Ok((
                i,
                AuthorizePlain {
                    v,
                    nonce,
                    challenge: None,
                },
            ));
        }
        let (i, have) = le_u8(i)?;
        let (i, plus_one) = le_u64(i)?;
        Ok((
            i,
            AuthorizePlain {
                v,
                nonce,
                challenge: Some((have != 0, plus_one)),
            },
        ))
    }
}

/// CephXAuthorizeReply: `u8 v, le64 nonce_plus_one, [v >= 2] string
/// connection_secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeReplyPlain {
    /// struct_v.
    pub v: u8,
    /// The authorizer's nonce plus one.
    pub nonce_plus_one: u64,
    /// The connection secret (v >= 2).
    pub secret: Option<Vec<u8>>,
}

impl AuthorizeReplyPlain {
    /// Read it (CephxProtocol.h CephXAuthorizeReply::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], Self> {
        let (i, v) = le_u8(i)?;
        let (i, nonce_plus_one) = le_u64(i)?;
        if v < 2 {
            return Ok((
                i,
                AuthorizeReplyPlain {
                    v,
                    nonce_plus_one,
                    secret: None,
                },
            ));
        }
        let (i, s) = string(i)?;
        Ok((
            i,
            AuthorizeReplyPlain {
                v,
                nonce_plus_one,
                secret: Some(s.to_vec()),
            },
        ))
    }

    /// Encode (tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut o = vec![self.v];
        o.extend_from_slice(&self.nonce_plus_one.to_le_bytes());
        if let Some(s) = &self.secret {
            let n = u32::try_from(s.len()).unwrap_or(u32::MAX);
            o.extend_from_slice(&n.to_le_bytes());
            o.extend_from_slice(s);
        }
        o
    }
}

/// CephXAuthorizeChallenge: `u8 v, le64 server_challenge`.
pub fn authorize_challenge(i: &[u8]) -> IResult<&[u8], u64> {
    let (i, _v) = le_u8(i)?;
    le_u64(i)
}

/// A `ceph.cephx.dec` group: which structure, which key opened it.
pub fn group(what: &str, key_from: &str, children: Vec<FieldNode>) -> FieldNode {
    let mut n = FieldNode::new(&DECRYPTED, Value::None, None);
    n.summary = Some(what.to_string());
    n.children
        .push(FieldNode::new(&DEC_STRUCT, Value::Str(what.into()), None));
    n.children.push(FieldNode::new(
        &DEC_KEY_FROM,
        Value::Str(key_from.into()),
        None,
    ));
    n.children.extend(children);
    n
}

/// A structure that did not decrypt, and why.
pub fn failed(what: &str, key_from: &str, why: &str) -> FieldNode {
    group(
        what,
        key_from,
        vec![FieldNode::new(&DEC_ERROR, Value::Str(why.into()), None)],
    )
}

/// The leaves of a service ticket.
pub fn ticket_nodes(
    service: &str,
    t: &ServiceTicketPlain,
    secret_id: Option<u64>,
) -> Vec<FieldNode> {
    let mut v = vec![
        FieldNode::new(&DEC_SERVICE, Value::Str(service.into()), None),
        FieldNode::new(
            &DEC_KEY_TYPE,
            Value::Uint(u64::from(t.session_key.ty)),
            None,
        ),
        FieldNode::new(
            &DEC_SESSION_KEY,
            Value::Bytes(t.session_key.secret.clone()),
            None,
        ),
        FieldNode::new(
            &DEC_VALIDITY,
            Value::Str(format!("{}.{:09} s", t.validity.0, t.validity.1)),
            None,
        ),
    ];
    if let Some(id) = secret_id {
        v.push(FieldNode::new(&DEC_SECRET_ID, Value::Uint(id), None));
    }
    v
}

/// The connection secret's leaf.
pub fn secret_node(secret: &[u8]) -> FieldNode {
    let mut n = FieldNode::new(&DEC_CONN_SECRET, Value::Bytes(secret.to_vec()), None);
    if let (Some(k), Some(s), Some(c)) = (secret.get(0..16), secret.get(16..28), secret.get(28..40))
    {
        n.summary = Some(format!(
            "key {}, server nonce {}, client nonce {}",
            hex(k),
            hex(s),
            hex(c)
        ));
    }
    n
}
