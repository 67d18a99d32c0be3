//! Entity addresses and names (msg_types.h, msg_types.cc; RESEARCH.md A10).
//!
//! `entity_addr_t`, versioned form (marker 1, what msgr2 frames carry):
//!
//! ```text
//!  u8 marker=1 | u8 struct_v | u8 compat | le32 struct_len |
//!     le32 type | le32 nonce | le32 elen | elen bytes of sockaddr
//!  sockaddr: le16 family | be16 port | 4 bytes IPv4 + 8 zero     (AF_INET,  elen 16)
//!                        | be16 port | be32 flowinfo | 16 bytes IPv6 | le32 scope_id (AF_INET6, elen 28)
//! ```
//!
//! Legacy form (marker 0, pre-MSG_ADDR2 peers): `le32 0` (the marker and
//! three more zero bytes), `le32 nonce`, then a 128-byte `sockaddr_storage`
//! whose family is big-endian. `entity_addrvec_t` is `u8 2, le32 count,
//! count x entity_addr_t`, or a single address in either form (marker 0 or 1).
//! `EntityName` (auth) is `le32 type, string id`; `entity_name_t` is
//! `u8 type, le64 num`.
//!
//! Ceph refuses (`malformed_input`): an address marker other than 0 or 1,
//! an addrvec marker above 2, a sockaddr length of 1, and one longer than
//! the sockaddr of its family (msg_types.h `entity_addr_t::decode`,
//! msg_types.cc `entity_addrvec_t::decode`). Types, families and entity
//! types are taken as they come.
//!
//! This file holds the typed values (parse, encode, Ceph's text form) and
//! the field definitions; `addr_tree.rs` builds their field trees.

pub use super::addr_tree::{addr_nodes, addrvec_nodes, entity_name_nodes, name_t_nodes};
pub use super::entity::{addrvec, entity_name, name_t, AddrVec, EntityName, EntityNameT, NameT};
use super::grammar::prim::{le16, le32, length, raw, refuse, u8_};
use super::grammar::{note, offset, DencError, Fault, In, Note, NoteKind, PResult, Sp};
use crate::fields;
use nom::Input;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

fields! {
    ADDR = "ceph.addr", "Entity address", Addr, "An entity_addr_t, shown as Ceph prints it (v2:ip:port/nonce).";
    MARKER = "ceph.addr.marker", "Marker", Uint, "1: versioned encoding; 0: legacy encoding (msg_types.h).";
    STRUCT_V = "ceph.addr.struct_v", "Struct version", Uint, "Encoding version of the versioned form.";
    STRUCT_COMPAT = "ceph.addr.struct_compat", "Struct compat", Uint, "Oldest encoding version able to decode it.";
    STRUCT_LEN = "ceph.addr.struct_len", "Struct length", Uint, "Bytes of the versioned body that follows.";
    TYPE = "ceph.addr.type", "Type", Enum, "Address type: none, legacy (msgr1), msgr2, any, cidr.";
    NONCE = "ceph.addr.nonce", "Nonce", Uint, "Per-process random value telling instances at one address apart.";
    SOCKADDR_LEN = "ceph.addr.sockaddr_len", "Sockaddr length", Uint, "Bytes of the sockaddr that follows (16 IPv4, 28 IPv6).";
    FAMILY = "ceph.addr.family", "Family", Enum, "Address family (Linux AF_*: 2 inet, 10 inet6).";
    PORT = "ceph.addr.port", "Port", Uint, "TCP port (network byte order on the wire).";
    IP = "ceph.addr.ip", "IP", Addr, "IPv4 or IPv6 address.";
    FLOWINFO = "ceph.addr.flowinfo", "Flow info", Hex, "sin6_flowinfo of an IPv6 sockaddr.";
    SCOPE_ID = "ceph.addr.scope_id", "Scope id", Uint, "sin6_scope_id of an IPv6 sockaddr (host byte order).";
    PADDING = "ceph.addr.padding", "Padding", Bytes, "Unused sockaddr bytes (sin_zero, rest of sockaddr_storage).";
    SOCKADDR_DATA = "ceph.addr.sockaddr_data", "Sockaddr data", Bytes, "Sockaddr bytes of an unknown family or length.";
    LEGACY_PAD = "ceph.addr.legacy_pad", "Legacy header", Bytes, "The three bytes after a legacy address's zero marker (zero).";
    EXTRA = "ceph.addr.extra", "Newer fields", Bytes, "Bytes of the versioned body past the known fields; Ceph skips them.";
    ADDRVEC = "ceph.addrvec", "Entity address vector", Str, "An entity_addrvec_t: the addresses of one entity.";
    ADDRVEC_MARKER = "ceph.addrvec.marker", "Marker", Uint, "2: vector; 1 or 0: a single address in that form.";
    ADDRVEC_COUNT = "ceph.addrvec.count", "Count", Uint, "Number of addresses.";
    ENTITY_NAME = "ceph.entity_name", "Entity name", Str, "An auth EntityName (type.id, e.g. client.admin).";
    ENTITY_NAME_TYPE = "ceph.entity_name.type", "Type", Enum, "Entity type (CEPH_ENTITY_TYPE_*).";
    ENTITY_NAME_ID = "ceph.entity_name.id", "Id", Str, "Entity id (the part after the dot).";
    NAME = "ceph.name", "Name", Str, "An entity_name_t (type.num, e.g. client.4123).";
    NAME_TYPE = "ceph.name.type", "Type", Enum, "Entity type (CEPH_ENTITY_TYPE_*).";
    NAME_NUM = "ceph.name.num", "Number", Int, "Entity number (global id for clients, id for daemons; -1 new).";
}

