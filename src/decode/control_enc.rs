//! Typed control payloads (frames_v2.h; RESEARCH.md A9): one struct per
//! frame tag, each layout once — parse, encode, field nodes and text side
//! by side ([`Layout`]). The AUTH_* and COMPRESSION_* layouts are in
//! `control_auth.rs`.
//!
//! frames_v2.h decodes a control payload field after field with no check
//! on the values; only the entity addresses inside refuse bad markers and
//! sockaddr lengths (`addr.rs`). Unknown entity types, modes and
//! compression methods are shown as unknown.

use super::addr::{addr_nodes, addrvec_nodes, AddrVec, EntityAddr};
use super::auth::entity_type_name;
pub use super::control::Control;
use super::control::*;
pub use super::control_auth::*;
use super::features::feature_nodes;
use super::grammar::prim::{bool_, i64_, le64, u8_, utime};
use super::grammar::view::Nodes;
use super::grammar::{In, PResult, Sp};
use super::text::utc_text;
use crate::model::{FieldDef, FieldNode, Value};
use crate::msgr2::Tag;

/// One control payload's layout.
pub trait Layout {
    /// Fill `self` from `i` as far as the bytes go (what was read before
    /// a fault stays).
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()>;
    /// Append the payload bytes Ceph writes.
    fn put(&self, out: &mut Vec<u8>);
    /// The fields of the payload of `tag`, as far as they were read.
    fn nodes(&self, tag: Tag, n: &mut Nodes);
    /// The text after the tag (`sender`: the sender's entity type).
    fn text(&self, sender: Option<u8>) -> String;
}

/// A value's name from `names`, or its number.
pub fn name_of(v: u32, names: fn(u64) -> Option<&'static str>) -> String {
    names(u64::from(v)).map_or_else(|| v.to_string(), str::to_string)
}

fn u64s(out: &mut Vec<u8>, vals: &[&Sp<u64>]) {
    for v in vals {
        out.extend_from_slice(&v.v.to_le_bytes());
    }
}

/// le64 fields in a row, into `slots` with their defs.
fn read_u64s<'a>(
    mut i: In<'a>,
    slots: &mut [(&'static FieldDef, &mut Sp<u64>)],
) -> PResult<'a, ()> {
    for (def, slot) in slots.iter_mut() {
        let (rest, v) = le64(def)(i)?;
        **slot = v;
        i = rest;
    }
    Ok((i, ()))
}

/// An address under a frame-level field `def` (value: its text).
fn addr_field(n: &mut Nodes, def: &'static FieldDef, a: &EntityAddr) {
    let v = if a.wire.done {
        Value::Addr(a.to_string())
    } else {
        Value::None
    };
    n.wrap(def, v, |n| addr_nodes(n, a));
}

/// An address vector under a frame-level field `def`.
fn addrvec_field(n: &mut Nodes, def: &'static FieldDef, a: &AddrVec) {
    let v = if a.done {
        Value::Str(a.to_string())
    } else {
        Value::None
    };
    n.wrap(def, v, |n| addrvec_nodes(n, a));
}

/// HELLO: u8 entity_type, entity_addr_t peer_addr.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// CEPH_ENTITY_TYPE_* of the sender.
    pub entity_type: Sp<u8>,
    /// The peer's address.
    pub peer_addr: EntityAddr,
}

