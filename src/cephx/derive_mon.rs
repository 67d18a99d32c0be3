//! cephx inside a monitor session the keyring opened: after the
//! handshake, MonClient asks for more in MAuth messages and the monitor
//! answers in MAuthReply (mon/MonClient.cc _check_auth_rotating,
//! _check_auth_tickets; auth/cephx/CephxServiceHandler.cc handle_request;
//! auth/cephx/CephxClientHandler.cc handle_response):
//!
//! - GET_ROTATING_KEY (a daemon: osd, mds, mgr): the service's rotating
//!   secrets, encrypted with the daemon's own key (CephxKeyServer.cc
//!   get_rotating_encrypted). They join the table by (service,
//!   secret_id) and open the ticket blob of every client of that service;
//! - GET_PRINCIPAL_SESSION_KEY (renewal): new service tickets encrypted
//!   with the AUTH session key, as in the AUTH_DONE's extra tickets.

use super::derive::{open_tickets, service_name, why, CephxConn, KnownRotating, TicketTable};
use super::keyring::Keyring;
use super::rotating::*;
use super::structs::*;
use crate::decode::auth::CEPHX_GET_AUTH_SESSION_KEY as GET_AUTH_SESSION_KEY;
use crate::decode::cephx_tickets::{ServiceTicket, TicketReply};
use crate::model::{FieldNode, Value};

