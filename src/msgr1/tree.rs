//! The field tree and the one-line text of a msgr1 item: the envelope's
//! own fields (`msgr1.*`); a MSG's message below them comes from the
//! message decoders msgr2 shares (`ceph.*`).

use super::addr::{self, LegacyAddr};
use super::connect;
use super::header;
use super::item::{Body, Item, Msg};
use crate::fields;
use crate::model::{FieldNode, Source, Span, Value};
use std::ops::Range;

fields! {
    MSGR1 = "msgr1", "msgr1 item", None, "An item of a msgr1 (ceph v027) connection.";
    OFFSET = "msgr1.offset", "Stream offset", Uint, "Offset of the item's first byte in its direction's byte stream.";
    WIRE_LEN = "msgr1.wire_len", "Length on the wire", Uint, "Bytes the item occupies on the wire.";
    BANNER = "msgr1.banner", "Banner", Str, "The msgr1 banner, ceph v027.";
    ADDR = "msgr1.addr", "Address", Addr, "A legacy entity_addr (136 bytes): the server's own, the client's as the server sees it, or the client's.";
    ADDR_NONCE = "msgr1.addr.nonce", "Nonce", Uint, "The address's nonce.";
    ADDR_FAMILY = "msgr1.addr.family", "Family", Uint, "sockaddr family (2 AF_INET, 10 AF_INET6).";
    ADDR_PORT = "msgr1.addr.port", "Port", Uint, "The address's port.";
    CONNECT = "msgr1.connect", "Connect", None, "ceph_msg_connect: the client's connection request.";
    FEATURES = "msgr1.features", "Features", Hex, "Feature bits (connect: the client's; reply: those both support plus the server's required).";
    HOST_TYPE = "msgr1.connect.host_type", "Host type", Enum, "The client's entity type.";
    GLOBAL_SEQ = "msgr1.global_seq", "Global seq", Uint, "global_seq of the connect or reply.";
    CONNECT_SEQ = "msgr1.connect_seq", "Connect seq", Uint, "connect_seq of the connect or reply.";
    PROTOCOL_VERSION = "msgr1.protocol_version", "Protocol version", Uint, "CEPH_*_PROTOCOL of the peer type.";
    AUTH_PROTOCOL = "msgr1.connect.authorizer_protocol", "Authorizer protocol", Enum, "CEPH_AUTH_* of the authorizer (2 cephx).";
    AUTH_LEN = "msgr1.authorizer_len", "Authorizer length", Uint, "Bytes of authorizer (or authorizer reply) after the connect (or reply).";
    AUTHORIZER = "msgr1.authorizer", "Authorizer", Bytes, "The authorizer or authorizer reply bytes.";
    CONNECT_FLAGS = "msgr1.connect.flags", "Flags", Hex, "CEPH_MSG_CONNECT_* flags (1 lossy).";
    REPLY = "msgr1.connect_reply", "Connect reply", None, "ceph_msg_connect_reply: the server's answer.";
    REPLY_TAG = "msgr1.connect_reply.tag", "Reply tag", Enum, "READY, SEQ, WAIT, RETRY_SESSION, RETRY_GLOBAL, RESETSESSION, BADPROTOVER, BADAUTHORIZER, FEATURES or CHALLENGE_AUTHORIZER.";
    SEQ_EXCHANGE = "msgr1.seq_exchange", "Seq exchanged", Uint, "After a SEQ reply: the server's acked seq, then the client's in_seq.";
    TAG = "msgr1.tag", "Tag", Enum, "The item's tag (msgr.h CEPH_MSGR_TAG_*).";
    ACK_SEQ = "msgr1.ack.seq", "Acked seq", Uint, "ACK: the peer's messages up to this seq were received.";
    STAMP = "msgr1.keepalive2.stamp", "Stamp", Time, "KEEPALIVE2 (or its ACK's echo) ceph_timespec.";
    HEADER = "msgr1.header", "Message header", None, "ceph_msg_header (53 bytes).";
    SEQ = "msgr1.header.seq", "Seq", Uint, "Message sequence number of the session.";
    TID = "msgr1.header.tid", "Tid", Uint, "Transaction id.";
    TYPE = "msgr1.header.type", "Type", Enum, "Message type, named as Ceph's logs print it.";
    PRIORITY = "msgr1.header.priority", "Priority", Uint, "Priority.";
    VERSION = "msgr1.header.version", "Version", Uint, "Encoding version of the message.";
    FRONT_LEN = "msgr1.header.front_len", "Front length", Uint, "Bytes of front.";
    MIDDLE_LEN = "msgr1.header.middle_len", "Middle length", Uint, "Bytes of middle.";
    DATA_LEN = "msgr1.header.data_len", "Data length", Uint, "Bytes of data.";
    DATA_OFF = "msgr1.header.data_off", "Data offset", Uint, "Sender's hint for the data's alignment.";
    SRC = "msgr1.header.src", "Source", Str, "The sender's entity name (type.num).";
    COMPAT = "msgr1.header.compat_version", "Compat version", Uint, "Oldest version able to decode the message.";
    RESERVED = "msgr1.header.reserved", "Reserved", Hex, "Reserved.";
    HEADER_CRC = "msgr1.header.crc", "Header CRC", Hex, "CRC32C (seed 0) of header bytes 0..49.";
    HEADER_CRC_STATUS = "msgr1.header.crc.status", "Header CRC status", Str, "good or bad.";
    FOOTER = "msgr1.footer", "Footer", None, "ceph_msg_footer (21 bytes; 13 without sig).";
    FRONT_CRC = "msgr1.footer.front_crc", "Front CRC", Hex, "CRC32C (seed 0) of front.";
    MIDDLE_CRC = "msgr1.footer.middle_crc", "Middle CRC", Hex, "CRC32C (seed 0) of middle.";
    DATA_CRC = "msgr1.footer.data_crc", "Data CRC", Hex, "CRC32C (seed 0) of data.";
    CRC_STATUS = "msgr1.footer.crc.status", "CRC status", Str, "Front, middle or data CRC: good, bad, absent (NOCRC) or unverified (one per CRC, in order).";
    SIG = "msgr1.footer.sig", "Signature", Hex, "Message signature (cephx; with CEPH_MSG_FOOTER_SIGNED).";
    FOOTER_FLAGS = "msgr1.footer.flags", "Footer flags", Hex, "CEPH_MSG_FOOTER_*: 1 complete, 2 nocrc, 4 signed.";
}

