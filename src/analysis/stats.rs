//! Statistics over the rows of a capture (`-z NAME`): conversations, tags,
//! message types, osd_op latency and problems. Computation only; the
//! printers live in `cli::stats`.
//!
//! Memory stays bounded on any capture: counters are per connection, tag,
//! message type or op name; `oplat` keeps only unanswered requests (at
//! most [`MAX_PENDING_OPS`], the rest counted as overflow) and a
//! fixed-size histogram per op name once [`EXACT_SAMPLES`] latencies are
//! seen; `errors` keeps the first [`ERROR_LOCATIONS`] locations per kind.

pub use super::latency::Latency;
use super::record::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::decode::auth::entity_type_name;
use crate::decode::control::Control;
use crate::decode::MsgType;
use crate::model::{FieldNode, Value};
use crate::msgr2::{Mode, ProblemKind, Rev};
use crate::tcp::{ConnId, Direction};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::str::FromStr;

/// Requests `oplat` keeps waiting for their replies.
pub const MAX_PENDING_OPS: usize = 1 << 20;
/// Latencies per op name kept exactly before switching to a histogram.
pub const EXACT_SAMPLES: usize = 1 << 16;
/// Locations `errors` lists per problem kind.
pub const ERROR_LOCATIONS: usize = 5;
/// The field naming an osd_op's first operation, when decoded.
pub const OSD_OP_CODE: &str = "ceph.osd_op.op.code";

const OSD_OP: u16 = 42;
const OSD_OP_REPLY: u16 = 43;

/// One statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    /// Per connection.
    Conv,
    /// Per frame tag.
    Tags,
    /// Per message type and direction.
    Msgs,
    /// osd_op to osd_op_reply latency.
    OpLat,
    /// Problems by kind.
    Errors,
    /// Results of the answers per op.
    Results,
    /// Where each secure direction's key came from.
    Keys,
}

impl StatKind {
    /// Every statistic with its name and description.
    pub const ALL: &'static [(StatKind, &'static str, &'static str)] = &[
        (
            StatKind::Conv,
            "conv",
            "per connection: endpoints, entities, mode, frames and bytes each way, errors",
        ),
        (StatKind::Tags, "tags", "frames and bytes per tag"),
        (
            StatKind::Msgs,
            "msgs",
            "messages and payload bytes per message type and direction",
        ),
        (
            StatKind::OpLat,
            "oplat",
            "osd_op -> osd_op_reply latency per op",
        ),
        (
            StatKind::Errors,
            "errors",
            "every problem, grouped by kind, with its first locations",
        ),
        (
            StatKind::Results,
            "results",
            "results of osd_op_reply and mon_command_ack per op, errno names",
        ),
        (
            StatKind::Keys,
            "keys",
            "per secure connection direction: where its key came from (key file line, keyring and ticket) or why none",
        ),
    ];

    /// The `-z` name.
    pub fn name(self) -> &'static str {
        StatKind::ALL
            .iter()
            .find(|e| e.0 == self)
            .map_or("", |e| e.1)
    }
}

impl FromStr for StatKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        StatKind::ALL
            .iter()
            .find(|e| e.1 == s)
            .map(|e| e.0)
            .ok_or_else(|| {
                let known: Vec<&str> = StatKind::ALL.iter().map(|e| e.1).collect();
                format!("unknown statistic `{s}` (known: {})", known.join(", "))
            })
    }
}

