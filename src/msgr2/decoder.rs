//! The streaming msgr2 decoder of one TCP connection.
//!
//! [`ConnDecoder::feed`] takes each direction's in-order bytes as the TCP
//! layer delivers them and emits [`Event`]s: banners, frames, lost bytes
//! and undecodable stretches. It buffers at most one frame per direction
//! (bounded by [`DecoderConfig::max_segment_len`]) and never trusts a length
//! before the preamble CRC has matched.
//!
//! Resynchronisation: after a gap, a bad preamble CRC or an impossible
//! preamble, the decoder hunts byte by byte for the next offset where 32
//! bytes form a preamble whose CRC matches and whose fields are plausible,
//! reports everything skipped as one undecoded stretch, and goes on.
//!
//! Revision: a direction uses msgr2.1 framing iff both banners advertise
//! CEPH_MSGR2_FEATURE_REVISION_1 (ProtocolV2.cc `_handle_peer_banner_payload`).
//! Without both banners (capture started mid-connection) the revision is
//! probed from the first frame's segment CRCs.
//!
//! Mode: every connection starts in crc mode; the server's AUTH_DONE carries
//! the negotiated mode and everything after it, in both directions, uses it
//! (FACTS.md "Secure mode").

use super::banner::{self, Banner, BannerParse};
use super::frame::{self, crc_layout, CheckKind, CheckStatus, Frame, Mode, Rev};
use super::preamble::{self, Preamble, PreambleProblem};
use super::problem::{Problem, ProblemKind};
use super::secure::{SecureDir, SecureStep};
use super::Tag;
use crate::tcp::Direction;
use bytes::BytesMut;

/// Limits of the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest segment accepted; a larger one is flagged and skipped, never
    /// buffered. The kernel client caps data segments at 64 MiB
    /// (libceph.h CEPH_MSG_MAX_DATA_LEN).
    pub max_segment_len: u32,
    /// Bytes searched for a first frame on a connection whose banner was not
    /// captured before it is declared not msgr2.
    pub hunt_limit_without_banner: u64,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_segment_len: 128 << 20,
            hunt_limit_without_banner: 1 << 20,
        }
    }
}

/// CEPH_CON_MODE_SECURE (ceph_fs.h).
pub const CON_MODE_SECURE: u32 = 2;

