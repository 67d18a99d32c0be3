//! The dissector's side of `--keyring`: each connection's cephx frames go
//! through [`CephxConn`] as their rows are made; the connection secret it
//! derives becomes the key candidates of both directions, whose secure
//! bytes wait (`SecureDir::defer_keys`) until the AUTH_DONE row was read.
//! AUTH_SIGNATURE is checked against the bytes its sender received. And
//! the candidates a key file gives each direction.

use super::{ConnState, Inner};
use crate::analysis::record::{Record, RecordKind};
use crate::cephx::structs::{group, DEC_SIGNATURE, DEC_SIGNATURE_EXPECTED, DEC_SIGNED_BYTES};
use crate::cephx::CephxConn;
use crate::decode::control::Control;
use crate::model::{FieldNode, Value};
use crate::msgr2::cipher::{KeyCipher, SharedCipher};
use crate::msgr2::crypto::Nonce;
use crate::msgr2::keys::KeyLog;
use crate::msgr2::keys::{SECRET_CLIENT_TX_NONCE, SECRET_KEY, SECRET_SERVER_TX_NONCE};
use crate::msgr2::secure::KeyCandidate;
use crate::msgr2::{Problem, ProblemKind, Tag};
use crate::tcp::{ConnId, Direction};
use std::net::SocketAddr;
use std::sync::Arc;

/// Bytes kept per direction for the AUTH_SIGNATURE check; an auth
/// exchange is a few KB.
const MAX_PRE_AUTH: usize = 1 << 20;

/// One connection's keyring state.
#[derive(Debug, Default)]
pub(super) struct ConnCephx {
    pub(super) conn: CephxConn,
    /// msgr1: the handshake's features, for message signatures.
    pub(super) v1: super::keys_v1::V1Sign,
    /// Bytes each direction carried before secure mode (banner and crc
    /// frames), and whether they are whole.
    rx: [Vec<u8>; 2],
    rx_broken: [bool; 2],
    /// The auth phase of a direction is over: its bytes are no longer kept.
    rx_done: [bool; 2],
}

/// msgr2.rst: the banner is `ceph v2\n`, le16 payload length, payload.
fn banner_bytes(b: &crate::msgr2::banner::Banner) -> Vec<u8> {
    let mut v = b"ceph v2\n".to_vec();
    v.extend_from_slice(&b.payload_len.to_le_bytes());
    v.extend_from_slice(&b.supported.to_le_bytes());
    v.extend_from_slice(&b.required.to_le_bytes());
    v
}

impl ConnCephx {
    /// The candidates a derived connection secret gives `dir` (`parallel`:
    /// its large operations opened on two threads).
    fn candidates(&self, dir: Direction, parallel: bool) -> Vec<KeyCandidate> {
        let Some(s) = &self.conn.derived.secret else {
            return Vec::new();
        };
        // crypto_onwire.cc create_handler_pair; keys.rs SECRET_*.
        let nonce = match dir {
            Direction::ClientToServer => SECRET_CLIENT_TX_NONCE,
            Direction::ServerToClient => SECRET_SERVER_TX_NONCE,
        };
        let key = s.get(SECRET_KEY).and_then(|k| <[u8; 16]>::try_from(k).ok());
        let n = s.get(nonce).and_then(|n| <[u8; 12]>::try_from(n).ok());
        match (key, n) {
            (Some(key), Some(n)) => vec![KeyCandidate {
                key,
                nonce: Nonce(n),
                origin: self.conn.derived.origin.clone(),
                cipher: SharedCipher(parallel.then(|| KeyCipher::parallel(&key))),
            }],
            _ => Vec::new(),
        }
    }

