//! Unit tests of `link.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;

/// Packet 8 of captures/none-crc.pcap: Ethernet (zero MACs, loopback),
/// IPv4 127.0.0.1:42644 -> 127.0.0.1:43500, PSH|ACK, 26-byte msgr2 banner.
const ETH: &str = "000000000000 000000000000 0800";
const IPV4: &str = "4500004e 7b424000 4006c165 7f000001 7f000001";
const TCP: &str = "a694a9ec bd38f29a 7c7af210 80180040 fe420000 0101080a78ef9ee9f1ab68ba
                   636570682076320a 1000 0100 0000 0000 0000 0000 0000 0000 0000";
/// msgr2 banner: "ceph v2\n", le16 16, supported features 1, required 0.
const BANNER: &[u8] = b"ceph v2\n\x10\x00\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
/// The same segment over IPv6: payload length 58, next header TCP, ::1 -> ::1.
const IPV6: &str = "60000000 003a 0640
                    00000000000000000000000000000001 00000000000000000000000000000001";

/// Link type, IPv6?, trailing bytes after the IP packet, link header (hex).
#[rustfmt::skip]
const VARIANTS: &[(LinkType, bool, &str, &str)] = &[
    (LinkType::ETHERNET, false, "", ETH),
    (LinkType::ETHERNET, false, "00000000 deadbeef", ETH), // padding + FCS
    (LinkType::ETHERNET, false, "", "000000000000 000000000000 8100 0064 0800"),
    (LinkType::ETHERNET, false, "", "000000000000 000000000000 88a8 000a 8100 0064 0800"),
    (LinkType::ETHERNET, true, "0000", "000000000000 000000000000 9100 000a 8100 0064 86dd"),
    (LinkType::LINUX_SLL, false, "", "0000 0304 0006 000000000000 0000 0800"),
    (LinkType::LINUX_SLL, true, "", "0004 0304 0006 000000000000 0000 86dd"),
    (LinkType::LINUX_SLL2, false, "", "0800 0000 00000001 0304 00 06 000000000000 0000"),
    (LinkType::LINUX_SLL2, true, "", "86dd 0000 00000001 0304 04 06 000000000000 0000"),
    (LinkType::NULL, false, "", "02000000"),
    (LinkType::NULL, false, "", "00000002"),
    (LinkType::NULL, true, "", "18000000"),
    (LinkType::NULL, true, "", "1c000000"),
    (LinkType::NULL, true, "", "1e000000"),
    (LinkType::NULL, true, "", "0000001e"),
    (LinkType::LOOP, false, "", "00000002"),
    (LinkType::LOOP, true, "", "0000001c"),
    (LinkType::RAW, false, "", ""),
    (LinkType::RAW, true, "", ""),
    (LinkType::IPV4, false, "", ""),
    (LinkType::IPV6, true, "", ""),
    (LinkType(12), false, "", ""),
    (LinkType(14), true, "", ""),
];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn cat(parts: &[&str]) -> Vec<u8> {
    parts.iter().flat_map(|p| hex(p)).collect()
}

/// (packet bytes, payload offset) of a variant.
fn build(&(_, v6, trailer, link_header): &(LinkType, bool, &str, &str)) -> (Vec<u8>, usize) {
    let ip = if v6 { IPV6 } else { IPV4 };
    let offset = hex(link_header).len() + if v6 { 40 } else { 20 } + 32;
    (cat(&[link_header, ip, TCP, trailer]), offset)
}

#[test]
fn every_link_variant_gives_the_real_segment() {
    for variant in VARIANTS {
        let (data, offset) = build(variant);
        let t = parse_tcp(variant.0, &data).unwrap().expect("a TCP packet");
        let (src, dst) = if variant.1 {
            ("[::1]:42644", "[::1]:43500")
        } else {
            ("127.0.0.1:42644", "127.0.0.1:43500")
        };
        assert_eq!(
            (t.src.to_string().as_str(), t.dst.to_string().as_str()),
            (src, dst)
        );
        assert_eq!((t.seq, t.ack), (0xbd38_f29a, 0x7c7a_f210));
        assert_eq!(
            t.flags,
            TcpFlags {
                ack: true,
                ..TcpFlags::default()
            }
        );
        // Never the padding or FCS: the length comes from the IP header.
        assert_eq!(t.payload, BANNER, "{variant:?}");
        assert_eq!(t.payload_offset, offset, "{variant:?}");
        assert!(std::ptr::eq(
            t.payload,
            &data[offset..offset + BANNER.len()]
        ));
        assert_eq!(t.missing, 0);
    }
}

