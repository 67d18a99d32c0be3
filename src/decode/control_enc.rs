//! Typed control payloads: one struct per frame tag, each with `encode()`
//! giving the bytes Ceph writes (frames_v2.h; RESEARCH.md A9) and, through
//! [`Control::decode`], the way back. The encoders build test payloads;
//! the decoder serves one-line summaries without building field trees.

use super::addr::{AddrVec, EntityAddr};
use super::region::{put, Rd};
use crate::msgr2::Tag;

/// HELLO: the sender's entity type and the peer's address as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// CEPH_ENTITY_TYPE_* of the sender.
    pub entity_type: u8,
    /// The peer's address.
    pub peer_addr: EntityAddr,
}

/// AUTH_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthRequest {
    /// CEPH_AUTH_* method.
    pub method: u32,
    /// CEPH_CON_MODE_* values, preferred first.
    pub preferred_modes: Vec<u32>,
    /// Method-specific payload.
    pub auth_payload: Vec<u8>,
}

/// AUTH_BAD_METHOD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthBadMethod {
    /// The rejected method.
    pub method: u32,
    /// -errno.
    pub result: i32,
    /// Methods the server accepts.
    pub allowed_methods: Vec<u32>,
    /// Modes the server accepts.
    pub allowed_modes: Vec<u32>,
}

/// AUTH_REPLY_MORE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthReplyMore {
    /// Method-specific payload.
    pub auth_payload: Vec<u8>,
}

/// AUTH_REQUEST_MORE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthRequestMore {
    /// Method-specific payload.
    pub auth_payload: Vec<u8>,
}

/// AUTH_DONE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthDone {
    /// The client's global id.
    pub global_id: u64,
    /// Negotiated CEPH_CON_MODE_*.
    pub con_mode: u32,
    /// Method-specific payload.
    pub auth_payload: Vec<u8>,
}

/// AUTH_SIGNATURE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthSignature {
    /// HMAC-SHA256 over the bytes received before it.
    pub sha256: [u8; 32],
}

/// CLIENT_IDENT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientIdent {
    /// The client's own addresses.
    pub addrs: AddrVec,
    /// The address it connected to.
    pub target_addr: EntityAddr,
    /// Global id.
    pub gid: i64,
    /// Global connection sequence.
    pub global_seq: u64,
    /// CEPH_FEATURE_* supported.
    pub supported_features: u64,
    /// CEPH_FEATURE_* required.
    pub required_features: u64,
    /// Flags (bit 0 lossy).
    pub flags: u64,
    /// Client cookie.
    pub cookie: u64,
}

/// SERVER_IDENT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerIdent {
    /// The server's addresses.
    pub addrs: AddrVec,
    /// Global id.
    pub gid: i64,
    /// Global connection sequence.
    pub global_seq: u64,
    /// CEPH_FEATURE_* supported.
    pub supported_features: u64,
    /// CEPH_FEATURE_* required.
    pub required_features: u64,
    /// Flags (bit 0 lossy).
    pub flags: u64,
    /// Server cookie.
    pub cookie: u64,
}

/// IDENT_MISSING_FEATURES.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentMissingFeatures {
    /// Required features the peer lacks.
    pub features: u64,
}

/// SESSION_RECONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionReconnect {
    /// The client's addresses.
    pub addrs: AddrVec,
    /// Client cookie.
    pub client_cookie: u64,
    /// Server cookie.
    pub server_cookie: u64,
    /// Global sequence.
    pub global_seq: u64,
    /// Connect sequence.
    pub connect_seq: u64,
    /// Last message seq received.
    pub msg_seq: u64,
}

/// SESSION_RESET.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionReset {
    /// Reset the whole session.
    pub full: bool,
}

/// SESSION_RETRY.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionRetry {
    /// Connect sequence to retry with.
    pub connect_seq: u64,
}

/// SESSION_RETRY_GLOBAL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionRetryGlobal {
    /// Global sequence to retry with.
    pub global_seq: u64,
}

