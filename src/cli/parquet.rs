//! `-T parquet`: one Parquet row per row of the frame list, its columns
//! the `-T jsonl` keys typed (each a view of the same [`Row`]), plus the
//! entities and reply times the JSON row keeps in its field tree.
//!
//! Written with the `parquet` crate's low-level column writer (no Arrow):
//! rows are gathered column by column, [`ROW_GROUP_ROWS`] at a time, and
//! each batch is written as one row group by a thread of its own while
//! the next is gathered, so memory stays bounded (two batches) whatever
//! the capture's size. Pages are Snappy-compressed, dictionary encoded
//! where that pays (the writer's defaults).
//!
//! Nested values follow the Parquet format's LogicalTypes.md: a list is
//! `<group> (LIST) { repeated group list { <element> } }`; each leaf's
//! definition level counts the optional and repeated fields present on its
//! path, its repetition level says at which list a value starts a new
//! element.

use super::row::{CheckRow, ProblemRow, Row};
use bytes::Bytes;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedRowGroupWriter;
use std::borrow::Cow;
use std::io::Write;

#[path = "parquet_writer.rs"]
mod writer;
pub use writer::{ParquetFile, ParquetWriter};

/// Rows per row group: the rows held in memory before they are written.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The file's schema (its columns are described in the README).
pub const SCHEMA: &str = "
message cephshark_row {
  required int64 frame;
  required int64 time (TIMESTAMP(MICROS,true));
  required int64 time_ns;
  required double time_relative;
  required binary src (STRING);
  required binary dst (STRING);
  required int32 conn (INTEGER(32,false));
  required binary dir (STRING);
  required binary proto (STRING);
  required binary tag (STRING);
  required group segments (LIST) {
    repeated group list { required int32 element (INTEGER(32,false)); }
  }
  required binary status (STRING);
  required int64 offset;
  required int64 len;
  required group packets (LIST) {
    repeated group list { required int64 element; }
  }
  optional group file (LIST) {
    repeated group list { required binary element (STRING); }
  }
  optional binary rev (STRING);
  optional binary mode (STRING);
  optional int32 flags (INTEGER(8,false));
  optional int32 late (INTEGER(8,false));
  optional group checks (LIST) {
    repeated group list {
      required group element {
        required binary check (STRING);
        required int64 offset;
        required int32 stored (INTEGER(32,false));
        required int32 computed (INTEGER(32,false));
        required binary status (STRING);
      }
    }
  }
  optional int32 footer_flags (INTEGER(8,false));
  optional int64 supported (INTEGER(64,false));
  optional int64 required (INTEGER(64,false));
  optional int32 msg_type (INTEGER(16,false));
  optional binary msg_name (STRING);
  optional int64 seq (INTEGER(64,false));
  optional int64 tid (INTEGER(64,false));
  optional int64 ack_seq (INTEGER(64,false));
  optional group sizes {
    required int32 front (INTEGER(32,false));
    required int32 middle (INTEGER(32,false));
    required int32 data (INTEGER(32,false));
  }
  required group problem_kinds (LIST) {
    repeated group list { required binary element (STRING); }
  }
  optional group problems (LIST) {
    repeated group list {
      required group element {
        required binary kind (STRING);
        required binary severity (STRING);
        required binary field (STRING);
        required int64 offset;
        required int64 len;
        required int64 packet;
        required binary expected (STRING);
        required binary found (STRING);
      }
    }
  }
  optional binary src_entity (STRING);
  optional binary dst_entity (STRING);
  optional binary src_entity_type (STRING);
  optional binary dst_entity_type (STRING);
  optional int64 request_frame;
  optional int64 latency_ns;
  optional int64 keepalive_frame;
  optional int64 keepalive_rtt_ns;
}
";

/// One leaf column's values and levels for the rows gathered.
struct Leaf<D: DataType> {
    values: Vec<D::T>,
    def: Vec<i16>,
    rep: Vec<i16>,
}

impl<D: DataType> Default for Leaf<D> {
    fn default() -> Self {
        Leaf {
            values: Vec::new(),
            def: Vec::new(),
            rep: Vec::new(),
        }
    }
}

impl<D: DataType> Leaf<D> {
    /// A required value.
    fn req(&mut self, v: D::T) {
        self.values.push(v);
    }

