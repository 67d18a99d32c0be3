//! Authentication: the constants control frames name (auth methods,
//! connection modes, entity types, auth modes) and the auth payloads the
//! AUTH_* frames carry, decoded as far as they go without keys.
//!
//! Sources: ceph_fs.h (`CEPH_AUTH_*`, `CEPH_CON_MODE_*`), msgr.h
//! (`CEPH_ENTITY_TYPE_*`), auth/Auth.h (`AUTH_MODE_*`), and for cephx
//! auth/cephx/CephxProtocol.{h,cc}, CephxServiceHandler.cc, and
//! mon/MonClient.cc (`MonConnection::get_auth_request`); auth none:
//! auth/none/AuthNoneProtocol.h. Layouts (RESEARCH.md A9, A15):
//!
//! ```text
//! AUTH_REQUEST payload   u8 auth_mode | mode 10..19 (mon):  EntityName, le64 global_id
//!                                     | mode 1..9 (authorizer), auth none:  EntityName, le64 global_id
//!                                     | mode 1..9 (authorizer), cephx:  le64 global_id, le32 service_id,
//!                                          CephXTicketBlob, bl encrypted CephXAuthorize
//! AUTH_REPLY_MORE        CephXServerChallenge {u8 v, le64 server_challenge}   (from a mon)
//!                        | ciphertext of CephXAuthorizeChallenge               (from a service)
//! AUTH_REQUEST_MORE      CephXRequestHeader {le16 type} + CephXAuthenticate {u8 v, le64 client_challenge,
//!                          le64 key, CephXTicketBlob old_ticket, le32 other_keys (v >= 2)}
//!                        | a cephx authorizer (as in AUTH_REQUEST), answering a challenge
//! AUTH_DONE              CephXResponseHeader {le16 type, le32 status} + service ticket reply
//!                          [+ bl connection secret + bl extra tickets]        (from a mon)
//!                        | bl encrypted CephXAuthorizeReply                    (from a service)
//! service ticket reply   u8 v, le32 n, n x {le32 service_id, u8 v, bl encrypted session key,
//!                          u8 ticket_enc, bl ticket (encrypted, or a CephXTicketBlob)}
//! CephXTicketBlob        u8 v, le64 secret_id, bl blob (encrypted with the service's secret)
//! ```
//!
//! Everything encrypted stays bytes. The cephx structures are typed values
//! in `cephx.rs`; this file decides which one a payload holds (by its
//! first bytes, as the peer's state would) and holds their fields.

use super::addr::{entity_name_nodes, put_bl, EntityName};
use super::cephx::{bl, bytes_leaf, rest_of};
pub use super::cephx::{Authenticate, Authorizer, TicketBlob};
pub use super::cephx_tickets::{
    MonReply, Nautilus, PlainTicket, ServiceTicket, Ticket, TicketReply,
};
use super::grammar::prim::{le16, le64, u8_};
use super::grammar::view::Nodes;
use super::grammar::{note, In, Note, NoteKind, PResult, Sp};
use super::text::list_text;
use crate::fields;
use crate::model::tree::TRAILING;
use crate::model::FieldDef;

