//! Control payloads built by the library's encoder: every tag round trips
//! through the frame decoder, cephx structures decode, summaries read
//! well, random payloads tile their bytes, and truncated or garbage input
//! gives a prefix of fields and one malformed item, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod control_common;

use cephshark::decode::addr::AddrVec;
use cephshark::decode::control;
use cephshark::decode::control_enc::*;
use cephshark::decode::frame_tree;
use cephshark::model::Value;
use cephshark::msgr2::Tag;
use control_common::cases::{cases, check, control_strategy, through_decoder, v4};
use control_common::{decode, group, int, text, tiles, uint, val, vals};
use proptest::prelude::*;
use std::collections::BTreeSet;

#[test]
fn every_tag_round_trips_through_the_frame_decoder() {
    let mut tags = BTreeSet::new();
    for c in cases() {
        let payload = c.encode();
        let f = through_decoder(c.tag(), &payload);
        assert_eq!(f.tag(), c.tag());
        assert_eq!(f.segment(0).unwrap(), &payload[..]);
        let g = group(&f);
        assert_eq!(
            g.def.abbrev,
            format!("msgr2.{}", c.tag().to_string().to_lowercase())
        );
        check(&c, &g);
        assert_eq!(Control::decode(c.tag(), &payload), Some(c.clone()));
        let tree = frame_tree(&f);
        assert!(
            tree.walk()
                .iter()
                .all(|n| !matches!(n.def.abbrev, "ceph.malformed" | "ceph.trailing")),
            "{c:?}"
        );
        tiles(
            &tree.find("msgr2.payload").unwrap().children,
            f.segments[0].clone(),
        );
        tags.insert(c.tag().raw());
    }
    assert_eq!(tags.len(), 21, "every control tag");
}

/// The auth payloads' cephx structures decode to what was encoded.
#[test]
fn cephx_payloads_decode() {
    let cs = cases();
    let g = |i: usize| group(&through_decoder(cs[i].tag(), &cs[i].encode()));
    let mon_req = g(2);
    assert_eq!(
        val(&mon_req, "msgr2.auth.mode"),
        Value::Enum(10, Some("mon"))
    );
    assert_eq!(
        val(&mon_req, "ceph.entity_name"),
        Value::Str("client.admin".into())
    );
    assert_eq!(uint(&mon_req, "msgr2.auth.global_id"), 0);
    assert_eq!(
        mon_req.summary.as_deref(),
        Some("method=cephx modes=secure,crc mon client.admin")
    );
    let none_authz = g(3);
    assert_eq!(
        val(&none_authz, "msgr2.auth.mode"),
        Value::Enum(1, Some("authorizer"))
    );
    assert_eq!(uint(&none_authz, "msgr2.auth.global_id"), 4112);
    let authz = g(4);
    assert_eq!(
        val(&authz, "ceph.cephx.service_id"),
        Value::Enum(4, Some("osd"))
    );
    assert_eq!(uint(&authz, "ceph.cephx.ticket.secret_id"), 2);
    assert_eq!(
        val(&authz, "ceph.cephx.ticket.blob"),
        Value::Bytes(vec![0xab; 32])
    );
    assert_eq!(
        val(&authz, "ceph.cephx.authorize"),
        Value::Bytes(vec![9; 32])
    );
    assert_eq!(text(&g(5), "msgr2.auth_bad_method.result"), "-95");
    assert_eq!(
        g(5).find("msgr2.auth_bad_method.result")
            .unwrap()
            .to_string(),
        "Result: -95 (EOPNOTSUPP)"
    );
    assert_eq!(
        uint(&g(6), "ceph.cephx.server_challenge"),
        0xe518_f01d_7c18_3e29
    );
    assert_eq!(
        val(&g(7), "ceph.cephx.authorize_challenge"),
        Value::Bytes(vec![0x52; 32])
    );
    let auth = g(8);
    assert_eq!(
        val(&auth, "ceph.cephx.request_type"),
        Value::Enum(0x100, Some("get_auth_session_key"))
    );
    assert_eq!(
        (
            uint(&auth, "ceph.cephx.client_challenge"),
            uint(&auth, "ceph.cephx.key")
        ),
        (0xd457, 0x93e3)
    );
    assert_eq!(uint(&auth, "ceph.cephx.other_keys"), 0x35);
    assert_eq!(
        vals(&auth, "ceph.cephx.struct_v"),
        vec![Value::Uint(3), Value::Uint(1)]
    );
    assert_eq!(uint(&g(9), "msgr2.auth.global_id"), 4112);
    let done = g(10);
    assert_eq!(int(&done, "ceph.cephx.status"), 0);
    assert_eq!(
        vals(&done, "ceph.cephx.service_id"),
        vec![
            Value::Enum(32, Some("auth")),
            Value::Enum(1, Some("mon")),
            Value::Enum(4, Some("osd"))
        ]
    );
    assert_eq!(
        vals(&done, "ceph.cephx.ticket.secret_id"),
        vec![Value::Uint(2), Value::Uint(5)]
    );
    assert_eq!(
        val(&done, "ceph.cephx.service_ticket.encrypted_ticket"),
        Value::Bytes(vec![4; 64])
    );
    assert_eq!(
        val(&done, "ceph.cephx.connection_secret"),
        Value::Bytes(vec![7; 16])
    );
    assert_eq!(
        done.find("ceph.cephx.extra").unwrap().summary.as_deref(),
        Some("2 ticket(s): mon,osd")
    );
    assert_eq!(
        val(&g(11), "ceph.cephx.authorize_reply"),
        Value::Bytes(vec![6; 96])
    );
    assert!(g(12).find("msgr2.auth_done.payload").is_none());
}