    /// Keep the bytes of a row sent in the clear (`phys`: its direction
    /// on the wire).
    fn keep(&mut self, rec: &Record, phys: Direction) {
        let i = phys.index();
        let (Some(buf), Some(broken), Some(done)) = (
            self.rx.get_mut(i),
            self.rx_broken.get_mut(i),
            self.rx_done.get_mut(i),
        ) else {
            return;
        };
        // ProtocolV2.cc: pre_auth.rxbuf holds what comes before the
        // signature; a frame past the auth phase ends it.
        let auth = |t: Tag| {
            matches!(
                t,
                Tag::Hello
                    | Tag::AuthRequest
                    | Tag::AuthBadMethod
                    | Tag::AuthReplyMore
                    | Tag::AuthRequestMore
                    | Tag::AuthDone
            )
        };
        if *done || rec.frame().is_some_and(|f| !auth(f.tag())) {
            *done = true;
            *buf = Vec::new();
            return;
        }
        match &rec.kind {
            // What the peer received from the first byte on: a direction
            // whose banner the capture missed cannot be checked.
            RecordKind::Banner(b) if b.offset == 0 => buf.extend_from_slice(&banner_bytes(b)),
            _ if buf.is_empty() => *broken = true,
            RecordKind::Banner(_) => *broken = true,
            // A compressed frame's wire bytes are those before decompression.
            RecordKind::Frame(f) if !f.decrypted => {
                buf.extend_from_slice(f.compression.as_ref().map_or(&f.data, |c| &c.before))
            }
            RecordKind::Frame(_) => {}
            _ => *broken = true,
        }
        if buf.len() > MAX_PRE_AUTH {
            *broken = true;
            buf.clear();
        }
    }

    /// Check an AUTH_SIGNATURE sent in `phys` against what its sender
    /// received (ProtocolV2.cc handle_auth_signature: HMAC-SHA256 of
    /// pre_auth.rxbuf keyed with the session key).
    fn signature(&self, rec: &mut Record, phys: Direction, sig: &[u8; 32], at: u64) {
        let Some(key) = &self.conn.derived.session_key else {
            return;
        };
        let from = phys.reverse().index();
        if self.rx_broken.get(from) != Some(&false) || self.rx_done.get(from) == Some(&true) {
            return;
        }
        let Some(bytes) = self.rx.get(from) else {
            return;
        };
        let want = key.hmac_sha256(bytes);
        let good = &want == sig;
        let nodes = vec![
            FieldNode::new(
                &DEC_SIGNATURE,
                Value::Str(if good { "good" } else { "bad" }.into()),
                None,
            ),
            FieldNode::new(&DEC_SIGNATURE_EXPECTED, Value::Bytes(want.to_vec()), None),
            FieldNode::new(&DEC_SIGNED_BYTES, Value::Uint(bytes.len() as u64), None),
        ];
        add_nodes(
            rec,
            vec![group(
                "AUTH_SIGNATURE check",
                &self.conn.derived.origin,
                nodes,
            )],
        );
        if !good {
            if let RecordKind::Frame(f) = &mut rec.kind {
                f.problems.push(
                    Problem::new(
                        ProblemKind::AuthSignatureBad,
                        at,
                        32,
                        "msgr2.auth_signature.sha256",
                    )
                    .values(
                        format!(
                            "HMAC-SHA256 of the {} bytes received: {}",
                            bytes.len(),
                            crate::cephx::crypto::hex(&want)
                        ),
                        crate::cephx::crypto::hex(sig),
                    ),
                );
            }
        }
    }
}

pub(super) fn add_nodes(rec: &mut Record, nodes: Vec<FieldNode>) {
    if nodes.is_empty() {
        return;
    }
    let mut all = rec.cephx.as_deref().cloned().unwrap_or_default();
    all.extend(nodes);
    rec.cephx = Some(std::sync::Arc::new(all));
}

/// The key entries that may open the direction `src` -> `dst`, each with
/// its key expanded once for the whole capture (`ciphers`: one per entry,
/// from [`expand`]).
pub(super) fn candidates(
    keys: &KeyLog,
    ciphers: &[Arc<KeyCipher>],
    (src, dst): (SocketAddr, SocketAddr),
    from_client: bool,
) -> Vec<KeyCandidate> {
    keys.entries
        .iter()
        .zip(ciphers.iter().map(Some).chain(std::iter::repeat(None)))
        .filter(|(e, _)| e.scope.may_apply(src, dst, Some(from_client)))
        .map(|(e, c)| KeyCandidate {
            key: e.key,
            nonce: e.initial_nonce(),
            origin: format!("line {}", e.line),
            cipher: SharedCipher(c.cloned()),
        })
        .collect()
}

