//! From a keyring to msgr2 connection secrets, following cephx through the
//! capture's auth frames (CEPHX.md; CephxClientHandler.cc handle_response,
//! CephxProtocol.cc cephx_build_service_ticket_reply, build_authorizer,
//! cephx_verify_authorizer, CephXAuthorizer::verify_reply):
//!
//! - client <-> mon: the AUTH_REQUEST names the entity whose keyring key
//!   opens the AUTH_DONE's CephXServiceTicket (the AUTH session key); that
//!   key opens the connection secret and the other services' tickets,
//!   which join the capture's [`TicketTable`];
//! - client <-> service: the authorizer's ticket blob picks the service
//!   session key from the table (or a known key opens its CephXAuthorize);
//!   that key opens the AUTH_DONE's CephXAuthorizeReply: the secret.
//!
//! Typed values of the control frames are read; nothing is re-parsed.

use super::crypto::{CryptError, CryptoKey};
use super::keyring::Keyring;
use super::structs::*;
use crate::decode::auth::{entity_type_name, Body, ServiceTicket, Ticket, AUTHORIZE_CHALLENGE};
use crate::decode::control::Control;
use crate::model::FieldNode;

/// CEPH_ENTITY_TYPE_AUTH: the mon's auth service ticket.
const SERVICE_AUTH: u32 = 0x20;
/// Service tickets remembered for a capture.
pub const MAX_TICKETS: usize = 4096;

/// A service ticket a client was granted in the capture.
#[derive(Debug, Clone)]
pub struct KnownTicket {
    /// CEPH_ENTITY_TYPE_* of the service.
    pub service_id: u32,
    /// The rotating secret id of its blob.
    pub secret_id: u64,
    /// The opaque ticket blob (what the authorizer presents).
    pub blob: Vec<u8>,
    /// The service session key.
    pub session_key: CryptoKey,
    /// How it was obtained (`keyring client.admin, tcp.stream 0`).
    pub from: String,
}

/// A rotating service secret a daemon was sent in the capture.
#[derive(Debug, Clone)]
pub struct KnownRotating {
    /// CEPH_ENTITY_TYPE_* of the service.
    pub service_id: u32,
    /// Its secret_id.
    pub secret_id: u64,
    /// The secret: it encrypts the service's ticket blobs.
    pub key: CryptoKey,
    /// How it was obtained (`keyring osd.0, tcp.stream 4`).
    pub from: String,
}

/// Service tickets and rotating secrets of the whole capture, in the order
/// granted.
#[derive(Debug, Clone, Default)]
pub struct TicketTable {
    /// The tickets.
    pub tickets: Vec<KnownTicket>,
    /// The rotating secrets.
    pub rotating: Vec<KnownRotating>,
}

/// CEPH_ENTITY_TYPE_MON.
const SERVICE_MON: u32 = 0x01;
/// The secret_id of a monitor's ticket to another monitor (Monitor.cc
/// `get_authorizer`: `build_session_auth_info(..., secret, (uint64_t)-1,
/// ...)`, the blob encrypted with the `mon.` key, not a rotating secret).
pub const MON_SECRET_ID: u64 = u64::MAX;

impl TicketTable {
    /// The table a keyring starts with: its `mon.` key opens the ticket
    /// blobs monitors present to each other (mon <-> mon), as the
    /// accepting monitor's KeyServer finds it for secret_id -1.
    pub fn from_keyring(keyring: &Keyring) -> TicketTable {
        let mut t = TicketTable::default();
        if let Some(e) = keyring.get("mon.").filter(|e| e.key.aes_secret().is_ok()) {
            t.add_rotating(KnownRotating {
                service_id: SERVICE_MON,
                secret_id: MON_SECRET_ID,
                key: e.key.clone(),
                from: "keyring mon.".into(),
            });
        }
        t
    }

    pub(super) fn add(&mut self, t: KnownTicket) {
        if self.tickets.len() < MAX_TICKETS {
            self.tickets.push(t);
        }
    }

