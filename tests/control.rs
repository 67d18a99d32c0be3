//! Control frame payloads in the real captures, checked against Ceph's
//! own logs: entity types and addresses in HELLO, identities in
//! CLIENT_IDENT and SERVER_IDENT, auth methods and connection modes, and
//! no malformed or trailing bytes anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod control_common;

use cephshark::analysis::{dissect, record_tree, Config, Record};
use cephshark::decode::control;
use cephshark::model::{FieldNode, Value};
use cephshark::msgr2::Tag;
use cephshark::tcp::Direction;
use control_common::{group, int, text, tiles, uint, val};
use flate2::read::GzDecoder;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn records(name: &str, keys: Option<&str>) -> Vec<Record> {
    let mut cfg = Config::default();
    if let Some(k) = keys {
        let text = std::fs::read_to_string(dir().join(k)).unwrap();
        cfg.keys = Some(Arc::new(
            cephshark::msgr2::keys::KeyLog::parse(&text).unwrap(),
        ));
    }
    let f = std::fs::File::open(dir().join(name)).unwrap();
    let mut out = Vec::new();
    dissect(std::io::BufReader::new(f), cfg, &mut |r| out.push(r)).unwrap();
    out
}

fn log_lines(path: &Path) -> Vec<String> {
    let mut s = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.lines().map(str::to_string).collect()
}

/// The text after `key` up to the next space or `)`.
fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    Some(rest.split([' ', ')']).next().unwrap_or(rest))
}

/// A daemon's own msgr2 address, from its `-- v2:... <==` lines.
fn own_addr(log: &str) -> String {
    let lines = log_lines(&dir().join(log));
    let l = lines
        .iter()
        .find(|l| l.contains(" <== ") && l.contains(" -- v2:"))
        .unwrap();
    after(l, " -- ").unwrap().to_string()
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit_once('/')
        .unwrap()
        .0
        .rsplit_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap()
}

/// `.ready` lines of a log: (peer nonce or own nonce, entity, pgs, client_cookie).
fn ready_lines(lines: &[String], peer_side: bool) -> Vec<(u32, String, u64, u64)> {
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| l.contains(").ready entity=")) {
        let addr = if peer_side {
            after(l, " >> ").unwrap()
        } else {
            after(l, "--2- ").unwrap()
        };
        let nonce = addr.rsplit_once('/').unwrap().1.parse().unwrap();
        let cookie = u64::from_str_radix(after(l, "client_cookie=").unwrap(), 16).unwrap();
        out.push((
            nonce,
            after(l, "entity=").unwrap().to_string(),
            after(l, "pgs=").unwrap().parse().unwrap(),
            cookie,
        ));
    }
    out
}

const CAPTURES: [(&str, Option<&str>, &str); 3] = [
    ("none-crc", None, "none-crc.logs"),
    ("cephx-crc", None, "cephx-crc.logs"),
    (
        "cephx-secure",
        Some("cephx-secure.keys"),
        "cephx-secure.logs",
    ),
];

/// Every HELLO names its sender's entity type and the peer's address as
/// the TCP connection shows it.
#[test]
fn hello_entity_types_and_peer_addresses() {
    for (name, keys, logs) in CAPTURES {
        let mon = port_of(&own_addr(&format!("{logs}/mon.a.log.gz")));
        let osd = port_of(&own_addr(&format!("{logs}/osd.0.log.gz")));
        let mut said = BTreeSet::new();
        for f in std::fs::read_dir(dir().join(logs)).unwrap() {
            let p = f.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("client.")
            {
                said.extend(
                    log_lines(&p)
                        .iter()
                        .filter_map(|l| after(l, "says I am ").map(str::to_string)),
                );
            }
        }
        let mut seen = BTreeMap::new();
        for r in records(&format!("{name}.pcap"), keys) {
            let Some(f) = r.frame().filter(|f| f.tag() == Tag::Hello) else {
                continue;
            };
            let g = group(f);
            let peer = g.find("msgr2.hello.peer_addr").unwrap();
            assert_eq!(text(peer, "ceph.addr.ip"), r.dst.ip().to_string());
            assert_eq!(uint(peer, "ceph.addr.port"), u64::from(r.dst.port()));
            assert_eq!(val(peer, "ceph.addr.type"), Value::Enum(2, Some("msgr2")));
            let ty = val(&g, "msgr2.hello.entity_type");
            let want = match (r.dir, r.src.port()) {
                (Direction::ClientToServer, _) => Value::Enum(8, Some("client")),
                (_, p) if p == mon => Value::Enum(1, Some("mon")),
                (_, p) if p == osd => Value::Enum(4, Some("osd")),
                (_, p) => panic!("server port {p}"),
            };
            assert_eq!(ty, want, "{name} frame {}", r.number);
            if r.src.port() == mon {
                // The client logs the address the mon told it.
                assert!(said.contains(&peer.value_text()), "{}", peer.value_text());
            }
            *seen.entry(ty.as_u64().unwrap()).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 3, "{name}: {seen:?}");
    }
    let recs = records("none-crc.pcap", None);
    let first = recs
        .iter()
        .find(|r| r.frame().is_some_and(|f| f.tag() == Tag::Hello))
        .unwrap();
    let f = first.frame().unwrap();
    assert_eq!(
        control::summary(f.tag(), f.segment(0).unwrap()).unwrap(),
        "HELLO mon peer_addr=v2:127.0.0.1:42644/0"
    );
    assert_eq!(
        group(f).summary.as_deref(),
        Some("mon peer_addr=v2:127.0.0.1:42644/0")
    );
}

