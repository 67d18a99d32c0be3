//! Protocol conformance on real traffic: every bundled capture conforms and
//! ends as Ceph's logs say; mutants of real connections (whole frames moved,
//! or re-encoded with one value changed, all CRCs valid) are each caught
//! with the frame, the state and what that state expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use cephshark::analysis::conformance::FinalState;
use cephshark::decode::control::Control;
use cephshark::decode::control_enc::{
    SessionReconnect, SessionReconnectOk, SessionRetry, SessionRetryGlobal, Stamp,
};
use cephshark::decode::grammar::Sp;
use cephshark::model::{Group, ProblemKind};
use cephshark::msgr2::Tag;
use cephshark::tcp::{ConnId, Direction};
use proptest::prelude::*;
use std::path::Path;
use support::conform::*;
use support::synth::Send;

/// The client's `ready` lines in Ceph's logs: (own nonce, peer addrs, pgs).
fn ready_lines(logs: &Path) -> Vec<(u32, String, u64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(logs).unwrap() {
        let p = e.unwrap().path();
        if !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("client.")
        {
            continue;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap()),
            &mut text,
        )
        .unwrap();
        for l in text.lines().filter(|l| l.contains(").ready entity=")) {
            let own = l.split("--2- ").nth(1).unwrap().split(' ').next().unwrap();
            let peer = l.split(" >> ").nth(1).unwrap().split(' ').next().unwrap();
            let pgs = l.split(" pgs=").nth(1).unwrap().split(' ').next().unwrap();
            let nonce = own.rsplit('/').next().unwrap().parse().unwrap();
            out.push((nonce, peer.to_string(), pgs.parse().unwrap()));
        }
    }
    out
}

#[test]
fn bundled_captures_conform_and_end_as_ceph_logged() {
    for (name, keys, logs, ready, incomplete) in [
        ("none-crc.pcap", None, Some("none-crc.logs"), 33, 0),
        ("cephx-crc.pcap", None, Some("cephx-crc.logs"), 30, 0),
        (
            "cephx-secure.pcap",
            Some("cephx-secure.keys"),
            Some("cephx-secure.logs"),
            34,
            0,
        ),
        ("keylog-rados.pcap", Some("keylog-rados.keys"), None, 16, 0),
        // Without keys the secure frames are not seen: no state is known
        // after AUTH_DONE, and nothing is guessed.
        ("cephx-secure.pcap", None, None, 0, 34),
    ] {
        let (rows, s) = dissect_file(name, keys);
        assert_eq!(
            findings(&rows).len(),
            0,
            "{name}: {:?}",
            findings(&rows).first()
        );
        let states: Vec<FinalState> = s
            .conns
            .values()
            .filter(|c| !c.not_msgr2)
            .filter_map(|c| c.state)
            .collect();
        let count = |st| states.iter().filter(|&&x| x == st).count();
        assert_eq!(
            (count(FinalState::Ready), count(FinalState::Incomplete)),
            (ready, incomplete),
            "{name}"
        );
        assert_eq!(states.len(), ready + incomplete, "{name}");
        let Some(logs) = logs else { continue };
        // Each connection whose idents the capture shows is one Ceph's
        // client logged as READY: same client nonce, server, peer global_seq.
        let lines = ready_lines(&path(logs));
        let mut matched = 0;
        for conn in s.conns.keys() {
            let ident = |tag| {
                rows.iter()
                    .find(|r| r.conn == *conn && r.frame().is_some_and(|f| f.tag() == tag))
                    .and_then(|r| r.control().cloned())
            };
            let (Some(Control::ClientIdent(ci)), Some(Control::ServerIdent(si))) =
                (ident(Tag::ClientIdent), ident(Tag::ServerIdent))
            else {
                continue;
            };
            let key = (
                ci.addrs.addrs[0].nonce.v,
                si.addrs.to_string(),
                si.global_seq.v,
            );
            assert!(
                lines.contains(&key),
                "{name} conn {}: {key:?} not READY in the logs",
                conn.0
            );
            matched += 1;
        }
        assert!(matched >= ready - 1, "{name}: {matched}");
    }
}

#[test]
fn resent_real_connections_conform() {
    for (name, conn) in [
        ("none-crc.pcap", 1),
        ("none-crc.pcap", 2),
        ("cephx-crc.pcap", 1),
    ] {
        let rows = run(&conversation(name, conn));
        assert_eq!(
            findings(&rows).len(),
            0,
            "{name} {conn}: {:?}",
            findings(&rows).first().map(|x| &x.1)
        );
        assert!(
            rows.iter().all(|r| r.problems().is_empty()),
            "{name} {conn}"
        );
    }
}

