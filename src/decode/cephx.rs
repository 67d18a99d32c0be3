//! The cephx structures that travel in the clear inside AUTH_* payloads
//! (auth/cephx/CephxProtocol.h, CephxProtocol.cc, CephxClientHandler.cc):
//! typed values with their spans, each layout written once (parse,
//! encode, field nodes and text side by side). `auth.rs` holds the field
//! definitions and decides which structure a payload holds.
//!
//! ```text
//! CephXTicketBlob        u8 v | le64 secret_id | bl blob
//! cephx authorizer       le64 global_id | le32 service_id | CephXTicketBlob
//!                        | bl encrypted CephXAuthorize          (after its u8 v)
//! CephXAuthenticate      u8 v | le64 client_challenge | le64 key
//!                        | CephXTicketBlob old_ticket | le32 other_keys (v >= 2)
//! service ticket reply   u8 v | le32 n | n x service ticket
//! service ticket         le32 service_id | u8 v | bl encrypted CephXServiceTicket
//!                        | u8 ticket_enc | bl (ciphertext, or a CephXTicketBlob)
//! mon reply              le16 request_type | le32 status | service ticket reply
//!                        [| bl {bl encrypted secret} | bl {service ticket reply}]
//! ```
//!
//! Ceph reads the struct_v bytes here without checking them, and what it
//! decrypts stays bytes. A length that runs past its buffer throws
//! `end_of_buffer` (include/buffer.h), blamed at the length. The mon's
//! ticket replies are in `cephx_tickets.rs`.

use super::addr::put_bl;
use super::auth::*;
use super::grammar::prim::{le32, le64, lenbytes, u8_};
use super::grammar::view::Nodes;
use super::grammar::{offset, In, PResult, Sp};
use crate::model::{FieldDef, Value};
use nom::Input;

/// A bufferlist as one bytes value whose span covers its length too; a
/// length past the buffer is `end_of_buffer` at the length, on `def`.
pub fn bl<'a>(def: &'static FieldDef) -> impl FnMut(In<'a>) -> PResult<'a, Sp<Vec<u8>>> {
    move |i: In<'a>| {
        let at = offset(&i);
        let (rest, (_, b)) = lenbytes(def, def)(i)?;
        let len = offset(&rest).saturating_sub(at);
        Ok((
            rest,
            Sp {
                v: b.v.to_vec(),
                at,
                len,
            },
        ))
    }
}

/// The rest of `i` as one bytes value.
pub fn rest_of(i: In<'_>) -> (In<'_>, Sp<Vec<u8>>) {
    let at = offset(&i);
    let n = i.input_len();
    let (rest, b) = i.take_split(n);
    (
        rest,
        Sp {
            v: b.fragment().to_vec(),
            at,
            len: n,
        },
    )
}

/// A bytes leaf, when parsed.
pub fn bytes_leaf(n: &mut Nodes, def: &'static FieldDef, b: &Sp<Vec<u8>>) {
    n.opt_leaf(def, Value::Bytes(b.v.clone()), b);
}

/// An entity type by name, or its number.
pub fn service_text(v: u32) -> String {
    entity_type_name(u64::from(v)).map_or_else(|| v.to_string(), str::to_string)
}

/// CephXTicketBlob (CephxProtocol.h): a ticket, opaque to its holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketBlob {
    /// struct_v (1).
    pub v: Sp<u8>,
    /// Which rotating service secret encrypts it.
    pub secret_id: Sp<u64>,
    /// The encrypted ticket (its span covers its length).
    pub blob: Sp<Vec<u8>>,
}

impl TicketBlob {
    /// A ticket by value (struct_v 1).
    pub fn new(secret_id: u64, blob: Vec<u8>) -> Self {
        TicketBlob {
            v: Sp::new(1),
            secret_id: Sp::new(secret_id),
            blob: Sp::new(blob),
        }
    }

    /// `CephXTicketBlob::decode`: struct_v, secret_id, blob.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.v = v;
        let (i, s) = le64(&SECRET_ID)(i)?;
        self.secret_id = s;
        let (i, b) = bl(&TICKET_BLOB)(i)?;
        self.blob = b;
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.v.v);
        out.extend_from_slice(&self.secret_id.v.to_le_bytes());
        put_bl(out, &self.blob.v);
    }

    /// Every field decoded.
    pub fn done(&self) -> bool {
        self.blob.len > 0
    }

    /// A `ceph.cephx.ticket` group.
    pub fn nodes(&self, n: &mut Nodes) {
        n.wrap(&TICKET, Value::None, |n| {
            n.opt_uint(&STRUCT_V, &self.v)
                .opt_uint(&SECRET_ID, &self.secret_id);
            bytes_leaf(n, &TICKET_BLOB, &self.blob);
        });
        if self.done() {
            n.summary(format!(
                "secret_id {}, {} bytes",
                self.secret_id.v,
                self.blob.v.len()
            ));
        }
    }
}

