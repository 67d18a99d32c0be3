//! The field tree of a whole row: where it is (number, time, endpoints,
//! connection, packets), its problems, and the frame's own tree.

use super::record::{Record, RecordKind};
use crate::decode::frame_tree::{frame_tree_from, frame_tree_with};
use crate::fields;
use crate::model::{FieldNode, Value};

fields! {
    FRAME = "frame", "Row", None, "One row of the frame list.";
    NUMBER = "frame.number", "Number", Uint, "1-based row number.";
    TIME = "frame.time", "Time", Time, "Capture time of the packet that completed the row.";
    PACKETS = "frame.packets", "Packets", Uint, "How many capture packets carry the row's bytes, with the first and last; the packets are its children (folded in the terminal UI, one line of ranges in -V).";
    PACKET = "frame.packet", "Packet", Uint, "Number of a capture packet carrying the row's bytes (one field per packet, under frame.packets).";
    FILE = "frame.file", "File", Str, "With several captures (-r A -r B): the capture a packet of the row came from, as named on the command line (one field per capture; the packets' numbers there are its children).";
    FILE_INDEX = "frame.file_index", "File index", Uint, "With several captures: the capture's place on the command line (1 for the first), under frame.file.";
    FILE_PACKET = "frame.file_packet", "Packet in file", Uint, "With several captures: a packet's number within its own capture (frame.packet numbers the merged capture), under frame.file.";
    KIND = "frame.kind", "Kind", Str, "banner, frame, lost, undecoded, unanswered, msgr1 (an item of a msgr1 connection).";
    PROTO = "frame.proto", "Protocol", Str, "msgr1 for the rows of a msgr1 (ceph v027) connection, msgr2 for the others.";
    STATUS = "frame.status", "Status", Str, "ok, or the names of the problems found.";
    CONN = "tcp.stream", "Connection", Uint, "Connection index (0-based, in order of appearance).";
    SRC = "tcp.src", "Source", Addr, "Sender ip:port.";
    DST = "tcp.dst", "Destination", Addr, "Receiver ip:port.";
    DIR = "tcp.dir", "Direction", Str, "c2s (from the connection's opener) or s2c.";
    PROBLEM = "msgr2.problem", "Problem", Str, "A problem found in the row (its name).";
    PROBLEM_FIELD = "msgr2.problem.field", "Field", Str, "The field the problem concerns.";
    PROBLEM_OFFSET = "msgr2.problem.offset", "Stream offset", Uint, "Stream offset of the first byte concerned.";
    PROBLEM_SEVERITY = "msgr2.problem.severity", "Severity", Str, "note, warning or error.";
    PROBLEM_GROUP = "msgr2.problem.group", "Group", Str, "checksum, framing, encoding, capture, decryption, sequence or protocol (-G experts).";
    PROBLEM_EXPECTED = "msgr2.problem.expected", "Expected", Str, "What a correct stream has there.";
    PROBLEM_FOUND = "msgr2.problem.found", "Found", Str, "What was found.";
    BANNER = "msgr2.banner", "Banner", None, "A side's msgr2 banner.";
    BANNER_SUPPORTED = "msgr2.banner.supported", "Supported features", Hex, "msgr2 features the sender supports (bit 0 revision 1, bit 1 compression).";
    BANNER_REQUIRED = "msgr2.banner.required", "Required features", Hex, "msgr2 features the sender requires.";
    BANNER_LEN = "msgr2.banner.payload_len", "Payload length", Uint, "Banner payload length (16).";
    KEEPALIVE_RTT = "msgr2.session.keepalive_rtt", "Keepalive round trip (ns)", Uint, "Time from the KEEPALIVE2 to this KEEPALIVE2_ACK echoing its stamp, in nanoseconds.";
    RESUMES = "msgr2.session.resumes", "Resumes connection", Uint, "For SESSION_RECONNECT: the earlier connection (tcp.stream) whose session this resumes, matched by client and server cookies.";
    KEEPALIVE_FRAME = "msgr2.session.keepalive_frame", "Keepalive frame", Uint, "Row number of the KEEPALIVE2 this ack answers.";
    TIME_REL = "frame.time_relative", "Time since the first packet", Time, "Seconds since the capture's first packet (as the frame list's time column).";
    SRCPORT = "tcp.srcport", "Source port", Uint, "Sender TCP port.";
    DSTPORT = "tcp.dstport", "Destination port", Uint, "Receiver TCP port.";
    PORT = "tcp.port", "Port", Uint, "Either TCP port (occurs twice: source, then destination).";
    IP_SRC = "ip.src", "Source IP", Addr, "Sender IPv4 or IPv6 address.";
    IP_DST = "ip.dst", "Destination IP", Addr, "Receiver IPv4 or IPv6 address.";
    IP_ADDR = "ip.addr", "IP", Addr, "Either IP address (occurs twice: source, then destination).";
    SRC_ENTITY = "ceph.src.entity", "Source entity", Str, "The sender's entity name (client.4112, osd.0, mon.0; client.? before its global id), from the connection's ident frames, on every row from the one that shows it.";
    DST_ENTITY = "ceph.dst.entity", "Destination entity", Str, "The receiver's entity name, from the connection's ident frames, on every row from the one that shows it.";
    ENTITY = "ceph.entity", "Entity", Str, "Either entity of the row's connection (source, then destination; each once known).";
    SRC_ENTITY_TYPE = "ceph.src.entity.type", "Source entity type", Str, "The sender's entity type (mon, osd, mds, client, mgr), from its HELLO.";
    DST_ENTITY_TYPE = "ceph.dst.entity.type", "Destination entity type", Str, "The receiver's entity type, from its HELLO.";
    ENTITY_TYPE = "ceph.entity.type", "Entity type", Str, "Either entity type of the row's connection (source, then destination; each once known).";
}

