//! Control frame payloads (frames_v2.h; RESEARCH.md A9): every tag's
//! fields with exact spans, and a one-line summary per frame.
//!
//! Segment 0 of a control frame is a plain concatenation of Ceph-encoded
//! fields, with no version header:
//!
//! ```text
//! HELLO                  u8 entity_type, entity_addr_t peer_addr
//! AUTH_REQUEST           le32 method, vector<le32> preferred_modes, bl auth_payload
//! AUTH_BAD_METHOD        le32 method, le32 result, vector<le32> allowed_methods, vector<le32> allowed_modes
//! AUTH_REPLY_MORE        bl auth_payload
//! AUTH_REQUEST_MORE      bl auth_payload
//! AUTH_DONE              le64 global_id, le32 con_mode, bl auth_payload
//! AUTH_SIGNATURE         32 bytes sha256
//! CLIENT_IDENT           entity_addrvec_t addrs, entity_addr_t target_addr, le64 gid, le64 global_seq,
//!                        le64 supported_features, le64 required_features, le64 flags, le64 client_cookie
//! SERVER_IDENT           entity_addrvec_t addrs, le64 gid, le64 global_seq, le64 supported_features,
//!                        le64 required_features, le64 flags, le64 server_cookie
//! IDENT_MISSING_FEATURES le64 features
//! SESSION_RECONNECT      entity_addrvec_t addrs, le64 client_cookie, le64 server_cookie,
//!                        le64 global_seq, le64 connect_seq, le64 msg_seq
//! SESSION_RESET          u8 full
//! SESSION_RETRY          le64 connect_seq
//! SESSION_RETRY_GLOBAL   le64 global_seq
//! SESSION_RECONNECT_OK   le64 msg_seq
//! WAIT                   (empty)
//! KEEPALIVE2(_ACK)       utime_t timestamp (le32 sec, le32 nsec)
//! ACK                    le64 seq
//! COMPRESSION_REQUEST    u8 is_compress, vector<le32> preferred_methods
//! COMPRESSION_DONE       u8 is_compress, le32 method
//! ```

use super::addr_tree::{addr_tree, addrvec_tree};
use super::auth::{self, auth_method_name, con_mode_name, entity_type_name};
use super::control_enc::Control;
use super::features;
use super::region::{len_region, list_text, rest, sub, utc_text, utime, vec_u32, Reg};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, FieldNode, Value};
use crate::msgr2::Tag;

