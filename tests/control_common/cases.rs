//! Populated payloads of every tag, random ones, and the check that a
//! decoded tree holds what was encoded.

use super::{int, uint, val, vals};
use cephshark::decode::addr::{AddrVec, EntityAddr, EntityName, SockAddr};
use cephshark::decode::auth_enc::{self as authp, ServiceTicket, Ticket, TicketBlob};
use cephshark::decode::control;
use cephshark::decode::control_enc::*;
use cephshark::model::{FieldNode, Value};
use cephshark::msgr2::encoder::{encode_crc, FrameSpec};
use cephshark::msgr2::{banner, ConnDecoder, DecoderConfig, Event, Frame, Rev, Tag};
use cephshark::tcp::Direction;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

pub fn v4(a: [u8; 4], port: u16, nonce: u32, ty: u32) -> EntityAddr {
    EntityAddr::new(
        ty,
        nonce,
        SockAddr::V4 {
            ip: Ipv4Addr::from(a),
            port,
        },
    )
}

pub fn v6() -> EntityAddr {
    let ip: Ipv6Addr = "fd00::1:2".parse().unwrap();
    EntityAddr::new(
        2,
        77,
        SockAddr::V6 {
            ip,
            port: 6800,
            flowinfo: 0x12345,
            scope_id: 3,
        },
    )
}

pub fn ticket(id: u64) -> TicketBlob {
    TicketBlob::new(id, vec![0xab; 32])
}

