//! The msgr2 state machine of one connection, as Ceph's ProtocolV2 runs it
//! on each end: a pure transition function from (state, side, input) to the
//! next state and at most one violation.
//!
//! ```text
//!   client (connects)                                   server (accepts)
//!   BANNER_CONNECTING    ---- banner ---->  <--- banner ---- BANNER_ACCEPTING
//!   HELLO_CONNECTING     ---- HELLO ----->  <--- HELLO ----- HELLO_ACCEPTING
//!   AUTH_CONNECTING      ---- AUTH_REQUEST ------------->    AUTH_ACCEPTING
//!                        <--- AUTH_BAD_METHOD ----------     (client retries AUTH_REQUEST)
//!                        <--- AUTH_REPLY_MORE ----------     AUTH_ACCEPTING_MORE
//!                        ---- AUTH_REQUEST_MORE -------->    (0..n rounds)
//!                        <--- AUTH_DONE ----------------
//!   AUTH_CONNECTING_SIGN ---- AUTH_SIGNATURE -->  <-- AUTH_SIGNATURE --  AUTH_ACCEPTING_SIGN
//!   COMPRESSION_CONNECTING -- COMPRESSION_REQUEST ----->     COMPRESSION_ACCEPTING
//!     (both banners offer   <-- COMPRESSION_DONE -------
//!      compression)
//!   SESSION_CONNECTING   ---- CLIENT_IDENT ------------->    SESSION_ACCEPTING
//!                        <--- SERVER_IDENT ------------- READY
//!                        <--- IDENT_MISSING_FEATURES / WAIT: client faults (CLOSED)
//!                   or   ---- SESSION_RECONNECT -------->
//!   SESSION_RECONNECTING <--- SESSION_RECONNECT_OK ----- READY
//!                        <--- SESSION_RETRY(_GLOBAL): SESSION_RECONNECT again
//!                        <--- SESSION_RESET: CLIENT_IDENT (SESSION_CONNECTING)
//!                        <--- WAIT: client faults (CLOSED)
//!   READY                <--- MESSAGE, ACK, KEEPALIVE2, KEEPALIVE2_ACK ---> READY
//! ```
//!
//! Sources: msgr2.rst ("Authentication", "Message flow handshake",
//! "Message exchange") and Ceph's src/msg/async/ProtocolV2.cc: each
//! `handle_*` function faults the connection when its frame comes in a
//! state it does not expect (`handle_hello`: "not in hello exchange
//! state!", `handle_auth_done`: "not in auth connect state!", ...), and
//! `handle_read_frame_dispatch` faults on an unknown tag.
//!
//! A frame is judged twice: by the receiver's state (what Ceph's handler
//! accepts there) and by the sender's (what Ceph sends there: one
//! AUTH_REQUEST per answer, AUTH_REQUEST_MORE only after AUTH_REPLY_MORE,
//! ...). The first violation makes the machine sticky: a faulted
//! connection is not judged further. A connection whose start was not
//! seen is `Unknown` until a frame only the ready state carries shows
//! where it is.

pub use super::words::state_name;
use super::words::{acceptable, sendable};
use crate::msgr2::Tag;

/// Which end of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The connecting side (sent the SYN, sends client->server).
    Client,
    /// The accepting side.
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// `client` or `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// Where one end is (ProtocolV2's `State`, merged where the wire cannot
/// tell them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Before the banners.
    #[default]
    Banner,
    /// Banners exchanged, HELLO expected.
    Hello,
    /// Authentication.
    Auth,
    /// Server: an AUTH_REPLY_MORE sent, AUTH_REQUEST_MORE expected.
    AuthMore,
    /// AUTH_DONE sent or received: AUTH_SIGNATURE both ways.
    AuthSign,
    /// Compression negotiation (both banners offer it).
    Compression,
    /// CLIENT_IDENT or SESSION_RECONNECT, and the server's answer.
    Session,
    /// Client: a SESSION_RECONNECT sent.
    Reconnecting,
    /// The session is established.
    Ready,
    /// The end faulted the connection (IDENT_MISSING_FEATURES, WAIT).
    Closed,
    /// The start of the connection was not captured.
    Unknown,
}

