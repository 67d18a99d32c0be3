use super::*;
use Side::{Client as C, Server as S};

/// Feed `inputs` from a fresh machine; the state at the end and every
/// violation with the index of the input that committed it.
fn run(inputs: &[(Side, Input)]) -> (Machine, Vec<(usize, Violation)>) {
    let mut m = Machine::default();
    let mut v = Vec::new();
    for (i, (side, input)) in inputs.iter().enumerate() {
        let (n, found) = step(&m, *side, *input);
        if let Some(f) = found {
            v.push((i, f));
        }
        m = n;
    }
    (m, v)
}

fn frames(banner_features: u64, tags: &[(Side, Tag)]) -> Vec<(Side, Input)> {
    let mut out = vec![
        (C, Input::Banner(banner_features)),
        (S, Input::Banner(banner_features)),
    ];
    out.extend(tags.iter().map(|(s, t)| (*s, Input::Frame(*t))));
    out
}

/// The order of the first connection of none-crc.pcap (rows 1..19).
const NONE_CRC: &[(Side, Tag)] = &[
    (S, Tag::Hello),
    (C, Tag::Hello),
    (C, Tag::AuthRequest),
    (S, Tag::AuthDone),
    (S, Tag::AuthSignature),
    (C, Tag::AuthSignature),
    (C, Tag::ClientIdent),
    (S, Tag::ServerIdent),
    (C, Tag::Message),
    (S, Tag::Message),
    (S, Tag::Keepalive2),
    (C, Tag::Keepalive2Ack),
    (C, Tag::Ack),
];

#[test]
fn a_real_crc_conversation_reaches_ready() {
    let (m, v) = run(&frames(1, NONE_CRC));
    assert_eq!(v, vec![]);
    assert_eq!(
        (m.client.phase, m.server.phase),
        (Phase::Ready, Phase::Ready)
    );
    assert!(!m.faulted);
}

#[test]
fn cephx_rounds_bad_method_and_compression() {
    let tags = [
        (C, Tag::Hello),
        (S, Tag::Hello),
        (C, Tag::AuthRequest),
        (S, Tag::AuthBadMethod),
        (C, Tag::AuthRequest),
        (S, Tag::AuthReplyMore),
        (C, Tag::AuthRequestMore),
        (S, Tag::AuthReplyMore),
        (C, Tag::AuthRequestMore),
        (S, Tag::AuthDone),
        (S, Tag::AuthSignature),
        (C, Tag::AuthSignature),
        (C, Tag::CompressionRequest),
        (S, Tag::CompressionDone),
        (C, Tag::ClientIdent),
        (S, Tag::ServerIdent),
    ];
    // Both banners offer compression (bit 1) and revision 1.
    let (m, v) = run(&frames(3, &tags));
    assert_eq!(v, vec![]);
    assert_eq!(m.client.phase, Phase::Ready);
    // Without the feature, COMPRESSION_REQUEST is unexpected.
    let (_, v) = run(&frames(1, &tags));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0, 14);
    assert_eq!(v[0].1.state, "server in SESSION_ACCEPTING");
    assert_eq!(v[0].1.expected, "CLIENT_IDENT or SESSION_RECONNECT");
    assert_eq!(v[0].1.found, "COMPRESSION_REQUEST from the client");
}

const AUTHED: &[(Side, Tag)] = &[
    (C, Tag::Hello),
    (S, Tag::Hello),
    (C, Tag::AuthRequest),
    (S, Tag::AuthDone),
    (S, Tag::AuthSignature),
    (C, Tag::AuthSignature),
];

fn after_auth(rest: &[(Side, Tag)]) -> (Machine, Vec<(usize, Violation)>) {
    let mut t = AUTHED.to_vec();
    t.extend_from_slice(rest);
    run(&frames(1, &t))
}

#[test]
fn reconnect_retry_reset_and_wait() {
    let (m, v) = after_auth(&[
        (C, Tag::SessionReconnect),
        (S, Tag::SessionRetry),
        (C, Tag::SessionReconnect),
        (S, Tag::SessionRetryGlobal),
        (C, Tag::SessionReconnect),
        (S, Tag::SessionReconnectOk),
        (S, Tag::Message),
    ]);
    assert_eq!(v, vec![]);
    assert_eq!(m.server.phase, Phase::Ready);
    // SESSION_RESET: a new session, CLIENT_IDENT only.
    let (m, v) = after_auth(&[
        (C, Tag::SessionReconnect),
        (S, Tag::SessionReset),
        (C, Tag::SessionReconnect),
    ]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.state, "client in SESSION_CONNECTING");
    assert_eq!(v[0].1.expected, "CLIENT_IDENT");
    assert!(m.faulted);
    // WAIT closes the client's side.
    let (m, v) = after_auth(&[(C, Tag::ClientIdent), (S, Tag::Wait)]);
    assert_eq!(v, vec![]);
    assert_eq!(m.client.phase, Phase::Closed);
}

