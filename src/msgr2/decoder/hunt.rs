//! Hunting for frames (after a gap, a bad preamble or a mid-stream start)
//! and reporting what a direction leaves unfinished.

use super::{ConnDecoder, Event, Phase};
use crate::msgr2::frame::{Mode, Rev};
use crate::msgr2::preamble::{self, Preamble};
use crate::msgr2::problem::{Problem, ProblemKind};
use crate::msgr2::resync::{hunt_problem, partial_frame, plausible, unfinished};
use crate::tcp::Direction;

/// Segment starts remembered per direction for the mid-stream search.
pub(super) const MAX_STARTS: usize = 256;
/// Bytes a mid-stream direction with keys holds before its secure frame is
/// searched for (the search looks at the segment starts within them).
pub(super) const MIDSTREAM_WINDOW: usize = 256 * 1024;

/// A direction captured mid-stream: where the capture's segments began (a
/// secure frame is searched for there), whether the search was made, and
/// how far the bytes held were already hunted for a plaintext frame.
#[derive(Debug, Default)]
pub(super) struct Midstream {
    pub(super) starts: Vec<u64>,
    searched: bool,
    /// Stream offset up to which no plaintext preamble starts.
    hunted: u64,
}

impl ConnDecoder {
    /// A direction captured mid-stream whose bytes hold no plaintext frame,
    /// with keys: search the segment starts for a secure frame and the
    /// nonce counter that opens it (`secure::midstream`). `Some(progress)`
    /// when it decided (found, or searched in vain), `None` to wait.
    fn midstream_secure(
        &mut self,
        dir: Direction,
        since: u64,
        out: &mut Vec<(Direction, Event)>,
    ) -> Option<bool> {
        use crate::msgr2::secure::midstream::{search, MIDSTREAM_MAX_OPS};
        let max_seg = self.cfg.max_segment_len;
        let finishing = self.finishing;
        let st = self.dirs.get_mut(dir.index())?;
        if st.mid.searched || st.frames > 0 || st.secure.candidates().is_empty() {
            return None;
        }
        if st.buf.len() < MIDSTREAM_WINDOW && !finishing {
            // Keep the bytes: wait for more; those hunted need not be again.
            let hunted = st.buf.len().saturating_sub(preamble::LEN - 1);
            st.mid.hunted = st.base.saturating_add(hunted as u64);
            return Some(false);
        }
        st.mid.searched = true;
        let starts: Vec<usize> = st
            .mid
            .starts
            .iter()
            .filter_map(|&s| usize::try_from(s.checked_sub(st.base)?).ok())
            .filter(|&i| i < st.buf.len())
            .collect();
        let found = search(
            st.secure.candidates(),
            &st.buf,
            &starts,
            MIDSTREAM_MAX_OPS,
            max_seg,
        )?;
        let c = st.secure.candidates().get(found.candidate)?.clone();
        st.consume(found.offset);
        let at = st.base;
        st.mode = Mode::Secure;
        st.phase = Phase::Secure;
        st.secure.start_found(at, &c, found.nonce, found.steps);
        self.rev.get_or_insert(Rev::V1);
        let p = Problem::new(ProblemKind::MidStream, since, at - since, "msgr2.secure")
            .values(
                "a connection captured from its start",
                format!(
                    "capture begins mid-connection; secure frames from stream offset {at}, nonce counter {} (+{} operations from {})",
                    found.nonce.counter(),
                    found.steps,
                    c.origin
                ),
            );
        if at > since {
            out.push((dir, Event::Undecoded(p)));
        }
        Some(true)
    }