/// What an end waits for or owes its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Nothing outstanding.
    #[default]
    None,
    /// Client: an AUTH_REQUEST(_MORE) sent, the server's answer awaited.
    AuthReply,
    /// Client: an AUTH_REPLY_MORE received, AUTH_REQUEST_MORE owed.
    OwesMore,
    /// Client: COMPRESSION_REQUEST sent.
    CompReply,
    /// Client: CLIENT_IDENT sent.
    IdentReply,
    /// Client: SESSION_RECONNECT sent.
    ReconnectReply,
    /// Server: an AUTH_REQUEST(_MORE) received, an answer owed.
    AuthAnswer,
    /// Server: COMPRESSION_REQUEST received.
    CompAnswer,
    /// Server: CLIENT_IDENT received.
    IdentAnswer,
    /// Server: SESSION_RECONNECT received.
    ReconnectAnswer,
}

/// One end's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peer {
    /// Where it is.
    pub phase: Phase,
    /// What it waits for or owes.
    pub wait: Wait,
    /// It sent its HELLO.
    pub sent_hello: bool,
    /// It sent its AUTH_SIGNATURE / received the peer's.
    pub sent_sig: bool,
    /// It received the peer's AUTH_SIGNATURE.
    pub got_sig: bool,
    /// It sent any frame.
    pub sent_any: bool,
    /// Client after SESSION_RESET: only CLIENT_IDENT may follow
    /// (ProtocolV2 handle_session_reset calls send_client_ident).
    pub only_ident: bool,
}

/// What the machine is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A banner with its supported msgr2 features.
    Banner(u64),
    /// A whole frame with this tag.
    Frame(Tag),
    /// Bytes not judged: lost, undecodable, or a damaged frame.
    Blind,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The frame is not accepted (or not sent) in this state.
    Unexpected,
    /// The frame is one only the other side sends.
    WrongSide,
}

/// A violation: the frame, the state it met and what that state expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which rule.
    pub fault: Fault,
    /// The end whose state refused it and that state, e.g.
    /// `server in AUTH_ACCEPTING`.
    pub state: String,
    /// What that state expected, e.g. `AUTH_REQUEST`.
    pub expected: String,
    /// What came, e.g. `CLIENT_IDENT from the client`.
    pub found: String,
}

/// Both ends of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Machine {
    /// The connecting end.
    pub client: Peer,
    /// The accepting end.
    pub server: Peer,
    /// Supported features of each banner (client, server).
    pub banners: [Option<u64>; 2],
    /// A violation was found: nothing more is judged.
    pub faulted: bool,
}

/// msgr.h CEPH_MSGR2_FEATURE_COMPRESSION.
const FEATURE_COMPRESSION: u64 = crate::msgr2::banner::FEATURE_COMPRESSION;

/// The side that sends `tag`, when only one does (msgr2.rst marks
/// "client->server", "server->client", "server only").
pub fn sender_of(tag: Tag) -> Option<Side> {
    match tag {
        Tag::AuthRequest
        | Tag::AuthRequestMore
        | Tag::ClientIdent
        | Tag::SessionReconnect
        | Tag::CompressionRequest => Some(Side::Client),
        Tag::AuthBadMethod
        | Tag::AuthReplyMore
        | Tag::AuthDone
        | Tag::ServerIdent
        | Tag::IdentMissingFeatures
        | Tag::SessionReset
        | Tag::SessionRetry
        | Tag::SessionRetryGlobal
        | Tag::SessionReconnectOk
        | Tag::Wait
        | Tag::CompressionDone => Some(Side::Server),
        _ => None,
    }
}

/// Tags of the ready state (ProtocolV2 handle_message,
/// handle_message_ack, handle_keepalive2(_ack): "not in ready state!").
pub fn is_ready_tag(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Message | Tag::Ack | Tag::Keepalive2 | Tag::Keepalive2Ack
    )
}

