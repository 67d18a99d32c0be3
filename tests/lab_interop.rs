//! The lab captures (`captures/lab-*`, recorded by scripts/record-lab.sh
//! from real Ceph 16.2.15 daemons) against the interop verdicts: error
//! replies, an op never answered, requests paired. Every expected value
//! comes from Ceph's own debug_ms=1 logs beside each capture, never from
//! cephshark's output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod lab_support;

use cephshark::analysis::conformance::FinalState;
use cephshark::analysis::{record_tree, Record};
use cephshark::tcp::ConnId;
use lab_support::*;

/// errno names of the results the OSD logged, from Linux's errno.h (the log
/// prints `(2) No such file or directory`, `(61) No data available`).
fn errno_name(r: i64) -> &'static str {
    match r {
        -2 => "ENOENT",
        -61 => "ENODATA",
        _ => panic!("{r}"),
    }
}

/// Each osd_op_reply osd.0 logged sending while the capture ran
/// (`osd_op_reply(TID OID [OP ...] ... ondisk = RESULT ...)`) is a reply of
/// the capture on that client's connection with that tid, object and
/// result, named; `-z results` and the errno filter count them as the log
/// does.
#[test]
fn error_replies_as_the_osd_logged() {
    let name = "lab-enoent";
    let (recs, _) = lab(name);
    let (start, end) = window(&recs);
    let osd = &logs(name, "osd.0")[0];
    let ids = idents(&recs);
    let mut tally: std::collections::BTreeMap<(String, i64), u64> = Default::default();
    let mut checked = 0;
    for l in osd.iter().filter(|l| {
        l.contains(" --> ") && l.contains(" osd_op_reply(") && time(l) >= start && time(l) <= end
    }) {
        let nonce = nonce_of(l, " --> ");
        let body = l.split(" osd_op_reply(").nth(1).unwrap();
        let mut w = body.split(' ');
        let tid: u64 = w.next().unwrap().parse().unwrap();
        let oid = w.next().unwrap();
        let op = body
            .split('[')
            .nth(1)
            .unwrap()
            .split([' ', ']'])
            .next()
            .unwrap();
        let result: i64 = body
            .split(" ondisk = ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .trim_end_matches(')')
            .parse()
            .unwrap();
        *tally.entry((op.to_string(), result)).or_default() += 1;
        // The client's monitor and OSD connections share its nonce.
        let conns: Vec<ConnId> = ids
            .iter()
            .filter(|(_, n, _)| *n == nonce)
            .map(|x| x.0)
            .collect();
        let r = recs
            .iter()
            .find(|r| {
                conns.contains(&r.conn) && r.msg.is_some_and(|h| h.msg_type == 43 && h.tid == tid)
            })
            .unwrap();
        let tree = record_tree(r);
        assert_eq!(
            tree.find("ceph.osd_op_reply.oid").unwrap().to_string(),
            format!("Object: {oid}")
        );
        let want = if result == 0 {
            "Result: 0".to_string()
        } else {
            format!("Result: {result} {}", errno_name(result))
        };
        assert_eq!(
            tree.find("ceph.osd_op_reply.result").unwrap().to_string(),
            want
        );
        assert!(r.interop.as_ref().unwrap().request.is_some());
        checked += 1;
    }
    assert_eq!(checked, 5);
    assert_eq!(
        tally
            .iter()
            .filter(|((_, r), _)| *r == -2)
            .map(|(_, n)| n)
            .sum::<u64>(),
        3
    );
    let enoent = cephshark::filter::Filter::parse("ceph.osd_op_reply.result == ENOENT").unwrap();
    assert_eq!(recs.iter().filter(|r| enoent.matches(r)).count(), 3);

    let (code, out) = cephshark(&["-r", &path("lab-enoent.pcap"), "-q", "-z", "results"]);
    assert_eq!(code, 0);
    for ((op, result), n) in &tally {
        let row: Vec<String> = if *result == 0 {
            vec![op.clone(), "0".into(), n.to_string()]
        } else {
            vec![
                op.clone(),
                result.to_string(),
                errno_name(*result).into(),
                n.to_string(),
            ]
        };
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == row),
            "{row:?}\n{out}"
        );
    }
    assert!(out.contains("answers: 5  errors: 4"), "{out}");
}

