//! The filter forms analysts bring from Wireshark and Ceph, over the real
//! captures: each expression selects exactly the rows a predicate computed
//! here selects, from the records' own values (ports, addresses, times,
//! message headers, segment bytes, and the entities the HELLO and ident
//! frames decode to); values that cannot match their field are errors
//! with a caret; a frame with a bad CRC keeps its connection's entity.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use cephshark::analysis::{dissect, record_tree, Config, Record};
use cephshark::decode::control::Control;
use cephshark::filter::Filter;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn rows_of(bytes: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    dissect(bytes, Config::default(), &mut |r| out.push(r)).unwrap();
    out
}

fn load(name: &str) -> Vec<Record> {
    rows_of(&std::fs::read(path(name)).unwrap())
}

fn by_filter(expr: &str, rows: &[Record]) -> Vec<u64> {
    let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {}", e.render(expr)));
    rows.iter()
        .filter(|r| f.matches(r))
        .map(|r| r.number)
        .collect()
}

fn by_pred(rows: &[Record], p: &dyn Fn(&Record) -> bool) -> Vec<u64> {
    rows.iter().filter(|r| p(r)).map(|r| r.number).collect()
}

fn check(name: &str, rows: &[Record], expr: &str, p: &dyn Fn(&Record) -> bool, min: usize) {
    let want = by_pred(rows, p);
    assert!(
        want.len() >= min,
        "{name}: {expr}: the predicate selects only {} rows",
        want.len()
    );
    assert_eq!(by_filter(expr, rows), want, "{name}: {expr}");
}

/// CEPH_ENTITY_TYPE_* (msgr.h) as Ceph prints them.
fn type_name(t: u8) -> &'static str {
    match t {
        0x01 => "mon",
        0x02 => "mds",
        0x04 => "osd",
        0x08 => "client",
        0x10 => "mgr",
        _ => "unknown",
    }
}

/// Per connection and direction index (0: from the opener): the entity
/// name its HELLO and ident frames give, and the row of the ident.
type Idents = HashMap<(u32, usize), (String, u64)>;

fn idents(rows: &[Record]) -> Idents {
    let mut types: HashMap<(u32, usize), u8> = HashMap::new();
    let mut out = Idents::new();
    for r in rows {
        let key = (r.conn.0, r.dir.index());
        let gid = match r.control() {
            Some(Control::Hello(h)) => {
                types.insert(key, h.entity_type.v);
                continue;
            }
            Some(Control::ClientIdent(c)) => c.gid.v,
            Some(Control::ServerIdent(s)) => s.gid.v,
            _ => continue,
        };
        let t = type_name(types[&key]);
        let name = if gid < 0 {
            format!("{t}.?")
        } else {
            format!("{t}.{gid}")
        };
        out.insert(key, (name, r.number));
    }
    out
}

/// Whether the entity sending (`peer` false) or receiving the row is
/// `name`, known by the row's time.
fn side_is(ids: &Idents, r: &Record, peer: bool, name: &str) -> bool {
    let i = if peer {
        r.dir.reverse().index()
    } else {
        r.dir.index()
    };
    ids.get(&(r.conn.0, i))
        .is_some_and(|(n, row)| n == name && r.number >= *row)
}

#[test]
fn entities_are_filterable_on_the_rows_of_their_connections() {
    for cap in ["none-crc.pcap", "cephx-crc.pcap", "lab-mixed.pcap"] {
        let rows = load(cap);
        let ids = idents(&rows);
        let osd0 = |r: &Record| side_is(&ids, r, false, "osd.0") || side_is(&ids, r, true, "osd.0");
        check(cap, &rows, "ceph.entity == osd.0", &osd0, 9);
        check(
            cap,
            &rows,
            "ceph.src.entity == osd.0",
            &|r| side_is(&ids, r, false, "osd.0"),
            4,
        );
        check(
            cap,
            &rows,
            "ceph.dst.entity == \"osd.0\"",
            &|r| side_is(&ids, r, true, "osd.0"),
            3,
        );
        // Every client with a global id: `client.N`, by the ident's gid.
        let clients: Vec<String> = ids
            .values()
            .map(|(n, _)| n.clone())
            .filter(|n| n.starts_with("client.") && n != "client.?")
            .collect();
        assert!(!clients.is_empty(), "{cap}");
        for c in &clients {
            let want = |r: &Record| side_is(&ids, r, false, c) || side_is(&ids, r, true, c);
            check(cap, &rows, &format!("ceph.entity == {c}"), &want, 4);
        }
        // Types come from the HELLO frames, so they reach further back.
        let mut hello: HashMap<(u32, usize), (u8, u64)> = HashMap::new();
        for r in &rows {
            if let Some(Control::Hello(h)) = r.control() {
                hello.insert((r.conn.0, r.dir.index()), (h.entity_type.v, r.number));
            }
        }
        let is_osd = |r: &Record| {
            [r.dir.index(), r.dir.reverse().index()].iter().any(|i| {
                hello
                    .get(&(r.conn.0, *i))
                    .is_some_and(|(t, row)| type_name(*t) == "osd" && r.number >= *row)
            })
        };
        check(cap, &rows, "ceph.entity.type == osd", &is_osd, 9);
        check(cap, &rows, "ceph.entity.type == OSD", &|_| false, 0);
        check(
            cap,
            &rows,
            "ceph.entity in {osd.0 mon.0}",
            &|r| osd0(r) || side_is(&ids, r, false, "mon.0") || side_is(&ids, r, true, "mon.0"),
            9,
        );
    }
}