/// One populated payload of every tag, and several auth payload layouts.
pub fn cases() -> Vec<Control> {
    let admin = EntityName::new(8, "admin");
    let tickets = vec![ServiceTicket::new(
        32,
        vec![1; 48],
        Ticket::plain(ticket(2)),
    )];
    let extra = vec![
        ServiceTicket::new(1, vec![2; 48], Ticket::plain(ticket(5))),
        ServiceTicket::new(4, vec![3; 48], Ticket::encrypted(vec![4; 64])),
    ];
    let addrs = AddrVec::new(vec![
        v4([10, 0, 0, 7], 6800, 4242, 2),
        v4([10, 0, 0, 7], 6789, 4242, 1),
        v6(),
    ]);
    vec![
        Control::Hello(Hello {
            entity_type: 1.into(),
            peer_addr: v4([127, 0, 0, 1], 42644, 0, 2),
        }),
        Control::Hello(Hello {
            entity_type: 4.into(),
            peer_addr: v6(),
        }),
        Control::AuthRequest(AuthRequest {
            method: 2.into(),
            preferred_modes: (vec![2, 1]).into(),
            auth_payload: (authp::name_and_gid(10, &admin, 0)).into(),
        }),
        Control::AuthRequest(AuthRequest {
            method: 1.into(),
            preferred_modes: (vec![1]).into(),
            auth_payload: (authp::name_and_gid(1, &admin, 4112)).into(),
        }),
        Control::AuthRequest(AuthRequest {
            method: 2.into(),
            preferred_modes: (vec![2]).into(),
            auth_payload: (authp::cephx_authorizer(4115, 4, &ticket(2), &[9; 32])).into(),
        }),
        Control::AuthBadMethod(AuthBadMethod {
            method: 4.into(),
            result: (-95).into(),
            allowed_methods: (vec![2, 1]).into(),
            allowed_modes: (vec![2]).into(),
        }),
        Control::AuthReplyMore(AuthReplyMore {
            auth_payload: (authp::server_challenge(0xe518_f01d_7c18_3e29)).into(),
        }),
        Control::AuthReplyMore(AuthReplyMore {
            auth_payload: (vec![0x52; 32]).into(),
        }),
        Control::AuthRequestMore(AuthRequestMore {
            auth_payload: (authp::authenticate(
                0xd457,
                0x93e3,
                &TicketBlob::new(0, Vec::new()),
                0x35,
            ))
            .into(),
        }),
        Control::AuthRequestMore(AuthRequestMore {
            auth_payload: (authp::cephx_authorizer(4112, 4, &ticket(2), &[8; 32])).into(),
        }),
        Control::AuthDone(AuthDone {
            global_id: 4113.into(),
            con_mode: 2.into(),
            auth_payload: (authp::mon_done(0, &tickets, Some((&[7; 16], &extra)))).into(),
        }),
        Control::AuthDone(AuthDone {
            global_id: 4112.into(),
            con_mode: 1.into(),
            auth_payload: (authp::authorize_reply(&[6; 96])).into(),
        }),
        Control::AuthDone(AuthDone {
            global_id: 4123.into(),
            con_mode: 1.into(),
            auth_payload: (Vec::new()).into(),
        }),
        Control::AuthSignature(AuthSignature {
            sha256: [0x76; 32].into(),
        }),
        Control::ClientIdent(ClientIdent {
            addrs: addrs.clone(),
            target_addr: v4([10, 0, 0, 1], 6800, 9033, 2),
            gid: 4123.into(),
            global_seq: 7.into(),
            supported_features: 0x3f01_cfbd_fffd_ffff.into(),
            required_features: 0x0800_0000_0000_1000.into(),
            flags: 1.into(),
            cookie: 0x4f8e_670f_dde8_52d4.into(),
        }),
        Control::ServerIdent(ServerIdent {
            addrs: addrs.clone(),
            gid: 0.into(),
            global_seq: 17.into(),
            supported_features: (u64::MAX).into(),
            required_features: 0.into(),
            flags: 0.into(),
            cookie: 0xfeed.into(),
        }),
        Control::IdentMissingFeatures(IdentMissingFeatures {
            features: (1 << 33 | 1 << 57 | 1 << 28).into(),
        }),
        Control::SessionReconnect(SessionReconnect {
            addrs,
            client_cookie: 1.into(),
            server_cookie: 2.into(),
            global_seq: 3.into(),
            connect_seq: 4.into(),
            msg_seq: 5.into(),
        }),
        Control::SessionReset(SessionReset { full: true.into() }),
        Control::SessionRetry(SessionRetry {
            connect_seq: 9.into(),
        }),
        Control::SessionRetryGlobal(SessionRetryGlobal {
            global_seq: 99.into(),
        }),
        Control::SessionReconnectOk(SessionReconnectOk { msg_seq: 12.into() }),
        Control::Wait(Wait),
        Control::Keepalive2(Stamp::new(1_795_409_693, 149_000_000)),
        Control::Keepalive2Ack(Stamp::new(1_795_409_693, 150_000_000)),
        Control::Ack(Ack { seq: 12.into() }),
        Control::CompressionRequest(CompressionRequest {
            is_compress: true.into(),
            preferred_methods: (vec![1, 4]).into(),
        }),
        Control::CompressionDone(CompressionDone {
            is_compress: true.into(),
            method: 1.into(),
        }),
    ]
}

/// Decode one frame fed through the connection decoder after both banners.
pub fn through_decoder(tag: Tag, payload: &[u8]) -> Frame {
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    let mut out = Vec::new();
    let b = banner::encode(banner::FEATURE_REVISION_1, 0);
    d.feed(Direction::ServerToClient, 0, &b, &mut out);
    let mut stream = b.clone();
    stream.extend(encode_crc(Rev::V1, &FrameSpec::control(tag.raw(), payload)));
    d.feed(Direction::ClientToServer, 0, &stream, &mut out);
    d.finish(&mut out);
    let mut frames = out.into_iter().filter_map(|(_, e)| match e {
        Event::Frame(f) => Some(*f),
        _ => None,
    });
    let f = frames.next().unwrap();
    assert!(frames.next().is_none());
    f
}

