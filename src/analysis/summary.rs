//! Counters over a whole dissection: per capture and per connection.

use super::record::{Record, RecordKind};
use crate::capture::{LinkType, PacketIndex, Timestamp};
use crate::msgr2::{Mode, Rev};
use crate::tcp::ConnId;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Per-connection counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnSummary {
    /// Connection index.
    pub conn: ConnId,
    /// Opening side.
    pub client: SocketAddr,
    /// Accepting side.
    pub server: SocketAddr,
    /// Whether the TCP handshake was captured.
    pub handshake_seen: bool,
    /// Framing revision, once known.
    pub rev: Option<Rev>,
    /// Final connection mode.
    pub mode: Mode,
    /// The connection carried no msgr2.
    pub not_msgr2: bool,
    /// The connection speaks msgr1 (its first banner was `ceph v027`).
    pub msgr1: bool,
    /// Frames per direction (client->server, server->client).
    pub frames: [u64; 2],
    /// MESSAGE frames per direction.
    pub messages: [u64; 2],
    /// Wire bytes of frames per direction.
    pub bytes: [u64; 2],
    /// Rows with a problem of warning level or worse.
    pub faulty: u64,
    /// Secure-mode key status per direction.
    pub keys: [KeyStatus; 2],
    /// The key and initial nonce that opened each direction (client to
    /// server, server to client), for `--export-keys`.
    pub opened_with: [Option<crate::msgr2::secure::KeyCandidate>; 2],
    /// Why no key was derived for a direction (`--keyring`).
    pub no_key_why: [Option<String>; 2],
    /// msgr1 with `--keyring`: where the session key that signs the
    /// connection's messages came from (or why none), and its signatures
    /// found good, bad, and not checked for want of the key.
    pub v1_signing: Option<(String, [u64; 3])>,
    /// Entity names of the client and the server (`client.4112`, `osd.0`),
    /// from their HELLO and ident frames.
    pub names: [Option<String>; 2],
    /// How the connection ended (once it closed): ready, reset, faulted
    /// or incomplete.
    pub state: Option<super::conformance::FinalState>,
    /// Ceph releases of the client and the server, from their ident
    /// frames' features.
    pub releases: [Option<crate::analysis::interop::Release>; 2],
    /// What the server's COMPRESSION_DONE said, once seen.
    pub compression: Option<crate::msgr2::compress::Done>,
    /// Frames sent compressed (preamble flag), both directions.
    pub compressed_frames: u64,
}

/// Whether a direction's secure traffic could be opened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeyStatus {
    /// The direction never switched to secure mode.
    #[default]
    NotNeeded,
    /// A key opened it (where the key came from).
    Opened(String),
    /// Secure, and no key given opens it.
    Missing,
}

impl ConnSummary {
    /// Fresh counters.
    pub fn new(conn: ConnId, client: SocketAddr, server: SocketAddr, handshake_seen: bool) -> Self {
        ConnSummary {
            conn,
            client,
            server,
            handshake_seen,
            rev: None,
            mode: Mode::Crc,
            not_msgr2: false,
            msgr1: false,
            frames: [0; 2],
            messages: [0; 2],
            bytes: [0; 2],
            faulty: 0,
            keys: Default::default(),
            opened_with: [None, None],
            no_key_why: [None, None],
            v1_signing: None,
            names: [None, None],
            state: None,
            releases: [None, None],
            compression: None,
            compressed_frames: 0,
        }
    }

    /// Count one record.
    pub fn count(&mut self, r: &Record) {
        let i = r.dir.index();
        if let RecordKind::Frame(f) = &r.kind {
            if let Some(n) = self.frames.get_mut(i) {
                *n += 1;
            }
            if let Some(n) = self.bytes.get_mut(i) {
                *n += f.wire_len;
            }
            if r.is_message() {
                if let Some(n) = self.messages.get_mut(i) {
                    *n += 1;
                }
            }
            self.rev = Some(f.rev);
            if f.preamble.compressed() {
                self.compressed_frames += 1;
            }
        }
        if let (Some(crate::decode::control::Control::CompressionDone(d)), 1) = (r.control(), i) {
            self.compression = Some(compression_done(d));
        }
        if let RecordKind::Msgr1(it) = &r.kind {
            if let Some(n) = self.frames.get_mut(i) {
                *n += 1;
            }
            if let Some(n) = self.bytes.get_mut(i) {
                *n += it.wire_len();
            }
            if r.is_message() {
                if let Some(n) = self.messages.get_mut(i) {
                    *n += 1;
                }
            }
        }
        if r.is_faulty() {
            self.faulty += 1;
        }
    }
}

/// What a decoded COMPRESSION_DONE says (is_compress, method).
pub fn compression_done(
    d: &crate::decode::control_auth::CompressionDone,
) -> crate::msgr2::compress::Done {
    crate::msgr2::compress::Done {
        on: d.is_compress.v,
        method: crate::msgr2::compress::Method::from(d.method.v),
    }
}

/// Link types counted one by one in [`Summary::links`] (a pcapng file
/// can name a new one in each interface block).
pub const MAX_LINK_TYPES: usize = 16;

impl Summary {
    /// Who each connection's peers turned out to be (names and the types
    /// they imply), for a second pass over the same capture.
    pub fn identities(&self) -> crate::fastmap::Map<ConnId, super::session::Identity> {
        self.conns
            .iter()
            .filter(|(_, c)| c.names.iter().any(Option::is_some))
            .map(|(&id, c)| (id, super::session::Identity::from_names(c.names.clone())))
            .collect()
    }

    /// Count one packet of link type `link`.
    pub fn count_link(&mut self, link: LinkType) {
        if let Some((_, n)) = self.links.iter_mut().find(|(l, _)| *l == link) {
            *n += 1;
        } else if self.links.len() < MAX_LINK_TYPES {
            self.links.push((link, 1));
        } else {
            self.other_link_packets += 1;
        }
    }
}

/// Counters of a whole capture.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Packets read.
    pub packets: u64,
    /// Captured bytes read.
    pub bytes: u64,
    /// First packet's time.
    pub first_ts: Option<Timestamp>,
    /// Last packet's time.
    pub last_ts: Option<Timestamp>,
    /// Packets per link type, in order of first appearance (at most
    /// [`MAX_LINK_TYPES`] kinds; the packets of any further ones are
    /// counted in `other_link_packets`).
    pub links: Vec<(LinkType, u64)>,
    /// Packets of link types past [`MAX_LINK_TYPES`].
    pub other_link_packets: u64,
    /// Packets that are not TCP over IP.
    pub non_tcp_packets: u64,
    /// Packets whose headers could not be read.
    pub malformed_packets: u64,
    /// The first of them, with the reason.
    pub malformed: Vec<(PacketIndex, String)>,
    /// Per connection.
    pub conns: BTreeMap<ConnId, ConnSummary>,
    /// Set when the capture could not be read to its end.
    pub read_error: Option<String>,
}
