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
//! This file holds the typed values (decode, encode, Ceph's text form) and
//! the field definitions; `addr_tree.rs` builds their field trees.

pub use super::addr_tree::{addr_tree, addrvec_tree, entity_name_tree, name_t_tree};
use super::auth::entity_type_name;
use super::region::Rd;
use crate::fields;
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

    /// Parse the bytes after the family, by family and length.
    fn from_parts(family: u16, data: &[u8]) -> SockAddr {
        let mut r = Rd::new(data);
        match (family, data.len() + 2) {
            (AF_INET, SOCKADDR_IN_LEN) => {
                if let (Some(p), Some(ip)) = (r.array::<2>(), r.array::<4>()) {
                    return SockAddr::V4 {
                        ip: Ipv4Addr::from(ip),
                        port: u16::from_be_bytes(p),
                    };
                }
            }
            (AF_INET6, SOCKADDR_IN6_LEN) => {
                if let (Some(p), Some(fl), Some(ip), Some(sc)) = (
                    r.array::<2>(),
                    r.array::<4>(),
                    r.array::<16>(),
                    r.array::<4>(),
                ) {
                    return SockAddr::V6 {
                        ip: Ipv6Addr::from(ip),
                        port: u16::from_be_bytes(p),
                        flowinfo: u32::from_be_bytes(fl),
                        scope_id: u32::from_le_bytes(sc),
                    };
                }
            }
            _ => {}
        }
        SockAddr::Other {
            family,
            data: data.to_vec(),
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

/// A decoded `entity_addr_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityAddr {
    /// TYPE_* value.
    pub addr_type: u32,
    /// Nonce.
    pub nonce: u32,
    /// The socket address.
    pub sockaddr: SockAddr,
}

impl EntityAddr {
    /// A msgr2 IPv4 address.
    pub fn v2(ip: Ipv4Addr, port: u16, nonce: u32) -> Self {
        EntityAddr {
            addr_type: TYPE_MSGR2,
            nonce,
            sockaddr: SockAddr::V4 { ip, port },
        }
    }

    /// `ip:port` without type and nonce (empty when not IP).
    pub fn ip_port(&self) -> String {
        match &self.sockaddr {
            SockAddr::V4 { .. } | SockAddr::V6 { .. } => self.sockaddr.to_string(),
            _ => String::new(),
        }
    }

    /// Decode either form (`entity_addr_t::decode`).
    pub fn parse(r: &mut Rd<'_>) -> Option<EntityAddr> {
        match r.u8()? {
            0 => Self::parse_legacy_after_marker(r),
            1 => Self::parse_versioned_after_marker(r),
            _ => None,
        }
    }

    fn parse_versioned_after_marker(r: &mut Rd<'_>) -> Option<EntityAddr> {
        let _v = r.u8()?;
        let _compat = r.u8()?;
        let len = usize::try_from(r.u32()?).ok()?;
        let mut b = Rd::new(r.bytes(len)?);
        let addr_type = b.u32()?;
        let nonce = b.u32()?;
        let elen = usize::try_from(b.u32()?).ok()?;
        let sa = b.bytes(elen)?;
        let sockaddr = match sa {
            [] => SockAddr::Empty,
            [lo, hi, data @ ..] => SockAddr::from_parts(u16::from_le_bytes([*lo, *hi]), data),
            // msg_types.h: "elen smaller than family len"
            _ => return None,
        };
        Some(EntityAddr {
            addr_type,
            nonce,
            sockaddr,
        })
    }

    fn parse_legacy_after_marker(r: &mut Rd<'_>) -> Option<EntityAddr> {
        // msg_types.h decode_legacy_addr_after_marker: u8, le16, nonce, sockaddr_storage.
        r.bytes(3)?;
        let nonce = r.u32()?;
        let ss = r.bytes(SOCKADDR_STORAGE_LEN)?;
        let family = u16::from_be_bytes(ss.get(..2)?.try_into().ok()?);
        let data = ss.get(2..)?;
        let sockaddr = match family {
            AF_UNSPEC => SockAddr::Empty,
            AF_INET => SockAddr::from_parts(family, data.get(..SOCKADDR_IN_LEN - 2)?),
            AF_INET6 => SockAddr::from_parts(family, data.get(..SOCKADDR_IN6_LEN - 2)?),
            _ => SockAddr::Other {
                family,
                data: data.to_vec(),
            },
        };
        let addr_type = if family == AF_UNSPEC {
            TYPE_NONE
        } else {
            TYPE_LEGACY
        };
        Some(EntityAddr {
            addr_type,
            nonce,
            sockaddr,
        })
    }

    /// Encode in the versioned form (marker 1), as msgr2 frames do.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        body.extend_from_slice(&self.addr_type.to_le_bytes());
        body.extend_from_slice(&self.nonce.to_le_bytes());
        let mut sa = Vec::new();
        if self.sockaddr != SockAddr::Empty {
            sa.extend_from_slice(&self.sockaddr.family().to_le_bytes());
            sa.extend_from_slice(&self.sockaddr.data());
        }
        super::region::put::bl(&mut body, &sa);
        out.extend_from_slice(&[1, 1, 1]);
        super::region::put::bl(out, &body);
    }

    /// Encode in the legacy form (marker 0, 136 bytes).
    pub fn encode_legacy(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.nonce.to_le_bytes());
        let mut ss = Vec::with_capacity(SOCKADDR_STORAGE_LEN);
        ss.extend_from_slice(&self.sockaddr.family().to_be_bytes());
        ss.extend_from_slice(&self.sockaddr.data());
        ss.resize(SOCKADDR_STORAGE_LEN, 0);
        out.extend_from_slice(&ss);
    }
}

