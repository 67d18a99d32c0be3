//! Capture layer against the real captures in `captures/`: packet counts,
//! pcap vs pcapng, rewrites under other link types and layouts, truncation
//! and bad input.

mod support;

use cephshark::capture::{
    parse_tcp, CaptureError, CaptureReader, LinkError, LinkType, PcapOptions, PcapWriter,
    PcapngWriter, Timestamp, MAX_BLOCK_LEN,
};
use std::io::{self, Read};
use support::capture_conv::{
    convert_pcap, convert_pcap_with, read_all, to_pcapng, to_pcapng_with, OwnedPacket,
    PCAPNG_TSOFFSET,
};

/// Packets in none-crc.pcap: 1053, counted by walking the record headers
/// with a short python3 script (24-byte file header, then 16-byte record
/// headers each followed by caplen bytes); every one is IPv4/TCP.
const NONE_CRC_PACKETS: usize = 1053;
/// Sum of TCP payload lengths in none-crc.pcap (IP total length minus IP and
/// TCP header lengths, same script).
const NONE_CRC_PAYLOAD_BYTES: usize = 6_174_556;
/// SYN and FIN flags counted by the same script.
const NONE_CRC_SYNS: usize = 64;
const NONE_CRC_FINS: usize = 66;
/// Packets in cephx-secure.pcap (same script).
const CEPHX_SECURE_PACKETS: usize = 1147;

fn capture(name: &str) -> Vec<u8> {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What parse_tcp says about a packet, owned, for comparisons.
type TcpSummary = Result<Option<(String, String, u32, u32, [bool; 4], Vec<u8>, u32)>, LinkError>;

fn tcp_summary(link: LinkType, data: &[u8]) -> TcpSummary {
    parse_tcp(link, data).map(|t| {
        t.map(|t| {
            (
                t.src.to_string(),
                t.dst.to_string(),
                t.seq,
                t.ack,
                [t.flags.syn, t.flags.ack, t.flags.fin, t.flags.rst],
                t.payload.to_vec(),
                t.missing,
            )
        })
    })
}

fn summaries(packets: &[OwnedPacket]) -> Vec<TcpSummary> {
    packets
        .iter()
        .map(|p| tcp_summary(p.link, &p.data))
        .collect()
}

/// Record start offsets of a little-endian legacy pcap.
fn record_offsets(pcap: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        offsets.push(at);
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap());
        at += 16 + caplen as usize;
    }
    offsets
}

/// A packet's number, time and bytes.
type Seen = (u64, Timestamp, Vec<u8>);

/// Read until the end or an error; the packets and the final result.
fn read_until_error(input: impl Read) -> (Vec<Seen>, Option<CaptureError>) {
    let mut reader = match CaptureReader::new(input) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut packets = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => packets.push((p.index.0, p.ts, p.data.to_vec())),
            Ok(None) => return (packets, None),
            Err(e) => {
                // Finished after an error.
                assert!(matches!(reader.next_packet(), Ok(None)));
                return (packets, Some(e));
            }
        }
    }
}

/// A source that hands out a few bytes per call and is sometimes interrupted.
struct Dribble<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 5 == 0 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
        }
        let n = (self.calls % 7 + 1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A source that fails after `limit` bytes.
struct Failing<'a> {
    data: &'a [u8],
    limit: usize,
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.limit == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"));
        }
        let n = buf.len().min(self.limit).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.limit -= n;
        Ok(n)
    }
}

