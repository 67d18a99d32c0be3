//! Entity addresses and names inside message bodies: the parsers and
//! views of msg_types.h's `entity_addrvec_t` and auth's `EntityName`,
//! wrapped for the message families.

use super::denc::text_if;
use super::out::Out;
use crate::decode::addr::{AddrVec, EntityName, ENTITY_NAME, ENTITY_NAME_ID, ENTITY_NAME_TYPE};
use crate::decode::addr_tree::addrvec_tree;
use crate::decode::auth::entity_type_name;
use crate::decode::grammar::prim::{le32, string};
use crate::decode::grammar::{offset, DencError, Fault, In, PResult, Sp};
use crate::model::tree::Tree;
use nom::Input;

/// An `entity_addrvec_t` and its bytes.
#[derive(Debug, Clone, Default)]
pub struct Addrs {
    /// The addresses.
    pub v: AddrVec,
    /// Its bytes.
    pub sp: Sp<()>,
}

/// Parse an `entity_addrvec_t`.
pub fn addrvec<'a>(i: In<'a>) -> PResult<'a, Addrs> {
    let at = offset(&i);
    let bytes = *i.fragment();
    let mut t = Tree::new(bytes, at, crate::model::Source::Wire);
    match addrvec_tree(&mut t) {
        Ok(v) => {
            let used = t.offset().saturating_sub(at);
            let (rest, _) = i.take_split(used);
            Ok((
                rest,
                Addrs {
                    v,
                    sp: Sp {
                        v: (),
                        at,
                        len: used,
                    },
                },
            ))
        }
        Err(m) => {
            let short = m.what.contains("needs") || m.what.contains("left");
            let fault = if short {
                Fault::EndOfBuffer
            } else {
                Fault::Malformed
            };
            DencError::new(fault, m.offset, "an entity_addrvec_t", m.what)
                .label("ceph.addrvec")
                .fail()
        }
    }
}

/// The `ceph.addrvec` group.
pub fn addrvec_view(o: &mut Out<'_>, a: &Addrs) {
    if a.sp.len == 0 {
        return;
    }
    let b = o.bytes(a.sp.at, a.sp.len);
    let mut t = Tree::new(b, a.sp.at, o.src());
    if addrvec_tree(&mut t).is_ok() {
        for n in t.into_nodes() {
            o.n.push(n);
        }
    }
}

/// An auth `EntityName` (common/entity_name.h: le32 type, string id).
#[derive(Debug, Clone, Default)]
pub struct EntName {
    /// CEPH_ENTITY_TYPE_*.
    pub ty: Sp<u32>,
    /// Id.
    pub id: Sp<String>,
}

impl EntName {
    /// Parse into `self`.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = le32(&ENTITY_NAME_TYPE)(i)?;
        self.ty = t;
        let (i, id) = string(&ENTITY_NAME_ID)(i)?;
        self.id = id;
        Ok((i, ()))
    }

    /// The value.
    pub fn get(&self) -> EntityName {
        EntityName {
            entity_type: self.ty.v,
            id: self.id.v.clone(),
        }
    }

    /// The `ceph.entity_name` group.
    pub fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.id.len > 0, || self.get().to_string());
        o.group(&ENTITY_NAME, value, None, |o| {
            o.named(&ENTITY_NAME_TYPE, &self.ty, entity_type_name);
            o.str(&ENTITY_NAME_ID, &self.id);
        });
    }
}
