//! The streaming msgr2 decoder of one TCP connection.
//!
//! [`ConnDecoder::feed`] takes each direction's in-order bytes as the TCP
//! layer delivers them and emits [`Event`]s: banners, frames, lost bytes
//! and undecodable stretches. It buffers at most one frame per direction
//! (bounded by [`DecoderConfig::max_segment_len`]) and never trusts a length
//! before the preamble CRC has matched.
//!
//! Waiting: the banner, the preamble and a crc frame's layout (segments,
//! CRCs, epilogue) are nom streaming parsers; `Incomplete(Needed)` means
//! "wait for more bytes" (and says how many to make room for).
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
//!
//! Compression: the server's COMPRESSION_DONE names the method; from then
//! on a frame flagged compressed, in either direction, has its segments
//! decompressed once they are checked (`compress::apply`), each to at most
//! [`DecoderConfig::max_segment_len`] bytes.

use super::banner::{self, Banner, Reject};
use super::compress;
use super::frame::{self, Frame, Mode, Rev};
use super::preamble::preamble;
use super::problem::{Problem, ProblemKind};
use super::resync::{auth_done_secure, preamble_problem, probe_rev};
use super::secure::{SecureDir, SecureStep};

mod banners;
mod compression;
mod config;
mod hunt;
mod running;
use super::Tag;
use crate::tcp::Direction;
use bytes::BytesMut;
pub use config::DecoderConfig;
use nom::Needed;
pub use running::Storages;