fields! {
    RAW = "msgr2.payload.raw", "Payload bytes", Bytes, "Payload bytes of a frame whose layout is not decoded.";
    HELLO = "msgr2.hello", "HELLO", None, "HELLO: the sender's entity type and the peer's address as the sender sees it.";
    HELLO_ENTITY_TYPE = "msgr2.hello.entity_type", "Entity type", Enum, "The sender's entity type (CEPH_ENTITY_TYPE_*).";
    HELLO_PEER_ADDR = "msgr2.hello.peer_addr", "Peer address", Addr, "The receiver's address as the sender sees it (for address learning).";
    AUTH_REQUEST = "msgr2.auth_request", "AUTH_REQUEST", None, "AUTH_REQUEST: the client's auth method, connection modes and first auth payload.";
    AR_METHOD = "msgr2.auth_request.method", "Auth method", Enum, "CEPH_AUTH_* method (1 none, 2 cephx, 4 gss).";
    AR_MODES = "msgr2.auth_request.preferred_modes", "Preferred modes", Str, "Connection modes the client accepts, preferred first.";
    AR_MODES_COUNT = "msgr2.auth_request.preferred_modes.count", "Count", Uint, "Number of modes.";
    AR_MODE = "msgr2.auth_request.preferred_modes.mode", "Mode", Enum, "A connection mode (1 crc, 2 secure).";
    AR_PAYLOAD_LEN = "msgr2.auth_request.payload_len", "Auth payload length", Uint, "Bytes of the auth payload.";
    AR_PAYLOAD = "msgr2.auth_request.payload", "Auth payload", None, "The auth method's payload.";
    AUTH_BAD_METHOD = "msgr2.auth_bad_method", "AUTH_BAD_METHOD", None, "AUTH_BAD_METHOD: the server rejects the method or modes.";
    ABM_METHOD = "msgr2.auth_bad_method.method", "Auth method", Enum, "The rejected CEPH_AUTH_* method.";
    ABM_RESULT = "msgr2.auth_bad_method.result", "Result", Int, "-errno (e.g. -95 EOPNOTSUPP when no mode matches).";
    ABM_METHODS = "msgr2.auth_bad_method.allowed_methods", "Allowed methods", Str, "Methods the server accepts.";
    ABM_METHODS_COUNT = "msgr2.auth_bad_method.allowed_methods.count", "Count", Uint, "Number of methods.";
    ABM_METHOD_ITEM = "msgr2.auth_bad_method.allowed_methods.method", "Method", Enum, "An accepted CEPH_AUTH_* method.";
    ABM_MODES = "msgr2.auth_bad_method.allowed_modes", "Allowed modes", Str, "Connection modes the server accepts.";
    ABM_MODES_COUNT = "msgr2.auth_bad_method.allowed_modes.count", "Count", Uint, "Number of modes.";
    ABM_MODE_ITEM = "msgr2.auth_bad_method.allowed_modes.mode", "Mode", Enum, "An accepted connection mode.";
    AUTH_REPLY_MORE = "msgr2.auth_reply_more", "AUTH_REPLY_MORE", None, "AUTH_REPLY_MORE: the server's next auth round.";
    ARM_PAYLOAD_LEN = "msgr2.auth_reply_more.payload_len", "Auth payload length", Uint, "Bytes of the auth payload.";
    ARM_PAYLOAD = "msgr2.auth_reply_more.payload", "Auth payload", None, "The auth method's payload.";
    AUTH_REQUEST_MORE = "msgr2.auth_request_more", "AUTH_REQUEST_MORE", None, "AUTH_REQUEST_MORE: the client's next auth round.";
    ARQM_PAYLOAD_LEN = "msgr2.auth_request_more.payload_len", "Auth payload length", Uint, "Bytes of the auth payload.";
    ARQM_PAYLOAD = "msgr2.auth_request_more.payload", "Auth payload", None, "The auth method's payload.";
    AUTH_DONE = "msgr2.auth_done", "AUTH_DONE", None, "AUTH_DONE: auth succeeded; the client's global id and the connection mode.";
    AD_GLOBAL_ID = "msgr2.auth_done.global_id", "Global id", Uint, "The client's global id.";
    AD_CON_MODE = "msgr2.auth_done.con_mode", "Connection mode", Enum, "Negotiated mode: 1 crc, 2 secure (frames after AUTH_DONE use it).";
    AD_PAYLOAD_LEN = "msgr2.auth_done.payload_len", "Auth payload length", Uint, "Bytes of the auth payload.";
    AD_PAYLOAD = "msgr2.auth_done.payload", "Auth payload", None, "The auth method's payload.";
    AUTH_SIGNATURE = "msgr2.auth_signature", "AUTH_SIGNATURE", None, "AUTH_SIGNATURE: HMAC-SHA256 over the bytes received before it.";
    AS_SHA256 = "msgr2.auth_signature.sha256", "Signature", Bytes, "HMAC-SHA256 (session key) of the pre-auth bytes received; zeros with auth none.";
    CLIENT_IDENT = "msgr2.client_ident", "CLIENT_IDENT", None, "CLIENT_IDENT: the client's identity and session.";
    CI_ADDRS = "msgr2.client_ident.addrs", "Addresses", Str, "The client's own addresses.";
    CI_TARGET = "msgr2.client_ident.target_addr", "Target address", Addr, "The address the client connected to.";
    CI_GID = "msgr2.client_ident.gid", "Global id", Int, "The client's global id (its entity number).";
    CI_GLOBAL_SEQ = "msgr2.client_ident.global_seq", "Global seq", Uint, "The client's connection counter.";
    CI_SUPPORTED = "msgr2.client_ident.supported_features", "Supported features", Hex, "CEPH_FEATURE_* bits the client supports.";
    CI_REQUIRED = "msgr2.client_ident.required_features", "Required features", Hex, "CEPH_FEATURE_* bits the client requires.";
    CI_FLAGS = "msgr2.client_ident.flags", "Flags", Hex, "Bit 0: CEPH_MSG_CONNECT_LOSSY.";
    CI_LOSSY = "msgr2.client_ident.flags.lossy", "Lossy", Bool, "A lossy connection: no reconnect, messages may be lost.";
    CI_COOKIE = "msgr2.client_ident.cookie", "Client cookie", Hex, "Random cookie naming the client's session.";
    SERVER_IDENT = "msgr2.server_ident", "SERVER_IDENT", None, "SERVER_IDENT: the server's identity and session.";
    SI_ADDRS = "msgr2.server_ident.addrs", "Addresses", Str, "The server's addresses.";
    SI_GID = "msgr2.server_ident.gid", "Global id", Int, "The server's global id (its entity number).";
    SI_GLOBAL_SEQ = "msgr2.server_ident.global_seq", "Global seq", Uint, "The server's connection counter.";
    SI_SUPPORTED = "msgr2.server_ident.supported_features", "Supported features", Hex, "CEPH_FEATURE_* bits the server supports.";
    SI_REQUIRED = "msgr2.server_ident.required_features", "Required features", Hex, "CEPH_FEATURE_* bits the server requires.";
    SI_FLAGS = "msgr2.server_ident.flags", "Flags", Hex, "Bit 0: CEPH_MSG_CONNECT_LOSSY.";
    SI_LOSSY = "msgr2.server_ident.flags.lossy", "Lossy", Bool, "A lossy connection.";
    SI_COOKIE = "msgr2.server_ident.cookie", "Server cookie", Hex, "Random cookie naming the server's side of the session.";
    IDENT_MISSING_FEATURES = "msgr2.ident_missing_features", "IDENT_MISSING_FEATURES", None, "IDENT_MISSING_FEATURES: the client lacks features the server requires.";
    IMF_FEATURES = "msgr2.ident_missing_features.features", "Missing features", Hex, "Required CEPH_FEATURE_* bits the client lacks.";
    SESSION_RECONNECT = "msgr2.session_reconnect", "SESSION_RECONNECT", None, "SESSION_RECONNECT: the client resumes a session.";
    SR_ADDRS = "msgr2.session_reconnect.addrs", "Addresses", Str, "The client's addresses.";
    SR_CLIENT_COOKIE = "msgr2.session_reconnect.client_cookie", "Client cookie", Hex, "The session's client cookie.";
    SR_SERVER_COOKIE = "msgr2.session_reconnect.server_cookie", "Server cookie", Hex, "The session's server cookie.";
    SR_GLOBAL_SEQ = "msgr2.session_reconnect.global_seq", "Global seq", Uint, "The client's connection counter.";
    SR_CONNECT_SEQ = "msgr2.session_reconnect.connect_seq", "Connect seq", Uint, "Reconnects of this session so far.";
    SR_MSG_SEQ = "msgr2.session_reconnect.msg_seq", "Message seq", Uint, "Last message seq the client received.";
    SESSION_RESET = "msgr2.session_reset", "SESSION_RESET", None, "SESSION_RESET: the server drops the session.";
    SRESET_FULL = "msgr2.session_reset.full", "Full", Bool, "Reset the whole session (not just the connection).";
    SESSION_RETRY = "msgr2.session_retry", "SESSION_RETRY", None, "SESSION_RETRY: reconnect with a higher connect_seq.";
    SRETRY_CONNECT_SEQ = "msgr2.session_retry.connect_seq", "Connect seq", Uint, "The server's connect_seq.";
    SESSION_RETRY_GLOBAL = "msgr2.session_retry_global", "SESSION_RETRY_GLOBAL", None, "SESSION_RETRY_GLOBAL: reconnect with a higher global_seq.";
    SRG_GLOBAL_SEQ = "msgr2.session_retry_global.global_seq", "Global seq", Uint, "The server's global_seq for the peer.";
    SESSION_RECONNECT_OK = "msgr2.session_reconnect_ok", "SESSION_RECONNECT_OK", None, "SESSION_RECONNECT_OK: the session resumes.";
    SROK_MSG_SEQ = "msgr2.session_reconnect_ok.msg_seq", "Message seq", Uint, "Last message seq the server received.";
    WAIT = "msgr2.wait", "WAIT", None, "WAIT: the client lost a connection race and waits.";
    KEEPALIVE2 = "msgr2.keepalive2", "KEEPALIVE2", None, "KEEPALIVE2: a timestamped keepalive.";
    KA_TIMESTAMP = "msgr2.keepalive2.timestamp", "Timestamp", Time, "The sender's clock (utime_t).";
    KEEPALIVE2_ACK = "msgr2.keepalive2_ack", "KEEPALIVE2_ACK", None, "KEEPALIVE2_ACK: echo of a keepalive.";
    KAA_TIMESTAMP = "msgr2.keepalive2_ack.timestamp", "Timestamp", Time, "The timestamp of the KEEPALIVE2 answered.";
    ACK = "msgr2.ack", "ACK", None, "ACK: messages received up to a seq.";
    ACK_SEQ = "msgr2.ack.seq", "Seq", Uint, "Highest message seq received.";
    COMPRESSION_REQUEST = "msgr2.compression_request", "COMPRESSION_REQUEST", None, "COMPRESSION_REQUEST: the client asks for on-wire compression (Ceph 17+).";
    CR_IS_COMPRESS = "msgr2.compression_request.is_compress", "Compress", Bool, "Whether the client wants compression.";
    CR_METHODS = "msgr2.compression_request.preferred_methods", "Preferred methods", Str, "Compression algorithms, preferred first (none listed: any).";
    CR_METHODS_COUNT = "msgr2.compression_request.preferred_methods.count", "Count", Uint, "Number of algorithms.";
    CR_METHOD = "msgr2.compression_request.preferred_methods.method", "Method", Enum, "A compression algorithm (Compressor.h).";
    COMPRESSION_DONE = "msgr2.compression_done", "COMPRESSION_DONE", None, "COMPRESSION_DONE: the server's compression decision.";
    CD_IS_COMPRESS = "msgr2.compression_done.is_compress", "Compress", Bool, "Whether frames will be compressed.";
    CD_METHOD = "msgr2.compression_done.method", "Method", Enum, "The compression algorithm (Compressor.h).";
}

