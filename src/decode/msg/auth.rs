//! auth (CEPH_MSG_AUTH, 17) and auth_reply (18): the msgr1-era
//! authentication exchange with a monitor (msgr2 authenticates in
//! AUTH_* frames instead, and uses these for cephx renewals inside a
//! session: new service tickets, a daemon's rotating secrets). A cephx
//! payload (protocol 2) is decoded inside its bufferlist: the request
//! (`cephx_request.rs`) and the mon's reply (`cephx_tickets.rs`); what is
//! encrypted stays bytes.
//!
//! ```text
//! MAuth:       PaxosServiceMessage header | le32 protocol | bufferlist auth_payload
//!              | le32 monmap_epoch (when present)
//! MAuthReply:  le32 protocol | le32 result | le64 global_id | bufferlist result_bl
//!              | string result_msg
//! ```
//!
//! Sources: messages/MAuth.h, messages/MAuthReply.h (encode_payload, print);
//! auth/cephx/CephxClientHandler.cc (build_request, handle_response).

use super::denc::{strerror, Paxos};
use super::out::{span_to, Out};
use super::{Body, MsgContext, Parts};
use crate::decode::cephx_request::MonRequest;
use crate::decode::cephx_tickets::MonReply;
use crate::decode::grammar::prim::{i32_, le32, le64, lenbytes, string};
use crate::decode::grammar::{note, offset, In, Note, NoteKind, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};
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
    PAYLOAD_CEPHX = "ceph.auth.cephx", "cephx request", None, "The payload of a cephx MAuth, decoded (CephXRequestHeader and what follows).";
    RESULT_CEPHX = "ceph.auth_reply.cephx", "cephx reply", None, "The payload of a cephx MAuthReply, decoded (CephXResponseHeader and the tickets; what is encrypted stays bytes).";
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

/// CEPH_AUTH_CEPHX (ceph_fs.h).
const CEPH_AUTH_CEPHX: u32 = 2;

/// A bufferlist's bytes as an input of their own (spans keep their frame
/// offsets), after its le32 length.
fn inner<'a>(def: &'static FieldDef, i: In<'a>) -> PResult<'a, In<'a>> {
    // The length checked (end_of_buffer past the payload) as any bufferlist.
    let (rest, (_, b)) = lenbytes(def, def)(i)?;
    let (after_len, _) = i.take_split(4);
    let (_, bytes) = after_len.take_split(b.v.len());
    Ok((rest, bytes))
}

/// Bytes a cephx structure left unread in its bufferlist: a note.
fn trailing(left: &In<'_>, def: &'static FieldDef) {
    let n = left.input_len();
    if n > 0 {
        note(
            left,
            Note {
                kind: NoteKind::Trailing,
                offset: offset(left),
                len: n,
                field: def.abbrev,
                expected: "end of the cephx payload".into(),
                found: format!("{n} more bytes"),
            },
        );
    }
}

/// A decoded MAuth.
#[derive(Debug, Default)]
pub struct Auth {
    paxos: Paxos,
    protocol: Sp<u32>,
    payload: Option<Sp<()>>,
    payload_len: usize,
    epoch: Sp<u32>,
    cephx: Option<MonRequest>,
}

impl Body for Auth {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MAuth.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, proto) = le32(&PROTOCOL)(i)?;
        self.protocol = proto;
        let at_payload = i;
        let (mut i, (sp, n)) = blob(&PAYLOAD, i)?;
        self.payload = sp;
        self.payload_len = n;
        if self.protocol.v == CEPH_AUTH_CEPHX && n > 0 {
            // CephxServiceHandler::handle_request reads it.
            let (_, bytes) = inner(&PAYLOAD, at_payload)?;
            let mut r = MonRequest::default();
            let res = r.parse(bytes);
            self.cephx = Some(r);
            let (left, ()) = res?;
            trailing(&left, &PAYLOAD);
        }
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
        match &self.cephx {
            Some(r) => o.group(&PAYLOAD_CEPHX, Value::None, None, |k| r.nodes(&mut k.n)),
            None => o.raw(&PAYLOAD, &self.payload, 4),
        }
        o.uint(&MONMAP_EPOCH, &self.epoch);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let what = match &self.cephx {
            Some(r) => format!(" {}", r.text()),
            None => String::new(),
        };
        format!(
            "auth(proto {} {} bytes epoch {}{what})",
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
    cephx: Option<MonReply>,
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
        let at_payload = i;
        let (i, (sp, n)) = blob(&RESULT_PAYLOAD, i)?;
        self.payload = sp;
        if self.protocol.v == CEPH_AUTH_CEPHX && n > 0 {
            // CephxClientHandler::handle_response reads it.
            let (_, bytes) = inner(&RESULT_PAYLOAD, at_payload)?;
            let mut r = MonReply::default();
            let res = r.parse(bytes);
            self.cephx = Some(r);
            let (left, ()) = res?;
            trailing(&left, &RESULT_PAYLOAD);
        }
        let (i, m) = string(&RESULT_MSG)(i)?;
        self.msg = m;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.named(&REPLY_PROTOCOL, &self.protocol, protocol_name);
        o.int(&RESULT, &self.result);
        o.uint(&GLOBAL_ID, &self.global_id);
        match &self.cephx {
            Some(r) => o.group(&RESULT_CEPHX, Value::None, None, |k| r.nodes(&mut k.n)),
            None => o.raw(&RESULT_PAYLOAD, &self.payload, 4),
        }
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
