//! Protocol conformance: every row of a connection judged against the
//! msgr2 state machine ([`machine`]) and the consistency rules
//! ([`rules`]), as Ceph's ProtocolV2 would receive it.
//!
//! The dissector calls [`Conformance::input`] on a row before session
//! tracking adds its notes, and [`Conformance::observe`] after; the payload
//! is never decoded again (the rules read the row's typed control value).
//! At the end, [`Conformance::final_state`] says how the connection ended.

pub mod machine;
pub mod rules;
mod words;

use super::record::{Record, RecordKind};
use crate::model::Group;
use crate::msgr2::{Problem, ProblemKind, Severity};
use crate::tcp::Direction;
use machine::{step, Fault, Input, Machine, Phase, Side};

/// How a connection ended, as `-z conv` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalState {
    /// The session was established (READY) and not torn down by a reset.
    Ready,
    /// A TCP reset ended the connection.
    Reset,
    /// Ceph would fault the connection: a conformance error, or a frame
    /// that ends it (IDENT_MISSING_FEATURES, WAIT).
    Faulted,
    /// The session was not reached before the connection or the capture
    /// ended, or the connection's start was not captured and no frame
    /// showed its state.
    Incomplete,
}

impl FinalState {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalState::Ready => "ready",
            FinalState::Reset => "reset",
            FinalState::Faulted => "faulted",
            FinalState::Incomplete => "incomplete",
        }
    }
}

/// The conformance state of one connection.
#[derive(Debug, Clone, Default)]
pub struct Conformance {
    machine: Machine,
    facts: rules::Facts,
    /// Conformance errors found (state and consistency).
    errors: u64,
}

fn side(dir: Direction) -> Side {
    match dir {
        Direction::ClientToServer => Side::Client,
        Direction::ServerToClient => Side::Server,
    }
}

/// Whether a problem says the frame's bytes or payload are not what was
/// sent (so its tag and values are not judged). The analyses' own findings
/// about a well-formed frame (its order, its seq) do not.
pub(crate) fn damages(p: &Problem) -> bool {
    p.kind.severity() >= Severity::Warning
        && !matches!(p.kind.group(), Group::Sequence | Group::Protocol)
}

impl Conformance {
    /// The state machine as it stands.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// What a row feeds the machine, read before other analyses add their
    /// problems to it (`None`: nothing, e.g. an aborted frame, which the
    /// receiver drops).
    pub fn input(r: &Record) -> Option<Input> {
        Some(match &r.kind {
            RecordKind::Banner(b) => Input::Banner(b.supported),
            RecordKind::Frame(f) if f.aborted() => return None,
            RecordKind::Frame(f) if f.problems.iter().any(damages) => Input::Blind,
            RecordKind::Frame(f) => Input::Frame(f.tag()),
            RecordKind::Lost { .. } | RecordKind::Undecoded(_) => Input::Blind,
            // msgr1 is not judged against msgr2's state machine.
            RecordKind::Msgr1(_) => return None,
        })
    }

    /// Judge row `r` (whose [`Conformance::input`] was `input`), adding
    /// the problems found to its frame.
    ///
    /// `peer_busy`: the other direction holds bytes not yet made rows (a
    /// frame being decrypted or resynchronised); its frames may precede
    /// this one on the wire, so a frame its state refuses is not judged
    /// (the state becomes unknown instead).
    pub fn observe(&mut self, r: &mut Record, input: Option<Input>, peer_busy: bool) {
        let Some(input) = input else { return };
        let side = side(r.dir);
        let (mut next, mut violation) = step(&self.machine, side, input);
        if violation.is_some() && peer_busy {
            next = step(&self.machine, side, Input::Blind).0;
            violation = None;
        }
        let judged = self.machine.known() && !self.machine.faulted;
        self.machine = next;
        let resumes = r.session.as_ref().is_some_and(|s| s.resumes.is_some());
        let msg = r.msg;
        let ctl = r.control().cloned();
        let RecordKind::Frame(f) = &mut r.kind else {
            return;
        };
        let mut found = Vec::new();
        if let Some(v) = violation {
            let kind = match v.fault {
                Fault::Unexpected => ProblemKind::UnexpectedFrame,
                Fault::WrongSide => ProblemKind::WrongSide,
            };
            found.push(
                Problem::new(kind, f.offset, 1, "msgr2.tag")
                    .values(format!("{} ({})", v.expected, v.state), v.found),
            );
        } else if judged && matches!(input, Input::Frame(_)) && self.machine.known() {
            if let Some(c) = &ctl {
                found.extend(self.facts.check(side, c, f, resumes));
            }
            if let Some(h) = &msg {
                found.extend(rules::header(h, f));
            }
        }
        self.errors = self.errors.saturating_add(
            found
                .iter()
                .filter(|p| p.kind.severity() == Severity::Error)
                .count() as u64,
        );
        if !found.is_empty() {
            f.problems.extend(found);
            f.problems.sort_by_key(|p| p.offset);
        }
    }

