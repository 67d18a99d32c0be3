//! Interop verdicts: would the receiver understand a message, and did
//! anyone answer it?
//!
//! Per connection, from the rows' already decoded values (never the bytes
//! again): each side's features and Ceph release from its CLIENT_IDENT or
//! SERVER_IDENT ([`release`]); each message's encoding version against
//! what the receiving side's release decodes ([`versions`]); requests
//! paired with their replies ([`pairing`]), the ones still waiting when
//! the connection closes (or the capture ends past a grace period)
//! reported as `request_unanswered`, replies to nothing as
//! `reply_unrequested`; op codes and flag bits no release defines as
//! notes ([`values`]).

pub mod pairing;
pub mod release;
pub mod results;
pub mod values;
pub mod versions;
mod versions_table;

use super::record::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::decode::control::Control;
use crate::decode::MsgType;
use crate::fields;
use crate::model::{FieldNode, Value};
use crate::msgr2::frame::{CheckKind, CheckStatus};
use crate::msgr2::{Problem, ProblemKind, Tag};
use crate::tcp::Direction;
pub use release::Release;
use std::collections::{HashMap, VecDeque};

fields! {
    PEER_RELEASE = "ceph.peer.release", "Sender's release", Str, "The Ceph release of the row's sender, inferred from the SERVER_* feature bits of its CLIENT_IDENT or SERVER_IDENT (jewel ... tentacle).";
    PEER_FEATURES = "ceph.peer.features", "Sender's features", Hex, "CEPH_FEATURE_* bits the row's sender advertised in its CLIENT_IDENT or SERVER_IDENT.";
    RECEIVER_RELEASE = "ceph.peer.receiver_release", "Receiver's release", Str, "The Ceph release of the row's receiver, inferred likewise.";
    REQUEST_FRAME = "ceph.request.frame", "Request frame", Uint, "For a reply: the row number of the request it answers.";
    REQUEST_WAIT = "ceph.request.wait", "Reply time (ns)", Uint, "For a reply: nanoseconds since its request.";
}

/// Requests remembered per connection while waiting for their replies;
/// past this the oldest is forgotten (and counted).
pub const MAX_PENDING: usize = 1 << 16;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InteropConfig {
    /// A request still waiting when the capture ends is reported only once
    /// it has waited this long (nanoseconds); one whose connection closed
    /// is always reported.
    pub grace_ns: u64,
}

/// Default grace period: 5 s.
pub const DEFAULT_GRACE_NS: u64 = 5_000_000_000;

impl Default for InteropConfig {
    fn default() -> Self {
        InteropConfig {
            grace_ns: DEFAULT_GRACE_NS,
        }
    }
}

/// What interop tracking adds to a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InteropNote {
    /// The sender's features and release, once its ident frame was seen.
    pub sender: Option<(u64, Option<Release>)>,
    /// The receiver's, likewise.
    pub receiver: Option<(u64, Option<Release>)>,
    /// For a reply: the request's row and the time since it (ns).
    pub request: Option<(u64, u64)>,
}

impl InteropNote {
    /// The note's generated fields.
    pub fn nodes(&self) -> Vec<FieldNode> {
        let mut k = Vec::new();
        if let Some((f, r)) = self.sender {
            if let Some(r) = r {
                k.push(FieldNode::new(
                    &PEER_RELEASE,
                    Value::Str(r.name().into()),
                    None,
                ));
            }
            k.push(FieldNode::new(&PEER_FEATURES, Value::Uint(f), None));
        }
        if let Some((_, Some(r))) = self.receiver {
            k.push(FieldNode::new(
                &RECEIVER_RELEASE,
                Value::Str(r.name().into()),
                None,
            ));
        }
        if let Some((row, ns)) = self.request {
            k.push(FieldNode::new(&REQUEST_FRAME, Value::Uint(row), None));
            k.push(FieldNode::new(&REQUEST_WAIT, Value::Uint(ns), None));
        }
        k
    }
}

/// A request waiting for its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its row.
    pub row: u64,
    /// Its direction.
    pub dir: Direction,
    /// When it was sent.
    pub ts: Timestamp,
    /// Its frame's stream offset and length on the wire.
    pub offset: u64,
    /// Length.
    pub len: u64,
    /// The packet that carried its first byte.
    pub packet: PacketIndex,
    /// Its message type.
    pub msg_type: u16,
    /// Its tid.
    pub tid: u64,
}