/// entity_addr_t::TYPE_NONE (msg_types.h).
pub const TYPE_NONE: u32 = 0;
/// TYPE_LEGACY: msgr1.
pub const TYPE_LEGACY: u32 = 1;
/// TYPE_MSGR2.
pub const TYPE_MSGR2: u32 = 2;
/// TYPE_ANY.
pub const TYPE_ANY: u32 = 3;
/// TYPE_CIDR.
pub const TYPE_CIDR: u32 = 4;

/// Linux AF_UNSPEC.
pub const AF_UNSPEC: u16 = 0;
/// Linux AF_INET.
pub const AF_INET: u16 = 2;
/// Linux AF_INET6.
pub const AF_INET6: u16 = 10;
/// sizeof(sockaddr_in) on Linux.
pub const SOCKADDR_IN_LEN: usize = 16;
/// sizeof(sockaddr_in6) on Linux.
pub const SOCKADDR_IN6_LEN: usize = 28;
/// sizeof(sockaddr_storage): the legacy form's address field.
pub const SOCKADDR_STORAGE_LEN: usize = 128;

/// Name of an entity_addr_t type, for enum fields.
pub fn addr_type_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "none",
        1 => "legacy",
        2 => "msgr2",
        3 => "any",
        4 => "cidr",
        _ => return None,
    })
}

/// Name of an address family, for enum fields.
pub fn family_name(v: u64) -> Option<&'static str> {
    Some(match v {
        0 => "unspec",
        2 => "inet",
        10 => "inet6",
        _ => return None,
    })
}

/// Largest sockaddr Ceph's `entity_addr_t` holds (the union of sockaddr,
/// sockaddr_in and sockaddr_in6 on Linux): `get_sockaddr_len()` of a
/// family other than inet or inet6.
pub const SOCKADDR_MAX_LEN: usize = SOCKADDR_IN6_LEN;

/// Fewest bytes an encoded address takes (marker, ENCODE_START header,
/// type, nonce, sockaddr length): a count of addresses is held to it.
pub const MIN_ADDR_LEN: usize = 19;

/// The sockaddr part of an address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SockAddr {
    /// No sockaddr bytes (elen 0).
    #[default]
    Empty,
    /// AF_INET.
    V4 {
        /// Address.
        ip: Ipv4Addr,
        /// Port.
        port: u16,
    },
    /// AF_INET6.
    V6 {
        /// Address.
        ip: Ipv6Addr,
        /// Port.
        port: u16,
        /// sin6_flowinfo.
        flowinfo: u32,
        /// sin6_scope_id.
        scope_id: u32,
    },
    /// Another family, or a length that fits no known layout.
    Other {
        /// sa_family.
        family: u16,
        /// The bytes after the family.
        data: Vec<u8>,
    },
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        out.copy_from_slice(s);
    }
    out
}

impl SockAddr {
    /// Family number.
    pub fn family(&self) -> u16 {
        match self {
            SockAddr::Empty => AF_UNSPEC,
            SockAddr::V4 { .. } => AF_INET,
            SockAddr::V6 { .. } => AF_INET6,
            SockAddr::Other { family, .. } => *family,
        }
    }