/// One connection's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvRow {
    /// Opening side.
    pub client: SocketAddr,
    /// Accepting side.
    pub server: SocketAddr,
    /// Entity names (`client.4123`, `osd.0`) of client and server, when the
    /// HELLO/IDENT frames' fields give them.
    pub names: [Option<String>; 2],
    /// Mode of the last frame.
    pub mode: Option<Mode>,
    /// Framing revision.
    pub rev: Option<Rev>,
    /// The connection speaks msgr1 (its rows are msgr1 items).
    pub msgr1: bool,
    /// Frames client->server and server->client.
    pub frames: [u64; 2],
    /// Wire bytes of banners and frames each way.
    pub bytes: [u64; 2],
    /// Rows with a problem of warning level or worse.
    pub errors: u64,
    /// Ceph releases of client and server, from their ident features.
    pub releases: [Option<super::interop::Release>; 2],
    /// What the server's COMPRESSION_DONE said, once seen.
    pub compression: Option<crate::msgr2::compress::Done>,
    /// Partial entity name per side: type and number.
    entity: [(Option<String>, Option<String>); 2],
}

/// Count and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counter {
    /// Rows.
    pub count: u64,
    /// Bytes.
    pub bytes: u64,
}

impl Counter {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes = self.bytes.saturating_add(bytes);
    }
}

/// osd_op latency state.
#[derive(Debug, Clone, Default)]
pub struct OpLat {
    /// Latency per op name.
    pub ops: BTreeMap<String, Latency>,
    /// Requests not tracked because [`MAX_PENDING_OPS`] were waiting.
    pub overflow: u64,
    /// Replies whose request was not seen (or not tracked).
    pub orphan_replies: u64,
    /// A request whose tid was already waiting on the same connection.
    pub duplicate_requests: u64,
    pending: HashMap<(ConnId, Direction, u64), (Timestamp, String, u64)>,
}

impl OpLat {
    /// Requests still unanswered.
    pub fn unanswered(&self) -> usize {
        self.pending.len()
    }

    /// Replies paired with their request.
    pub fn paired(&self) -> u64 {
        self.ops.values().map(|l| l.count).sum()
    }

    /// The requests still unanswered: (row, connection, tid, op name, sent
    /// at), in row order.
    pub fn waiting(&self) -> Vec<(u64, ConnId, u64, &str, Timestamp)> {
        let mut v: Vec<_> = self
            .pending
            .iter()
            .map(|((c, _, tid), (ts, name, row))| (*row, *c, *tid, name.as_str(), *ts))
            .collect();
        v.sort_unstable_by_key(|x| x.0);
        v
    }
}

/// One problem's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLoc {
    /// Row.
    pub row: u64,
    /// Connection.
    pub conn: ConnId,
    /// Direction.
    pub dir: Direction,
    /// Packet carrying its first byte.
    pub packet: PacketIndex,
    /// Stream offset.
    pub offset: u64,
    /// Field.
    pub field: &'static str,
    /// Expected and found.
    pub expected: String,
    /// Found.
    pub found: String,
}

/// Problems of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorGroup {
    /// Kind.
    pub kind: ProblemKind,
    /// How many.
    pub count: u64,
    /// The first few.
    pub first: Vec<ErrorLoc>,
}

/// The statistics asked for, fed one row at a time.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Which, in the order asked.
    pub kinds: Vec<StatKind>,
    /// `conv`: per connection.
    pub conv: BTreeMap<ConnId, ConvRow>,
    /// `tags`: per tag name (pseudo tags included).
    pub tags: BTreeMap<String, Counter>,
    /// `msgs`: per message type and direction; bytes are front+middle+data.
    pub msgs: BTreeMap<(MsgType, Direction), Counter>,
    /// `oplat`.
    pub oplat: OpLat,
    /// `errors`: per problem name.
    pub errors: BTreeMap<&'static str, ErrorGroup>,
    /// `results`.
    pub results: super::interop::results::Results,
    op_code_known: bool,
    /// Bytes of the `conv` rows (see [`Stats::memory`]).
    conv_memory: usize,
}

impl Stats {
    /// Collect `kinds` (repeats ignored).
    pub fn new(kinds: &[StatKind]) -> Self {
        let mut k = Vec::new();
        for x in kinds {
            if !k.contains(x) {
                k.push(*x);
            }
        }
        Stats {
            kinds: k,
            op_code_known: crate::analysis::registry::by_abbrev(OSD_OP_CODE).is_some(),
            ..Default::default()
        }
    }