#[test]
fn summaries() {
    let s: Vec<String> = cases()
        .iter()
        .map(|c| control::summary(c.tag(), &c.encode()).unwrap())
        .collect();
    assert_eq!(s[0], "HELLO mon peer_addr=v2:127.0.0.1:42644/0");
    assert_eq!(s[1], "HELLO osd peer_addr=v2:[fd00::1:2]:6800/77");
    assert_eq!(s[10], "AUTH_DONE global_id=4113 mode=secure");
    assert!(s[14].starts_with("CLIENT_IDENT gid=4123 addrs=[v2:10.0.0.7:6800/4242,v1:10.0.0.7:6789/4242,v2:[fd00::1:2]:6800/77] target=v2:10.0.0.1:6800/9033 gseq=7 cookie=0x4f8e670fdde852d4 lossy"), "{}", s[14]);
    let ci = &cases()[14];
    assert!(control::summary_for(ci.tag(), &ci.encode(), Some(8))
        .unwrap()
        .starts_with("CLIENT_IDENT client.4123 gid=4123 "));
    assert_eq!(s[16], "IDENT_MISSING_FEATURES features=0x200000210000000 (server_mimic,server_quincy,server_jewel)");
    assert_eq!(s[22], "WAIT");
    assert_eq!(s[23], "KEEPALIVE2 2026-11-23T04:54:53.149Z");
    assert_eq!(s[25], "ACK seq=12");
    assert_eq!(
        s[26],
        "COMPRESSION_REQUEST compress=true methods=snappy,lz4"
    );
    assert_eq!(control::summary(Tag::Message, &[]), None);
    assert_eq!(control::summary(Tag::Ack, &[1, 2, 3]), None);
}

/// The legacy (marker 0) address form decodes inside an addrvec.
#[test]
fn legacy_address_form() {
    let a = v4([192, 168, 1, 2], 6789, 31337, 1);
    // An addrvec whose marker is 0 is one legacy address; the marker is
    // the address's own first byte (msg_types.cc entity_addrvec_t::decode).
    let mut payload = Vec::new();
    a.encode_legacy(&mut payload);
    assert_eq!(payload.len(), 136);
    payload.extend_from_slice(&[0; 40]);
    let nodes = decode(Tag::SessionReconnect, &payload);
    let g = &nodes[0];
    assert_eq!(
        text(g, "msgr2.session_reconnect.addrs"),
        "v1:192.168.1.2:6789/31337"
    );
    assert_eq!(val(g, "ceph.addr.family"), Value::Enum(2, Some("inet")));
    assert_eq!(val(g, "ceph.addr.type"), Value::Enum(1, Some("legacy")));
    tiles(&nodes, 0..payload.len());
    let c = Control::decode(Tag::SessionReconnect, &payload).unwrap();
    assert_eq!(
        c,
        Control::SessionReconnect(SessionReconnect {
            addrs: AddrVec::new(vec![a]),
            ..Default::default()
        })
    );
}

