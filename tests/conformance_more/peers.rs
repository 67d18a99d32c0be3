//! The banner exchange (required features) and the peer's entity type
//! against what the client connected to.

use super::support::capture_conv::read_all;
use super::support::conform::*;
use super::support::flip::write;
use super::support::mutants::records;
use super::support::synth::connection;
use cephshark::analysis::RecordKind;
use cephshark::decode::control::Control;
use cephshark::decode::grammar::Sp;
use cephshark::decode::msg::mon_map::MonMapMsg;
use cephshark::model::ProblemKind;
use cephshark::msgr2::{banner, Tag};
use cephshark::tcp::{ConnId, Direction};

#[test]
fn required_features_the_peer_lacks_are_reported_at_the_banner() {
    let c = conversation("none-crc.pcap", 1);
    for (client, supported, required, who, peer_sup) in [
        // The server requires compression; the client supports REVISION_1 only.
        (
            false,
            3,
            2,
            Direction::ServerToClient,
            "client's supported 0x1",
        ),
        // The client requires bit 2, which the server does not support.
        (
            true,
            5,
            4,
            Direction::ClientToServer,
            "server's supported 0x1",
        ),
    ] {
        let i = c
            .iter()
            .position(|(s, t)| s.from_client == client && t.is_none())
            .unwrap();
        let mut m = c.clone();
        m[i].0.data = banner::encode(supported, required);
        let rows = run(&m);
        let f = findings(&rows);
        assert_eq!(f.len(), 1, "{f:?}");
        let (r, p) = &f[0];
        assert!(matches!(r.kind, RecordKind::Undecoded(_)));
        assert_eq!(
            (r.dir, p.kind, p.field),
            (
                who,
                ProblemKind::FeaturesUnsupported,
                "msgr2.banner.required"
            )
        );
        // The banner opens its direction's stream: required is at 18..26.
        assert_eq!((p.offset, p.len), (18, 8));
        assert_eq!(p.expected, format!("a subset of the {peer_sup}"));
        assert_eq!(p.found, format!("{required:#x}"));
        let (code, out) = verify(&pcap(&m), &format!("features{client}"));
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("features_unsupported at msgr2.banner.required"),
            "{out}"
        );
    }
    // Each banner's required bits within the other's supported: nothing.
    let mut m = c.clone();
    let i = c
        .iter()
        .position(|(s, t)| !s.from_client && t.is_none())
        .unwrap();
    m[i].0.data = banner::encode(1, 1);
    assert_eq!(findings(&run(&m)).len(), 0);
}

/// The connection of `name` that carries a monmap, and the monitors it
/// lists: (conn, [(name, port)]).
fn mon_conn(name: &str) -> (u32, Vec<(String, u16)>) {
    let rows = super::support::mutants::real_named(name);
    let hello = |conn| {
        rows.iter().any(|r| {
            r.conn == conn
                && r.dir == Direction::ServerToClient
                && r.frame().is_some_and(|f| f.tag() == Tag::Hello)
        })
    };
    for r in rows.iter().filter(|r| hello(r.conn)) {
        let Some(m) = r.payload.as_ref().and_then(|p| p.front::<MonMapMsg>()) else {
            continue;
        };
        let mons = m
            .mons()
            .flat_map(|(n, a)| {
                a.addrs.iter().filter_map(move |x| match x.sockaddr {
                    cephshark::decode::addr::SockAddr::V4 { port, .. } => {
                        Some((n.to_string(), port))
                    }
                    _ => None,
                })
            })
            .collect();
        return (r.conn.0, mons);
    }
    panic!("no monmap in {name}");
}

#[test]
fn a_server_that_is_not_the_monitor_its_address_names_is_reported() {
    let (conn, mons) = mon_conn("none-crc.pcap");
    let c = conversation("none-crc.pcap", conn);
    // The monitor's v2 address (msgr2 port 3300 range, the first listed).
    let (mon, port) = mons[0].clone();
    let first = connection(
        40000,
        port,
        &c.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
        1400,
    );
    let i = pos(&c, false, Tag::Hello);
    let Control::Hello(mut h) = decoded(&c, i) else {
        panic!()
    };
    assert_eq!(h.entity_type.v, 1);
    for (ty, found) in [(1u8, None), (4, Some("osd"))] {
        h.entity_type = Sp::new(ty);
        let mut m = c.clone();
        m[i] = send(false, &Control::Hello(h.clone()));
        let second = connection(
            40001,
            port,
            &m.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
            1400,
        );
        let mut pkts = read_all(&first);
        pkts.extend(read_all(&second));
        let bytes = write(&pkts);
        let rows = records(&bytes);
        let f = findings(&rows);
        let Some(found) = found else {
            assert_eq!(f.len(), 0, "{:?}", f.first().map(|x| &x.1));
            continue;
        };
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|x| &x.1).collect::<Vec<_>>()
        );
        let (r, p) = &f[0];
        assert_eq!(
            (r.conn, r.dir),
            (ConnId(1), Direction::ServerToClient),
            "the second connection"
        );
        assert_eq!(r.frame().unwrap().tag(), Tag::Hello);
        assert_eq!(
            (p.kind, p.field),
            (ProblemKind::PeerTypeMismatch, "msgr2.hello.entity_type")
        );
        assert_eq!(
            p.expected,
            format!("mon (127.0.0.1:{port} is mon.{mon} in a monmap)")
        );
        assert_eq!(p.found, found);
        // entity_type is the first byte of the HELLO payload: right after
        // the 32-byte preamble of the server's first frame (banner: 26).
        assert_eq!((p.offset, p.len), (26 + 32, 1));
        let (code, out) = verify(&bytes, "peer_type");
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("state_peer_type_mismatch at msgr2.hello.entity_type"),
            "{out}"
        );
    }
}