    /// The bytes after the family, as Linux lays them out.
    fn data(&self) -> Vec<u8> {
        let mut d = Vec::new();
        match self {
            SockAddr::Empty => {}
            SockAddr::V4 { ip, port } => {
                d.extend_from_slice(&port.to_be_bytes());
                d.extend_from_slice(&ip.octets());
                d.extend_from_slice(&[0; 8]);
            }
            SockAddr::V6 {
                ip,
                port,
                flowinfo,
                scope_id,
            } => {
                d.extend_from_slice(&port.to_be_bytes());
                d.extend_from_slice(&flowinfo.to_be_bytes());
                d.extend_from_slice(&ip.octets());
                d.extend_from_slice(&scope_id.to_le_bytes());
            }
            SockAddr::Other { data, .. } => d.extend_from_slice(data),
        }
        d
    }

    /// The sockaddr of `family` whose bytes after the family are `data`:
    /// inet and inet6 when the length is theirs (or, `storage`, when the
    /// 126 bytes of a legacy sockaddr_storage hold them).
    fn from_parts(family: u16, data: &[u8], storage: bool) -> SockAddr {
        let fits = |n: usize| data.len() + 2 == n || (storage && data.len() + 2 >= n);
        match family {
            AF_INET if fits(SOCKADDR_IN_LEN) => SockAddr::V4 {
                ip: Ipv4Addr::from(arr::<4>(data, 2)),
                port: u16::from_be_bytes(arr(data, 0)),
            },
            AF_INET6 if fits(SOCKADDR_IN6_LEN) => SockAddr::V6 {
                ip: Ipv6Addr::from(arr::<16>(data, 6)),
                port: u16::from_be_bytes(arr(data, 0)),
                flowinfo: u32::from_be_bytes(arr(data, 2)),
                scope_id: u32::from_le_bytes(arr(data, 22)),
            },
            AF_UNSPEC if storage => SockAddr::Empty,
            _ => SockAddr::Other {
                family,
                data: data.to_vec(),
            },
        }
    }
}

impl fmt::Display for SockAddr {
    /// As Ceph's `operator<<(ostream&, const sockaddr*)` (msg_types.cc).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::V4 { ip, port } => write!(f, "{ip}:{port}"),
            SockAddr::V6 { ip, port, .. } => write!(f, "[{ip}]:{port}"),
            other => write!(f, "(unrecognized address family {})", other.family()),
        }
    }
}

/// How an address sat on the wire: the bytes of its encoding that are not
/// part of its value. Two addresses with the same value are equal however
/// they were encoded.
#[derive(Debug, Clone, Default)]
pub struct AddrWire {
    /// The marker (empty span inside an addrvec whose marker it shares).
    pub marker: Sp<u8>,
    /// The legacy form (marker 0).
    pub legacy: bool,
    /// ENCODE_START struct_v.
    pub struct_v: Sp<u8>,
    /// ENCODE_START struct_compat.
    pub compat: Sp<u8>,
    /// ENCODE_START struct_len.
    pub struct_len: Sp<u32>,
    /// The legacy form's three bytes after the marker.
    pub legacy_pad: Sp<Vec<u8>>,
    /// The sockaddr's length (versioned form).
    pub elen: Sp<u32>,
    /// The sockaddr's family.
    pub family: Sp<u16>,
    /// The sockaddr's bytes after the family.
    pub data: Sp<Vec<u8>>,
    /// Bytes inside struct_len past the known fields (Ceph skips them).
    pub extra: Sp<Vec<u8>>,
    /// Every field decoded.
    pub done: bool,
}

impl PartialEq for AddrWire {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for AddrWire {}

/// A decoded `entity_addr_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityAddr {
    /// TYPE_* value.
    pub addr_type: Sp<u32>,
    /// Nonce.
    pub nonce: Sp<u32>,
    /// The socket address.
    pub sockaddr: SockAddr,
    /// Its encoding.
    pub wire: AddrWire,
}

/// End of buffer at a length field `sp` of `def` that claims more bytes
/// than `left`.
fn past<T>(def: &'static crate::model::FieldDef, sp: &Sp<T>, want: u64, left: usize) -> DencError {
    DencError::new(
        Fault::EndOfBuffer,
        sp.at,
        format!("a length of at most {left}"),
        format!("{want} ({left} bytes left)"),
    )
    .spanning(sp.len)
    .label(def.abbrev)
}