/// Compressor algorithm names (compressor/Compressor.h CompressionAlgorithm).
pub fn compression_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "none",
        1 => "snappy",
        2 => "zlib",
        3 => "zstd",
        4 => "lz4",
        5 => "brotli",
        _ => return None,
    })
}

/// Linux errno names for the negative results auth frames carry
/// (asm-generic/errno-base.h, errno.h).
pub fn errno_name(v: i64) -> Option<&'static str> {
    Some(match -v {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        11 => "EAGAIN",
        13 => "EACCES",
        16 => "EBUSY",
        22 => "EINVAL",
        95 => "EOPNOTSUPP",
        110 => "ETIMEDOUT",
        _ => return None,
    })
}

/// The group field of a tag's payload.
fn group_def(tag: Tag) -> Option<&'static FieldDef> {
    Some(match tag {
        Tag::Hello => &HELLO,
        Tag::AuthRequest => &AUTH_REQUEST,
        Tag::AuthBadMethod => &AUTH_BAD_METHOD,
        Tag::AuthReplyMore => &AUTH_REPLY_MORE,
        Tag::AuthRequestMore => &AUTH_REQUEST_MORE,
        Tag::AuthDone => &AUTH_DONE,
        Tag::AuthSignature => &AUTH_SIGNATURE,
        Tag::ClientIdent => &CLIENT_IDENT,
        Tag::ServerIdent => &SERVER_IDENT,
        Tag::IdentMissingFeatures => &IDENT_MISSING_FEATURES,
        Tag::SessionReconnect => &SESSION_RECONNECT,
        Tag::SessionReset => &SESSION_RESET,
        Tag::SessionRetry => &SESSION_RETRY,
        Tag::SessionRetryGlobal => &SESSION_RETRY_GLOBAL,
        Tag::SessionReconnectOk => &SESSION_RECONNECT_OK,
        Tag::Wait => &WAIT,
        Tag::Keepalive2 => &KEEPALIVE2,
        Tag::Keepalive2Ack => &KEEPALIVE2_ACK,
        Tag::Ack => &ACK,
        Tag::CompressionRequest => &COMPRESSION_REQUEST,
        Tag::CompressionDone => &COMPRESSION_DONE,
        Tag::Message | Tag::Unknown(_) => return None,
    })
}

