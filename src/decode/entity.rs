//! Entity address vectors and entity names (msg_types.h, msg_types.cc,
//! common/entity_name.h): typed values, parse, encode and Ceph's text
//! form; the fields are declared with the addresses in `addr.rs`.
//!
//! ```text
//! entity_addrvec_t   u8 marker=2 | le32 count | count x entity_addr_t
//!                    | u8 marker 0 or 1: one entity_addr_t in that form
//! EntityName         le32 type | le32 len | id
//! entity_name_t      u8 type | le64 num
//! ```

use super::addr::*;
use super::auth::entity_type_name;
use super::grammar::prim::{count, i64_, le32, refuse, string, u8_};
use super::grammar::{In, PResult, Sp};
use std::fmt;

/// A decoded `entity_addrvec_t`.
#[derive(Debug, Clone, Default)]
pub struct AddrVec {
    /// The addresses.
    pub addrs: Vec<EntityAddr>,
    /// Marker: 2 a vector, 0 or 1 a single address in that form.
    pub marker: Sp<u8>,
    /// Count (marker 2).
    pub count: Sp<u32>,
    /// Every field decoded.
    pub done: bool,
}

/// Addresses are compared, not how they were encoded.
impl PartialEq for AddrVec {
    fn eq(&self, other: &Self) -> bool {
        self.addrs == other.addrs
    }
}

impl Eq for AddrVec {}

impl AddrVec {
    /// A vector of `addrs`.
    pub fn new(addrs: Vec<EntityAddr>) -> Self {
        AddrVec {
            addrs,
            ..AddrVec::default()
        }
    }

    /// `entity_addrvec_t::decode` (msg_types.cc): marker 0 or 1 is a single
    /// address (the marker is its own), 2 a vector. Fills `self` as far as
    /// the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, m) = u8_(&ADDRVEC_MARKER)(i)?;
        self.marker = m.clone();
        let i = match m.v {
            0 | 1 => {
                self.addrs.push(EntityAddr::default());
                let Some(a) = self.addrs.last_mut() else {
                    return Ok((i, ()));
                };
                a.after_marker(&ADDRVEC_MARKER, &m, i)?.0
            }
            2 => {
                let (mut i, n) = count(&ADDRVEC_COUNT, MIN_ADDR_LEN)(i)?;
                self.count = n.clone();
                for _ in 0..n.v {
                    self.addrs.push(EntityAddr::default());
                    let Some(a) = self.addrs.last_mut() else {
                        break;
                    };
                    i = a.parse(i)?.0;
                }
                i
            }
            // msg_types.cc: "entity_addrvec_marker > 2".
            v => return refuse(&ADDRVEC_MARKER, &m, "0, 1 or 2", v.to_string()),
        };
        self.done = true;
        Ok((i, ()))
    }

    /// Encode as a vector (marker 2).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(2);
        out.extend_from_slice(
            &u32::try_from(self.addrs.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for a in &self.addrs {
            a.encode(out);
        }
    }
}

impl fmt::Display for AddrVec {
    /// As Ceph prints it: one address bare, several as `[a,b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addrs.as_slice() {
            [] => Ok(()),
            [a] => write!(f, "{a}"),
            many => {
                let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", parts.join(","))
            }
        }
    }
}

/// A decoded auth `EntityName` (auth/Auth.h, common/entity_name.h).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityName {
    /// CEPH_ENTITY_TYPE_*.
    pub entity_type: Sp<u32>,
    /// Id (its span covers the string's length too).
    pub id: Sp<String>,
}

impl EntityName {
    /// A name by value.
    pub fn new(entity_type: u32, id: &str) -> Self {
        EntityName {
            entity_type: Sp::new(entity_type),
            id: Sp::new(id.to_string()),
        }
    }

    /// `EntityName::decode`: le32 type, string id (any type is taken).
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = le32(&ENTITY_NAME_TYPE)(i)?;
        self.entity_type = t;
        let (i, id) = string(&ENTITY_NAME_ID)(i)?;
        self.id = id;
        Ok((i, ()))
    }

    /// Every field decoded.
    pub fn done(&self) -> bool {
        self.id.len > 0
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.entity_type.v.to_le_bytes());
        put_bl(out, self.id.v.as_bytes());
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = entity_type_name(u64::from(self.entity_type.v)).unwrap_or("unknown");
        write!(f, "{ty}.{}", self.id.v)
    }
}

/// An `entity_name_t` (msg_types.h) by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EntityNameT {
    /// CEPH_ENTITY_TYPE_*.
    pub entity_type: u8,
    /// Number; negative means "new" (not yet assigned).
    pub num: i64,
}

impl fmt::Display for EntityNameT {
    /// As Ceph prints it: `client.4123`, or `client.?` when unassigned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = entity_type_name(u64::from(self.entity_type)).unwrap_or("unknown");
        if self.num < 0 {
            write!(f, "{ty}.?")
        } else {
            write!(f, "{ty}.{}", self.num)
        }
    }
}

/// A decoded `entity_name_t` with its bytes: DENC u8 type, le64 num.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameT {
    /// CEPH_ENTITY_TYPE_* (any value is taken).
    pub entity_type: Sp<u8>,
    /// Number.
    pub num: Sp<i64>,
}

impl NameT {
    /// A name by value.
    pub fn new(entity_type: u8, num: i64) -> Self {
        NameT {
            entity_type: Sp::new(entity_type),
            num: Sp::new(num),
        }
    }

    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = u8_(&NAME_TYPE)(i)?;
        self.entity_type = t;
        let (i, n) = i64_(&NAME_NUM)(i)?;
        self.num = n;
        Ok((i, ()))
    }

    /// Every field decoded.
    pub fn done(&self) -> bool {
        self.num.len > 0
    }

    /// The value.
    pub fn value(&self) -> EntityNameT {
        EntityNameT {
            entity_type: self.entity_type.v,
            num: self.num.v,
        }
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.entity_type.v);
        out.extend_from_slice(&self.num.v.to_le_bytes());
    }
}

impl fmt::Display for NameT {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

/// An `entity_addrvec_t`.
pub fn addrvec<'a>() -> impl FnMut(In<'a>) -> PResult<'a, AddrVec> {
    whole(AddrVec::parse)
}

/// An auth `EntityName`.
pub fn entity_name<'a>() -> impl FnMut(In<'a>) -> PResult<'a, EntityName> {
    whole(EntityName::parse)
}

/// An `entity_name_t`.
pub fn name_t<'a>() -> impl FnMut(In<'a>) -> PResult<'a, NameT> {
    whole(NameT::parse)
}