type Leaves = Vec<(std::ops::Range<usize>, &'static str, Value)>;

/// Check the nodes of a payload that did not decode: the leaves read
/// tile the bytes from 0 up to the fault, and one `ceph.malformed` node
/// sits at the fault's offset. Returns the leaves before it.
fn prefix_then_fault(tag: Tag, bytes: &[u8]) -> (Leaves, usize) {
    let d = control::decode(tag, bytes, 0, cephshark::model::Source::Wire, None);
    let e = d
        .error
        .clone()
        .unwrap_or_else(|| panic!("{tag:?} {bytes:?}: no fault"));
    let nodes = &d.nodes[0].children;
    let bad: Vec<_> = nodes
        .iter()
        .flat_map(|x| x.walk())
        .filter(|x| x.def.abbrev == "ceph.malformed")
        .collect();
    assert_eq!(bad.len(), 1, "{tag:?}");
    let span = bad[0].span.as_ref().unwrap().range.clone();
    assert_eq!(span, e.offset..e.offset + e.len, "{tag:?}");
    let good: Vec<_> = nodes
        .iter()
        .filter(|x| x.def.abbrev != "ceph.malformed")
        .cloned()
        .collect();
    // A value Ceph refuses was read: its leaf stays, under the fault.
    let mut leaves = Vec::new();
    for n in &good {
        control_common::leaves(n, &mut leaves);
    }
    let refused = leaves.iter().any(|(r, ..)| *r == span);
    let end = if refused { span.end } else { e.offset };
    (tiles(&good, 0..end), e.offset)
}

/// Every truncated prefix decodes as a prefix of the full decoding, then
/// one malformed item, an `end_of_buffer` at the first field the bytes do
/// not hold (a length whose bytes are cut: at the length field).
#[test]
fn truncated_payloads_give_a_prefix_and_one_malformed() {
    for c in cases() {
        let p = c.encode();
        let full = tiles(&decode(c.tag(), &p), 0..p.len());
        for n in 0..p.len() {
            let (l, at) = prefix_then_fault(c.tag(), &p[..n]);
            assert!(at <= n, "{:?} cut at {n}: fault at {at}", c.tag());
            assert_eq!(&full[..l.len()], &l[..], "{:?} cut at {n}", c.tag());
            let d = control::decode(c.tag(), &p[..n], 0, cephshark::model::Source::Wire, None);
            let e = d.error.unwrap();
            assert_eq!(e.fault, cephshark::decode::grammar::Fault::EndOfBuffer);
            // The field blamed starts where the prefix ends: a leaf of the
            // full decoding (or a length, whose leaf is the prefix's next).
            assert!(
                full.iter().any(|(r, ..)| r.start == at),
                "{:?} cut at {n}: fault at {at} starts no field",
                c.tag()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random payloads of every tag: leaf spans tile the payload, every
    /// field holds the encoded value, and the typed decoder agrees.
    #[test]
    fn random_payloads_tile_and_round_trip(c in control_strategy()) {
        let p = c.encode();
        let nodes = decode(c.tag(), &p);
        tiles(&nodes, 0..p.len());
        check(&c, &nodes[0]);
        prop_assert_eq!(Control::decode(c.tag(), &p), Some(c.clone()));
    }

    /// Garbage never panics; what decodes tiles the bytes, and what does
    /// not shows its prefix and one malformed item at the fault.
    #[test]
    fn garbage_never_panics(tag in 0u8..=23, bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let tag = Tag::from(tag);
        let d = control::decode(tag, &bytes, 0, cephshark::model::Source::Wire, None);
        if d.error.is_some() {
            prefix_then_fault(tag, &bytes);
            prop_assert_eq!(control::summary(tag, &bytes), None);
            prop_assert_eq!(Control::decode(tag, &bytes), None);
        } else {
            tiles(&decode(tag, &bytes), 0..bytes.len());
        }
    }
}

/// Parse `bytes` with the address grammar and view the value.
fn addrvec_view(bytes: &[u8]) -> (AddrVec, Vec<cephshark::model::FieldNode>) {
    use cephshark::decode::addr::{addrvec, addrvec_nodes};
    use cephshark::decode::grammar::{input, view::Nodes};
    use cephshark::model::Source;
    let notes = std::cell::RefCell::new(Vec::new());
    let (_, v) = addrvec()(input(bytes, 0, &notes)).unwrap();
    let mut n = Nodes::new(Source::Wire);
    addrvec_nodes(&mut n, &v);
    (v, n.finish())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The address grammar's value equals what was encoded, and its view
    /// is one `ceph.addrvec` group, valued by Ceph's text, whose leaves
    /// tile the bytes.
    #[test]
    fn address_views_tile_their_bytes(v in prop::collection::vec(control_common::cases::addr_strategy(), 0..3)) {
        let v = AddrVec::new(v);
        let mut bytes = Vec::new();
        v.encode(&mut bytes);
        let (parsed, nodes) = addrvec_view(&bytes);
        prop_assert_eq!(&parsed, &v);
        prop_assert_eq!(nodes.len(), 1);
        prop_assert_eq!(nodes[0].def.abbrev, "ceph.addrvec");
        prop_assert_eq!(&nodes[0].value, &Value::Str(v.to_string()));
        tiles(&nodes, 0..bytes.len());
    }
}

/// The same for the legacy form (a marker-0 single address).
#[test]
fn legacy_address_view_tiles_its_bytes() {
    let mut bytes = Vec::new();
    v4([192, 168, 1, 2], 6789, 31337, 1).encode_legacy(&mut bytes);
    let (parsed, nodes) = addrvec_view(&bytes);
    assert_eq!(parsed.to_string(), "v1:192.168.1.2:6789/31337");
    assert_eq!(nodes[0].span.as_ref().unwrap().range, 0..136);
    let leaves = tiles(&nodes, 0..136);
    assert_eq!(
        leaves.iter().map(|l| l.1).collect::<Vec<_>>(),
        [
            "ceph.addrvec.marker",
            "ceph.addr.legacy_pad",
            "ceph.addr.nonce",
            "ceph.addr.family",
            "ceph.addr.port",
            "ceph.addr.ip",
            "ceph.addr.padding"
        ]
    );
}
