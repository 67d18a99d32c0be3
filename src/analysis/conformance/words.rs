//! The machine's states and expectations in words, as findings print them
//! (state names are ProtocolV2's `State` names).

use super::machine::{Peer, Phase, Side, Wait};

const READY_TAGS: &str = "MESSAGE, ACK, KEEPALIVE2 or KEEPALIVE2_ACK";

/// ProtocolV2's name of the state of `side` in `phase`.
pub fn state_name(side: Side, phase: Phase) -> &'static str {
    let client = side == Side::Client;
    match phase {
        Phase::Banner if client => "BANNER_CONNECTING",
        Phase::Banner => "BANNER_ACCEPTING",
        Phase::Hello if client => "HELLO_CONNECTING",
        Phase::Hello => "HELLO_ACCEPTING",
        Phase::Auth if client => "AUTH_CONNECTING",
        Phase::Auth => "AUTH_ACCEPTING",
        Phase::AuthMore => "AUTH_ACCEPTING_MORE",
        Phase::AuthSign if client => "AUTH_CONNECTING_SIGN",
        Phase::AuthSign => "AUTH_ACCEPTING_SIGN",
        Phase::Compression if client => "COMPRESSION_CONNECTING",
        Phase::Compression => "COMPRESSION_ACCEPTING",
        Phase::Session if client => "SESSION_CONNECTING",
        Phase::Session => "SESSION_ACCEPTING",
        Phase::Reconnecting => "SESSION_RECONNECTING",
        Phase::Ready => "READY",
        Phase::Closed => "CLOSED",
        Phase::Unknown => "UNKNOWN",
    }
}

/// What `side` in state `p` accepts, in words.
pub(super) fn acceptable(side: Side, p: &Peer) -> &'static str {
    let client = side == Side::Client;
    match p.phase {
        Phase::Banner => "a banner",
        Phase::Hello => "HELLO",
        Phase::Auth if client => "AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD",
        Phase::Auth => "AUTH_REQUEST",
        Phase::AuthMore => "AUTH_REQUEST_MORE",
        Phase::AuthSign if p.got_sig => "no frame before it sends its AUTH_SIGNATURE",
        Phase::AuthSign => "AUTH_SIGNATURE",
        Phase::Compression if client => "COMPRESSION_DONE",
        Phase::Compression => "COMPRESSION_REQUEST",
        Phase::Session if client => "SERVER_IDENT, IDENT_MISSING_FEATURES or WAIT",
        Phase::Session => "CLIENT_IDENT or SESSION_RECONNECT",
        Phase::Reconnecting => {
            "SESSION_RECONNECT_OK, SESSION_RESET, SESSION_RETRY, SESSION_RETRY_GLOBAL or WAIT"
        }
        Phase::Ready => READY_TAGS,
        Phase::Closed => "no frame (it faulted the connection)",
        Phase::Unknown => "",
    }
}

/// What `side` in state `p` may send, in words.
pub(super) fn sendable(side: Side, p: &Peer) -> &'static str {
    let client = side == Side::Client;
    if !p.sent_hello && !p.sent_any && matches!(p.phase, Phase::Hello | Phase::Auth) {
        return "HELLO";
    }
    match (p.phase, p.wait) {
        (Phase::Banner, _) => "a banner",
        (Phase::Hello, _) if client => "no frame before the server's HELLO",
        (Phase::Hello, _) => "no frame before the client's HELLO",
        (Phase::Auth, Wait::None) if client => "AUTH_REQUEST",
        (Phase::Auth, Wait::OwesMore) => "AUTH_REQUEST_MORE",
        (Phase::Auth, _) if client => {
            "no frame before AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD"
        }
        (Phase::Auth | Phase::AuthMore, Wait::AuthAnswer) => {
            "AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD"
        }
        (Phase::Auth, _) => "no frame before AUTH_REQUEST",
        (Phase::AuthMore, _) => "no frame before AUTH_REQUEST_MORE",
        (Phase::AuthSign, _) if !p.sent_sig => "AUTH_SIGNATURE",
        (Phase::AuthSign, _) => "no frame before the peer's AUTH_SIGNATURE",
        (Phase::Compression, Wait::None) if client => "COMPRESSION_REQUEST",
        (Phase::Compression, _) if client => "no frame before COMPRESSION_DONE",
        (Phase::Compression, Wait::CompAnswer) => "COMPRESSION_DONE",
        (Phase::Compression, _) => "no frame before COMPRESSION_REQUEST",
        (Phase::Session, Wait::None) if client && p.only_ident => "CLIENT_IDENT",
        (Phase::Session, Wait::None) if client => "CLIENT_IDENT or SESSION_RECONNECT",
        (Phase::Session, _) if client => "no frame before SERVER_IDENT",
        (Phase::Session, Wait::IdentAnswer) => "SERVER_IDENT, IDENT_MISSING_FEATURES or WAIT",
        (Phase::Session, Wait::ReconnectAnswer) => {
            "SESSION_RECONNECT_OK, SESSION_RESET, SESSION_RETRY, SESSION_RETRY_GLOBAL or WAIT"
        }
        (Phase::Session, _) => "no frame before CLIENT_IDENT or SESSION_RECONNECT",
        (Phase::Reconnecting, Wait::None) => "SESSION_RECONNECT",
        (Phase::Reconnecting, _) => "no frame before the server answers SESSION_RECONNECT",
        (Phase::Ready, _) => READY_TAGS,
        (Phase::Closed, _) => "no frame (it faulted the connection)",
        (Phase::Unknown, _) => "",
    }
}
