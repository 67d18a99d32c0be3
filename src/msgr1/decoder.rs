//! The streaming msgr1 decoder of one TCP connection (ProtocolV1.cc).
//!
//! ```text
//! server -> client: banner(9) | server addr(136) | client addr as seen(136)
//!                   | connect_reply(26) + authorizer reply ... [| seq(8) after SEQ]
//!                   | tag items ...
//! client -> server: banner(9) | client addr(136)
//!                   | connect(33) + authorizer ... [| in_seq(8) after SEQ]
//!                   | tag items ...
//! tag items: MSG(7) header(53) front middle data footer(21 or 13) | ACK(8) le64
//!            | KEEPALIVE(9) | KEEPALIVE2(14)/_ACK(15) ceph_timespec(8) | CLOSE(6)
//! ```
//!
//! The client sends another connect after each reply that is not READY or
//! SEQ, so the client's direction waits for the server's reply before its
//! next bytes are read. The footer has its `sig` field when both sides'
//! features include CEPH_FEATURE_MSG_AUTH (ProtocolV1.cc `write_message`,
//! `read_message_footer`). Every length is checked against a cap before
//! bytes are buffered for it. After lost bytes in an open session the
//! decoder hunts for the next MSG tag whose header CRC matches.

use super::addr::{self, LegacyAddr};
use super::banner;
use super::connect::{self, Connect, ConnectReply};
pub use super::item::Event1;
use super::item::{Body, Item};
use super::msg;
use super::tag::Tag1;
use crate::msgr2::{Problem, ProblemKind};
use crate::tcp::Direction;
use bytes::BytesMut;

/// CEPH_FEATURE_MSG_AUTH (ceph_features.h bit 23): footers carry `sig`.
pub const FEATURE_MSG_AUTH: u64 = 1 << 23;
/// Largest authorizer accepted (a cephx authorizer is a few hundred bytes).
pub const MAX_AUTHORIZER_LEN: u32 = 1 << 16;
/// Replies kept for connects not yet read.
const MAX_QUEUED_REPLIES: usize = 16;
/// Bytes searched for a MSG after lost bytes before giving up.
pub const MAX_HUNT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Banner,
    Addrs,
    Connect,
    AwaitReply,
    Reply,
    SeqExchange,
    Open,
    Hunt { since: u64 },
    Ignore,
}

#[derive(Debug)]
struct Dir {
    buf: BytesMut,
    base: u64,
    phase: Phase,
}

impl Dir {
    fn consume(&mut self, n: usize) -> bytes::Bytes {
        let n = n.min(self.buf.len());
        self.base += n as u64;
        self.buf.split_to(n).freeze()
    }
}

/// Decoder for both directions of one msgr1 connection.
#[derive(Debug)]
pub struct Msgr1Decoder {
    max_part_len: u32,
    dirs: [Dir; 2],
    /// Client's connect features, server's reply features.
    features: [Option<u64>; 2],
    /// What the server's replies told the client to do next, for connects
    /// not yet read (a capture may deliver a reply before its connect).
    replies: std::collections::VecDeque<Phase>,
    /// Per direction: joined mid-stream, its first MSG not yet found.
    mid: [bool; 2],
    /// Per direction: its first bytes were seen (mid-stream origin set).
    started: [bool; 2],
    finishing: bool,
}

type Out = Vec<(Direction, Event1)>;

enum Step {
    Wait,
    Progress,
}

impl Msgr1Decoder {
    /// A decoder refusing front, middle or data longer than `max_part_len`.
    pub fn new(max_part_len: u32) -> Self {
        let dir = || Dir {
            buf: BytesMut::new(),
            base: 0,
            phase: Phase::Banner,
        };
        Msgr1Decoder {
            max_part_len,
            dirs: [dir(), dir()],
            features: [None, None],
            replies: Default::default(),
            mid: [false; 2],
            started: [true; 2],
            finishing: false,
        }
    }

    /// A decoder for a connection captured mid-stream: each direction
    /// starts at its first bytes seen and hunts for a MSG whose header CRC
    /// matches; what precedes it is a mid-stream note.
    pub fn mid_stream(max_part_len: u32) -> Self {
        let mut d = Msgr1Decoder::new(max_part_len);
        for st in &mut d.dirs {
            st.phase = Phase::Hunt { since: 0 };
        }
        d.mid = [true; 2];
        d.started = [false; 2];
        d
    }