#[test]
fn none_crc_count_timestamps_and_tcp_totals() {
    let input = capture("none-crc.pcap");
    let packets = read_all(&input);
    assert_eq!(packets.len(), NONE_CRC_PACKETS);
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.index, i as u64 + 1);
        assert_eq!(p.link, LinkType::ETHERNET);
        assert_eq!(p.origlen as usize, p.data.len());
    }
    // First record header: ts 1795409693.131241, 680 bytes.
    let first = &packets[0];
    assert_eq!(
        first.ts,
        Timestamp {
            secs: 1_795_409_693,
            nanos: 131_241_000
        }
    );
    assert_eq!(first.data.len(), 680);
    let last = &packets[NONE_CRC_PACKETS - 1];
    assert_eq!(
        last.ts,
        Timestamp {
            secs: 1_795_409_693,
            nanos: 964_392_000
        }
    );

    let mut payload = 0;
    let (mut syns, mut fins) = (0, 0);
    for p in &packets {
        let t = parse_tcp(p.link, &p.data)
            .unwrap()
            .expect("every packet is TCP");
        assert_eq!(t.missing, 0);
        assert_eq!(&p.data[t.payload_offset..][..t.payload.len()], t.payload);
        payload += t.payload.len();
        syns += usize::from(t.flags.syn);
        fins += usize::from(t.flags.fin);
    }
    assert_eq!(payload, NONE_CRC_PAYLOAD_BYTES);
    assert_eq!((syns, fins), (NONE_CRC_SYNS, NONE_CRC_FINS));
}