#[test]
fn the_issue_s_moves_are_caught() {
    let c = conversation("none-crc.pcap", 1);
    // The client's first MESSAGE moved right after its HELLO.
    let mut m = c.clone();
    let msg = m.remove(pos(&c, true, Tag::Message));
    m.insert(pos(&c, true, Tag::Hello) + 1, msg);
    let (tag, dir, p) = one(&m, "message");
    assert_eq!(
        (tag, dir, p.kind),
        (
            Tag::Message,
            Direction::ClientToServer,
            ProblemKind::UnexpectedFrame
        )
    );
    assert_eq!(p.expected, "AUTH_REQUEST (server in AUTH_ACCEPTING)");
    assert_eq!(p.found, "MESSAGE from the client");
    assert_eq!(p.field, "msgr2.tag");
    // SERVER_IDENT before AUTH_DONE.
    let mut m = c.clone();
    let si = m.remove(pos(&c, false, Tag::ServerIdent));
    m.insert(pos(&c, false, Tag::AuthDone), si);
    let (tag, dir, p) = one(&m, "server_ident");
    assert_eq!((tag, dir), (Tag::ServerIdent, Direction::ServerToClient));
    assert_eq!(
        p.expected,
        "AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD (client in AUTH_CONNECTING)"
    );
    // CLIENT_IDENT before authenticating.
    let mut m = c.clone();
    let ci = m.remove(pos(&c, true, Tag::ClientIdent));
    m.insert(pos(&c, true, Tag::AuthRequest), ci);
    let (tag, _, p) = one(&m, "client_ident");
    assert_eq!(tag, Tag::ClientIdent);
    assert_eq!(p.expected, "AUTH_REQUEST (server in AUTH_ACCEPTING)");
    assert_eq!(p.found, "CLIENT_IDENT from the client");
    // The server sends the client's AUTH_REQUEST.
    let mut m = c.clone();
    let i = pos(&c, true, Tag::AuthRequest);
    let mut ar = m[i].clone();
    ar.0.from_client = false;
    m.insert(i + 1, ar);
    let (tag, dir, p) = one(&m, "wrong_side");
    assert_eq!(
        (tag, dir, p.kind),
        (
            Tag::AuthRequest,
            Direction::ServerToClient,
            ProblemKind::WrongSide
        )
    );
    assert_eq!(
        p.expected,
        "AUTH_REPLY_MORE, AUTH_DONE or AUTH_BAD_METHOD (server in AUTH_ACCEPTING)"
    );
    assert_eq!(p.found, "AUTH_REQUEST from the server");
}

#[test]
fn negotiation_rules() {
    let c = conversation("none-crc.pcap", 1);
    // The client offers only secure; AUTH_DONE picks crc.
    let i = pos(&c, true, Tag::AuthRequest);
    let Control::AuthRequest(mut ar) = decoded(&c, i) else {
        panic!()
    };
    ar.preferred_modes = vec![2].into();
    let mut m = c.clone();
    m[i] = send(true, &Control::AuthRequest(ar.clone()));
    let (tag, _, p) = one(&m, "mode");
    assert_eq!(
        (tag, p.kind, p.field),
        (
            Tag::AuthDone,
            ProblemKind::ModeNotOffered,
            "msgr2.auth_done.con_mode"
        )
    );
    assert_eq!(
        (p.expected.as_str(), p.found.as_str()),
        ("one of secure (offered in AUTH_REQUEST)", "crc")
    );
    // AUTH_BAD_METHOD allows cephx only; the client retries with none.
    let Control::AuthRequest(orig) = decoded(&c, i) else {
        panic!()
    };
    for (allowed, bad) in [(vec![2], true), (vec![1], false)] {
        let mut m = c.clone();
        let bm = cephshark::decode::control_enc::AuthBadMethod {
            method: Sp::new(1),
            result: Sp::new(-95),
            allowed_methods: allowed.into(),
            allowed_modes: vec![1].into(),
        };
        m.insert(i + 1, send(false, &Control::AuthBadMethod(bm)));
        m.insert(i + 2, send(true, &Control::AuthRequest(orig.clone())));
        if bad {
            let (tag, _, p) = one(&m, "method");
            assert_eq!(
                (tag, p.kind),
                (Tag::AuthRequest, ProblemKind::MethodNotAllowed)
            );
            assert_eq!(
                (p.expected.as_str(), p.found.as_str()),
                ("one of cephx (AUTH_BAD_METHOD)", "none")
            );
        } else {
            assert_eq!(findings(&run(&m)).len(), 0);
        }
    }
}

