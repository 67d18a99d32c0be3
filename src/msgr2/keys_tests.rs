//! Unit tests of `keys.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;

const KEY: &str = "5e32efc95d7dd7fb44fc4fb6b3435333";
const NONCE: &str = "c9a95573192803b6d6d2aaf0";
const V4: &str = "127.0.0.1:50000 127.0.0.1:3300";

/// 64 bytes 00 01 .. 3f.
fn secret() -> String {
    (0u8..64).map(|b| format!("{b:02x}")).collect()
}

fn bytes<const N: usize>(hex: &str) -> [u8; N] {
    let v: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

fn addr(s: &str) -> Option<SocketAddr> {
    Some(s.parse().unwrap())
}

fn direction(src: &str, dst: &str) -> KeyScope {
    KeyScope::Direction {
        src: addr(src).unwrap(),
        dst: addr(dst).unwrap(),
    }
}

#[test]
fn every_form() {
    let (c, s) = (addr("127.0.0.1:50000"), addr("127.0.0.1:3300"));
    let text = format!(
        "{KEY} {NONCE}\n{V4} {KEY} {NONCE}\n[::1]:3300\t[::1]:50000\t{KEY}\t{NONCE}\n\
         connection_secret {}\n{V4} CONNECTION_SECRET {}\n",
        secret().to_uppercase(),
        secret()
    );
    let log = KeyLog::parse(&text).unwrap();
    let (key, nonce) = (bytes::<16>(KEY), bytes::<12>(NONCE));
    let secret_key = bytes::<16>(&secret()[0..32]);
    let server_tx = bytes::<12>(&secret()[32..56]);
    let client_tx = bytes::<12>(&secret()[56..80]);
    let want = [
        (key, nonce, 1, KeyScope::Unnamed),
        (
            key,
            nonce,
            2,
            direction("127.0.0.1:50000", "127.0.0.1:3300"),
        ),
        (key, nonce, 3, direction("[::1]:3300", "[::1]:50000")),
        (
            secret_key,
            client_tx,
            4,
            KeyScope::ClientTx {
                client: None,
                server: None,
            },
        ),
        (
            secret_key,
            server_tx,
            4,
            KeyScope::ServerTx {
                client: None,
                server: None,
            },
        ),
        (
            secret_key,
            client_tx,
            5,
            KeyScope::ClientTx {
                client: c,
                server: s,
            },
        ),
        (
            secret_key,
            server_tx,
            5,
            KeyScope::ServerTx {
                client: c,
                server: s,
            },
        ),
    ];
    let want: Vec<KeyEntry> = want
        .iter()
        .map(|&(key, nonce, line, scope)| KeyEntry {
            key,
            nonce,
            line,
            scope,
        })
        .collect();
    assert_eq!(log.entries, want);
    assert_eq!(client_tx, bytes::<12>("1c1d1e1f2021222324252627"));
    assert_eq!(log.entries[0].initial_nonce().0, nonce);
    assert_eq!(log.entries[5].scope.endpoints(), c.zip(s));
    assert_eq!(log.entries[6].scope.endpoints(), s.zip(c));
}

#[test]
fn comments_blank_lines_and_case() {
    let text = format!(
        "\u{feff}# header\n\n   \n{} {NONCE} # trailing\n\t# indented\r\n{KEY} {NONCE}#tight\r\n",
        KEY.to_uppercase()
    );
    let log = KeyLog::parse(&text).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log.entries[0].key, bytes::<16>(KEY));
    assert_eq!((log.entries[0].line, log.entries[1].line), (4, 6));
    assert!(KeyLog::parse("").unwrap().is_empty());
}

/// `input => expected message`, one case a line. In the input, `$KEY`,
/// `$NONCE`, `$SECRET` and `$V4` stand for the constants above, `$KEY30`
/// and `$SECRET80` for their first 30 and 80 digits, and `\n` for a newline.
const ERROR_CASES: &str = r"
\n$KEY30 $NONCE                   => line 2, column 1: key has 30 hex digits, expected 32
$KEY ${NONCE}0                     => line 1, column 34: nonce has 25 hex digits, expected 24
CONNECTION_SECRET $SECRET80        => line 1, column 19: connection secret has 80 hex digits, expected 128
  5e32eg95d7dd7fb44fc4fb6b3435333f $NONCE => line 1, column 8: bad hex digit 'g' in key