impl EntityAddr {
    /// An address by value.
    pub fn new(addr_type: u32, nonce: u32, sockaddr: SockAddr) -> Self {
        EntityAddr {
            addr_type: Sp::new(addr_type),
            nonce: Sp::new(nonce),
            sockaddr,
            wire: AddrWire::default(),
        }
    }

    /// A msgr2 IPv4 address.
    pub fn v2(ip: Ipv4Addr, port: u16, nonce: u32) -> Self {
        Self::new(TYPE_MSGR2, nonce, SockAddr::V4 { ip, port })
    }

    /// `ip:port` without type and nonce (empty when not IP).
    pub fn ip_port(&self) -> String {
        match &self.sockaddr {
            SockAddr::V4 { .. } | SockAddr::V6 { .. } => self.sockaddr.to_string(),
            _ => String::new(),
        }
    }

    /// `entity_addr_t::decode` (msg_types.h): the marker, then either form.
    /// Fills `self` as far as the bytes go.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, m) = u8_(&MARKER)(i)?;
        self.wire.marker = m.clone();
        self.after_marker(&MARKER, &m, i)
    }

    /// The address after its marker `m` (field `def`): an addrvec's marker
    /// 0 or 1 is its single address's own.
    pub fn after_marker<'a>(
        &mut self,
        def: &'static crate::model::FieldDef,
        m: &Sp<u8>,
        i: In<'a>,
    ) -> PResult<'a, ()> {
        match m.v {
            0 => self.legacy(i),
            1 => self.versioned(i),
            // msg_types.h entity_addr_t::decode: "entity_addr_t marker != 1".
            v => refuse(def, m, "0 (legacy) or 1 (versioned)", v.to_string()),
        }
    }

    fn versioned<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, v) = u8_(&STRUCT_V)(i)?;
        self.wire.struct_v = v;
        let (i, c) = u8_(&STRUCT_COMPAT)(i)?;
        self.wire.compat = c.clone();
        if c.v > 1 {
            // DECODE_START(1, bl): struct_compat above 1 -> malformed_input.
            return DencError::new(
                Fault::CompatTooNew,
                c.at,
                "struct_compat <= 1",
                c.v.to_string(),
            )
            .label(STRUCT_COMPAT.abbrev)
            .fail();
        }
        let (i, len) = length(&STRUCT_LEN)(i)?;
        self.wire.struct_len = len.clone();
        let (rest, body) = i.take_split(usize::try_from(len.v).unwrap_or(usize::MAX));
        let (left, ()) = self.body(body)?;
        let n = left.input_len();
        if n > 0 {
            let at = offset(&left);
            note(
                &left,
                Note {
                    kind: NoteKind::Extra,
                    offset: at,
                    len: n,
                    field: ADDR.abbrev,
                    expected: format!("fields of struct_v {}", self.wire.struct_v.v),
                    found: format!("{n} more bytes"),
                },
            );
            self.wire.extra = Sp {
                v: left.fragment().to_vec(),
                at,
                len: n,
            };
        }
        self.wire.done = true;
        Ok((rest, ()))
    }

    fn body<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, t) = le32(&TYPE)(i)?;
        self.addr_type = t;
        let (i, n) = le32(&NONCE)(i)?;
        self.nonce = n;
        let (i, elen) = le32(&SOCKADDR_LEN)(i)?;
        self.wire.elen = elen.clone();
        if elen.v == 0 {
            self.sockaddr = SockAddr::Empty;
            return Ok((i, ()));
        }
        if elen.v < 2 {
            // msg_types.h: "elen smaller than family len".
            return refuse(&SOCKADDR_LEN, &elen, "0, or 2 and more", elen.v.to_string());
        }
        let (i, fam) = le16(&FAMILY)(i)?;
        self.wire.family = fam.clone();
        let max = match fam.v {
            AF_INET => SOCKADDR_IN_LEN,
            AF_INET6 => SOCKADDR_IN6_LEN,
            _ => SOCKADDR_MAX_LEN,
        };
        let want = usize::try_from(elen.v).unwrap_or(usize::MAX);
        if want > max {
            // msg_types.h: "elen exceeds sockaddr len" (get_sockaddr_len()).
            return refuse(
                &SOCKADDR_LEN,
                &elen,
                format!("at most {max} for family {}", fam.v),
                elen.v.to_string(),
            );
        }
        let dlen = want.saturating_sub(2);
        if dlen > i.input_len() {
            return Err(nom::Err::Failure(past(
                &SOCKADDR_LEN,
                &elen,
                u64::from(elen.v),
                i.input_len().saturating_add(2),
            )));
        }
        let (i, d) = raw(&SOCKADDR_DATA, dlen)(i)?;
        self.sockaddr = SockAddr::from_parts(fam.v, d.v, false);
        self.wire.data = Sp {
            v: d.v.to_vec(),
            at: d.at,
            len: d.len,
        };
        Ok((i, ()))
    }

    /// msg_types.h decode_legacy_addr_after_marker: u8, le16, le32 nonce,
    /// then a 128-byte sockaddr_storage copied whole, its family big-endian.
    fn legacy<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        self.wire.legacy = true;
        let (i, pad) = raw(&LEGACY_PAD, 3)(i)?;
        self.wire.legacy_pad = Sp {
            v: pad.v.to_vec(),
            at: pad.at,
            len: pad.len,
        };
        let (i, n) = le32(&NONCE)(i)?;
        self.nonce = n;
        let (i, ss) = raw(&FAMILY, SOCKADDR_STORAGE_LEN)(i)?;
        let fam = u16::from_be_bytes(arr(ss.v, 0));
        let data = ss.v.get(2..).unwrap_or(&[]);
        self.wire.family = Sp {
            v: fam,
            at: ss.at,
            len: 2,
        };
        self.wire.data = Sp {
            v: data.to_vec(),
            at: ss.at.saturating_add(2),
            len: data.len(),
        };
        self.sockaddr = SockAddr::from_parts(fam, data, true);
        // The legacy decoder sets TYPE_LEGACY whatever the family.
        self.addr_type = Sp::new(TYPE_LEGACY);
        self.wire.done = true;
        Ok((i, ()))
    }

    /// Encode in the versioned form (marker 1), as msgr2 frames do.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        body.extend_from_slice(&self.addr_type.v.to_le_bytes());
        body.extend_from_slice(&self.nonce.v.to_le_bytes());
        let mut sa = Vec::new();
        if self.sockaddr != SockAddr::Empty {
            sa.extend_from_slice(&self.sockaddr.family().to_le_bytes());
            sa.extend_from_slice(&self.sockaddr.data());
        }
        put_bl(&mut body, &sa);
        out.extend_from_slice(&[1, 1, 1]);
        put_bl(out, &body);
    }

    /// Encode in the legacy form (marker 0, 136 bytes).
    pub fn encode_legacy(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.nonce.v.to_le_bytes());
        let mut ss = Vec::with_capacity(SOCKADDR_STORAGE_LEN);
        ss.extend_from_slice(&self.sockaddr.family().to_be_bytes());
        ss.extend_from_slice(&self.sockaddr.data());
        ss.resize(SOCKADDR_STORAGE_LEN, 0);
        out.extend_from_slice(&ss);
    }
}

