//! Key files: the AES-128-GCM keys and initial nonces that let cephshark
//! decrypt msgr2 secure-mode connections.
//!
//! # Key file format
//!
//! A text file, one entry per line. Blank lines are ignored, and `#` starts a
//! comment that runs to the end of the line. Hex digits may be upper or lower
//! case. Fields are separated by spaces or tabs.
//!
//! **One connection direction:**
//!
//! ```text
//! <key: 32 hex digits> <initial nonce: 24 hex digits>
//! 5e32efc95d7dd7fb44fc4fb6b3435333 c9a95573192803b6d6d2aaf0
//! ```
//!
//! The 16-byte AES key and the 12-byte nonce of the first secure frame sent
//! in one direction of one connection. The line does not say which direction:
//! cephshark tries each such line on each direction's first secure frame and
//! keeps the one whose GCM tag verifies. This is the form the
//! `cephshark-keylog` preload library writes.
//!
//! **A whole connection, from Ceph's connection secret:**
//!
//! ```text
//! CONNECTION_SECRET <128 hex digits>
//! ```
//!
//! The 64-byte secret both ends of a secure connection derive after cephx
//! authentication. Bytes 0..16 are the key, bytes 16..28 the initial nonce the
//! server sends with, bytes 28..40 the one the client (the TCP initiator)
//! sends with; the rest is unused (crypto_onwire.cc: create_handler_pair).
//! The keyword is not case sensitive.
//!
//! **Naming the connection:** either form may start with two endpoints,
//! `IPv4:port` or `[IPv6]:port`. Before a key and nonce they are the sender
//! then the receiver of that direction; before `CONNECTION_SECRET` they are
//! the client then the server.
//!
//! ```text
//! 127.0.0.1:50000 127.0.0.1:3300 5e32efc95d7dd7fb44fc4fb6b3435333 c9a95573192803b6d6d2aaf0
//! [::1]:50000 [::1]:3300 CONNECTION_SECRET 00112233...   # 128 hex digits
//! ```
//!
//! A line in error stops parsing; the error names the line, the column where
//! it can tell, and what is wrong.

use std::fmt::{self, Write as _};
use std::net::SocketAddr;
use std::ops::Range;

use super::crypto::{Nonce, KEY_LEN, NONCE_LEN};
use crate::model::Escaped;

/// The keyword introducing a connection secret.
pub const CONNECTION_SECRET: &str = "CONNECTION_SECRET";
/// Length of a secure-mode connection secret (Auth.h:
/// get_connection_secret_length, 16 * 4).
pub const SECRET_LEN: usize = 64;
/// Bytes of the connection secret holding the AES key.
pub const SECRET_KEY: Range<usize> = 0..16;
/// Bytes of the connection secret holding the server's send nonce (the
/// client's receive nonce).
pub const SECRET_SERVER_TX_NONCE: Range<usize> = 16..28;
/// Bytes of the connection secret holding the client's send nonce.
pub const SECRET_CLIENT_TX_NONCE: Range<usize> = 28..40;

/// Every entry of a key file, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLog {
    /// Entries in file order; a `CONNECTION_SECRET` line gives two.
    pub entries: Vec<KeyEntry>,
}

/// One direction's key and initial nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// AES-128-GCM key.
    pub key: [u8; KEY_LEN],
    /// Nonce of the direction's first GCM operation.
    pub nonce: [u8; NONCE_LEN],
    /// 1-based line of the key file.
    pub line: usize,
    /// Which direction the entry is for, as far as the file says.
    pub scope: KeyScope,
}

/// Which connection direction a [`KeyEntry`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// Not named: found by trying it on each direction.
    Unnamed,
    /// The direction from `src` to `dst`.
    Direction {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
    },
    /// What the client (TCP initiator) sends, from a connection secret.
    ClientTx {
        /// The client's endpoint, if named.
        client: Option<SocketAddr>,
        /// The server's endpoint, if named.
        server: Option<SocketAddr>,
    },
    /// What the server sends, from a connection secret.
    ServerTx {
        /// The client's endpoint, if named.
        client: Option<SocketAddr>,
        /// The server's endpoint, if named.
        server: Option<SocketAddr>,
    },
}