/// Decode the payload of a control frame with tag `tag` into `t`: one
/// group named after the tag (`msgr2.hello`, ...) holding its fields.
pub fn tree(tag: Tag, t: &mut Tree<'_>) -> Res<()> {
    let n = t.remaining();
    sub(t, n, |t, reg| {
        let Some(def) = group_def(tag) else {
            return rest(t, &reg, &RAW);
        };
        let node = t.group(def, |t| fields(tag, t))?;
        node.summary = detail(tag, reg.bytes, None);
        Ok(())
    })
}

fn fields(tag: Tag, t: &mut Tree<'_>) -> Res<()> {
    match tag {
        Tag::Hello => {
            t.enumerated(&HELLO_ENTITY_TYPE, 1, entity_type_name)?;
            addr_field(t, &HELLO_PEER_ADDR)
        }
        Tag::AuthRequest => {
            let method = super::region::u32_of(t.enumerated(&AR_METHOD, 4, auth_method_name)?);
            vec_u32(t, &AR_MODES, &AR_MODES_COUNT, &AR_MODE, con_mode_name)?;
            auth_payload(t, &AR_PAYLOAD_LEN, &AR_PAYLOAD, |t, reg| {
                auth::request_payload(t, reg, method)
            })
        }
        Tag::AuthBadMethod => {
            t.enumerated(&ABM_METHOD, 4, auth_method_name)?;
            let (v, sp) = t.read_uint(4, ABM_RESULT.abbrev)?;
            let r = i64::from(i32::from_le_bytes(super::region::u32_of(v).to_le_bytes()));
            let mut node = FieldNode::new(&ABM_RESULT, Value::Int(r), Some(sp));
            node.summary = errno_name(r).map(|n| format!("{r} ({n})"));
            t.push(node);
            vec_u32(
                t,
                &ABM_METHODS,
                &ABM_METHODS_COUNT,
                &ABM_METHOD_ITEM,
                auth_method_name,
            )?;
            vec_u32(
                t,
                &ABM_MODES,
                &ABM_MODES_COUNT,
                &ABM_MODE_ITEM,
                con_mode_name,
            )?;
            Ok(())
        }
        Tag::AuthReplyMore => {
            auth_payload(t, &ARM_PAYLOAD_LEN, &ARM_PAYLOAD, auth::reply_more_payload)
        }
        Tag::AuthRequestMore => auth_payload(
            t,
            &ARQM_PAYLOAD_LEN,
            &ARQM_PAYLOAD,
            auth::request_more_payload,
        ),
        Tag::AuthDone => {
            t.uint(&AD_GLOBAL_ID, 8)?;
            t.enumerated(&AD_CON_MODE, 4, con_mode_name)?;
            auth_payload(t, &AD_PAYLOAD_LEN, &AD_PAYLOAD, auth::done_payload)
        }
        Tag::AuthSignature => t.bytes(&AS_SHA256, 32).map(|_| ()),
        Tag::ClientIdent => {
            addrvec_field(t, &CI_ADDRS)?;
            addr_field(t, &CI_TARGET)?;
            ident_tail(
                t,
                [
                    &CI_GID,
                    &CI_GLOBAL_SEQ,
                    &CI_SUPPORTED,
                    &CI_REQUIRED,
                    &CI_FLAGS,
                    &CI_LOSSY,
                    &CI_COOKIE,
                ],
            )
        }
        Tag::ServerIdent => {
            addrvec_field(t, &SI_ADDRS)?;
            ident_tail(
                t,
                [
                    &SI_GID,
                    &SI_GLOBAL_SEQ,
                    &SI_SUPPORTED,
                    &SI_REQUIRED,
                    &SI_FLAGS,
                    &SI_LOSSY,
                    &SI_COOKIE,
                ],
            )
        }
        Tag::IdentMissingFeatures => features::field(t, &IMF_FEATURES).map(|_| ()),
        Tag::SessionReconnect => {
            addrvec_field(t, &SR_ADDRS)?;
            for def in [
                &SR_CLIENT_COOKIE,
                &SR_SERVER_COOKIE,
                &SR_GLOBAL_SEQ,
                &SR_CONNECT_SEQ,
                &SR_MSG_SEQ,
            ] {
                t.uint(def, 8)?;
            }
            Ok(())
        }
        Tag::SessionReset => t.bool(&SRESET_FULL).map(|_| ()),
        Tag::SessionRetry => t.uint(&SRETRY_CONNECT_SEQ, 8).map(|_| ()),
        Tag::SessionRetryGlobal => t.uint(&SRG_GLOBAL_SEQ, 8).map(|_| ()),
        Tag::SessionReconnectOk => t.uint(&SROK_MSG_SEQ, 8).map(|_| ()),
        Tag::Wait => Ok(()),
        Tag::Keepalive2 => utime(t, &KA_TIMESTAMP).map(|_| ()),
        Tag::Keepalive2Ack => utime(t, &KAA_TIMESTAMP).map(|_| ()),
        Tag::Ack => t.uint(&ACK_SEQ, 8).map(|_| ()),
        Tag::CompressionRequest => {
            t.bool(&CR_IS_COMPRESS)?;
            vec_u32(
                t,
                &CR_METHODS,
                &CR_METHODS_COUNT,
                &CR_METHOD,
                compression_name,
            )
            .map(|_| ())
        }
        Tag::CompressionDone => {
            t.bool(&CD_IS_COMPRESS)?;
            t.enumerated(&CD_METHOD, 4, compression_name).map(|_| ())
        }
        Tag::Message | Tag::Unknown(_) => Ok(()),
    }
}

