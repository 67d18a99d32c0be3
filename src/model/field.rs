//! The field model: one registry of field definitions and one tree of
//! decoded fields behind every output (-V text, JSON, filters, TUI).
//!
//! A [`FieldDef`] is declared once, with a stable filter name (`abbrev`,
//! Wireshark style: `msgr2.preamble.crc`, `ceph.osd_op.oid`), a display
//! name, a value kind and a one-line description. A [`FieldNode`] is one
//! decoded occurrence: its definition, its value, the byte span it came
//! from and its children.

use std::fmt;
use std::ops::Range;

/// The kind of value a field holds; decides how filters compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A subtree with no value of its own (a protocol or structure).
    None,
    /// Unsigned integer (shown in decimal).
    Uint,
    /// Unsigned integer shown in hex (CRCs, flags, cookies, features).
    Hex,
    /// Signed integer.
    Int,
    /// Boolean.
    Bool,
    /// Raw bytes.
    Bytes,
    /// Text.
    Str,
    /// Network address (`ip:port`, or an entity address `v2:ip:port/nonce`).
    Addr,
    /// Time (seconds and nanoseconds).
    Time,
    /// Integer with a name from a table.
    Enum,
}

impl FieldKind {
    /// Lowercase name for `-G fields`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::None => "none",
            FieldKind::Uint => "uint",
            FieldKind::Hex => "hex",
            FieldKind::Int => "int",
            FieldKind::Bool => "bool",
            FieldKind::Bytes => "bytes",
            FieldKind::Str => "string",
            FieldKind::Addr => "address",
            FieldKind::Time => "time",
            FieldKind::Enum => "enum",
        }
    }
}

/// A field definition: declared once, referenced by every decoded node.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldDef {
    /// Filter name, e.g. `msgr2.preamble.crc`.
    pub abbrev: &'static str,
    /// Display name, e.g. `Preamble CRC`.
    pub name: &'static str,
    /// Value kind.
    pub kind: FieldKind,
    /// One-sentence description.
    pub blurb: &'static str,
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (a subtree).
    None,
    /// Unsigned integer.
    Uint(u64),
    /// Signed integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// Bytes.
    Bytes(Vec<u8>),
    /// Text.
    Str(String),
    /// Address in text form.
    Addr(String),
    /// Seconds and nanoseconds.
    Time(i64, u32),
    /// Integer with its name, when the table has one.
    Enum(u64, Option<&'static str>),
}

impl Value {
    /// The value as an unsigned integer, when it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint(v) | Value::Enum(v, _) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            _ => None,
        }
    }
}

/// Where a node's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The frame's bytes as they crossed the wire.
    Wire,
    /// The frame's decrypted bytes (secure mode).
    Decrypted,
    /// The frame's decompressed segments (behind its preamble), for a
    /// frame sent compressed.
    Decompressed,
}

/// A byte span within a frame's bytes (`Frame::data`): wire bytes in crc
/// mode, decrypted bytes in secure mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    /// Which bytes.
    pub source: Source,
    /// The range within them.
    pub range: Range<usize>,
}

/// One decoded field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldNode {
    /// Its definition.
    pub def: &'static FieldDef,
    /// Its value.
    pub value: Value,
    /// Its bytes; `None` for a generated field (derived, not on the wire).
    pub span: Option<Span>,
    /// Sub-fields, in byte order.
    pub children: Vec<FieldNode>,
    /// Text shown instead of the plain value (e.g. `osd_op(client.4123.0:7 ...)`).
    pub summary: Option<String>,
}

impl FieldNode {
    /// A node with a value and span.
    pub fn new(def: &'static FieldDef, value: Value, span: Option<Span>) -> Self {
        FieldNode {
            def,
            value,
            span,
            children: Vec::new(),
            summary: None,
        }
    }

    /// Every node of the tree, depth first, this one included.
    pub fn walk(&self) -> Vec<&FieldNode> {
        let mut out = Vec::new();
        let mut todo = vec![self];
        while let Some(n) = todo.pop() {
            out.push(n);
            todo.extend(n.children.iter().rev());
        }
        out
    }

    /// The first node with this abbrev in the tree (depth first).
    pub fn find(&self, abbrev: &str) -> Option<&FieldNode> {
        let mut todo = vec![self];
        while let Some(n) = todo.pop() {
            if n.def.abbrev == abbrev {
                return Some(n);
            }
            todo.extend(n.children.iter().rev());
        }
        None
    }

    /// Levels of nodes in the tree: 1 for a leaf. Decoders build trees of
    /// bounded depth (`tree::MAX_NESTING` levels per builder).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 1usize)];
        while let Some((n, d)) = todo.pop() {
            deepest = deepest.max(d);
            todo.extend(n.children.iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    /// The value as display text.
    pub fn value_text(&self) -> String {
        match &self.value {
            Value::None => String::new(),
            Value::Uint(v) if self.def.kind == FieldKind::Hex => format!("{v:#x}"),
            Value::Uint(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Bytes(b) => hex(b),
            Value::Str(s) => s.clone(),
            Value::Addr(a) => a.clone(),
            Value::Time(s, n) => format!("{s}.{n:09}"),
            Value::Enum(v, Some(name)) => format!("{name} ({v})"),
            Value::Enum(v, None) => format!("unknown ({v})"),
        }
    }
}

/// Bytes as lowercase hex, shortened past 64 bytes.
pub fn hex(b: &[u8]) -> String {
    let shown = b.get(..64).unwrap_or(b);
    let mut s: String = shown.iter().map(|x| format!("{x:02x}")).collect();
    if b.len() > shown.len() {
        s.push_str(&format!("... ({} bytes)", b.len()));
    }
    s
}

impl fmt::Display for FieldNode {
    /// `Name: value` (or the summary), as the -V tree shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.summary, &self.value) {
            (Some(s), _) => write!(f, "{}: {s}", self.def.name),
            (None, Value::None) => f.write_str(self.def.name),
            (None, _) => write!(f, "{}: {}", self.def.name, self.value_text()),
        }
    }
}

/// Declare field definitions as statics and list them in `ALL`.
#[macro_export]
macro_rules! fields {
    ($( $id:ident = $abbrev:literal, $name:literal, $kind:ident, $blurb:literal; )*) => {
        $(
            #[doc = $blurb]
            pub static $id: $crate::model::FieldDef = $crate::model::FieldDef {
                abbrev: $abbrev,
                name: $name,
                kind: $crate::model::FieldKind::$kind,
                blurb: $blurb,
            };
        )*
        /// Every field this module declares.
        pub static ALL: &[&$crate::model::FieldDef] = &[ $( &$id, )* ];
    };
}