$KEY c9a9557319280zb6d6d2aaf0      => line 1, column 47: bad hex digit 'z' in nonce
CONNECTION_SECRET x$SECRET         => line 1, column 19: bad hex digit 'x' in connection secret
$KEY $V4 $NONCE                    => line 1, column 37: bad hex digit '.' in nonce
SECRET $SECRET                     => line 1, column 1: unknown keyword `SECRET` (expected CONNECTION_SECRET or a 32-hex-digit key)
$V4 CONNECTION-SECRET $SECRET      => line 1, column 32: unknown keyword `CONNECTION-SECRET` (expected CONNECTION_SECRET or a 32-hex-digit key)
127.0.0.1 127.0.0.1:2 $KEY $NONCE  => line 1, column 1: bad endpoint `127.0.0.1` (expected IPv4:port or [IPv6]:port)
::1:3300 [::1]:2 $KEY $NONCE       => line 1, column 1: bad endpoint `::1:3300` (expected IPv4:port or [IPv6]:port)
127.0.0.1:1 127.0.0.1:99999 $KEY $NONCE => line 1, column 13: bad endpoint `127.0.0.1:99999` (expected IPv4:port or [IPv6]:port)
[::1]:1 [::1] $KEY $NONCE          => line 1, column 9: bad endpoint `[::1]` (expected IPv4:port or [IPv6]:port)
host:3300 127.0.0.1:1 $KEY $NONCE  => line 1, column 1: bad endpoint `host:3300` (expected IPv4:port or [IPv6]:port)
$KEY                               => line 1, column 33: missing nonce
CONNECTION_SECRET                  => line 1, column 18: missing connection secret
127.0.0.1:1                        => line 1, column 12: missing second endpoint
$V4                                => line 1, column 31: missing key
$KEY $NONCE extra                  => line 1, column 59: unexpected `extra` after the last field
CONNECTION_SECRET $SECRET #\nok    => line 2, column 1: unknown keyword `ok` (expected CONNECTION_SECRET or a 32-hex-digit key)
$KEY $NONCE\n# ok\n$KEY\n$KEY zz  => line 3, column 33: missing nonce
";

#[test]
fn every_error_names_line_column_and_problem() {
    let s = secret();
    for case in ERROR_CASES.lines().filter(|l| !l.is_empty()) {
        let (input, want) = case.split_once("=>").unwrap();
        let text = input
            .trim_end()
            .replace("\\n", "\n")
            .replace("$KEY30", &KEY[..30])
            .replace("$KEY", KEY)
            .replace("${NONCE}", NONCE)
            .replace("$NONCE", NONCE)
            .replace("$SECRET80", &s[..80])
            .replace("$SECRET", &s)
            .replace("$V4", V4);
        let e = KeyLog::parse(&text).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("key file {}", want.trim()),
            "{text:?}"
        );
    }
    let e = KeyLog::parse(&format!("{KEY} {NONCE}0")).unwrap_err();
    assert_eq!((e.line, e.column), (1, Some(34)));
    assert_eq!(
        e.kind,
        KeyFileErrorKind::HexLength {
            field: Field::Nonce,
            found: 25
        }
    );
}

#[test]
fn to_text_round_trips() {
    let s = secret();
    let text = format!("{KEY} {NONCE}\n[::1]:3300 [::1]:50000 {KEY} {NONCE}\n{V4} CONNECTION_SECRET {s}\nCONNECTION_SECRET {s}\n");
    let log = KeyLog::parse(&text).unwrap();
    assert_eq!(log.len(), 6);
    let written = log.to_text();
    let key = "000102030405060708090a0b0c0d0e0f";
    for line in [
        format!("\n{KEY} {NONCE}\n[::1]:3300 [::1]:50000 {KEY} {NONCE}\n"),
        format!("\n{V4} {key} 1c1d1e1f2021222324252627\n127.0.0.1:3300 127.0.0.1:50000 {key} 101112131415161718191a1b\n"),
        format!("\n{key} 1c1d1e1f2021222324252627\n{key} 101112131415161718191a1b\n"),
    ] {
        assert!(written.contains(&line), "{written}");
    }
    let again = KeyLog::parse(&written).unwrap();
    let pairs = |l: &KeyLog| {
        l.entries
            .iter()
            .map(|e| (e.key, e.nonce, e.scope.endpoints()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&again), pairs(&log));
    assert_eq!(again.to_text(), written);
}

#[test]
fn scope_matching() {
    let (c, s) = (
        addr("127.0.0.1:50000").unwrap(),
        addr("127.0.0.1:3300").unwrap(),
    );
    assert!(KeyScope::Unnamed.may_apply(c, s, None));
    let d = KeyScope::Direction { src: c, dst: s };
    assert!(d.may_apply(c, s, None) && !d.may_apply(s, c, None));
    let ctx = KeyScope::ClientTx {
        client: Some(c),
        server: Some(s),
    };
    assert!(ctx.may_apply(c, s, Some(true)) && ctx.may_apply(c, s, None));
    assert!(!ctx.may_apply(s, c, None) && !ctx.may_apply(c, s, Some(false)));
    let stx = KeyScope::ServerTx {
        client: Some(c),
        server: Some(s),
    };
    assert!(stx.may_apply(s, c, Some(false)) && !stx.may_apply(c, s, None));
    let any_client = KeyScope::ClientTx {
        client: None,
        server: None,
    };
    assert!(any_client.may_apply(s, c, None) && !any_client.may_apply(s, c, Some(false)));
}

#[test]
fn real_key_files() {
    // Recorded by tests/keylog/record.sh: a comment, then one line per direction.
    let log = KeyLog::parse(include_str!("../../captures/keylog-rados.keys")).unwrap();
    assert_eq!((log.len(), log.entries[0].line), (32, 2));
    assert!(log.entries.iter().all(|e| e.scope == KeyScope::Unnamed));
    // The shared capture set's key file: 95 lines, the first a comment.
    let shared = include_str!("../../captures/cephx-secure.keys");
    let log = KeyLog::parse(shared).unwrap();
    assert_eq!((shared.lines().count(), log.len()), (95, 94));
    assert_eq!(
        (log.entries[0].key, log.entries[0].nonce),
        (bytes(KEY), bytes(NONCE))
    );
}
