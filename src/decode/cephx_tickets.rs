//! The mon's service tickets (CephxProtocol.cc
//! cephx_build_service_ticket_reply, CephxServiceHandler.cc
//! handle_request; read by CephXTicketManager::verify_service_ticket_reply
//! and CephxClientHandler::handle_response), as typed values: parse,
//! encode and field nodes side by side. Layouts in `cephx.rs`.

use super::addr::put_bl;
use super::auth::*;
use super::cephx::{bl, bytes_leaf, rest_of, TicketBlob};
use super::grammar::prim::{bool_, count, i32_, le16, le32, length, u8_};
use super::grammar::view::Nodes;
use super::grammar::{note, In, Note, NoteKind, PResult, Sp};
use super::text::list_text;
use crate::model::{FieldDef, Value};
use nom::Input;

/// A le32 length (field `def`) and the bytes it counts, as their own
/// input.
fn region<'a>(def: &'static FieldDef, i: In<'a>) -> PResult<'a, (Sp<u32>, In<'a>)> {
    let (i, n) = length(def)(i)?;
    let want = usize::try_from(n.v)
        .unwrap_or(usize::MAX)
        .min(i.input_len());
    let (rest, inner) = i.take_split(want);
    Ok((rest, (n, inner)))
}

/// Bytes of a length-prefixed item that its structure left unread: Ceph
/// decodes the structure from the item and never looks at them (a note).
fn leftover(def: &'static FieldDef, i: In<'_>) -> Sp<Vec<u8>> {
    let (_, b) = rest_of(i);
    if b.len > 0 {
        note(
            &i,
            Note {
                kind: NoteKind::Trailing,
                offset: b.at,
                len: b.len,
                field: def.abbrev,
                expected: format!("end of the item {} counts", def.abbrev),
                found: format!("{} more bytes", b.len),
            },
        );
    }
    b
}

/// The ticket part of a service ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ticket {
    /// Encrypted with the old session key: a bl of ciphertext.
    Encrypted(Sp<Vec<u8>>),
    /// In the clear: a bl holding a CephXTicketBlob.
    Plain(PlainTicket),
}

impl Default for Ticket {
    fn default() -> Self {
        Ticket::Plain(PlainTicket::default())
    }
}

/// A ticket in the clear: le32 length, the CephXTicketBlob, and what the
/// length counts past it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainTicket {
    /// Length of the item.
    pub len: Sp<u32>,
    /// The ticket.
    pub blob: TicketBlob,
    /// Bytes of the item past the ticket.
    pub trailing: Sp<Vec<u8>>,
}

impl Ticket {
    /// A ticket in the clear.
    pub fn plain(blob: TicketBlob) -> Self {
        Ticket::Plain(PlainTicket {
            blob,
            ..PlainTicket::default()
        })
    }

    /// An encrypted ticket.
    pub fn encrypted(ciphertext: Vec<u8>) -> Self {
        Ticket::Encrypted(Sp::new(ciphertext))
    }
}

/// Least bytes of one service ticket: service_id, v, two empty bls and
/// ticket_enc.
const SERVICE_TICKET_MIN: usize = 14;

/// One entry of a service ticket reply (CephxProtocol.cc
/// cephx_build_service_ticket_reply; CephXTicketHandler::verify_service_ticket_reply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceTicket {
    /// CEPH_ENTITY_TYPE_* of the service.
    pub service_id: Sp<u32>,
    /// struct_v of the entry.
    pub v: Sp<u8>,
    /// CephXServiceTicket, encrypted (its span covers its length).
    pub session: Sp<Vec<u8>>,
    /// Whether the ticket is encrypted.
    pub ticket_enc: Sp<bool>,
    /// The ticket.
    pub ticket: Ticket,
}

