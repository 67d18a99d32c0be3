//! `--keyring`: secure mode opened from the cluster's keyring, through the
//! cephx frames of the capture itself, frame for frame as the key file
//! opens it; wrong and malformed keyrings; AUTH_SIGNATURE checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use cephshark::analysis::{dissect, Config, KeyStatus, Record, RecordKind, Summary};
use cephshark::cephx::{CryptoKey, Keyring};
use cephshark::decode::control::Control;
use cephshark::model::{FieldNode, ProblemKind, Value};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{Mode, Tag};
use std::process::Command;
use std::sync::Arc;
use support::conform::{conversation, path, pcap, send};

fn run_bytes(bytes: &[u8], keys: Option<&str>, keyring: Option<&str>) -> (Vec<Record>, Summary) {
    let cfg = Config {
        keys: keys.map(|k| Arc::new(KeyLog::parse(k).unwrap())),
        keyring: keyring.map(|k| Arc::new(Keyring::parse(k).unwrap())),
        ..Config::default()
    };
    let mut rows = Vec::new();
    let s = dissect(bytes, cfg, &mut |r| rows.push(r)).unwrap();
    (rows, s)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

fn run(name: &str, keys: Option<&str>, keyring: Option<&str>) -> (Vec<Record>, Summary) {
    run_bytes(&std::fs::read(path(name)).unwrap(), keys, keyring)
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every node of a tree, depth first.
fn walk<'a>(n: &'a FieldNode, out: &mut Vec<&'a FieldNode>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

fn cephx_nodes(r: &Record) -> Vec<FieldNode> {
    let mut all = Vec::new();
    for n in r.cephx.as_deref().map_or(&[][..], |v| &v[..]) {
        let mut v = Vec::new();
        walk(n, &mut v);
        all.extend(v.into_iter().cloned());
    }
    all
}

fn leaf(r: &Record, abbrev: &str) -> Vec<Value> {
    cephx_nodes(r)
        .into_iter()
        .filter(|n| n.def.abbrev == abbrev)
        .map(|n| n.value)
        .collect()
}

#[test]
fn keyring_alone_opens_every_frame_the_key_file_opens() {
    let (by_ring, s) = run(
        "cephx-secure.pcap",
        None,
        Some(&read("cephx-secure.keyring")),
    );
    let (by_keys, _) = run("cephx-secure.pcap", Some(&read("cephx-secure.keys")), None);
    assert_eq!(by_ring.len(), by_keys.len());
    assert_eq!(by_ring.len(), 608);
    for (a, b) in by_ring.iter().zip(&by_keys) {
        assert_eq!((a.number, a.conn, a.dir), (b.number, b.conn, b.dir));
        assert_eq!(a.tag_name(), b.tag_name(), "row {}", a.number);
        assert_eq!(a.range(), b.range(), "row {}", a.number);
        assert_eq!(a.status(), b.status(), "row {}", a.number);
        assert_eq!(a.info(), b.info(), "row {}", a.number);
        match (&a.kind, &b.kind) {
            (RecordKind::Frame(x), RecordKind::Frame(y)) => {
                assert_eq!(x.data, y.data, "row {}", a.number);
                assert_eq!(x.mode, y.mode);
            }
            (RecordKind::Banner(_), RecordKind::Banner(_)) => {}
            _ => panic!("row {}: {} vs {}", a.number, a.tag_name(), b.tag_name()),
        }
    }
    let secure = by_ring
        .iter()
        .filter(|r| r.frame().is_some_and(|f| f.mode == Mode::Secure))
        .count();
    assert_eq!(secure, 336);
    assert!(by_ring.iter().all(|r| r.status() == "ok"));
    // Where each key came from: mon sessions from client.admin's own AUTH
    // session key, OSD sessions from a ticket granted in the capture.
    let mut mon = 0;
    let mut osd = 0;
    for c in s.conns.values() {
        for k in &c.keys {
            let KeyStatus::Opened(o) = k else {
                panic!("conn {}: {k:?}", c.conn);
            };
            if o == "keyring client.admin: AUTH_DONE" {
                mon += 1;
            } else if o.starts_with("keyring client.admin, tcp.stream ")
                && o.ends_with(": osd ticket")
            {
                osd += 1;
            } else {
                panic!("{o}");
            }
        }
    }
    assert_eq!((mon, osd), (52, 16));
}

#[test]
fn derivation_is_in_the_tree_of_the_frames_that_carry_it() {
    let (rows, _) = run(
        "cephx-secure.pcap",
        None,
        Some(&read("cephx-secure.keyring")),
    );
    let keys = read("cephx-secure.keys");
    // Row 8: conn 0's AUTH_DONE, whose connection secret gives the first
    // two lines of the key file a keylog shim wrote inside the daemons.
    let done = &rows[7];
    assert_eq!(done.frame().unwrap().tag(), Tag::AuthDone);
    let secret = leaf(done, "ceph.cephx.dec.connection_secret");
    let [Value::Bytes(secret)] = &secret[..] else {
        panic!("{secret:?}")
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let server_tx = format!("{} {}", hex(&secret[0..16]), hex(&secret[16..28]));
    let client_tx = format!("{} {}", hex(&secret[0..16]), hex(&secret[28..40]));
    assert!(keys.contains(&server_tx), "{server_tx}");
    assert!(keys.contains(&client_tx), "{client_tx}");
    assert_eq!(
        leaf(done, "ceph.cephx.dec.service"),
        vec![Value::Str("auth".into())]
    );
    assert_eq!(leaf(done, "ceph.cephx.dec.secret_id"), vec![Value::Uint(2)]);
    // An AUTH_DONE with the other services' tickets: mgr, osd.
    let big = rows
        .iter()
        .find(|r| r.conn.0 == 2 && r.frame().is_some_and(|f| f.tag() == Tag::AuthDone))
        .unwrap();
    let services = leaf(big, "ceph.cephx.dec.service");
    assert_eq!(
        services,
        ["auth", "mon", "osd", "mgr"].map(|s| Value::Str(s.into()))
    );
    // The OSD connection: authorizer opened, challenge answered, reply
    // with the secret.
    let osd: Vec<&Record> = rows.iter().filter(|r| r.conn.0 == 3).collect();
    let structs: Vec<Value> = osd
        .iter()
        .flat_map(|r| leaf(r, "ceph.cephx.dec.struct"))
        .filter(|v| !matches!(v, Value::Str(s) if s == "AUTH_SIGNATURE check"))
        .collect();
    let names: Vec<String> = structs
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "CephXAuthorize",
            "CephXAuthorizeChallenge",
            "CephXAuthorize",
            "CephXAuthorizeReply"
        ]
    );
}

#[test]
fn auth_signatures_are_good_on_every_real_connection() {
    // (capture, keyring, AUTH_SIGNATURE frames, of them checked): the crc
    // capture missed conn 0's client banner, so the server's signature
    // over what it received cannot be checked there.
    for (pcap_name, ring, sigs_want, checked) in [
        ("cephx-secure.pcap", "cephx-secure.keyring", 68, 68),
        ("cephx-crc.pcap", "cephx-crc.keyring", 60, 59),
    ] {
        let (rows, _) = run(pcap_name, None, Some(&read(ring)));
        let checks: Vec<Value> = rows
            .iter()
            .filter(|r| r.frame().is_some_and(|f| f.tag() == Tag::AuthSignature))
            .flat_map(|r| leaf(r, "ceph.cephx.dec.signature"))
            .collect();
        let sigs = rows
            .iter()
            .filter(|r| r.frame().is_some_and(|f| f.tag() == Tag::AuthSignature))
            .count();
        assert_eq!((sigs, checks.len()), (sigs_want, checked), "{pcap_name}");
        assert!(
            checks.iter().all(|v| *v == Value::Str("good".into())),
            "{pcap_name}: {checks:?}"
        );
    }
}

#[test]
fn a_byte_changed_before_auth_done_makes_the_signature_bad() {
    let c = conversation("cephx-crc.pcap", 1);
    let ring = read("cephx-crc.keyring");
    let rows_of =
        |c: &[(support::synth::Send, Option<Tag>)]| run_bytes(&pcap(c), None, Some(&ring)).0;
    let clean = rows_of(&c);
    assert!(clean.iter().all(|r| r.status() == "ok"));
    // The server's challenge, one byte changed, re-encoded with valid CRCs.
    let i = c
        .iter()
        .position(|(_, t)| *t == Some(Tag::AuthReplyMore))
        .unwrap();
    let frames: Vec<&Record> = clean
        .iter()
        .filter(|r| r.frame().is_some() || matches!(r.kind, RecordKind::Banner(_)))
        .collect();
    let Some(Control::AuthReplyMore(mut m)) = frames[i].control().cloned() else {
        panic!()
    };
    m.auth_payload.bytes.v[5] ^= 0x40;
    let mut mutant = c.clone();
    mutant[i] = send(false, &Control::AuthReplyMore(m));
    let rows = rows_of(&mutant);
    let bad: Vec<(Tag, cephshark::tcp::Direction, u64)> = rows
        .iter()
        .flat_map(|r| {
            r.problems()
                .into_iter()
                .filter(|p| p.kind == ProblemKind::AuthSignatureBad)
                .map(move |p| (r.frame().unwrap().tag(), r.dir, p.offset))
        })
        .collect();
    // The client signs what it received: its signature alone is bad, at
    // its payload (segment 0 after the 32-byte preamble).
    let sig = rows
        .iter()
        .find(|r| {
            r.dir == cephshark::tcp::Direction::ClientToServer
                && r.frame().is_some_and(|f| f.tag() == Tag::AuthSignature)
        })
        .unwrap();
    let at = sig.frame().unwrap().offset + 32;
    assert_eq!(
        bad,
        [(
            Tag::AuthSignature,
            cephshark::tcp::Direction::ClientToServer,
            at
        )]
    );
    assert_eq!(
        leaf(sig, "ceph.cephx.dec.signature"),
        vec![Value::Str("bad".into())]
    );
    assert_eq!(ProblemKind::AuthSignatureBad.name(), "auth_signature_bad");
}

const WRONG: &str = "[client.admin]\n\tkey = AQAAAAAAAAAAABAAAAECAwQFBgcICQoLDA0ODw==\n";

#[test]
fn a_wrong_keyring_says_so_per_connection_and_decrypts_nothing() {
    let (rows, _) = run("cephx-secure.pcap", None, Some(WRONG));
    assert!(rows
        .iter()
        .all(|r| r.frame().is_none_or(|f| f.mode != Mode::Secure)));
    let no_key: Vec<_> = rows
        .iter()
        .flat_map(|r| r.problems())
        .filter(|p| p.kind == ProblemKind::NoKey)
        .collect();
    assert_eq!(no_key.len(), 68);
    let magic = no_key
        .iter()
        .filter(|p| {
            p.found.starts_with(
                "none: keyring client.admin: the auth service ticket does not open: bad magic",
            )
        })
        .count();
    let ticket = no_key
        .iter()
        .filter(|p| {
            p.found
                .starts_with("none: ticket for osd (secret_id 2) obtained before the capture")
        })
        .count();
    assert_eq!((magic, ticket), (52, 16));
}

#[test]
fn verify_with_keyrings() {
    let (code, out, _) = cli(&[
        "verify",
        "--keyring",
        "captures/cephx-secure.keyring",
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("540 frames, 0 problems"), "{out}");
    let (code, out, _) = cli(&[
        "verify",
        "-o",
        "ceph.keyring:captures/cephx-secure.keyring",
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 0, "{out}");
    let f = std::env::temp_dir().join(format!("cephshark-wrong-{}.keyring", std::process::id()));
    std::fs::write(&f, WRONG).unwrap();
    let (code, out, _) = cli(&[
        "verify",
        "--keyring",
        f.to_str().unwrap(),
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("bad magic"), "{out}");
    std::fs::write(
        &f,
        "[client.admin]\n\tkey = AQAAAAAA*AAAABAAAAECAwQFBgcICQoLDA0ODw==\n",
    )
    .unwrap();
    let (code, _, err) = cli(&[
        "verify",
        "--keyring",
        f.to_str().unwrap(),
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 2, column 16: bad base64 character '*' in the key of client.admin"),
        "{err}"
    );
    let _ = std::fs::remove_file(&f);
}

#[test]
fn keyring_format() {
    let k = Keyring::parse(
        "# a comment\n; another\n[mon.]\n\tkey = AQA5xwNr6xYdEBAAsjknO6EI8hSm7IQ+YpdY4Q==\n\tcaps mon = \"allow *\"\n\n[client.admin]\nkey=\"AQA5xwNrJ/vPERAAtYJx88qW6OXRRJQBO7UxTQ==\" # inline\n",
    )
    .unwrap();
    let names: Vec<(&str, usize)> = k
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.line))
        .collect();
    assert_eq!(names, [("mon.", 4), ("client.admin", 8)]);
    let admin = &k.get("client.admin").unwrap().key;
    assert_eq!(admin.ty, 1);
    assert_eq!(admin.secret.len(), 16);
    assert_eq!(admin.created.0, 0x6b03_c739);
    let err = |t: &str| Keyring::parse(t).unwrap_err().to_string();
    assert_eq!(
        err("key = AAAA\n"),
        "line 1, column 1: `key` outside an `[entity]` section"
    );
    assert_eq!(err("[client.x\n"), "line 1, column 10: missing `]`");
    assert_eq!(
        err("[a]\n  junk\n"),
        "line 2, column 3: expected `[entity]`, `name = value` or a comment"
    );
    assert_eq!(
        err("[a]\nkey = AQAB\n"),
        "line 2, column 7: the key of a decodes to 3 bytes, not a CryptoKey (le16 type, utime, le16 len, secret)"
    );
    assert_eq!(
        err("[a]\nkey = AQAAAAAAAAAAABAAAAECAwQFBgcICQoLDA0ODw=\n"),
        "line 2, column 46: the key of a is not whole base64 (length 39)"
    );
    // aes256k: read, kept, and refused with a clear message.
    let k = Keyring::parse(
        "[client.new]\nkey = AgAAAAAAAAAAACAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    )
    .unwrap();
    let e = &k.entries[0];
    assert_eq!(e.key.ty, 2);
    assert_eq!(k.unsupported().count(), 1);
    assert_eq!(
        e.key.open(&[0; 16]).unwrap_err().to_string(),
        "key type 2 (aes256k) is not supported"
    );
}

#[test]
fn aes256k_connections_say_not_supported() {
    let ring =
        "[client.admin]\nkey = AgAAAAAAAAAAACAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    let (rows, _) = run("cephx-secure.pcap", None, Some(ring));
    let p = rows
        .iter()
        .flat_map(|r| r.problems())
        .find(|p| p.kind == ProblemKind::NoKey)
        .unwrap();
    assert_eq!(
        p.found,
        "none: keyring client.admin: key type 2 (aes256k) is not supported"
    );
}

#[test]
fn cephx_crypto_round_trips() {
    let k = CryptoKey::aes(*b"0123456789abcdef");
    let ct = k.seal(b"hello").unwrap();
    assert_eq!(ct.len(), 16);
    assert_eq!(k.open(&ct).unwrap(), b"hello");
    let other = CryptoKey::aes(*b"fedcba9876543210");
    assert!(matches!(
        other.open(&ct),
        Err(cephshark::cephx::CryptError::BadMagic(_))
    ));
}

#[test]
fn exported_keys_read_back_give_the_same_frames() {
    let f = std::env::temp_dir().join(format!("cephshark-export-{}.keys", std::process::id()));
    let (code, _, err) = cli(&[
        "-q",
        "--keyring",
        "captures/cephx-secure.keyring",
        "--export-keys",
        f.to_str().unwrap(),
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&f).unwrap();
    let _ = std::fs::remove_file(&f);
    let log = KeyLog::parse(&text).unwrap();
    // One named line per secure direction: 34 connections.
    assert_eq!(log.entries.len(), 68);
    assert!(log.entries.iter().all(|e| e.scope.endpoints().is_some()));
    let (by_ring, _) = run(
        "cephx-secure.pcap",
        None,
        Some(&read("cephx-secure.keyring")),
    );
    let (by_export, s) = run("cephx-secure.pcap", Some(&text), None);
    assert_eq!(by_ring.len(), by_export.len());
    for (a, b) in by_ring.iter().zip(&by_export) {
        assert_eq!(a.tag_name(), b.tag_name(), "row {}", a.number);
        assert_eq!(a.status(), b.status(), "row {}", a.number);
        assert_eq!(
            a.frame().map(|f| f.data.clone()),
            b.frame().map(|f| f.data.clone()),
            "row {}",
            a.number
        );
    }
    // Each direction opened by the line naming it.
    for c in s.conns.values() {
        for k in &c.keys {
            assert!(
                matches!(k, KeyStatus::Opened(o) if o.starts_with("line ")),
                "{k:?}"
            );
        }
    }
}

#[test]
fn z_keys_lists_where_each_key_came_from() {
    let (code, out, _) = cli(&[
        "-q",
        "-z",
        "keys",
        "--keyring",
        "captures/cephx-secure.keyring",
        "captures/cephx-secure.pcap",
    ]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(" -> ") && !l.contains("sender"))
        .collect();
    assert_eq!(rows.len(), 68);
    assert_eq!(
        rows[0],
        "   0  c2s  127.0.0.1:38560 -> 127.0.0.1:43700             keyring client.admin: AUTH_DONE"
    );
    assert_eq!(
        rows[7],
        "   3  s2c  127.0.0.1:43701 -> 127.0.0.1:53056             keyring client.admin, tcp.stream 2: osd ticket"
    );
    let (_, out, _) = cli(&[
        "-q",
        "-z",
        "keys",
        "--keys",
        "captures/cephx-secure.keys",
        "captures/cephx-secure.pcap",
    ]);
    assert!(
        out.contains(
            "   0  c2s  127.0.0.1:38560 -> 127.0.0.1:43700             key file line 29\n"
        ),
        "{out}"
    );
}