fields! {
    MODE = "msgr2.auth.mode", "Auth mode", Enum, "First byte of an auth payload: 1-9 authorizer (service), 10-19 mon (auth/Auth.h AUTH_MODE_*).";
    GLOBAL_ID = "msgr2.auth.global_id", "Global id", Uint, "The client's global id (0 before the mon assigns one).";
    PAYLOAD = "msgr2.auth.payload", "Auth payload", Bytes, "Auth payload bytes of an unknown method or layout.";
    STRUCT_V = "ceph.cephx.struct_v", "Struct version", Uint, "Encoding version of a cephx structure.";
    SERVER_CHALLENGE = "ceph.cephx.server_challenge", "Server challenge", Hex, "CephXServerChallenge: the mon's random challenge.";
    REQUEST_TYPE = "ceph.cephx.request_type", "Request type", Enum, "CEPHX_GET_AUTH_SESSION_KEY 0x0100, _PRINCIPAL_SESSION_KEY 0x0200, _ROTATING_KEY 0x0400.";
    STATUS = "ceph.cephx.status", "Status", Int, "CephXResponseHeader status (0 or -errno).";
    AUTHENTICATE = "ceph.cephx.authenticate", "CephXAuthenticate", None, "The client's answer to the server challenge.";
    CLIENT_CHALLENGE = "ceph.cephx.client_challenge", "Client challenge", Hex, "The client's random challenge.";
    KEY = "ceph.cephx.key", "Key", Hex, "Proof of the secret: the challenges encrypted with it, folded to 64 bits.";
    OTHER_KEYS = "ceph.cephx.other_keys", "Other keys", Hex, "Entity types whose service tickets the client wants along (bit mask).";
    TICKET = "ceph.cephx.ticket", "Ticket", None, "CephXTicketBlob: a ticket, opaque to its holder.";
    SECRET_ID = "ceph.cephx.ticket.secret_id", "Secret id", Uint, "Which rotating service secret encrypts the ticket.";
    TICKET_BLOB = "ceph.cephx.ticket.blob", "Ticket blob", Bytes, "The ticket, encrypted with the service's secret.";
    SERVICE_ID = "ceph.cephx.service_id", "Service", Enum, "Entity type of the service (CEPH_ENTITY_TYPE_*).";
    AUTHORIZE = "ceph.cephx.authorize", "Authorize (encrypted)", Bytes, "CephXAuthorize {nonce, challenge answer}, encrypted with the ticket's session key.";
    AUTHORIZE_CHALLENGE = "ceph.cephx.authorize_challenge", "Authorize challenge (encrypted)", Bytes, "CephXAuthorizeChallenge, encrypted with the ticket's session key.";
    AUTHORIZE_REPLY = "ceph.cephx.authorize_reply", "Authorize reply (encrypted)", Bytes, "CephXAuthorizeReply {nonce+1, connection secret}, encrypted with the ticket's session key.";
    TICKET_REPLY = "ceph.cephx.ticket_reply", "Service ticket reply", None, "Service tickets granted by the mon.";
    TICKET_COUNT = "ceph.cephx.ticket_reply.count", "Tickets", Uint, "Number of service tickets.";
    SERVICE_TICKET = "ceph.cephx.service_ticket", "Service ticket", None, "One service's session key and ticket.";
    SESSION = "ceph.cephx.service_ticket.session", "Session key (encrypted)", Bytes, "CephXServiceTicket {session key, validity}, encrypted with the client's secret or session key.";
    TICKET_ENC = "ceph.cephx.service_ticket.ticket_enc", "Ticket encrypted", Bool, "Whether the ticket is encrypted with the old session key.";
    ENC_TICKET = "ceph.cephx.service_ticket.encrypted_ticket", "Ticket (encrypted)", Bytes, "The ticket, encrypted with the old session key.";
    TICKET_LEN = "ceph.cephx.service_ticket.ticket_len", "Ticket length", Uint, "Bytes of the ticket that follows.";
    CONN_SECRET_LEN = "ceph.cephx.connection_secret_len", "Connection secret length", Uint, "Bytes of the connection-secret item that follows.";
    CONN_SECRET = "ceph.cephx.connection_secret", "Connection secret (encrypted)", Bytes, "The connection's secret, encrypted with the new session key.";
    EXTRA_LEN = "ceph.cephx.extra_len", "Extra tickets length", Uint, "Bytes of the extra ticket reply that follows.";
    EXTRA = "ceph.cephx.extra", "Extra tickets", None, "Tickets for the other services the client asked for.";
}

