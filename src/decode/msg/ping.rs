//! Messages without a body: ping (CEPH_MSG_PING, 2; messages/MPing.h) and
//! mon_getmap (CEPH_MSG_MON_GET_MAP, 5; messages/MMonGetMap.h). Neither
//! overrides Message::print, which writes `<type name> magic: <magic>`;
//! `magic` is a local field that never crosses the wire (0 as received).
//! Their decode_payload reads nothing: any front bytes are trailing.

use super::out::Out;
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::{In, PResult};
use crate::fields;
use crate::model::FieldDef;

fields! {
    PING = "ceph.ping", "Ping", None, "MPing: an empty keepalive message.";
    MON_GETMAP = "ceph.mon_getmap", "Get monitor map", None, "MMonGetMap: asks a monitor for its monmap (empty body).";
}

/// Message.h Message::print for messages without their own.
fn magic(name: &str) -> String {
    format!("{name} magic: 0")
}

/// MPing.
#[derive(Debug, Default)]
pub struct Ping;

impl Body for Ping {
    const NODE: &'static FieldDef = &PING;
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        Ok((i, ()))
    }
    fn view(&self, _o: &mut Out<'_>, _p: &Parts<'_>) {}
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        magic("ping")
    }
}

/// MMonGetMap.
#[derive(Debug, Default)]
pub struct MonGetMap;

impl Body for MonGetMap {
    const NODE: &'static FieldDef = &MON_GETMAP;
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        Ok((i, ()))
    }
    fn view(&self, _o: &mut Out<'_>, _p: &Parts<'_>) {}
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        magic("mon_getmap")
    }
}