/// Per connection: the AUTH_DONE global id, and the CLIENT_IDENT and
/// SERVER_IDENT trees.
struct Conn {
    global_id: Option<u64>,
    con_mode: Option<u64>,
    method: Option<u64>,
    client: Option<FieldNode>,
    server: Option<FieldNode>,
    server_port: u16,
}

fn conns(name: &str, keys: Option<&str>) -> Vec<Conn> {
    let mut m: BTreeMap<u32, Conn> = BTreeMap::new();
    for r in records(&format!("{name}.pcap"), keys) {
        let Some(f) = r.frame() else { continue };
        let server_port = if r.dir == Direction::ClientToServer {
            r.dst.port()
        } else {
            r.src.port()
        };
        let c = m.entry(r.conn.0).or_insert(Conn {
            global_id: None,
            con_mode: None,
            method: None,
            client: None,
            server: None,
            server_port,
        });
        match f.tag() {
            Tag::AuthDone => {
                let g = group(f);
                c.global_id = Some(uint(&g, "msgr2.auth_done.global_id"));
                c.con_mode = Some(uint(&g, "msgr2.auth_done.con_mode"));
            }
            Tag::AuthRequest => c.method = Some(uint(&group(f), "msgr2.auth_request.method")),
            Tag::ClientIdent => c.client = Some(group(f)),
            Tag::ServerIdent => c.server = Some(group(f)),
            _ => {}
        }
    }
    m.into_values().collect()
}