impl ServiceTicket {
    /// An entry by value (struct_v 1).
    pub fn new(service_id: u32, session: Vec<u8>, ticket: Ticket) -> Self {
        ServiceTicket {
            service_id: Sp::new(service_id),
            v: Sp::new(1),
            session: Sp::new(session),
            ticket_enc: Sp::new(matches!(ticket, Ticket::Encrypted(_))),
            ticket,
        }
    }

    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, s) = le32(&SERVICE_ID)(i)?;
        self.service_id = s;
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.v = v;
        let (i, s) = bl(&SESSION)(i)?;
        self.session = s;
        let (i, e) = bool_(&TICKET_ENC)(i)?;
        self.ticket_enc = e;
        if self.ticket_enc.v {
            let (i, t) = bl(&ENC_TICKET)(i)?;
            self.ticket = Ticket::Encrypted(t);
            return Ok((i, ()));
        }
        let mut p = PlainTicket::default();
        let res = region(&TICKET_LEN, i).and_then(|(rest, (n, inner))| {
            p.len = n;
            let (inner, ()) = p.blob.parse(inner)?;
            p.trailing = leftover(&TICKET_LEN, inner);
            Ok((rest, ()))
        });
        self.ticket = Ticket::Plain(p);
        res
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.service_id.v.to_le_bytes());
        out.push(self.v.v);
        put_bl(out, &self.session.v);
        match &self.ticket {
            Ticket::Encrypted(ct) => {
                out.push(1);
                put_bl(out, &ct.v);
            }
            Ticket::Plain(p) => {
                out.push(0);
                let mut inner = Vec::new();
                p.blob.encode(&mut inner);
                inner.extend_from_slice(&p.trailing.v);
                put_bl(out, &inner);
            }
        }
    }

    /// Every field decoded.
    pub fn done(&self) -> bool {
        match &self.ticket {
            Ticket::Encrypted(t) => t.len > 0,
            Ticket::Plain(p) => p.blob.done(),
        }
    }

    /// A `ceph.cephx.service_ticket` group, named by its service.
    pub fn nodes(&self, n: &mut Nodes) {
        n.wrap(&SERVICE_TICKET, Value::None, |n| {
            n.opt_enum(&SERVICE_ID, &self.service_id, entity_type_name)
                .opt_uint(&STRUCT_V, &self.v);
            bytes_leaf(n, &SESSION, &self.session);
            let e = &self.ticket_enc;
            n.opt_leaf(&TICKET_ENC, Value::Bool(e.v), e);
            match &self.ticket {
                Ticket::Encrypted(t) => bytes_leaf(n, &ENC_TICKET, t),
                Ticket::Plain(p) => {
                    n.opt_uint(&TICKET_LEN, &p.len);
                    p.blob.nodes(n);
                    bytes_leaf(n, &crate::model::tree::TRAILING, &p.trailing);
                }
            }
        });
        if self.done() {
            let v = self.service_id.v;
            n.summary(
                entity_type_name(u64::from(v))
                    .map_or_else(|| format!("service {v}"), str::to_string),
            );
        }
    }
}

/// A service ticket reply: u8 v, le32 n, n x service ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketReply {
    /// struct_v.
    pub v: Sp<u8>,
    /// Number of tickets.
    pub count: Sp<u32>,
    /// The tickets.
    pub tickets: Vec<ServiceTicket>,
}

impl TicketReply {
    /// A reply of `tickets` (struct_v 1).
    pub fn new(tickets: Vec<ServiceTicket>) -> Self {
        TicketReply {
            v: Sp::new(1),
            count: Sp::new(u32::try_from(tickets.len()).unwrap_or(u32::MAX)),
            tickets,
        }
    }

    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.v = v;
        // CephXTicketManager::verify_service_ticket_reply decodes `num`
        // entries: a count the bytes cannot hold runs out of buffer.
        let (mut i, n) = count(&TICKET_COUNT, SERVICE_TICKET_MIN)(i)?;
        self.count = n;
        for _ in 0..self.count.v {
            self.tickets.push(ServiceTicket::default());
            let Some(t) = self.tickets.last_mut() else {
                break;
            };
            i = t.parse(i)?.0;
        }
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.v.v);
        let n = u32::try_from(self.tickets.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_le_bytes());
        for t in &self.tickets {
            t.encode(out);
        }
    }

    /// Every field decoded.
    pub fn done(&self) -> bool {
        self.count.len > 0
            && self.tickets.len() == self.count.v as usize
            && self.tickets.last().is_none_or(ServiceTicket::done)
    }

    /// A group of `def`, named by the services.
    pub fn nodes(&self, n: &mut Nodes, def: &'static FieldDef) {
        n.wrap(def, Value::None, |n| {
            n.opt_uint(&STRUCT_V, &self.v)
                .opt_uint(&TICKET_COUNT, &self.count);
            for t in &self.tickets {
                t.nodes(n);
            }
        });
        if self.done() {
            let ids: Vec<u64> = self
                .tickets
                .iter()
                .map(|t| u64::from(t.service_id.v))
                .collect();
            n.summary(format!(
                "{} ticket(s): {}",
                ids.len(),
                list_text(&ids, entity_type_name)
            ));
        }
    }
}

/// What a nautilus+ mon adds to its GET_AUTH_SESSION_KEY reply
/// (CephxServiceHandler.cc handle_request; CephxClientHandler.cc
/// handle_response): the connection secret and the other services'
/// tickets, each in a bl that may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nautilus {
    /// Length of the secret's item.
    pub secret_len: Sp<u32>,
    /// The encrypted secret (a bl inside the item), when the item is not empty.
    pub secret: Option<Sp<Vec<u8>>>,
    /// Bytes of the item past the secret.
    pub secret_trailing: Sp<Vec<u8>>,
    /// Length of the extra tickets' item.
    pub extra_len: Sp<u32>,
    /// The extra tickets, when the item is not empty.
    pub extra: Option<TicketReply>,
    /// Bytes of the item past the tickets.
    pub extra_trailing: Sp<Vec<u8>>,
}