/// CEPH_AUTH_UNKNOWN (ceph_fs.h).
pub const AUTH_UNKNOWN: u32 = 0;
/// CEPH_AUTH_NONE.
pub const AUTH_NONE: u32 = 1;
/// CEPH_AUTH_CEPHX.
pub const AUTH_CEPHX: u32 = 2;
/// CEPH_AUTH_GSS.
pub const AUTH_GSS: u32 = 4;

/// CEPH_CON_MODE_UNKNOWN (ceph_fs.h).
pub const CON_MODE_UNKNOWN: u32 = 0;
/// CEPH_CON_MODE_CRC.
pub const CON_MODE_CRC: u32 = 1;
/// CEPH_CON_MODE_SECURE.
pub const CON_MODE_SECURE: u32 = 2;

/// CEPH_ENTITY_TYPE_MON (msgr.h).
pub const ENTITY_MON: u8 = 0x01;
/// CEPH_ENTITY_TYPE_MDS.
pub const ENTITY_MDS: u8 = 0x02;
/// CEPH_ENTITY_TYPE_OSD.
pub const ENTITY_OSD: u8 = 0x04;
/// CEPH_ENTITY_TYPE_CLIENT.
pub const ENTITY_CLIENT: u8 = 0x08;
/// CEPH_ENTITY_TYPE_MGR.
pub const ENTITY_MGR: u8 = 0x10;
/// CEPH_ENTITY_TYPE_AUTH.
pub const ENTITY_AUTH: u8 = 0x20;
/// CEPH_ENTITY_TYPE_ANY.
pub const ENTITY_ANY: u8 = 0xff;

/// AUTH_MODE_AUTHORIZER (auth/Auth.h); 1..=9 all mean authorizer.
pub const AUTH_MODE_AUTHORIZER: u8 = 1;
/// AUTH_MODE_AUTHORIZER_MAX.
pub const AUTH_MODE_AUTHORIZER_MAX: u8 = 9;
/// AUTH_MODE_MON; 10..=19 all mean mon.
pub const AUTH_MODE_MON: u8 = 10;
/// AUTH_MODE_MON_MAX.
pub const AUTH_MODE_MON_MAX: u8 = 19;

/// CEPHX_GET_AUTH_SESSION_KEY (CephxProtocol.h).
pub const CEPHX_GET_AUTH_SESSION_KEY: u16 = 0x0100;
/// CEPHX_GET_PRINCIPAL_SESSION_KEY.
pub const CEPHX_GET_PRINCIPAL_SESSION_KEY: u16 = 0x0200;
/// CEPHX_GET_ROTATING_KEY.
pub const CEPHX_GET_ROTATING_KEY: u16 = 0x0400;

/// Auth method names (CEPH_AUTH_*).
pub fn auth_method_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "unknown",
        1 => "none",
        2 => "cephx",
        4 => "gss",
        _ => return None,
    })
}

/// Connection mode names (CEPH_CON_MODE_*).
pub fn con_mode_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "unknown",
        1 => "crc",
        2 => "secure",
        _ => return None,
    })
}

/// Entity type names, as `ceph_entity_type_name()` prints them
/// (common/ceph_strings.cc).
pub fn entity_type_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0x01 => "mon",
        0x02 => "mds",
        0x04 => "osd",
        0x08 => "client",
        0x10 => "mgr",
        0x20 => "auth",
        0xff => "any",
        _ => return None,
    })
}

/// Names of the entity types set in a bit mask (e.g. `other_keys`).
pub fn entity_types_text(mask: u64) -> String {
    let bits: Vec<u64> = (0..8)
        .map(|b| 1u64 << b)
        .filter(|b| mask & b != 0)
        .collect();
    list_text(&bits, entity_type_name)
}

/// Auth mode names (AUTH_MODE_* ranges).
pub fn auth_mode_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "none",
        1..=9 => "authorizer",
        10..=19 => "mon",
        _ => return None,
    })
}