pub fn addr_values(n: &FieldNode, a: &EntityAddr) {
    assert_eq!(n.value, Value::Addr(a.to_string()));
    assert_eq!(uint(n, "ceph.addr.type"), u64::from(a.addr_type.v));
    assert_eq!(uint(n, "ceph.addr.nonce"), u64::from(a.nonce.v));
    match &a.sockaddr {
        SockAddr::V4 { ip, port } => {
            assert_eq!(val(n, "ceph.addr.family"), Value::Enum(2, Some("inet")));
            assert_eq!(val(n, "ceph.addr.ip"), Value::Addr(ip.to_string()));
            assert_eq!(uint(n, "ceph.addr.port"), u64::from(*port));
        }
        SockAddr::V6 {
            ip,
            port,
            flowinfo,
            scope_id,
        } => {
            assert_eq!(val(n, "ceph.addr.family"), Value::Enum(10, Some("inet6")));
            assert_eq!(val(n, "ceph.addr.ip"), Value::Addr(ip.to_string()));
            assert_eq!(uint(n, "ceph.addr.port"), u64::from(*port));
            assert_eq!(uint(n, "ceph.addr.flowinfo"), u64::from(*flowinfo));
            assert_eq!(uint(n, "ceph.addr.scope_id"), u64::from(*scope_id));
        }
        SockAddr::Empty => assert!(n.find("ceph.addr.family").is_none()),
        SockAddr::Other { family, data } => {
            assert_eq!(uint(n, "ceph.addr.family"), u64::from(*family));
            let want = if data.is_empty() {
                vec![]
            } else {
                vec![Value::Bytes(data.clone())]
            };
            assert_eq!(vals(n, "ceph.addr.sockaddr_data"), want);
        }
    }
}

pub fn addrvec_values(n: &FieldNode, v: &AddrVec) {
    assert_eq!(n.value, Value::Str(v.to_string()));
    let av = n.find("ceph.addrvec").unwrap();
    assert_eq!(uint(av, "ceph.addrvec.count"), v.addrs.len() as u64);
    let addrs: Vec<&FieldNode> = av
        .children
        .iter()
        .filter(|c| c.def.abbrev == "ceph.addr")
        .collect();
    assert_eq!(addrs.len(), v.addrs.len());
    for (n, a) in addrs.iter().zip(&v.addrs) {
        addr_values(n, a);
    }
}

pub fn u32s(v: &[u32], names: fn(u64) -> Option<&'static str>) -> Vec<Value> {
    v.iter()
        .map(|x| Value::Enum(u64::from(*x), names(u64::from(*x))))
        .collect()
}

