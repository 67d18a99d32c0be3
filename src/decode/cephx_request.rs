//! The cephx request an MAuth carries once a session is up
//! (auth/cephx/CephxClientHandler.cc `build_request`,
//! `build_rotating_request`; read by CephxServiceHandler.cc
//! `handle_request`), typed with its spans:
//!
//! ```text
//! CephXRequestHeader           le16 request_type
//! GET_AUTH_SESSION_KEY 0x0100  CephXAuthenticate (as in AUTH_REQUEST_MORE)
//! GET_PRINCIPAL_SESSION_KEY    u8 authorizer_v (1) | cephx authorizer for the AUTH
//!                  0x0200      ticket | CephXServiceTicketRequest {u8 v, le32 keys}
//! GET_ROTATING_KEY 0x0400      nothing more
//! ```
//!
//! The authorizer's CephXAuthorize stays encrypted (the AUTH session key
//! opens it); `keys` is the bit mask of entity types whose service tickets
//! are asked for (CEPH_ENTITY_TYPE_*, msgr.h).

use super::auth::{
    cephx_request_name, entity_types_text, Authenticate, Authorizer, CEPHX_GET_AUTH_SESSION_KEY,
    CEPHX_GET_PRINCIPAL_SESSION_KEY, REQUEST_TYPE, STRUCT_V,
};
use super::grammar::prim::{le16, le32, u8_};
use super::grammar::view::Nodes;
use super::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::Value;

fields! {
    MON_REQUEST = "ceph.cephx.mon_request", "cephx request", None, "The cephx request of an MAuth: a renewal of service tickets (get_principal_session_key), a daemon's rotating secrets (get_rotating_key) or a new session key.";
    TICKET_REQUEST = "ceph.cephx.service_ticket_request", "CephXServiceTicketRequest", None, "The service tickets a get_principal_session_key asks for.";
    KEYS = "ceph.cephx.service_ticket_request.keys", "Keys", Hex, "Entity types whose service tickets are asked for (CEPH_ENTITY_TYPE_* bit mask).";
}

/// What follows the request header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequestBody {
    /// Nothing (GET_ROTATING_KEY, or an unknown type).
    #[default]
    None,
    /// GET_AUTH_SESSION_KEY's CephXAuthenticate.
    Authenticate(Authenticate),
    /// GET_PRINCIPAL_SESSION_KEY's authorizer and ticket request.
    Principal {
        /// The authorizer's struct_v.
        v: Sp<u8>,
        /// The authorizer for the AUTH ticket.
        authorizer: Authorizer,
        /// CephXServiceTicketRequest struct_v.
        req_v: Sp<u8>,
        /// Entity types asked for.
        keys: Sp<u32>,
    },
}

/// An MAuth's cephx request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonRequest {
    /// CephXRequestHeader request_type.
    pub request_type: Sp<u16>,
    /// The rest.
    pub body: RequestBody,
}