    pub(super) fn step_hunt(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
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
        let start = usize::from(skip_first && st.base == since)
            .max(usize::try_from(st.mid.hunted.saturating_sub(st.base)).unwrap_or(0));
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
                    let p = Problem::new(
                        ProblemKind::MidStream,
                        since,
                        st.base - since,
                        "msgr2.frame",
                    )
                    .values(
                        "a connection captured from its start",
                        "capture begins mid-connection",
                    );
                    out.push((dir, Event::Undecoded(p)));
                } else if let Some(p) = hunt_problem(since, st.base, problem) {
                    out.push((dir, Event::Undecoded(p)));
                }
                st.phase = Phase::Frames;
                true
            }
            None if !handshake && problem.is_none() => {
                if let Some(progress) = self.midstream_secure(dir, since, out) {
                    if progress || self.dirs.get(dir.index()).is_some_and(|s| !s.mid.searched) {
                        return progress;
                    }
                }
                self.hunt_on(dir, since, problem, no_banner, limit, out)
            }
            None => self.hunt_on(dir, since, problem, no_banner, limit, out),
        }
    }

    /// No frame in the bytes held: drop them but a possible preamble
    /// prefix, and give up on a direction that never showed msgr2.
    fn hunt_on(
        &mut self,
        dir: Direction,
        since: u64,
        problem: Option<Problem>,
        no_banner: bool,
        limit: u64,
        out: &mut Vec<(Direction, Event)>,
    ) -> bool {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
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

    /// Where the frame being read in `dir` starts and ends, when its
    /// preamble was read and checked (crc mode: its layout gives the
    /// length), or the frame being skipped after a loss.
    pub(super) fn known_end(&self, dir: Direction) -> Option<(u64, u64)> {
        let st = self.dirs.get(dir.index())?;
        match st.phase {
            Phase::Skip { until, frame, .. } => Some((frame, until)),
            Phase::Frames => {
                let p = Preamble::parse(&st.buf)?;
                let rev = self.rev?;
                if !p.crc_ok() || p.validate(self.cfg.max_segment_len).is_err() {
                    return None;
                }
                let total = crate::msgr2::frame::crc_layout(&p, rev).total;
                Some((st.base, st.base.saturating_add(total)))
            }
            _ => None,
        }
    }

    /// Skip the rest of a frame cut by lost bytes up to its known end, then
    /// report the skipped stretch as one row and read frames again.
    pub(super) fn step_skip(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) -> bool {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return false;
        };
        let Phase::Skip {
            since,
            until,
            frame,
        } = st.phase
        else {
            return false;
        };
        let want = usize::try_from(until.saturating_sub(st.base)).unwrap_or(usize::MAX);
        let n = want.min(st.buf.len());
        st.consume(n);
        if st.base < until {
            return false;
        }
        out.push((dir, Event::Undecoded(skipped(since, until, frame))));
        st.phase = Phase::Frames;
        true
    }

    /// Report a direction's buffered, unfinished bytes and empty the buffer.
    pub(super) fn flush_partial(
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
                        .values("a frame boundary", "none (secure mode or not msgr2)");
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
            Phase::Skip {
                since,
                until,
                frame,
            } => {
                // The part of the rest skipped so far (more bytes lost, or
                // the capture ends); skipping goes on after a loss.
                let end = st.end().min(until);
                if end > since {
                    out.push((dir, Event::Undecoded(skipped(since, end, frame))));
                }
                st.phase = Phase::Skip {
                    since: end,
                    until,
                    frame,
                };
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
                        let mut f = partial_frame(
                            p,
                            rev.unwrap_or(Rev::V1),
                            offset,
                            st.buf.clone().freeze(),
                            kind,
                        );
                        f.elided = super::running::elided(&st.running, offset);
                        Some(f)
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
                        None => Event::Undecoded(unfinished(kind, offset, len, field)),
                    },
                ));
            }
        }
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            let n = st.buf.len();
            st.consume(n);
        }
    }
}

/// The rest of the frame at `frame`, bytes `[since, end)`, skipped after a
/// loss inside it: its length was known from its checked preamble.
fn skipped(since: u64, end: u64, frame: u64) -> Problem {
    Problem::new(
        ProblemKind::Undecoded,
        since,
        end.saturating_sub(since),
        "msgr2.frame",
    )
    .values(
        "a whole frame",
        format!("the rest of the frame at stream offset {frame}, after lost bytes: skipped"),
    )
}

/// An event as `offset+len` (in messages).
impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (o, l) = self.range();
        write!(f, "{o}+{l}")
    }
}