impl Machine {
    /// The state of `side`.
    pub fn peer(&self, side: Side) -> &Peer {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    fn peer_mut(&mut self, side: Side) -> &mut Peer {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Whether the connection's state is known (its start was seen, or a
    /// ready-state frame showed where it is).
    pub fn known(&self) -> bool {
        self.client.phase != Phase::Unknown
    }

    fn compression(&self) -> bool {
        matches!(self.banners, [Some(a), Some(b)] if a & b & FEATURE_COMPRESSION != 0)
    }

    fn set_both(&mut self, phase: Phase) {
        for p in [&mut self.client, &mut self.server] {
            p.phase = phase;
            p.wait = Wait::None;
        }
    }
}

/// What `side` in state `p` accepts from its peer: the state checks of
/// ProtocolV2's handle_* functions.
fn accepts(side: Side, p: &Peer, tag: Tag) -> bool {
    let client = side == Side::Client;
    match tag {
        // handle_hello: HELLO_CONNECTING or HELLO_ACCEPTING.
        Tag::Hello => p.phase == Phase::Hello,
        // handle_auth_request: AUTH_ACCEPTING.
        Tag::AuthRequest => !client && p.phase == Phase::Auth,
        // handle_auth_request_more: AUTH_ACCEPTING_MORE.
        Tag::AuthRequestMore => !client && p.phase == Phase::AuthMore,
        // handle_auth_bad_method, _reply_more, _done: AUTH_CONNECTING.
        Tag::AuthBadMethod | Tag::AuthReplyMore | Tag::AuthDone => client && p.phase == Phase::Auth,
        // handle_auth_signature: AUTH_CONNECTING_SIGN or AUTH_ACCEPTING_SIGN.
        Tag::AuthSignature => p.phase == Phase::AuthSign && !p.got_sig,
        // handle_compression_request / _done: COMPRESSION_(ACCEPT|CONNECT)ING.
        Tag::CompressionRequest => !client && p.phase == Phase::Compression,
        Tag::CompressionDone => client && p.phase == Phase::Compression,
        // handle_client_ident, handle_reconnect: SESSION_ACCEPTING.
        Tag::ClientIdent | Tag::SessionReconnect => !client && p.phase == Phase::Session,
        // handle_server_ident, handle_ident_missing_features: SESSION_CONNECTING.
        Tag::ServerIdent | Tag::IdentMissingFeatures => client && p.phase == Phase::Session,
        // handle_session_reset, _retry, _retry_global, handle_reconnect_ok:
        // SESSION_RECONNECTING.
        Tag::SessionReset
        | Tag::SessionRetry
        | Tag::SessionRetryGlobal
        | Tag::SessionReconnectOk => client && p.phase == Phase::Reconnecting,
        // handle_wait: SESSION_CONNECTING or SESSION_RECONNECTING.
        Tag::Wait => client && matches!(p.phase, Phase::Session | Phase::Reconnecting),
        Tag::Message | Tag::Ack | Tag::Keepalive2 | Tag::Keepalive2Ack => p.phase == Phase::Ready,
        // handle_read_frame_dispatch: "received unknown tag" faults.
        Tag::Unknown(_) => false,
    }
}

/// Whether `side` in state `p` sends `tag`: what ProtocolV2 writes there.
fn sends(p: &Peer, tag: Tag) -> bool {
    match tag {
        // Written once, right after the banner exchange.
        Tag::Hello => !p.sent_hello && !p.sent_any,
        // send_auth_request: after the peer's HELLO, or an AUTH_BAD_METHOD.
        Tag::AuthRequest => p.phase == Phase::Auth && p.sent_hello && p.wait == Wait::None,
        // handle_auth_reply_more writes AUTH_REQUEST_MORE.
        Tag::AuthRequestMore => p.phase == Phase::Auth && p.wait == Wait::OwesMore,
        // _handle_auth_request answers each request once.
        Tag::AuthBadMethod | Tag::AuthReplyMore | Tag::AuthDone => {
            matches!(p.phase, Phase::Auth | Phase::AuthMore) && p.wait == Wait::AuthAnswer
        }
        Tag::AuthSignature => p.phase == Phase::AuthSign && !p.sent_sig,
        Tag::CompressionRequest => p.phase == Phase::Compression && p.wait == Wait::None,
        Tag::CompressionDone => p.phase == Phase::Compression && p.wait == Wait::CompAnswer,
        Tag::ClientIdent => p.phase == Phase::Session && p.wait == Wait::None,
        // send_reconnect: a session to resume, or after SESSION_RETRY(_GLOBAL).
        Tag::SessionReconnect => {
            p.wait == Wait::None
                && (p.phase == Phase::Reconnecting || (p.phase == Phase::Session && !p.only_ident))
        }
        Tag::ServerIdent | Tag::IdentMissingFeatures => {
            p.phase == Phase::Session && p.wait == Wait::IdentAnswer
        }
        Tag::SessionReconnectOk
        | Tag::SessionReset
        | Tag::SessionRetry
        | Tag::SessionRetryGlobal => p.phase == Phase::Session && p.wait == Wait::ReconnectAnswer,
        Tag::Wait => {
            p.phase == Phase::Session && matches!(p.wait, Wait::IdentAnswer | Wait::ReconnectAnswer)
        }
        Tag::Message | Tag::Ack | Tag::Keepalive2 | Tag::Keepalive2Ack => p.phase == Phase::Ready,
        Tag::Unknown(_) => false,
    }
}

fn violation(
    fault: Fault,
    side: Side,
    p: &Peer,
    expected: &str,
    tag: Tag,
    from: Side,
) -> Violation {
    Violation {
        fault,
        state: format!("{} in {}", side.as_str(), state_name(side, p.phase)),
        expected: expected.to_string(),
        found: format!("{tag} from the {}", from.as_str()),
    }
}

/// One step: the state after `input` from `side`, and the violation it
/// commits, if any (the state is then sticky: `faulted`).
pub fn step(m: &Machine, side: Side, input: Input) -> (Machine, Option<Violation>) {
    let mut n = *m;
    if n.faulted {
        return (n, None);
    }
    let tag = match input {
        Input::Banner(features) => {
            let i = usize::from(side == Side::Server);
            if let Some(slot) = n.banners.get_mut(i) {
                *slot = Some(features);
            }
            return (n, None);
        }
        Input::Blind => {
            // In READY nothing but ready frames may come: the state holds.
            // Anywhere else the unseen bytes may have moved it.
            if !(n.client.phase == Phase::Ready && n.server.phase == Phase::Ready) {
                n.set_both(Phase::Unknown);
            }
            return (n, None);
        }
        Input::Frame(tag) => tag,
    };
    if n.client.phase == Phase::Banner || n.server.phase == Phase::Banner {
        // The start: an end is judged from its banner, or from a first frame
        // that is its HELLO when only its banner went uncaptured (and the
        // other banner shows compression is off: nothing else depends on
        // the features). Anything else is a capture begun mid-stream.
        let i = usize::from(side == Side::Server);
        let mine = n.banners.get(i).copied().flatten();
        let other = n.banners.get(1 - i).copied().flatten();
        let compression = other.is_some_and(|f| f & FEATURE_COMPRESSION != 0);
        let opened = n.peer(side).phase != Phase::Banner
            || mine.is_some()
            || (tag == Tag::Hello && other.is_some() && !compression);
        if opened {
            for p in [&mut n.client, &mut n.server] {
                if p.phase == Phase::Banner {
                    p.phase = Phase::Hello;
                }
            }
        } else {
            n.set_both(Phase::Unknown);
        }
    }
    if n.client.phase == Phase::Unknown {
        // Mid-stream: only a ready-state frame tells where both ends are.
        if is_ready_tag(tag) {
            n.set_both(Phase::Ready);
        }
        return (n, None);
    }
    let peer = side.peer();
    let (s, r) = (*n.peer(side), *n.peer(peer));
    let v = if sender_of(tag) == Some(peer) {
        Some(violation(
            Fault::WrongSide,
            side,
            &s,
            sendable(side, &s),
            tag,
            side,
        ))
    } else if !accepts(peer, &r, tag) {
        Some(violation(
            Fault::Unexpected,
            peer,
            &r,
            acceptable(peer, &r),
            tag,
            side,
        ))
    } else if !sends(&s, tag) {
        Some(violation(
            Fault::Unexpected,
            side,
            &s,
            sendable(side, &s),
            tag,
            side,
        ))
    } else {
        None
    };
    if v.is_some() {
        n.faulted = true;
        return (n, v);
    }
    apply(&mut n, side, tag);
    (n, None)
}

/// The effects of a frame both ends accept.
fn apply(n: &mut Machine, side: Side, tag: Tag) {
    let compression = n.compression();
    n.peer_mut(side).sent_any = true;
    let (s, r) = match side {
        Side::Client => (&mut n.client, &mut n.server),
        Side::Server => (&mut n.server, &mut n.client),
    };
    match tag {
        Tag::Hello => {
            s.sent_hello = true;
            r.phase = Phase::Auth;
        }
        Tag::AuthRequest | Tag::AuthRequestMore => {
            s.wait = Wait::AuthReply;
            r.wait = Wait::AuthAnswer;
        }
        Tag::AuthBadMethod => {
            s.phase = Phase::Auth;
            s.wait = Wait::None;
            r.wait = Wait::None;
        }
        Tag::AuthReplyMore => {
            s.phase = Phase::AuthMore;
            s.wait = Wait::None;
            r.wait = Wait::OwesMore;
        }
        Tag::AuthDone => {
            for p in [&mut *s, &mut *r] {
                p.phase = Phase::AuthSign;
                p.wait = Wait::None;
            }
        }
        Tag::AuthSignature => {
            s.sent_sig = true;
            r.got_sig = true;
            // handle_auth_signature: on to compression when both banners
            // offer it, else to the session.
            for p in [&mut *s, &mut *r] {
                if p.phase == Phase::AuthSign && p.sent_sig && p.got_sig {
                    p.phase = if compression {
                        Phase::Compression
                    } else {
                        Phase::Session
                    };
                }
            }
        }
        Tag::CompressionRequest => {
            s.wait = Wait::CompReply;
            r.wait = Wait::CompAnswer;
        }
        Tag::CompressionDone => {
            for p in [&mut *s, &mut *r] {
                p.phase = Phase::Session;
                p.wait = Wait::None;
            }
        }
        Tag::ClientIdent => {
            s.wait = Wait::IdentReply;
            r.wait = Wait::IdentAnswer;
        }
        Tag::SessionReconnect => {
            s.phase = Phase::Reconnecting;
            s.wait = Wait::ReconnectReply;
            r.wait = Wait::ReconnectAnswer;
        }
        Tag::ServerIdent | Tag::SessionReconnectOk => {
            for p in [&mut *s, &mut *r] {
                p.phase = Phase::Ready;
                p.wait = Wait::None;
            }
        }
        // handle_ident_missing_features and handle_wait fault the client.
        Tag::IdentMissingFeatures | Tag::Wait => {
            s.wait = Wait::None;
            r.phase = Phase::Closed;
            r.wait = Wait::None;
        }
        // handle_session_reset: a new session, CLIENT_IDENT next.
        Tag::SessionReset => {
            s.wait = Wait::None;
            r.phase = Phase::Session;
            r.wait = Wait::None;
            r.only_ident = true;
        }
        // handle_session_retry(_global): SESSION_RECONNECT again.
        Tag::SessionRetry | Tag::SessionRetryGlobal => {
            s.wait = Wait::None;
            r.wait = Wait::None;
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
#[path = "machine_tests.rs"]
mod tests;