/// SESSION_RECONNECT_OK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionReconnectOk {
    /// Last message seq the server received.
    pub msg_seq: u64,
}

/// KEEPALIVE2 and KEEPALIVE2_ACK: a `utime_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    /// Seconds since the epoch.
    pub sec: u32,
    /// Nanoseconds.
    pub nsec: u32,
}

/// ACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ack {
    /// Highest message seq received.
    pub seq: u64,
}

/// COMPRESSION_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionRequest {
    /// Whether to compress.
    pub is_compress: bool,
    /// Compressor algorithm ids, preferred first (empty: any).
    pub preferred_methods: Vec<u32>,
}

/// COMPRESSION_DONE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionDone {
    /// Whether frames will be compressed.
    pub is_compress: bool,
    /// Compressor algorithm id.
    pub method: u32,
}

/// Any control payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Control {
    Hello(Hello),
    AuthRequest(AuthRequest),
    AuthBadMethod(AuthBadMethod),
    AuthReplyMore(AuthReplyMore),
    AuthRequestMore(AuthRequestMore),
    AuthDone(AuthDone),
    AuthSignature(AuthSignature),
    ClientIdent(ClientIdent),
    ServerIdent(ServerIdent),
    IdentMissingFeatures(IdentMissingFeatures),
    SessionReconnect(SessionReconnect),
    SessionReset(SessionReset),
    SessionRetry(SessionRetry),
    SessionRetryGlobal(SessionRetryGlobal),
    SessionReconnectOk(SessionReconnectOk),
    Wait,
    Keepalive2(Stamp),
    Keepalive2Ack(Stamp),
    Ack(Ack),
    CompressionRequest(CompressionRequest),
    CompressionDone(CompressionDone),
}