/// Where the row is: time since the first packet, ports, IPs, and the
/// connection's entities (as far as the session knows them).
fn place_nodes(r: &Record, k: &mut Vec<FieldNode>) {
    let rel = i128::from(r.ts.secs) * 1_000_000_000 + i128::from(r.ts.nanos)
        - (i128::from(r.origin.secs) * 1_000_000_000 + i128::from(r.origin.nanos));
    let secs = i64::try_from(rel.div_euclid(1_000_000_000)).unwrap_or(0);
    let nanos = u32::try_from(rel.rem_euclid(1_000_000_000)).unwrap_or(0);
    k.push(FieldNode::new(&TIME_REL, Value::Time(secs, nanos), None));
    let ports = [u64::from(r.src.port()), u64::from(r.dst.port())];
    k.push(FieldNode::new(&SRCPORT, Value::Uint(ports[0]), None));
    k.push(FieldNode::new(&DSTPORT, Value::Uint(ports[1]), None));
    for p in ports {
        k.push(FieldNode::new(&PORT, Value::Uint(p), None));
    }
    let ips = [r.src.ip().to_string(), r.dst.ip().to_string()];
    k.push(FieldNode::new(&IP_SRC, Value::Addr(ips[0].clone()), None));
    k.push(FieldNode::new(&IP_DST, Value::Addr(ips[1].clone()), None));
    for ip in ips {
        k.push(FieldNode::new(&IP_ADDR, Value::Addr(ip), None));
    }
    let names = r.entity_names();
    let types = r.entity_types();
    for (def, v) in [(&SRC_ENTITY, names[0]), (&DST_ENTITY, names[1])] {
        if let Some(v) = v {
            k.push(FieldNode::new(def, Value::Str(v.to_string()), None));
        }
    }
    for v in names.iter().flatten() {
        k.push(FieldNode::new(&ENTITY, Value::Str(v.to_string()), None));
    }
    for (def, v) in [(&SRC_ENTITY_TYPE, types[0]), (&DST_ENTITY_TYPE, types[1])] {
        if let Some(v) = v {
            k.push(FieldNode::new(def, Value::Str(v.into()), None));
        }
    }
    for v in types.iter().flatten() {
        k.push(FieldNode::new(
            &ENTITY_TYPE,
            Value::Str(v.to_string()),
            None,
        ));
    }
}

/// The packets of a row, folded under one node: `Packets: 94 (first 788,
/// last 881)` with one `frame.packet` child per packet.
fn packets_node(r: &Record) -> FieldNode {
    let count = u64::try_from(r.packets.len()).unwrap_or(u64::MAX);
    let mut n = FieldNode::new(&PACKETS, Value::Uint(count), None);
    n.summary = match (r.packets.first(), r.packets.last()) {
        (Some(a), Some(b)) if r.packets.len() > 1 => {
            Some(format!("{count} (first {}, last {})", a.0, b.0))
        }
        (Some(a), _) => Some(format!("1 ({})", a.0)),
        _ => None,
    };
    n.children.extend(
        r.packets
            .iter()
            .map(|p| FieldNode::new(&PACKET, Value::Uint(p.0), None)),
    );
    n
}

/// With several captures: one `frame.file` per capture the row's
/// packets came from, with its index and the packets' numbers there.
fn file_nodes(r: &Record, k: &mut Vec<FieldNode>) {
    let Some(origins) = &r.origins else {
        return;
    };
    for (file, packets) in r.files() {
        let name = origins.name(file).to_string();
        let mut n = FieldNode::new(&FILE, Value::Str(name), None);
        let index = u64::try_from(file).unwrap_or(u64::MAX).saturating_add(1);
        n.children
            .push(FieldNode::new(&FILE_INDEX, Value::Uint(index), None));
        n.children.extend(
            packets
                .iter()
                .map(|p| FieldNode::new(&FILE_PACKET, Value::Uint(p.0), None)),
        );
        k.push(n);
    }
}

