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
//! Everything encrypted stays bytes.

use super::addr_tree::entity_name_tree;
use super::grammar::view::Nodes;
use super::grammar::{note, offset, DencError, Fault, In, Note, NoteKind, PResult};
use super::region::{len_region, list_text, rest, sub, Reg};
use crate::fields;
use crate::model::tree::{Res, Tree, TRAILING};
use crate::model::{FieldNode, Source, Value};
use nom::Input;

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

/// AUTH_REQUEST's payload (region `reg`), for auth method `method`.
pub fn request_payload(t: &mut Tree<'_>, reg: Reg<'_>, method: u32) -> Res<()> {
    let mode = t.enumerated(&MODE, 1, auth_mode_name)?;
    match (u8::try_from(mode).unwrap_or(0), method) {
        // MonClient.cc MonConnection::get_auth_request: mode, EntityName, global_id.
        (AUTH_MODE_MON..=AUTH_MODE_MON_MAX, _)
        | (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_NONE) => {
            // AuthNoneProtocol.h AuthNoneAuthorizer: struct_v 1, EntityName, global_id.
            entity_name_tree(t)?;
            t.uint(&GLOBAL_ID, 8)?;
            Ok(())
        }
        (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_CEPHX) => authorizer_body(t),
        _ => rest(t, &reg, &PAYLOAD),
    }
}

/// A cephx authorizer after its first byte (CephxProtocol.cc
/// CephXTicketHandler::build_authorizer): global_id, service_id, ticket,
/// encrypted CephXAuthorize.
fn authorizer_body(t: &mut Tree<'_>) -> Res<()> {
    t.uint(&GLOBAL_ID, 8)?;
    t.enumerated(&SERVICE_ID, 4, entity_type_name)?;
    ticket_blob(t)?;
    t.blob(&AUTHORIZE)?;
    Ok(())
}

/// CephXTicketBlob as a `ceph.cephx.ticket` group.
fn ticket_blob(t: &mut Tree<'_>) -> Res<()> {
    let mut secret = 0;
    let mut len = 0;
    let node = t.group(&TICKET, |t| {
        t.uint(&STRUCT_V, 1)?;
        secret = t.uint(&SECRET_ID, 8)?;
        len = t.blob(&TICKET_BLOB)?.len();
        Ok(())
    })?;
    node.summary = Some(format!("secret_id {secret}, {len} bytes"));
    Ok(())
}

/// AUTH_REPLY_MORE's payload.
pub fn reply_more_payload(t: &mut Tree<'_>, reg: Reg<'_>) -> Res<()> {
    // CephXServerChallenge is 9 bytes, struct_v 1 (CephxProtocol.h).
    if reg.len == 9 && reg.peek(t, 1)? == [1] {
        t.uint(&STRUCT_V, 1)?;
        t.uint(&SERVER_CHALLENGE, 8)?;
        return Ok(());
    }
    // A service's challenge: AES-CBC ciphertext, whole 16-byte blocks
    // (CephxProtocol.cc cephx_verify_authorizer, encode_encrypt_enc_bl).
    if reg.len > 0 && reg.len % 16 == 0 {
        return rest(t, &reg, &AUTHORIZE_CHALLENGE);
    }
    rest(t, &reg, &PAYLOAD)
}

/// AUTH_REQUEST_MORE's payload.
pub fn request_more_payload(t: &mut Tree<'_>, reg: Reg<'_>) -> Res<()> {
    let first = reg.peek(t, 1)?;
    if matches!(first, [AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX]) {
        // The authorizer again, now answering the service's challenge
        // (CephXAuthorizer::add_challenge).
        t.enumerated(&MODE, 1, auth_mode_name)?;
        return authorizer_body(t);
    }
    let head = reg.peek(t, 2)?;
    let ty = u16::from_le_bytes([
        head.first().copied().unwrap_or(0),
        head.get(1).copied().unwrap_or(0),
    ]);
    if !is_request_type(ty) {
        return rest(t, &reg, &PAYLOAD);
    }
    t.enumerated(&REQUEST_TYPE, 2, cephx_request_name)?;
    if ty != CEPHX_GET_AUTH_SESSION_KEY {
        return rest(t, &reg, &PAYLOAD);
    }
    // CephXAuthenticate (CephxProtocol.h): v2 and v3 encode the same fields.
    let mut keys = None;
    let node = t.group(&AUTHENTICATE, |t| {
        let v = t.uint(&STRUCT_V, 1)?;
        t.uint(&CLIENT_CHALLENGE, 8)?;
        t.uint(&KEY, 8)?;
        ticket_blob(t)?;
        if v >= 2 {
            keys = Some(other_keys(t)?);
        }
        Ok(())
    })?;
    node.summary = keys.map(|k| format!("wants {}", entity_types_text(k)));
    Ok(())
}