impl CephxConn {
    /// Read a message of the connection (its type and front); returns the
    /// decrypted structures it carries, as field nodes.
    pub fn observe_message(
        &mut self,
        msg_type: u16,
        front: &[u8],
        keyring: &Keyring,
        table: &mut TicketTable,
        label: &str,
    ) -> Vec<FieldNode> {
        if msg_type == MSG_AUTH {
            // msgr1's first MAuth names the entity (msgr2 names it in
            // AUTH_REQUEST).
            if self.entity.is_none() {
                if let Ok((_, (0, payload))) = mauth(front) {
                    if let Ok((_, (ty, id))) = hello(payload) {
                        let name = crate::decode::auth::entity_type_name(u64::from(ty))
                            .unwrap_or("unknown");
                        self.entity = Some(format!("{name}.{}", String::from_utf8_lossy(id)));
                        self.entity_type = Some(ty);
                    }
                }
            }
            return Vec::new();
        }
        if msg_type != MSG_AUTH_REPLY {
            return Vec::new();
        }
        let (Some(entity), Some(ety)) = (self.entity.clone(), self.entity_type) else {
            return Vec::new();
        };
        let Ok((_, (protocol, result, bl))) = mauth_reply(front) else {
            return Vec::new();
        };
        let Ok((rest, (request, status))) = response_header(bl) else {
            return Vec::new();
        };
        if protocol != AUTH_CEPHX || result != 0 || status != 0 {
            return Vec::new();
        }
        match request {
            // msgr1: the session key is granted in an MAuthReply.
            GET_AUTH_SESSION_KEY if self.derived.session_key.is_none() => {
                let notes = std::cell::RefCell::new(Vec::new());
                let mut reply = crate::decode::auth::MonReply::default();
                let _ = reply.parse(crate::decode::grammar::input(bl, 0, &notes));
                self.mon_done(&reply, keyring, table, (label, "MAuthReply"))
            }
            GET_ROTATING_KEY => rotating(&entity, ety, rest, keyring, table, label),
            GET_PRINCIPAL_SESSION_KEY => {
                let Some(auth_key) = self.derived.session_key.clone() else {
                    return Vec::new();
                };
                let notes = std::cell::RefCell::new(Vec::new());
                let mut reply = TicketReply::default();
                // A reply cut short still gives the tickets read whole.
                let _ = reply.parse(crate::decode::grammar::input(rest, 0, &notes));
                let tickets: Vec<&ServiceTicket> =
                    reply.tickets.iter().filter(|t| t.done()).collect();
                let sk_from = format!("{entity}'s AUTH session key");
                // msgr1 asks for its first service tickets the same way.
                let what = if self.derived.origin.ends_with("MAuthReply") {
                    "MAuthReply"
                } else {
                    "renewal"
                };
                let from = format!("keyring {entity}, {label}, {what}");
                let mut out = open_tickets(&tickets, &auth_key, &sk_from, &from, table);
                for n in &mut out {
                    n.children.insert(
                        1,
                        FieldNode::new(
                            &DEC_REQUEST,
                            Value::Str("get_principal_session_key".into()),
                            None,
                        ),
                    );
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// The payload of msgr1's first MAuth (protocol 0; MonClient.cc
/// `MonConnection::start`, read by AuthMonitor.cc `prep_auth`): u8
/// struct_v, the supported protocols (le32 count, le32 each), EntityName
/// (le32 type, string id), le64 global_id. Returns the entity.
fn hello(i: &[u8]) -> nom::IResult<&[u8], (u32, &[u8])> {
    use nom::number::complete::{le_u32, le_u64, le_u8};
    let (i, _v) = le_u8(i)?;
    let (i, n) = le_u32(i)?;
    // Every count is checked against the bytes left.
    let (i, _) = nom::bytes::complete::take((n as usize).saturating_mul(4))(i)?;
    let (i, ty) = le_u32(i)?;
    let (i, id) = string(i)?;
    let (i, _gid) = le_u64(i)?;
    Ok((i, (ty, id)))
}

/// A GET_ROTATING_KEY reply's secrets, opened with `entity`'s own key.
fn rotating(
    entity: &str,
    service: u32,
    rest: &[u8],
    keyring: &Keyring,
    table: &mut TicketTable,
    label: &str,
) -> Vec<FieldNode> {
    let Some(entry) = keyring.get(entity) else {
        return Vec::new();
    };
    let from = format!("keyring {entity}");
    let Ok((_, ct)) = string(rest) else {
        return vec![failed("RotatingSecrets", &from, "cut short")];
    };
    let secrets = match entry.key.open(ct) {
        Ok(pt) => match RotatingSecrets::parse(&pt) {
            Ok((_, s)) => s,
            Err(_) => return vec![failed("RotatingSecrets", &from, "cut short")],
        },
        Err(e) => {
            let w = why(&e, "RotatingSecrets");
            return vec![failed("RotatingSecrets", &from, &w)];
        }
    };
    let svc = service_name(service);
    let mut kids = vec![
        FieldNode::new(&DEC_REQUEST, Value::Str("get_rotating_key".into()), None),
        FieldNode::new(&DEC_SERVICE, Value::Str(svc), None),
    ];
    for s in secrets.secrets {
        let mut n = FieldNode::new(&DEC_SECRET_ID, Value::Uint(s.secret_id), None);
        n.children.push(FieldNode::new(
            &DEC_ROTATING_KEY,
            Value::Bytes(s.key.secret.clone()),
            None,
        ));
        n.children.push(FieldNode::new(
            &DEC_EXPIRES,
            Value::Str(format!("{}.{:09}", s.expires.0, s.expires.1)),
            None,
        ));
        kids.push(n);
        table.add_rotating(KnownRotating {
            service_id: service,
            secret_id: s.secret_id,
            key: s.key,
            from: format!("keyring {entity}, {label}"),
        });
    }
    vec![group("RotatingSecrets", &from, kids)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::hello;

    /// MonClient's first MAuth payload: struct_v 1, protocols {1, 2},
    /// EntityName client.admin, global_id 0.
    fn payload() -> Vec<u8> {
        let mut v = vec![1u8];
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&8u32.to_le_bytes());
        v.extend_from_slice(&5u32.to_le_bytes());
        v.extend_from_slice(b"admin");
        v.extend_from_slice(&0u64.to_le_bytes());
        v
    }

    #[test]
    fn the_entity_is_read_and_every_cut_fails() {
        let p = payload();
        assert_eq!(hello(&p).unwrap().1, (8, &b"admin"[..]));
        for n in 0..p.len() {
            assert!(hello(&p[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn a_count_past_the_bytes_is_refused_without_allocating() {
        let mut p = payload();
        p[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(hello(&p).is_err());
    }
}
