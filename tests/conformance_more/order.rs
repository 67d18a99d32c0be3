//! Frames judged in the conversation's order when a capture puts the two
//! directions' packets in another order.

use super::support::capture_conv::read_all;
use super::support::conform::*;
use super::support::flip::{capture, write};
use super::support::mutants::records;
use cephshark::analysis::conformance::FinalState;
use cephshark::analysis::{dissect, Config, Record};
use cephshark::decode::control::Control;
use cephshark::decode::control_enc::Stamp;
use cephshark::model::ProblemKind;
use cephshark::msgr2::Tag;
use cephshark::tcp::{ConnId, Direction};

fn row(rows: &[Record], conn: u32, dir: Direction, tag: Tag) -> &Record {
    rows.iter()
        .find(|r| {
            r.conn == ConnId(conn) && r.dir == dir && r.frame().is_some_and(|f| f.tag() == tag)
        })
        .unwrap()
}

/// `name` with the payloads of packets `a` and `b` (1-based) swapped, each
/// packet keeping its timestamp: each direction's TCP stream is intact,
/// only the capture's interleaving of the two changes.
fn swapped(name: &str, a: u64, b: u64) -> Vec<u8> {
    let mut pkts = read_all(&capture(name));
    let (i, j) = (a as usize - 1, b as usize - 1);
    let da = pkts[i].data.clone();
    pkts[i].data = std::mem::replace(&mut pkts[j].data, da);
    let (oa, ob) = (pkts[i].origlen, pkts[j].origlen);
    pkts[i].origlen = ob;
    pkts[j].origlen = oa;
    write(&pkts)
}

#[test]
fn a_reply_captured_before_its_request_conforms() {
    for (name, conn, request, reply) in [
        ("none-crc.pcap", 1, Tag::AuthRequest, Tag::AuthDone),
        ("none-crc.pcap", 1, Tag::ClientIdent, Tag::ServerIdent),
        ("cephx-crc.pcap", 1, Tag::AuthRequest, Tag::AuthReplyMore),
    ] {
        let (rows, _) = dissect_file(name, None);
        let req = row(&rows, conn, Direction::ClientToServer, request);
        let rep = row(&rows, conn, Direction::ServerToClient, reply);
        assert_eq!((req.packets.len(), rep.packets.len()), (1, 1), "{name}");
        let (a, b) = (req.packets[0].0, rep.packets[0].0);
        assert!(a < b, "{name}");
        let bytes = swapped(name, a, b);
        let mut rows = Vec::new();
        let s = dissect(&bytes[..], Config::default(), &mut |r| rows.push(r)).unwrap();
        // The capture now shows the reply first ...
        let req = row(&rows, conn, Direction::ClientToServer, request);
        let rep = row(&rows, conn, Direction::ServerToClient, reply);
        assert_eq!((rep.packets[0].0, req.packets[0].0), (a, b), "{name}");
        // ... and it is judged after its request, without a finding.
        assert!(rep.number > req.number, "{name} {reply}");
        assert_eq!(
            findings(&rows).len(),
            0,
            "{name} {reply}: {:?}",
            findings(&rows).first().map(|x| &x.1)
        );
        assert_eq!(
            s.conns[&ConnId(conn)].state,
            Some(FinalState::Ready),
            "{name}"
        );
    }
}

#[test]
fn a_reply_sent_early_is_still_reported_once() {
    // The client never sends its AUTH_REQUEST: the server's AUTH_DONE waits
    // for it, the client's AUTH_SIGNATURE is refused as well, and AUTH_DONE
    // is judged: one finding, on AUTH_DONE, in the state that refused it.
    let c = conversation("none-crc.pcap", 1);
    let mut m = c.clone();
    m.remove(pos(&c, true, Tag::AuthRequest));
    let (tag, dir, p) = one(&m, "auth_done_early");
    assert_eq!(
        (tag, dir, p.kind, p.field),
        (
            Tag::AuthDone,
            Direction::ServerToClient,
            ProblemKind::UnexpectedFrame,
            "msgr2.tag"
        )
    );
    assert_eq!(
        p.expected,
        "no frame before AUTH_REQUEST (server in AUTH_ACCEPTING)"
    );
    assert_eq!(p.found, "AUTH_DONE from the server");
    let rows = run(&m);
    let done = row(&rows, 0, Direction::ServerToClient, Tag::AuthDone);
    assert_eq!(p.offset, done.frame().unwrap().offset);
}

#[test]
fn frames_wait_for_the_other_direction_at_most_eight() {
    // Server KEEPALIVE2s right after its HELLO, before the client's
    // AUTH_REQUEST: refused (the client is not READY), they wait. Eight
    // wait for the client's next frame; a ninth sends them to be judged
    // at once, before it.
    let c = conversation("none-crc.pcap", 1);
    let hello = pos(&c, false, Tag::Hello);
    assert!(pos(&c, true, Tag::AuthRequest) > hello);
    for (n, judged_first) in [(8, false), (9, true)] {
        let mut m = c.clone();
        for k in 0..n {
            m.insert(
                hello + 1,
                send(false, &Control::Keepalive2(Stamp::new(k, 0))),
            );
        }
        let rows = run(&m);
        let f = findings(&rows);
        assert_eq!(f.len(), 1, "{n}");
        let (r, p) = &f[0];
        assert_eq!(
            (r.frame().unwrap().tag(), p.kind),
            (Tag::Keepalive2, ProblemKind::UnexpectedFrame)
        );
        assert_eq!(p.found, "KEEPALIVE2 from the server");
        let req = row(&rows, 0, Direction::ClientToServer, Tag::AuthRequest);
        assert_eq!(r.number < req.number, judged_first, "{n}");
        // The first KEEPALIVE2 in capture order carries the finding.
        let first_ka = rows
            .iter()
            .filter(|x| x.frame().is_some_and(|f| f.tag() == Tag::Keepalive2))
            .min_by_key(|x| x.frame().unwrap().offset)
            .unwrap();
        assert_eq!(first_ka.number, r.number, "{n}");
        assert_eq!(verify(&pcap(&m), &format!("ka{n}")).0, 1);
    }
}

#[test]
fn reordered_rows_keep_every_frame() {
    // Nothing is lost or duplicated by waiting: the rows of the swapped
    // capture are those of the original, frame for frame.
    let (orig, _) = dissect_file("none-crc.pcap", None);
    let (rows0, _) = dissect_file("none-crc.pcap", None);
    let req = row(&rows0, 1, Direction::ClientToServer, Tag::AuthRequest);
    let rep = row(&rows0, 1, Direction::ServerToClient, Tag::AuthDone);
    let rows = records(&swapped(
        "none-crc.pcap",
        req.packets[0].0,
        rep.packets[0].0,
    ));
    let key = |r: &Record| {
        (
            r.conn.0,
            r.dir.index(),
            r.frame().map(|f| (f.offset, f.tag().raw())),
        )
    };
    let mut a: Vec<_> = orig.iter().map(key).collect();
    let mut b: Vec<_> = rows.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=rows.len() as u64).collect::<Vec<_>>());
}
