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

use super::control_enc::*;
use super::grammar::view::Nodes;
use super::grammar::{run, Decoded, DencError, In, Note, PResult};
use crate::fields;
use crate::model::tree::TRAILING;
use crate::model::{FieldDef, FieldNode, Source, Span, Value};
use crate::msgr2::Tag;
use std::cell::RefCell;

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

/// Control payloads by tag, and the types they decode to.
macro_rules! control {
    ($( $var:ident($ty:ty) = $tag:ident, )*) => {
        /// Any control payload.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Control {
            $( $var($ty), )*
        }

        impl Control {
            /// The frame tag carrying this payload.
            pub fn tag(&self) -> Tag {
                match self {
                    $( Control::$var(_) => Tag::$tag, )*
                }
            }

            /// An empty payload of `tag`, to parse into (`None`: not a
            /// control tag).
            pub fn empty(tag: Tag) -> Option<Control> {
                Some(match tag {
                    $( Tag::$tag => Control::$var(<$ty>::default()), )*
                    _ => return None,
                })
            }

            fn layout(&self) -> &dyn Layout {
                match self {
                    $( Control::$var(x) => x, )*
                }
            }

            fn layout_mut(&mut self) -> &mut dyn Layout {
                match self {
                    $( Control::$var(x) => x, )*
                }
            }
        }
    };
}

/// `encode()` on each layout type.
macro_rules! encoders {
    ($( $ty:ty ),*) => {
        $(
            impl $ty {
                /// The payload bytes.
                pub fn encode(&self) -> Vec<u8> {
                    let mut o = Vec::new();
                    self.put(&mut o);
                    o
                }
            }
        )*
    };
}

encoders!(
    Hello,
    AuthRequest,
    AuthBadMethod,
    AuthReplyMore,
    AuthRequestMore,
    AuthDone,
    AuthSignature,
    ClientIdent,
    ServerIdent,
    IdentMissingFeatures,
    SessionReconnect,
    SessionReset,
    SessionRetry,
    SessionRetryGlobal,
    SessionReconnectOk,
    Wait,
    Stamp,
    Ack,
    CompressionRequest,
    CompressionDone
);

control! {
    Hello(Hello) = Hello,
    AuthRequest(AuthRequest) = AuthRequest,
    AuthBadMethod(AuthBadMethod) = AuthBadMethod,
    AuthReplyMore(AuthReplyMore) = AuthReplyMore,
    AuthRequestMore(AuthRequestMore) = AuthRequestMore,
    AuthDone(AuthDone) = AuthDone,
    AuthSignature(AuthSignature) = AuthSignature,
    ClientIdent(ClientIdent) = ClientIdent,
    ServerIdent(ServerIdent) = ServerIdent,
    IdentMissingFeatures(IdentMissingFeatures) = IdentMissingFeatures,
    SessionReconnect(SessionReconnect) = SessionReconnect,
    SessionReset(SessionReset) = SessionReset,
    SessionRetry(SessionRetry) = SessionRetry,
    SessionRetryGlobal(SessionRetryGlobal) = SessionRetryGlobal,
    SessionReconnectOk(SessionReconnectOk) = SessionReconnectOk,
    Wait(Wait) = Wait,
    Keepalive2(Stamp) = Keepalive2,
    Keepalive2Ack(Stamp) = Keepalive2Ack,
    Ack(Ack) = Ack,
    CompressionRequest(CompressionRequest) = CompressionRequest,
    CompressionDone(CompressionDone) = CompressionDone,
}

impl Control {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = Vec::new();
        self.layout().put(&mut o);
        o
    }

    /// Fill `self` from `i` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let ack = matches!(self, Control::Keepalive2Ack(_));
        self.layout_mut().parse(i).map_err(|e| {
            // KEEPALIVE2 and KEEPALIVE2_ACK share a layout; name the field
            // of the tag at hand.
            e.map(|mut d| {
                if ack && d.field == Some(KA_TIMESTAMP.abbrev) {
                    d.field = Some(KAA_TIMESTAMP.abbrev);
                }
                d
            })
        })
    }

    /// The fields read, under the tag's group.
    pub fn nodes(&self, n: &mut Nodes) {
        self.layout().nodes(self.tag(), n);
    }

    /// The text after the tag (`sender`: the sender's entity type, which
    /// names the entity in CLIENT_IDENT and SERVER_IDENT).
    pub fn text(&self, sender: Option<u8>) -> String {
        self.layout().text(sender)
    }

    /// Parse the payload of a frame with tag `tag`: the value, or the
    /// first fault (bytes after the last field are ignored, as Ceph does).
    pub fn read(tag: Tag, payload: &[u8]) -> Result<Control, Option<DencError>> {
        let mut c = Control::empty(tag).ok_or(None)?;
        let def = group_def(tag).ok_or(None)?;
        let notes = RefCell::new(Vec::new());
        run(payload, 0, def, &notes, |i| c.parse(i)).map_err(Some)?;
        Ok(c)
    }

    /// [`Control::read`], the value only.
    pub fn decode(tag: Tag, payload: &[u8]) -> Option<Control> {
        Control::read(tag, payload).ok()
    }
}