/// cephx request type names.
pub fn cephx_request_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0x0100 => "get_auth_session_key",
        0x0200 => "get_principal_session_key",
        0x0400 => "get_rotating_key",
        _ => return None,
    })
}

fn is_request_type(v: u16) -> bool {
    matches!(
        v,
        CEPHX_GET_AUTH_SESSION_KEY | CEPHX_GET_PRINCIPAL_SESSION_KEY | CEPHX_GET_ROTATING_KEY
    )
}

/// Which auth payload a bufferlist is: it decides how the bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// AUTH_REQUEST's, for this CEPH_AUTH_* method.
    Request(u32),
    /// AUTH_REPLY_MORE's.
    ReplyMore,
    /// AUTH_REQUEST_MORE's.
    RequestMore,
    /// AUTH_DONE's.
    Done,
}

/// An entity name and global id after the auth mode: a mon-mode request
/// (MonClient.cc MonConnection::get_auth_request), or an auth none
/// authorizer (AuthNoneProtocol.h: struct_v 1, EntityName, global_id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// AUTH_MODE_* (the authorizer's struct_v).
    pub mode: Sp<u8>,
    /// The client's name.
    pub name: EntityName,
    /// The client's global id.
    pub global_id: Sp<u64>,
}

/// What an auth payload holds, by layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Body {
    /// Nothing read yet.
    #[default]
    Empty,
    /// Auth mode, EntityName, global_id.
    Named(Named),
    /// Auth mode, then a cephx authorizer.
    Authorizer(Sp<u8>, Authorizer),
    /// Auth mode, then bytes of a layout not decoded.
    Mode(Sp<u8>, Sp<Vec<u8>>),
    /// CephXServerChallenge: struct_v, server_challenge.
    Challenge(Sp<u8>, Sp<u64>),
    /// Bytes as one field (an encrypted challenge, an unknown layout).
    Bytes(&'static FieldDef, Sp<Vec<u8>>),
    /// CephXRequestHeader (GET_AUTH_SESSION_KEY), CephXAuthenticate.
    Authenticate(Sp<u16>, Authenticate),
    /// CephXRequestHeader of another request, then its bytes.
    Request(Sp<u16>, Sp<Vec<u8>>),
    /// A mon's reply.
    MonReply(MonReply),
    /// A service's reply: bl of the encrypted CephXAuthorizeReply.
    AuthorizeReply(Sp<Vec<u8>>),
}

