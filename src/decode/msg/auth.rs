//! auth (CEPH_MSG_AUTH, 17) and auth_reply (18): the msgr1-era
//! authentication exchange with a monitor (msgr2 authenticates in
//! AUTH_* frames instead). The auth payloads stay bytes.
//!
//! ```text
//! MAuth:       PaxosServiceMessage header | le32 protocol | bufferlist auth_payload
//!              | le32 monmap_epoch (when present)
//! MAuthReply:  le32 protocol | le32 result | le64 global_id | bufferlist result_bl
//!              | string result_msg
//! ```
//!
//! Sources: messages/MAuth.h, messages/MAuthReply.h (encode_payload, print).

use super::denc::{paxos, strerror, u32_of};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::FieldDef;

fields! {
    NODE = "ceph.auth", "Auth", None, "MAuth: an authentication request to a monitor.";
    PROTOCOL = "ceph.auth.protocol", "Protocol", Enum, "CEPH_AUTH_* (0 unknown: the payload lists supported ones).";
    PAYLOAD = "ceph.auth.payload", "Payload", Bytes, "The auth method's request.";
    MONMAP_EPOCH = "ceph.auth.monmap_epoch", "Monmap epoch", Uint, "The client's monmap epoch.";
    REPLY = "ceph.auth_reply", "Auth reply", None, "MAuthReply: a monitor's answer to an auth request.";
    REPLY_PROTOCOL = "ceph.auth_reply.protocol", "Protocol", Enum, "CEPH_AUTH_* chosen.";
    RESULT = "ceph.auth_reply.result", "Result", Int, "0 or a negative errno.";
    GLOBAL_ID = "ceph.auth_reply.global_id", "Global id", Uint, "Global id assigned to the client (0: none yet).";
    RESULT_PAYLOAD = "ceph.auth_reply.payload", "Payload", Bytes, "The auth method's reply.";
    RESULT_MSG = "ceph.auth_reply.msg", "Message", Str, "Result text.";
}

/// ceph_fs.h CEPH_AUTH_*.
fn protocol_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "unknown",
        1 => "none",
        2 => "cephx",
        4 => "gss",
        _ => return None,
    })
}

/// A decoded MAuth.
#[derive(Debug, Default)]
pub struct Auth {
    protocol: u32,
    payload_len: usize,
    epoch: u32,
}

impl Body for Auth {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        paxos(t)?;
        self.protocol = u32_of(t.enumerated(&PROTOCOL, 4, protocol_name)?);
        self.payload_len = t.blob(&PAYLOAD)?.len();
        // MAuth::decode_payload: the epoch is optional.
        if t.remaining() > 0 {
            self.epoch = u32_of(t.uint(&MONMAP_EPOCH, 4)?);
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "auth(proto {} {} bytes epoch {})",
            self.protocol, self.payload_len, self.epoch
        )
    }
}

/// A decoded MAuthReply.
#[derive(Debug, Default)]
pub struct AuthReply {
    protocol: u32,
    result: i64,
    msg: String,
}

impl Body for AuthReply {
    const NODE: &'static FieldDef = &REPLY;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.protocol = u32_of(t.enumerated(&REPLY_PROTOCOL, 4, protocol_name)?);
        self.result = t.int(&RESULT, 4)?;
        t.uint(&GLOBAL_ID, 8)?;
        t.blob(&RESULT_PAYLOAD)?;
        self.msg = t.string(&RESULT_MSG)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let mut s = format!(
            "auth_reply(proto {} {} {}",
            self.protocol,
            self.result,
            strerror(self.result)
        );
        if !self.msg.is_empty() {
            s.push_str(&format!(": {}", self.msg));
        }
        s.push(')');
        s
    }
}