impl Layout for Hello {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = u8_(&HELLO_ENTITY_TYPE)(i)?;
        self.entity_type = t;
        self.peer_addr.parse(i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.push(self.entity_type.v);
        self.peer_addr.encode(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        n.opt_enum(&HELLO_ENTITY_TYPE, &self.entity_type, entity_type_name);
        addr_field(n, &HELLO_PEER_ADDR, &self.peer_addr);
    }
    fn text(&self, _: Option<u8>) -> String {
        let ty = name_of(u32::from(self.entity_type.v), entity_type_name);
        format!("{ty} peer_addr={}", self.peer_addr)
    }
}

/// What CLIENT_IDENT and SERVER_IDENT share after their addresses: gid,
/// global_seq, supported, required, flags (+ lossy), cookie.
struct Tail<'s> {
    defs: [&'static FieldDef; 7],
    gid: &'s Sp<i64>,
    u: [&'s Sp<u64>; 5],
}

impl Tail<'_> {
    fn nodes(&self, n: &mut Nodes) {
        let [gid, gseq, supported, required, flags, lossy, cookie] = self.defs;
        let [s, sup, req, fl, ck] = self.u;
        n.opt_leaf(gid, Value::Int(self.gid.v), self.gid)
            .opt_uint(gseq, s);
        feature_nodes(n, supported, sup);
        feature_nodes(n, required, req);
        if fl.len > 0 {
            n.hex(flags, fl);
            // msgr.h CEPH_MSG_CONNECT_LOSSY.
            let l = FieldNode::new(lossy, Value::Bool(fl.v & 1 != 0), None);
            if let Some(last) = n.out.last_mut() {
                last.children.push(l);
            }
        }
        n.opt_uint(cookie, ck);
    }

    fn text(&self, sender: Option<u8>) -> String {
        let ent = sender
            .and_then(|ty| entity_type_name(u64::from(ty)))
            .map_or_else(String::new, |n| format!("{n}.{} ", self.gid.v));
        format!("{ent}gid={}", self.gid.v)
    }
}

fn lossy(flags: u64) -> &'static str {
    if flags & 1 != 0 {
        " lossy"
    } else {
        ""
    }
}

/// CLIENT_IDENT: entity_addrvec_t addrs, entity_addr_t target_addr, le64
/// gid, global_seq, supported_features, required_features, flags, cookie.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientIdent {
    /// The client's own addresses.
    pub addrs: AddrVec,
    /// The address it connected to.
    pub target_addr: EntityAddr,
    /// Global id.
    pub gid: Sp<i64>,
    /// Global connection sequence.
    pub global_seq: Sp<u64>,
    /// CEPH_FEATURE_* supported.
    pub supported_features: Sp<u64>,
    /// CEPH_FEATURE_* required.
    pub required_features: Sp<u64>,
    /// Flags (bit 0 lossy).
    pub flags: Sp<u64>,
    /// Client cookie.
    pub cookie: Sp<u64>,
}

impl ClientIdent {
    fn tail(&self) -> Tail<'_> {
        Tail {
            defs: [
                &CI_GID,
                &CI_GLOBAL_SEQ,
                &CI_SUPPORTED,
                &CI_REQUIRED,
                &CI_FLAGS,
                &CI_LOSSY,
                &CI_COOKIE,
            ],
            gid: &self.gid,
            u: [
                &self.global_seq,
                &self.supported_features,
                &self.required_features,
                &self.flags,
                &self.cookie,
            ],
        }
    }
}

impl Layout for ClientIdent {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = self.addrs.parse(i)?;
        let (i, ()) = self.target_addr.parse(i)?;
        let (i, g) = i64_(&CI_GID)(i)?;
        self.gid = g;
        read_u64s(
            i,
            &mut [
                (&CI_GLOBAL_SEQ, &mut self.global_seq),
                (&CI_SUPPORTED, &mut self.supported_features),
                (&CI_REQUIRED, &mut self.required_features),
                (&CI_FLAGS, &mut self.flags),
                (&CI_COOKIE, &mut self.cookie),
            ],
        )
    }
    fn put(&self, o: &mut Vec<u8>) {
        self.addrs.encode(o);
        self.target_addr.encode(o);
        o.extend_from_slice(&self.gid.v.to_le_bytes());
        u64s(o, &self.tail().u);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        addrvec_field(n, &CI_ADDRS, &self.addrs);
        addr_field(n, &CI_TARGET, &self.target_addr);
        self.tail().nodes(n);
    }
    fn text(&self, sender: Option<u8>) -> String {
        format!(
            "{} addrs={} target={} gseq={} cookie={:#x}{}",
            self.tail().text(sender),
            self.addrs,
            self.target_addr,
            self.global_seq.v,
            self.cookie.v,
            lossy(self.flags.v)
        )
    }
}

/// SERVER_IDENT: entity_addrvec_t addrs, le64 gid, global_seq,
/// supported_features, required_features, flags, cookie.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerIdent {
    /// The server's addresses.
    pub addrs: AddrVec,
    /// Global id.
    pub gid: Sp<i64>,
    /// Global connection sequence.
    pub global_seq: Sp<u64>,
    /// CEPH_FEATURE_* supported.
    pub supported_features: Sp<u64>,
    /// CEPH_FEATURE_* required.
    pub required_features: Sp<u64>,
    /// Flags (bit 0 lossy).
    pub flags: Sp<u64>,
    /// Server cookie.
    pub cookie: Sp<u64>,
}

