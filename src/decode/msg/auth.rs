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

use super::denc::{strerror, Paxos};
use super::out::{span_to, Out};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{i32_, le32, le64, lenbytes, string};
use crate::decode::grammar::{offset, In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;
use nom::Input;

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

/// A bufferlist field: its span (length and bytes) and byte count.
fn blob<'a>(def: &'static FieldDef, i: In<'a>) -> PResult<'a, (Option<Sp<()>>, usize)> {
    let at = offset(&i);
    let (r, (_, b)) = lenbytes(def, def)(i)?;
    Ok((r, (Some(span_to(at, &r)), b.len)))
}

/// A decoded MAuth.
#[derive(Debug, Default)]
pub struct Auth {
    paxos: Paxos,
    protocol: Sp<u32>,
    payload: Option<Sp<()>>,
    payload_len: usize,
    epoch: Sp<u32>,
}

impl Body for Auth {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MAuth.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, proto) = le32(&PROTOCOL)(i)?;
        self.protocol = proto;
        let (mut i, (sp, n)) = blob(&PAYLOAD, i)?;
        self.payload = sp;
        self.payload_len = n;
        // MAuth::decode_payload: the epoch is read only when bytes are left.
        if i.input_len() > 0 {
            let (r, e) = le32(&MONMAP_EPOCH)(i)?;
            self.epoch = e;
            i = r;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.named(&PROTOCOL, &self.protocol, protocol_name);
        o.raw(&PAYLOAD, &self.payload, 4);
        o.uint(&MONMAP_EPOCH, &self.epoch);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "auth(proto {} {} bytes epoch {})",
            self.protocol.v, self.payload_len, self.epoch.v
        )
    }
}

/// A decoded MAuthReply.
#[derive(Debug, Default)]
pub struct AuthReply {
    protocol: Sp<u32>,
    result: Sp<i32>,
    global_id: Sp<u64>,
    payload: Option<Sp<()>>,
    msg: Sp<String>,
}

impl Body for AuthReply {
    const NODE: &'static FieldDef = &REPLY;
    /// messages/MAuthReply.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, proto) = le32(&REPLY_PROTOCOL)(i)?;
        self.protocol = proto;
        let (i, r) = i32_(&RESULT)(i)?;
        self.result = r;
        let (i, g) = le64(&GLOBAL_ID)(i)?;
        self.global_id = g;
        let (i, (sp, _)) = blob(&RESULT_PAYLOAD, i)?;
        self.payload = sp;
        let (i, m) = string(&RESULT_MSG)(i)?;
        self.msg = m;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.named(&REPLY_PROTOCOL, &self.protocol, protocol_name);
        o.int(&RESULT, &self.result);
        o.uint(&GLOBAL_ID, &self.global_id);
        o.raw(&RESULT_PAYLOAD, &self.payload, 4);
        o.str(&RESULT_MSG, &self.msg);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let result = i64::from(self.result.v);
        let mut s = format!(
            "auth_reply(proto {} {} {}",
            self.protocol.v,
            result,
            strerror(result)
        );
        if !self.msg.v.is_empty() {
            s.push_str(&format!(": {}", self.msg.v));
        }
        s.push(')');
        s
    }
}