/// Decode a control payload once (segment 0 at frame offset `base`): the
/// `msgr2.payload` node over it (the tag's group holding the fields read,
/// then the fault or the bytes after the last field), the text after the
/// tag, the fault where Ceph's decoder would throw, and the notes.
pub fn decode(
    tag: Tag,
    payload: &[u8],
    base: usize,
    src: Source,
    sender_type: Option<u8>,
) -> Decoded {
    decode_typed(tag, payload, base, src, sender_type).0
}

/// [`decode`], also giving the typed value when the payload decoded whole
/// (what session tracking reads: entity types, gids, cookies).
pub fn decode_typed(
    tag: Tag,
    payload: &[u8],
    base: usize,
    src: Source,
    sender_type: Option<u8>,
) -> (Decoded, Option<Control>) {
    let p = Parsed::parse(tag, payload, base);
    let out = Decoded {
        nodes: p.nodes(payload, base, src),
        text: p.text(sender_type),
        error: p.error.clone(),
        notes: p.notes.clone(),
    };
    (out, p.whole().cloned())
}

/// A control payload parsed once: the typed value (whole, or as far as
/// the bytes went), the bytes it used, the fault and the notes. Its nodes
/// and text are views made when asked.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    tag: Option<Tag>,
    value: Option<Control>,
    used: usize,
    /// The first fault, where Ceph's decoder would throw.
    pub error: Option<DencError>,
    /// Bytes Ceph would skip.
    pub notes: Vec<Note>,
}

impl Parsed {
    /// Parse `payload` (segment 0 of a frame with tag `tag`, at frame
    /// offset `base`).
    pub fn parse(tag: Tag, payload: &[u8], base: usize) -> Parsed {
        let mut out = Parsed {
            tag: Some(tag),
            ..Parsed::default()
        };
        let notes = RefCell::new(Vec::new());
        if let (Some(mut c), Some(def)) = (Control::empty(tag), group_def(tag)) {
            let res = run(payload, base, def, &notes, |i| {
                let start = super::grammar::offset(&i);
                let (rest, ()) = c.parse(i)?;
                let used = super::grammar::offset(&rest).saturating_sub(start);
                Ok((rest, used))
            });
            match res {
                Ok(used) => out.used = used,
                Err(e) => out.error = Some(e),
            }
            out.value = Some(c);
        }
        out.notes = notes.into_inner();
        out
    }

    /// The typed value, when the payload decoded whole.
    pub fn whole(&self) -> Option<&Control> {
        self.value.as_ref().filter(|_| self.error.is_none())
    }

    /// The text after the tag, when the payload decoded whole (`sender`:
    /// the sender's entity type).
    pub fn text(&self, sender: Option<u8>) -> Option<String> {
        self.whole().map(|c| c.text(sender))
    }

    /// The `msgr2.payload` node over `payload`: the tag's group holding
    /// the fields read, then the fault or the bytes after the last field.
    pub fn nodes(&self, payload: &[u8], base: usize, src: Source) -> Vec<FieldNode> {
        let mut n = Nodes::new(src);
        let whole = |at: usize, len: usize| Span {
            source: src,
            range: at..at.saturating_add(len),
        };
        let def = self.tag.and_then(group_def);
        match (&self.value, def) {
            (Some(c), Some(def)) => match &self.error {
                None => {
                    n.group(def, Value::None, base, self.used, |g| c.nodes(g))
                        .summary(c.text(None));
                    if let Some(rest) = payload.get(self.used..).filter(|r| !r.is_empty()) {
                        let sp = whole(base.saturating_add(self.used), rest.len());
                        n.push(FieldNode::new(
                            &TRAILING,
                            Value::Bytes(rest.to_vec()),
                            Some(sp),
                        ));
                    }
                }
                Some(e) => {
                    n.wrap(def, Value::None, |g| c.nodes(g)).fault(e);
                }
            },
            _ if payload.is_empty() => {}
            _ => {
                let sp = whole(base, payload.len());
                n.push(FieldNode::new(
                    &RAW,
                    Value::Bytes(payload.to_vec()),
                    Some(sp),
                ));
            }
        }
        let mut node = FieldNode::new(
            &super::frame_tree::PAYLOAD,
            Value::None,
            Some(whole(base, payload.len())),
        );
        node.children = n.finish();
        vec![node]
    }
}

/// A one-line description of a control frame for the frame list, e.g.
/// `HELLO mon peer_addr=v2:127.0.0.1:42644/0`. `None` for MESSAGE and
/// unknown tags, and for payloads Ceph's decoder would refuse.
pub fn summary(tag: Tag, payload: &[u8]) -> Option<String> {
    summary_for(tag, payload, None)
}

/// [`summary`], naming the sender's entity (as its HELLO told) in
/// CLIENT_IDENT and SERVER_IDENT, e.g. `CLIENT_IDENT client.4123 gid=4123 ...`.
pub fn summary_for(tag: Tag, payload: &[u8], sender_type: Option<u8>) -> Option<String> {
    let d = Control::decode(tag, payload)?.text(sender_type);
    Some(if d.is_empty() {
        tag.to_string()
    } else {
        format!("{tag} {d}")
    })
}