/// Most room reserved at once for the rest of a frame being received.
const MAX_RESERVE: usize = 16 << 20;
/// Room reserved past a frame's end: the packet that ends a frame usually
/// starts the next, and without room for it the whole frame would be
/// copied to a buffer twice the size (a 64 KiB IP packet's payload fits).
const NEXT_FRAME_ROOM: usize = 64 << 10;

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
    /// The rest of a frame whose preamble was read, after bytes of it were
    /// lost: skipped up to its known end (`until`), where the next frame
    /// starts; `since` is where the skipped stretch began, `frame` where
    /// the frame began.
    Skip {
        since: u64,
        until: u64,
        frame: u64,
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
    /// Mid-stream secure search state (see `hunt`).
    mid: hunt::Midstream,
    /// A crc frame at `.0` (the buffer's base) is incomplete until the
    /// stream reaches `.1`: until then a feed only buffers, so a frame
    /// arriving in many small packets is not re-parsed for each.
    wait: Option<(u64, u64)>,
    /// The segment CRCs of a large crc frame at the buffer's base, folded
    /// in as its bytes come (see `running`).
    running: Option<running::Running>,
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
            mid: hunt::Midstream::default(),
            wait: None,
            running: None,
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

    /// [`DirState::consume`] of a whole crc frame, which may leave its
    /// storage to `storages` (`running::take_frame`).
    fn consume_frame(&mut self, n: usize, storages: Option<&Storages>) -> bytes::Bytes {
        let wire = running::take_frame(&mut self.running, (self.base, &mut self.buf, storages), n);
        self.base += wire.len() as u64;
        wire
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
    /// What the server's last COMPRESSION_DONE said.
    compression: Option<compress::Done>,
    /// Whether a piece in the middle of a data segment that may be elided
    /// came ([`DecoderConfig::elide_data`]).
    wants_crcs: bool,
    /// Storages of elided frames, shared with other decoders.
    storages: Option<std::sync::Arc<Storages>>,
}

impl ConnDecoder {
    /// A decoder for a connection; `handshake_seen` says whether its streams
    /// start at the first byte (else the banner is not expected).
    pub fn new(cfg: DecoderConfig, handshake_seen: bool) -> Self {
        // Without the handshake a direction may still begin with its
        // banner; step_banner falls back to hunting for frames if not.
        ConnDecoder {
            cfg,
            dirs: [DirState::new(), DirState::new()],
            banners: [None, None],
            rev: None,
            handshake_seen,
            finishing: false,
            compression: None,
            wants_crcs: false,
            storages: None,
        }
    }

    /// Large frames whose data segment's middle is elided grow into
    /// storages kept in `storages` once decoded, for later ones (shared by
    /// the decoders of a dissection; without, each has a new one).
    pub fn with_storages(mut self, storages: std::sync::Arc<Storages>) -> Self {
        self.storages = Some(storages);
        self
    }

    /// Whether a data segment whose middle may be elided was seen, so far:
    /// from then on the CRCs of what is fed ([`ConnDecoder::feed_crc`])
    /// are of use (a small piece is elided only with its CRC).
    pub fn wants_crcs(&self) -> bool {
        self.wants_crcs
    }

    /// The framing revision, once known.
    pub fn rev(&self) -> Option<Rev> {
        self.rev
    }

    /// A direction's banner, if seen.
    pub fn banner(&self, dir: Direction) -> Option<&Banner> {
        self.banners.get(dir.index()).and_then(|b| b.as_ref())
    }

    /// Heap bytes the decoder buffers (both directions' frame buffers).
    pub fn memory(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.buf.capacity().saturating_add(running::memory(&d.running)))
            .fold(0, usize::saturating_add)
    }

    /// Where a direction's analysis stands: the offset of its first byte
    /// not yet decoded, and how many bytes from there are buffered.
    pub fn pending(&self, dir: Direction) -> (u64, u64) {
        self.dirs
            .get(dir.index())
            .map_or((0, 0), |d| (d.base, d.buf.len() as u64))
    }

    /// What the connection's COMPRESSION_DONE said, once seen.
    pub fn compression(&self) -> Option<compress::Done> {
        self.compression
    }

    /// A direction's current connection mode.
    pub fn mode(&self, dir: Direction) -> Mode {
        self.dirs.get(dir.index()).map_or(Mode::Crc, |d| d.mode)
    }

    /// Give the secure-mode state of a direction its key material.
    pub fn secure_mut(&mut self, dir: Direction) -> Option<&mut SecureDir> {
        self.dirs.get_mut(dir.index()).map(|d| &mut d.secure)
    }

    /// Decode what `dir` holds buffered (after its keys were resolved).
    pub fn resume(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) {
        self.pump(dir, out);
    }
    /// Feed in-order bytes of `dir` starting at stream `offset`.
    pub fn feed(
        &mut self,
        dir: Direction,
        offset: u64,
        data: &[u8],
        out: &mut Vec<(Direction, Event)>,
    ) {
        self.feed_crc(dir, offset, (data, None), out);
    }

    /// [`ConnDecoder::feed`], with the CRC32C of `data` (crate form) when
    /// its reader computed it: with [`DecoderConfig::elide_data`], a large
    /// frame's data segment is then checked without reading its bytes.
    pub fn feed_crc(
        &mut self,
        dir: Direction,
        offset: u64,
        (data, crc): (&[u8], Option<u32>),
        out: &mut Vec<(Direction, Event)>,
    ) {
        let elide = self.cfg.elide_data;
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
        let storages = self.storages.as_deref();
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        let end = st.end();
        let skip = usize::try_from(end.saturating_sub(offset)).unwrap_or(usize::MAX);
        if let Some(fresh) = data.get(skip..) {
            if st.frames == 0 && !self.handshake_seen && st.mid.starts.len() < hunt::MAX_STARTS {
                st.mid.starts.push(end.max(offset));
            }
            st.secure.note_start(end.max(offset));
            // The CRC is of all of `data`.
            let crc = crc.filter(|_| skip == 0);
            if st.phase == Phase::Ignore {
                st.base += fresh.len() as u64;
            } else {
                let elided = (elide && st.phase == Phase::Frames)
                    .then(|| {
                        running::elide(
                            &mut st.running,
                            (st.base, &mut st.buf, storages),
                            fresh,
                            crc,
                        )
                    })
                    .flatten();
                // A piece that could be elided: CRCs are of use from now on.
                self.wants_crcs |= elided.is_some();
                if elided != Some(true) {
                    running::append(&mut st.running, (st.base, &mut st.buf), fresh);
                }
            }
        }
        running::fed(&mut st.running, st.base, &st.buf);
        let waiting = st
            .wait
            .is_some_and(|(at, until)| at == st.base && st.end() < until);
        if waiting && st.phase == Phase::Frames {
            return;
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
        // Decode whatever is complete before the loss.
        self.pump(dir, out);
        let known = self.known_end(dir);
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
        st.running = None;
        st.base = offset + len;
        st.phase = match st.phase {
            Phase::Secure => {
                st.secure.lost_sync(offset + len);
                Phase::Secure
            }
            // The loss fell inside a frame of known length: its rest is
            // skipped, and the next frame is where it ends.
            _ if known.is_some_and(|(_, end)| end == st.base) => Phase::Frames,
            _ if known.is_some_and(|(_, end)| end > st.base) => {
                let (frame, until) = known.unwrap_or_default();
                Phase::Skip {
                    since: st.base,
                    until,
                    frame,
                }
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
            if let Some(st) = self.dirs.get_mut(dir.index()) {
                st.secure.set_finishing();
            }
            self.pump(dir, out);
            self.flush_partial(dir, ProblemKind::Truncated, out);
        }
    }

    fn pump(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) {
        let mut guard = 0u32;
        loop {
            guard += 1;
            let before = out.len();
            let progressed = match self.dirs.get(dir.index()).map(|s| s.phase.clone()) {
                Some(Phase::Banner) => self.step_banner(dir, out),
                Some(Phase::Frames) => self.step_frame(dir, out),
                Some(Phase::Hunt { .. }) => self.step_hunt(dir, out),
                Some(Phase::Secure) => self.step_secure(dir, out),
                Some(Phase::Skip { .. }) => self.step_skip(dir, out),
                Some(Phase::Ignore) | None => {
                    if let Some(st) = self.dirs.get_mut(dir.index()) {
                        let n = st.buf.len();
                        st.consume(n);
                    }
                    false
                }
            };
            self.after_step(dir, out.get_mut(before..).unwrap_or_default());
            if !progressed || guard > 1_000_000 {
                break;
            }
        }
    }

    fn step_banner(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        match banner::parse(st.base)(&st.buf) {
            Err(nom::Err::Incomplete(_)) => false,
            Ok((_, b)) => {
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
            Err(nom::Err::Error(r @ (Reject::Msgr1 | Reject::NotCeph)))
            | Err(nom::Err::Failure(r @ (Reject::Msgr1 | Reject::NotCeph))) => {
                let reason = if r == Reject::Msgr1 {
                    "msgr1 banner (ceph v027)"
                } else {
                    "no msgr2 banner"
                };
                if !self.handshake_seen && st.frames == 0 {
                    // Joined mid-connection: look for frames instead.
                    st.phase = Phase::Hunt {
                        since: st.base,
                        problem: None,
                        skip_first: false,
                    };
                    return true;
                }
                st.phase = Phase::Ignore;
                out.push((
                    dir,
                    Event::NotMsgr2 {
                        offset: st.base,
                        reason,
                    },
                ));
                true
            }
            Err(nom::Err::Error(Reject::BadLength(l)))
            | Err(nom::Err::Failure(Reject::BadLength(l))) => {
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

    fn step_frame(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let max_seg = self.cfg.max_segment_len;
        let finishing = self.finishing;
        let known_rev = self.rev;
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        let p = match preamble(&st.buf) {
            Ok((_, p)) => p,
            // Fewer than 32 bytes: wait (a whole block always parses).
            Err(_) => return false,
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
        let parsed = match frame::crc_frame(&p, rev)(&st.buf) {
            Ok((_, parts)) => Ok(parts),
            Err(nom::Err::Incomplete(needed)) => Err(needed),
            // The layout only takes bytes: a whole frame always parses.
            Err(_) => Err(Needed::Unknown),
        };
        let parts = match parsed {
            Ok(parts) => parts,
            Err(needed) => {
                // Room for the rest of the frame at once (its preamble is
                // checked; the buffer's capacity is charged to the memory
                // cap): growing by doubling would copy a large frame's
                // bytes again and again.
                if let Needed::Size(n) = needed {
                    st.buf
                        .reserve(n.get().min(MAX_RESERVE).saturating_add(NEXT_FRAME_ROOM));
                    // nom's streaming `Needed` is a lower bound of what is
                    // missing: nothing can complete before it arrives.
                    let until = st.end().saturating_add(n.get() as u64);
                    st.wait = Some((st.base, until));
                }
                let elide = self.cfg.elide_data;
                running::track(&mut st.running, (st.base, &st.buf), (&p, rev), elide);
                return false;
            }
        };
        let offset = st.base;
        let wire = st.consume_frame(parts.total, self.storages.as_deref());
        st.frames += 1;
        let (crcs, elided) = running::finish(&mut st.running, offset, &wire);
        let parts = frame::CrcParts {
            split: self.cfg.split_checks,
            crcs,
            elided,
            ..parts
        };
        let f = frame::decode_crc(p, rev, offset, &parts, wire);
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

    fn step_secure(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let max_seg = self.cfg.max_segment_len;
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        match st.secure.step(st.base, &st.buf, max_seg) {
            SecureStep::Needed => false,
            SecureStep::NeedFrame(n) => {
                st.buf.reserve(
                    n.saturating_sub(st.buf.len())
                        .min(MAX_RESERVE)
                        .saturating_add(NEXT_FRAME_ROOM),
                );
                false
            }
            SecureStep::Consumed { len, event } => {
                st.consume(len);
                if let Some(ev) = event {
                    if matches!(ev, Event::Frame(_)) {
                        st.frames += 1;
                    }
                    out.push((dir, ev));
                }
                // Consuming nothing is a state change (a key found, or
                // none): the next step makes different progress.
                true
            }
        }
    }
}