    /// Whether the row from `dir` fed `input` is a frame the state refuses
    /// in a way the other direction's next frames may undo: it is out of
    /// place (not a tag only the other side sends) while the state is
    /// followed. A capture may put a reply before what it answers when the
    /// two directions' packets are reordered; such a frame waits for the
    /// other direction before it is judged.
    pub fn refuses(&self, dir: Direction, input: Option<Input>) -> bool {
        let Some(input @ Input::Frame(_)) = input else {
            return false;
        };
        matches!(
            step(&self.machine, side(dir), input).1,
            Some(v) if v.fault == Fault::Unexpected
        )
    }

    /// The server's address is known to be an entity of type `t` (`why`:
    /// how the capture shows it): its HELLO must name that type.
    pub fn expect_server(&mut self, t: u8, why: String) {
        self.facts.server_type = Some((t, why));
    }

    /// Bytes of the connection that make no row (a direction that is not
    /// msgr2): what they held is unknown.
    pub fn blind(&mut self) {
        self.machine = step(&self.machine, Side::Client, Input::Blind).0;
    }

    /// How the connection ended (`reset`: a TCP RST closed it).
    pub fn final_state(&self, reset: bool) -> FinalState {
        let m = &self.machine;
        if m.faulted || self.errors > 0 || m.client.phase == Phase::Closed {
            FinalState::Faulted
        } else if reset {
            FinalState::Reset
        } else if m.client.phase == Phase::Ready && m.server.phase == Phase::Ready {
            FinalState::Ready
        } else {
            FinalState::Incomplete
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgr2::Tag;

    const C2S: Direction = Direction::ClientToServer;
    const S2C: Direction = Direction::ServerToClient;

    fn after(inputs: &[(Side, Input)]) -> Conformance {
        let mut c = Conformance::default();
        for &(side, input) in inputs {
            c.machine = step(&c.machine, side, input).0;
        }
        c
    }

    #[test]
    fn refuses_what_the_other_direction_may_undo() {
        let hellos = [
            (Side::Client, Input::Banner(1)),
            (Side::Server, Input::Banner(1)),
            (Side::Client, Input::Frame(Tag::Hello)),
            (Side::Server, Input::Frame(Tag::Hello)),
        ];
        let c = after(&hellos);
        // AUTH_DONE before the AUTH_REQUEST it answers: it may wait.
        assert!(c.refuses(S2C, Some(Input::Frame(Tag::AuthDone))));
        // A tag only the other side sends never becomes legal.
        assert!(!c.refuses(S2C, Some(Input::Frame(Tag::AuthRequest))));
        // Accepted frames, blind rows and no input are not refused.
        assert!(!c.refuses(C2S, Some(Input::Frame(Tag::AuthRequest))));
        assert!(!c.refuses(C2S, Some(Input::Blind)));
        assert!(!c.refuses(C2S, None));
        let mut done = hellos.to_vec();
        done.push((Side::Client, Input::Frame(Tag::AuthRequest)));
        assert!(!after(&done).refuses(S2C, Some(Input::Frame(Tag::AuthDone))));
        // A faulted connection judges nothing more: nothing waits.
        let mut bad = hellos.to_vec();
        bad.push((Side::Client, Input::Frame(Tag::ServerIdent)));
        let c = after(&bad);
        assert!(c.machine.faulted);
        assert!(!c.refuses(S2C, Some(Input::Frame(Tag::AuthDone))));
    }
}