impl Body {
    /// AUTH_REQUEST's payload, for auth method `method`.
    fn request<'a>(&mut self, method: u32, i: In<'a>) -> PResult<'a, ()> {
        let (i, mode) = u8_(&MODE)(i)?;
        match (mode.v, method) {
            // MonClient.cc MonConnection::get_auth_request: mode, EntityName, global_id.
            (AUTH_MODE_MON..=AUTH_MODE_MON_MAX, _)
            | (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_NONE) => {
                let mut x = Named {
                    mode,
                    ..Named::default()
                };
                let res = (|| {
                    let (i, ()) = x.name.parse(i)?;
                    let (i, g) = le64(&GLOBAL_ID)(i)?;
                    x.global_id = g;
                    Ok((i, ()))
                })();
                *self = Body::Named(x);
                res
            }
            (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_CEPHX) => {
                self.authorizer(mode, i)
            }
            _ => {
                let (i, rest) = rest_of(i);
                *self = Body::Mode(mode, rest);
                Ok((i, ()))
            }
        }
    }

    /// A cephx authorizer after its first byte.
    fn authorizer<'a>(&mut self, mode: Sp<u8>, i: In<'a>) -> PResult<'a, ()> {
        let mut a = Authorizer::default();
        let res = a.parse(i);
        *self = Body::Authorizer(mode, a);
        res
    }

    /// AUTH_REPLY_MORE's payload.
    fn reply_more<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let b = i.fragment();
        // CephXServerChallenge is 9 bytes, struct_v 1 (CephxProtocol.h).
        if b.len() == 9 && b.first() == Some(&1) {
            let (i, v) = u8_(&STRUCT_V)(i)?;
            let (i, c) = le64(&SERVER_CHALLENGE)(i)?;
            *self = Body::Challenge(v, c);
            return Ok((i, ()));
        }
        // A service's challenge: AES-CBC ciphertext, whole 16-byte blocks
        // (CephxProtocol.cc cephx_verify_authorizer, encode_encrypt_enc_bl).
        let def = if !b.is_empty() && b.len() % 16 == 0 {
            &AUTHORIZE_CHALLENGE
        } else {
            &PAYLOAD
        };
        let (i, rest) = rest_of(i);
        *self = Body::Bytes(def, rest);
        Ok((i, ()))
    }

    /// AUTH_REQUEST_MORE's payload.
    fn request_more<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let b = i.fragment();
        if matches!(
            b.first(),
            Some(AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX)
        ) {
            // The authorizer again, now answering the service's challenge
            // (CephXAuthorizer::add_challenge).
            let (i, mode) = u8_(&MODE)(i)?;
            return self.authorizer(mode, i);
        }
        let ty = match b {
            [a, b, ..] => u16::from_le_bytes([*a, *b]),
            // CephxServiceHandler.cc handle_request decodes the
            // CephXRequestHeader first: too short is end_of_buffer there.
            _ => return le16(&REQUEST_TYPE)(i).map(|(i, _)| (i, ())),
        };
        if !is_request_type(ty) {
            let (i, rest) = rest_of(i);
            *self = Body::Bytes(&PAYLOAD, rest);
            return Ok((i, ()));
        }
        let (i, ty) = le16(&REQUEST_TYPE)(i)?;
        if ty.v != CEPHX_GET_AUTH_SESSION_KEY {
            let (i, rest) = rest_of(i);
            *self = Body::Request(ty, rest);
            return Ok((i, ()));
        }
        let mut a = Authenticate::default();
        let res = a.parse(i);
        *self = Body::Authenticate(ty, a);
        res
    }

    /// AUTH_DONE's payload.
    fn done<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let b = i.fragment();
        let le32_at_0 = b
            .get(..4)
            .and_then(|x| <[u8; 4]>::try_from(x).ok())
            .map(u32::from_le_bytes);
        if let [x, y, _, _, _, _, ..] = b {
            if is_request_type(u16::from_le_bytes([*x, *y])) {
                let mut r = MonReply::default();
                let res = r.parse(i);
                *self = Body::MonReply(r);
                return res;
            }
        }
        if le32_at_0.and_then(|n| usize::try_from(n).ok()) == Some(b.len().saturating_sub(4)) {
            // CephxProtocol.cc cephx_verify_authorizer: encode_encrypt(reply).
            let (i, r) = bl(&AUTHORIZE_REPLY)(i)?;
            *self = Body::AuthorizeReply(r);
            return Ok((i, ()));
        }
        let (i, rest) = rest_of(i);
        *self = Body::Bytes(&PAYLOAD, rest);
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Body::Empty => {}
            Body::Named(x) => {
                out.push(x.mode.v);
                x.name.encode(out);
                out.extend_from_slice(&x.global_id.v.to_le_bytes());
            }
            Body::Authorizer(m, a) => {
                out.push(m.v);
                a.encode(out);
            }
            Body::Mode(m, b) => {
                out.push(m.v);
                out.extend_from_slice(&b.v);
            }
            Body::Challenge(v, c) => {
                out.push(v.v);
                out.extend_from_slice(&c.v.to_le_bytes());
            }
            Body::Bytes(_, b) => out.extend_from_slice(&b.v),
            Body::Authenticate(t, a) => {
                out.extend_from_slice(&t.v.to_le_bytes());
                a.encode(out);
            }
            Body::Request(t, b) => {
                out.extend_from_slice(&t.v.to_le_bytes());
                out.extend_from_slice(&b.v);
            }
            Body::MonReply(r) => r.encode(out),
            Body::AuthorizeReply(b) => put_bl(out, &b.v),
        }
    }

    /// The bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Vec::new();
        self.encode(&mut o);
        o
    }

    /// Its nodes: leaves and groups that were parsed.
    pub fn nodes(&self, n: &mut Nodes) {
        match self {
            Body::Empty => {}
            Body::Named(x) => {
                n.opt_enum(&MODE, &x.mode, auth_mode_name);
                entity_name_nodes(n, &x.name);
                n.opt_uint(&GLOBAL_ID, &x.global_id);
            }
            Body::Authorizer(m, a) => {
                n.opt_enum(&MODE, m, auth_mode_name);
                a.nodes(n);
            }
            Body::Mode(m, b) => {
                n.opt_enum(&MODE, m, auth_mode_name);
                bytes_leaf(n, &PAYLOAD, b);
            }
            Body::Challenge(v, c) => {
                n.opt_uint(&STRUCT_V, v).opt_uint(&SERVER_CHALLENGE, c);
            }
            Body::Bytes(def, b) => bytes_leaf(n, def, b),
            Body::Authenticate(t, a) => {
                n.opt_enum(&REQUEST_TYPE, t, cephx_request_name);
                a.nodes(n);
            }
            Body::Request(t, b) => {
                n.opt_enum(&REQUEST_TYPE, t, cephx_request_name);
                bytes_leaf(n, &PAYLOAD, b);
            }
            Body::MonReply(r) => r.nodes(n),
            Body::AuthorizeReply(b) => bytes_leaf(n, &AUTHORIZE_REPLY, b),
        }
    }

    /// A short description for summaries: the entity name and auth mode
    /// of an AUTH_REQUEST.
    pub fn text(&self) -> Option<String> {
        match self {
            Body::Named(x) if x.mode.v >= AUTH_MODE_MON => Some(format!("mon {}", x.name)),
            Body::Named(x) => Some(format!("authorizer {} global_id={}", x.name, x.global_id.v)),
            Body::Authorizer(_, a) => Some(a.text()),
            _ => None,
        }
    }
}