#[test]
fn cephx_secure_pcap_and_pcapng_agree() {
    let pcap = read_all(&capture("cephx-secure.pcap"));
    let ng_bytes = capture("cephx-secure.pcapng");
    assert_eq!(&ng_bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    let ng = read_all(&ng_bytes);
    assert_eq!(pcap.len(), CEPHX_SECURE_PACKETS);
    assert_eq!(ng.len(), CEPHX_SECURE_PACKETS);
    assert_eq!(pcap, ng);
}

#[test]
fn big_endian_nanosecond_rewrite_reads_back_identical() {
    let input = capture("none-crc.pcap");
    let original = read_all(&input);
    let options = PcapOptions {
        nanosecond: true,
        big_endian: true,
        ..PcapOptions::new(LinkType::ETHERNET)
    };
    let mut w = PcapWriter::new(Vec::new(), options).unwrap();
    for p in &original {
        w.write_packet(p.ts, p.origlen, &p.data).unwrap();
    }
    let out = w.into_inner().unwrap();
    assert_eq!(&out[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    assert_eq!(out.len(), input.len());
    assert_eq!(read_all(&out), original);
    // The microsecond little-endian form is byte-identical to the file.
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET)).unwrap();
    for p in &original {
        w.write_packet(p.ts, p.origlen, &p.data).unwrap();
    }
    let micro = w.into_inner().unwrap();
    assert_eq!(micro[24..], input[24..]);
}

#[test]
fn other_link_types_give_the_same_tcp() {
    let input = capture("none-crc.pcap");
    let original = read_all(&input);
    let expected = summaries(&original);
    assert!(expected.iter().all(|s| matches!(s, Ok(Some(_)))));
    let targets = [
        (LinkType::LINUX_SLL, 16),
        (LinkType::LINUX_SLL2, 20),
        (LinkType::NULL, 4),
        (LinkType::LOOP, 4),
        (LinkType::RAW, 0),
        (LinkType::IPV4, 0),
    ];
    for (target, header) in targets {
        for big_endian in [false, true] {
            let converted = read_all(&convert_pcap_with(&input, target, big_endian));
            assert_eq!(converted.len(), original.len(), "{target:?}");
            for (c, o) in converted.iter().zip(&original) {
                assert_eq!(c.link, target);
                assert_eq!(c.ts, o.ts);
                assert_eq!(c.data.len(), o.data.len() - 14 + header);
            }
            assert_eq!(
                summaries(&converted),
                expected,
                "{target:?} be={big_endian}"
            );
        }
    }
    // NULL written by a little-endian host: the family is 02 00 00 00.
    let null = read_all(&convert_pcap(&input, LinkType::NULL));
    assert_eq!(&null[0].data[..4], &[2, 0, 0, 0]);
}

#[test]
fn pcapng_with_two_interfaces_gives_the_same_tcp() {
    let input = capture("none-crc.pcap");
    let original = read_all(&input);
    let expected = summaries(&original);
    for big_endian in [false, true] {
        let ng = to_pcapng_with(&input, big_endian);
        let packets = read_all(&ng);
        assert_eq!(packets.len(), original.len());
        for (n, o) in packets.iter().zip(&original) {
            let link = if n.index % 2 == 1 {
                LinkType::ETHERNET
            } else {
                LinkType::LINUX_SLL2
            };
            assert_eq!(n.link, link);
            assert_eq!(n.ts, o.ts, "packet {}", n.index);
            assert_eq!(n.index, o.index);
        }
        assert_eq!(summaries(&packets), expected);
    }
    // Interface 1's ticks are counted from its offset.
    let ng = to_pcapng(&input);
    assert!(ng.windows(8).any(|w| w == PCAPNG_TSOFFSET.to_le_bytes()));
}

#[test]
fn truncated_inside_a_record_returns_whole_packets_then_error() {
    let input = capture("none-crc.pcap");
    let offsets = record_offsets(&input);
    assert_eq!(offsets.len(), NONE_CRC_PACKETS);
    let whole = read_all(&input);
    // Cut inside the data of record 500, then inside the header of record 10.
    for (record, into) in [(500usize, 40usize), (10, 5)] {
        let start = offsets[record - 1];
        let (packets, err) = read_until_error(&input[..start + into]);
        assert_eq!(packets.len(), record - 1);
        assert_eq!(packets.last().unwrap().2, whole[record - 2].data);
        match err {
            Some(CaptureError::Truncated {
                packets_read,
                offset,
            }) => {
                assert_eq!(packets_read, record as u64 - 1);
                assert_eq!(offset, start as u64);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
    }
    // Cut exactly between records: a clean end.
    let (packets, err) = read_until_error(&input[..offsets[20]]);
    assert_eq!(packets.len(), 20);
    assert!(err.is_none());
    // A cut file header.
    assert!(matches!(
        CaptureReader::new(&input[..10]),
        Err(CaptureError::Truncated {
            packets_read: 0,
            offset: 0
        })
    ));
}

#[test]
fn truncated_pcapng_block() {
    let ng = capture("cephx-secure.pcapng");
    let cut = ng.len() - 30;
    let (packets, err) = read_until_error(&ng[..cut]);
    assert_eq!(packets.len(), CEPHX_SECURE_PACKETS - 1);
    assert!(matches!(
        err,
        Some(CaptureError::Truncated { packets_read, .. }) if packets_read == CEPHX_SECURE_PACKETS as u64 - 1
    ));
}

#[test]
fn garbage_empty_and_short_inputs() {
    let garbage = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    assert!(matches!(
        CaptureReader::new(&garbage[..]),
        Err(CaptureError::NotACapture)
    ));
    assert!(matches!(
        CaptureReader::new(&b""[..]),
        Err(CaptureError::Empty)
    ));
    assert!(matches!(
        CaptureReader::new(&[0xd4u8, 0xc3][..]),
        Err(CaptureError::NotACapture)
    ));
    // pcapng magic with a wrong byte-order magic.
    let bad_bom = [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4];
    assert!(matches!(
        CaptureReader::new(&bad_bom[..]),
        Err(CaptureError::NotACapture)
    ));
    // Every error has a readable message.
    assert_eq!(
        CaptureError::Empty.to_string(),
        "empty input: no capture header"
    );
}

#[test]
fn dribbling_source_gives_the_same_packets() {
    let input = capture("cephx-secure.pcapng");
    let (slow, err) = read_until_error(Dribble {
        data: &input,
        calls: 0,
    });
    assert!(err.is_none());
    let fast = read_all(&input);
    assert_eq!(slow.len(), fast.len());
    for (s, f) in slow.iter().zip(&fast) {
        assert_eq!((s.0, s.1, &s.2), (f.index, f.ts, &f.data));
    }
}

#[test]
fn io_error_after_some_packets() {
    let input = capture("none-crc.pcap");
    let (packets, err) = read_until_error(Failing {
        data: &input,
        limit: 100_000,
    });
    assert!(!packets.is_empty());
    assert!(matches!(err, Some(CaptureError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe));
}

#[test]
fn oversized_blocks_are_refused() {
    let mut pcap = PcapWriter::new(Vec::new(), PcapOptions::default())
        .unwrap()
        .into_inner()
        .unwrap();
    let caplen = u32::try_from(MAX_BLOCK_LEN).unwrap();
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&caplen.to_le_bytes());
    pcap.extend_from_slice(&caplen.to_le_bytes());
    let (packets, err) = read_until_error(pcap.as_slice());
    assert!(packets.is_empty());
    assert!(matches!(
        err,
        Some(CaptureError::BlockTooLarge { offset: 24, len }) if len == MAX_BLOCK_LEN as u64 + 16
    ));

    let mut ng = PcapngWriter::new(Vec::new()).unwrap().into_inner().unwrap();
    ng.extend_from_slice(&6u32.to_le_bytes());
    ng.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let (_, err) = read_until_error(ng.as_slice());
    assert!(matches!(
        err,
        Some(CaptureError::BlockTooLarge {
            offset: 28,
            len: 0x7fff_fff0
        })
    ));
}

#[test]
fn large_packet_within_the_cap_is_read() {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let ts = Timestamp {
        secs: 1,
        nanos: 2_000,
    };
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::RAW)).unwrap();
    w.write_packet(ts, 3_000_000, &data).unwrap();
    w.write_packet(ts, 10, &data[..10]).unwrap();
    let packets = read_all(&w.into_inner().unwrap());
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[0].data, data);
    assert_eq!(packets[1].data, &data[..10]);
}