/// Entity type names for the enum fields.
fn entity(v: u64) -> Option<&'static str> {
    crate::decode::auth::entity_type_name(v)
}

fn node(def: &'static crate::model::FieldDef, value: Value, r: Range<usize>) -> FieldNode {
    FieldNode::new(
        def,
        value,
        Some(Span {
            source: Source::Wire,
            range: r,
        }),
    )
}

fn shift(r: Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

fn addr_node(a: &LegacyAddr, at: usize) -> FieldNode {
    let mut n = node(&ADDR, Value::Addr(a.to_string()), at..at + addr::LEN);
    n.children.push(node(
        &ADDR_NONCE,
        Value::Uint(u64::from(a.nonce)),
        shift(addr::NONCE, at),
    ));
    n.children.push(node(
        &ADDR_FAMILY,
        Value::Uint(u64::from(a.family)),
        shift(addr::FAMILY, at),
    ));
    n.children.push(node(
        &ADDR_PORT,
        Value::Uint(u64::from(a.port)),
        shift(addr::PORT, at),
    ));
    n
}

fn authorizer(it: &Item, len: u32, at: Range<usize>, r: &Range<usize>, k: &mut Vec<FieldNode>) {
    k.push(node(&AUTH_LEN, Value::Uint(u64::from(len)), at));
    if !r.is_empty() {
        let b = it.bytes(r).unwrap_or_default().to_vec();
        k.push(node(&AUTHORIZER, Value::Bytes(b), r.clone()));
    }
}

/// The tree of an item (its message, decoded by the shared decoders, in
/// `message`).
pub fn item_tree(it: &Item, message: Vec<FieldNode>) -> FieldNode {
    let mut root = FieldNode::new(&MSGR1, Value::None, None);
    root.summary = Some(format!("msgr1 {}", it.name()));
    let k = &mut root.children;
    k.push(FieldNode::new(&OFFSET, Value::Uint(it.offset), None));
    k.push(FieldNode::new(&WIRE_LEN, Value::Uint(it.wire_len()), None));
    match &it.body {
        Body::Banner => k.push(node(&BANNER, Value::Str("ceph v027".into()), 0..9)),
        Body::ServerAddrs { server, peer } => {
            k.push(addr_node(server, 0));
            k.push(addr_node(peer, addr::LEN));
        }
        Body::ClientAddr(a) => k.push(addr_node(a, 0)),
        Body::Connect(c, r, auth) => {
            let mut n = node(&CONNECT, Value::None, 0..r.end);
            let x = &mut n.children;
            x.push(node(&FEATURES, Value::Uint(c.features), 0..8));
            let host = u64::from(c.host_type);
            x.push(node(&HOST_TYPE, Value::Enum(host, entity(host)), 8..12));
            x.push(node(
                &GLOBAL_SEQ,
                Value::Uint(u64::from(c.global_seq)),
                12..16,
            ));
            x.push(node(
                &CONNECT_SEQ,
                Value::Uint(u64::from(c.connect_seq)),
                16..20,
            ));
            x.push(node(
                &PROTOCOL_VERSION,
                Value::Uint(u64::from(c.protocol_version)),
                20..24,
            ));
            let ap = u64::from(c.authorizer_protocol);
            x.push(node(
                &AUTH_PROTOCOL,
                Value::Enum(ap, crate::decode::auth::auth_method_name(ap)),
                24..28,
            ));
            x.push(node(
                &CONNECT_FLAGS,
                Value::Uint(u64::from(c.flags)),
                32..33,
            ));
            authorizer(it, c.authorizer_len, connect::CONNECT_AUTH_LEN, r, x);
            if let (Some(a), Some(node)) = (auth, x.last_mut()) {
                // The cephx structures, with msgr2's fields (ceph.cephx.*).
                let mut v = crate::decode::grammar::view::Nodes::new(Source::Wire);
                a.nodes(&mut v);
                node.children = v.finish();
                node.summary = Some(a.text());
            }
            k.push(n);
        }
        Body::ConnectReply(rp, r) => {
            let mut n = node(&REPLY, Value::None, 0..r.end);
            let x = &mut n.children;
            let t = u64::from(rp.tag.raw());
            x.push(node(&REPLY_TAG, Value::Enum(t, rp.tag.known_name()), 0..1));
            x.push(node(&FEATURES, Value::Uint(rp.features), 1..9));
            x.push(node(
                &GLOBAL_SEQ,
                Value::Uint(u64::from(rp.global_seq)),
                9..13,
            ));
            x.push(node(
                &CONNECT_SEQ,
                Value::Uint(u64::from(rp.connect_seq)),
                13..17,
            ));
            x.push(node(
                &PROTOCOL_VERSION,
                Value::Uint(u64::from(rp.protocol_version)),
                17..21,
            ));
            x.push(node(
                &CONNECT_FLAGS,
                Value::Uint(u64::from(rp.flags)),
                25..26,
            ));
            authorizer(it, rp.authorizer_len, connect::REPLY_AUTH_LEN, r, x);
            k.push(n);
        }
        Body::SeqExchange(s) => k.push(node(&SEQ_EXCHANGE, Value::Uint(*s), 0..8)),
        body => {
            let raw = it.data.first().copied().unwrap_or(0);
            let tag = super::Tag1::from(raw);
            k.push(node(
                &TAG,
                Value::Enum(u64::from(raw), tag.known_name()),
                0..1,
            ));
            match body {
                Body::Ack(s) => k.push(node(&ACK_SEQ, Value::Uint(*s), 1..9)),
                Body::Keepalive2 { sec, nsec, .. } => {
                    k.push(node(&STAMP, Value::Time(i64::from(*sec), *nsec), 1..9))
                }
                Body::Msg(m) => msg_nodes(it, m, k),
                _ => {}
            }
        }
    }
    k.extend(message);
    root
}

fn msg_nodes(it: &Item, m: &Msg, k: &mut Vec<FieldNode>) {
    use header as h;
    let at = |r: Range<usize>| shift(r, 1);
    let hd = &m.header;
    let mut n = node(&HEADER, Value::None, 1..1 + h::HEADER_LEN);
    let x = &mut n.children;
    x.push(node(&SEQ, Value::Uint(hd.seq), at(h::SEQ)));
    x.push(node(&TID, Value::Uint(hd.tid), at(h::TID)));
    let t = u64::from(hd.msg_type);
    let name = crate::decode::MsgType(hd.msg_type).log_name();
    x.push(node(&TYPE, Value::Enum(t, name), at(h::TYPE)));
    x.push(node(
        &PRIORITY,
        Value::Uint(u64::from(hd.priority)),
        at(h::PRIORITY),
    ));
    x.push(node(
        &VERSION,
        Value::Uint(u64::from(hd.version)),
        at(h::VERSION),
    ));
    x.push(node(
        &FRONT_LEN,
        Value::Uint(u64::from(hd.front_len)),
        at(h::FRONT_LEN),
    ));
    x.push(node(
        &MIDDLE_LEN,
        Value::Uint(u64::from(hd.middle_len)),
        at(h::MIDDLE_LEN),
    ));
    x.push(node(
        &DATA_LEN,
        Value::Uint(u64::from(hd.data_len)),
        at(h::DATA_LEN),
    ));
    x.push(node(
        &DATA_OFF,
        Value::Uint(u64::from(hd.data_off)),
        at(h::DATA_OFF),
    ));
    let src = format!(
        "{}.{}",
        entity(u64::from(hd.src_type)).unwrap_or("?"),
        hd.src_num
    );
    x.push(node(
        &SRC,
        Value::Str(src),
        at(h::SRC_TYPE.start..h::SRC_NUM.end),
    ));
    x.push(node(
        &COMPAT,
        Value::Uint(u64::from(hd.compat_version)),
        at(h::COMPAT_VERSION),
    ));
    x.push(node(
        &RESERVED,
        Value::Uint(u64::from(hd.reserved)),
        at(h::RESERVED),
    ));
    x.push(node(
        &HEADER_CRC,
        Value::Uint(u64::from(hd.crc)),
        at(h::CRC),
    ));
    for c in it
        .checks
        .iter()
        .filter(|c| c.kind == super::CheckKind1::Header)
    {
        x.push(FieldNode::new(
            &HEADER_CRC_STATUS,
            Value::Str(c.status.as_str().into()),
            None,
        ));
    }
    k.push(n);
    let Some(f) = &m.footer else { return };
    let fa = m.footer_at;
    let mut n = node(&FOOTER, Value::None, fa..it.data.len());
    let x = &mut n.children;
    x.push(node(
        &FRONT_CRC,
        Value::Uint(u64::from(f.front_crc)),
        shift(h::FRONT_CRC, fa),
    ));
    x.push(node(
        &MIDDLE_CRC,
        Value::Uint(u64::from(f.middle_crc)),
        shift(h::MIDDLE_CRC, fa),
    ));
    x.push(node(
        &DATA_CRC,
        Value::Uint(u64::from(f.data_crc)),
        shift(h::DATA_CRC, fa),
    ));
    for c in it
        .checks
        .iter()
        .filter(|c| c.kind != super::CheckKind1::Header)
    {
        x.push(FieldNode::new(
            &CRC_STATUS,
            Value::Str(c.status.as_str().into()),
            None,
        ));
    }
    if let Some(sig) = f.sig {
        x.push(node(&SIG, Value::Uint(sig), shift(h::SIG, fa)));
    }
    let flags_at = it.data.len().saturating_sub(1);
    x.push(node(
        &FOOTER_FLAGS,
        Value::Uint(u64::from(f.flags)),
        flags_at..flags_at + 1,
    ));
    k.push(n);
}

/// The one-line text of an item (`text`: the message as Ceph's log
/// prints it, for a MSG whose body decoded).
pub fn item_info(it: &Item, text: Option<String>) -> String {
    match &it.body {
        Body::Banner => "v1 ceph v027".into(),
        Body::ServerAddrs { server, peer } => format!("v1 server {server}, client as seen {peer}"),
        Body::ClientAddr(a) => format!("v1 client {a}"),
        Body::Connect(c, _, auth) => format!(
            "v1 {} features={:#x} gseq={} cseq={} proto={} authorizer={}:{} bytes{}{}",
            entity(u64::from(c.host_type)).unwrap_or("?"),
            c.features,
            c.global_seq,
            c.connect_seq,
            c.protocol_version,
            crate::decode::auth::auth_method_name(u64::from(c.authorizer_protocol)).unwrap_or("?"),
            c.authorizer_len,
            if c.flags & connect::FLAG_LOSSY != 0 {
                " lossy"
            } else {
                ""
            },
            auth.as_ref()
                .map_or_else(String::new, |a| format!(" ({})", a.text()))
        ),
        Body::ConnectReply(r, _) => format!(
            "v1 {} features={:#x} gseq={} cseq={} proto={} authorizer={} bytes",
            r.tag, r.features, r.global_seq, r.connect_seq, r.protocol_version, r.authorizer_len
        ),
        Body::SeqExchange(s) => format!("v1 seq={s}"),
        Body::Msg(m) => {
            let h = &m.header;
            let name = crate::decode::MsgType(h.msg_type).display_name();
            format!(
                "v1 sizes={}+{}+{} seq={} type={} tid={} {}",
                h.front_len,
                h.middle_len,
                h.data_len,
                h.seq,
                h.msg_type,
                h.tid,
                text.unwrap_or(name)
            )
        }
        Body::Ack(s) => format!("v1 seq={s}"),
        Body::Keepalive => "v1".into(),
        Body::Keepalive2 { sec, nsec, .. } => format!("v1 stamp={sec}.{nsec:09}"),
        Body::Close => "v1".into(),
    }
}
