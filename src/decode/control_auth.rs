//! The negotiation payloads, AUTH_* and COMPRESSION_* (frames_v2.h;
//! RESEARCH.md A9), each layout once: parse, encode, field nodes and text
//! side by side, and the pieces they share (`vector<uint32_t>`, a
//! bufferlist auth payload).
//!
//! frames_v2.h decodes these fields as they come: a method, mode or
//! result Ceph does not know is the protocol's business, not the
//! decoder's, and is shown as unknown.

use super::auth::{auth_method_name, con_mode_name, AuthBody, PayloadKind};
use super::control::*;
use super::control_enc::{name_of, Layout};
use super::grammar::prim::{array, bool_, count, i32_, le32, le64, length};
use super::grammar::view::Nodes;
use super::grammar::{offset, In, PResult, Sp};
use super::text::list_text;
use crate::model::{FieldDef, Value};
use crate::msgr2::Tag;
use nom::Input;

/// `std::vector<uint32_t>`: le32 count, count x le32.
#[derive(Debug, Clone, Default)]
pub struct U32List {
    /// Count.
    pub count: Sp<u32>,
    /// Items.
    pub items: Vec<Sp<u32>>,
}

/// Items are compared, not their encoding.
impl PartialEq for U32List {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl Eq for U32List {}

impl From<Vec<u32>> for U32List {
    fn from(v: Vec<u32>) -> Self {
        U32List {
            count: Sp::new(u32::try_from(v.len()).unwrap_or(u32::MAX)),
            items: v.into_iter().map(Sp::new).collect(),
        }
    }
}

impl U32List {
    /// The values.
    pub fn values(&self) -> Vec<u32> {
        self.items.iter().map(|x| x.v).collect()
    }

    /// Fill `self` as far as the bytes go.
    pub fn parse<'a>(
        &mut self,
        count_def: &'static FieldDef,
        item: &'static FieldDef,
        i: In<'a>,
    ) -> PResult<'a, ()> {
        let (mut i, n) = count(count_def, 4)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let (rest, x) = le32(item)(i)?;
            self.items.push(x);
            i = rest;
        }
        Ok((i, ()))
    }

    /// Encode.
    pub fn put(&self, out: &mut Vec<u8>) {
        let n = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_le_bytes());
        for x in &self.items {
            out.extend_from_slice(&x.v.to_le_bytes());
        }
    }

    /// Items by name, comma separated.
    pub fn text(&self, names: fn(u64) -> Option<&'static str>) -> String {
        let v: Vec<u64> = self.items.iter().map(|x| u64::from(x.v)).collect();
        list_text(&v, names)
    }

    /// A group of `defs` (group, count, item): its value lists the items.
    pub fn nodes(
        &self,
        n: &mut Nodes,
        defs: [&'static FieldDef; 3],
        names: fn(u64) -> Option<&'static str>,
    ) {
        let [group, count, item] = defs;
        let text = self.text(names);
        let summary = if text.is_empty() {
            "(none)".to_string()
        } else {
            text.clone()
        };
        let whole = self.count.len > 0 && self.items.len() == self.count.v as usize;
        let value = if whole { Value::Str(text) } else { Value::None };
        n.wrap(group, value, |n| {
            n.opt_uint(count, &self.count);
            for x in &self.items {
                n.enumerated(item, x, names);
            }
        });
        if whole {
            n.summary(summary);
        }
    }
}

/// A bufferlist auth payload: le32 length, the bytes, and what the auth
/// method's decoder makes of them.
#[derive(Debug, Clone, Default)]
pub struct AuthBl {
    /// Length.
    pub len: Sp<u32>,
    /// The bytes.
    pub bytes: Sp<Vec<u8>>,
    /// Their cephx (or auth none) structures.
    pub body: AuthBody,
}

/// The bytes are compared, not their reading.
impl PartialEq for AuthBl {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for AuthBl {}

impl From<Vec<u8>> for AuthBl {
    fn from(v: Vec<u8>) -> Self {
        AuthBl {
            bytes: Sp::new(v),
            ..AuthBl::default()
        }
    }
}

impl AuthBl {
    /// Fill `self` as far as the bytes go; `kind` says how to read them.
    pub fn parse<'a>(
        &mut self,
        len_def: &'static FieldDef,
        kind: PayloadKind,
        i: In<'a>,
    ) -> PResult<'a, ()> {
        let (i, len) = length(len_def)(i)?;
        self.len = len.clone();
        let (rest, region) = i.take_split(usize::try_from(len.v).unwrap_or(usize::MAX));
        self.bytes = Sp {
            v: region.fragment().to_vec(),
            at: offset(&region),
            len: region.input_len(),
        };
        if region.input_len() > 0 {
            self.body.parse(kind, region)?;
        }
        Ok((rest, ()))
    }

    /// Encode.
    pub fn put(&self, out: &mut Vec<u8>) {
        super::addr::put_bl(out, &self.bytes.v);
    }

    /// The length, then (when not empty) a group of `group`.
    pub fn nodes(&self, n: &mut Nodes, len_def: &'static FieldDef, group: &'static FieldDef) {
        n.opt_uint(len_def, &self.len);
        if self.len.v > 0 {
            n.wrap(group, Value::None, |n| self.body.nodes(n));
        }
    }
}