#[test]
fn headers_read_ahead_give_the_same_segment_over_the_same_bytes() {
    for variant in VARIANTS {
        let (data, offset) = build(variant);
        let head = parse_head(variant.0, &data).unwrap().expect("a TCP packet");
        let t = head.view(&data, None);
        let direct = parse_tcp(variant.0, &data).unwrap().unwrap();
        assert_eq!(
            (t.src, t.dst, t.seq, t.ack),
            (direct.src, direct.dst, 0xbd38_f29a, 0x7c7a_f210)
        );
        assert_eq!((t.flags, t.missing), (direct.flags, 0));
        assert_eq!(t.payload_offset, offset, "{variant:?}");
        assert!(std::ptr::eq(
            t.payload,
            &data[offset..offset + BANNER.len()]
        ));
    }
    // Not TCP, and malformed: the same answers.
    assert!(parse_head(LinkType::RAW, &hex("4500")).is_err());
    assert_eq!(
        parse_head(LinkType::ETHERNET, &hex("ffffffffffff000000000000 0806")).map(|h| h.is_none()),
        parse_tcp(LinkType::ETHERNET, &hex("ffffffffffff000000000000 0806")).map(|p| p.is_none())
    );
}

#[test]
fn every_prefix_is_malformed_or_partial_never_panics() {
    for variant in VARIANTS.iter().filter(|v| v.2.is_empty()) {
        let (full, offset) = build(variant);
        for n in 0..full.len() {
            let result = parse_tcp(variant.0, &full[..n]);
            if n < offset {
                assert!(
                    matches!(result, Err(LinkError::Malformed { .. })),
                    "{variant:?} prefix {n}: {result:?}"
                );
            } else {
                // Cut by the snap length: what was kept, and how much was not.
                let t = result.unwrap().unwrap();
                assert_eq!(t.payload, &BANNER[..n - offset]);
                assert_eq!(t.missing as usize, full.len() - n);
            }
        }
    }
}

#[test]
fn too_many_vlan_tags_or_unknown_families() {
    let mut deep = hex("000000000000 000000000000");
    deep.extend(std::iter::repeat_n(hex("8100 0001"), 9).flatten());
    deep.extend(cat(&["0800", IPV4, TCP]));
    let err = parse_tcp(LinkType::ETHERNET, &deep).unwrap_err();
    assert!(matches!(err, LinkError::Malformed { layer: "vlan", .. }));
    // Linux's AF_INET6 (10) is no BSD loopback family; LOOP is big-endian only.
    assert!(parse_tcp(LinkType::NULL, &cat(&["0a000000", IPV6, TCP]))
        .unwrap()
        .is_none());
    assert!(parse_tcp(LinkType::LOOP, &cat(&["02000000", IPV4, TCP]))
        .unwrap()
        .is_none());
    let arp = cat(&[
        "0806 0000 00000001 0001 00 06 000000000000 0000",
        "0001080006040001",
    ]);
    assert!(parse_tcp(LinkType::LINUX_SLL2, &arp).unwrap().is_none());
    let arp = cat(&["ffffffffffff 000000000000 0806", "0001080006040001"]);
    assert!(parse_tcp(LinkType::ETHERNET, &arp).unwrap().is_none());
}

#[test]
fn ipv6_extension_headers() {
    // Hop-by-hop then destination options, 8 bytes each (PadN only).
    let data = cat(&[
        "60000000 004a 0040",
        "00000000000000000000000000000001 00000000000000000000000000000001",
        "3c00 010400000000 0600 010400000000",
        TCP,
    ]);
    let t = parse_tcp(LinkType::RAW, &data).unwrap().unwrap();
    assert_eq!(t.payload, BANNER);
    assert_eq!(t.payload_offset, 40 + 16 + 32);
    assert_eq!(t.dst.port(), 43500);
}

#[test]
fn not_tcp_or_later_fragment_is_none() {
    let v4 = cat(&[IPV4, TCP]);
    let mut udp = v4.clone();
    udp[9] = 17;
    assert!(parse_tcp(LinkType::RAW, &udp).unwrap().is_none());
    // Fragment offset 1 (8 bytes): a later fragment, no TCP header in it.
    let mut later = v4.clone();
    later[7] = 0x01;
    assert!(parse_tcp(LinkType::RAW, &later).unwrap().is_none());
    // More-fragments set, offset 0: the first fragment still starts with TCP.
    let mut first = v4;
    first[6] = 0x20;
    assert_eq!(
        parse_tcp(LinkType::RAW, &first).unwrap().unwrap().payload,
        BANNER
    );
    // IPv6 fragment header with offset 1.
    let v6_later = cat(&[
        "60000000 0042 2c40",
        "00000000000000000000000000000001 00000000000000000000000000000001",
        "0600 0008 00000001",
        TCP,
    ]);
    assert!(parse_tcp(LinkType::RAW, &v6_later).unwrap().is_none());
}

