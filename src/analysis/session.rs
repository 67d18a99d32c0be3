//! Session tracking per connection: message seq continuity per direction,
//! ack_seq consistency, and keepalive round trips.
//!
//! Rules (ProtocolV2.cc `handle_message`, `handle_message_ack`,
//! `handle_keepalive2`): each side numbers its messages 1, 2, 3, ... within
//! a session; `ack_seq` in a message header (and the ACK frame) acknowledges
//! the peer's messages up to that seq; KEEPALIVE2_ACK echoes the timestamp
//! of the KEEPALIVE2 it answers.

use super::record::{Record, RecordKind};
use crate::capture::Timestamp;
use crate::decode::control::Control;
use crate::msgr2::{Problem, ProblemKind, Tag};
use std::collections::VecDeque;

/// What session tracking adds to a row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionNote {
    /// For KEEPALIVE2_ACK: nanoseconds since the matching KEEPALIVE2.
    pub keepalive_rtt_ns: Option<u64>,
    /// For KEEPALIVE2_ACK: the row number of the matching KEEPALIVE2.
    pub keepalive_row: Option<u64>,
    /// The sender's entity type, from its HELLO (CEPH_ENTITY_TYPE_*).
    pub sender_type: Option<u8>,
    /// The sender's entity name (`client.4112`, `osd.0`), once its ident is seen.
    pub sender_name: Option<String>,
    /// The receiver's entity type, from its HELLO, once seen.
    pub receiver_type: Option<u8>,
    /// The receiver's entity name, once its ident is seen.
    pub receiver_name: Option<String>,
    /// For SESSION_RECONNECT: the earlier connection whose session it
    /// resumes (same client and server cookies), when the capture holds it.
    pub resumes: Option<crate::tcp::ConnId>,
}

/// Sessions remembered for matching reconnects.
pub const MAX_SESSIONS: usize = 65_536;

/// Who the two sides of a session are, per direction (client->server,
/// server->client): entity types (HELLO), names and supported features
/// (idents). A SESSION_RECONNECT sends no ident: the resumed session keeps
/// its peers' (ProtocolV2.cc handle_reconnect / reuse_connection move the
/// existing connection's peer name and features onto the new socket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Entity types.
    pub types: [Option<u8>; 2],
    /// Entity names.
    pub names: [Option<String>; 2],
    /// Supported features.
    pub features: [Option<u64>; 2],
}

impl Identity {
    /// The peers by name alone (`client.4112`, `osd.0`), as an earlier
    /// pass over the capture ended up knowing them; each type is read off
    /// its name's prefix.
    pub fn from_names(names: [Option<String>; 2]) -> Identity {
        let type_of = |n: &Option<String>| {
            let prefix = n.as_deref()?.split('.').next()?;
            // CEPH_ENTITY_TYPE_* (msgr.h): one bit each.
            [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20]
                .into_iter()
                .find(|&t| crate::decode::auth::entity_type_name(u64::from(t)) == Some(prefix))
        };
        Identity {
            types: [type_of(&names[0]), type_of(&names[1])],
            names,
            features: [None, None],
        }
    }
}

/// Cookies of the sessions seen so far, across connections: a
/// SESSION_RECONNECT names the client and server cookies of the session it
/// resumes (ProtocolV2.cc handle_reconnect), which CLIENT_IDENT and
/// SERVER_IDENT of an earlier connection carried.
#[derive(Debug, Default)]
pub struct Reconnects {
    /// Per connection: (client cookie, server cookie) as far as seen.
    partial: crate::fastmap::Map<crate::tcp::ConnId, (Option<u64>, Option<u64>)>,
    /// Complete sessions, oldest first, and their lookup.
    order: VecDeque<(u64, u64)>,
    sessions: crate::fastmap::Map<(u64, u64), crate::tcp::ConnId>,
    /// Who the peers of each remembered session's connection were, kept
    /// when that connection's state is dropped.
    kept: crate::fastmap::Map<crate::tcp::ConnId, Identity>,
    /// Connections a remembered session started on.
    homes: crate::fastmap::Set<crate::tcp::ConnId>,
}