    /// Bytes held per connection, at least: the `conv` rows, each counted
    /// with its share of a B-tree about half full. The other statistics
    /// are bounded by the kinds of tags, messages and problems.
    pub fn memory(&self) -> usize {
        self.conv_memory
    }

    fn wants(&self, k: StatKind) -> bool {
        self.kinds.contains(&k)
    }

    /// Whether [`Stats::add`] reads `r`'s field tree (so a caller that has
    /// built it should pass it).
    pub fn needs_tree(&self, r: &Record) -> bool {
        self.wants(StatKind::OpLat)
            && self.op_code_known
            && r.msg.is_some_and(|h| h.msg_type == OSD_OP)
    }

    /// Count one row; `tree` is its field tree if already built (built
    /// here when needed and not given).
    pub fn add(&mut self, r: &Record, tree: Option<&FieldNode>) {
        let built;
        let tree = match tree {
            Some(t) => Some(t),
            None if self.needs_tree(r) => {
                built = super::record_tree(r);
                Some(&built)
            }
            None => None,
        };
        if self.wants(StatKind::Conv) {
            self.add_conv(r);
        }
        if self.wants(StatKind::Tags) {
            let (_, len) = r.range();
            self.tags.entry(r.tag_name()).or_default().add(len);
        }
        if self.wants(StatKind::Msgs) {
            if let Some(t) = r.msg_type() {
                let l = r.segment_lens();
                let bytes = u64::from(l[1]) + u64::from(l[2]) + u64::from(l[3]);
                self.msgs.entry((t, r.dir)).or_default().add(bytes);
            }
        }
        if self.wants(StatKind::OpLat) {
            self.add_oplat(r, tree);
        }
        if self.wants(StatKind::Errors) {
            self.add_errors(r);
        }
        if self.wants(StatKind::Results) {
            self.results.add(r);
        }
    }

    fn add_conv(&mut self, r: &Record) {
        let (client, server) = match r.dir {
            Direction::ClientToServer => (r.src, r.dst),
            Direction::ServerToClient => (r.dst, r.src),
        };
        let memory = &mut self.conv_memory;
        let row = self.conv.entry(r.conn).or_insert_with(|| {
            *memory = memory.saturating_add(2 * std::mem::size_of::<(ConnId, ConvRow)>());
            ConvRow {
                client,
                server,
                names: [None, None],
                mode: None,
                rev: None,
                msgr1: false,
                frames: [0; 2],
                bytes: [0; 2],
                errors: 0,
                releases: [None, None],
                compression: None,
                entity: Default::default(),
            }
        });
        let i = r.dir.index();
        let (frames, bytes) = match &r.kind {
            RecordKind::Frame(f) => {
                (row.mode, row.rev) = (Some(f.mode), Some(f.rev));
                (1, f.wire_len)
            }
            RecordKind::Msgr1(it) => {
                row.msgr1 = true;
                (1, it.wire_len())
            }
            RecordKind::Banner(b) => (0, b.wire_len()),
            _ => (0, 0),
        };
        if let (Some(n), Some(b)) = (row.frames.get_mut(i), row.bytes.get_mut(i)) {
            *n += frames;
            *b = b.saturating_add(bytes);
        }
        if r.is_faulty() {
            row.errors += 1;
        }
        if let (Some(Control::CompressionDone(d)), Direction::ServerToClient) = (r.control(), r.dir)
        {
            row.compression = Some(super::summary::compression_done(d));
        }
        if let Some(n) = &r.interop {
            let j = r.dir.reverse().index();
            for (k, side) in [(i, n.sender), (j, n.receiver)] {
                if let (Some(x), Some((_, Some(rel)))) = (row.releases.get_mut(k), side) {
                    *x = Some(rel);
                }
            }
        }
        // Entity type from HELLO, gid from the ident frames: the typed
        // values decoded with the row.
        let Some(ent) = row.entity.get_mut(i) else {
            return;
        };
        // A resumed session shows no ident: its rows carry the names of
        // the session's peers.
        if ent.1.is_none() {
            if let (Some(n), Some(name)) = (
                r.session.as_ref().and_then(|s| s.sender_name.as_ref()),
                row.names.get_mut(i),
            ) {
                name.clone_from(&Some(n.clone()));
            }
        }
        match r.control() {
            Some(Control::Hello(h)) => {
                if let Some(t) = entity_type_name(u64::from(h.entity_type.v)) {
                    ent.0 = Some(t.to_string());
                }
            }
            Some(Control::ClientIdent(c)) => ent.1 = Some(gid_text(c.gid.v)),
            Some(Control::ServerIdent(s)) => ent.1 = Some(gid_text(s.gid.v)),
            _ => return,
        }
        if let (Some(name), Some(e)) = (row.names.get_mut(i), row.entity.get(i)) {
            *name = match e {
                (Some(t), Some(g)) => Some(format!("{t}.{g}")),
                (Some(t), None) => Some(t.clone()),
                (None, _) => None,
            };
        }
    }