/// An `entity_addr_t` under a frame-level field of `def` (value: its text).
fn addr_field(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<()> {
    let mut text = None;
    let node = t.group(def, |t| {
        text = Some(addr_tree(t)?.to_string());
        Ok(())
    })?;
    if let Some(s) = text {
        node.value = Value::Addr(s);
    }
    Ok(())
}

/// An `entity_addrvec_t` under a frame-level field of `def`.
fn addrvec_field(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<()> {
    let mut text = None;
    let node = t.group(def, |t| {
        text = Some(addrvec_tree(t)?.to_string());
        Ok(())
    })?;
    if let Some(s) = text {
        node.value = Value::Str(s);
    }
    Ok(())
}

/// gid, global_seq, supported, required, flags (+ lossy), cookie.
fn ident_tail(t: &mut Tree<'_>, defs: [&'static FieldDef; 7]) -> Res<()> {
    let [gid, gseq, supported, required, flags, lossy, cookie] = defs;
    t.int(gid, 8)?;
    t.uint(gseq, 8)?;
    features::field(t, supported)?;
    features::field(t, required)?;
    let (v, sp) = t.read_uint(8, flags.abbrev)?;
    let mut node = FieldNode::new(flags, Value::Uint(v), Some(sp));
    // msgr.h CEPH_MSG_CONNECT_LOSSY.
    node.children
        .push(FieldNode::new(lossy, Value::Bool(v & 1 != 0), None));
    t.push(node);
    t.uint(cookie, 8)?;
    Ok(())
}

/// A bufferlist auth payload: its length, then (when not empty) a group
/// of `group` decoded by `build`.
fn auth_payload<'a>(
    t: &mut Tree<'a>,
    len: &'static FieldDef,
    group: &'static FieldDef,
    build: impl FnOnce(&mut Tree<'a>, Reg<'a>) -> Res<()>,
) -> Res<()> {
    len_region(t, len, |t, reg| {
        if reg.len > 0 {
            t.group(group, |t| build(t, reg))?;
        }
        Ok(())
    })
}