/// Every field of `g` (a payload group) holds what `c` says.
pub fn check(c: &Control, g: &FieldNode) {
    use cephshark::decode::auth::{auth_method_name as am, con_mode_name as cm};
    let feats = |abbrev: &str, v: u64| {
        let n = g.find(abbrev).unwrap();
        assert_eq!(n.value, Value::Uint(v));
        assert_eq!(
            n.children.len(),
            cephshark::decode::features::FEATURES.len()
        );
        for f in cephshark::decode::features::FEATURES {
            assert_eq!(val(n, f.def.abbrev), Value::Bool(f.present(v)));
        }
    };
    let bl = |abbrev: &str, b: &[u8]| assert_eq!(uint(g, abbrev), b.len() as u64);
    match c {
        Control::Hello(h) => {
            assert_eq!(
                uint(g, "msgr2.hello.entity_type"),
                u64::from(h.entity_type.v)
            );
            addr_values(g.find("msgr2.hello.peer_addr").unwrap(), &h.peer_addr);
        }
        Control::AuthRequest(a) => {
            assert_eq!(
                val(g, "msgr2.auth_request.method"),
                u32s(&[a.method.v], am)[0]
            );
            assert_eq!(
                vals(g, "msgr2.auth_request.preferred_modes.mode"),
                u32s(&a.preferred_modes.values(), cm)
            );
            bl("msgr2.auth_request.payload_len", &a.auth_payload.bytes.v);
        }
        Control::AuthBadMethod(b) => {
            assert_eq!(
                val(g, "msgr2.auth_bad_method.method"),
                u32s(&[b.method.v], am)[0]
            );
            assert_eq!(
                int(g, "msgr2.auth_bad_method.result"),
                i64::from(b.result.v)
            );
            assert_eq!(
                vals(g, "msgr2.auth_bad_method.allowed_methods.method"),
                u32s(&b.allowed_methods.values(), am)
            );
            assert_eq!(
                vals(g, "msgr2.auth_bad_method.allowed_modes.mode"),
                u32s(&b.allowed_modes.values(), cm)
            );
        }
        Control::AuthReplyMore(m) => {
            bl("msgr2.auth_reply_more.payload_len", &m.auth_payload.bytes.v)
        }
        Control::AuthRequestMore(m) => bl(
            "msgr2.auth_request_more.payload_len",
            &m.auth_payload.bytes.v,
        ),
        Control::AuthDone(d) => {
            assert_eq!(uint(g, "msgr2.auth_done.global_id"), d.global_id.v);
            assert_eq!(
                val(g, "msgr2.auth_done.con_mode"),
                u32s(&[d.con_mode.v], cm)[0]
            );
            bl("msgr2.auth_done.payload_len", &d.auth_payload.bytes.v);
        }
        Control::AuthSignature(s) => assert_eq!(
            val(g, "msgr2.auth_signature.sha256"),
            Value::Bytes(s.sha256.v.to_vec())
        ),
        Control::ClientIdent(x) => {
            addrvec_values(g.find("msgr2.client_ident.addrs").unwrap(), &x.addrs);
            let t = g.find("msgr2.client_ident.target_addr").unwrap();
            addr_values(t.find("ceph.addr").unwrap(), &x.target_addr);
            assert_eq!(int(g, "msgr2.client_ident.gid"), x.gid.v);
            assert_eq!(uint(g, "msgr2.client_ident.global_seq"), x.global_seq.v);
            feats(
                "msgr2.client_ident.supported_features",
                x.supported_features.v,
            );
            feats(
                "msgr2.client_ident.required_features",
                x.required_features.v,
            );
            assert_eq!(uint(g, "msgr2.client_ident.flags"), x.flags.v);
            assert_eq!(
                val(g, "msgr2.client_ident.flags.lossy"),
                Value::Bool(x.flags.v & 1 != 0)
            );
            assert_eq!(uint(g, "msgr2.client_ident.cookie"), x.cookie.v);
        }
        Control::ServerIdent(x) => {
            addrvec_values(g.find("msgr2.server_ident.addrs").unwrap(), &x.addrs);
            assert_eq!(int(g, "msgr2.server_ident.gid"), x.gid.v);
            assert_eq!(uint(g, "msgr2.server_ident.global_seq"), x.global_seq.v);
            feats(
                "msgr2.server_ident.supported_features",
                x.supported_features.v,
            );
            feats(
                "msgr2.server_ident.required_features",
                x.required_features.v,
            );
            assert_eq!(uint(g, "msgr2.server_ident.flags"), x.flags.v);
            assert_eq!(uint(g, "msgr2.server_ident.cookie"), x.cookie.v);
        }
        Control::IdentMissingFeatures(m) => {
            feats("msgr2.ident_missing_features.features", m.features.v)
        }
        Control::SessionReconnect(s) => {
            addrvec_values(g.find("msgr2.session_reconnect.addrs").unwrap(), &s.addrs);
            for (a, v) in [
                ("client_cookie", s.client_cookie.v),
                ("server_cookie", s.server_cookie.v),
                ("global_seq", s.global_seq.v),
                ("connect_seq", s.connect_seq.v),
                ("msg_seq", s.msg_seq.v),
            ] {
                assert_eq!(uint(g, &format!("msgr2.session_reconnect.{a}")), v);
            }
        }
        Control::SessionReset(r) => {
            assert_eq!(val(g, "msgr2.session_reset.full"), Value::Bool(r.full.v))
        }
        Control::SessionRetry(r) => {
            assert_eq!(uint(g, "msgr2.session_retry.connect_seq"), r.connect_seq.v)
        }
        Control::SessionRetryGlobal(r) => assert_eq!(
            uint(g, "msgr2.session_retry_global.global_seq"),
            r.global_seq.v
        ),
        Control::SessionReconnectOk(r) => {
            assert_eq!(uint(g, "msgr2.session_reconnect_ok.msg_seq"), r.msg_seq.v)
        }
        Control::Wait(_) => assert!(g.children.is_empty()),
        Control::Keepalive2(s) => assert_eq!(
            val(g, "msgr2.keepalive2.timestamp"),
            Value::Time(i64::from(s.t.v.0), s.t.v.1)
        ),
        Control::Keepalive2Ack(s) => assert_eq!(
            val(g, "msgr2.keepalive2_ack.timestamp"),
            Value::Time(i64::from(s.t.v.0), s.t.v.1)
        ),
        Control::Ack(a) => assert_eq!(uint(g, "msgr2.ack.seq"), a.seq.v),
        Control::CompressionRequest(r) => {
            assert_eq!(
                val(g, "msgr2.compression_request.is_compress"),
                Value::Bool(r.is_compress.v)
            );
            assert_eq!(
                vals(g, "msgr2.compression_request.preferred_methods.method"),
                u32s(&r.preferred_methods.values(), control::compression_name)
            );
        }
        Control::CompressionDone(r) => {
            assert_eq!(
                val(g, "msgr2.compression_done.is_compress"),
                Value::Bool(r.is_compress.v)
            );
            assert_eq!(
                val(g, "msgr2.compression_done.method"),
                u32s(&[r.method.v], control::compression_name)[0]
            );
        }
    }
}