fn other_keys(t: &mut Tree<'_>) -> Res<u64> {
    let (v, sp) = t.read_uint(4, OTHER_KEYS.abbrev)?;
    let mut node = crate::model::FieldNode::new(&OTHER_KEYS, Value::Uint(v), Some(sp));
    node.summary = Some(format!("{v:#x} ({})", entity_types_text(v)));
    t.push(node);
    Ok(v)
}

/// AUTH_DONE's payload.
pub fn done_payload(t: &mut Tree<'_>, reg: Reg<'_>) -> Res<()> {
    if reg.len == 0 {
        return Ok(());
    }
    let head = reg.peek(t, reg.len.min(4))?;
    let le16 = |b: &[u8]| {
        u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    };
    let le32 = |b: &[u8]| {
        b.get(..4)
            .and_then(|x| x.try_into().ok())
            .map(u32::from_le_bytes)
    };
    if reg.len >= 6 && is_request_type(le16(head)) {
        return mon_reply(t, reg);
    }
    if le32(head).and_then(|n| usize::try_from(n).ok()) == Some(reg.len.saturating_sub(4)) {
        // CephxProtocol.cc cephx_verify_authorizer: encode_encrypt(reply).
        t.blob(&AUTHORIZE_REPLY)?;
        return Ok(());
    }
    rest(t, &reg, &PAYLOAD)
}