/// Decode a control payload once (segment 0 at frame offset `base`): the
/// `msgr2.payload` node over it and the text after the tag.
pub fn decode(
    tag: Tag,
    payload: &[u8],
    base: usize,
    src: crate::model::Source,
    sender_type: Option<u8>,
) -> super::grammar::Decoded {
    let mut t = Tree::new(payload, base, src);
    let res = tree(tag, &mut t);
    let mut node = FieldNode::new(
        &super::frame_tree::PAYLOAD,
        Value::None,
        Some(crate::model::Span {
            source: src,
            range: base..base.saturating_add(payload.len()),
        }),
    );
    node.children = t.finish_with(res);
    super::grammar::Decoded {
        nodes: vec![node],
        text: detail(tag, payload, sender_type),
        ..Default::default()
    }
}

/// A one-line description of a control frame for the frame list, e.g.
/// `HELLO mon peer_addr=v2:127.0.0.1:42644/0`. `None` for MESSAGE and
/// unknown tags, and for payloads that end early.
pub fn summary(tag: Tag, payload: &[u8]) -> Option<String> {
    summary_for(tag, payload, None)
}

/// [`summary`], naming the sender's entity (as its HELLO told) in
/// CLIENT_IDENT and SERVER_IDENT, e.g. `CLIENT_IDENT client.4123 gid=4123 ...`.
pub fn summary_for(tag: Tag, payload: &[u8], sender_type: Option<u8>) -> Option<String> {
    let d = detail(tag, payload, sender_type)?;
    Some(if d.is_empty() {
        tag.to_string()
    } else {
        format!("{tag} {d}")
    })
}