#[test]
fn ident_rules() {
    let c = conversation("none-crc.pcap", 2);
    let i = pos(&c, false, Tag::ServerIdent);
    let Control::ServerIdent(mut si) = decoded(&c, i) else {
        panic!()
    };
    si.addrs.addrs[0].nonce = Sp::new(1);
    let mut m = c.clone();
    m[i] = send(false, &Control::ServerIdent(si));
    let (tag, _, p) = one(&m, "target");
    assert_eq!((tag, p.kind), (Tag::ServerIdent, ProblemKind::WrongTarget));
    assert_eq!(
        p.expected,
        "addresses holding v2:127.0.0.1:43501/7928 (CLIENT_IDENT target_addr)"
    );
    assert_eq!(p.found, "v2:127.0.0.1:43501/1");
    let j = pos(&c, true, Tag::ClientIdent);
    let Control::ClientIdent(mut ci) = decoded(&c, j) else {
        panic!()
    };
    ci.gid = Sp::new(4999);
    let mut m = c.clone();
    m[j] = send(true, &Control::ClientIdent(ci));
    let (tag, _, p) = one(&m, "gid");
    assert_eq!((tag, p.kind), (Tag::ClientIdent, ProblemKind::GidMismatch));
    assert_eq!(
        (p.expected.as_str(), p.found.as_str()),
        ("4112 (AUTH_DONE global_id) or -1", "4999")
    );
}

#[test]
fn reconnect_rules_and_resumed_numbering() {
    let c = conversation("none-crc.pcap", 1);
    let (ci, si) = (
        pos(&c, true, Tag::ClientIdent),
        pos(&c, false, Tag::ServerIdent),
    );
    let Control::ClientIdent(ident) = decoded(&c, ci) else {
        panic!()
    };
    let rc = |cs: u64, gs: u64| {
        Control::SessionReconnect(SessionReconnect {
            addrs: ident.addrs.clone(),
            client_cookie: Sp::new(0x11),
            server_cookie: Sp::new(0x22),
            global_seq: Sp::new(gs),
            connect_seq: Sp::new(cs),
            msg_seq: Sp::new(0),
        })
    };
    let mut m = c.clone();
    m[si] = send(
        false,
        &Control::SessionReconnectOk(SessionReconnectOk {
            msg_seq: Sp::new(1),
        }),
    );
    m[ci] = send(true, &rc(0, 5));
    m.insert(ci + 1, send(true, &rc(4, 9)));
    m.insert(
        ci + 1,
        send(
            false,
            &Control::SessionRetryGlobal(SessionRetryGlobal {
                global_seq: Sp::new(9),
            }),
        ),
    );
    m.insert(ci + 1, send(true, &rc(3, 5)));
    m.insert(
        ci + 1,
        send(
            false,
            &Control::SessionRetry(SessionRetry {
                connect_seq: Sp::new(3),
            }),
        ),
    );
    let rows = run(&m);
    let f: Vec<(String, String, String)> = findings(&rows)
        .iter()
        .map(|(_, p)| {
            (
                p.kind.name().to_string(),
                p.expected.clone(),
                p.found.clone(),
            )
        })
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    let unknown = s(
        "state_reconnect_unknown_session",
        "the cookies of a session established earlier in the capture",
        "client_cookie=0x11 server_cookie=0x22",
    );
    assert_eq!(
        f,
        vec![
            unknown.clone(),
            s("state_reconnect_bad", "at least 1", "0"),
            unknown.clone(),
            s(
                "state_reconnect_bad",
                "4 (SESSION_RETRY connect_seq + 1)",
                "3"
            ),
            unknown,
            s(
                "state_reconnect_bad",
                "more than 9 (SESSION_RETRY_GLOBAL)",
                "9"
            ),
            // RECONNECT_OK says the server has message 1: the client's
            // message 1 is a replay it discards; message 2 continues.
            s(
                "seq_replayed",
                "more than 1 (received before the reconnect)",
                "1"
            ),
        ]
    );
    assert_eq!(verify(&pcap(&m), "reconnect").0, 1);
}