/// Interop state of one connection.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Supported features per direction's sender.
    features: [Option<u64>; 2],
    /// Waiting requests by (direction, reply type, key), in arrival order.
    pending: HashMap<(usize, u16, u64), VecDeque<Pending>>,
    waiting: usize,
    /// Replies seen before any request (a capture may reorder packets
    /// across directions): a request arriving later is answered already.
    early: HashMap<(usize, u16, u64), u32>,
    /// The capture began inside the connection: replies to requests before
    /// it are not remarkable.
    mid_stream: bool,
    /// Requests forgotten because [`MAX_PENDING`] were waiting.
    pub overflow: u64,
}

fn ns(t: Timestamp) -> i128 {
    i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos)
}

/// Nanoseconds from `a` to `b` (0 when `b` is earlier).
pub fn elapsed(a: Timestamp, b: Timestamp) -> u64 {
    u64::try_from(ns(b) - ns(a)).unwrap_or(0)
}

impl Tracker {
    /// State for a connection (`mid_stream`: its handshake was not captured).
    pub fn new(mid_stream: bool) -> Self {
        Tracker {
            mid_stream,
            ..Default::default()
        }
    }

    /// The release of the side sending in `dir`, once known.
    pub fn release(&self, dir: Direction) -> Option<Release> {
        self.features
            .get(dir.index())
            .copied()
            .flatten()
            .and_then(Release::from_features)
    }

    /// Supported features per direction's sender, once known.
    pub fn features(&self) -> [Option<u64>; 2] {
        self.features
    }

    /// Take the features of the session this connection resumes (a
    /// SESSION_RECONNECT carries no ident), where not known already.
    pub fn adopt(&mut self, features: [Option<u64>; 2]) {
        for (x, f) in self.features.iter_mut().zip(features) {
            if x.is_none() {
                *x = f;
            }
        }
    }

    fn side(&self, dir: Direction) -> Option<(u64, Option<Release>)> {
        let f = self.features.get(dir.index()).copied().flatten()?;
        Some((f, Release::from_features(f)))
    }