#[test]
fn the_issue_s_three_examples() {
    // A MESSAGE right after the client's HELLO.
    let (_, v) = run(&frames(
        1,
        &[(S, Tag::Hello), (C, Tag::Hello), (C, Tag::Message)],
    ));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.fault, Fault::Unexpected);
    assert_eq!(v[0].1.state, "server in AUTH_ACCEPTING");
    assert_eq!(v[0].1.expected, "AUTH_REQUEST");
    assert_eq!(v[0].1.found, "MESSAGE from the client");
    // SERVER_IDENT before AUTH_DONE.
    let (_, v) = run(&frames(
        1,
        &[
            (S, Tag::Hello),
            (C, Tag::Hello),
            (C, Tag::AuthRequest),
            (S, Tag::ServerIdent),
        ],
    ));
    assert_eq!(v[0].1.state, "client in AUTH_CONNECTING");
    assert_eq!(
        v[0].1.expected,
        "AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD"
    );
    // CLIENT_IDENT before authenticating.
    let (_, v) = run(&frames(
        1,
        &[(S, Tag::Hello), (C, Tag::Hello), (C, Tag::ClientIdent)],
    ));
    assert_eq!(v[0].1.state, "server in AUTH_ACCEPTING");
    assert_eq!(v[0].1.found, "CLIENT_IDENT from the client");
}

#[test]
fn wrong_side_sender_order_and_stickiness() {
    let (m, v) = run(&frames(
        1,
        &[(S, Tag::Hello), (S, Tag::AuthRequest), (C, Tag::Hello)],
    ));
    assert_eq!(v.len(), 1, "reported once");
    assert_eq!(v[0].1.fault, Fault::WrongSide);
    assert_eq!(v[0].1.state, "server in HELLO_ACCEPTING");
    assert_eq!(v[0].1.expected, "no frame before the client's HELLO");
    assert!(m.faulted);
    // Two AUTH_REQUESTs without an answer: the sender's state refuses.
    let (_, v) = run(&frames(
        1,
        &[
            (S, Tag::Hello),
            (C, Tag::Hello),
            (C, Tag::AuthRequest),
            (C, Tag::AuthRequest),
        ],
    ));
    assert_eq!(v[0].1.state, "client in AUTH_CONNECTING");
    assert_eq!(
        v[0].1.expected,
        "no frame before AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD"
    );
    // An unknown tag: handle_read_frame_dispatch faults.
    let (_, v) = run(&frames(1, &[(S, Tag::Hello), (C, Tag::Unknown(40))]));
    assert_eq!(v[0].1.state, "server in HELLO_ACCEPTING");
}

#[test]
fn mid_stream_waits_for_a_ready_frame_and_blind_bytes() {
    // No banners: nothing judged until a ready-state frame.
    let (m, v) = run(&[
        (S, Input::Frame(Tag::AuthDone)),
        (C, Input::Frame(Tag::Hello)),
    ]);
    assert_eq!(v, vec![]);
    assert!(!m.known());
    let (m, v) = run(&[
        (C, Input::Frame(Tag::Hello)),
        (S, Input::Frame(Tag::Message)),
        (C, Input::Frame(Tag::ServerIdent)),
    ]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.fault, Fault::WrongSide);
    assert!(m.faulted);
    // Lost bytes in READY keep the state; in the handshake they lose it.
    let mut t = frames(1, NONE_CRC);
    t.push((C, Input::Blind));
    t.push((S, Input::Frame(Tag::Hello)));
    let (_, v) = run(&t);
    assert_eq!(v.len(), 1);
    let mut t = frames(1, &NONE_CRC[..3]);
    t.push((S, Input::Blind));
    t.push((C, Input::Frame(Tag::ClientIdent)));
    let (m, v) = run(&t);
    assert_eq!(v, vec![]);
    assert!(!m.known());
}