    /// An optional value, or null.
    fn opt(&mut self, v: Option<D::T>) {
        match v {
            Some(v) => {
                self.def.push(1);
                self.values.push(v);
            }
            None => self.def.push(0),
        }
    }

    /// A list's elements (`None`: a null list). `nullable`: the list is
    /// an optional field (its elements are then at definition level 2).
    fn list<I: IntoIterator<Item = D::T>>(&mut self, items: Option<I>, nullable: bool) {
        let base = i16::from(nullable);
        let Some(items) = items else {
            self.def.push(0);
            self.rep.push(0);
            return;
        };
        let mut rep = 0;
        for v in items {
            self.def.push(base + 1);
            self.rep.push(rep);
            self.values.push(v);
            rep = 1;
        }
        if rep == 0 {
            // An empty list.
            self.def.push(base);
            self.rep.push(0);
        }
    }

    /// Write the gathered values as the row group's next column, which
    /// must be the one at `path`.
    fn write<W: Write + Send>(
        &mut self,
        rg: &mut SerializedRowGroupWriter<'_, W>,
        path: &str,
    ) -> Result<()> {
        let Some(mut col) = rg.next_column()? else {
            return Err(ParquetError::General(format!("no column for {path}")));
        };
        let w = col.typed::<D>();
        let at = w.get_descriptor().path().string();
        if at != path {
            return Err(ParquetError::General(format!(
                "column {at} where {path} was expected"
            )));
        }
        let def = (!self.def.is_empty()).then_some(&self.def[..]);
        let rep = (!self.rep.is_empty()).then_some(&self.rep[..]);
        w.write_batch(&self.values, def, rep)?;
        col.close()?;
        self.values.clear();
        self.def.clear();
        self.rep.clear();
        Ok(())
    }
}

/// Every leaf column, in the schema's order, with its path there.
macro_rules! columns {
    ($($name:ident: $ty:ty = $path:literal,)*) => {
        #[derive(Default)]
        struct Columns { $($name: Leaf<$ty>,)* }

        /// The path of every leaf column of [`SCHEMA`], in order (a
        /// nested value's leaves are named by their path:
        /// `checks.list.element.check`).
        pub const LEAVES: &[&str] = &[$($path,)*];

        impl Columns {
            fn write<W: Write + Send>(
                &mut self,
                rg: &mut SerializedRowGroupWriter<'_, W>,
            ) -> Result<()> {
                $(self.$name.write(rg, $path)?;)*
                Ok(())
            }
        }
    };
}

columns! {
    frame: Int64Type = "frame",
    time: Int64Type = "time",
    time_ns: Int64Type = "time_ns",
    time_relative: DoubleType = "time_relative",
    src: ByteArrayType = "src",
    dst: ByteArrayType = "dst",
    conn: Int32Type = "conn",
    dir: ByteArrayType = "dir",
    proto: ByteArrayType = "proto",
    tag: ByteArrayType = "tag",
    segments: Int32Type = "segments.list.element",
    status: ByteArrayType = "status",
    offset: Int64Type = "offset",
    len: Int64Type = "len",
    packets: Int64Type = "packets.list.element",
    file: ByteArrayType = "file.list.element",
    rev: ByteArrayType = "rev",
    mode: ByteArrayType = "mode",
    flags: Int32Type = "flags",
    late: Int32Type = "late",
    check: ByteArrayType = "checks.list.element.check",
    check_offset: Int64Type = "checks.list.element.offset",
    check_stored: Int32Type = "checks.list.element.stored",
    check_computed: Int32Type = "checks.list.element.computed",
    check_status: ByteArrayType = "checks.list.element.status",
    footer_flags: Int32Type = "footer_flags",
    supported: Int64Type = "supported",
    required: Int64Type = "required",
    msg_type: Int32Type = "msg_type",
    msg_name: ByteArrayType = "msg_name",
    seq: Int64Type = "seq",
    tid: Int64Type = "tid",
    ack_seq: Int64Type = "ack_seq",
    size_front: Int32Type = "sizes.front",
    size_middle: Int32Type = "sizes.middle",
    size_data: Int32Type = "sizes.data",
    problem_kinds: ByteArrayType = "problem_kinds.list.element",
    problem_kind: ByteArrayType = "problems.list.element.kind",
    problem_severity: ByteArrayType = "problems.list.element.severity",
    problem_field: ByteArrayType = "problems.list.element.field",
    problem_offset: Int64Type = "problems.list.element.offset",
    problem_len: Int64Type = "problems.list.element.len",
    problem_packet: Int64Type = "problems.list.element.packet",
    problem_expected: ByteArrayType = "problems.list.element.expected",
    problem_found: ByteArrayType = "problems.list.element.found",
    src_entity: ByteArrayType = "src_entity",
    dst_entity: ByteArrayType = "dst_entity",
    src_entity_type: ByteArrayType = "src_entity_type",
    dst_entity_type: ByteArrayType = "dst_entity_type",
    request_frame: Int64Type = "request_frame",
    latency_ns: Int64Type = "latency_ns",
    keepalive_frame: Int64Type = "keepalive_frame",
    keepalive_rtt_ns: Int64Type = "keepalive_rtt_ns",
}