impl MonRequest {
    /// Fill `self` as far as the bytes go (`handle_request` order).
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = le16(&REQUEST_TYPE)(i)?;
        self.request_type = t;
        match self.request_type.v {
            CEPHX_GET_AUTH_SESSION_KEY => {
                let mut a = Authenticate::default();
                let res = a.parse(i);
                self.body = RequestBody::Authenticate(a);
                res
            }
            CEPHX_GET_PRINCIPAL_SESSION_KEY => {
                let mut v = Sp::default();
                let mut authorizer = Authorizer::default();
                let mut req_v = Sp::default();
                let mut keys = Sp::default();
                let res = (|| {
                    let (i, x) = u8_(&STRUCT_V)(i)?;
                    v = x;
                    let (i, ()) = authorizer.parse(i)?;
                    let (i, x) = u8_(&STRUCT_V)(i)?;
                    req_v = x;
                    let (i, k) = le32(&KEYS)(i)?;
                    keys = k;
                    Ok((i, ()))
                })();
                self.body = RequestBody::Principal {
                    v,
                    authorizer,
                    req_v,
                    keys,
                };
                res
            }
            _ => Ok((i, ())),
        }
    }

    /// A `ceph.cephx.mon_request` group.
    pub fn nodes(&self, n: &mut Nodes) {
        n.wrap(&MON_REQUEST, Value::None, |n| {
            n.opt_enum(&REQUEST_TYPE, &self.request_type, cephx_request_name);
            match &self.body {
                RequestBody::None => {}
                RequestBody::Authenticate(a) => a.nodes(n),
                RequestBody::Principal {
                    v,
                    authorizer,
                    req_v,
                    keys,
                } => {
                    n.opt_uint(&STRUCT_V, v);
                    authorizer.nodes(n);
                    n.wrap(&TICKET_REQUEST, Value::None, |n| {
                        n.opt_uint(&STRUCT_V, req_v);
                        if keys.len > 0 {
                            n.hex(&KEYS, keys);
                        }
                    });
                    if keys.len > 0 {
                        n.summary(entity_types_text(u64::from(keys.v)));
                    }
                }
            }
        });
        n.summary(self.text());
    }

    /// `get_principal_session_key for osd,mgr`.
    pub fn text(&self) -> String {
        let name = cephx_request_name(u64::from(self.request_type.v))
            .map_or_else(|| format!("{:#06x}", self.request_type.v), str::to_string);
        match &self.body {
            RequestBody::Principal { keys, .. } if keys.len > 0 => {
                format!("{name} for {}", entity_types_text(u64::from(keys.v)))
            }
            _ => name,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::decode::grammar::input;
    use std::cell::RefCell;

    /// GET_PRINCIPAL_SESSION_KEY as CephxClientHandler::build_request
    /// writes it: header, authorizer v1 (global_id 4141, service auth 0x20,
    /// ticket secret_id 7 with 3 bytes, 2 bytes of CephXAuthorize), then
    /// CephXServiceTicketRequest v1 keys osd|mgr (0x14).
    fn principal() -> Vec<u8> {
        let mut b = vec![0x00, 0x02, 1];
        b.extend_from_slice(&4141u64.to_le_bytes());
        b.extend_from_slice(&0x20u32.to_le_bytes());
        b.push(1);
        b.extend_from_slice(&7u64.to_le_bytes());
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&[0xaa, 0xbb, 0xcc]);
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&[0x11, 0x22]);
        b.push(1);
        b.extend_from_slice(&0x14u32.to_le_bytes());
        b
    }

    #[test]
    fn principal_session_key_request() {
        let b = principal();
        let notes = RefCell::new(Vec::new());
        let mut r = MonRequest::default();
        let (rest, ()) = r.parse(input(&b, 0, &notes)).unwrap();
        assert_eq!(rest.fragment().len(), 0);
        assert_eq!(r.request_type.v, 0x0200);
        let RequestBody::Principal {
            authorizer, keys, ..
        } = &r.body
        else {
            panic!("{r:?}")
        };
        assert_eq!(authorizer.global_id.v, 4141);
        assert_eq!(authorizer.service_id.v, 0x20);
        assert_eq!(authorizer.ticket.secret_id.v, 7);
        assert_eq!(keys.v, 0x14);
        assert_eq!(keys.at, b.len() - 4);
        assert_eq!(r.text(), "get_principal_session_key for osd,mgr");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let b = principal();
        for n in 0..b.len() {
            let notes = RefCell::new(Vec::new());
            let mut r = MonRequest::default();
            assert!(r.parse(input(&b[..n], 0, &notes)).is_err(), "{n}");
        }
    }

    #[test]
    fn rotating_key_request_is_the_header_alone() {
        let b = [0x00, 0x04];
        let notes = RefCell::new(Vec::new());
        let mut r = MonRequest::default();
        let (rest, ()) = r.parse(input(&b, 0, &notes)).unwrap();
        assert_eq!(rest.fragment().len(), 0);
        assert_eq!(r.text(), "get_rotating_key");
    }
}