#[test]
fn ports_and_ips_match_either_end() {
    for cap in ["none-crc.pcap", "lab-enoent.pcap"] {
        let rows = load(cap);
        let ports = |r: &Record| [r.src.port(), r.dst.port()];
        check(
            cap,
            &rows,
            "tcp.port in {38000..39000 35000..35199}",
            &|r| {
                ports(r)
                    .iter()
                    .any(|p| (38000..=39000).contains(p) || (35000..=35199).contains(p))
            },
            10,
        );
        let server = rows[0].dst.port();
        check(
            cap,
            &rows,
            &format!("tcp.port == {server}"),
            &|r| ports(r).contains(&server),
            5,
        );
        check(
            cap,
            &rows,
            &format!("tcp.srcport == {server}"),
            &|r| r.src.port() == server,
            2,
        );
        check(
            cap,
            &rows,
            &format!("tcp.dstport == {server}"),
            &|r| r.dst.port() == server,
            2,
        );
        check(
            cap,
            &rows,
            "tcp.srcport > tcp.dstport",
            &|r| r.src.port() > r.dst.port(),
            10,
        );
        check(cap, &rows, "ip.addr == 127.0.0.1", &|_| true, 50);
        check(
            cap,
            &rows,
            "ip.src == 127.0.0.1 && ip.dst == 127.0.0.1",
            &|_| true,
            50,
        );
        check(cap, &rows, "ip.addr == ::1", &|_| false, 0);
        check(cap, &rows, "ip.addr in {10.0.0.1 127.0.0.2}", &|_| false, 0);
    }
    // IPv6 rows: the same row with its endpoints moved to IPv6.
    let mut r = load("none-crc.pcap").swap_remove(5);
    r.src = "[::1]:3300".parse::<SocketAddr>().unwrap();
    r.dst = "[fe80::2]:40000".parse::<SocketAddr>().unwrap();
    let rows = [r];
    let all = |e: &str| by_filter(e, &rows).len();
    assert_eq!(all("ip.src == ::1"), 1);
    assert_eq!(all("ip.dst == ::1"), 0);
    assert_eq!(all("ip.addr == fe80::2 && ip.addr == ::1"), 1);
    assert_eq!(all("ip.addr == 127.0.0.1"), 0);
    assert_eq!(all("tcp.port == 40000 && tcp.port == 3300"), 1);
    assert_eq!(all("tcp.src == [::1]:3300"), 1);
    assert_eq!(all("tcp.dst == v2:[fe80::2]:40000/0"), 1);
}

/// Ceph's address text (`v2:ip:port/nonce`) as a literal, with or without
/// its nonce and type, on plain and entity address fields.
#[test]
fn ceph_address_text_is_an_address_literal() {
    let rows = load("none-crc.pcap");
    let server = SocketAddr::from(([127, 0, 0, 1], 43501));
    let to_osd = |r: &Record| r.dst == server;
    check(
        "none-crc",
        &rows,
        "tcp.dst == v2:127.0.0.1:43501/7928",
        &to_osd,
        20,
    );
    check(
        "none-crc",
        &rows,
        "tcp.dst == v2:127.0.0.1:43501",
        &to_osd,
        20,
    );
    check(
        "none-crc",
        &rows,
        "tcp.dst == any:127.0.0.1:43501",
        &to_osd,
        20,
    );
    check(
        "none-crc",
        &rows,
        "tcp.dst == 127.0.0.1:43501/7928",
        &to_osd,
        20,
    );
    // The entity addresses carry the nonce: another nonce is another address.
    let hello_to_osd =
        |r: &Record| matches!(r.control(), Some(Control::Hello(_))) && r.dst == server;
    check(
        "none-crc",
        &rows,
        "msgr2.hello.peer_addr == v2:127.0.0.1:43501/7928",
        &hello_to_osd,
        5,
    );
    check(
        "none-crc",
        &rows,
        "msgr2.hello.peer_addr == v2:127.0.0.1:43501/7929",
        &|_| false,
        0,
    );
    check(
        "none-crc",
        &rows,
        "msgr2.hello.peer_addr == v1:127.0.0.1:43501/7928",
        &|_| false,
        0,
    );
}

