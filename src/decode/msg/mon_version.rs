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

use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
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
    handle: u64,
    what: String,
}

impl Body for GetVersion {
    const NODE: &'static FieldDef = &GET;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.handle = t.uint(&HANDLE, 8)?;
        self.what = t.string(&WHAT)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mon_get_version(what={} handle={})", self.what, self.handle)
    }
}

/// A decoded MMonGetVersionReply.
#[derive(Debug, Default)]
pub struct GetVersionReply {
    handle: u64,
    version: u64,
}

impl Body for GetVersionReply {
    const NODE: &'static FieldDef = &REPLY;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        self.handle = t.uint(&REPLY_HANDLE, 8)?;
        self.version = t.uint(&VERSION, 8)?;
        if p.version >= 2 {
            t.uint(&OLDEST, 8)?;
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "mon_get_version_reply(handle={} version={})",
            self.handle, self.version
        )
    }
}