    /// Look at a row of this connection; add its note and problems.
    pub fn observe(&mut self, r: &mut Record) {
        let RecordKind::Frame(f) = &r.kind else {
            return;
        };
        // An aborted frame never reached its receiver (frames_v2.h late
        // status); one with other framing problems still pairs (its reply
        // shows it was received) but gives no features and no verdicts.
        // A conformance finding (an ident out of order) damages nothing:
        // its features are still the sender's.
        if f.aborted() {
            return;
        }
        let judged = !f.problems.iter().any(crate::analysis::conformance::damages);
        let i = r.dir.index();
        match r.control().filter(|_| judged) {
            Some(Control::ClientIdent(c)) => {
                if let Some(x) = self.features.get_mut(i) {
                    *x = Some(c.supported_features.v);
                }
            }
            Some(Control::ServerIdent(s)) => {
                if let Some(x) = self.features.get_mut(i) {
                    *x = Some(s.supported_features.v);
                }
            }
            _ => {}
        }
        let mut note = InteropNote {
            sender: self.side(r.dir),
            receiver: self.side(r.dir.reverse()),
            request: None,
        };
        let mut problems = Vec::new();
        if f.tag() == Tag::Message {
            if let Some(h) = r.msg {
                let seg0 = f.segment_offsets[0];
                if judged {
                    problems.extend(versions::verdict(&h, note.receiver, seg0));
                    if let Some(p) = r.payload.as_deref() {
                        problems.extend(values::unknown(h.msg_type, p, f));
                    }
                }
                // The tid is read from segment 0: pair only when what
                // covers it verified (a damaged header's tid is not the
                // one sent, and would wait forever for its reply).
                let header_ok = f
                    .checks
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.kind,
                            CheckKind::Preamble | CheckKind::Segment(0) | CheckKind::GcmTag(0)
                        )
                    })
                    .all(|c| c.status == CheckStatus::Good);
                if header_ok {
                    self.pair(r, &h, seg0, &mut note, &mut problems);
                }
            }
        }
        if let RecordKind::Frame(f) = &mut r.kind {
            f.problems.extend(problems);
        }
        if note != InteropNote::default() {
            r.interop = Some(note);
        }
    }

    fn pair(
        &mut self,
        r: &Record,
        h: &crate::decode::Header2,
        seg0: u64,
        note: &mut InteropNote,
        problems: &mut Vec<Problem>,
    ) {
        let payload = r.payload.as_deref();
        // A request whose bytes did not all cross (the capture lost or cut
        // them) may never have reached its receiver.
        let whole = r.frame().is_some_and(|f| {
            !f.problems
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::Truncated | ProblemKind::Incomplete))
        });
        if let Some(pair) = pairing::as_request(h.msg_type).filter(|_| whole) {
            let Some(key) = pairing::key(pair, h.tid, payload, false) else {
                return;
            };
            let k = (r.dir.index(), pair.reply, key);
            if let Some(n) = self.early.get_mut(&k) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.early.remove(&k);
                }
                return;
            }
            if self.waiting >= MAX_PENDING {
                self.overflow += 1;
                return;
            }
            let (offset, len) = r.range();
            self.waiting += 1;
            self.pending
                .entry((r.dir.index(), pair.reply, key))
                .or_default()
                .push_back(Pending {
                    row: r.number,
                    dir: r.dir,
                    ts: r.ts,
                    offset,
                    len,
                    packet: r.packets.first().copied().unwrap_or_default(),
                    msg_type: h.msg_type,
                    tid: h.tid,
                });
        } else if let Some(pair) = pairing::as_reply(h.msg_type) {
            let Some(key) = pairing::key(pair, h.tid, payload, true) else {
                return;
            };
            let k = (r.dir.reverse().index(), pair.reply, key);
            let found = self.pending.get_mut(&k).and_then(VecDeque::pop_front);
            if self.pending.get(&k).is_some_and(VecDeque::is_empty) {
                self.pending.remove(&k);
            }
            if found.is_none() && !self.mid_stream && self.early.len() < MAX_PENDING {
                *self.early.entry(k).or_default() += 1;
            }
            match found {
                Some(req) => {
                    self.waiting = self.waiting.saturating_sub(1);
                    note.request = Some((req.row, elapsed(req.ts, r.ts)));
                }
                // Only in a session whose start the capture holds (both
                // idents seen): before them no message was sent.
                None if !self.mid_stream && self.features.iter().all(Option::is_some) => {
                    let req = MsgType(pair.request).display_name();
                    let (field, at) = match pair.by {
                        pairing::By::Tid => ("ceph.msg.tid", seg0.saturating_add(8)),
                        _ => ("ceph.msg.type", seg0.saturating_add(16)),
                    };
                    let len = if field == "ceph.msg.tid" { 8 } else { 2 };
                    problems.push(
                        Problem::new(ProblemKind::ReplyUnrequested, at, len, field).values(
                            format!("a {req} with this key sent earlier on the connection"),
                            format!("none waiting (key {key})"),
                        ),
                    );
                }
                None => {}
            }
        }
    }

    /// The requests still waiting when the connection closes (`closed`)
    /// or the capture ends at `now`: all of them when it closed, those
    /// that waited at least the grace period otherwise. Each with how
    /// long it waited.
    pub fn unanswered(
        &mut self,
        now: Timestamp,
        closed: bool,
        cfg: &InteropConfig,
    ) -> Vec<(Pending, u64)> {
        let mut out: Vec<(Pending, u64)> = self
            .pending
            .drain()
            .flat_map(|(_, v)| v)
            .map(|p| {
                let waited = elapsed(p.ts, now);
                (p, waited)
            })
            .filter(|(_, w)| closed || *w >= cfg.grace_ns)
            .collect();
        self.waiting = 0;
        out.sort_by_key(|(p, _)| p.row);
        out
    }
}

/// The problem of an unanswered request.
pub fn unanswered_problem(p: &Pending, waited_ns: u64, closed: bool) -> Problem {
    let ty = MsgType(p.msg_type);
    let reply = pairing::as_request(p.msg_type).map_or_else(
        || "its reply".to_string(),
        |x| MsgType(x.reply).display_name(),
    );
    let end = if closed {
        "the connection closed"
    } else {
        "the capture ended"
    };
    Problem::new(
        ProblemKind::RequestUnanswered,
        p.offset,
        p.len,
        "ceph.msg.tid",
    )
    .values(
        format!("a {reply} with tid {}", p.tid),
        format!(
            "{} tid {} (frame {}) unanswered after {:.3} s: {end}",
            ty.display_name(),
            p.tid,
            p.row,
            waited_ns as f64 / 1e9
        ),
    )
}