fn ns(secs: i64, nanos: u32) -> i128 {
    i128::from(secs) * 1_000_000_000 + i128::from(nanos)
}

#[test]
fn times_relative_and_as_utc_dates() {
    let bytes = std::fs::read(path("none-crc.pcap")).unwrap();
    // The pcap's first record header: seconds, microseconds.
    let first_s = i64::from(u32::from_le_bytes(bytes[24..28].try_into().unwrap()));
    let first_us = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
    let origin = ns(first_s, first_us * 1000);
    let rows = rows_of(&bytes);
    let rel = |r: &Record| ns(r.ts.secs, r.ts.nanos) - origin;
    check(
        "none-crc",
        &rows,
        "frame.time_relative > 0.5",
        &|r| rel(r) > 500_000_000,
        50,
    );
    check(
        "none-crc",
        &rows,
        "frame.time_relative in {0.1..0.2}",
        &|r| (100_000_000..=200_000_000).contains(&rel(r)),
        5,
    );
    // 1795409693 is 2026-11-23 04:54:53 UTC.
    assert_eq!(first_s, 1_795_409_693);
    check(
        "none-crc",
        &rows,
        "frame.time >= \"2026-11-23 04:54:53.5\"",
        &|r| ns(r.ts.secs, r.ts.nanos) >= ns(1_795_409_693, 500_000_000),
        50,
    );
    check(
        "none-crc",
        &rows,
        "frame.time < \"2026-11-23T04:54:53.25Z\"",
        &|r| ns(r.ts.secs, r.ts.nanos) < ns(1_795_409_693, 250_000_000),
        50,
    );
    check(
        "none-crc",
        &rows,
        "frame.time < \"2026-11-23\"",
        &|_| false,
        0,
    );
}

