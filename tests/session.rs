//! Session tracking on synthetic conversations: seq continuity, ack_seq
//! consistency and keepalive round trips.

mod support;

use cephshark::analysis::{dissect, Config, Record};
use cephshark::msgr2::banner;
use cephshark::msgr2::encoder::{encode_crc, msg_header2, FrameSpec};
use cephshark::msgr2::{ProblemKind, Rev, Tag};
use support::synth::{connection, Send};

fn c(data: Vec<u8>) -> Send {
    Send {
        from_client: true,
        data,
    }
}
fn s(data: Vec<u8>) -> Send {
    Send {
        from_client: false,
        data,
    }
}

fn msg(seq: u64, ack: u64) -> Vec<u8> {
    let mut h = msg_header2(seq, seq, 42);
    h[28..36].copy_from_slice(&ack.to_le_bytes());
    encode_crc(Rev::V1, &FrameSpec::message(&h, b"front", b"", b""))
}

fn control(tag: Tag, payload: &[u8]) -> Vec<u8> {
    encode_crc(Rev::V1, &FrameSpec::control(tag.raw(), payload))
}

fn run(sends: &[Send]) -> Vec<Record> {
    let mut all = vec![c(banner::encode(1, 0)), s(banner::encode(1, 0))];
    all.extend(support::mutants::handshake());
    all.extend_from_slice(sends);
    let pcap = connection(40000, 3300, &all, 1400);
    let mut out = Vec::new();
    dissect(&pcap[..], Config::default(), &mut |r| out.push(r)).unwrap_or_else(|e| panic!("{e}"));
    out
}

fn kinds(r: &Record) -> Vec<ProblemKind> {
    r.problems().iter().map(|p| p.kind).collect()
}

#[test]
fn seq_jump_and_ack_ahead_are_flagged() {
    let recs = run(&[
        c(msg(1, 0)),
        s(msg(1, 1)),
        c(msg(2, 1)),
        c(msg(4, 1)),
        s(msg(2, 9)),
        c(control(Tag::Ack, &7u64.to_le_bytes())),
    ]);
    let msgs: Vec<&Record> = recs.iter().filter(|r| r.is_message()).collect();
    assert_eq!(msgs.len(), 5);
    assert!(kinds(msgs[0]).is_empty() && kinds(msgs[1]).is_empty() && kinds(msgs[2]).is_empty());
    let jump = msgs[3].problems();
    assert_eq!(kinds(msgs[3]), vec![ProblemKind::SeqJump]);
    assert_eq!(
        (jump[0].expected.as_str(), jump[0].found.as_str()),
        ("3", "4")
    );
    assert_eq!(jump[0].field, "ceph.msg.seq");
    // The server acks 9 but the client has sent up to 4.
    assert_eq!(kinds(msgs[4]), vec![ProblemKind::AckAhead]);
    // The ACK frame acks 7 but the server has sent up to 2.
    let ack = recs
        .iter()
        .find(|r| r.tag_name() == "ACK")
        .unwrap_or_else(|| panic!("no ACK"));
    assert_eq!(kinds(ack), vec![ProblemKind::AckAhead]);
}

#[test]
fn keepalive_round_trip_is_measured() {
    let stamp = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let recs = run(&[
        c(control(Tag::Keepalive2, &stamp)),
        s(control(Tag::Keepalive2Ack, &stamp)),
    ]);
    let ka = recs
        .iter()
        .find(|r| r.tag_name() == "KEEPALIVE2")
        .unwrap_or_else(|| panic!("no keepalive"));
    let ack = recs
        .iter()
        .find(|r| r.tag_name() == "KEEPALIVE2_ACK")
        .unwrap_or_else(|| panic!("no ack"));
    let note = ack
        .session
        .clone()
        .unwrap_or_else(|| panic!("no session note"));
    assert_eq!(note.keepalive_row, Some(ka.number));
    // Packets are 1 ms apart: the keepalive's data packet, its ACK, then the reply.
    assert_eq!(note.keepalive_rtt_ns, Some(2_000_000));
}

#[test]
fn keepalive_fields_are_in_the_tree() {
    let stamp = [9u8; 8];
    let recs = run(&[
        c(control(Tag::Keepalive2, &stamp)),
        s(control(Tag::Keepalive2Ack, &stamp)),
    ]);
    let ack = recs
        .iter()
        .find(|r| r.tag_name() == "KEEPALIVE2_ACK")
        .unwrap_or_else(|| panic!("no ack"));
    let tree = cephshark::analysis::record_tree(ack);
    assert_eq!(
        tree.find("msgr2.session.keepalive_rtt")
            .map(|n| n.value_text()),
        Some("2000000".to_string())
    );
}