#[test]
fn pcapng_resolutions_offsets_simple_packets_and_sections() {
    let ts = Timestamp {
        secs: 1_795_409_693,
        nanos: 131_241_500,
    };
    for big_endian in [false, true] {
        let mut w = PcapngWriter::with_byte_order(Vec::new(), big_endian).unwrap();
        let micro = w.add_interface(LinkType::ETHERNET, 100, false).unwrap();
        let nano = w.add_interface(LinkType::RAW, 0, true).unwrap();
        // 2^-20 seconds per tick, counted from an offset.
        let binary = w
            .add_interface_with(LinkType::NULL, 0, 0x80 | 20, 1_000_000_000)
            .unwrap();
        w.write_packet(micro, ts, 4, b"abcd").unwrap();
        w.write_packet(nano, ts, 5, b"efghi").unwrap();
        w.write_packet(binary, ts, 3, b"jkl").unwrap();
        // Interface 0 has snap length 100: a simple packet keeps 100 bytes.
        w.write_simple_packet(150, &[7; 100]).unwrap();
        let mut bytes = w.into_inner().unwrap();
        // A second section with one interface.
        let mut second = PcapngWriter::with_byte_order(Vec::new(), !big_endian).unwrap();
        let only = second.add_interface(LinkType::LOOP, 0, true).unwrap();
        second.write_packet(only, ts, 2, b"mn").unwrap();
        bytes.extend_from_slice(&second.into_inner().unwrap());

        let packets = read_all(&bytes);
        let got: Vec<_> = packets
            .iter()
            .map(|p| (p.index, p.link, p.ts, p.origlen, p.data.clone()))
            .collect();
        let micro_ts = Timestamp {
            secs: ts.secs,
            nanos: 131_241_000,
        };
        // 131_241_500 ns = 137_618.6 ticks of 2^-20 s; 137_618 ticks = 131_240_844.7 ns.
        let binary_ts = Timestamp {
            secs: ts.secs,
            nanos: 131_240_844,
        };
        assert_eq!(
            got,
            vec![
                (1, LinkType::ETHERNET, micro_ts, 4, b"abcd".to_vec()),
                (2, LinkType::RAW, ts, 5, b"efghi".to_vec()),
                (3, LinkType::NULL, binary_ts, 3, b"jkl".to_vec()),
                (
                    4,
                    LinkType::ETHERNET,
                    Timestamp::default(),
                    150,
                    vec![7; 100]
                ),
                (5, LinkType::LOOP, ts, 2, b"mn".to_vec()),
            ]
        );
    }
}

