//! Field trees of entity addresses and names, as views of the typed
//! values in `addr.rs` and `entity.rs` (msg_types.h, msg_types.cc).
//!
//! The `*_tree` functions below build the same nodes with the cursor
//! builder for the message decoders that still use it.

use super::addr::*;
use super::auth::entity_type_name;
use super::grammar::view::Nodes;
use super::grammar::Sp;
use super::region::{sub, sub_with, u32_of};
use crate::model::tree::{Malformed, Res, Tree};
use crate::model::{FieldDef, FieldNode, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// An address as one `ceph.addr` group (value: its text, once whole).
/// Leaves not decoded are left out.
pub fn addr_nodes(n: &mut Nodes, a: &EntityAddr) {
    let value = if a.wire.done {
        Value::Addr(a.to_string())
    } else {
        Value::None
    };
    n.wrap(&ADDR, value, |n| {
        let w = &a.wire;
        n.opt_uint(&MARKER, &w.marker);
        if w.legacy {
            n.opt_leaf(
                &LEGACY_PAD,
                Value::Bytes(w.legacy_pad.v.clone()),
                &w.legacy_pad,
            );
            n.opt_uint(&NONCE, &a.nonce);
            if w.family.len > 0 {
                n.enumerated(&FAMILY, &w.family, family_name);
                sockaddr_nodes(n, a);
                let t = u64::from(a.addr_type.v);
                n.generated(&TYPE, Value::Enum(t, addr_type_name(t)));
            }
            return;
        }
        n.opt_uint(&STRUCT_V, &w.struct_v)
            .opt_uint(&STRUCT_COMPAT, &w.compat)
            .opt_uint(&STRUCT_LEN, &w.struct_len)
            .opt_enum(&TYPE, &a.addr_type, addr_type_name)
            .opt_uint(&NONCE, &a.nonce)
            .opt_uint(&SOCKADDR_LEN, &w.elen)
            .opt_enum(&FAMILY, &w.family, family_name);
        sockaddr_nodes(n, a);
        n.opt_leaf(&EXTRA, Value::Bytes(w.extra.v.clone()), &w.extra);
    });
}

/// The sockaddr's bytes after its family, by layout.
fn sockaddr_nodes(n: &mut Nodes, a: &EntityAddr) {
    let d = &a.wire.data;
    if d.len == 0 {
        return;
    }
    let sub = |off: usize, len: usize| Sp {
        v: (),
        at: d.at.saturating_add(off),
        len,
    };
    let pad = |n: &mut Nodes, used: usize| {
        if let Some(rest) = d.v.get(used..).filter(|r| !r.is_empty()) {
            n.leaf(
                &PADDING,
                Value::Bytes(rest.to_vec()),
                &sub(used, rest.len()),
            );
        }
    };
    match &a.sockaddr {
        SockAddr::V4 { ip, port } => {
            n.leaf(&PORT, Value::Uint(u64::from(*port)), &sub(0, 2));
            n.leaf(&IP, Value::Addr(ip.to_string()), &sub(2, 4));
            pad(n, 6);
        }
        SockAddr::V6 {
            ip,
            port,
            flowinfo,
            scope_id,
        } => {
            n.leaf(&PORT, Value::Uint(u64::from(*port)), &sub(0, 2));
            n.leaf(&FLOWINFO, Value::Uint(u64::from(*flowinfo)), &sub(2, 4));
            n.leaf(&IP, Value::Addr(ip.to_string()), &sub(6, 16));
            n.leaf(&SCOPE_ID, Value::Uint(u64::from(*scope_id)), &sub(22, 4));
            pad(n, SOCKADDR_IN6_LEN - 2);
        }
        SockAddr::Empty => pad(n, 0),
        SockAddr::Other { data, .. } => {
            n.leaf(&SOCKADDR_DATA, Value::Bytes(data.clone()), &sub(0, d.len));
        }
    }
}

/// An address vector as one `ceph.addrvec` group (value: its text, once
/// whole).
pub fn addrvec_nodes(n: &mut Nodes, v: &AddrVec) {
    let value = if v.done {
        Value::Str(v.to_string())
    } else {
        Value::None
    };
    n.wrap(&ADDRVEC, value, |n| {
        n.opt_uint(&ADDRVEC_MARKER, &v.marker)
            .opt_uint(&ADDRVEC_COUNT, &v.count);
        for a in &v.addrs {
            addr_nodes(n, a);
        }
    });
}

/// An auth `EntityName` as one `ceph.entity_name` group.
pub fn entity_name_nodes(n: &mut Nodes, e: &EntityName) {
    let value = if e.done() {
        Value::Str(e.to_string())
    } else {
        Value::None
    };
    n.wrap(&ENTITY_NAME, value, |n| {
        n.opt_enum(&ENTITY_NAME_TYPE, &e.entity_type, entity_type_name)
            .opt_leaf(&ENTITY_NAME_ID, Value::Str(e.id.v.clone()), &e.id);
    });
}

/// An `entity_name_t` as one `ceph.name` group.
pub fn name_t_nodes(n: &mut Nodes, e: &NameT) {
    let value = if e.done() {
        Value::Str(e.to_string())
    } else {
        Value::None
    };
    n.wrap(&NAME, value, |n| {
        n.opt_enum(&NAME_TYPE, &e.entity_type, entity_type_name)
            .opt_leaf(&NAME_NUM, Value::Int(e.num.v), &e.num);
    });
}

/// An `entity_addr_t` as a `ceph.addr` group.
pub fn addr_tree(t: &mut Tree<'_>) -> Res<EntityAddr> {
    let mut out = EntityAddr::default();
    let node = t.group(&ADDR, |t| {
        out = addr_body(t)?;
        Ok(())
    })?;
    node.value = Value::Addr(out.to_string());
    Ok(out)
}

fn addr_body(t: &mut Tree<'_>) -> Res<EntityAddr> {
    match t.uint(&MARKER, 1)? {
        1 => {
            t.uint(&STRUCT_V, 1)?;
            t.uint(&STRUCT_COMPAT, 1)?;
            let len = t.uint(&STRUCT_LEN, 4)?;
            versioned_body(t, usize::try_from(len).unwrap_or(usize::MAX))
        }
        0 => legacy_body(t),
        m => Err(Malformed {
            offset: t.offset(),
            // msg_types.h: "entity_addr_t marker != 1"
            what: format!("entity_addr_t marker {m}, expected 0 or 1"),
        }),
    }
}

/// The versioned body (type, nonce, sockaddr) inside `len` bytes.
fn versioned_body(t: &mut Tree<'_>, len: usize) -> Res<EntityAddr> {
    let mut a = EntityAddr::default();
    sub_with(t, len, Some(&EXTRA), |t, _| {
        a.addr_type = Sp::new(u32_of(t.enumerated(&TYPE, 4, addr_type_name)?));
        a.nonce = Sp::new(u32_of(t.uint(&NONCE, 4)?));
        let elen = usize::try_from(t.uint(&SOCKADDR_LEN, 4)?).unwrap_or(usize::MAX);
        let mut sa = SockAddr::Empty;
        sub(t, elen, |t, _| {
            if elen == 0 {
                return Ok(());
            }
            if elen < 2 {
                // msg_types.h: "elen smaller than family len"
                t.bytes(&SOCKADDR_DATA, elen)?;
                return Err(Malformed {
                    offset: t.offset(),
                    what: "sockaddr shorter than its family".into(),
                });
            }
            let family = u16::try_from(t.enumerated(&FAMILY, 2, family_name)?).unwrap_or(0);
            sa = sockaddr_rest(t, family, elen - 2, false)?;
            Ok(())
        })?;
        a.sockaddr = sa;
        Ok(())
    })?;
    Ok(a)
}

/// A big-endian 16-bit port field.
fn port(t: &mut Tree<'_>) -> Res<u16> {
    let (b, sp) = t.take(2, PORT.abbrev)?;
    let p = u16::from_be_bytes(b.try_into().map_err(|_| Malformed {
        offset: sp.range.start,
        what: "port".into(),
    })?);
    t.push(FieldNode::new(&PORT, Value::Uint(u64::from(p)), Some(sp)));
    Ok(p)
}

/// `N` bytes as an array, pushed as a field with `value`.
fn arr<const N: usize>(
    t: &mut Tree<'_>,
    def: &'static FieldDef,
    value: fn([u8; N]) -> Value,
) -> Res<[u8; N]> {
    let (b, sp) = t.take(N, def.abbrev)?;
    let a: [u8; N] = b.try_into().map_err(|_| Malformed {
        offset: sp.range.start,
        what: def.abbrev.into(),
    })?;
    t.push(FieldNode::new(def, value(a), Some(sp)));
    Ok(a)
}

/// The sockaddr after its family: `len` declared bytes (`storage`: the
/// legacy 126-byte remainder of a sockaddr_storage).
fn sockaddr_rest(t: &mut Tree<'_>, family: u16, len: usize, storage: bool) -> Res<SockAddr> {
    let v4 = SOCKADDR_IN_LEN - 2;
    let v6 = SOCKADDR_IN6_LEN - 2;
    let pad = |t: &mut Tree<'_>, used: usize| -> Res<()> {
        if len > used {
            t.bytes(&PADDING, len - used)?;
        }
        Ok(())
    };
    match family {
        AF_INET if len == v4 || (storage && len >= v4) => {
            let p = port(t)?;
            let ip = Ipv4Addr::from(arr::<4>(t, &IP, |a| {
                Value::Addr(Ipv4Addr::from(a).to_string())
            })?);
            pad(t, 6)?;
            Ok(SockAddr::V4 { ip, port: p })
        }
        AF_INET6 if len == v6 || (storage && len >= v6) => {
            let p = port(t)?;
            let fl = u32::from_be_bytes(arr::<4>(t, &FLOWINFO, |a| {
                Value::Uint(u64::from(u32::from_be_bytes(a)))
            })?);
            let ip = Ipv6Addr::from(arr::<16>(t, &IP, |a| {
                Value::Addr(Ipv6Addr::from(a).to_string())
            })?);
            let sc = u32::from_le_bytes(arr::<4>(t, &SCOPE_ID, |a| {
                Value::Uint(u64::from(u32::from_le_bytes(a)))
            })?);
            pad(t, v6)?;
            Ok(SockAddr::V6 {
                ip,
                port: p,
                flowinfo: fl,
                scope_id: sc,
            })
        }
        AF_UNSPEC if storage => {
            pad(t, 0)?;
            Ok(SockAddr::Empty)
        }
        _ => {
            let data = if len > 0 {
                t.bytes(&SOCKADDR_DATA, len)?.to_vec()
            } else {
                Vec::new()
            };
            Ok(SockAddr::Other { family, data })
        }
    }
}