#[test]
fn inconsistent_headers_are_malformed() {
    let layer_of = |data: &[u8]| match parse_tcp(LinkType::RAW, data) {
        Err(LinkError::Malformed { layer, .. }) => layer,
        other => panic!("{other:?}"),
    };
    let v4 = cat(&[IPV4, TCP]);
    let mut short_total = v4.clone();
    short_total[3] = 10; // total length 10 < 20-byte header
    assert_eq!(layer_of(&short_total), "ipv4");
    let mut bad_offset = v4.clone();
    bad_offset[20 + 12] = 0x40; // TCP data offset 4 words < 5
    assert_eq!(layer_of(&bad_offset), "tcp");
    let mut long_offset = v4.clone();
    long_offset[20 + 12] = 0xf0; // 60-byte header in a 58-byte segment
    assert_eq!(layer_of(&long_offset), "tcp");
    let mut version = v4.clone();
    version[0] = 0x55;
    assert_eq!(layer_of(&version), "ip");
    // The link type promises IPv4 but the header says 6.
    assert!(parse_tcp(LinkType::IPV4, &cat(&[IPV6, TCP])).is_err());
    assert_eq!(
        parse_tcp(LinkType(147), &v4).unwrap_err(),
        LinkError::UnsupportedLink(LinkType(147))
    );
}

#[test]
fn zero_ipv4_total_length_means_captured_length() {
    let mut data = cat(&[IPV4, TCP]);
    data[3] = 0;
    let t = parse_tcp(LinkType::RAW, &data).unwrap().unwrap();
    assert_eq!((t.payload, t.missing), (BANNER, 0));
}

#[test]
fn syn_flags() {
    // Packet 5 of captures/none-crc.pcap: the SYN opening the connection.
    let syn = hex(
        "4500003c7b4040004006c1797f0000017f000001a694a9ecbd38f29900000000a002ffd7fe30
         00000204ffd70402080a78ef9ee9000000000103030a",
    );
    let t = parse_tcp(LinkType::IPV4, &syn).unwrap().unwrap();
    assert_eq!(
        t.flags,
        TcpFlags {
            syn: true,
            ..TcpFlags::default()
        }
    );
    assert_eq!(t.seq, 0xbd38_f299);
    assert!(t.payload.is_empty());
    assert_eq!(t.payload_offset, 60);
}

/// A 102-byte pcap that crashed the reader (SIGSEGV inside etherparse's
/// unchecked extension iterator): Ethernet, IPv6 whose payload starts with
/// a hop-by-hop header followed by a second hop-by-hop header.
#[test]
fn second_hop_by_hop_header_is_malformed_not_a_crash() {
    let packet = cat(&[
        "ffffffffffff 000000000000 86dd",
        "60000000 0008 0040",
        "00000000000000000000000000000001 00000000000000000000000000000001",
        "0000 010400000000",
    ]);
    assert_eq!(packet.len(), 62); // + 24 + 16 pcap headers = 102 bytes
    match parse_tcp(LinkType::ETHERNET, &packet) {
        Err(LinkError::Malformed { layer, .. }) => assert_eq!(layer, "ipv6 extension"),
        other => panic!("{other:?}"),
    }
    // The same with the second header present and TCP after it.
    let two = cat(&[
        "60000000 004a 0040",
        "00000000000000000000000000000001 00000000000000000000000000000001",
        "0000 010400000000 0600 010400000000",
        TCP,
    ]);
    assert!(matches!(
        parse_tcp(LinkType::RAW, &two),
        Err(LinkError::Malformed {
            layer: "ipv6 extension",
            ..
        })
    ));
}

#[test]
fn ipv6_extension_chains_are_bounded_and_checked() {
    let base = "00000000000000000000000000000001 00000000000000000000000000000001";
    // 17 destination-options headers: more than any real packet carries.
    let mut parts = vec!["60000000 0088 3c40".to_string(), base.to_string()];
    for _ in 0..17 {
        parts.push("3c00 010400000000".into());
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    assert!(parse_tcp(LinkType::RAW, &cat(&refs)).is_err());
    // A routing header whose length runs past the payload.
    let cut = cat(&["60000000 0008 2b40", base, "06ff 000000000000"]);
    assert!(parse_tcp(LinkType::RAW, &cut).is_err());
    // An authentication header (length in 4-byte words + 2) before TCP.
    let ah = cat(&[
        "60000000 004a 3340",
        base,
        "0602 0000 00000001 00000001 00000000",
        TCP,
    ]);
    let t = parse_tcp(LinkType::RAW, &ah).unwrap().unwrap();
    assert_eq!(t.payload, BANNER);
    assert_eq!(t.payload_offset, 40 + 16 + 32);
}
