//! A msgr1 encoder for tests and fuzz seeds: the byte layouts of msgr.h
//! (see `header`, `connect`, `addr`) with their CRCs computed as Ceph does,
//! so that decoding can be checked against streams of known content.

use super::addr;
use super::banner::BANNER;
use super::connect::{CONNECT_LEN, REPLY_LEN};
use super::header::{self, HEADER_CRC_COVERS};
use super::tag::Tag1;

/// Write `v` at `r` of `b` (ranges are the layout consts; a short buffer
/// is left as it is).
fn put(b: &mut [u8], r: std::ops::Range<usize>, v: &[u8]) {
    if let Some(d) = b.get_mut(r) {
        if d.len() == v.len() {
            d.copy_from_slice(v);
        }
    }
}

/// A legacy IPv4 entity_addr.
pub fn legacy_addr(ip: [u8; 4], port: u16, nonce: u32) -> Vec<u8> {
    let mut b = vec![0u8; addr::LEN];
    put(&mut b, addr::NONCE, &nonce.to_le_bytes());
    put(&mut b, addr::FAMILY, &addr::AF_INET.to_be_bytes());
    put(&mut b, addr::PORT, &port.to_be_bytes());
    put(&mut b, 12..16, &ip);
    b
}

/// `ceph_msg_connect` with `features` and an authorizer of `auth` bytes.
pub fn connect(features: u64, auth: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(CONNECT_LEN + auth.len());
    b.extend_from_slice(&features.to_le_bytes());
    b.extend_from_slice(&8u32.to_le_bytes()); // CEPH_ENTITY_TYPE_CLIENT
    b.extend_from_slice(&1u32.to_le_bytes()); // global_seq
    b.extend_from_slice(&0u32.to_le_bytes()); // connect_seq
    b.extend_from_slice(&24u32.to_le_bytes()); // CEPH_OSDC_PROTOCOL
    b.extend_from_slice(&2u32.to_le_bytes()); // CEPH_AUTH_CEPHX
    b.extend_from_slice(&u32::try_from(auth.len()).unwrap_or(u32::MAX).to_le_bytes());
    b.push(1); // lossy
    b.extend_from_slice(auth);
    b
}

/// `ceph_msg_connect_reply` answering `tag`.
pub fn reply(tag: Tag1, features: u64, auth: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(REPLY_LEN + auth.len());
    b.push(tag.raw());
    b.extend_from_slice(&features.to_le_bytes());
    b.extend_from_slice(&7u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&24u32.to_le_bytes());
    b.extend_from_slice(&u32::try_from(auth.len()).unwrap_or(u32::MAX).to_le_bytes());
    b.push(0);
    b.extend_from_slice(auth);
    b
}

/// A MSG item: tag, header (CRC set), front, middle, data and a footer
/// (`signed`: with `sig`) whose CRCs match and whose flags are `flags`.
pub fn msg(seq: u64, msg_type: u16, parts: [&[u8]; 3], signed: bool, flags: u8) -> Vec<u8> {
    let mut h = [0u8; header::HEADER_LEN];
    put(&mut h, header::SEQ, &seq.to_le_bytes());
    put(&mut h, header::TID, &seq.to_le_bytes());
    put(&mut h, header::TYPE, &msg_type.to_le_bytes());
    put(&mut h, header::PRIORITY, &127u16.to_le_bytes());
    put(&mut h, header::VERSION, &1u16.to_le_bytes());
    for (r, p) in [header::FRONT_LEN, header::MIDDLE_LEN, header::DATA_LEN]
        .into_iter()
        .zip(parts)
    {
        put(
            &mut h,
            r,
            &u32::try_from(p.len()).unwrap_or(u32::MAX).to_le_bytes(),
        );
    }
    put(&mut h, header::SRC_TYPE, &[8]);
    put(&mut h, header::SRC_NUM, &4100u64.to_le_bytes());
    put(&mut h, header::COMPAT_VERSION, &1u16.to_le_bytes());
    let c = header::crc(h.get(..HEADER_CRC_COVERS).unwrap_or_default());
    put(&mut h, header::CRC, &c.to_le_bytes());
    let mut b = vec![Tag1::Msg.raw()];
    b.extend_from_slice(&h);
    for p in parts {
        b.extend_from_slice(p);
    }
    for p in parts {
        b.extend_from_slice(&header::crc(p).to_le_bytes());
    }
    if signed {
        b.extend_from_slice(&0u64.to_le_bytes());
    }
    b.push(flags);
    b
}

/// Both directions of a session: banners, addresses, a connect with a
/// 16-byte authorizer answered READY, then `c2s` and `s2c` items.
pub fn session(c2s: &[Vec<u8>], s2c: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
    let features = u64::MAX;
    let mut c = BANNER.to_vec();
    c.extend(legacy_addr([127, 0, 0, 1], 0, 42));
    c.extend(connect(features, &[0xab; 16]));
    let mut s = BANNER.to_vec();
    s.extend(legacy_addr([127, 0, 0, 1], 6789, 0));
    s.extend(legacy_addr([127, 0, 0, 1], 40000, 0));
    s.extend(reply(Tag1::Ready, features, &[0xcd; 8]));
    for i in c2s {
        c.extend_from_slice(i);
    }
    for i in s2c {
        s.extend_from_slice(i);
    }
    (c, s)
}