fn front_has(r: &Record, needle: &[u8]) -> bool {
    r.frame()
        .and_then(|f| f.segment(1))
        .is_some_and(|s| s.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn field_comparisons_slices_and_functions() {
    for cap in ["none-crc.pcap", "cephx-crc.pcap", "lab-enoent.pcap"] {
        let rows = load(cap);
        let hdr =
            |r: &Record, p: &dyn Fn(u64, u64) -> bool| r.msg.is_some_and(|h| p(h.seq, h.ack_seq));
        check(
            cap,
            &rows,
            "ceph.msg.seq > ceph.msg.ack_seq",
            &|r| hdr(r, &|s, a| s > a),
            5,
        );
        check(
            cap,
            &rows,
            "ceph.msg.seq <= ceph.msg.ack_seq",
            &|r| hdr(r, &|s, a| s <= a),
            5,
        );
        check(
            cap,
            &rows,
            "ceph.msg.seq == ceph.msg.ack_seq",
            &|r| hdr(r, &|s, a| s == a),
            1,
        );
        check(
            cap,
            &rows,
            "ceph.msg.seq != ceph.msg.ack_seq",
            &|r| hdr(r, &|s, a| s != a),
            5,
        );
        check(
            cap,
            &rows,
            "ceph.msg.tid in {1 3..4}",
            &|r| r.msg.is_some_and(|h| [1, 3, 4].contains(&h.tid)),
            5,
        );
        // An osd_op's oid, length-prefixed in its front (MOSDOp::encode_payload).
        let osd_op = |r: &Record, oid: &[u8]| {
            let mut n = u32::try_from(oid.len()).unwrap().to_le_bytes().to_vec();
            n.extend_from_slice(oid);
            r.msg.is_some_and(|h| h.msg_type == 42) && front_has(r, &n)
        };
        let obj1 = |r: &Record| osd_op(r, b"obj1");
        check(cap, &rows, "ceph.osd_op.oid[0:3] == \"obj\"", &obj1, 2);
        check(cap, &rows, "ceph.osd_op.oid[0-2] == 6f:62:6a", &obj1, 2);
        check(cap, &rows, "ceph.osd_op.oid[-1:] == \"1\"", &obj1, 2);
        check(cap, &rows, "ceph.osd_op.oid[3] == 31", &obj1, 2);
        // Several ranges are concatenated: "o" and "1".
        check(cap, &rows, "ceph.osd_op.oid[0:1,3] == \"o1\"", &obj1, 2);
        check(
            cap,
            &rows,
            "ceph.osd_op.oid[0,2-3,-4:1] == 6f:6a:31:6f",
            &obj1,
            2,
        );
        check(cap, &rows, "ceph.osd_op.oid[0:1,9] == \"o\"", &|_| false, 0);
        check(cap, &rows, "upper(ceph.osd_op.oid) == \"OBJ1\"", &obj1, 2);
        check(cap, &rows, "lower(ceph.osd_op.oid) == obj1", &obj1, 2);
        check(cap, &rows, "len(ceph.osd_op.oid) == 4", &obj1, 2);
        check(cap, &rows, "len(ceph.osd_op.oid) > 7", &|_| false, 0);
        check(
            cap,
            &rows,
            "ceph.osd_op.oid[0:9] == \"obj1\"",
            &|_| false,
            0,
        );
        if cap != "lab-enoent.pcap" {
            let big = |r: &Record| osd_op(r, b"big");
            check(cap, &rows, "len(ceph.osd_op.oid) == 3", &big, 2);
            check(cap, &rows, "ceph.osd_op.oid in {big \"nope\"}", &big, 2);
        }
    }
}

/// none-crc.pcap with one bit of the 3 MB object's data flipped: the
/// osd_op's segment CRC fails, and the row still names its sender.
#[test]
fn a_bad_crc_frame_keeps_its_connections_entity() {
    let mut b = std::fs::read(path("none-crc.pcap")).unwrap();
    b[300_000] ^= 0x01;
    let rows = rows_of(&b);
    let bad = by_filter("msgr2.crc.bad", &rows);
    assert_eq!(bad, vec![413]);
    let mut r = rows.iter().find(|r| r.number == 413).unwrap().clone();
    assert_eq!(
        by_filter(
            "ceph.src.entity == client.4130 && ceph.dst.entity == osd.0 && ceph.entity.type == client",
            std::slice::from_ref(&r)
        ),
        vec![413]
    );
    // The tree built again from the frame alone (as when its decoded
    // payload was not kept) names the sender from the session.
    r.payload = None;
    let t = record_tree(&r);
    let summary = t
        .walk()
        .into_iter()
        .filter_map(|n| n.summary.clone())
        .find(|s| s.starts_with("osd_op("))
        .unwrap();
    assert!(
        summary.starts_with("osd_op(client.4130.0:1 1.6 "),
        "{summary}"
    );
}

/// The rows `cephshark ARGS` lists, by number (`-T fields -e frame.number`).
fn cli_numbers(args: &[&str]) -> Vec<u64> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

/// A filter on entities makes two passes (as `-2` does): the first learns
/// who each connection's peers are, so every row of the connection carries
/// them, its banners, HELLO and auth frames before the idents too.
#[test]
fn a_filter_on_entities_sees_every_row_of_their_connections() {
    for cap in ["none-crc.pcap", "lab-mixed.pcap"] {
        let rows = load(cap);
        let ids = idents(&rows);
        let file = path(cap);
        let file = file.to_str().unwrap();
        // Either side named so by its connection's ident frame, at any row.
        let named = |r: &Record, peer: bool, name: &str| {
            let i = if peer {
                r.dir.reverse().index()
            } else {
                r.dir.index()
            };
            ids.get(&(r.conn.0, i)).is_some_and(|(n, _)| n == name)
        };
        let osd0 = by_pred(&rows, &|r| {
            named(r, false, "osd.0") || named(r, true, "osd.0")
        });
        // More than the rows from the ident on: the banners are in.
        let from_ident = by_pred(&rows, &|r| {
            side_is(&ids, r, false, "osd.0") || side_is(&ids, r, true, "osd.0")
        });
        assert!(osd0.len() > from_ident.len(), "{cap}");
        assert_eq!(
            cli_numbers(&["-r", file, "-Y", "ceph.entity == osd.0"]),
            osd0,
            "{cap}"
        );
        let src = by_pred(&rows, &|r| named(r, false, "osd.0"));
        assert_eq!(
            cli_numbers(&["-r", file, "-Y", "ceph.src.entity == osd.0"]),
            src,
            "{cap}"
        );
        // Types follow the names: the BANNER rows of OSD connections.
        let banners = by_pred(&rows, &|r| {
            matches!(r.kind, cephshark::analysis::RecordKind::Banner(_))
                && (named(r, false, "osd.0") || named(r, true, "osd.0"))
        });
        assert!(!banners.is_empty(), "{cap}");
        assert_eq!(
            cli_numbers(&["-r", file, "-Y", "ceph.entity.type == osd && msgr2.banner"]),
            banners,
            "{cap}"
        );
    }
    // -2 puts the names on the rows of the listing itself.
    let file = path("none-crc.pcap");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", file.to_str().unwrap(), "-2", "-c", "1"])
        .args([
            "-T",
            "fields",
            "-e",
            "ceph.src.entity",
            "-e",
            "ceph.dst.entity",
        ])
        .output()
        .unwrap();
    let rows = load("none-crc.pcap");
    let ids = idents(&rows);
    let first = &rows[0];
    let want = format!(
        "{}\t{}\n",
        ids[&(first.conn.0, first.dir.index())].0,
        ids[&(first.conn.0, first.dir.reverse().index())].0
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}