/// A mon's reply (CephxServiceHandler.cc handle_request).
fn mon_reply(t: &mut Tree<'_>, reg: Reg<'_>) -> Res<()> {
    let ty = t.enumerated(&REQUEST_TYPE, 2, cephx_request_name)?;
    let status = t.int(&STATUS, 4)?;
    let ok = status == 0
        && (ty == u64::from(CEPHX_GET_AUTH_SESSION_KEY)
            || ty == u64::from(CEPHX_GET_PRINCIPAL_SESSION_KEY));
    if !ok {
        return rest(t, &reg, &PAYLOAD);
    }
    ticket_reply(t, &TICKET_REPLY)?;
    // Nautilus+ clients (other_keys != 0) also get the connection secret
    // and the other services' tickets.
    if ty == u64::from(CEPHX_GET_AUTH_SESSION_KEY) && reg.left(t) > 0 {
        len_region(t, &CONN_SECRET_LEN, |t, reg| {
            if reg.len > 0 {
                t.blob(&CONN_SECRET)?;
            }
            Ok(())
        })?;
        len_region(t, &EXTRA_LEN, |t, reg| {
            if reg.len > 0 {
                ticket_reply(t, &EXTRA)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// A service ticket reply (CephxProtocol.cc cephx_build_service_ticket_reply)
/// as a group of `def`.
fn ticket_reply(t: &mut Tree<'_>, def: &'static crate::model::FieldDef) -> Res<()> {
    let mut services = Vec::new();
    let node = t.group(def, |t| {
        t.uint(&STRUCT_V, 1)?;
        let n = t.uint(&TICKET_COUNT, 4)?;
        for _ in 0..n {
            services.push(service_ticket(t)?);
        }
        Ok(())
    })?;
    node.summary = Some(format!(
        "{} ticket(s): {}",
        services.len(),
        list_text(&services, entity_type_name)
    ));
    Ok(())
}

fn service_ticket(t: &mut Tree<'_>) -> Res<u64> {
    let mut service = 0;
    let node = t.group(&SERVICE_TICKET, |t| {
        service = t.enumerated(&SERVICE_ID, 4, entity_type_name)?;
        t.uint(&STRUCT_V, 1)?;
        t.blob(&SESSION)?;
        if t.bool(&TICKET_ENC)? {
            t.blob(&ENC_TICKET)?;
        } else {
            len_region(t, &TICKET_LEN, |t, _| ticket_blob(t))?;
        }
        Ok(())
    })?;
    node.summary = Some(
        entity_type_name(service).map_or_else(|| format!("service {service}"), str::to_string),
    );
    Ok(service)
}

/// A short description of an auth payload for summaries: the entity name
/// and auth mode of an AUTH_REQUEST, when decodable.
pub fn request_summary(method: u32, payload: &[u8]) -> Option<String> {
    let mut r = super::region::Rd::new(payload);
    let mode = r.u8()?;
    match (mode, method) {
        (AUTH_MODE_MON..=AUTH_MODE_MON_MAX, _) => {
            let name = super::entity::read_rd(&mut r, super::addr::EntityName::parse)?;
            Some(format!("mon {name}"))
        }
        (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_NONE) => {
            let name = super::entity::read_rd(&mut r, super::addr::EntityName::parse)?;
            let gid = r.u64()?;
            Some(format!("authorizer {name} global_id={gid}"))
        }
        (AUTH_MODE_AUTHORIZER..=AUTH_MODE_AUTHORIZER_MAX, AUTH_CEPHX) => {
            let gid = r.u64()?;
            let svc = r.u32()?;
            let svc =
                entity_type_name(u64::from(svc)).map_or_else(|| svc.to_string(), str::to_string);
            Some(format!("authorizer for {svc} global_id={gid}"))
        }
        _ => None,
    }
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

/// An auth payload's structures, read once from its bytes.
#[derive(Debug, Clone, Default)]
pub struct AuthBody {
    nodes: Vec<FieldNode>,
    summary: Option<String>,
}

impl AuthBody {
    /// Read the whole of `i` as a payload of `kind`.
    pub fn parse<'a>(&mut self, kind: PayloadKind, i: In<'a>) -> PResult<'a, ()> {
        let bytes: &'a [u8] = i.fragment();
        let base = offset(&i);
        let mut t = Tree::new(bytes, base, Source::Wire);
        let res = sub(&mut t, bytes.len(), |t, reg| match kind {
            PayloadKind::Request(m) => request_payload(t, reg, m),
            PayloadKind::ReplyMore => reply_more_payload(t, reg),
            PayloadKind::RequestMore => request_more_payload(t, reg),
            PayloadKind::Done => done_payload(t, reg),
        });
        self.nodes = t.into_nodes();
        if let PayloadKind::Request(m) = kind {
            self.summary = request_summary(m, bytes);
        }
        for n in self
            .nodes
            .iter()
            .filter(|n| n.def.abbrev == TRAILING.abbrev)
        {
            let r = n.span.as_ref().map_or(0..0, |s| s.range.clone());
            note(
                &i,
                Note {
                    kind: NoteKind::Trailing,
                    offset: r.start,
                    len: r.len(),
                    field: PAYLOAD.abbrev,
                    expected: "end of the auth payload".into(),
                    found: format!("{} more bytes", r.len()),
                },
            );
        }
        let (rest, _) = i.take_split(bytes.len());
        match res {
            Ok(()) => Ok((rest, ())),
            Err(m) => {
                let field = m.what.split(':').next().unwrap_or_default();
                let field = ALL
                    .iter()
                    .chain(super::addr::ALL)
                    .find(|d| d.abbrev == field)
                    .map(|d| d.abbrev);
                let short = m.what.contains("needs") || m.what.contains("left");
                let fault = if short {
                    Fault::EndOfBuffer
                } else {
                    Fault::Malformed
                };
                let mut e = DencError::new(fault, m.offset, "a decodable value", m.what);
                e.field = field;
                Err(nom::Err::Failure(e))
            }
        }
    }

    /// Its nodes.
    pub fn nodes(&self, n: &mut Nodes) {
        let src = n.source();
        for node in &self.nodes {
            let mut node = node.clone();
            resource(&mut node, src);
            n.push(node);
        }
    }

    /// A short description for summaries (AUTH_REQUEST: the entity name
    /// and auth mode).
    pub fn summary(&self) -> Option<String> {
        self.summary.clone()
    }
}

fn resource(n: &mut FieldNode, src: Source) {
    if let Some(s) = n.span.as_mut() {
        s.source = src;
    }
    for c in &mut n.children {
        resource(c, src);
    }
}