impl KeyScope {
    /// Whether an entry of this scope may be the key of the direction from
    /// `src` to `dst`. `src_is_client` says whether the sender opened the
    /// TCP connection, when known.
    pub fn may_apply(&self, src: SocketAddr, dst: SocketAddr, src_is_client: Option<bool>) -> bool {
        let fits = |want: Option<SocketAddr>, have: SocketAddr| want.is_none_or(|w| w == have);
        match *self {
            KeyScope::Unnamed => true,
            KeyScope::Direction { src: s, dst: d } => s == src && d == dst,
            KeyScope::ClientTx { client, server } => {
                src_is_client != Some(false) && fits(client, src) && fits(server, dst)
            }
            KeyScope::ServerTx { client, server } => {
                src_is_client != Some(true) && fits(server, src) && fits(client, dst)
            }
        }
    }

    /// Sender and receiver, when the scope names both.
    pub fn endpoints(&self) -> Option<(SocketAddr, SocketAddr)> {
        match *self {
            KeyScope::Unnamed => None,
            KeyScope::Direction { src, dst } => Some((src, dst)),
            KeyScope::ClientTx { client, server } => client.zip(server),
            KeyScope::ServerTx { client, server } => server.zip(client),
        }
    }
}

impl KeyEntry {
    /// The initial nonce as the crypto layer's type.
    pub fn initial_nonce(&self) -> Nonce {
        Nonce(self.nonce)
    }
}

/// What a key file field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The AES key (32 hex digits).
    Key,
    /// The initial nonce (24 hex digits).
    Nonce,
    /// The connection secret (128 hex digits).
    Secret,
    /// The second endpoint of a named entry.
    SecondEndpoint,
}

impl Field {
    fn hex_digits(self) -> usize {
        match self {
            Field::Key => KEY_LEN.saturating_mul(2),
            Field::Nonce => NONCE_LEN.saturating_mul(2),
            Field::Secret => SECRET_LEN.saturating_mul(2),
            Field::SecondEndpoint => 0,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Key => "key",
            Field::Nonce => "nonce",
            Field::Secret => "connection secret",
            Field::SecondEndpoint => "second endpoint",
        })
    }
}

/// A key file line that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFileError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters) where the problem is, when there is one.
    pub column: Option<usize>,
    /// What is wrong.
    pub kind: KeyFileErrorKind,
}

/// What is wrong with a key file line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFileErrorKind {
    /// A hex field of the wrong length.
    HexLength {
        /// The field.
        field: Field,
        /// Hex digits found.
        found: usize,
    },
    /// A character that is not a hex digit.
    HexDigit {
        /// The field.
        field: Field,
        /// The character.
        found: char,
    },
    /// A word where `CONNECTION_SECRET` or a key was expected.
    UnknownKeyword(String),
    /// An endpoint that is not `IPv4:port` or `[IPv6]:port`.
    BadEndpoint(String),
    /// The line ends before this field.
    Missing(Field),
    /// Text after the last field.
    Extra(String),
}

impl fmt::Display for KeyFileErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileErrorKind::HexLength { field, found } => write!(
                f,
                "{field} has {found} hex digits, expected {}",
                field.hex_digits()
            ),
            KeyFileErrorKind::HexDigit { field, found } => {
                write!(f, "bad hex digit {found:?} in {field}")
            }
            KeyFileErrorKind::UnknownKeyword(word) => write!(
                f,
                "unknown keyword `{}` (expected {CONNECTION_SECRET} or a 32-hex-digit key)",
                Escaped(word)
            ),
            KeyFileErrorKind::BadEndpoint(text) => {
                write!(
                    f,
                    "bad endpoint `{}` (expected IPv4:port or [IPv6]:port)",
                    Escaped(text)
                )
            }
            KeyFileErrorKind::Missing(field) => write!(f, "missing {field}"),
            KeyFileErrorKind::Extra(text) => {
                write!(f, "unexpected `{}` after the last field", Escaped(text))
            }
        }
    }
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(
                f,
                "key file line {}, column {column}: {}",
                self.line, self.kind
            ),
            None => write!(f, "key file line {}: {}", self.line, self.kind),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// A field of a line with its 1-based character column.