/// A le32 length and the bytes (a bufferlist or string).
pub fn put_bl(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(b);
}

impl fmt::Display for EntityAddr {
    /// As Ceph's `operator<<(ostream&, const entity_addr_t&)` (msg_types.cc):
    /// `-` for none, no prefix for any, else `v1:`/`v2:`/`cidr:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.addr_type.v {
            TYPE_NONE => return f.write_str("-"),
            TYPE_ANY => "",
            TYPE_LEGACY => "v1:",
            TYPE_MSGR2 => "v2:",
            TYPE_CIDR => "cidr:",
            _ => "???:",
        };
        write!(f, "{prefix}{}/{}", self.sockaddr, self.nonce.v)
    }
}

/// A parser of a whole value, by its `parse` (which fills a default value
/// as far as the bytes go): the value, or the first fault.
pub fn whole<'a, T: Default>(
    p: fn(&mut T, In<'a>) -> PResult<'a, ()>,
) -> impl FnMut(In<'a>) -> PResult<'a, T> {
    move |i: In<'a>| {
        let mut v = T::default();
        let (i, ()) = p(&mut v, i)?;
        Ok((i, v))
    }
}

/// An `entity_addr_t`.
pub fn addr<'a>() -> impl FnMut(In<'a>) -> PResult<'a, EntityAddr> {
    whole(EntityAddr::parse)
}