/// Packet numbers as ranges: `788-830,832,834-881`.
pub fn packet_ranges(packets: &[u64]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&first) = packets.get(i) {
        let mut last = first;
        let mut j = i + 1;
        while let Some(&p) = packets.get(j) {
            if Some(p) != last.checked_add(1) {
                break;
            }
            last = p;
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if last == first {
            out.push_str(&first.to_string());
        } else {
            out.push_str(&format!("{first}-{last}"));
        }
        i = j;
    }
    out
}

/// The tree of a row.
pub fn record_tree(r: &Record) -> FieldNode {
    let mut root = FieldNode::new(&FRAME, Value::None, None);
    root.summary = Some(format!("{}: {}", r.number, r.tag_name()));
    let k = &mut root.children;
    k.push(FieldNode::new(&NUMBER, Value::Uint(r.number), None));
    k.push(FieldNode::new(
        &TIME,
        Value::Time(r.ts.secs, r.ts.nanos),
        None,
    ));
    k.push(packets_node(r));
    file_nodes(r, k);
    let kind = match &r.kind {
        RecordKind::Banner(_) => "banner",
        RecordKind::Frame(_) => "frame",
        RecordKind::Lost { .. } => "lost",
        RecordKind::Undecoded(p) if p.kind == crate::msgr2::ProblemKind::RequestUnanswered => {
            "unanswered"
        }
        RecordKind::Undecoded(_) => "undecoded",
        RecordKind::Msgr1(_) => "msgr1",
    };
    k.push(FieldNode::new(&KIND, Value::Str(kind.into()), None));
    k.push(FieldNode::new(&PROTO, Value::Str(r.proto().into()), None));
    k.push(FieldNode::new(&STATUS, Value::Str(r.status()), None));
    // The problems next, near the top, where -V and the terminal UI show
    // them first.
    for p in r.problems() {
        let mut n = FieldNode::new(&PROBLEM, Value::Str(p.kind.name().into()), None);
        n.children.push(FieldNode::new(
            &PROBLEM_FIELD,
            Value::Str(p.field.into()),
            None,
        ));
        n.children
            .push(FieldNode::new(&PROBLEM_OFFSET, Value::Uint(p.offset), None));
        let sev = p.kind.severity().as_str().to_string();
        n.children
            .push(FieldNode::new(&PROBLEM_SEVERITY, Value::Str(sev), None));
        n.children.push(FieldNode::new(
            &PROBLEM_GROUP,
            Value::Str(p.kind.group().as_str().into()),
            None,
        ));
        n.children.push(FieldNode::new(
            &PROBLEM_EXPECTED,
            Value::Str(p.expected.clone()),
            None,
        ));
        n.children.push(FieldNode::new(
            &PROBLEM_FOUND,
            Value::Str(p.found.clone()),
            None,
        ));
        k.push(n);
    }
    k.push(FieldNode::new(
        &CONN,
        Value::Uint(u64::from(r.conn.0)),
        None,
    ));
    k.push(FieldNode::new(&SRC, Value::Addr(r.src.to_string()), None));
    k.push(FieldNode::new(&DST, Value::Addr(r.dst.to_string()), None));
    k.push(FieldNode::new(&DIR, Value::Str(r.dir.short().into()), None));
    place_nodes(r, k);
    if let Some(note) = &r.session {
        if let Some(row) = note.keepalive_row {
            k.push(FieldNode::new(&KEEPALIVE_FRAME, Value::Uint(row), None));
        }
        if let Some(conn) = note.resumes {
            k.push(FieldNode::new(
                &RESUMES,
                Value::Uint(u64::from(conn.0)),
                None,
            ));
        }
        if let Some(rtt) = note.keepalive_rtt_ns {
            k.push(FieldNode::new(&KEEPALIVE_RTT, Value::Uint(rtt), None));
        }
    }
    if let Some(note) = &r.interop {
        k.extend(note.nodes());
    }
    match &r.kind {
        RecordKind::Banner(b) => {
            let mut n = FieldNode::new(&BANNER, Value::None, None);
            n.children.push(FieldNode::new(
                &BANNER_LEN,
                Value::Uint(u64::from(b.payload_len)),
                None,
            ));
            n.children.push(FieldNode::new(
                &BANNER_SUPPORTED,
                Value::Uint(b.supported),
                None,
            ));
            n.children.push(FieldNode::new(
                &BANNER_REQUIRED,
                Value::Uint(b.required),
                None,
            ));
            k.push(n);
        }
        RecordKind::Frame(f) => {
            let mut n = match &r.payload {
                Some(p) => frame_tree_from(f, p),
                None => frame_tree_with(f, r.session.as_ref().and_then(|n| n.sender_name.clone())),
            };
            if let Some(c) = &r.cephx {
                n.children.extend(c.iter().cloned());
            }
            k.push(n);
        }
        RecordKind::Msgr1(it) => {
            let message = r
                .payload
                .as_ref()
                .map(|p| p.tree_msgr1(it))
                .unwrap_or_default();
            let mut n = crate::msgr1::tree::item_tree(it, message);
            if let Some(c) = &r.cephx {
                n.children.extend(c.iter().cloned());
            }
            k.push(n);
        }
        _ => {}
    }
    root
}
