//! The real secure capture with, without and with part of its keys.

use cephshark::analysis::{dissect, Config, KeyStatus, Record, RecordKind, Summary};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::{Mode, ProblemKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn run(keys: Option<&str>) -> (Vec<Record>, Summary) {
    let mut cfg = Config::default();
    if let Some(text) = keys {
        cfg.keys = Some(Arc::new(
            KeyLog::parse(text).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    let f = std::fs::File::open(path("cephx-secure.pcap")).unwrap_or_else(|e| panic!("{e}"));
    let mut recs = Vec::new();
    let s = dissect(std::io::BufReader::new(f), cfg, &mut |r| recs.push(r))
        .unwrap_or_else(|e| panic!("{e}"));
    (recs, s)
}

fn key_text() -> String {
    std::fs::read_to_string(path("cephx-secure.keys")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn with_keys_every_secure_direction_opens() {
    let (recs, s) = run(Some(&key_text()));
    let secure: Vec<_> = s
        .conns
        .values()
        .filter(|c| c.mode == Mode::Secure)
        .collect();
    // cephx-secure.keys has a line for every direction of every secure
    // connection the capture holds (and more, for connections before it).
    let lines = key_text()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert!(secure.len() * 2 <= lines);
    assert_eq!(secure.len(), 34);
    for c in &secure {
        for k in &c.keys {
            assert!(matches!(k, KeyStatus::Opened(_)), "conn {}: {k:?}", c.conn);
        }
    }
    let secure_frames = recs
        .iter()
        .filter(|r| r.frame().is_some_and(|f| f.mode == Mode::Secure))
        .count();
    assert!(secure_frames > 300, "{secure_frames}");
    assert!(recs.iter().all(|r| !r.is_faulty()));
}

#[test]
fn without_keys_each_secure_direction_is_reported_once_as_encrypted() {
    let (recs, s) = run(None);
    let secure: Vec<_> = s
        .conns
        .values()
        .filter(|c| c.mode == Mode::Secure)
        .collect();
    assert!(secure.len() >= 30);
    for c in &secure {
        assert_eq!(
            c.keys,
            [KeyStatus::Missing, KeyStatus::Missing],
            "conn {}",
            c.conn
        );
        for dir in [
            cephshark::tcp::Direction::ClientToServer,
            cephshark::tcp::Direction::ServerToClient,
        ] {
            let rows: Vec<_> = recs
                .iter()
                .filter(|r| r.conn == c.conn && r.dir == dir)
                .collect();
            let nokey = rows
                .iter()
                .filter(
                    |r| matches!(&r.kind, RecordKind::Undecoded(p) if p.kind == ProblemKind::NoKey),
                )
                .count();
            assert_eq!(nokey, 1, "conn {} {dir:?}", c.conn);
            // No garbage: every frame row is a crc-mode handshake frame that checks.
            for r in rows.iter().filter(|r| r.frame().is_some()) {
                assert_eq!(r.frame().map(|f| f.mode), Some(Mode::Crc));
                assert_eq!(r.status(), "ok");
            }
        }
    }
    // verify says so and fails.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "verify",
            path("cephx-secure.pcap").to_str().unwrap_or_default(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("encrypted_no_key"))
            .count(),
        secure.len() * 2
    );
}

#[test]
fn one_key_removed_makes_exactly_its_direction_undecryptable() {
    let text = key_text();
    let (_, full) = run(Some(&text));
    // Which direction does each key line open?
    let mut opened = Vec::new();
    for c in full.conns.values() {
        for (i, k) in c.keys.iter().enumerate() {
            if let KeyStatus::Opened(origin) = k {
                opened.push((origin.clone(), c.conn, i));
            }
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    opened.sort();
    assert_eq!(opened.len(), 68);
    // The first, a middle and the last line that open something.
    let picks = [
        opened[0].clone(),
        opened[opened.len() / 2].clone(),
        opened[opened.len() - 1].clone(),
    ];
    for (origin, conn, dir) in picks {
        let victim: usize = origin
            .trim_start_matches("line ")
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            lines.iter().filter(|l| **l == lines[victim - 1]).count(),
            1,
            "line {victim} is unique"
        );
        let mut reduced: Vec<&str> = lines.clone();
        reduced[victim - 1] = "# removed";
        let (recs, s) = run(Some(&reduced.join("\n")));
        for c in s.conns.values().filter(|c| c.mode == Mode::Secure) {
            for (i, k) in c.keys.iter().enumerate() {
                if c.conn == conn && i == dir {
                    assert_eq!(k, &KeyStatus::Missing);
                } else {
                    assert!(
                        matches!(k, KeyStatus::Opened(_)),
                        "conn {} dir {i}: {k:?}",
                        c.conn
                    );
                }
            }
        }
        let faulty: Vec<_> = recs
            .iter()
            .filter(|r| r.is_faulty())
            .map(|r| (r.conn, r.dir.index()))
            .collect();
        assert_eq!(faulty, vec![(conn, dir)]);
    }
}

#[test]
fn a_bad_key_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("cephshark-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.keys");
    std::fs::write(
        &bad,
        "# ok\n5e32efc95d7dd7fb44fc4fb6b3435333 c9a95573192803b6d6d2aaf0\n5e32efc9 zz\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args([
            "-r",
            path("cephx-secure.pcap").to_str().unwrap_or_default(),
            "--keys",
            bad.to_str().unwrap_or_default(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3"), "{err}");
}

/// `keylog-rados.pcap` was recorded by `tests/keylog/record.sh`, its key
/// file written by the cephshark-keylog preload library inside the real
/// rados clients: every line opens exactly one direction.
#[test]
fn keys_logged_by_the_preload_library_open_every_rados_connection() {
    let text = std::fs::read_to_string(path("keylog-rados.keys")).unwrap_or_else(|e| panic!("{e}"));
    let log = KeyLog::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log.entries.len(), 32);
    let cfg = Config {
        keys: Some(Arc::new(log)),
        ..Config::default()
    };
    let f = std::fs::File::open(path("keylog-rados.pcap")).unwrap_or_else(|e| panic!("{e}"));
    let mut recs = Vec::new();
    let s = dissect(std::io::BufReader::new(f), cfg, &mut |r| recs.push(r))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut origins: Vec<String> = s
        .conns
        .values()
        .flat_map(|c| c.keys.iter())
        .filter_map(|k| match k {
            KeyStatus::Opened(o) => Some(o.clone()),
            _ => None,
        })
        .collect();
    origins.sort();
    let n = origins.len();
    origins.dedup();
    assert_eq!(
        (n, origins.len()),
        (32, 32),
        "each key line opens exactly one direction"
    );
    assert!(recs.iter().all(|r| !r.is_faulty()), "every frame intact");
    let ops = recs
        .iter()
        .filter(|r| r.msg_type().map(|t| t.0) == Some(42))
        .count();
    // put 1, get 1, ls 8 (one pgnls per PG of the 8-PG pool), stat 1
    assert_eq!(ops, 11);
}