    pub(super) fn add_rotating(&mut self, r: KnownRotating) {
        let known = self
            .rotating
            .iter()
            .any(|k| k.service_id == r.service_id && k.secret_id == r.secret_id && k.key == r.key);
        if !known && self.rotating.len() < MAX_TICKETS {
            self.rotating.push(r);
        }
    }
}

/// What the derivation concluded for one connection.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// The key that signs AUTH_SIGNATURE (the AUTH or service session key).
    pub session_key: Option<CryptoKey>,
    /// The 64-byte connection secret.
    pub secret: Option<Vec<u8>>,
    /// Where the secret came from, for reports.
    pub origin: String,
    /// Why no secret was derived.
    pub failure: Option<String>,
}

/// One connection's cephx state.
#[derive(Debug, Clone, Default)]
pub struct CephxConn {
    /// Mon-mode AUTH_REQUEST's entity (`client.admin`) and its type.
    pub(super) entity: Option<String>,
    pub(super) entity_type: Option<u32>,
    /// The authorizer's service and ticket, when one was presented.
    service: Option<(u32, u64)>,
    /// The result so far.
    pub derived: Derived,
}

pub(super) fn service_name(id: u32) -> String {
    entity_type_name(u64::from(id)).map_or_else(|| format!("service {id}"), str::to_string)
}

pub(super) fn why(e: &CryptError, what: &str) -> String {
    match e {
        CryptError::BadMagic(_) | CryptError::Padding => {
            format!("{what} does not open: {e} (wrong key)")
        }
        _ => format!("{what} does not open: {e}"),
    }
}

impl CephxConn {
    /// Read one control frame of the connection; returns the decrypted
    /// structures it carries, as field nodes. `label` names the
    /// connection for reports (`tcp.stream 3`).
    pub fn observe(
        &mut self,
        c: &Control,
        keyring: &Keyring,
        table: &mut TicketTable,
        label: &str,
    ) -> Vec<FieldNode> {
        match c {
            Control::AuthRequest(r) => self.request(&r.auth_payload.body.body, table),
            Control::AuthRequestMore(r) => self.request(&r.auth_payload.body.body, table),
            Control::AuthReplyMore(r) => self.challenge(&r.auth_payload.body.body),
            Control::AuthDone(d) => self.done(&d.auth_payload.body.body, keyring, table, label),
            _ => Vec::new(),
        }
    }

    fn request(&mut self, body: &Body, table: &TicketTable) -> Vec<FieldNode> {
        match body {
            Body::Named(x) => {
                let ty = entity_type_name(u64::from(x.name.entity_type.v)).unwrap_or("unknown");
                self.entity = Some(format!("{ty}.{}", x.name.id.v));
                self.entity_type = Some(x.name.entity_type.v);
                Vec::new()
            }
            Body::Authorizer(_, a) => self.authorizer(a, table),
            _ => Vec::new(),
        }
    }

    /// An authorizer presented to a service (msgr2's AUTH_REQUEST, msgr1's
    /// `ceph_msg_connect`): its session key, and the CephXAuthorize it opens.
    pub fn authorizer(
        &mut self,
        a: &crate::decode::cephx::Authorizer,
        table: &TicketTable,
    ) -> Vec<FieldNode> {
        let service = a.service_id.v;
        let secret_id = a.ticket.secret_id.v;
        self.service = Some((service, secret_id));
        let Some(found) = authorizer_key(a, service, table) else {
            self.derived.session_key = None;
            self.derived.failure = Some(format!(
                "ticket for {} (secret_id {secret_id}) obtained before the capture or from a key not given; give the key file, or the key of a {0} daemon whose GET_ROTATING_KEY reply is in the capture (its rotating secrets)",
                service_name(service),
            ));
            return Vec::new();
        };
        self.derived.session_key = Some(found.key.clone());
        self.derived.origin = found.origin;
        let mut out = found.nodes;
        let r = found.key.open(&a.authorize.v);
        out.push(
            match r.map(|pt| AuthorizePlain::parse(&pt).map(|(_, a)| a).ok()) {
                Ok(Some(az)) => {
                    let mut k = vec![FieldNode::new(
                        &DEC_NONCE,
                        crate::model::Value::Uint(az.nonce),
                        None,
                    )];
                    if let Some((have, plus)) = az.challenge {
                        k.push(FieldNode::new(
                            &DEC_HAVE_CHALLENGE,
                            crate::model::Value::Bool(have),
                            None,
                        ));
                        k.push(FieldNode::new(
                            &DEC_CHALLENGE,
                            crate::model::Value::Uint(plus),
                            None,
                        ));
                    }
                    group("CephXAuthorize", &found.from, k)
                }
                Ok(None) => failed("CephXAuthorize", &found.from, "cut short"),
                Err(e) => failed("CephXAuthorize", &found.from, &why(&e, "CephXAuthorize")),
            },
        );
        out
    }