/// The leaves written without a dictionary: values that seldom repeat
/// (times, positions, packet numbers, ids), where filling one would only
/// cost a hash of every value.
pub const PLAIN: &[&str] = &[
    "frame",
    "time",
    "time_ns",
    "time_relative",
    "offset",
    "packets.list.element",
    "checks.list.element.offset",
    "checks.list.element.stored",
    "checks.list.element.computed",
    "seq",
    "tid",
    "ack_seq",
    "problems.list.element.offset",
    "problems.list.element.packet",
    "request_frame",
    "latency_ns",
    "keepalive_frame",
    "keepalive_rtt_ns",
];

/// A string that lives as long as the program: no copy.
fn stat(s: &'static str) -> ByteArray {
    ByteArray::from(Bytes::from_static(s.as_bytes()))
}

/// The strings of the rows gathered, each copied once: a repeated value
/// (an address, a tag, an entity) is shared by its rows. Emptied with each
/// row group, so it never holds more than one group's distinct values.
#[derive(Default)]
struct Strings {
    seen: crate::fastmap::Map<Box<str>, ByteArray>,
    /// Addresses, formatted once.
    addrs: crate::fastmap::Map<std::net::SocketAddr, ByteArray>,
}

impl Strings {
    /// The value for `s`.
    fn get(&mut self, s: &str) -> ByteArray {
        if let Some(b) = self.seen.get(s) {
            return b.clone();
        }
        let b = ByteArray::from(Bytes::copy_from_slice(s.as_bytes()));
        self.seen.insert(s.into(), b.clone());
        b
    }

    /// The value for `s`, borrowed for good or the row's own.
    // A `&str` would not tell a static string from the row's own.
    #[allow(clippy::ptr_arg)]
    fn cow(&mut self, s: &Cow<'static, str>) -> ByteArray {
        match s {
            Cow::Borrowed(s) => stat(s),
            Cow::Owned(s) => self.get(s),
        }
    }

    /// An address as `ip:port`.
    fn addr(&mut self, a: &std::net::SocketAddr) -> ByteArray {
        if let Some(b) = self.addrs.get(a) {
            return b.clone();
        }
        let b = ByteArray::from(a.to_string().into_bytes());
        self.addrs.insert(*a, b.clone());
        b
    }

    /// Forget the values (a row group was written).
    fn clear(&mut self) {
        self.seen.clear();
        self.addrs.clear();
    }
}