impl fmt::Display for EntityAddr {
    /// As Ceph's `operator<<(ostream&, const entity_addr_t&)` (msg_types.cc):
    /// `-` for none, no prefix for any, else `v1:`/`v2:`/`cidr:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.addr_type {
            TYPE_NONE => return f.write_str("-"),
            TYPE_ANY => "",
            TYPE_LEGACY => "v1:",
            TYPE_MSGR2 => "v2:",
            TYPE_CIDR => "cidr:",
            _ => "???:",
        };
        write!(f, "{prefix}{}/{}", self.sockaddr, self.nonce)
    }
}

/// A decoded `entity_addrvec_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddrVec(pub Vec<EntityAddr>);

impl AddrVec {
    /// Decode (`entity_addrvec_t::decode`, msg_types.cc): marker 0 or 1 is a
    /// single address, 2 a vector.
    pub fn parse(r: &mut Rd<'_>) -> Option<AddrVec> {
        match r.u8()? {
            0 => Some(AddrVec(vec![EntityAddr::parse_legacy_after_marker(r)?])),
            1 => Some(AddrVec(vec![EntityAddr::parse_versioned_after_marker(r)?])),
            2 => {
                let n = r.u32()?;
                let mut v = Vec::new();
                for _ in 0..n {
                    v.push(EntityAddr::parse(r)?);
                }
                Some(AddrVec(v))
            }
            _ => None,
        }
    }

    /// Encode as a vector (marker 2).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(2);
        out.extend_from_slice(
            &u32::try_from(self.0.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for a in &self.0 {
            a.encode(out);
        }
    }
}

impl fmt::Display for AddrVec {
    /// As Ceph prints it: one address bare, several as `[a,b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => Ok(()),
            [a] => write!(f, "{a}"),
            many => {
                let parts: Vec<String> = many.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", parts.join(","))
            }
        }
    }
}

/// A decoded auth `EntityName` (auth/Auth.h, common/entity_name.h).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityName {
    /// CEPH_ENTITY_TYPE_*.
    pub entity_type: u32,
    /// Id.
    pub id: String,
}

impl EntityName {
    /// Decode: le32 type, string id.
    pub fn parse(r: &mut Rd<'_>) -> Option<EntityName> {
        let entity_type = r.u32()?;
        let id = String::from_utf8_lossy(r.bl()?).into_owned();
        Some(EntityName { entity_type, id })
    }

    /// Encode.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.entity_type.to_le_bytes());
        super::region::put::bl(out, self.id.as_bytes());
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = entity_type_name(u64::from(self.entity_type)).unwrap_or("unknown");
        write!(f, "{ty}.{}", self.id)
    }
}

/// A decoded `entity_name_t` (msg_types.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EntityNameT {
    /// CEPH_ENTITY_TYPE_*.
    pub entity_type: u8,
    /// Number; negative means "new" (not yet assigned).
    pub num: i64,
}

impl fmt::Display for EntityNameT {
    /// As Ceph prints it: `client.4123`, or `client.?` when unassigned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = entity_type_name(u64::from(self.entity_type)).unwrap_or("unknown");
        if self.num < 0 {
            write!(f, "{ty}.?")
        } else {
            write!(f, "{ty}.{}", self.num)
        }
    }
}