impl Nautilus {
    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, (n, inner)) = region(&CONN_SECRET_LEN, i)?;
        self.secret_len = n;
        if inner.input_len() > 0 {
            let (inner, s) = bl(&CONN_SECRET)(inner)?;
            self.secret = Some(s);
            self.secret_trailing = leftover(&CONN_SECRET_LEN, inner);
        }
        let (i, (n, inner)) = region(&EXTRA_LEN, i)?;
        self.extra_len = n;
        if inner.input_len() > 0 {
            let mut t = TicketReply::default();
            let res = t.parse(inner);
            self.extra = Some(t);
            let (inner, ()) = res?;
            self.extra_trailing = leftover(&EXTRA_LEN, inner);
        }
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut item = Vec::new();
        if let Some(s) = &self.secret {
            put_bl(&mut item, &s.v);
        }
        item.extend_from_slice(&self.secret_trailing.v);
        put_bl(out, &item);
        let mut item = Vec::new();
        if let Some(t) = &self.extra {
            t.encode(&mut item);
        }
        item.extend_from_slice(&self.extra_trailing.v);
        put_bl(out, &item);
    }

    /// Its leaves and groups.
    pub fn nodes(&self, n: &mut Nodes) {
        let trailing = &crate::model::tree::TRAILING;
        n.opt_uint(&CONN_SECRET_LEN, &self.secret_len);
        if let Some(s) = &self.secret {
            bytes_leaf(n, &CONN_SECRET, s);
        }
        bytes_leaf(n, trailing, &self.secret_trailing);
        n.opt_uint(&EXTRA_LEN, &self.extra_len);
        if let Some(t) = &self.extra {
            t.nodes(n, &EXTRA);
        }
        bytes_leaf(n, trailing, &self.extra_trailing);
    }
}

/// A mon's reply to a cephx request (CephxServiceHandler.cc
/// handle_request): CephXResponseHeader, then for a granted session key
/// the service ticket reply (and, nautilus+, [`Nautilus`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonReply {
    /// CEPHX_GET_* request type.
    pub request_type: Sp<u16>,
    /// 0 or -errno.
    pub status: Sp<i32>,
    /// The rest of a reply that grants no tickets, as bytes.
    pub rest: Sp<Vec<u8>>,
    /// The tickets granted.
    pub tickets: TicketReply,
    /// The secret and extra tickets.
    pub nautilus: Option<Nautilus>,
}

impl MonReply {
    /// Whether the reply carries tickets.
    pub fn grants(&self) -> bool {
        self.status.v == 0
            && matches!(
                self.request_type.v,
                CEPHX_GET_AUTH_SESSION_KEY | CEPHX_GET_PRINCIPAL_SESSION_KEY
            )
    }

    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = le16(&REQUEST_TYPE)(i)?;
        self.request_type = t;
        let (i, s) = i32_(&STATUS)(i)?;
        self.status = s;
        if !self.grants() {
            let (i, r) = rest_of(i);
            self.rest = r;
            return Ok((i, ()));
        }
        let (i, ()) = self.tickets.parse(i)?;
        // Nautilus+ clients (other_keys != 0) also get the connection
        // secret and the other services' tickets.
        if self.request_type.v != CEPHX_GET_AUTH_SESSION_KEY || i.input_len() == 0 {
            return Ok((i, ()));
        }
        let mut x = Nautilus::default();
        let res = x.parse(i);
        self.nautilus = Some(x);
        res
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.request_type.v.to_le_bytes());
        out.extend_from_slice(&self.status.v.to_le_bytes());
        if !self.grants() {
            out.extend_from_slice(&self.rest.v);
            return;
        }
        self.tickets.encode(out);
        if let Some(x) = &self.nautilus {
            x.encode(out);
        }
    }

    /// Its leaves and groups.
    pub fn nodes(&self, n: &mut Nodes) {
        n.opt_enum(&REQUEST_TYPE, &self.request_type, cephx_request_name);
        let s = &self.status;
        n.opt_leaf(&STATUS, Value::Int(i64::from(s.v)), s);
        bytes_leaf(n, &PAYLOAD, &self.rest);
        if self.tickets.v.len > 0 {
            self.tickets.nodes(n, &TICKET_REPLY);
        }
        if let Some(x) = &self.nautilus {
            x.nodes(n);
        }
    }
}