/// The legacy form after its zero marker.
fn legacy_body(t: &mut Tree<'_>) -> Res<EntityAddr> {
    t.bytes(&LEGACY_PAD, 3)?;
    let nonce = u32_of(t.uint(&NONCE, 4)?);
    let fam = u16::from_be_bytes(arr::<2>(t, &FAMILY, |a| {
        let v = u16::from_be_bytes(a);
        Value::Enum(u64::from(v), family_name(u64::from(v)))
    })?);
    let sockaddr = sockaddr_rest(t, fam, SOCKADDR_STORAGE_LEN - 2, true)?;
    // The legacy decoder sets TYPE_LEGACY whatever the family.
    let addr_type = TYPE_LEGACY;
    t.generated(
        &TYPE,
        Value::Enum(u64::from(addr_type), addr_type_name(u64::from(addr_type))),
    );
    Ok(EntityAddr::new(addr_type, nonce, sockaddr))
}

/// An `entity_addrvec_t` as a `ceph.addrvec` group.
pub fn addrvec_tree(t: &mut Tree<'_>) -> Res<AddrVec> {
    let mut v = AddrVec::default();
    let node = t.group(&ADDRVEC, |t| {
        match t.uint(&ADDRVEC_MARKER, 1)? {
            0 => v.addrs.push(single(t, legacy_body)?),
            1 => {
                v.addrs.push(single(t, |t| {
                    t.uint(&STRUCT_V, 1)?;
                    t.uint(&STRUCT_COMPAT, 1)?;
                    let len = t.uint(&STRUCT_LEN, 4)?;
                    versioned_body(t, usize::try_from(len).unwrap_or(usize::MAX))
                })?);
            }
            2 => {
                let n = t.uint(&ADDRVEC_COUNT, 4)?;
                for _ in 0..n {
                    v.addrs.push(addr_tree(t)?);
                }
            }
            // msg_types.cc: "entity_addrvec_marker > 2"
            m => {
                return Err(Malformed {
                    offset: t.offset(),
                    what: format!("entity_addrvec_t marker {m} > 2"),
                })
            }
        }
        Ok(())
    })?;
    node.value = Value::Str(v.to_string());
    Ok(v)
}