fn u64s(out: &mut Vec<u8>, vals: &[u64]) {
    for v in vals {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

macro_rules! encoders {
    ($( $ty:ident |$s:ident, $o:ident| $body:block )*) => {
        $(
            impl $ty {
                /// The payload bytes.
                pub fn encode(&self) -> Vec<u8> {
                    let $s = self;
                    let mut $o = Vec::new();
                    $body
                    $o
                }
            }
        )*
    };
}

encoders! {
    Hello |s, o| {
        o.push(s.entity_type);
        s.peer_addr.encode(&mut o);
    }
    AuthRequest |s, o| {
        o.extend_from_slice(&s.method.to_le_bytes());
        put::vec_u32(&mut o, &s.preferred_modes);
        put::bl(&mut o, &s.auth_payload);
    }
    AuthBadMethod |s, o| {
        o.extend_from_slice(&s.method.to_le_bytes());
        o.extend_from_slice(&s.result.to_le_bytes());
        put::vec_u32(&mut o, &s.allowed_methods);
        put::vec_u32(&mut o, &s.allowed_modes);
    }
    AuthReplyMore |s, o| {
        put::bl(&mut o, &s.auth_payload);
    }
    AuthRequestMore |s, o| {
        put::bl(&mut o, &s.auth_payload);
    }
    AuthDone |s, o| {
        o.extend_from_slice(&s.global_id.to_le_bytes());
        o.extend_from_slice(&s.con_mode.to_le_bytes());
        put::bl(&mut o, &s.auth_payload);
    }
    AuthSignature |s, o| {
        o.extend_from_slice(&s.sha256);
    }
    ClientIdent |s, o| {
        s.addrs.encode(&mut o);
        s.target_addr.encode(&mut o);
        o.extend_from_slice(&s.gid.to_le_bytes());
        u64s(&mut o, &[s.global_seq, s.supported_features, s.required_features, s.flags, s.cookie]);
    }
    ServerIdent |s, o| {
        s.addrs.encode(&mut o);
        o.extend_from_slice(&s.gid.to_le_bytes());
        u64s(&mut o, &[s.global_seq, s.supported_features, s.required_features, s.flags, s.cookie]);
    }
    IdentMissingFeatures |s, o| {
        u64s(&mut o, &[s.features]);
    }
    SessionReconnect |s, o| {
        s.addrs.encode(&mut o);
        u64s(&mut o, &[s.client_cookie, s.server_cookie, s.global_seq, s.connect_seq, s.msg_seq]);
    }
    SessionReset |s, o| {
        o.push(u8::from(s.full));
    }
    SessionRetry |s, o| {
        u64s(&mut o, &[s.connect_seq]);
    }
    SessionRetryGlobal |s, o| {
        u64s(&mut o, &[s.global_seq]);
    }
    SessionReconnectOk |s, o| {
        u64s(&mut o, &[s.msg_seq]);
    }
    Stamp |s, o| {
        o.extend_from_slice(&s.sec.to_le_bytes());
        o.extend_from_slice(&s.nsec.to_le_bytes());
    }
    Ack |s, o| {
        u64s(&mut o, &[s.seq]);
    }
    CompressionRequest |s, o| {
        o.push(u8::from(s.is_compress));
        put::vec_u32(&mut o, &s.preferred_methods);
    }
    CompressionDone |s, o| {
        o.push(u8::from(s.is_compress));
        o.extend_from_slice(&s.method.to_le_bytes());
    }
}

impl Control {
    /// The frame tag carrying this payload.
    pub fn tag(&self) -> Tag {
        match self {
            Control::Hello(_) => Tag::Hello,
            Control::AuthRequest(_) => Tag::AuthRequest,
            Control::AuthBadMethod(_) => Tag::AuthBadMethod,
            Control::AuthReplyMore(_) => Tag::AuthReplyMore,
            Control::AuthRequestMore(_) => Tag::AuthRequestMore,
            Control::AuthDone(_) => Tag::AuthDone,
            Control::AuthSignature(_) => Tag::AuthSignature,
            Control::ClientIdent(_) => Tag::ClientIdent,
            Control::ServerIdent(_) => Tag::ServerIdent,
            Control::IdentMissingFeatures(_) => Tag::IdentMissingFeatures,
            Control::SessionReconnect(_) => Tag::SessionReconnect,
            Control::SessionReset(_) => Tag::SessionReset,
            Control::SessionRetry(_) => Tag::SessionRetry,
            Control::SessionRetryGlobal(_) => Tag::SessionRetryGlobal,
            Control::SessionReconnectOk(_) => Tag::SessionReconnectOk,
            Control::Wait => Tag::Wait,
            Control::Keepalive2(_) => Tag::Keepalive2,
            Control::Keepalive2Ack(_) => Tag::Keepalive2Ack,
            Control::Ack(_) => Tag::Ack,
            Control::CompressionRequest(_) => Tag::CompressionRequest,
            Control::CompressionDone(_) => Tag::CompressionDone,
        }
    }

    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Control::Hello(x) => x.encode(),
            Control::AuthRequest(x) => x.encode(),
            Control::AuthBadMethod(x) => x.encode(),
            Control::AuthReplyMore(x) => x.encode(),
            Control::AuthRequestMore(x) => x.encode(),
            Control::AuthDone(x) => x.encode(),
            Control::AuthSignature(x) => x.encode(),
            Control::ClientIdent(x) => x.encode(),
            Control::ServerIdent(x) => x.encode(),
            Control::IdentMissingFeatures(x) => x.encode(),
            Control::SessionReconnect(x) => x.encode(),
            Control::SessionReset(x) => x.encode(),
            Control::SessionRetry(x) => x.encode(),
            Control::SessionRetryGlobal(x) => x.encode(),
            Control::SessionReconnectOk(x) => x.encode(),
            Control::Wait => Vec::new(),
            Control::Keepalive2(x) | Control::Keepalive2Ack(x) => x.encode(),
            Control::Ack(x) => x.encode(),
            Control::CompressionRequest(x) => x.encode(),
            Control::CompressionDone(x) => x.encode(),
        }
    }

    /// Decode the payload of a frame with tag `tag`. `None` when the tag
    /// is not a control tag or the bytes end early; bytes past the end of
    /// the payload's fields are ignored.
    pub fn decode(tag: Tag, payload: &[u8]) -> Option<Control> {
        let r = &mut Rd::new(payload);
        let bl = |r: &mut Rd<'_>| r.bl().map(<[u8]>::to_vec);
        Some(match tag {
            Tag::Hello => Control::Hello(Hello {
                entity_type: r.u8()?,
                peer_addr: super::entity::read_rd(r, EntityAddr::parse)?,
            }),
            Tag::AuthRequest => Control::AuthRequest(AuthRequest {
                method: r.u32()?,
                preferred_modes: r.vec_u32()?,
                auth_payload: bl(r)?,
            }),
            Tag::AuthBadMethod => Control::AuthBadMethod(AuthBadMethod {
                method: r.u32()?,
                result: i32::from_le_bytes(r.array()?),
                allowed_methods: r.vec_u32()?,
                allowed_modes: r.vec_u32()?,
            }),
            Tag::AuthReplyMore => Control::AuthReplyMore(AuthReplyMore {
                auth_payload: bl(r)?,
            }),
            Tag::AuthRequestMore => Control::AuthRequestMore(AuthRequestMore {
                auth_payload: bl(r)?,
            }),
            Tag::AuthDone => Control::AuthDone(AuthDone {
                global_id: r.u64()?,
                con_mode: r.u32()?,
                auth_payload: bl(r)?,
            }),
            Tag::AuthSignature => Control::AuthSignature(AuthSignature { sha256: r.array()? }),
            Tag::ClientIdent => Control::ClientIdent(ClientIdent {
                addrs: super::entity::read_rd(r, AddrVec::parse)?,
                target_addr: super::entity::read_rd(r, EntityAddr::parse)?,
                gid: i64::from_le_bytes(r.array()?),
                global_seq: r.u64()?,
                supported_features: r.u64()?,
                required_features: r.u64()?,
                flags: r.u64()?,
                cookie: r.u64()?,
            }),
            Tag::ServerIdent => Control::ServerIdent(ServerIdent {
                addrs: super::entity::read_rd(r, AddrVec::parse)?,
                gid: i64::from_le_bytes(r.array()?),
                global_seq: r.u64()?,
                supported_features: r.u64()?,
                required_features: r.u64()?,
                flags: r.u64()?,
                cookie: r.u64()?,
            }),
            Tag::IdentMissingFeatures => {
                Control::IdentMissingFeatures(IdentMissingFeatures { features: r.u64()? })
            }
            Tag::SessionReconnect => Control::SessionReconnect(SessionReconnect {
                addrs: super::entity::read_rd(r, AddrVec::parse)?,
                client_cookie: r.u64()?,
                server_cookie: r.u64()?,
                global_seq: r.u64()?,
                connect_seq: r.u64()?,
                msg_seq: r.u64()?,
            }),
            Tag::SessionReset => Control::SessionReset(SessionReset { full: r.u8()? != 0 }),
            Tag::SessionRetry => Control::SessionRetry(SessionRetry {
                connect_seq: r.u64()?,
            }),
            Tag::SessionRetryGlobal => Control::SessionRetryGlobal(SessionRetryGlobal {
                global_seq: r.u64()?,
            }),
            Tag::SessionReconnectOk => {
                Control::SessionReconnectOk(SessionReconnectOk { msg_seq: r.u64()? })
            }
            Tag::Wait => Control::Wait,
            Tag::Keepalive2 => Control::Keepalive2(Stamp {
                sec: r.u32()?,
                nsec: r.u32()?,
            }),
            Tag::Keepalive2Ack => Control::Keepalive2Ack(Stamp {
                sec: r.u32()?,
                nsec: r.u32()?,
            }),
            Tag::Ack => Control::Ack(Ack { seq: r.u64()? }),
            Tag::CompressionRequest => Control::CompressionRequest(CompressionRequest {
                is_compress: r.u8()? != 0,
                preferred_methods: r.vec_u32()?,
            }),
            Tag::CompressionDone => Control::CompressionDone(CompressionDone {
                is_compress: r.u8()? != 0,
                method: r.u32()?,
            }),
            Tag::Message | Tag::Unknown(_) => return None,
        })
    }
}