/// The client logged sending osd_op tid 1 and tid 2 for object `stuck`
/// and receiving only the reply to tid 1 (osd.0 was stopped); osd.0 logged
/// sending the reply to tid 2 only after SIGCONT, when its side of the
/// connection had been killed: after the connection's last packet. The
/// capture flags exactly that request, sent when the client logged it, as
/// unanswered when the connection closed; the client logged the session
/// READY and then closed it (`s=READY ... stop`): it ends `ready`.
#[test]
fn unanswered_op_as_client_and_osd_logged() {
    let name = "lab-unanswered";
    let (recs, s) = lab(name);
    let log = logs(name, "client.")
        .into_iter()
        .find(|l| l.iter().any(|x| x.contains(":::stuck:head")))
        .unwrap();
    let tid_of = |l: &str, pat: &str| -> u64 {
        let t = l.split(pat).nth(1).unwrap();
        t.split([' ', ':']).next().unwrap().parse().unwrap()
    };
    let sent: Vec<(u64, f64)> = log
        .iter()
        .filter(|l| l.contains(" --> ") && l.contains(":::stuck:head"))
        .map(|l| (tid_of(l, "osd_op(unknown.0.0:"), time(l)))
        .collect();
    let answered: Vec<u64> = log
        .iter()
        .filter(|l| l.contains(" <== ") && l.contains("osd_op_reply(") && l.contains(" stuck "))
        .map(|l| tid_of(l, "osd_op_reply("))
        .collect();
    assert_eq!(sent.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(answered, vec![1]);
    let nonce = nonce_of(
        log.iter().find(|l| l.contains(":::stuck:head")).unwrap(),
        " -- ",
    );

    let flagged: Vec<(&Record, cephshark::model::Problem)> = recs
        .iter()
        .flat_map(|r| r.problems().into_iter().map(move |p| (r, p)))
        .filter(|(_, p)| p.kind == cephshark::model::ProblemKind::RequestUnanswered)
        .collect();
    assert_eq!(flagged.len(), 1);
    let (row, p) = &flagged[0];
    let conn = row.conn;
    assert_eq!(
        idents(&recs).iter().find(|(c, _, _)| *c == conn).unwrap().1,
        nonce
    );
    // The warning's row names the request's frame.
    let frame: u64 = p
        .found
        .split("(frame ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = recs.iter().find(|q| q.number == frame).unwrap();
    assert_eq!(r.conn, conn);
    assert_eq!(r.msg.unwrap().tid, 2);
    assert_eq!(
        record_tree(r).find("ceph.osd_op.oid").unwrap().to_string(),
        "Object: stuck"
    );
    assert!(
        (r.ts.as_f64() - sent[1].1).abs() < 0.01,
        "{} {}",
        r.ts.as_f64(),
        sent[1].1
    );
    assert_eq!(p.expected, "a osd_op_reply with tid 2");
    assert!(p.found.starts_with("osd_op tid 2 (frame "), "{}", p.found);
    assert!(p.found.ends_with(": the connection closed"), "{}", p.found);
    assert!(!recs
        .iter()
        .any(|q| q.conn == conn && q.msg.is_some_and(|h| h.msg_type == 43 && h.tid == 2)));
    let last = recs
        .iter()
        .filter(|q| q.conn == conn)
        .map(|q| q.ts.as_f64())
        .fold(f64::MIN, f64::max);
    let osd = &logs(name, "osd.0")[0];
    let reply = osd
        .iter()
        .find(|l| l.contains(" --> ") && l.contains("osd_op_reply(2 stuck "))
        .unwrap();
    assert!(time(reply) > last);
    assert!(log
        .iter()
        .any(|l| l.contains(" s=READY ") && l.ends_with(").stop") && l.contains(":44601/")));
    assert_eq!(state(&s, conn), FinalState::Ready);

    // -z oplat: as many paired as the clients logged replies (two writes
    // and the last stat), this one listed as unanswered.
    let answered_ops = logs(name, "client.")
        .iter()
        .flatten()
        .filter(|l| l.contains(" <== osd.0 ") && l.contains("osd_op_reply("))
        .filter(|l| time(l) >= window(&recs).0)
        .count();
    let (code, out) = cephshark(&["-r", &path("lab-unanswered.pcap"), "-q", "-z", "oplat"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "paired: {answered_ops}  unanswered: 1  replies without request: 0"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "unanswered: frame {frame} conn {} tid 2 write",
            conn.0
        )),
        "{out}"
    );
}

/// Every capture but the unanswered op's: no interop finding, and as many
/// paired osd_op replies as the OSDs logged receiving osd_op while the
/// capture ran.
#[test]
fn lab_requests_answered_as_the_osds_logged() {
    for (name, ops) in [
        ("lab-reconnect", 17),
        ("lab-badmethod", 2),
        ("lab-mixed", 3),
        ("lab-enoent", 5),
    ] {
        let (recs, _) = lab(name);
        let (start, end) = window(&recs);
        let logged = ceph_logs::received(&dir().join(format!("{name}.logs")))
            .into_iter()
            .filter(|((file, _, _), _)| file.starts_with("osd."))
            .flat_map(|(_, m)| m)
            .filter(|m| m.name == "osd_op" && m.time >= start && m.time <= end)
            .count();
        let paired = recs
            .iter()
            .filter(|r| r.msg.is_some_and(|h| h.msg_type == 43))
            .filter(|r| r.interop.as_ref().is_some_and(|n| n.request.is_some()))
            .count();
        assert_eq!((logged, paired), (ops, ops), "{name}");
        let interop = recs
            .iter()
            .flat_map(|r| r.problems())
            .filter(|p| p.kind.group() == cephshark::model::Group::Interop)
            .count();
        assert_eq!(interop, 0, "{name}");
    }
}