#[derive(Clone, Copy)]
struct Token<'a> {
    column: usize,
    text: &'a str,
}

/// Splits the part of a line before any `#` into whitespace-separated tokens.
fn tokenize(line: &str) -> Vec<Token<'_>> {
    let content = line.split_once('#').map_or(line, |(before, _)| before);
    let mut tokens = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte offset, column)
    let mut column = 0usize;
    for (offset, c) in content.char_indices() {
        column = column.saturating_add(1);
        match (c.is_whitespace(), start) {
            (true, Some((from, col))) => {
                if let Some(text) = content.get(from..offset) {
                    tokens.push(Token { column: col, text });
                }
                start = None;
            }
            (false, None) => start = Some((offset, column)),
            _ => {}
        }
    }
    if let Some((from, col)) = start {
        if let Some(text) = content.get(from..) {
            tokens.push(Token { column: col, text });
        }
    }
    tokens
}

/// Endpoints hold `:`, `[` or `.`; keys, nonces and keywords never do.
fn looks_like_endpoint(text: &str) -> bool {
    text.contains([':', '[', '.'])
}

/// A word rather than a mistyped hex field: not key-length, and holding a
/// letter that is no hex digit, or `_` or `-`.
fn looks_like_keyword(text: &str) -> bool {
    text.chars().count() != Field::Key.hex_digits()
        && text
            .chars()
            .any(|c| c == '_' || c == '-' || (c.is_ascii_alphabetic() && !c.is_ascii_hexdigit()))
}

struct LineError {
    column: Option<usize>,
    kind: KeyFileErrorKind,
}

impl LineError {
    fn at(column: usize, kind: KeyFileErrorKind) -> Self {
        LineError {
            column: Some(column),
            kind,
        }
    }
}

fn parse_hex<const N: usize>(token: Token<'_>, field: Field) -> Result<[u8; N], LineError> {
    let mut out = [0u8; N];
    let mut digits = 0usize;
    let mut high: Option<u8> = None;
    let mut slots = out.iter_mut();
    for (index, c) in token.text.chars().enumerate() {
        let Some(value) = c.to_digit(16).and_then(|v| u8::try_from(v).ok()) else {
            let column = token.column.saturating_add(index);
            return Err(LineError::at(
                column,
                KeyFileErrorKind::HexDigit { field, found: c },
            ));
        };
        digits = digits.saturating_add(1);
        match high.take() {
            None => high = Some(value),
            Some(h) => {
                if let Some(slot) = slots.next() {
                    *slot = (h << 4) | value;
                }
            }
        }
    }
    if digits != N.saturating_mul(2) {
        return Err(LineError::at(
            token.column,
            KeyFileErrorKind::HexLength {
                field,
                found: digits,
            },
        ));
    }
    Ok(out)
}

fn parse_endpoint(token: Token<'_>) -> Result<SocketAddr, LineError> {
    token.text.parse::<SocketAddr>().map_err(|_| {
        LineError::at(
            token.column,
            KeyFileErrorKind::BadEndpoint(token.text.to_owned()),
        )
    })
}