#[test]
fn entity_names_come_from_hello_and_ident() {
    // The real none-crc capture: the client of the first OSD connection is
    // client.4112 (Ceph's osd log: `<== client.4112 ... osd_op(client.4112.0:1 ...`).
    let pcap = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut recs = Vec::new();
    let s = dissect(&pcap[..], Config::default(), &mut |r| recs.push(r))
        .unwrap_or_else(|e| panic!("{e}"));
    let op = recs
        .iter()
        .find(|r| r.msg.map(|h| h.msg_type) == Some(42))
        .unwrap_or_else(|| panic!("no osd_op"));
    let conn = s.conns.get(&op.conn).unwrap_or_else(|| panic!("no conn"));
    assert_eq!(
        conn.names,
        [Some("client.4112".to_string()), Some("osd.0".to_string())]
    );
    assert_eq!(
        op.session.as_ref().and_then(|n| n.sender_name.clone()),
        Some("client.4112".into())
    );
    let line = cephshark::cli::info(op);
    assert!(
        line.contains(
            "osd_op(client.4112.0:1 1.7 1:ff7b1f36:::obj1:head [writefull 0~12813 in=12813b]"
        ),
        "{line}"
    );
}

/// Two connections of one session: the second resumes the first by its
/// cookies (SESSION_RECONNECT names CLIENT_IDENT's and SERVER_IDENT's).
#[test]
fn a_reconnect_names_the_connection_it_resumes() {
    use cephshark::decode::control_enc::{ClientIdent, ServerIdent, SessionReconnect};
    let ident = ClientIdent {
        gid: 4112.into(),
        cookie: 0x1111.into(),
        ..ClientIdent::default()
    }
    .encode();
    let sident = ServerIdent {
        gid: 0.into(),
        cookie: 0x2222.into(),
        ..ServerIdent::default()
    }
    .encode();
    let other = SessionReconnect {
        client_cookie: 0x1111.into(),
        server_cookie: 0x9999.into(),
        ..SessionReconnect::default()
    }
    .encode();
    let resume = SessionReconnect {
        client_cookie: 0x1111.into(),
        server_cookie: 0x2222.into(),
        connect_seq: 1.into(),
        ..SessionReconnect::default()
    }
    .encode();
    let banners = || vec![c(banner::encode(1, 0)), s(banner::encode(1, 0))];
    let mut first = banners();
    first.extend([
        c(control(Tag::ClientIdent, &ident)),
        s(control(Tag::ServerIdent, &sident)),
    ]);
    let mut second = banners();
    second.push(c(control(Tag::SessionReconnect, &other)));
    let mut third = banners();
    third.push(c(control(Tag::SessionReconnect, &resume)));
    // One pcap holding the three connections in turn (the record headers of
    // the later ones appended after the first file's).
    let mut pcap = connection(40000, 6800, &first, 1400);
    pcap.extend_from_slice(&connection(40001, 6800, &second, 1400)[24..]);
    pcap.extend_from_slice(&connection(40002, 6800, &third, 1400)[24..]);
    let mut recs = Vec::new();
    dissect(&pcap[..], Config::default(), &mut |r| recs.push(r)).unwrap_or_else(|e| panic!("{e}"));
    let reconnects: Vec<&Record> = recs
        .iter()
        .filter(|r| r.tag_name() == "SESSION_RECONNECT")
        .collect();
    assert_eq!(reconnects.len(), 2);
    // Wrong server cookie: no session in the capture matches.
    assert_eq!(reconnects[0].session.as_ref().and_then(|n| n.resumes), None);
    let first_conn = recs
        .iter()
        .find(|r| r.tag_name() == "CLIENT_IDENT")
        .map(|r| r.conn);
    assert_eq!(
        reconnects[1].session.as_ref().and_then(|n| n.resumes),
        first_conn
    );
    let tree = cephshark::analysis::record_tree(reconnects[1]);
    assert_eq!(
        tree.find("msgr2.session.resumes").map(|n| n.value_text()),
        first_conn.map(|c| c.0.to_string())
    );
}

/// A connection captured mid-stream: the TCP layer cannot tell who opened
/// it (both ports are ephemeral-looking), but the first message does: a
/// mon_map comes from the monitor. none-crc.pcap begins inside the
/// connection 127.0.0.1:42640 -> 127.0.0.1:43500 (the monitor).
#[test]
fn mid_stream_roles_come_from_the_first_message() {
    let pcap = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/none-crc.pcap"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut recs = Vec::new();
    let s = dissect(&pcap[..], Config::default(), &mut |r| recs.push(r))
        .unwrap_or_else(|e| panic!("{e}"));
    let c0 = s
        .conns
        .values()
        .next()
        .unwrap_or_else(|| panic!("no connection"));
    assert!(!c0.handshake_seen);
    assert_eq!(
        (c0.client.to_string(), c0.server.to_string()),
        ("127.0.0.1:42640".into(), "127.0.0.1:43500".into())
    );
    let rows: Vec<&Record> = recs.iter().filter(|r| r.conn == c0.conn).collect();
    assert_eq!(rows.len(), 3);
    for r in rows {
        assert_eq!(r.dir, cephshark::tcp::Direction::ServerToClient);
        assert_eq!(r.src.to_string(), "127.0.0.1:43500");
    }
    // Numbers stay in order although the rows waited for the decision.
    assert!(recs.windows(2).all(|w| w[0].number + 1 == w[1].number));
}