#[test]
fn pcapng_inconsistencies_are_malformed() {
    // A packet on an interface the section never declared.
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    let id = w.add_interface(LinkType::ETHERNET, 0, false).unwrap();
    w.write_packet(id, Timestamp::default(), 1, b"x").unwrap();
    let mut bytes = w.into_inner().unwrap();
    let mut next = PcapngWriter::new(Vec::new()).unwrap();
    next.add_interface(LinkType::ETHERNET, 0, false).unwrap();
    next.add_interface(LinkType::RAW, 0, false).unwrap();
    next.write_packet(1, Timestamp::default(), 1, b"y").unwrap();
    let second_section = next.into_inner().unwrap();
    // Drop the second section's second IDB (20 bytes, after its 28-byte SHB and 20-byte IDB).
    bytes.extend_from_slice(&second_section[..48]);
    bytes.extend_from_slice(&second_section[68..]);
    let (packets, err) = read_until_error(bytes.as_slice());
    assert_eq!(packets.len(), 1);
    assert!(
        matches!(&err, Some(CaptureError::Malformed { detail, .. }) if detail.contains("interface 1")),
        "{err:?}"
    );

    // A block length that is not a multiple of 4.
    let mut bad = PcapngWriter::new(Vec::new()).unwrap().into_inner().unwrap();
    bad.extend_from_slice(&1u32.to_le_bytes());
    bad.extend_from_slice(&21u32.to_le_bytes());
    bad.extend_from_slice(&[0; 13]);
    let (_, err) = read_until_error(bad.as_slice());
    assert!(
        matches!(err, Some(CaptureError::Malformed { offset: 28, .. })),
        "{err:?}"
    );

    // Trailing length disagreeing with the leading one.
    let mut w = PcapngWriter::new(Vec::new()).unwrap();
    w.add_interface(LinkType::ETHERNET, 0, false).unwrap();
    let mut bytes = w.into_inner().unwrap();
    let last = bytes.len() - 4;
    bytes[last] = 0x18;
    let (_, err) = read_until_error(bytes.as_slice());
    assert!(
        matches!(err, Some(CaptureError::Malformed { offset: 28, .. })),
        "{err:?}"
    );
}

#[test]
fn legacy_header_variants() {
    // Link-type field with FCS bits above the 16-bit LINKTYPE value.
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType(0x1000_0001))).unwrap();
    w.write_packet(
        Timestamp {
            secs: 5,
            nanos: 999_999_999,
        },
        1,
        b"z",
    )
    .unwrap();
    let p = read_all(&w.into_inner().unwrap());
    assert_eq!(p[0].link, LinkType::ETHERNET);
    assert_eq!(
        p[0].ts,
        Timestamp {
            secs: 5,
            nanos: 999_999_000
        }
    );

    // Microsecond field past one second carries into the seconds.
    let mut raw = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::RAW))
        .unwrap()
        .into_inner()
        .unwrap();
    for v in [7u32, 2_500_000, 1, 1] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    raw.push(0x45);
    assert_eq!(
        read_all(&raw)[0].ts,
        Timestamp {
            secs: 9,
            nanos: 500_000_000
        }
    );

    // The "modified" format: magic a1b2cd34 and 24-byte record headers.
    let mut modified = Vec::new();
    for v in [0xa1b2_cd34u32, 0x0004_0002, 0, 0, 65_535, 101] {
        modified.extend_from_slice(&v.to_le_bytes());
    }
    for v in [3u32, 4, 2, 2, 0, 0] {
        modified.extend_from_slice(&v.to_le_bytes());
    }
    modified.extend_from_slice(b"ok");
    let p = read_all(&modified);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].data, b"ok");
    assert_eq!(
        p[0].ts,
        Timestamp {
            secs: 3,
            nanos: 4_000
        }
    );
    assert_eq!(p[0].link, LinkType::RAW);
}