    fn add_oplat(&mut self, r: &Record, tree: Option<&FieldNode>) {
        let Some(h) = r.msg else { return };
        let o = &mut self.oplat;
        match h.msg_type {
            OSD_OP => {
                let name = tree
                    .and_then(|t| t.find(OSD_OP_CODE))
                    .map(|n| match &n.value {
                        Value::Enum(_, Some(name)) => (*name).to_string(),
                        v => v
                            .as_u64()
                            .map_or_else(|| n.value_text(), |x| format!("op_{x:#x}")),
                    })
                    .unwrap_or_else(|| "osd_op".into());
                let key = (r.conn, r.dir, h.tid);
                if o.pending.contains_key(&key) {
                    o.duplicate_requests += 1;
                } else if o.pending.len() >= MAX_PENDING_OPS {
                    o.overflow += 1;
                    return;
                }
                o.pending.insert(key, (r.ts, name, r.number));
            }
            OSD_OP_REPLY => match o.pending.remove(&(r.conn, r.dir.reverse(), h.tid)) {
                Some((ts, name, _)) => {
                    o.ops.entry(name).or_default().add(elapsed_ns(ts, r.ts));
                }
                None => o.orphan_replies += 1,
            },
            _ => {}
        }
    }

    fn add_errors(&mut self, r: &Record) {
        let first = r.packets.first().copied().unwrap_or_default();
        for (i, p) in r.problems().into_iter().enumerate() {
            let g = self
                .errors
                .entry(p.kind.name())
                .or_insert_with(|| ErrorGroup {
                    kind: p.kind,
                    count: 0,
                    first: Vec::new(),
                });
            g.count += 1;
            if g.first.len() < ERROR_LOCATIONS {
                g.first.push(ErrorLoc {
                    row: r.number,
                    conn: r.conn,
                    dir: r.dir,
                    packet: r.problem_packets.get(i).copied().unwrap_or(first),
                    offset: p.offset,
                    field: p.field,
                    expected: p.expected,
                    found: p.found,
                });
            }
        }
    }
}

/// Nanoseconds from `a` to `b` (0 if `b` is earlier: capture timestamps
/// are not strictly increasing).
fn elapsed_ns(a: Timestamp, b: Timestamp) -> u64 {
    let ns = |t: Timestamp| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
    u64::try_from(ns(b) - ns(a)).unwrap_or(0)
}

/// A gid as Ceph prints it: a negative one is entity_name_t::NEW, `?`.
fn gid_text(gid: i64) -> String {
    if gid < 0 {
        "?".into()
    } else {
        gid.to_string()
    }
}