pub fn addr_strategy() -> impl Strategy<Value = EntityAddr> {
    let sock = prop_oneof![
        Just(SockAddr::Empty),
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SockAddr::V4 {
            ip: ip.into(),
            port
        }),
        (any::<[u8; 16]>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
            |(ip, port, flowinfo, scope_id)| SockAddr::V6 {
                ip: ip.into(),
                port,
                flowinfo,
                scope_id
            }
        ),
        // At most the family's sockaddr (msg_types.h: "elen exceeds sockaddr len").
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..27))
            .prop_filter("not a known layout, within its length", |(f, d)| match f {
                2 => d.len() < 14,
                10 => d.len() < 26,
                _ => true,
            })
            .prop_map(|(family, data)| SockAddr::Other { family, data }),
    ];
    (0u32..6, any::<u32>(), sock)
        .prop_map(|(addr_type, nonce, sockaddr)| EntityAddr::new(addr_type, nonce, sockaddr))
}

pub fn control_strategy() -> impl Strategy<Value = Control> {
    let av = || prop::collection::vec(addr_strategy(), 0..3).prop_map(AddrVec::new);
    let v32 = || prop::collection::vec(0u32..6, 0..4);
    // Auth payloads the cephx reading leaves as bytes (a first byte 0 is
    // no auth mode nor cephx request type), so that they always decode.
    let bytes = || {
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|mut b| {
            if !b.is_empty() {
                b.splice(0..0, [0, 0]);
            }
            b
        })
    };
    prop_oneof![
        (any::<u8>(), addr_strategy()).prop_map(|(entity_type, peer_addr)| Control::Hello(Hello {
            entity_type: entity_type.into(),
            peer_addr
        })),
        (0u32..5, v32(), bytes()).prop_map(|(method, preferred_modes, auth_payload)| {
            Control::AuthRequest(AuthRequest {
                method: method.into(),
                preferred_modes: preferred_modes.into(),
                auth_payload: auth_payload.into(),
            })
        }),
        (any::<u32>(), any::<i32>(), v32(), v32()).prop_map(
            |(method, result, allowed_methods, allowed_modes)| Control::AuthBadMethod(
                AuthBadMethod {
                    method: method.into(),
                    result: result.into(),
                    allowed_methods: allowed_methods.into(),
                    allowed_modes: allowed_modes.into()
                }
            )
        ),
        bytes().prop_map(|auth_payload| Control::AuthReplyMore(AuthReplyMore {
            auth_payload: auth_payload.into()
        })),
        bytes().prop_map(|auth_payload| Control::AuthRequestMore(AuthRequestMore {
            auth_payload: auth_payload.into()
        })),
        (any::<u64>(), 0u32..4, bytes()).prop_map(|(global_id, con_mode, auth_payload)| {
            Control::AuthDone(AuthDone {
                global_id: global_id.into(),
                con_mode: con_mode.into(),
                auth_payload: auth_payload.into(),
            })
        }),
        any::<[u8; 32]>().prop_map(|sha256| Control::AuthSignature(AuthSignature {
            sha256: sha256.into()
        })),
        (av(), addr_strategy(), any::<i64>(), any::<[u64; 5]>()).prop_map(
            |(addrs, target_addr, gid, v)| Control::ClientIdent(ClientIdent {
                addrs,
                target_addr,
                gid: gid.into(),
                global_seq: v[0].into(),
                supported_features: v[1].into(),
                required_features: v[2].into(),
                flags: v[3].into(),
                cookie: v[4].into()
            })
        ),
        (av(), any::<i64>(), any::<[u64; 5]>()).prop_map(|(addrs, gid, v)| Control::ServerIdent(
            ServerIdent {
                addrs,
                gid: gid.into(),
                global_seq: v[0].into(),
                supported_features: v[1].into(),
                required_features: v[2].into(),
                flags: v[3].into(),
                cookie: v[4].into()
            }
        )),
        any::<u64>().prop_map(
            |features| Control::IdentMissingFeatures(IdentMissingFeatures {
                features: features.into()
            })
        ),
        (av(), any::<[u64; 5]>()).prop_map(|(addrs, v)| Control::SessionReconnect(
            SessionReconnect {
                addrs,
                client_cookie: v[0].into(),
                server_cookie: v[1].into(),
                global_seq: v[2].into(),
                connect_seq: v[3].into(),
                msg_seq: v[4].into()
            }
        )),
        any::<bool>().prop_map(|full| Control::SessionReset(SessionReset { full: full.into() })),
        any::<u64>().prop_map(|connect_seq| Control::SessionRetry(SessionRetry {
            connect_seq: connect_seq.into()
        })),
        any::<u64>().prop_map(
            |global_seq| Control::SessionRetryGlobal(SessionRetryGlobal {
                global_seq: global_seq.into()
            })
        ),
        any::<u64>().prop_map(|msg_seq| Control::SessionReconnectOk(SessionReconnectOk {
            msg_seq: msg_seq.into()
        })),
        Just(Control::Wait(Wait)),
        (any::<u32>(), any::<u32>())
            .prop_map(|(sec, nsec)| Control::Keepalive2(Stamp::new(sec, nsec))),
        (any::<u32>(), any::<u32>())
            .prop_map(|(sec, nsec)| Control::Keepalive2Ack(Stamp::new(sec, nsec))),
        any::<u64>().prop_map(|seq| Control::Ack(Ack { seq: seq.into() })),
        (any::<bool>(), v32()).prop_map(|(is_compress, preferred_methods)| {
            Control::CompressionRequest(CompressionRequest {
                is_compress: is_compress.into(),
                preferred_methods: preferred_methods.into(),
            })
        }),
        (any::<bool>(), any::<u32>()).prop_map(|(is_compress, method)| Control::CompressionDone(
            CompressionDone {
                is_compress: is_compress.into(),
                method: method.into()
            }
        )),
    ]
}
