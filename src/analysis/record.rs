//! One row of the frame list: a banner, a frame, lost bytes or an
//! undecodable stretch, located in its connection and capture.

use crate::capture::{PacketIndex, Timestamp};
use crate::decode::payload::{self, PayloadDecode, Sender};
use crate::decode::{Header2, MsgType};
use crate::msgr2::banner::Banner;
use crate::msgr2::{Frame, Problem, ProblemKind, Severity, Tag};
use crate::tcp::{ConnId, Direction};
use std::net::SocketAddr;

/// What a row is.
#[derive(Debug, Clone)]
pub enum RecordKind {
    /// A banner.
    Banner(Banner),
    /// A frame.
    Frame(Box<Frame>),
    /// Stream bytes the capture lost.
    Lost {
        /// First missing byte.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// A stretch that is not (or no longer) decodable, or a TCP-level problem.
    Undecoded(Problem),
    /// An item of a msgr1 connection (banner, handshake step, MSG, tag).
    Msgr1(Box<crate::msgr1::Item>),
}

/// A row's status from its problems' names: `ok` for none, else the
/// names joined by commas.
pub fn status_text(names: &[&str]) -> String {
    if names.is_empty() {
        "ok".into()
    } else {
        names.join(",")
    }
}

/// One row.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based row number.
    pub number: u64,
    /// Connection.
    pub conn: ConnId,
    /// Direction within it.
    pub dir: Direction,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Time of the packet that completed the row.
    pub ts: Timestamp,
    /// Time of the capture's first packet (`frame.time_relative` counts
    /// from it).
    pub origin: Timestamp,
    /// Packets whose bytes the row covers, in stream order (no repeats).
    pub packets: Vec<PacketIndex>,
    /// What it is.
    pub kind: RecordKind,
    /// The message header, for MESSAGE frames.
    pub msg: Option<Header2>,
    /// For each of `problems()`, the packet carrying its first byte.
    pub problem_packets: Vec<PacketIndex>,
    /// What session tracking found (keepalive round trips).
    pub session: Option<super::session::SessionNote>,
    /// What interop tracking found (releases, the request a reply answers).
    pub interop: Option<super::interop::InteropNote>,
    /// The cephx structures the frame carries encrypted, decrypted with a
    /// keyring (`--keyring`), and the AUTH_SIGNATURE check.
    pub cephx: Option<std::sync::Arc<Vec<crate::model::FieldNode>>>,
    /// The frame's payload, decoded once when the row was made.
    pub payload: Option<std::sync::Arc<PayloadDecode>>,
    /// The content column, computed the first time it is asked for
    /// ([`Record::info`]).
    pub info_text: std::sync::OnceLock<String>,
    /// With several captures merged: where each packet came from.
    pub origins: Option<std::sync::Arc<crate::capture::Origins>>,
}

impl Record {
    /// A row of `kind` in `dir` of `conn`, not yet numbered nor located
    /// in its packets.
    pub fn new(
        conn: ConnId,
        dir: Direction,
        (src, dst): (SocketAddr, SocketAddr),
        kind: RecordKind,
        msg: Option<Header2>,
    ) -> Self {
        Record {
            number: 0,
            conn,
            dir,
            src,
            dst,
            ts: Timestamp::default(),
            origin: Timestamp::default(),
            packets: Vec::new(),
            kind,
            msg,
            problem_packets: Vec::new(),
            session: None,
            interop: None,
            cephx: None,
            payload: None,
            info_text: std::sync::OnceLock::new(),
            origins: None,
        }
    }