    fn challenge(&mut self, body: &Body) -> Vec<FieldNode> {
        let (Body::Bytes(def, ct), Some(key)) = (body, &self.derived.session_key) else {
            return Vec::new();
        };
        if !std::ptr::eq(*def, &AUTHORIZE_CHALLENGE) {
            return Vec::new();
        }
        let from = self.derived.origin.clone();
        // CephxProtocol.cc cephx_verify_authorizer: encode_encrypt_enc_bl,
        // no length before the ciphertext.
        vec![match key
            .open(&ct.v)
            .map(|pt| authorize_challenge(&pt).map(|(_, c)| c).ok())
        {
            Ok(Some(ch)) => group(
                "CephXAuthorizeChallenge",
                &from,
                vec![FieldNode::new(
                    &DEC_CHALLENGE,
                    crate::model::Value::Uint(ch),
                    None,
                )],
            ),
            Ok(None) => failed("CephXAuthorizeChallenge", &from, "cut short"),
            Err(e) => failed("CephXAuthorizeChallenge", &from, &why(&e, "the challenge")),
        }]
    }

    fn done(
        &mut self,
        body: &Body,
        keyring: &Keyring,
        table: &mut TicketTable,
        label: &str,
    ) -> Vec<FieldNode> {
        match body {
            Body::MonReply(r) => self.mon_done(r, keyring, table, (label, "AUTH_DONE")),
            Body::AuthorizeReply(ct) => {
                let Some(key) = self.derived.session_key.clone() else {
                    return Vec::new();
                };
                let from = self.derived.origin.clone();
                match key
                    .open(&ct.v)
                    .map(|pt| AuthorizeReplyPlain::parse(&pt).map(|(_, r)| r).ok())
                {
                    Ok(Some(r)) => {
                        let mut k = vec![FieldNode::new(
                            &DEC_NONCE_PLUS_ONE,
                            crate::model::Value::Uint(r.nonce_plus_one),
                            None,
                        )];
                        match &r.secret {
                            Some(s) => {
                                k.push(secret_node(s));
                                self.derived.secret = Some(s.clone());
                            }
                            None => {
                                self.derived.failure = Some(
                                    "CephXAuthorizeReply v1 carries no connection secret".into(),
                                );
                            }
                        }
                        vec![group("CephXAuthorizeReply", &from, k)]
                    }
                    Ok(None) => vec![failed("CephXAuthorizeReply", &from, "cut short")],
                    Err(e) => {
                        let w = why(&e, "CephXAuthorizeReply");
                        self.derived.failure = Some(w.clone());
                        vec![failed("CephXAuthorizeReply", &from, &w)]
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    /// A mon's reply granting the AUTH ticket (`via`: the AUTH_DONE of
    /// msgr2, or msgr1's MAuthReply, which needs no connection secret).
    pub(super) fn mon_done(
        &mut self,
        r: &crate::decode::auth::MonReply,
        keyring: &Keyring,
        table: &mut TicketTable,
        (label, via): (&str, &str),
    ) -> Vec<FieldNode> {
        let msgr1 = via != "AUTH_DONE";
        let mut out = Vec::new();
        let Some(entity) = self.entity.clone() else {
            self.derived.failure = Some("no AUTH_REQUEST naming the entity".into());
            return out;
        };
        let Some(entry) = keyring.get(&entity) else {
            self.derived.failure = Some(format!("{entity} is not in the keyring"));
            return out;
        };
        let from = format!("keyring {entity}");
        if let Err(e) = entry.key.aes_secret() {
            self.derived.failure = Some(format!("keyring {entity}: {e}"));
            return out;
        }
        // CephxClientHandler.cc handle_response: the AUTH ticket is opened
        // with the entity's own secret.
        let mut auth_key = None;
        for t in &r.tickets.tickets {
            let svc = service_name(t.service_id.v);
            match entry
                .key
                .open(&t.session.v)
                .map(|pt| ServiceTicketPlain::parse(&pt).map(|(_, s)| s).ok())
            {
                Ok(Some(st)) => {
                    out.push(group(
                        "CephXServiceTicket",
                        &from,
                        ticket_nodes(&svc, &st, blob_id(t)),
                    ));
                    if t.service_id.v == SERVICE_AUTH {
                        auth_key = Some(st.session_key.clone());
                    }
                }
                Ok(None) => out.push(failed("CephXServiceTicket", &from, "cut short")),
                Err(e) => {
                    let w = format!(
                        "keyring {entity}: {}",
                        why(&e, &format!("the {svc} service ticket"))
                    );
                    self.derived.failure = Some(w.clone());
                    out.push(failed("CephXServiceTicket", &from, &w));
                }
            }
        }
        let Some(auth_key) = auth_key else {
            if self.derived.failure.is_none() {
                self.derived.failure = Some("the AUTH_DONE grants no auth session key".into());
            }
            return out;
        };
        self.derived.session_key = Some(auth_key.clone());
        self.derived.origin = format!("keyring {entity}: {via}");
        let sk_from = format!("{entity}'s AUTH session key");
        let Some(x) = &r.nautilus else {
            if !msgr1 {
                self.derived.failure = Some("the AUTH_DONE carries no connection secret".into());
            }
            return out;
        };
        match &x.secret {
            // msgr1 asks for no connection secret: an empty one.
            Some(ct) if msgr1 && ct.v.is_empty() => {}
            Some(ct) => match auth_key
                .open(&ct.v)
                .map(|pt| string(&pt).map(|(_, s)| s.to_vec()).ok())
            {
                Ok(Some(s)) => {
                    out.push(group("connection secret", &sk_from, vec![secret_node(&s)]));
                    self.derived.secret = Some(s);
                }
                Ok(None) => out.push(failed("connection secret", &sk_from, "cut short")),
                Err(e) => {
                    let w = why(&e, "the connection secret");
                    self.derived.failure = Some(w.clone());
                    out.push(failed("connection secret", &sk_from, &w));
                }
            },
            None if msgr1 => {}
            None => {
                self.derived.failure = Some("the AUTH_DONE carries no connection secret".into())
            }
        }
        // The other services' tickets, opened with the AUTH session key.
        let tickets: Vec<&ServiceTicket> = x.extra.iter().flat_map(|e| e.tickets.iter()).collect();
        let from = format!("keyring {entity}, {label}");
        out.extend(open_tickets(&tickets, &auth_key, &sk_from, &from, table));
        out
    }
}

/// Service tickets encrypted with an AUTH session key: their nodes; the
/// ones opened join the table, obtained `from`.
pub(super) fn open_tickets(
    tickets: &[&ServiceTicket],
    auth_key: &CryptoKey,
    sk_from: &str,
    from: &str,
    table: &mut TicketTable,
) -> Vec<FieldNode> {
    let mut out = Vec::new();
    for t in tickets {
        let svc = service_name(t.service_id.v);
        match auth_key
            .open(&t.session.v)
            .map(|pt| ServiceTicketPlain::parse(&pt).map(|(_, s)| s).ok())
        {
            Ok(Some(st)) => {
                out.push(group(
                    "CephXServiceTicket",
                    sk_from,
                    ticket_nodes(&svc, &st, blob_id(t)),
                ));
                if let Ticket::Plain(p) = &t.ticket {
                    table.add(KnownTicket {
                        service_id: t.service_id.v,
                        secret_id: p.blob.secret_id.v,
                        blob: p.blob.blob.v.clone(),
                        session_key: st.session_key,
                        from: from.to_string(),
                    });
                }
            }
            Ok(None) => out.push(failed("CephXServiceTicket", sk_from, "cut short")),
            Err(e) => out.push(failed(
                "CephXServiceTicket",
                sk_from,
                &why(&e, &format!("the {svc} ticket")),
            )),
        }
    }
    out
}

/// The session key an authorizer was built with, where it came from, and
/// the structures opened to find it.
struct Found {
    key: CryptoKey,
    origin: String,
    from: String,
    nodes: Vec<FieldNode>,
}

/// The authorizer's session key: the ticket blob granted earlier in the
/// capture; else any known session key that opens the CephXAuthorize;
/// else the service's rotating secret the blob names, which opens the
/// blob's CephXServiceTicketInfo (CephxProtocol.cc
/// cephx_verify_authorizer: decode_decrypt_enc_bl with the service secret).
fn authorizer_key(
    a: &crate::decode::cephx::Authorizer,
    service: u32,
    table: &TicketTable,
) -> Option<Found> {
    let svc = service_name(service);
    let by_blob = table
        .tickets
        .iter()
        .rev()
        .find(|t| t.service_id == service && t.blob == a.ticket.blob.v)
        .or_else(|| {
            table
                .tickets
                .iter()
                .rev()
                .find(|t| t.session_key.open(&a.authorize.v).is_ok())
        });
    if let Some(t) = by_blob {
        return Some(Found {
            key: t.session_key.clone(),
            origin: format!("{}: {svc} ticket", t.from),
            from: format!("{svc} session key ({})", t.from),
            nodes: Vec::new(),
        });
    }
    let secret_id = a.ticket.secret_id.v;
    table
        .rotating
        .iter()
        .rev()
        .filter(|r| r.service_id == service && r.secret_id == secret_id)
        .find_map(|r| {
            let pt = r.key.open(&a.ticket.blob.v).ok()?;
            let (_, info) = super::rotating::ServiceTicketInfo::parse(&pt).ok()?;
            let rot = if secret_id == MON_SECRET_ID && service == SERVICE_MON {
                "the mon. key (mon <-> mon)".to_string()
            } else {
                format!("rotating secret {svc} #{secret_id}")
            };
            let holder = format!(
                "{}.{}",
                entity_type_name(u64::from(info.name.0)).unwrap_or("unknown"),
                info.name.1
            );
            let node = group(
                "CephXServiceTicketInfo",
                &format!("{rot} ({})", r.from),
                vec![
                    FieldNode::new(&DEC_SERVICE, crate::model::Value::Str(svc.clone()), None),
                    FieldNode::new(&DEC_SECRET_ID, crate::model::Value::Uint(secret_id), None),
                    FieldNode::new(&DEC_HOLDER, crate::model::Value::Str(holder), None),
                    FieldNode::new(
                        &DEC_GLOBAL_ID,
                        crate::model::Value::Uint(info.global_id),
                        None,
                    ),
                    FieldNode::new(
                        &DEC_SESSION_KEY,
                        crate::model::Value::Bytes(info.session_key.secret.clone()),
                        None,
                    ),
                ],
            );
            Some(Found {
                key: info.session_key,
                origin: format!("{}: {rot}", r.from),
                from: format!("{svc} session key ({rot})"),
                nodes: vec![node],
            })
        })
}

fn blob_id(t: &ServiceTicket) -> Option<u64> {
    match &t.ticket {
        Ticket::Plain(p) => Some(p.blob.secret_id.v),
        Ticket::Encrypted(_) => None,
    }
}
