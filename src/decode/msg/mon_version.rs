//! mon_get_version (CEPH_MSG_MON_GET_VERSION, 19) and its reply (20):
//! asking a monitor for the newest version of a map.
//!
//! ```text
//! MMonGetVersion:       le64 handle | string what
//! MMonGetVersionReply:  le64 handle | le64 version | le64 oldest_version (v2+)
//! ```
//!
//! Sources: messages/MMonGetVersion.h, messages/MMonGetVersionReply.h
//! (encode_payload, print).

use super::out::Out;
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{le64, string};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;

fields! {
    GET = "ceph.mon_get_version", "Get map version", None, "MMonGetVersion: which map's newest version is wanted.";
    HANDLE = "ceph.mon_get_version.handle", "Handle", Uint, "Request handle the reply echoes.";
    WHAT = "ceph.mon_get_version.what", "Map", Str, "Map name (osdmap, mdsmap, ...).";
    REPLY = "ceph.mon_get_version_reply", "Map version reply", None, "MMonGetVersionReply: the newest and oldest versions.";
    REPLY_HANDLE = "ceph.mon_get_version_reply.handle", "Handle", Uint, "Handle of the request.";
    VERSION = "ceph.mon_get_version_reply.version", "Version", Uint, "Newest version.";
    OLDEST = "ceph.mon_get_version_reply.oldest_version", "Oldest version", Uint, "Oldest version the monitor keeps.";
}

/// A decoded MMonGetVersion.
#[derive(Debug, Default)]
pub struct GetVersion {
    /// The request's handle, echoed by the reply (MMonGetVersion.h).
    pub handle: Sp<u64>,
    what: Sp<String>,
}

impl Body for GetVersion {
    const NODE: &'static FieldDef = &GET;
    /// messages/MMonGetVersion.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, h) = le64(&HANDLE)(i)?;
        self.handle = h;
        let (i, w) = string(&WHAT)(i)?;
        self.what = w;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uint(&HANDLE, &self.handle);
        o.str(&WHAT, &self.what);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_get_version(what={} handle={})",
            self.what.v, self.handle.v
        )
    }
}

/// A decoded MMonGetVersionReply.
#[derive(Debug, Default)]
pub struct GetVersionReply {
    /// The handle of the request answered.
    pub handle: Sp<u64>,
    version: Sp<u64>,
    oldest: Sp<u64>,
}

impl Body for GetVersionReply {
    const NODE: &'static FieldDef = &REPLY;
    /// messages/MMonGetVersionReply.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, h) = le64(&REPLY_HANDLE)(i)?;
        self.handle = h;
        let (mut i, v) = le64(&VERSION)(i)?;
        self.version = v;
        if p.version >= 2 {
            let (r, o) = le64(&OLDEST)(i)?;
            self.oldest = o;
            i = r;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uint(&REPLY_HANDLE, &self.handle);
        o.uint(&VERSION, &self.version);
        o.uint(&OLDEST, &self.oldest);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_get_version_reply(handle={} version={})",
            self.handle.v, self.version.v
        )
    }
}
