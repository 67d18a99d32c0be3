//! Field trees of entity addresses and names, as views of the typed
//! values in `addr.rs` and `entity.rs` (msg_types.h, msg_types.cc).

use super::addr::*;
use super::auth::entity_type_name;
use super::grammar::view::Nodes;
use super::grammar::Sp;
use crate::model::Value;

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