/// Column just after the last token, for errors about a missing field.
fn end_column(tokens: &[Token<'_>]) -> Option<usize> {
    tokens
        .last()
        .map(|t| t.column.saturating_add(t.text.chars().count()))
}

fn reject_extra(rest: &[Token<'_>]) -> Result<(), LineError> {
    match rest.first() {
        Some(extra) => Err(LineError::at(
            extra.column,
            KeyFileErrorKind::Extra(extra.text.to_owned()),
        )),
        None => Ok(()),
    }
}

/// Parses one non-empty line into `out`.
fn parse_line(tokens: &[Token<'_>], line: usize, out: &mut Vec<KeyEntry>) -> Result<(), LineError> {
    let missing = |field| LineError {
        column: end_column(tokens),
        kind: KeyFileErrorKind::Missing(field),
    };
    let (endpoints, rest) = match tokens {
        [first, rest @ ..] if looks_like_endpoint(first.text) => {
            let a = parse_endpoint(*first)?;
            let [second, rest @ ..] = rest else {
                return Err(missing(Field::SecondEndpoint));
            };
            let b = parse_endpoint(*second)?;
            (Some((a, b)), rest)
        }
        _ => (None, tokens),
    };
    let [first, rest @ ..] = rest else {
        return Err(missing(Field::Key));
    };
    if first.text.eq_ignore_ascii_case(CONNECTION_SECRET) {
        let [hex, rest @ ..] = rest else {
            return Err(missing(Field::Secret));
        };
        let secret: [u8; SECRET_LEN] = parse_hex(*hex, Field::Secret)?;
        reject_extra(rest)?;
        let (client, server) = endpoints.unzip();
        let key = pick::<KEY_LEN>(&secret, SECRET_KEY);
        let client_tx = pick::<NONCE_LEN>(&secret, SECRET_CLIENT_TX_NONCE);
        let server_tx = pick::<NONCE_LEN>(&secret, SECRET_SERVER_TX_NONCE);
        out.push(KeyEntry {
            key,
            nonce: client_tx,
            line,
            scope: KeyScope::ClientTx { client, server },
        });
        out.push(KeyEntry {
            key,
            nonce: server_tx,
            line,
            scope: KeyScope::ServerTx { client, server },
        });
        return Ok(());
    }
    if looks_like_keyword(first.text) {
        return Err(LineError::at(
            first.column,
            KeyFileErrorKind::UnknownKeyword(first.text.to_owned()),
        ));
    }
    let key: [u8; KEY_LEN] = parse_hex(*first, Field::Key)?;
    let [nonce, rest @ ..] = rest else {
        return Err(missing(Field::Nonce));
    };
    let nonce: [u8; NONCE_LEN] = parse_hex(*nonce, Field::Nonce)?;
    reject_extra(rest)?;
    let scope = match endpoints {
        Some((src, dst)) => KeyScope::Direction { src, dst },
        None => KeyScope::Unnamed,
    };
    out.push(KeyEntry {
        key,
        nonce,
        line,
        scope,
    });
    Ok(())
}

/// Copies `range` of the secret; ranges are constants inside SECRET_LEN.
fn pick<const N: usize>(secret: &[u8; SECRET_LEN], range: Range<usize>) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(bytes) = secret.get(range) {
        for (slot, byte) in out.iter_mut().zip(bytes) {
            *slot = *byte;
        }
    }
    out
}

fn write_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
}

impl KeyLog {
    /// Parses a key file's text (see the module docs for the format).
    ///
    /// # Errors
    /// The first line that is not blank, a comment or a valid entry.
    pub fn parse(text: &str) -> Result<KeyLog, KeyFileError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index.saturating_add(1);
            let tokens = tokenize(line);
            if tokens.is_empty() {
                continue;
            }
            parse_line(&tokens, number, &mut entries).map_err(|e| KeyFileError {
                line: number,
                column: e.column,
                kind: e.kind,
            })?;
        }
        Ok(KeyLog { entries })
    }

    /// Writes the entries as key file text, one `<key> <nonce>` line each,
    /// preceded by `<sender> <receiver>` when the entry names both. Parsing
    /// the result gives the same keys and nonces (a connection secret comes
    /// back as its two directions).
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# cephshark key log: [<sender> <receiver>] <aes-128-gcm key> <initial nonce>\n",
        );
        for entry in &self.entries {
            if let Some((src, dst)) = entry.scope.endpoints() {
                let _ = write!(out, "{src} {dst} ");
            }
            write_hex(&mut out, &entry.key);
            out.push(' ');
            write_hex(&mut out, &entry.nonce);
            out.push('\n');
        }
        out
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the file held no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
