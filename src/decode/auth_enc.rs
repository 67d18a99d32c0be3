//! Builders of auth payloads (the bufferlists inside AUTH_* frames), laid
//! out as Ceph's auth code writes them; `auth.rs` names the sources and
//! decodes them. Used to build test payloads.

use super::addr::EntityName;
use super::region::put;

/// CephXTicketBlob.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketBlob {
    /// Rotating secret id.
    pub secret_id: u64,
    /// Encrypted ticket.
    pub blob: Vec<u8>,
}

impl TicketBlob {
    /// `u8 v=1, le64 secret_id, bl blob`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        out.extend_from_slice(&self.secret_id.to_le_bytes());
        put::bl(out, &self.blob);
    }
}

/// Mon-mode AUTH_REQUEST payload (any method), or an auth-none
/// authorizer when `mode` is 1: `u8 mode, EntityName, le64 global_id`.
pub fn name_and_gid(mode: u8, name: &EntityName, global_id: u64) -> Vec<u8> {
    let mut o = vec![mode];
    name.encode(&mut o);
    o.extend_from_slice(&global_id.to_le_bytes());
    o
}

/// A cephx authorizer: `u8 1, le64 global_id, le32 service_id, ticket,
/// bl encrypted CephXAuthorize`.
pub fn cephx_authorizer(
    global_id: u64,
    service_id: u32,
    ticket: &TicketBlob,
    authorize: &[u8],
) -> Vec<u8> {
    let mut o = vec![1];
    o.extend_from_slice(&global_id.to_le_bytes());
    o.extend_from_slice(&service_id.to_le_bytes());
    ticket.encode(&mut o);
    put::bl(&mut o, authorize);
    o
}

/// CephXServerChallenge.
pub fn server_challenge(challenge: u64) -> Vec<u8> {
    let mut o = vec![1];
    o.extend_from_slice(&challenge.to_le_bytes());
    o
}

/// CephXRequestHeader (GET_AUTH_SESSION_KEY) + CephXAuthenticate v3.
pub fn authenticate(
    client_challenge: u64,
    key: u64,
    old_ticket: &TicketBlob,
    other_keys: u32,
) -> Vec<u8> {
    let mut o = 0x0100u16.to_le_bytes().to_vec();
    o.push(3);
    o.extend_from_slice(&client_challenge.to_le_bytes());
    o.extend_from_slice(&key.to_le_bytes());
    old_ticket.encode(&mut o);
    o.extend_from_slice(&other_keys.to_le_bytes());
    o
}

/// The ticket part of a service ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ticket {
    /// Encrypted with the old session key (bl of ciphertext).
    Encrypted(Vec<u8>),
    /// In the clear: a bl holding a CephXTicketBlob.
    Plain(TicketBlob),
}

/// One entry of a service ticket reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTicket {
    /// CEPH_ENTITY_TYPE_* of the service.
    pub service_id: u32,
    /// Encrypted CephXServiceTicket.
    pub session: Vec<u8>,
    /// The ticket.
    pub ticket: Ticket,
}

/// A service ticket reply.
pub fn ticket_reply(tickets: &[ServiceTicket], out: &mut Vec<u8>) {
    out.push(1);
    out.extend_from_slice(
        &u32::try_from(tickets.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    for t in tickets {
        out.extend_from_slice(&t.service_id.to_le_bytes());
        out.push(1);
        put::bl(out, &t.session);
        match &t.ticket {
            Ticket::Encrypted(ct) => {
                out.push(1);
                put::bl(out, ct);
            }
            Ticket::Plain(tb) => {
                out.push(0);
                let mut inner = Vec::new();
                tb.encode(&mut inner);
                put::bl(out, &inner);
            }
        }
    }
}

/// A mon's AUTH_DONE payload for GET_AUTH_SESSION_KEY: header, the
/// auth ticket reply, and for nautilus+ clients the encrypted connection
/// secret and the extra tickets.
pub fn mon_done(
    status: i32,
    tickets: &[ServiceTicket],
    nautilus: Option<(&[u8], &[ServiceTicket])>,
) -> Vec<u8> {
    let mut o = 0x0100u16.to_le_bytes().to_vec();
    o.extend_from_slice(&status.to_le_bytes());
    ticket_reply(tickets, &mut o);
    if let Some((secret, extra)) = nautilus {
        let mut cbl = Vec::new();
        if !secret.is_empty() {
            put::bl(&mut cbl, secret);
        }
        put::bl(&mut o, &cbl);
        let mut ebl = Vec::new();
        if !extra.is_empty() {
            ticket_reply(extra, &mut ebl);
        }
        put::bl(&mut o, &ebl);
    }
    o
}

/// A service's AUTH_DONE payload: bl of the encrypted CephXAuthorizeReply.
pub fn authorize_reply(ciphertext: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    put::bl(&mut o, ciphertext);
    o
}