/// What the decoder found, in stream order per direction.
#[derive(Debug, Clone)]
pub enum Event {
    /// A banner.
    Banner(Banner),
    /// A frame (possibly flagged, aborted or incomplete).
    Frame(Box<Frame>),
    /// Bytes `[offset, offset+len)` were never captured.
    Lost {
        /// First missing byte.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// Bytes that could not be decoded as frames, with the reason.
    Undecoded(Problem),
    /// The direction is not msgr2 (no banner; nothing that looks like frames).
    NotMsgr2 {
        /// Where decoding gave up.
        offset: u64,
        /// Why.
        reason: &'static str,
    },
}

impl Event {
    /// Stream range `(offset, len)` the event covers.
    pub fn range(&self) -> (u64, u64) {
        match self {
            Event::Banner(b) => (b.offset, b.wire_len()),
            Event::Frame(f) => (f.offset, f.wire_len),
            Event::Lost { offset, len } => (*offset, *len),
            Event::Undecoded(p) => (p.offset, p.len),
            Event::NotMsgr2 { offset, .. } => (*offset, 0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Banner,
    Frames,
    /// Looking for a preamble; `since` is where the skipped stretch began.
    Hunt {
        since: u64,
        problem: Option<Problem>,
        skip_first: bool,
    },
    Secure,
    Ignore,
}

#[derive(Debug)]
struct DirState {
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    base: u64,
    phase: Phase,
    mode: Mode,
    frames: u64,
    secure: SecureDir,
    /// AUTH_DONE(secure) was seen; this (client) direction switches after
    /// its last crc-mode auth frame.
    pending_secure: bool,
}

impl DirState {
    fn new() -> Self {
        DirState {
            buf: BytesMut::new(),
            base: 0,
            phase: Phase::Banner,
            mode: Mode::Crc,
            frames: 0,
            secure: SecureDir::default(),
            pending_secure: false,
        }
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    fn consume(&mut self, n: usize) -> bytes::Bytes {
        let n = n.min(self.buf.len());
        self.base += n as u64;
        self.buf.split_to(n).freeze()
    }
}

/// Decoder for both directions of one connection.
#[derive(Debug)]
pub struct ConnDecoder {
    cfg: DecoderConfig,
    dirs: [DirState; 2],
    banners: [Option<Banner>; 2],
    rev: Option<Rev>,
    /// Whether the TCP handshake was captured (the streams start at offset 0).
    handshake_seen: bool,
    finishing: bool,
}

impl ConnDecoder {
    /// A decoder for a connection; `handshake_seen` says whether its streams
    /// start at the first byte (else the banner is not expected).
    pub fn new(cfg: DecoderConfig, handshake_seen: bool) -> Self {
        let mut d = ConnDecoder {
            cfg,
            dirs: [DirState::new(), DirState::new()],
            banners: [None, None],
            rev: None,
            handshake_seen,
            finishing: false,
        };
        // Without the handshake a direction may still begin with its
        // banner; step_banner falls back to hunting for frames if not.
        let _ = &mut d;
        d
    }

    /// The framing revision, once known.
    pub fn rev(&self) -> Option<Rev> {
        self.rev
    }

    /// A direction's banner, if seen.
    pub fn banner(&self, dir: Direction) -> Option<&Banner> {
        self.banners.get(dir.index()).and_then(|b| b.as_ref())
    }

    /// A direction's current connection mode.
    pub fn mode(&self, dir: Direction) -> Mode {
        self.dirs.get(dir.index()).map_or(Mode::Crc, |d| d.mode)
    }

    /// Give the secure-mode state of a direction its key material.
    pub fn secure_mut(&mut self, dir: Direction) -> Option<&mut SecureDir> {
        self.dirs.get_mut(dir.index()).map(|d| &mut d.secure)
    }

    /// Feed in-order bytes of `dir` starting at stream `offset`.
    pub fn feed(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        out: &mut Vec<(Direction, Event)>,
    ) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let end = st.end();
        if st.buf.is_empty()
            && st.base < offset
            && matches!(st.phase, Phase::Hunt { .. } | Phase::Banner)
            && st.frames == 0
            && !self.handshake_seen
        {
            // Mid-stream start: the first bytes seen set the origin.
            if let Phase::Hunt { since, .. } = &mut st.phase {
                *since = offset;
            }
            st.base = offset;
        } else if offset > end {
            self.gap(dir, end, offset - end, out);
        }
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let end = st.end();
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
    pub fn gap(
        &mut self,
        dir: Direction,
        offset: u64,
        len: u64,
        out: &mut Vec<(Direction, Event)>,
    ) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        if st.phase == Phase::Ignore {
            st.base = offset + len;
            return;
        }
        self.flush_partial(dir, ProblemKind::Incomplete, out);
        out.push((dir, Event::Lost { offset, len }));
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        st.buf.clear();
        st.base = offset + len;
        st.phase = match st.phase {
            Phase::Secure => {
                st.secure.lost_sync(offset);
                Phase::Secure
            }
            _ => Phase::Hunt {
                since: st.base,
                problem: None,
                skip_first: false,
            },
        };
    }

    /// End of both streams: decode what can be, flag what is left.
    pub fn finish(&mut self, out: &mut Vec<(Direction, Event)>) {
        self.finishing = true;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            self.pump(dir, out);
            self.flush_partial(dir, ProblemKind::Truncated, out);
        }
    }

    /// Report a direction's buffered, unfinished bytes and empty the buffer.
    fn flush_partial(
        &mut self,
        dir: Direction,
        kind: ProblemKind,
        out: &mut Vec<(Direction, Event)>,
    ) {
        let rev = self.rev;
        let joined_mid = !self.handshake_seen && self.banners.iter().all(Option::is_none);
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        match std::mem::replace(&mut st.phase, Phase::Frames) {
            Phase::Hunt { since, problem, .. } => {
                let end = st.end();
                if joined_mid && st.frames == 0 && problem.is_none() && end > since {
                    // Joined mid-connection and never found a frame: the
                    // bytes are encrypted or not msgr2; nothing is wrong.
                    let p = Problem::new(ProblemKind::MidStream, since, end - since, "msgr2.frame")
                        .values("a frame boundary", "none found (secure mode or not msgr2)");
                    out.push((dir, Event::Undecoded(p)));
                } else if let Some(p) = hunt_problem(since, end, problem) {
                    out.push((dir, Event::Undecoded(p)));
                }
                st.phase = Phase::Hunt {
                    since: end,
                    problem: None,
                    skip_first: false,
                };
            }
            Phase::Secure => {
                st.phase = Phase::Secure;
                if let Some(ev) = st.secure.flush(st.base, &st.buf, kind) {
                    out.push((dir, ev));
                }
            }
            phase => {
                st.phase = phase.clone();
                if st.buf.is_empty() {
                    return;
                }
                let (offset, len) = (st.base, st.buf.len() as u64);
                let partial = match (phase, Preamble::parse(&st.buf)) {
                    (Phase::Frames, Some(p))
                        if p.crc_ok() && p.validate(self.cfg.max_segment_len).is_ok() =>
                    {
                        Some(partial_frame(
                            p,
                            rev.unwrap_or(Rev::V1),
                            offset,
                            st.buf.clone().freeze(),
                            kind,
                        ))
                    }
                    _ => None,
                };
                let field = if st.phase == Phase::Banner {
                    "msgr2.banner"
                } else {
                    "msgr2.frame"
                };
                out.push((
                    dir,
                    match partial {
                        Some(f) => Event::Frame(Box::new(f)),
                        None => Event::Undecoded(Problem::new(kind, offset, len, field)),
                    },
                ));
            }
        }
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            let n = st.buf.len();
            st.consume(n);
        }
    }

    fn pump(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) {
        let mut guard = 0u32;
        loop {
            guard += 1;
            let progressed = match self.dirs.get(dir.index()).map(|s| s.phase.clone()) {
                Some(Phase::Banner) => self.step_banner(dir, out),
                Some(Phase::Frames) => self.step_frame(dir, out),
                Some(Phase::Hunt { .. }) => self.step_hunt(dir, out),
                Some(Phase::Secure) => self.step_secure(dir, out),
                Some(Phase::Ignore) | None => {
                    if let Some(st) = self.dirs.get_mut(dir.index()) {
                        let n = st.buf.len();
                        st.consume(n);
                    }
                    false
                }
            };
            if !progressed || guard > 1_000_000 {
                break;
            }
        }
    }

    fn step_banner(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        match banner::parse(&st.buf, st.base) {
            BannerParse::Needed(_) => false,
            BannerParse::Banner(b) => {
                let n = usize::try_from(b.wire_len()).unwrap_or(usize::MAX);
                st.consume(n);
                st.phase = Phase::Frames;
                if let Some(slot) = self.banners.get_mut(dir.index()) {
                    *slot = Some(b.clone());
                }
                out.push((dir, Event::Banner(b)));
                self.check_banners(dir, out);
                true
            }
            BannerParse::Msgr1 | BannerParse::NotCeph => {
                let reason = if matches!(banner::parse(&st.buf, st.base), BannerParse::Msgr1) {
                    "msgr1 banner (ceph v027)"
                } else {
                    "no msgr2 banner"
                };
                if !self.handshake_seen && st.frames == 0 {
                    // Joined mid-connection: look for frames instead.
                    st.phase = Phase::Hunt { since: st.base, problem: None, skip_first: false };
                    return true;
                }
                st.phase = Phase::Ignore;
                out.push((dir, Event::NotMsgr2 { offset: st.base, reason }));
                true
            }
            BannerParse::BadLength(l) => {
                let p = Problem::new(
                    ProblemKind::BannerBad,
                    st.base + 8,
                    2,
                    "msgr2.banner.payload_len",
                )
                .values(
                    format!("{}..={}", banner::MIN_PAYLOAD, banner::MAX_PAYLOAD),
                    l.to_string(),
                );
                st.phase = Phase::Hunt {
                    since: st.base,
                    problem: Some(p),
                    skip_first: true,
                };
                true
            }
        }
    }

    /// Once both banners are in, fix the revision and check features.
    fn check_banners(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) {
        let (Some(a), Some(b)) = (&self.banners[0], &self.banners[1]) else {
            return;
        };
        let both_v1 = a.supported & b.supported & banner::FEATURE_REVISION_1 != 0;
        self.rev = Some(if both_v1 { Rev::V1 } else { Rev::V0 });
        let this = if dir == Direction::ClientToServer {
            a
        } else {
            b
        };
        let peer = if dir == Direction::ClientToServer {
            b
        } else {
            a
        };
        for (who, req, sup) in [
            (this, this.required, peer.supported),
            (peer, peer.required, this.supported),
        ] {
            if req & sup != req {
                let p = Problem::new(
                    ProblemKind::FeaturesUnsupported,
                    who.offset + 18,
                    8,
                    "msgr2.banner.required",
                )
                .values(
                    format!("subset of peer's supported {sup:#x}"),
                    format!("{req:#x}"),
                );
                out.push((dir, Event::Undecoded(p)));
            }
        }
        // The other direction may have been waiting for the revision.
        self.pump(dir.reverse(), out);
    }

    fn step_frame(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let max_seg = self.cfg.max_segment_len;
        let finishing = self.finishing;
        let known_rev = self.rev;
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        let Some(p) = Preamble::parse(&st.buf) else {
            return false;
        };
        if st.pending_secure {
            let auth = matches!(p.tag, Tag::Hello | Tag::AuthRequest | Tag::AuthRequestMore);
            if !(p.crc_ok() && auth) {
                st.pending_secure = false;
                st.mode = Mode::Secure;
                st.phase = Phase::Secure;
                st.secure.start(st.base, known_rev.unwrap_or(Rev::V1));
                return true;
            }
        }
        if !p.crc_ok() {
            let pr = Problem::new(
                ProblemKind::PreambleCrcBad,
                st.base + 28,
                4,
                "msgr2.preamble.crc",
            )
            .values(
                format!("{:#010x}", p.computed_crc),
                format!("{:#010x}", p.crc),
            );
            st.phase = Phase::Hunt {
                since: st.base,
                problem: Some(pr),
                skip_first: true,
            };
            return true;
        }
        if let Err(e) = p.validate(max_seg) {
            let pr = preamble_problem(e, st.base, max_seg);
            st.phase = Phase::Hunt {
                since: st.base,
                problem: Some(pr),
                skip_first: true,
            };
            return true;
        }
        let rev = match known_rev {
            Some(r) => r,
            None => match probe_rev(&p, &st.buf, finishing || st.buf.len() > (1 << 20)) {
                Some(r) => {
                    self.rev = Some(r);
                    r
                }
                None => return false,
            },
        };
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        let total = crc_layout(&p, rev).total;
        if (st.buf.len() as u64) < total {
            st.buf.reserve(
                usize::try_from(total)
                    .unwrap_or(0)
                    .saturating_sub(st.buf.len())
                    .min(1 << 20),
            );
            return false;
        }
        let offset = st.base;
        let wire = st.consume(usize::try_from(total).unwrap_or(usize::MAX));
        st.frames += 1;
        let f = frame::decode_crc(p, rev, offset, wire);
        let switch = dir == Direction::ServerToClient
            && f.tag() == Tag::AuthDone
            && !f.aborted()
            && auth_done_secure(&f);
        out.push((dir, Event::Frame(Box::new(f))));
        if switch {
            // The server's frames after AUTH_DONE are secure; the client's
            // switch after its last AUTH_REQUEST(_MORE) (ProtocolV2.cc
            // handle_auth_done / finish_auth).
            if let Some(s) = self.dirs.get_mut(Direction::ServerToClient.index()) {
                s.mode = Mode::Secure;
                s.phase = Phase::Secure;
                s.secure.start(s.base, rev);
            }
            if let Some(c) = self.dirs.get_mut(Direction::ClientToServer.index()) {
                c.pending_secure = true;
            }
            self.pump(Direction::ClientToServer, out);
        }
        true
    }

    fn step_hunt(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let max_seg = self.cfg.max_segment_len;
        let limit = self.cfg.hunt_limit_without_banner;
        let no_banner = self.banners.iter().all(Option::is_none) && !self.handshake_seen;
        let handshake = self.handshake_seen;
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        let Phase::Hunt {
            since,
            problem,
            skip_first,
        } = st.phase.clone()
        else {
            return false;
        };
        let start = usize::from(skip_first && st.base == since);
        let found = (start..st.buf.len().saturating_sub(preamble::LEN - 1)).find(|&i| {
            st.buf
                .get(i..)
                .and_then(Preamble::parse)
                .is_some_and(|p| plausible(&p, max_seg))
        });
        match found {
            Some(i) => {
                st.consume(i);
                let mid_stream = st.frames == 0 && !handshake && problem.is_none();
                if mid_stream && st.base > since {
                    // Joining a connection mid-frame: the bytes before the
                    // first whole frame are expected, not damage.
                    let p = Problem::new(ProblemKind::MidStream, since, st.base - since, "msgr2.frame")
                        .values("a connection captured from its start", "capture begins mid-connection");
                    out.push((dir, Event::Undecoded(p)));
                } else if let Some(p) = hunt_problem(since, st.base, problem) {
                    out.push((dir, Event::Undecoded(p)));
                }
                st.phase = Phase::Frames;
                true
            }
            None => {
                // Keep only a possible preamble prefix; remember the skipped span.
                let keep = preamble::LEN - 1;
                let drop = st.buf.len().saturating_sub(keep);
                st.consume(drop);
                if no_banner && st.frames == 0 && st.base.saturating_sub(since) > limit {
                    st.phase = Phase::Ignore;
                    out.push((
                        dir,
                        Event::NotMsgr2 {
                            offset: since,
                            reason: "no msgr2 frame found",
                        },
                    ));
                    return true;
                }
                if drop > 0 {
                    st.phase = Phase::Hunt {
                        since,
                        problem,
                        skip_first: false,
                    };
                }
                false
            }
        }
    }

    fn step_secure(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let max_seg = self.cfg.max_segment_len;
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        match st.secure.step(st.base, &st.buf, max_seg) {
            SecureStep::Needed => false,
            SecureStep::Consumed { len, event } => {
                st.consume(len);
                if let Some(ev) = event {
                    if matches!(ev, Event::Frame(_)) {
                        st.frames += 1;
                    }
                    out.push((dir, ev));
                }
                len > 0
            }
        }
    }
}

/// Whether a preamble found while hunting is believable.
fn plausible(p: &Preamble, max_seg: u32) -> bool {
    p.crc_ok()
        && p.validate(max_seg).is_ok()
        && p.tag.known_name().is_some()
        && p.reserved == 0
        && p.segments
            .iter()
            .take(p.nseg())
            .all(|s| s.align.is_power_of_two() || s.align == 0)
}

fn hunt_problem(since: u64, end: u64, problem: Option<Problem>) -> Option<Problem> {
    let len = end.saturating_sub(since);
    match problem {
        Some(mut p) => {
            // The problem names its field; the stretch runs from `since`.
            p.len = p.len.max(end.saturating_sub(p.offset));
            Some(p)
        }
        None if len > 0 => Some(Problem::new(
            ProblemKind::Undecoded,
            since,
            len,
            "msgr2.frame",
        )),
        None => None,
    }
}

fn preamble_problem(e: PreambleProblem, base: u64, max_seg: u32) -> Problem {
    match e {
        PreambleProblem::BadSegmentCount(n) => Problem::new(
            ProblemKind::PreambleMalformed,
            base + 1,
            1,
            "msgr2.preamble.num_segments",
        )
        .values("1..=4", n.to_string()),
        PreambleProblem::UnusedSegmentNotZero(i) => Problem::new(
            ProblemKind::PreambleMalformed,
            base + preamble::seg_len_range(i).start as u64,
            6,
            "msgr2.preamble.segment",
        )
        .values("0 (unused segment)", "non-zero"),
        PreambleProblem::LastSegmentEmpty => Problem::new(
            ProblemKind::PreambleMalformed,
            base + 2,
            24,
            "msgr2.preamble.segment.len",
        )
        .values("last listed segment non-empty", "0"),
        PreambleProblem::SegmentTooLong(i, len) => Problem::new(
            ProblemKind::SegmentTooLong,
            base + preamble::seg_len_range(i).start as u64,
            4,
            "msgr2.preamble.segment.len",
        )
        .values(format!("<= {max_seg}"), len.to_string()),
    }
}

/// Which revision makes the buffered frame's CRCs check; `None` until the
/// bytes decide (or, when `force`, the best guess).
fn probe_rev(p: &Preamble, buf: &[u8], force: bool) -> Option<Rev> {
    let mut fits = Vec::new();
    for rev in [Rev::V1, Rev::V0] {
        let total = crc_layout(p, rev).total;
        let Some(bytes) = buf.get(..usize::try_from(total).ok()?) else {
            continue;
        };
        let f = frame::decode_crc(*p, rev, 0, bytes::Bytes::copy_from_slice(bytes));
        let segs_ok = f
            .checks
            .iter()
            .filter(|c| matches!(c.kind, CheckKind::Segment(_)))
            .all(|c| c.status == CheckStatus::Good);
        if segs_ok
            && f.problems
                .iter()
                .all(|pr| pr.kind != ProblemKind::LateStatusBad)
        {
            fits.push(rev);
        }
    }
    match fits.as_slice() {
        [only] => Some(*only),
        [first, ..] if force => Some(*first),
        _ if force => Some(Rev::V1),
        _ => None,
    }
}

/// AUTH_DONE payload: le64 global_id, le32 con_mode (frames_v2.h AuthDoneFrame).
fn auth_done_secure(f: &Frame) -> bool {
    f.segment(0)
        .and_then(|s| s.get(8..12))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        == Some(CON_MODE_SECURE)
}

/// A frame whose preamble is known but whose bytes stop early.
fn partial_frame(
    p: Preamble,
    rev: Rev,
    offset: u64,
    data: bytes::Bytes,
    kind: ProblemKind,
) -> Frame {
    let layout = crc_layout(&p, rev);
    let have = data.len() as u64;
    let mut problems = Vec::new();
    frame::preamble_notes(&p, offset, &mut problems);
    problems.push(
        Problem::new(
            kind,
            offset + have,
            layout.total.saturating_sub(have),
            "msgr2.frame",
        )
        .values(format!("{} bytes", layout.total), format!("{have} bytes")),
    );
    let clip = |r: &std::ops::Range<u64>| {
        let s = usize::try_from(r.start.min(have)).unwrap_or(0);
        let e = usize::try_from(r.end.min(have)).unwrap_or(0);
        s..e
    };
    Frame {
        offset,
        wire_len: have,
        rev,
        mode: Mode::Crc,
        preamble: p,
        checks: vec![frame::Check {
            kind: CheckKind::Preamble,
            offset: offset + 28,
            stored: p.crc,
            computed: p.computed_crc,
            status: CheckStatus::Good,
        }],
        late: None,
        problems,
        data,
        segments: layout.segments.clone().map(|r| clip(&r)),
        segment_offsets: layout.segments.map(|r| offset + r.start),
        decrypted: false,
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (o, l) = self.range();
        write!(f, "{o}+{l}")
    }
}