impl ServerIdent {
    fn tail(&self) -> Tail<'_> {
        Tail {
            defs: [
                &SI_GID,
                &SI_GLOBAL_SEQ,
                &SI_SUPPORTED,
                &SI_REQUIRED,
                &SI_FLAGS,
                &SI_LOSSY,
                &SI_COOKIE,
            ],
            gid: &self.gid,
            u: [
                &self.global_seq,
                &self.supported_features,
                &self.required_features,
                &self.flags,
                &self.cookie,
            ],
        }
    }
}

impl Layout for ServerIdent {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = self.addrs.parse(i)?;
        let (i, g) = i64_(&SI_GID)(i)?;
        self.gid = g;
        read_u64s(
            i,
            &mut [
                (&SI_GLOBAL_SEQ, &mut self.global_seq),
                (&SI_SUPPORTED, &mut self.supported_features),
                (&SI_REQUIRED, &mut self.required_features),
                (&SI_FLAGS, &mut self.flags),
                (&SI_COOKIE, &mut self.cookie),
            ],
        )
    }
    fn put(&self, o: &mut Vec<u8>) {
        self.addrs.encode(o);
        o.extend_from_slice(&self.gid.v.to_le_bytes());
        u64s(o, &self.tail().u);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        addrvec_field(n, &SI_ADDRS, &self.addrs);
        self.tail().nodes(n);
    }
    fn text(&self, sender: Option<u8>) -> String {
        format!(
            "{} addrs={} gseq={} cookie={:#x}{}",
            self.tail().text(sender),
            self.addrs,
            self.global_seq.v,
            self.cookie.v,
            lossy(self.flags.v)
        )
    }
}

/// IDENT_MISSING_FEATURES: le64 features.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentMissingFeatures {
    /// Required features the peer lacks.
    pub features: Sp<u64>,
}

impl Layout for IdentMissingFeatures {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        read_u64s(i, &mut [(&IMF_FEATURES, &mut self.features)])
    }
    fn put(&self, o: &mut Vec<u8>) {
        u64s(o, &[&self.features]);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        feature_nodes(n, &IMF_FEATURES, &self.features);
    }
    fn text(&self, _: Option<u8>) -> String {
        let v = self.features.v;
        let names = super::features::names(v).join(",");
        format!("features={v:#x} ({names})")
    }
}

/// SESSION_RECONNECT: entity_addrvec_t addrs, le64 client_cookie,
/// server_cookie, global_seq, connect_seq, msg_seq.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionReconnect {
    /// The client's addresses.
    pub addrs: AddrVec,
    /// Client cookie.
    pub client_cookie: Sp<u64>,
    /// Server cookie.
    pub server_cookie: Sp<u64>,
    /// Global sequence.
    pub global_seq: Sp<u64>,
    /// Connect sequence.
    pub connect_seq: Sp<u64>,
    /// Last message seq received.
    pub msg_seq: Sp<u64>,
}

impl Layout for SessionReconnect {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = self.addrs.parse(i)?;
        read_u64s(
            i,
            &mut [
                (&SR_CLIENT_COOKIE, &mut self.client_cookie),
                (&SR_SERVER_COOKIE, &mut self.server_cookie),
                (&SR_GLOBAL_SEQ, &mut self.global_seq),
                (&SR_CONNECT_SEQ, &mut self.connect_seq),
                (&SR_MSG_SEQ, &mut self.msg_seq),
            ],
        )
    }
    fn put(&self, o: &mut Vec<u8>) {
        self.addrs.encode(o);
        u64s(
            o,
            &[
                &self.client_cookie,
                &self.server_cookie,
                &self.global_seq,
                &self.connect_seq,
                &self.msg_seq,
            ],
        );
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        addrvec_field(n, &SR_ADDRS, &self.addrs);
        n.opt_uint(&SR_CLIENT_COOKIE, &self.client_cookie)
            .opt_uint(&SR_SERVER_COOKIE, &self.server_cookie)
            .opt_uint(&SR_GLOBAL_SEQ, &self.global_seq)
            .opt_uint(&SR_CONNECT_SEQ, &self.connect_seq)
            .opt_uint(&SR_MSG_SEQ, &self.msg_seq);
    }
    fn text(&self, _: Option<u8>) -> String {
        format!(
            "addrs={} client_cookie={:#x} server_cookie={:#x} gseq={} cseq={} msg_seq={}",
            self.addrs,
            self.client_cookie.v,
            self.server_cookie.v,
            self.global_seq.v,
            self.connect_seq.v,
            self.msg_seq.v
        )
    }
}