/// An auth payload's structures, read once from its bytes.
#[derive(Debug, Clone, Default)]
pub struct AuthBody {
    /// What it holds.
    pub body: Body,
    /// Bytes after it.
    pub trailing: Sp<Vec<u8>>,
    /// Every field decoded.
    pub done: bool,
}

impl AuthBody {
    /// Read the whole of `i` as a payload of `kind`.
    pub fn parse<'a>(&mut self, kind: PayloadKind, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = match kind {
            PayloadKind::Request(m) => self.body.request(m, i),
            PayloadKind::ReplyMore => self.body.reply_more(i),
            PayloadKind::RequestMore => self.body.request_more(i),
            PayloadKind::Done => self.body.done(i),
        }?;
        let (i, t) = rest_of(i);
        if t.len > 0 {
            note(
                &i,
                Note {
                    kind: NoteKind::Trailing,
                    offset: t.at,
                    len: t.len,
                    field: PAYLOAD.abbrev,
                    expected: "end of the auth payload".into(),
                    found: format!("{} more bytes", t.len),
                },
            );
        }
        self.trailing = t;
        self.done = true;
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.body.encode(out);
        out.extend_from_slice(&self.trailing.v);
    }

    /// Its nodes.
    pub fn nodes(&self, n: &mut Nodes) {
        self.body.nodes(n);
        bytes_leaf(n, &TRAILING, &self.trailing);
    }

    /// A short description for summaries (AUTH_REQUEST: the entity name
    /// and auth mode), once decoded.
    pub fn summary(&self) -> Option<String> {
        self.done.then(|| self.body.text()).flatten()
    }
}