/// A cephx authorizer after its first byte (CephxProtocol.cc
/// CephXTicketHandler::build_authorizer; read by cephx_verify_authorizer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorizer {
    /// The client's global id.
    pub global_id: Sp<u64>,
    /// CEPH_ENTITY_TYPE_* of the service.
    pub service_id: Sp<u32>,
    /// The service ticket.
    pub ticket: TicketBlob,
    /// CephXAuthorize, encrypted with the ticket's session key.
    pub authorize: Sp<Vec<u8>>,
}

impl Authorizer {
    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, g) = le64(&GLOBAL_ID)(i)?;
        self.global_id = g;
        let (i, s) = le32(&SERVICE_ID)(i)?;
        self.service_id = s;
        let (i, ()) = self.ticket.parse(i)?;
        let (i, a) = bl(&AUTHORIZE)(i)?;
        self.authorize = a;
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.global_id.v.to_le_bytes());
        out.extend_from_slice(&self.service_id.v.to_le_bytes());
        self.ticket.encode(out);
        put_bl(out, &self.authorize.v);
    }

    /// Its leaves and the ticket's group.
    pub fn nodes(&self, n: &mut Nodes) {
        n.opt_uint(&GLOBAL_ID, &self.global_id).opt_enum(
            &SERVICE_ID,
            &self.service_id,
            entity_type_name,
        );
        self.ticket.nodes(n);
        bytes_leaf(n, &AUTHORIZE, &self.authorize);
    }

    /// `authorizer for osd global_id=4115`.
    pub fn text(&self) -> String {
        format!(
            "authorizer for {} global_id={}",
            service_text(self.service_id.v),
            self.global_id.v
        )
    }
}

/// CephXAuthenticate (CephxProtocol.h): the client's answer to the
/// server challenge; v2 and v3 encode the same fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authenticate {
    /// struct_v.
    pub v: Sp<u8>,
    /// The client's random challenge.
    pub client_challenge: Sp<u64>,
    /// The challenges encrypted with the secret, folded to 64 bits.
    pub key: Sp<u64>,
    /// The ticket the client holds (may be empty).
    pub old_ticket: TicketBlob,
    /// Entity types whose tickets the client wants (v >= 2).
    pub other_keys: Sp<u32>,
}

impl Authenticate {
    /// `CephXAuthenticate::decode`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.v = v;
        let (i, c) = le64(&CLIENT_CHALLENGE)(i)?;
        self.client_challenge = c;
        let (i, k) = le64(&KEY)(i)?;
        self.key = k;
        let (i, ()) = self.old_ticket.parse(i)?;
        if self.v.v < 2 {
            return Ok((i, ()));
        }
        let (i, o) = le32(&OTHER_KEYS)(i)?;
        self.other_keys = o;
        Ok((i, ()))
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.v.v);
        out.extend_from_slice(&self.client_challenge.v.to_le_bytes());
        out.extend_from_slice(&self.key.v.to_le_bytes());
        self.old_ticket.encode(out);
        if self.v.v >= 2 {
            out.extend_from_slice(&self.other_keys.v.to_le_bytes());
        }
    }

    /// A `ceph.cephx.authenticate` group, named by the keys it wants.
    pub fn nodes(&self, n: &mut Nodes) {
        let keys = u64::from(self.other_keys.v);
        n.wrap(&AUTHENTICATE, Value::None, |n| {
            n.opt_uint(&STRUCT_V, &self.v)
                .opt_uint(&CLIENT_CHALLENGE, &self.client_challenge)
                .opt_uint(&KEY, &self.key);
            self.old_ticket.nodes(n);
            if self.other_keys.len > 0 {
                n.uint(&OTHER_KEYS, &self.other_keys)
                    .summary(format!("{keys:#x} ({})", entity_types_text(keys)));
            }
        });
        if self.other_keys.len > 0 {
            n.summary(format!("wants {}", entity_types_text(keys)));
        }
    }
}