/// AUTH_REQUEST: le32 method, vector<le32> preferred_modes, bl auth_payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthRequest {
    /// CEPH_AUTH_* method.
    pub method: Sp<u32>,
    /// CEPH_CON_MODE_* values, preferred first.
    pub preferred_modes: U32List,
    /// Method-specific payload.
    pub auth_payload: AuthBl,
}

impl Layout for AuthRequest {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, m) = le32(&AR_METHOD)(i)?;
        self.method = m;
        let (i, ()) = self.preferred_modes.parse(&AR_MODES_COUNT, &AR_MODE, i)?;
        let kind = PayloadKind::Request(self.method.v);
        self.auth_payload.parse(&AR_PAYLOAD_LEN, kind, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.method.v.to_le_bytes());
        self.preferred_modes.put(o);
        self.auth_payload.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        n.opt_enum(&AR_METHOD, &self.method, auth_method_name);
        let defs = [&AR_MODES, &AR_MODES_COUNT, &AR_MODE];
        self.preferred_modes.nodes(n, defs, con_mode_name);
        self.auth_payload.nodes(n, &AR_PAYLOAD_LEN, &AR_PAYLOAD);
    }
    fn text(&self, _: Option<u8>) -> String {
        let mut s = format!(
            "method={} modes={}",
            name_of(self.method.v, auth_method_name),
            self.preferred_modes.text(con_mode_name)
        );
        if let Some(p) = self.auth_payload.body.summary() {
            s.push(' ');
            s.push_str(&p);
        }
        s
    }
}

/// AUTH_BAD_METHOD: le32 method, le32 result, vector<le32> allowed_methods,
/// vector<le32> allowed_modes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthBadMethod {
    /// The rejected method.
    pub method: Sp<u32>,
    /// -errno.
    pub result: Sp<i32>,
    /// Methods the server accepts.
    pub allowed_methods: U32List,
    /// Modes the server accepts.
    pub allowed_modes: U32List,
}

impl Layout for AuthBadMethod {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, m) = le32(&ABM_METHOD)(i)?;
        self.method = m;
        let (i, r) = i32_(&ABM_RESULT)(i)?;
        self.result = r;
        let (i, ()) = self
            .allowed_methods
            .parse(&ABM_METHODS_COUNT, &ABM_METHOD_ITEM, i)?;
        self.allowed_modes
            .parse(&ABM_MODES_COUNT, &ABM_MODE_ITEM, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.method.v.to_le_bytes());
        o.extend_from_slice(&self.result.v.to_le_bytes());
        self.allowed_methods.put(o);
        self.allowed_modes.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        n.opt_enum(&ABM_METHOD, &self.method, auth_method_name);
        if self.result.len > 0 {
            let r = i64::from(self.result.v);
            n.int(&ABM_RESULT, &self.result);
            if let Some(e) = errno_name(r) {
                n.summary(format!("{r} ({e})"));
            }
        }
        let defs = [&ABM_METHODS, &ABM_METHODS_COUNT, &ABM_METHOD_ITEM];
        self.allowed_methods.nodes(n, defs, auth_method_name);
        let defs = [&ABM_MODES, &ABM_MODES_COUNT, &ABM_MODE_ITEM];
        self.allowed_modes.nodes(n, defs, con_mode_name);
    }
    fn text(&self, _: Option<u8>) -> String {
        let r = self.result.v;
        let err = errno_name(i64::from(r)).map_or_else(String::new, |n| format!(" ({n})"));
        format!(
            "method={} result={r}{err} allowed_methods={} allowed_modes={}",
            name_of(self.method.v, auth_method_name),
            self.allowed_methods.text(auth_method_name),
            self.allowed_modes.text(con_mode_name)
        )
    }
}

/// AUTH_REPLY_MORE: bl auth_payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthReplyMore {
    /// Method-specific payload.
    pub auth_payload: AuthBl,
}

impl Layout for AuthReplyMore {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        self.auth_payload
            .parse(&ARM_PAYLOAD_LEN, PayloadKind::ReplyMore, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        self.auth_payload.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        self.auth_payload.nodes(n, &ARM_PAYLOAD_LEN, &ARM_PAYLOAD);
    }
    fn text(&self, _: Option<u8>) -> String {
        match self.auth_payload.bytes.v.as_slice() {
            [1, ch @ ..] if ch.len() == 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(ch);
                format!("server_challenge={:#018x}", u64::from_le_bytes(b))
            }
            p => format!("{} bytes", p.len()),
        }
    }
}

/// AUTH_REQUEST_MORE: bl auth_payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthRequestMore {
    /// Method-specific payload.
    pub auth_payload: AuthBl,
}