fn u32_list(v: &[u32], names: fn(u64) -> Option<&'static str>) -> String {
    let v: Vec<u64> = v.iter().map(|x| u64::from(*x)).collect();
    list_text(&v, names)
}

fn name_of(v: u32, names: fn(u64) -> Option<&'static str>) -> String {
    names(u64::from(v)).map_or_else(|| v.to_string(), str::to_string)
}

/// The summary without the tag name.
fn detail(tag: Tag, payload: &[u8], sender_type: Option<u8>) -> Option<String> {
    let ent = |gid: i64| {
        sender_type
            .and_then(|ty| entity_type_name(u64::from(ty)))
            .map_or_else(String::new, |n| format!("{n}.{gid} "))
    };
    let lossy = |flags: u64| if flags & 1 != 0 { " lossy" } else { "" };
    Some(match Control::decode(tag, payload)? {
        Control::Hello(h) => {
            format!(
                "{} peer_addr={}",
                name_of(u32::from(h.entity_type), entity_type_name),
                h.peer_addr
            )
        }
        Control::AuthRequest(a) => {
            let mut s = format!(
                "method={} modes={}",
                name_of(a.method, auth_method_name),
                u32_list(&a.preferred_modes, con_mode_name)
            );
            if let Some(p) = auth::request_summary(a.method, &a.auth_payload) {
                s.push(' ');
                s.push_str(&p);
            }
            s
        }
        Control::AuthBadMethod(b) => {
            let err =
                errno_name(i64::from(b.result)).map_or_else(String::new, |n| format!(" ({n})"));
            format!(
                "method={} result={}{err} allowed_methods={} allowed_modes={}",
                name_of(b.method, auth_method_name),
                b.result,
                u32_list(&b.allowed_methods, auth_method_name),
                u32_list(&b.allowed_modes, con_mode_name)
            )
        }
        Control::AuthReplyMore(m) => match m.auth_payload.as_slice() {
            [1, ch @ ..] if ch.len() == 8 => {
                let c = u64::from_le_bytes(ch.try_into().ok()?);
                format!("server_challenge={c:#018x}")
            }
            p => format!("{} bytes", p.len()),
        },
        Control::AuthRequestMore(m) => match m.auth_payload.as_slice() {
            [0x00, 0x01, ..] => format!("get_auth_session_key, {} bytes", m.auth_payload.len()),
            [1..=9, ..] => format!("authorizer, {} bytes", m.auth_payload.len()),
            p => format!("{} bytes", p.len()),
        },
        Control::AuthDone(d) => format!(
            "global_id={} mode={}",
            d.global_id,
            name_of(d.con_mode, con_mode_name)
        ),
        Control::AuthSignature(s) => {
            let head: String = s
                .sha256
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256={head}...")
        }
        Control::ClientIdent(c) => format!(
            "{}gid={} addrs={} target={} gseq={} cookie={:#x}{}",
            ent(c.gid),
            c.gid,
            c.addrs,
            c.target_addr,
            c.global_seq,
            c.cookie,
            lossy(c.flags)
        ),
        Control::ServerIdent(c) => format!(
            "{}gid={} addrs={} gseq={} cookie={:#x}{}",
            ent(c.gid),
            c.gid,
            c.addrs,
            c.global_seq,
            c.cookie,
            lossy(c.flags)
        ),
        Control::IdentMissingFeatures(m) => {
            format!(
                "features={:#x} ({})",
                m.features,
                features::names(m.features).join(",")
            )
        }
        Control::SessionReconnect(r) => format!(
            "addrs={} client_cookie={:#x} server_cookie={:#x} gseq={} cseq={} msg_seq={}",
            r.addrs, r.client_cookie, r.server_cookie, r.global_seq, r.connect_seq, r.msg_seq
        ),
        Control::SessionReset(r) => format!("full={}", r.full),
        Control::SessionRetry(r) => format!("connect_seq={}", r.connect_seq),
        Control::SessionRetryGlobal(r) => format!("global_seq={}", r.global_seq),
        Control::SessionReconnectOk(r) => format!("msg_seq={}", r.msg_seq),
        Control::Wait => String::new(),
        Control::Keepalive2(s) | Control::Keepalive2Ack(s) => utc_text(i64::from(s.sec), s.nsec),
        Control::Ack(a) => format!("seq={}", a.seq),
        Control::CompressionRequest(c) => {
            let m = if c.preferred_methods.is_empty() {
                "any".into()
            } else {
                u32_list(&c.preferred_methods, compression_name)
            };
            format!("compress={} methods={m}", c.is_compress)
        }
        Control::CompressionDone(c) => {
            format!(
                "compress={} method={}",
                c.is_compress,
                name_of(c.method, compression_name)
            )
        }
    })
}
