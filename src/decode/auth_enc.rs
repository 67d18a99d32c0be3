//! Builders of auth payloads (the bufferlists inside AUTH_* frames) from
//! their typed values in `auth.rs` and `cephx.rs`, which encode them: each
//! layout is written once, there. Used to build test payloads.

use super::addr::EntityName;
use super::auth::{
    Authenticate, Authorizer, Body, MonReply, Named, Nautilus, TicketReply,
    CEPHX_GET_AUTH_SESSION_KEY,
};
pub use super::auth::{ServiceTicket, Ticket, TicketBlob};
use super::grammar::Sp;

/// Mon-mode AUTH_REQUEST payload (any method), or an auth-none
/// authorizer when `mode` is 1: `u8 mode, EntityName, le64 global_id`.
pub fn name_and_gid(mode: u8, name: &EntityName, global_id: u64) -> Vec<u8> {
    Body::Named(Named {
        mode: Sp::new(mode),
        name: name.clone(),
        global_id: Sp::new(global_id),
    })
    .to_bytes()
}

/// A cephx authorizer: `u8 1`, global_id, service_id, ticket, encrypted
/// CephXAuthorize.
pub fn cephx_authorizer(
    global_id: u64,
    service_id: u32,
    ticket: &TicketBlob,
    authorize: &[u8],
) -> Vec<u8> {
    let a = Authorizer {
        global_id: Sp::new(global_id),
        service_id: Sp::new(service_id),
        ticket: ticket.clone(),
        authorize: Sp::new(authorize.to_vec()),
    };
    Body::Authorizer(Sp::new(1), a).to_bytes()
}

/// CephXServerChallenge.
pub fn server_challenge(challenge: u64) -> Vec<u8> {
    Body::Challenge(Sp::new(1), Sp::new(challenge)).to_bytes()
}

/// CephXRequestHeader (GET_AUTH_SESSION_KEY) + CephXAuthenticate v3.
pub fn authenticate(
    client_challenge: u64,
    key: u64,
    old_ticket: &TicketBlob,
    other_keys: u32,
) -> Vec<u8> {
    let a = Authenticate {
        v: Sp::new(3),
        client_challenge: Sp::new(client_challenge),
        key: Sp::new(key),
        old_ticket: old_ticket.clone(),
        other_keys: Sp::new(other_keys),
    };
    Body::Authenticate(Sp::new(CEPHX_GET_AUTH_SESSION_KEY), a).to_bytes()
}

/// A mon's AUTH_DONE payload for GET_AUTH_SESSION_KEY: header, the
/// auth ticket reply, and for nautilus+ clients the encrypted connection
/// secret and the extra tickets (each item empty when there are none).
pub fn mon_done(
    status: i32,
    tickets: &[ServiceTicket],
    nautilus: Option<(&[u8], &[ServiceTicket])>,
) -> Vec<u8> {
    let r = MonReply {
        request_type: Sp::new(CEPHX_GET_AUTH_SESSION_KEY),
        status: Sp::new(status),
        tickets: TicketReply::new(tickets.to_vec()),
        nautilus: nautilus.map(|(secret, extra)| Nautilus {
            secret: (!secret.is_empty()).then(|| Sp::new(secret.to_vec())),
            extra: (!extra.is_empty()).then(|| TicketReply::new(extra.to_vec())),
            ..Nautilus::default()
        }),
        ..MonReply::default()
    };
    Body::MonReply(r).to_bytes()
}

/// A service's AUTH_DONE payload: bl of the encrypted CephXAuthorizeReply.
pub fn authorize_reply(ciphertext: &[u8]) -> Vec<u8> {
    Body::AuthorizeReply(Sp::new(ciphertext.to_vec())).to_bytes()
}
