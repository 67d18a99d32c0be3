//! mgrmap (MSG_MGR_MAP, 0x704): the manager map, MMgrMap
//! (messages/MMgrMap.h: `encode(map, payload, features)`; print
//! `mgrmap(e N)`). The fields up to the active manager's name are broken
//! down; the rest (standbys, modules, services, ...) stays bytes.
//!
//! ```text
//! MgrMap: ENCODE_START(11+, 6) le32 epoch | entity_addrvec_t active_addrs
//!   | le64 active_gid | bool available | string active_name | ...
//! ```
//!
//! Source: mon/MgrMap.h (MgrMap::encode).

use super::denc::text_if;
use super::out::{span_to, Out, Start, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::addr::{addrvec_nodes, AddrVec};
use crate::decode::grammar::prim::{bool_, le32, le64, string};
use crate::decode::grammar::{offset, In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;
use nom::Input;

fields! {
    NODE = "ceph.mgrmap", "Manager map message", None, "MMgrMap: an encoded MgrMap.";
    MAP = "ceph.mgrmap.map", "MgrMap", Str, "The MgrMap structure.";
    EPOCH = "ceph.mgrmap.epoch", "Epoch", Uint, "Map epoch.";
    ACTIVE_GID = "ceph.mgrmap.active_gid", "Active gid", Uint, "Global id of the active manager (0: none).";
    AVAILABLE = "ceph.mgrmap.available", "Available", Bool, "Whether the active manager is available.";
    ACTIVE_NAME = "ceph.mgrmap.active_name", "Active name", Str, "Name of the active manager.";
    REST = "ceph.mgrmap.rest", "Other fields", Bytes, "Standbys, modules, services and later fields, not broken down.";
}

/// A decoded MMgrMap.
#[derive(Debug, Default)]
pub struct MgrMap {
    h: Vh,
    /// Epoch.
    pub epoch: Sp<u32>,
    addrs: AddrVec,
    gid: Sp<u64>,
    available: Sp<bool>,
    name: Sp<String>,
    rest: Option<Sp<()>>,
}

impl Body for MgrMap {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MMgrMap.h decode_payload: `decode(map, p)`; mon/MgrMap.h
    /// MgrMap::decode (DECODE_START; the compat is not checked here, as
    /// the fields past active_name stay bytes).
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (rest, body) = self.h.start(Start::Decode(u8::MAX), i)?;
        let (b, e) = le32(&EPOCH)(body)?;
        self.epoch = e;
        let (b, ()) = self.addrs.parse(b)?;
        let (b, g) = le64(&ACTIVE_GID)(b)?;
        self.gid = g;
        let (b, av) = bool_(&AVAILABLE)(b)?;
        self.available = av;
        let (b, n) = string(&ACTIVE_NAME)(b)?;
        self.name = n.clone();
        let at = offset(&b);
        let (b, _) = b.take_split(b.input_len());
        self.rest = Some(span_to(at, &b));
        Ok((rest, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        let value = text_if(self.rest.is_some(), || format!("e {}", self.epoch.v));
        o.group(&MAP, value, None, |o| {
            o.vh_head(&self.h);
            o.uint(&EPOCH, &self.epoch);
            addrvec_nodes(&mut o.n, &self.addrs);
            o.uint(&ACTIVE_GID, &self.gid);
            o.boolean(&AVAILABLE, &self.available);
            o.str(&ACTIVE_NAME, &self.name);
            o.raw(&REST, &self.rest, 0);
        });
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mgrmap(e {})", self.epoch.v)
    }
}