impl Reconnects {
    /// Look at a row; learn cookies, or link a reconnect to its session.
    pub fn observe(&mut self, r: &mut Record) {
        let RecordKind::Frame(f) = &r.kind else {
            return;
        };
        if f.aborted() || f.has_problems() {
            return;
        }
        let (client, server) = match r.control() {
            Some(Control::ClientIdent(c)) => (Some(c.cookie.v), None),
            Some(Control::ServerIdent(s)) => (None, Some(s.cookie.v)),
            Some(Control::SessionReconnect(s)) => {
                let (client, server) = (s.client_cookie.v, s.server_cookie.v);
                let conn = r.conn;
                if let Some(conn) = self.sessions.get(&(client, server)) {
                    r.session.get_or_insert_with(SessionNote::default).resumes = Some(*conn);
                }
                // A successful reconnect continues that session here.
                self.partial.insert(conn, (Some(client), Some(server)));
                return;
            }
            _ => return,
        };
        let e = self.partial.entry(r.conn).or_default();
        if client.is_some() {
            e.0 = client;
        }
        if server.is_some() {
            e.1 = server;
        }
        if let (Some(c), Some(s)) = *e {
            if s != 0 {
                if self.order.len() >= MAX_SESSIONS {
                    if let Some(old) = self.order.pop_front() {
                        if let Some(c) = self.sessions.remove(&old) {
                            self.kept.remove(&c);
                            self.homes.remove(&c);
                        }
                    }
                }
                self.order.push_back((c, s));
                self.sessions.insert((c, s), r.conn);
                self.homes.insert(r.conn);
            }
            self.partial.remove(&r.conn);
        }
    }
}

impl Reconnects {
    /// Keep who the peers of `conn` were, when a session remembered here
    /// started on it (its state is about to be dropped).
    pub fn keep(&mut self, conn: crate::tcp::ConnId, id: Identity) {
        if self.homes.contains(&conn) {
            self.kept.insert(conn, id);
        }
    }

    /// Who the peers of `conn` were, if kept.
    pub fn kept(&self, conn: crate::tcp::ConnId) -> Option<&Identity> {
        self.kept.get(&conn)
    }
}

/// Keepalives remembered per direction while waiting for their ack.
const MAX_PENDING_KEEPALIVES: usize = 64;

#[derive(Debug, Default)]
struct DirState {
    /// The sender's entity type from its HELLO.
    entity_type: Option<u8>,
    /// The sender's entity name from its ident frame.
    name: Option<String>,
    /// Highest message seq sent in this direction so far.
    last_seq: Option<u64>,
    /// KEEPALIVE2 stamps sent and not yet acknowledged: (stamp, row, time).
    keepalives: VecDeque<([u8; 8], u64, Timestamp)>,
    /// Every keepalive of the direction is known: its banner was seen, no
    /// bytes were lost and none was forgotten for lack of room.
    whole: bool,
    /// The numbering resumes a session (SESSION_RECONNECT): messages at or
    /// below `last_seq` are replays the receiver discards.
    resumed: bool,
}

/// Session state of one connection.
#[derive(Debug, Default)]
pub struct Session {
    dirs: [DirState; 2],
}

fn ns(t: Timestamp) -> i128 {
    i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos)
}

impl Session {
    /// What is known of the entity sending in `dir` before its next row.
    pub fn sender(&self, dir: crate::tcp::Direction) -> crate::decode::payload::Sender {
        let d = self.dirs.get(dir.index());
        crate::decode::payload::Sender {
            entity_type: d.and_then(|d| d.entity_type),
            name: d.and_then(|d| d.name.clone()),
        }
    }

    /// Entity types and names per direction.
    pub fn identity(&self) -> ([Option<u8>; 2], [Option<String>; 2]) {
        (
            [self.dirs[0].entity_type, self.dirs[1].entity_type],
            self.names(),
        )
    }

    /// Take the entity types and names of the session this connection
    /// resumes, where its own frames did not show them.
    pub fn adopt(&mut self, id: &Identity) {
        for (i, d) in self.dirs.iter_mut().enumerate() {
            if d.entity_type.is_none() {
                d.entity_type = id.types.get(i).copied().flatten();
            }
            if d.name.is_none() {
                d.name = id.names.get(i).cloned().flatten();
            }
        }
    }