/// SESSION_RESET: u8 full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionReset {
    /// Reset the whole session.
    pub full: Sp<bool>,
}

impl Layout for SessionReset {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, f) = bool_(&SRESET_FULL)(i)?;
        self.full = f;
        Ok((i, ()))
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.push(u8::from(self.full.v));
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        n.opt_leaf(&SRESET_FULL, Value::Bool(self.full.v), &self.full);
    }
    fn text(&self, _: Option<u8>) -> String {
        format!("full={}", self.full.v)
    }
}

/// A payload of one le64 (SESSION_RETRY connect_seq, SESSION_RETRY_GLOBAL
/// global_seq, SESSION_RECONNECT_OK msg_seq, ACK seq).
macro_rules! one_u64 {
    ($(#[$m:meta])* $ty:ident, $field:ident, $def:ident, $fmt:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $ty {
            /// The value.
            pub $field: Sp<u64>,
        }

        impl Layout for $ty {
            fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
                read_u64s(i, &mut [(&$def, &mut self.$field)])
            }
            fn put(&self, o: &mut Vec<u8>) {
                u64s(o, &[&self.$field]);
            }
            fn nodes(&self, _: Tag, n: &mut Nodes) {
                n.opt_uint(&$def, &self.$field);
            }
            fn text(&self, _: Option<u8>) -> String {
                format!($fmt, self.$field.v)
            }
        }
    };
}

one_u64!(
    /// SESSION_RETRY: le64 connect_seq.
    SessionRetry, connect_seq, SRETRY_CONNECT_SEQ, "connect_seq={}"
);
one_u64!(
    /// SESSION_RETRY_GLOBAL: le64 global_seq.
    SessionRetryGlobal, global_seq, SRG_GLOBAL_SEQ, "global_seq={}"
);
one_u64!(
    /// SESSION_RECONNECT_OK: le64 msg_seq.
    SessionReconnectOk, msg_seq, SROK_MSG_SEQ, "msg_seq={}"
);
one_u64!(
    /// ACK: le64 seq.
    Ack, seq, ACK_SEQ, "seq={}"
);

/// WAIT: no fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wait;

impl Layout for Wait {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        Ok((i, ()))
    }
    fn put(&self, _: &mut Vec<u8>) {}
    fn nodes(&self, _: Tag, _: &mut Nodes) {}
    fn text(&self, _: Option<u8>) -> String {
        String::new()
    }
}

/// KEEPALIVE2 and KEEPALIVE2_ACK: utime_t (le32 sec, le32 nsec).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stamp {
    /// Seconds and nanoseconds since the epoch.
    pub t: Sp<(u32, u32)>,
}

impl Stamp {
    /// A stamp by value.
    pub fn new(sec: u32, nsec: u32) -> Self {
        Stamp {
            t: Sp::new((sec, nsec)),
        }
    }
}

impl Layout for Stamp {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        // The field's name is the same in both tags for a fault.
        let (i, t) = utime(&KA_TIMESTAMP)(i)?;
        self.t = t;
        Ok((i, ()))
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.t.v.0.to_le_bytes());
        o.extend_from_slice(&self.t.v.1.to_le_bytes());
    }
    fn nodes(&self, tag: Tag, n: &mut Nodes) {
        let def = if tag == Tag::Keepalive2Ack {
            &KAA_TIMESTAMP
        } else {
            &KA_TIMESTAMP
        };
        if self.t.len > 0 {
            n.time(def, &self.t).summary(self.text(None));
        }
    }
    fn text(&self, _: Option<u8>) -> String {
        utc_text(i64::from(self.t.v.0), self.t.v.1)
    }
}