/// Each entry's key expanded, once per distinct key (a connection's two
/// directions share theirs); `parallel`: large operations opened on two
/// threads.
pub(super) fn expand(keys: &KeyLog, parallel: bool) -> Vec<Arc<KeyCipher>> {
    let mut seen: crate::fastmap::Map<[u8; 16], Arc<KeyCipher>> = Default::default();
    keys.entries
        .iter()
        .map(|e| {
            seen.entry(e.key)
                .or_insert_with(|| {
                    if parallel {
                        KeyCipher::parallel(&e.key)
                    } else {
                        KeyCipher::new(&e.key)
                    }
                })
                .clone()
        })
        .collect()
}

impl Inner {
    /// Read a row of `conn` for the keyring (before it is passed on).
    pub(super) fn cephx_row(&mut self, conn: ConnId, rec: &mut Record, phys: Direction) {
        if matches!(rec.kind, RecordKind::Msgr1(_)) {
            self.cephx_row_v1(conn, rec);
            return;
        }
        let Some(keyring) = self.cfg.keyring.clone() else {
            return;
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(x) = c.cephx.as_mut() else {
            return;
        };
        if let Some(ctl) = rec.control().cloned() {
            let label = format!("tcp.stream {}", conn.0);
            let nodes = x.conn.observe(&ctl, &keyring, &mut self.tickets, &label);
            add_nodes(rec, nodes);
            if let (Control::AuthSignature(s), Some(f)) = (&ctl, rec.frame()) {
                let at = f.stream_offset(s.sha256.at);
                x.signature(rec, phys, &s.sha256.v, at);
                // What the signature covered is needed no more.
                let from = phys.reverse().index();
                if let (Some(b), Some(d)) = (x.rx.get_mut(from), x.rx_done.get_mut(from)) {
                    *b = Vec::new();
                    *d = true;
                }
            }
        }
        // MAuthReply inside a monitor session: rotating secrets, renewals.
        let msg = rec
            .msg
            .map(|h| h.msg_type)
            .zip(rec.frame())
            .and_then(|(t, f)| {
                (t == crate::cephx::rotating::MSG_AUTH_REPLY)
                    .then(|| f.segment(1).map(|front| (t, front.to_vec())))
                    .flatten()
            });
        if let Some((t, front)) = msg {
            let label = format!("tcp.stream {}", conn.0);
            let nodes = x
                .conn
                .observe_message(t, &front, &keyring, &mut self.tickets, &label);
            add_nodes(rec, nodes);
        }
        if rec.frame().is_none_or(|f| f.tag() != Tag::AuthSignature) {
            x.keep(rec, phys);
        }
    }

    /// Directions of `conn` waiting for their keys get what the keyring
    /// gave (or the reason it gave none) and are decoded on; whether any
    /// was.
    pub(super) fn cephx_settle(&mut self, conn: ConnId) -> bool {
        let parallel = self.cfg.threads > 1;
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        let mut any = false;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            if !c.decoder.secure_mut(dir).is_some_and(|s| s.waiting()) {
                continue;
            }
            let (cands, why) = match &c.cephx {
                Some(x) => (
                    x.candidates(dir, parallel),
                    x.conn.derived.failure.clone().or_else(|| {
                        x.conn.derived.secret.is_none().then(|| {
                            "the keyring opens no AUTH_DONE of this connection".to_string()
                        })
                    }),
                ),
                None => (Vec::new(), None),
            };
            if let Some(sd) = c.decoder.secure_mut(dir) {
                sd.resolve(cands, why.map(|w| format!("none: {w}")));
            }
            c.decoder.resume(dir, &mut self.events);
            any = true;
        }
        any
    }
}

impl ConnState {
    /// Give the connection keyring state when a keyring is in use.
    pub(super) fn with_cephx(&mut self, on: bool) {
        if !on {
            return;
        }
        self.cephx = Some(Box::default());
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            if let Some(sd) = self.decoder.secure_mut(dir) {
                sd.defer_keys();
            }
        }
    }
}
