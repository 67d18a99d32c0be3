//! Ceph keyring files, as `ceph auth get-or-create` and `ceph-authtool`
//! write them (auth/KeyRing.cc KeyRing::decode_plaintext, read through
//! common/ConfUtils): `[entity]` sections, `name = value` settings,
//! comments from `#` or `;`. The setting `key` holds the entity's secret,
//! a base64 `CryptoKey`; every other setting (`caps mon = "allow *"`) is
//! skipped.
//!
//! ```text
//! [client.admin]
//!     key = AQA5xwNrJ/vPERAAtYJx88qW6OXRRJQBO7UxTQ==
//!     caps mon = "allow *"
//! ```
//!
//! The parsing is a library function; reading the file is the caller's.

use super::crypto::{CryptoKey, CRYPTO_AES, CRYPTO_AES256KRB5};
use std::fmt;

/// One entity of a keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringEntry {
    /// Entity name as written (`client.admin`, `mon.`, `osd.0`).
    pub name: String,
    /// Its secret.
    pub key: CryptoKey,
    /// 1-based line of its `key =` setting.
    pub line: usize,
}

/// Every entity of one or more keyring files, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    /// Entries in file order.
    pub entries: Vec<KeyringEntry>,
}

/// A keyring line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.what
        )
    }
}

impl std::error::Error for KeyringError {}

/// 1-based character column of byte index `at` of `line`.
fn column(line: &str, at: usize) -> usize {
    line.get(..at)
        .map_or(1, |s| s.chars().count().saturating_add(1))
}

/// The text before a comment (`#` or `;` outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' | ';' if !quoted => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// Decode standard base64 (RFC 4648, `=` padding), as Ceph's
/// `CryptoKey::decode_base64` does; `Err` holds the byte index of the
/// first character that cannot be there.
pub fn base64_decode(s: &str) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut pad = 0usize;
    for (i, c) in s.char_indices() {
        let v = match c {
            'A'..='Z' => u32::from(c) - u32::from('A'),
            'a'..='z' => u32::from(c) - u32::from('a') + 26,
            '0'..='9' => u32::from(c) - u32::from('0') + 52,
            '+' => 62,
            '/' => 63,
            '=' => {
                pad += 1;
                if pad > 2 {
                    return Err(i);
                }
                continue;
            }
            _ => return Err(i),
        };
        if pad > 0 {
            return Err(i);
        }
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Whole quads only: 4 characters give 3 bytes.
    let chars = s.chars().count();
    if chars % 4 != 0 {
        return Err(s.len());
    }
    Ok(out)
}

impl Keyring {
    /// Parse a keyring's text.
    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let mut k = Keyring::default();
        k.add(text)?;
        Ok(k)
    }

    /// Add the entities of another keyring's text.
    pub fn add(&mut self, text: &str) -> Result<(), KeyringError> {
        let mut section: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n.saturating_add(1);
            let err = |at: usize, what: String| KeyringError {
                line: line_no,
                column: column(raw, at),
                what,
            };
            let body = strip_comment(raw);
            let trimmed = body.trim_start();
            let start = body.len() - trimmed.len();
            let trimmed = trimmed.trim_end();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(close) = rest.find(']') else {
                    return Err(err(start + trimmed.len(), "missing `]`".into()));
                };
                let name = rest.get(..close).unwrap_or("").trim();
                if name.is_empty() {
                    return Err(err(start + 1, "empty entity name".into()));
                }
                let after = rest.get(close + 1..).unwrap_or("");
                if !after.trim().is_empty() {
                    let at = start + 2 + close + (after.len() - after.trim_start().len());
                    return Err(err(at, format!("unexpected `{}` after `]`", after.trim())));
                }
                section = Some(name.to_string());
                continue;
            }
            let Some(eq) = trimmed.find('=') else {
                return Err(err(
                    start,
                    "expected `[entity]`, `name = value` or a comment".into(),
                ));
            };
            let name = trimmed.get(..eq).unwrap_or("").trim();
            if name.is_empty() {
                return Err(err(start, "missing setting name before `=`".into()));
            }
            let Some(entity) = &section else {
                return Err(err(
                    start,
                    format!("`{name}` outside an `[entity]` section"),
                ));
            };
            if name != "key" {
                continue;
            }
            let value_raw = trimmed.get(eq + 1..).unwrap_or("");
            let lead = value_raw.len() - value_raw.trim_start().len();
            let mut vstart = start + eq + 1 + lead;
            let mut value = value_raw.trim();
            if let Some(v) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                value = v;
                vstart += 1;
            }
            if value.is_empty() {
                return Err(err(vstart, format!("empty key for {entity}")));
            }
            let bytes = base64_decode(value).map_err(|at| {
                let what = match value.get(at..).and_then(|s| s.chars().next()) {
                    Some(c) => format!("bad base64 character {c:?} in the key of {entity}"),
                    None => format!(
                        "the key of {entity} is not whole base64 (length {})",
                        value.len()
                    ),
                };
                err(vstart + at, what)
            })?;
            let key = match CryptoKey::parse(&bytes) {
                Ok((&[], key)) => key,
                _ => {
                    return Err(err(
                        vstart,
                        format!(
                            "the key of {entity} decodes to {} bytes, not a CryptoKey (le16 type, utime, le16 len, secret)",
                            bytes.len()
                        ),
                    ))
                }
            };
            match key.ty {
                CRYPTO_AES if key.secret.len() != 16 => {
                    return Err(err(
                        vstart,
                        format!(
                            "the AES key of {entity} has {} secret bytes, expected 16",
                            key.secret.len()
                        ),
                    ))
                }
                CRYPTO_AES | CRYPTO_AES256KRB5 => {}
                t => {
                    return Err(err(
                        vstart,
                        format!("the key of {entity} has unknown type {t}"),
                    ))
                }
            }
            self.entries.push(KeyringEntry {
                name: entity.clone(),
                key,
                line: line_no,
            });
        }
        Ok(())
    }

    /// The key of an entity, by name (`client.admin`); the first one given.
    pub fn get(&self, name: &str) -> Option<&KeyringEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Entities whose keys cannot be used here (aes256k), for a warning.
    pub fn unsupported(&self) -> impl Iterator<Item = &KeyringEntry> {
        self.entries.iter().filter(|e| e.key.ty != CRYPTO_AES)
    }
}