    /// `msgr1` for the rows of a msgr1 connection, `msgr2` for the others.
    pub fn proto(&self) -> &'static str {
        match &self.kind {
            RecordKind::Msgr1(_) => "msgr1",
            _ => "msgr2",
        }
    }

    /// Stream range `(offset, len)`.
    pub fn range(&self) -> (u64, u64) {
        match &self.kind {
            RecordKind::Banner(b) => (b.offset, b.wire_len()),
            RecordKind::Frame(f) => (f.offset, f.wire_len),
            RecordKind::Lost { offset, len } => (*offset, *len),
            RecordKind::Undecoded(p) => (p.offset, p.len),
            RecordKind::Msgr1(it) => (it.offset, it.wire_len()),
        }
    }

    /// The tag name shown in lists: the frame tag, or a bracketed pseudo tag.
    pub fn tag_name(&self) -> String {
        match &self.kind {
            RecordKind::Banner(_) => "BANNER".into(),
            RecordKind::Frame(f) => f.tag().to_string(),
            RecordKind::Lost { .. } => "[LOST]".into(),
            RecordKind::Undecoded(p) if p.kind == ProblemKind::NoKey => "[ENCRYPTED]".into(),
            RecordKind::Undecoded(p) if p.kind == ProblemKind::MidStream => "[MID-STREAM]".into(),
            RecordKind::Undecoded(p) if p.kind == ProblemKind::OverlapDiffers => {
                "[TCP-OVERLAP]".into()
            }
            RecordKind::Undecoded(p) if p.kind == ProblemKind::MemcapEvicted => "[EVICTED]".into(),
            RecordKind::Undecoded(p) if p.kind == ProblemKind::RequestUnanswered => {
                "[UNANSWERED]".into()
            }
            RecordKind::Undecoded(p) if p.kind == ProblemKind::BannerMismatch => {
                "[BANNER-MISMATCH]".into()
            }
            RecordKind::Undecoded(_) => "[UNDECODED]".into(),
            RecordKind::Msgr1(it) => it.name(),
        }
    }

    /// The frame, if this row is one.
    pub fn frame(&self) -> Option<&Frame> {
        match &self.kind {
            RecordKind::Frame(f) => Some(f),
            _ => None,
        }
    }

    /// Segment lengths (frames only; zeros otherwise).
    pub fn segment_lens(&self) -> [u32; 4] {
        self.frame().map_or([0; 4], Frame::segment_lens)
    }

    /// Problems of the row, in order.
    pub fn problems(&self) -> Vec<Problem> {
        match &self.kind {
            RecordKind::Banner(_) => Vec::new(),
            RecordKind::Frame(f) => f.problems.clone(),
            RecordKind::Lost { offset, len } => {
                vec![
                    Problem::new(ProblemKind::BytesLost, *offset, *len, "tcp.lost")
                        .values(format!("{len} bytes"), "not captured"),
                ]
            }
            RecordKind::Undecoded(p) => vec![p.clone()],
            RecordKind::Msgr1(it) => it.problems.clone(),
        }
    }

    /// Whether the row shows anything at warning level or worse.
    pub fn is_faulty(&self) -> bool {
        self.problems()
            .iter()
            .any(|p| p.kind.severity() >= Severity::Warning)
    }

    /// `ok` or the problem names joined by commas.
    pub fn status(&self) -> String {
        let names: Vec<&str> = self.problems().iter().map(|p| p.kind.name()).collect();
        status_text(&names)
    }

    /// The sender's and the receiver's entity names (`client.4112`,
    /// `osd.0`), as far as the session knows them.
    pub fn entity_names(&self) -> [Option<&str>; 2] {
        match &self.session {
            Some(n) => [n.sender_name.as_deref(), n.receiver_name.as_deref()],
            None => [None, None],
        }
    }

    /// The sender's and the receiver's entity types (`mon`, `osd`, ...),
    /// from their HELLOs.
    pub fn entity_types(&self) -> [Option<&'static str>; 2] {
        let name =
            |t: Option<u8>| t.and_then(|t| crate::decode::auth::entity_type_name(u64::from(t)));
        match &self.session {
            Some(n) => [name(n.sender_type), name(n.receiver_type)],
            None => [None, None],
        }
    }

    /// Message type, for MESSAGE frames.
    pub fn msg_type(&self) -> Option<MsgType> {
        self.msg.map(|h| MsgType(h.msg_type))
    }

    /// Decode the frame's payload (once) and add its encoding problems to
    /// the frame.
    ///
    /// `sender` is what the session knew of the sending entity before this
    /// row.
    pub fn decode_payload(&mut self, sender: &Sender) {
        if let RecordKind::Msgr1(it) = &mut self.kind {
            let judged = !it
                .problems
                .iter()
                .any(|p| p.kind.severity() >= Severity::Warning);
            if let Some(p) = payload::decode_msgr1(it, sender) {
                if judged {
                    it.problems.extend(p.problems_at(it.offset));
                }
                self.payload = Some(std::sync::Arc::new(p));
            }
            return;
        }
        if let RecordKind::Frame(f) = &mut self.kind {
            // A frame whose bytes are known to be wrong (bad CRC or tag,
            // bytes missing) is decoded for display, but its encoding is
            // not judged: the framing problem already says it all.
            let judged = !f.has_problems() && !f.aborted();
            let p = payload::decode_with_header(f, sender, self.msg);
            if judged {
                f.problems.extend(p.problems(f));
            }
            self.payload = Some(std::sync::Arc::new(p));
        }
    }

    /// The content column: what the row says in one line (computed once,
    /// when first asked: `verify` and statistics never format it).
    pub fn info(&self) -> &str {
        self.info_text.get_or_init(|| super::info::info(self))
    }

    /// The typed control value of the row's frame, when it decoded whole.
    pub fn control(&self) -> Option<&crate::decode::control::Control> {
        self.payload.as_ref().and_then(|p| p.control.as_ref())
    }

    /// With several captures merged: the inputs the row's packets came
    /// from (0-based, in order of first appearance), each with the
    /// packets' numbers there; empty for one capture.
    pub fn files(&self) -> Vec<(usize, Vec<PacketIndex>)> {
        let Some(origins) = &self.origins else {
            return Vec::new();
        };
        let mut files: Vec<(usize, Vec<PacketIndex>)> = Vec::new();
        for o in self.packets.iter().filter_map(|p| origins.of(*p)) {
            match files.iter_mut().find(|(f, _)| *f == o.file) {
                Some((_, list)) => list.push(o.packet),
                None => files.push((o.file, vec![o.packet])),
            }
        }
        files
    }

    /// With several captures merged: the names of the inputs the row's
    /// packets came from, joined by commas (`None` for one capture).
    pub fn file_names(&self) -> Option<String> {
        let origins = self.origins.as_ref()?;
        let names: Vec<&str> = self.files().iter().map(|(f, _)| origins.name(*f)).collect();
        Some(names.join(","))
    }

    /// Whether this is a message: a msgr2 MESSAGE frame or a msgr1 MSG.
    pub fn is_message(&self) -> bool {
        match &self.kind {
            RecordKind::Msgr1(it) => it.msg().is_some(),
            _ => self.frame().is_some_and(|f| f.tag() == Tag::Message),
        }
    }

    /// The msgr1 item, if this row is one.
    pub fn msgr1(&self) -> Option<&crate::msgr1::Item> {
        match &self.kind {
            RecordKind::Msgr1(it) => Some(it),
            _ => None,
        }
    }

    /// Front, middle and data lengths of a message row (msgr2: segments
    /// 1 to 3; msgr1: the header's lengths).
    pub fn sizes(&self) -> Option<[u32; 3]> {
        if !self.is_message() {
            return None;
        }
        match &self.kind {
            RecordKind::Msgr1(it) => Some(it.sizes()),
            _ => {
                let l = self.segment_lens();
                Some([l[1], l[2], l[3]])
            }
        }
    }
}