    /// Entity names per direction (client->server, server->client), once known.
    pub fn names(&self) -> [Option<String>; 2] {
        [self.dirs[0].name.clone(), self.dirs[1].name.clone()]
    }

    /// Learn entity types and names from HELLO and ident frames, and note
    /// both sides, as far as known, on every row of the connection (a
    /// frame with a bad CRC or other problem teaches nothing, but still
    /// carries its connection's entities).
    fn identify(&mut self, r: &mut Record) {
        let i = r.dir.index();
        let peer = r.dir.reverse().index();
        if let RecordKind::Frame(f) = &r.kind {
            if let Some(d) = self
                .dirs
                .get_mut(i)
                .filter(|_| !f.aborted() && !f.has_problems())
            {
                match r.payload.as_ref().and_then(|p| p.control.as_ref()) {
                    Some(Control::Hello(h)) => d.entity_type = Some(h.entity_type.v),
                    Some(Control::ClientIdent(c)) => d.name = entity_name(d.entity_type, c.gid.v),
                    Some(Control::ServerIdent(s)) => d.name = entity_name(d.entity_type, s.gid.v),
                    _ => {}
                }
            }
        }
        let (Some(d), Some(p)) = (self.dirs.get(i), self.dirs.get(peer)) else {
            return;
        };
        let known = [&d.entity_type, &p.entity_type].iter().any(|t| t.is_some())
            || d.name.is_some()
            || p.name.is_some();
        if known {
            let note = r.session.get_or_insert_with(SessionNote::default);
            note.sender_type = d.entity_type;
            note.sender_name.clone_from(&d.name);
            note.receiver_type = p.entity_type;
            note.receiver_name.clone_from(&p.name);
        }
    }