/// CLIENT_IDENT and SERVER_IDENT agree with what the daemons and clients
/// logged for the same connections, and a client's gid at the OSD is the
/// global id the mon gave it in AUTH_DONE.
#[test]
fn idents_agree_with_ceph_logs() {
    for (name, keys, logs) in CAPTURES {
        let osd_addr = own_addr(&format!("{logs}/osd.0.log.gz"));
        let mon_addr = own_addr(&format!("{logs}/mon.a.log.gz"));
        let osd_ready = ready_lines(&log_lines(&dir().join(logs).join("osd.0.log.gz")), true);
        let mut client_ready = Vec::new();
        for f in std::fs::read_dir(dir().join(logs)).unwrap() {
            let p = f.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("client.")
            {
                client_ready.extend(ready_lines(&log_lines(&p), false));
            }
        }
        let cs = conns(name, keys);
        let nonce_of = |ci: &FieldNode| {
            uint(
                ci.find("msgr2.client_ident.addrs").unwrap(),
                "ceph.addr.nonce",
            ) as u32
        };
        let mut gids: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
        let (mut to_mon, mut to_osd) = (0, 0);
        for c in &cs {
            // Connections already open when the capture started show no handshake.
            let (Some(ci), Some(si)) = (&c.client, &c.server) else {
                continue;
            };
            let nonce = nonce_of(ci);
            if c.server_port == port_of(&mon_addr) {
                to_mon += 1;
                assert_eq!(text(ci, "msgr2.client_ident.target_addr"), mon_addr);
                assert_eq!(text(si, "msgr2.server_ident.addrs"), mon_addr);
                assert_eq!(int(si, "msgr2.server_ident.gid"), 0);
                gids.entry(nonce).or_default().insert(c.global_id.unwrap());
                let cookie = uint(ci, "msgr2.client_ident.cookie");
                let pgs = uint(si, "msgr2.server_ident.global_seq");
                assert!(
                    client_ready.iter().any(|(n, e, p, k)| *n == nonce
                        && e == "mon.0"
                        && *p == pgs
                        && *k == cookie),
                    "{name}: no client log line for nonce {nonce} cookie {cookie:#x} pgs {pgs}"
                );
            } else {
                to_osd += 1;
                assert_eq!(text(ci, "msgr2.client_ident.target_addr"), osd_addr);
                assert_eq!(text(si, "msgr2.server_ident.addrs"), osd_addr);
                assert_eq!(int(si, "msgr2.server_ident.gid"), 0, "osd.0");
                let gid = int(ci, "msgr2.client_ident.gid");
                let (_, entity, pgs, cookie) = osd_ready
                    .iter()
                    .find(|(n, ..)| *n == nonce)
                    .unwrap_or_else(|| panic!("{name}: nonce {nonce}"));
                assert_eq!(*entity, format!("client.{gid}"));
                assert_eq!(uint(ci, "msgr2.client_ident.global_seq"), *pgs);
                assert_eq!(uint(ci, "msgr2.client_ident.cookie"), *cookie);
                assert_eq!(val(ci, "msgr2.client_ident.flags.lossy"), Value::Bool(true));
                assert_eq!(
                    val(
                        ci.find("msgr2.client_ident.supported_features").unwrap(),
                        "msgr2.features.server_pacific"
                    ),
                    Value::Bool(true)
                );
            }
        }
        for c in cs.iter().filter(|c| c.server_port != port_of(&mon_addr)) {
            let Some(ci) = c.client.as_ref() else {
                continue;
            };
            let gid = u64::try_from(int(ci, "msgr2.client_ident.gid")).unwrap();
            assert!(
                gids[&nonce_of(ci)].contains(&gid),
                "{name}: gid {gid} not granted by the mon"
            );
        }
        assert!(to_mon >= 10 && to_osd >= 5, "{name}: {to_mon} {to_osd}");
    }
    // none-crc: the first object client is client.4112 (osd log: osd_op(client.4112.0:1 ...)).
    let cs = conns("none-crc", None);
    let ci = cs
        .iter()
        .find_map(|c| {
            c.client.as_ref().filter(|ci| {
                uint(
                    ci.find("msgr2.client_ident.addrs").unwrap(),
                    "ceph.addr.nonce",
                ) == 267_856_733
                    && int(ci, "msgr2.client_ident.gid") > 0
            })
        })
        .unwrap();
    assert_eq!(int(ci, "msgr2.client_ident.gid"), 4112);
    assert_eq!(
        text(ci, "msgr2.client_ident.addrs"),
        "127.0.0.1:0/267856733"
    );
}

/// Auth method and connection mode per capture.
#[test]
fn auth_method_and_mode_per_capture() {
    for (name, keys, method, mode) in [
        ("none-crc", None, 1, 1),
        ("cephx-crc", None, 2, 1),
        ("cephx-secure", None, 2, 2),
        ("keylog-rados", None, 2, 2),
    ] {
        let cs = conns(name, keys);
        let authed: Vec<&Conn> = cs
            .iter()
            .filter(|c| c.method.is_some() || c.con_mode.is_some())
            .collect();
        assert!(authed.len() >= 10, "{name}: {}", authed.len());
        for c in authed {
            assert_eq!(c.method, Some(method), "{name}");
            assert_eq!(c.con_mode, Some(mode), "{name}");
        }
    }
}

/// No real frame has malformed or trailing bytes; every control payload's
/// leaves tile its segment, and every control frame has a summary.
#[test]
fn real_captures_decode_cleanly() {
    let mut control_frames = 0;
    for (name, keys) in [
        ("none-crc.pcap", None),
        ("cephx-crc.pcap", None),
        ("cephx-secure.pcap", Some("cephx-secure.keys")),
        ("cephx-secure.pcap", None),
        ("keylog-rados.pcap", Some("keylog-rados.keys")),
    ] {
        for r in records(name, keys) {
            let tree = record_tree(&r);
            for n in tree.walk() {
                assert!(
                    !matches!(
                        n.def.abbrev,
                        "ceph.malformed" | "ceph.trailing" | "msgr2.payload.raw"
                    ),
                    "{name} row {}: {n}",
                    r.number
                );
            }
            let Some(f) = r.frame().filter(|f| f.tag() != Tag::Message) else {
                continue;
            };
            control_frames += 1;
            let p = tree.find("msgr2.payload").unwrap();
            tiles(&p.children, f.segments[0].clone());
            assert!(
                control::summary(f.tag(), f.segment(0).unwrap()).is_some(),
                "{name} row {}",
                r.number
            );
        }
    }
    assert!(control_frames > 1000, "{control_frames}");
}