/// A single address inside an addrvec whose marker was already read: its
/// body as a `ceph.addr` group.
fn single(t: &mut Tree<'_>, body: fn(&mut Tree<'_>) -> Res<EntityAddr>) -> Res<EntityAddr> {
    let mut out = EntityAddr::default();
    let node = t.group(&ADDR, |t| {
        out = body(t)?;
        Ok(())
    })?;
    node.value = Value::Addr(out.to_string());
    Ok(out)
}

/// An auth `EntityName` as a `ceph.entity_name` group.
pub fn entity_name_tree(t: &mut Tree<'_>) -> Res<EntityName> {
    let mut n = EntityName::default();
    let node = t.group(&ENTITY_NAME, |t| {
        n.entity_type = Sp::new(u32_of(t.enumerated(
            &ENTITY_NAME_TYPE,
            4,
            entity_type_name,
        )?));
        n.id = Sp::new(t.string(&ENTITY_NAME_ID)?);
        Ok(())
    })?;
    node.value = Value::Str(n.to_string());
    Ok(n)
}

/// An `entity_name_t` as a `ceph.name` group.
pub fn name_t_tree(t: &mut Tree<'_>) -> Res<EntityNameT> {
    let mut n = EntityNameT::default();
    let node = t.group(&NAME, |t| {
        n.entity_type = u8::try_from(t.enumerated(&NAME_TYPE, 1, entity_type_name)?).unwrap_or(0);
        n.num = t.int(&NAME_NUM, 8)?;
        Ok(())
    })?;
    node.value = Value::Str(n.to_string());
    Ok(n)
}