    /// Heap bytes buffered.
    pub fn memory(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.buf.capacity())
            .fold(0, usize::saturating_add)
    }

    /// The first byte of `dir` not yet decoded and how many are buffered.
    pub fn pending(&self, dir: Direction) -> (u64, u64) {
        self.dirs
            .get(dir.index())
            .map_or((0, 0), |d| (d.base, d.buf.len() as u64))
    }

    /// Whether footers carry `sig`: both sides have MSG_AUTH (unknown: yes,
    /// as every release since 0.94 has it).
    fn signed_footer(&self) -> bool {
        self.features
            .iter()
            .all(|f| f.is_none_or(|f| f & FEATURE_MSG_AUTH != 0))
    }

    /// Feed in-order bytes of `dir` starting at stream `offset`.
    pub fn feed(&mut self, dir: Direction, offset: u64, data: &[u8], out: &mut Out) {
        if let Some(s) = self.started.get_mut(dir.index()) {
            if !*s {
                // Mid-stream: the first bytes seen set the origin.
                *s = true;
                if let Some(st) = self.dirs.get_mut(dir.index()) {
                    st.base = offset;
                    st.phase = Phase::Hunt { since: offset };
                }
            }
        }
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let end = st.base + st.buf.len() as u64;
        if offset > end {
            self.gap(dir, end, offset - end, out);
        }
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let end = st.base + st.buf.len() as u64;
        let skip = usize::try_from(end.saturating_sub(offset)).unwrap_or(usize::MAX);
        if let Some(fresh) = data.get(skip..) {
            if st.phase == Phase::Ignore {
                st.base += fresh.len() as u64;
            } else {
                st.buf.extend_from_slice(fresh);
            }
        }
        self.pump(dir, out);
    }

    /// Bytes `[offset, offset+len)` of `dir` were lost by the capture.
    pub fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Out) {
        self.pump(dir, out);
        self.flush_partial(dir, ProblemKind::Incomplete, out);
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        if st.phase != Phase::Ignore {
            out.push((dir, Event1::Lost { offset, len }));
        }
        st.buf.clear();
        st.base = offset + len;
        st.phase = match st.phase {
            Phase::Open | Phase::Hunt { .. } => Phase::Hunt { since: st.base },
            _ => Phase::Ignore,
        };
    }

    /// End of both streams: decode what can be, flag what is left.
    pub fn finish(&mut self, out: &mut Out) {
        self.finishing = true;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            self.pump(dir, out);
            self.flush_partial(dir, ProblemKind::Truncated, out);
        }
    }

    /// What is buffered of an unfinished item becomes a flagged row.
    fn flush_partial(&mut self, dir: Direction, kind: ProblemKind, out: &mut Out) {
        let signed = self.signed_footer();
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        if st.buf.is_empty() || st.phase == Phase::Ignore {
            return;
        }
        let (offset, len) = (st.base, st.buf.len() as u64);
        let partial = (st.phase == Phase::Open && st.buf.first() == Some(&Tag1::Msg.raw()))
            .then(|| msg::partial(&st.buf, offset, signed))
            .flatten();
        let bytes = st.consume(st.buf.len());
        let problem = Problem::new(kind, offset, len, "msgr1")
            .values("the rest of the item", format!("{len} bytes"));
        match partial {
            Some(mut it) => {
                it.data = bytes;
                it.problems.push(problem);
                out.push((dir, Event1::Item(Box::new(it))));
            }
            None => out.push((dir, Event1::Undecoded(problem))),
        }
    }

    fn pump(&mut self, dir: Direction, out: &mut Out) {
        for _ in 0..1_000_000 {
            let phase = match self.dirs.get(dir.index()) {
                Some(st) => st.phase,
                None => return,
            };
            let step = match phase {
                Phase::Banner => self.step_banner(dir, out),
                Phase::Addrs => self.step_addrs(dir, out),
                Phase::Connect => self.step_connect(dir, out),
                Phase::Reply => self.step_reply(dir, out),
                Phase::SeqExchange => self.step_seq(dir, out),
                Phase::Open => self.step_open(dir, out),
                Phase::Hunt { since } => self.step_hunt(dir, since, out),
                Phase::AwaitReply => Step::Wait,
                Phase::Ignore => {
                    if let Some(st) = self.dirs.get_mut(dir.index()) {
                        let n = st.buf.len();
                        st.consume(n);
                    }
                    Step::Wait
                }
            };
            if matches!(step, Step::Wait) {
                return;
            }
        }
    }

    fn set_phase(&mut self, dir: Direction, phase: Phase) {
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            st.phase = phase;
        }
    }

    /// Emit the first `n` buffered bytes as an item.
    fn emit(&mut self, dir: Direction, n: usize, body: Body, out: &mut Out) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let offset = st.base;
        let data = st.consume(n);
        out.push((
            dir,
            Event1::Item(Box::new(Item {
                offset,
                data,
                body,
                checks: Vec::new(),
                problems: Vec::new(),
            })),
        ));
    }

    /// A problem that ends decoding of `dir`: its buffered bytes are
    /// reported undecoded.
    fn give_up(&mut self, dir: Direction, problem: Problem, out: &mut Out) {
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            let n = st.buf.len();
            st.consume(n);
            st.phase = Phase::Ignore;
        }
        out.push((dir, Event1::Undecoded(problem)));
    }

    fn step_banner(&mut self, dir: Direction, out: &mut Out) -> Step {
        let Some(st) = self.dirs.get(dir.index()) else {
            return Step::Wait;
        };
        match banner::classify(&st.buf) {
            banner::Kind::Incomplete => Step::Wait,
            banner::Kind::Msgr1 => {
                self.emit(dir, banner::LEN, Body::Banner, out);
                self.set_phase(dir, Phase::Addrs);
                Step::Progress
            }
            other => {
                let base = st.base;
                let p = banner::problem(other, base, &st.buf);
                self.give_up(dir, p, out);
                Step::Progress
            }
        }
    }

    fn step_addrs(&mut self, dir: Direction, out: &mut Out) -> Step {
        let Some(st) = self.dirs.get(dir.index()) else {
            return Step::Wait;
        };
        let server = dir == Direction::ServerToClient;
        let n = if server { 2 * addr::LEN } else { addr::LEN };
        let Some(b) = st.buf.get(..n) else {
            return Step::Wait;
        };
        let first = LegacyAddr::parse(b).map(|(rest, a)| (a, rest));
        let body = match first {
            Ok((a, rest)) if server => match LegacyAddr::parse(rest) {
                Ok((_, peer)) => Body::ServerAddrs { server: a, peer },
                Err(_) => return Step::Wait,
            },
            Ok((a, _)) => Body::ClientAddr(a),
            Err(_) => return Step::Wait,
        };
        self.emit(dir, n, body, out);
        self.set_phase(dir, if server { Phase::Reply } else { Phase::Connect });
        Step::Progress
    }

    /// Fixed part of `fixed` bytes whose authorizer length sits at `len_at`.
    fn authorized(
        &mut self,
        dir: Direction,
        fixed: usize,
        len_at: std::ops::Range<usize>,
        out: &mut Out,
    ) -> Option<usize> {
        let st = self.dirs.get(dir.index())?;
        let b = st.buf.get(len_at.clone())?;
        let alen = u32::from_le_bytes(<[u8; 4]>::try_from(b).ok()?);
        if alen > MAX_AUTHORIZER_LEN {
            let base = st.base;
            let p = Problem::new(
                ProblemKind::Msgr1LengthTooLong,
                base + len_at.start as u64,
                4,
                "msgr1.authorizer_len",
            )
            .values(format!("at most {MAX_AUTHORIZER_LEN}"), alen.to_string());
            self.give_up(dir, p, out);
            return None;
        }
        let total = fixed.checked_add(usize::try_from(alen).ok()?)?;
        (st.buf.len() >= total).then_some(total)
    }

    fn step_connect(&mut self, dir: Direction, out: &mut Out) -> Step {
        let Some(total) =
            self.authorized(dir, connect::CONNECT_LEN, connect::CONNECT_AUTH_LEN, out)
        else {
            return self.after_give_up(dir);
        };
        let Some(st) = self.dirs.get(dir.index()) else {
            return Step::Wait;
        };
        let Ok((_, c)) = Connect::parse(st.buf.get(..connect::CONNECT_LEN).unwrap_or(&[])) else {
            return Step::Wait;
        };
        self.features[0] = Some(c.features);
        let authorizer = st.buf.get(connect::CONNECT_LEN..total).and_then(|b| {
            connect::cephx_authorizer(c.authorizer_protocol, b, connect::CONNECT_LEN)
        });
        self.emit(
            dir,
            total,
            Body::Connect(c, connect::CONNECT_LEN..total, authorizer),
            out,
        );
        let next = self.replies.pop_front().unwrap_or(Phase::AwaitReply);
        self.set_phase(dir, next);
        Step::Progress
    }

    /// After [`Msgr1Decoder::authorized`] returned nothing: progress if it
    /// gave up (the phase changed), else wait.
    fn after_give_up(&self, dir: Direction) -> Step {
        match self.dirs.get(dir.index()).map(|d| d.phase) {
            Some(Phase::Ignore) => Step::Progress,
            _ => Step::Wait,
        }
    }

    fn step_reply(&mut self, dir: Direction, out: &mut Out) -> Step {
        let Some(total) = self.authorized(dir, connect::REPLY_LEN, connect::REPLY_AUTH_LEN, out)
        else {
            return self.after_give_up(dir);
        };
        let Some(st) = self.dirs.get(dir.index()) else {
            return Step::Wait;
        };
        let Ok((_, r)) = ConnectReply::parse(st.buf.get(..connect::REPLY_LEN).unwrap_or(&[]))
        else {
            return Step::Wait;
        };
        let base = st.base;
        if let Tag1::Unknown(t) = r.tag {
            let p = Problem::new(ProblemKind::Msgr1TagBad, base, 1, "msgr1.connect_reply.tag")
                .values("a connect reply tag (msgr.h)", t.to_string());
            self.give_up(dir, p, out);
            self.set_phase(Direction::ClientToServer, Phase::Ignore);
            return Step::Progress;
        }
        self.features[1] = Some(r.features);
        self.emit(
            dir,
            total,
            Body::ConnectReply(r, connect::REPLY_LEN..total),
            out,
        );
        // ProtocolV1.cc handle_connect_reply_2: READY opens the session,
        // SEQ first exchanges seqs; any other reply brings a new connect.
        let (server, client) = match r.tag {
            Tag1::Ready => (Phase::Open, Phase::Open),
            Tag1::Seq => (Phase::SeqExchange, Phase::SeqExchange),
            _ => (Phase::Reply, Phase::Connect),
        };
        self.set_phase(dir, server);
        let c2s = Direction::ClientToServer;
        if self.dirs.get(c2s.index()).map(|d| d.phase) == Some(Phase::AwaitReply) {
            self.set_phase(c2s, client);
            self.pump(c2s, out);
        } else if self.replies.len() < MAX_QUEUED_REPLIES {
            self.replies.push_back(client);
        }
        Step::Progress
    }

    fn step_seq(&mut self, dir: Direction, out: &mut Out) -> Step {
        let Some(b) = self.dirs.get(dir.index()).and_then(|d| d.buf.get(..8)) else {
            return Step::Wait;
        };
        let seq = u64::from_le_bytes(<[u8; 8]>::try_from(b).unwrap_or_default());
        self.emit(dir, 8, Body::SeqExchange(seq), out);
        self.set_phase(dir, Phase::Open);
        Step::Progress
    }

    fn step_open(&mut self, dir: Direction, out: &mut Out) -> Step {
        let signed = self.signed_footer();
        let max = self.max_part_len;
        let Some(st) = self.dirs.get(dir.index()) else {
            return Step::Wait;
        };
        let Some(&t) = st.buf.first() else {
            return Step::Wait;
        };
        let base = st.base;
        let fixed = |n: usize, body: fn(&[u8]) -> Body| -> Option<(usize, Body)> {
            let b = st.buf.get(1..1 + n)?;
            Some((1 + n, body(b)))
        };
        let le32 = |b: &[u8]| u32::from_le_bytes(<[u8; 4]>::try_from(b).unwrap_or_default());
        let got = match Tag1::from(t) {
            Tag1::Msg => {
                return match msg::step(&st.buf, base, signed, max) {
                    msg::Step::Wait(n) => {
                        if let Some(st) = self.dirs.get_mut(dir.index()) {
                            st.buf.reserve(n.min(16 << 20));
                        }
                        Step::Wait
                    }
                    msg::Step::Item(it, n) => {
                        if let Some(st) = self.dirs.get_mut(dir.index()) {
                            let mut it = *it;
                            it.data = st.consume(n);
                            out.push((dir, Event1::Item(Box::new(it))));
                        }
                        Step::Progress
                    }
                    msg::Step::Bad(p) => {
                        self.set_phase(dir, Phase::Hunt { since: base });
                        out.push((dir, Event1::Undecoded(p)));
                        if let Some(st) = self.dirs.get_mut(dir.index()) {
                            // The tag byte is not a MSG after all: hunt past it.
                            st.consume(1);
                        }
                        Step::Progress
                    }
                };
            }
            Tag1::Ack => fixed(8, |b| {
                Body::Ack(u64::from_le_bytes(
                    <[u8; 8]>::try_from(b).unwrap_or_default(),
                ))
            }),
            Tag1::Keepalive => Some((1, Body::Keepalive)),
            Tag1::Close => Some((1, Body::Close)),
            tag @ (Tag1::Keepalive2 | Tag1::Keepalive2Ack) => st.buf.get(1..9).map(|b| {
                (
                    9,
                    Body::Keepalive2 {
                        ack: tag == Tag1::Keepalive2Ack,
                        sec: le32(b.get(..4).unwrap_or_default()),
                        nsec: le32(b.get(4..).unwrap_or_default()),
                    },
                )
            }),
            other => {
                let p = Problem::new(ProblemKind::Msgr1TagBad, base, 1, "msgr1.tag").values(
                    "MSG, ACK, KEEPALIVE, KEEPALIVE2(_ACK) or CLOSE",
                    other.to_string(),
                );
                self.give_up(dir, p, out);
                return Step::Progress;
            }
        };
        match got {
            Some((n, body)) => {
                self.emit(dir, n, body, out);
                Step::Progress
            }
            None => Step::Wait,
        }
    }

    fn step_hunt(&mut self, dir: Direction, since: u64, out: &mut Out) -> Step {
        // Bytes before a mid-stream direction's first MSG are a note; after
        // lost bytes they are undecoded.
        let mid = self.mid.get(dir.index()).copied().unwrap_or(false);
        let kind = if mid {
            ProblemKind::MidStream
        } else {
            ProblemKind::Undecoded
        };
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return Step::Wait;
        };
        match msg::find(&st.buf, self.finishing) {
            msg::Found::At(at) => {
                st.consume(at);
                st.phase = Phase::Open;
                if let Some(m) = self.mid.get_mut(dir.index()) {
                    *m = false;
                }
                let skipped = st.base.saturating_sub(since);
                if skipped > 0 {
                    let p = Problem::new(kind, since, skipped, "msgr1").values(
                        "a MSG whose header CRC matches",
                        format!("{skipped} bytes skipped"),
                    );
                    out.push((dir, Event1::Undecoded(p)));
                }
                Step::Progress
            }
            msg::Found::NotBefore(at) => {
                st.consume(at);
                if st.base.saturating_sub(since) > MAX_HUNT as u64 {
                    let skipped = st.base.saturating_sub(since);
                    let p = Problem::new(kind, since, skipped, "msgr1")
                        .values("a MSG whose header CRC matches", "none found");
                    st.phase = Phase::Ignore;
                    out.push((dir, Event1::Undecoded(p)));
                    return Step::Progress;
                }
                Step::Wait
            }
        }
    }
}

impl Default for Msgr1Decoder {
    fn default() -> Self {
        Msgr1Decoder::new(crate::msgr2::DecoderConfig::default().max_segment_len)
    }
}