    /// Look at a row of this connection (in stream order per direction) and
    /// add the problems and notes session tracking finds.
    pub fn observe(&mut self, r: &mut Record) {
        self.identify(r);
        let i = r.dir.index();
        let peer = r.dir.reverse().index();
        if matches!(r.kind, RecordKind::Lost { .. } | RecordKind::Undecoded(_)) {
            // Messages may have been in the bytes not decoded: the numbering
            // of this direction is unknown until its next message.
            if let Some(d) = self.dirs.get_mut(i) {
                d.last_seq = None;
                d.whole = false;
            }
            return;
        }
        if matches!(r.kind, RecordKind::Banner(_)) {
            if let Some(d) = self.dirs.get_mut(i) {
                d.whole = true;
            }
            return;
        }
        let RecordKind::Frame(f) = &mut r.kind else {
            return;
        };
        if f.aborted() || f.has_problems() {
            return;
        }
        match f.tag() {
            Tag::ClientIdent | Tag::ServerIdent | Tag::SessionReset => {
                // A new session: numbering starts again.
                for d in &mut self.dirs {
                    d.last_seq = None;
                    d.resumed = false;
                }
            }
            Tag::SessionReconnect | Tag::SessionReconnectOk => {
                // ProtocolV2 send_reconnect / handle_reconnect_ok: each side
                // names the last seq it received; the peer's messages
                // resume after it (requeued ones up to it are discarded).
                let seq = match r.payload.as_ref().and_then(|p| p.control.as_ref()) {
                    Some(Control::SessionReconnect(s)) => s.msg_seq.v,
                    Some(Control::SessionReconnectOk(s)) => s.msg_seq.v,
                    _ => return,
                };
                if let Some(d) = self.dirs.get_mut(peer) {
                    d.last_seq = Some(seq);
                    d.resumed = true;
                }
            }
            Tag::Message => {
                let Some(h) = r.msg else { return };
                let seg0 = f.segment_offsets[0];
                let resumed = self.dirs.get(i).is_some_and(|d| d.resumed);
                if let Some(last) = self.dirs.get(i).and_then(|d| d.last_seq) {
                    if resumed && h.seq <= last {
                        // handle_message: "got old message ... discarding".
                        f.problems.push(
                            Problem::new(ProblemKind::SeqReplayed, seg0, 8, "ceph.msg.seq").values(
                                format!("more than {last} (received before the reconnect)"),
                                h.seq.to_string(),
                            ),
                        );
                        return;
                    }
                    if h.seq != last.wrapping_add(1) {
                        f.problems.push(
                            Problem::new(ProblemKind::SeqJump, seg0, 8, "ceph.msg.seq")
                                .values((last.wrapping_add(1)).to_string(), h.seq.to_string()),
                        );
                    }
                }
                if let Some(d) = self.dirs.get_mut(i) {
                    d.last_seq = Some(h.seq);
                    d.resumed = false;
                }
                if let Some(peer_last) = self.dirs.get(peer).and_then(|d| d.last_seq) {
                    if h.ack_seq > peer_last {
                        f.problems.push(
                            Problem::new(ProblemKind::AckAhead, seg0 + 28, 8, "ceph.msg.ack_seq")
                                .values(
                                    format!("<= {peer_last} (the peer's last seq)"),
                                    h.ack_seq.to_string(),
                                ),
                        );
                    }
                }
            }
            Tag::Ack => {
                let Some(seq) = f
                    .segment(0)
                    .and_then(|s| s.get(..8))
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
                else {
                    return;
                };
                if let Some(peer_last) = self.dirs.get(peer).and_then(|d| d.last_seq) {
                    if seq > peer_last {
                        let at = f.segment_offsets[0];
                        f.problems.push(
                            Problem::new(ProblemKind::AckAhead, at, 8, "msgr2.ack.seq").values(
                                format!("<= {peer_last} (the peer's last seq)"),
                                seq.to_string(),
                            ),
                        );
                    }
                }
            }
            Tag::Keepalive2 => {
                if let (Some(stamp), Some(d)) = (stamp(f), self.dirs.get_mut(i)) {
                    if d.keepalives.len() >= MAX_PENDING_KEEPALIVES {
                        d.keepalives.pop_front();
                        d.whole = false;
                    }
                    d.keepalives.push_back((stamp, r.number, r.ts));
                }
            }
            Tag::Keepalive2Ack => {
                let (Some(stamp), Some(d)) = (stamp(f), self.dirs.get_mut(peer)) else {
                    return;
                };
                if let Some(pos) = d.keepalives.iter().position(|k| k.0 == stamp) {
                    if let Some((_, row, t)) = d.keepalives.remove(pos) {
                        let rtt = u64::try_from(ns(r.ts) - ns(t)).ok();
                        let note = r.session.get_or_insert_with(SessionNote::default);
                        note.keepalive_rtt_ns = rtt;
                        note.keepalive_row = Some(row);
                    }
                } else if d.whole {
                    // handle_keepalive2 echoes the stamp it received.
                    let at = f.segment_offsets[0];
                    f.problems.push(
                        Problem::new(
                            ProblemKind::KeepaliveAckUnmatched,
                            at,
                            8,
                            "msgr2.keepalive2_ack.timestamp",
                        )
                        .values(
                            "the timestamp of a KEEPALIVE2 of the peer",
                            stamp_text(stamp),
                        ),
                    );
                }
            }
            _ => {}
        }
        if let RecordKind::Frame(f) = &mut r.kind {
            f.problems.sort_by_key(|p| p.offset);
        }
    }
}

/// The utime_t a KEEPALIVE2 or its ack carries (frames_v2.h KeepAliveFrame).
fn stamp(f: &crate::msgr2::Frame) -> Option<[u8; 8]> {
    f.segment(0)?.get(..8)?.try_into().ok()
}

/// A utime_t's bytes as the frame list prints them.
fn stamp_text(b: [u8; 8]) -> String {
    let [a, b2, c, d, e, f, g, h] = b;
    let sec = u32::from_le_bytes([a, b2, c, d]);
    let nsec = u32::from_le_bytes([e, f, g, h]);
    crate::decode::text::utc_text(i64::from(sec), nsec)
}

/// `type.num` as Ceph names entities (msg_types.h entity_name_t).
fn entity_name(ty: Option<u8>, gid: i64) -> Option<String> {
    let t = crate::decode::auth::entity_type_name(u64::from(ty?))?;
    // A client not yet authenticated has gid -1, which Ceph prints as `?`.
    Some(if gid < 0 {
        format!("{t}.?")
    } else {
        format!("{t}.{gid}")
    })
}