/// A count or offset as Parquet's signed INT64 (none comes near 2^63).
fn long(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// An unsigned 64-bit wire value, stored as its bits (the column's
/// logical type says unsigned).
fn bits64(v: u64) -> i64 {
    v as i64
}

/// An unsigned 32-bit value, stored as its bits (logical type unsigned).
fn bits32(v: u32) -> i32 {
    v as i32
}

impl Columns {
    /// Gather one row.
    fn add(&mut self, r: Row<'_>, st: &mut Strings) {
        self.frame.req(long(r.frame));
        let ns = r.time_ns();
        self.time.req(ns.div_euclid(1000));
        self.time_ns.req(ns);
        self.time_relative.req(r.time_relative);
        self.src.req(st.addr(&r.src));
        self.dst.req(st.addr(&r.dst));
        self.conn.req(bits32(r.conn));
        self.dir.req(stat(r.dir));
        self.proto.req(stat(r.proto));
        self.tag.req(st.get(&r.tag));
        self.segments.list(Some(r.segments.map(bits32)), false);
        self.status.req(st.cow(&r.status));
        self.offset.req(long(r.offset));
        self.len.req(long(r.len));
        self.packets
            .list(Some(r.packets.iter().map(|p| long(p.0))), false);
        let files = r.files.as_ref();
        self.file
            .list(files.map(|f| f.iter().map(|s| st.get(s))), true);
        let framing = r.framing.as_ref();
        self.rev.opt(framing.map(|f| stat(f.rev)));
        self.mode.opt(framing.map(|f| stat(f.mode)));
        self.flags.opt(framing.map(|f| i32::from(f.flags)));
        self.late.opt(framing.and_then(|f| f.late).map(i32::from));
        self.add_checks(r.checks.as_deref(), st);
        self.footer_flags.opt(r.footer_flags.map(i32::from));
        self.supported.opt(r.banner.map(|b| bits64(b[0])));
        self.required.opt(r.banner.map(|b| bits64(b[1])));
        let msg = r.msg;
        self.msg_type
            .opt(msg.as_ref().map(|m| i32::from(m.msg_type)));
        self.seq.opt(msg.as_ref().map(|m| bits64(m.seq)));
        self.tid.opt(msg.as_ref().map(|m| bits64(m.tid)));
        self.ack_seq
            .opt(msg.as_ref().and_then(|m| m.ack_seq).map(bits64));
        self.msg_name.opt(msg.map(|m| st.cow(&m.msg_name)));
        match r.sizes {
            Some([front, middle, data]) => {
                self.size_front.opt(Some(bits32(front)));
                self.size_middle.opt(Some(bits32(middle)));
                self.size_data.opt(Some(bits32(data)));
            }
            None => {
                self.size_front.opt(None);
                self.size_middle.opt(None);
                self.size_data.opt(None);
            }
        }
        self.problem_kinds
            .list(Some(r.problem_kinds.iter().map(|k| stat(k))), false);
        self.add_problems(&r.problems, st);
        let [src_entity, dst_entity] = r.entities;
        self.src_entity.opt(src_entity.map(|e| st.get(e)));
        self.dst_entity.opt(dst_entity.map(|e| st.get(e)));
        let [src_type, dst_type] = r.entity_types;
        self.src_entity_type.opt(src_type.map(stat));
        self.dst_entity_type.opt(dst_type.map(stat));
        self.request_frame.opt(r.request.map(|(row, _)| long(row)));
        self.latency_ns.opt(r.request.map(|(_, ns)| long(ns)));
        self.keepalive_frame.opt(r.keepalive_frame.map(long));
        self.keepalive_rtt_ns.opt(r.keepalive_rtt.map(long));
    }

    /// The checks of a frame or msgr1 item: null for other rows.
    fn add_checks(&mut self, checks: Option<&[CheckRow]>, st: &mut Strings) {
        let list = checks;
        self.check
            .list(list.map(|l| l.iter().map(|c| st.cow(&c.check))), true);
        self.check_offset
            .list(list.map(|l| l.iter().map(|c| long(c.offset))), true);
        self.check_stored
            .list(list.map(|l| l.iter().map(|c| bits32(c.stored))), true);
        self.check_computed
            .list(list.map(|l| l.iter().map(|c| bits32(c.computed))), true);
        self.check_status
            .list(list.map(|l| l.iter().map(|c| stat(c.status))), true);
    }

    /// The problems: null when none (as the JSON row has no key then).
    fn add_problems(&mut self, problems: &[ProblemRow], st: &mut Strings) {
        let l = (!problems.is_empty()).then_some(problems);
        self.problem_kind
            .list(l.map(|l| l.iter().map(|p| stat(p.kind()))), true);
        self.problem_severity
            .list(l.map(|l| l.iter().map(|p| stat(p.severity()))), true);
        self.problem_field
            .list(l.map(|l| l.iter().map(|p| stat(p.problem.field))), true);
        self.problem_offset
            .list(l.map(|l| l.iter().map(|p| long(p.problem.offset))), true);
        self.problem_len
            .list(l.map(|l| l.iter().map(|p| long(p.problem.len))), true);
        self.problem_packet
            .list(l.map(|l| l.iter().map(|p| long(p.packet))), true);
        self.problem_expected.list(
            l.map(|l| l.iter().map(|p| st.get(&p.problem.expected))),
            true,
        );
        self.problem_found
            .list(l.map(|l| l.iter().map(|p| st.get(&p.problem.found))), true);
    }
}