impl Layout for AuthRequestMore {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        self.auth_payload
            .parse(&ARQM_PAYLOAD_LEN, PayloadKind::RequestMore, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        self.auth_payload.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        self.auth_payload.nodes(n, &ARQM_PAYLOAD_LEN, &ARQM_PAYLOAD);
    }
    fn text(&self, _: Option<u8>) -> String {
        let p = &self.auth_payload.bytes.v;
        match p.as_slice() {
            [0x00, 0x01, ..] => format!("get_auth_session_key, {} bytes", p.len()),
            [1..=9, ..] => format!("authorizer, {} bytes", p.len()),
            _ => format!("{} bytes", p.len()),
        }
    }
}

/// AUTH_DONE: le64 global_id, le32 con_mode, bl auth_payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthDone {
    /// The client's global id.
    pub global_id: Sp<u64>,
    /// Negotiated CEPH_CON_MODE_*.
    pub con_mode: Sp<u32>,
    /// Method-specific payload.
    pub auth_payload: AuthBl,
}

impl Layout for AuthDone {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, g) = le64(&AD_GLOBAL_ID)(i)?;
        self.global_id = g;
        let (i, m) = le32(&AD_CON_MODE)(i)?;
        self.con_mode = m;
        self.auth_payload
            .parse(&AD_PAYLOAD_LEN, PayloadKind::Done, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.global_id.v.to_le_bytes());
        o.extend_from_slice(&self.con_mode.v.to_le_bytes());
        self.auth_payload.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        n.opt_uint(&AD_GLOBAL_ID, &self.global_id).opt_enum(
            &AD_CON_MODE,
            &self.con_mode,
            con_mode_name,
        );
        self.auth_payload.nodes(n, &AD_PAYLOAD_LEN, &AD_PAYLOAD);
    }
    fn text(&self, _: Option<u8>) -> String {
        format!(
            "global_id={} mode={}",
            self.global_id.v,
            name_of(self.con_mode.v, con_mode_name)
        )
    }
}

/// AUTH_SIGNATURE: 32 bytes of HMAC-SHA256.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthSignature {
    /// HMAC-SHA256 over the bytes received before it.
    pub sha256: Sp<[u8; 32]>,
}

impl Layout for AuthSignature {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, s) = array::<32>(&AS_SHA256)(i)?;
        self.sha256 = s;
        Ok((i, ()))
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.extend_from_slice(&self.sha256.v);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        let v = Value::Bytes(self.sha256.v.to_vec());
        n.opt_leaf(&AS_SHA256, v, &self.sha256);
    }
    fn text(&self, _: Option<u8>) -> String {
        let head: String = self
            .sha256
            .v
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256={head}...")
    }
}

/// COMPRESSION_REQUEST: u8 is_compress, vector<le32> preferred_methods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionRequest {
    /// Whether to compress.
    pub is_compress: Sp<bool>,
    /// Compressor algorithm ids, preferred first (empty: any).
    pub preferred_methods: U32List,
}

impl Layout for CompressionRequest {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, c) = bool_(&CR_IS_COMPRESS)(i)?;
        self.is_compress = c;
        self.preferred_methods
            .parse(&CR_METHODS_COUNT, &CR_METHOD, i)
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.push(u8::from(self.is_compress.v));
        self.preferred_methods.put(o);
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        let c = &self.is_compress;
        n.opt_leaf(&CR_IS_COMPRESS, Value::Bool(c.v), c);
        let defs = [&CR_METHODS, &CR_METHODS_COUNT, &CR_METHOD];
        self.preferred_methods.nodes(n, defs, compression_name);
    }
    fn text(&self, _: Option<u8>) -> String {
        let m = if self.preferred_methods.items.is_empty() {
            "any".into()
        } else {
            self.preferred_methods.text(compression_name)
        };
        format!("compress={} methods={m}", self.is_compress.v)
    }
}

/// COMPRESSION_DONE: u8 is_compress, le32 method.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompressionDone {
    /// Whether frames will be compressed.
    pub is_compress: Sp<bool>,
    /// Compressor algorithm id.
    pub method: Sp<u32>,
}

impl Layout for CompressionDone {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, c) = bool_(&CD_IS_COMPRESS)(i)?;
        self.is_compress = c;
        let (i, m) = le32(&CD_METHOD)(i)?;
        self.method = m;
        Ok((i, ()))
    }
    fn put(&self, o: &mut Vec<u8>) {
        o.push(u8::from(self.is_compress.v));
        o.extend_from_slice(&self.method.v.to_le_bytes());
    }
    fn nodes(&self, _: Tag, n: &mut Nodes) {
        let c = &self.is_compress;
        n.opt_leaf(&CD_IS_COMPRESS, Value::Bool(c.v), c).opt_enum(
            &CD_METHOD,
            &self.method,
            compression_name,
        );
    }
    fn text(&self, _: Option<u8>) -> String {
        format!(
            "compress={} method={}",
            self.is_compress.v,
            name_of(self.method.v, compression_name)
        )
    }
}