#[test]
fn keepalive_and_header_rules() {
    let c = conversation("none-crc.pcap", 1);
    let si = pos(&c, false, Tag::ServerIdent);
    let mut m = c.clone();
    m.insert(
        si + 1,
        send(false, &Control::Keepalive2Ack(Stamp::new(7, 8))),
    );
    let rows = run(&m);
    let f = findings(&rows);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].1.kind, f[0].1.expected.as_str()),
        (
            ProblemKind::KeepaliveAckUnmatched,
            "the timestamp of a KEEPALIVE2 of the peer"
        )
    );
    // compat_version above version in a real message header.
    let i = pos(&c, true, Tag::Message);
    let recs = support::mutants::real_named("none-crc.pcap");
    let r = recs
        .iter()
        .find(|r| r.conn == ConnId(1) && r.is_message())
        .unwrap();
    let f = r.frame().unwrap();
    let mut h = f.segment(0).unwrap().to_vec();
    let version = u16::from_le_bytes([h[20], h[21]]);
    h[37..39].copy_from_slice(&(version + 1).to_le_bytes());
    let spec =
        cephshark::msgr2::encoder::FrameSpec::message(&h, f.segment(1).unwrap_or(&[]), &[], &[]);
    let mut m = c.clone();
    m[i].0.data = cephshark::msgr2::encoder::encode_crc(f.rev, &spec);
    let (tag, _, p) = one(&m, "header");
    assert_eq!(
        (tag, p.kind, p.field),
        (
            Tag::Message,
            ProblemKind::MsgHeaderInconsistent,
            "ceph.msg.compat_version"
        )
    );
    assert_eq!(
        (p.expected, p.found),
        (
            format!("at most {version} (version)"),
            (version + 1).to_string()
        )
    );
}

/// The positions of one side's frames before the ready state.
fn handshake(c: &[(Send, Option<Tag>)], client: bool) -> Vec<usize> {
    let ready = |t: &Option<Tag>| {
        matches!(
            t,
            Some(Tag::Message | Tag::Ack | Tag::Keepalive2 | Tag::Keepalive2Ack)
        )
    };
    let end = c
        .iter()
        .position(|(s, t)| s.from_client == client && ready(t))
        .unwrap();
    (0..end)
        .filter(|&i| c[i].0.from_client == client && c[i].1.is_some())
        .collect()
}

fn permuted_is_flagged(
    name: &str,
    conn: u32,
    client: bool,
    perm: &[usize],
) -> Result<(), TestCaseError> {
    let c = conversation(name, conn);
    let slots = handshake(&c, client);
    prop_assume!(perm
        .iter()
        .enumerate()
        .any(|(i, &p)| slots[i] != slots[p] && c[slots[i]].1 != c[slots[p]].1));
    let mut m = c.clone();
    for (i, &p) in perm.iter().enumerate() {
        m[slots[i]] = c[slots[p]].clone();
    }
    let rows = run(&m);
    let f = findings(&rows);
    prop_assert!(
        f.iter().any(|(_, p)| matches!(
            p.kind,
            ProblemKind::UnexpectedFrame | ProblemKind::WrongSide
        )),
        "{name} {conn} client={client} {perm:?}"
    );
    prop_assert!(rows.iter().all(|r| r
        .problems()
        .iter()
        .all(|p| p.kind.group() != Group::Checksum)));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any other order of one side's handshake frames of a real cephx
    /// connection (HELLO, AUTH_REQUEST, AUTH_REQUEST_MORE, AUTH_SIGNATURE,
    /// CLIENT_IDENT; the server's HELLO, AUTH_REPLY_MORE, AUTH_DONE,
    /// AUTH_SIGNATURE, SERVER_IDENT) is flagged.
    #[test]
    fn any_other_handshake_order_is_flagged(client in any::<bool>(), perm in Just((0..5).collect::<Vec<usize>>()).prop_shuffle()) {
        let c = conversation("cephx-crc.pcap", 1);
        prop_assert_eq!(handshake(&c, client).len(), 5);
        permuted_is_flagged("cephx-crc.pcap", 1, client, &perm)?;
    }

    /// The same for auth none (four frames a side).
    #[test]
    fn any_other_order_without_auth_rounds_is_flagged(client in any::<bool>(), perm in Just((0..4).collect::<Vec<usize>>()).prop_shuffle()) {
        permuted_is_flagged("none-crc.pcap", 1, client, &perm)?;
    }
}

#[path = "conformance_more/message.rs"]
mod message;
#[path = "conformance_more/order.rs"]
mod order;
#[path = "conformance_more/peers.rs"]
mod peers;
