//! The lab captures (`captures/lab-*`, recorded by scripts/record-lab.sh
//! from real Ceph 16.2.15 daemons) against the msgr2 state machine:
//! reconnects after `ss -K`, AUTH_BAD_METHOD, mixed crc/secure. Every
//! expected value comes from Ceph's own debug_ms=1 logs beside each capture
//! (or tcpdump's packet count in captures/README.md), never from
//! cephshark's output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod lab_support;
mod support;

use cephshark::analysis::conformance::FinalState;
use cephshark::analysis::interop::Release;
use cephshark::analysis::{record_tree, Record};
use cephshark::decode::control::Control;
use cephshark::model::Severity;
use cephshark::tcp::ConnId;
use lab_support::*;

/// Every lab capture conforms (no state-machine finding) and `verify`
/// accepts it, except the unanswered op (a warning: exit 1). Packet counts
/// are tcpdump's, from captures/README.md.
#[test]
fn lab_captures_conform_and_verify() {
    for (name, packets, rc) in [
        ("lab-reconnect", 1848, 0),
        ("lab-badmethod", 253, 0),
        ("lab-mixed", 397, 0),
        ("lab-enoent", 566, 0),
        ("lab-unanswered", 351, 1),
    ] {
        let (recs, s) = lab(name);
        assert_eq!(support::conform::findings(&recs).len(), 0, "{name}");
        let errors = recs
            .iter()
            .flat_map(|r| r.problems())
            .filter(|p| p.kind.severity() >= Severity::Error)
            .count();
        assert_eq!(errors, 0, "{name}");
        assert_eq!(s.packets, packets, "{name}");
        let keys = dir().join(format!("{name}.keys"));
        let mut args = vec!["verify".to_string()];
        if keys.exists() {
            args.extend(["--keys".into(), keys.to_string_lossy().into_owned()]);
        }
        args.push(path(&format!("{name}.pcap")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out) = cephshark(&args);
        assert_eq!(code, rc, "{name}: {out}");
        let last = out.lines().last().unwrap();
        assert!(
            last.contains(&format!("— {packets} packets, ")),
            "{name}: {last}"
        );
        let problems = if rc == 1 {
            " 1 problem".to_string()
        } else {
            format!(" {rc} problems")
        };
        assert!(last.ends_with(&problems), "{name}: {last}");
    }
}

/// The OSD-to-OSD cluster connection killed by `ss -K`: both OSDs logged
/// the fault, osd.1 reconnected, osd.0 logged `handle_reconnect` and both
/// logged the resumed session READY with connect_seq 1 and their seqs.
/// The capture's SESSION_RECONNECT / RECONNECT_OK carry those values, the
/// killed connection ends `reset` and the resumed one `ready`.
#[test]
fn reconnect_between_osds_as_both_osds_logged() {
    let name = "lab-reconnect";
    let (recs, s) = lab(name);
    let (_, end) = window(&recs);
    let osd0 = &logs(name, "osd.0")[0];
    let osd1 = &logs(name, "osd.1")[0];
    // osd.0 (v2:...:44602, cluster) accepted; osd.1 (...:44606) connected.
    let cluster = |l: &String, peer: &str| l.contains(&format!(":{peer}/")) && l.contains("--2- ");
    let ready = |log: &Vec<String>, peer: &str| -> Vec<String> {
        log.iter()
            .filter(|l| cluster(l, peer) && l.contains(").ready entity=") && time(l) <= end)
            .cloned()
            .collect()
    };
    let (r0, r1) = (ready(osd0, "44606"), ready(osd1, "44602"));
    assert_eq!((r0.len(), r1.len()), (2, 2));
    for log in [(osd0, "44606"), (osd1, "44602")] {
        let faults: Vec<_> = log
            .0
            .iter()
            .filter(|l| {
                cluster(l, log.1) && l.contains("_fault with nothing to send, going to standby")
            })
            .filter(|l| time(l) <= end)
            .collect();
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(faults[0].contains("s=READY pgs=1 cs=0"));
    }
    assert_eq!(
        osd0.iter()
            .filter(|l| l.contains("handle_reconnect reconnect to existing="))
            .count(),
        1
    );
    let (srv, cli) = (&r0[1], &r1[1]);
    assert_eq!((kv(srv, "cs"), kv(cli, "cs")), ("1", "1"));
    let cookie = |l: &str, k: &str| u64::from_str_radix(kv(l, k), 16).unwrap();

    let reconnects: Vec<_> = controls(&recs, None)
        .into_iter()
        .filter(|(_, c)| matches!(c, Control::SessionReconnect(_)))
        .collect();
    assert_eq!(reconnects.len(), 1);
    let (conn, Control::SessionReconnect(sr)) = &reconnects[0] else {
        unreachable!()
    };
    assert_eq!(sr.client_cookie.v, cookie(cli, "client_cookie"));
    assert_eq!(sr.server_cookie.v, cookie(srv, "server_cookie"));
    assert_eq!(sr.connect_seq.v, 1);
    // msg_seq: what the reconnecting osd.1 had received (its in_seq).
    assert_eq!(sr.msg_seq.v, kv(cli, "in_seq").parse::<u64>().unwrap());
    assert_eq!(sr.addrs.addrs[0].sockaddr.to_string(), "127.0.0.1:44606");
    let ok: Vec<_> = controls(&recs, Some(*conn))
        .into_iter()
        .filter_map(|(_, c)| match c {
            Control::SessionReconnectOk(o) => Some(o.msg_seq.v),
            _ => None,
        })
        .collect();
    assert_eq!(ok, vec![kv(srv, "in_seq").parse::<u64>().unwrap()]);

    let row = recs
        .iter()
        .find(|r| r.conn == *conn && matches!(r.control(), Some(Control::SessionReconnect(_))))
        .unwrap();
    let resumed = row.session.as_ref().unwrap().resumes.unwrap();
    assert_eq!(state(&s, resumed), FinalState::Reset);
    assert_eq!(state(&s, *conn), FinalState::Ready);
    // The resumed session is the one both OSDs first logged READY (pgs=1).
    let first = idents(&recs)
        .into_iter()
        .find(|(c, _, _)| *c == resumed)
        .unwrap();
    assert_eq!(first.2, kv(&r1[0], "pgs").parse::<u64>().unwrap());
    assert_eq!(kv(&r0[0], "client_cookie"), kv(srv, "client_cookie"));

    // The resumed session keeps its peers although no ident crosses the
    // new connection: the names each OSD logged for it, Pacific features
    // (16.2.15 on both sides) on every message, and -z conv shows them.
    let c = &s.conns[conn];
    let entity = |l: &str| Some(kv(l, "entity").to_string());
    assert_eq!(c.names, [entity(srv), entity(cli)]);
    assert_eq!(c.releases, [Some(Release::Pacific), Some(Release::Pacific)]);
    let msgs: Vec<&Record> = recs
        .iter()
        .filter(|r| r.conn == *conn && r.is_message())
        .collect();
    // As many messages as both OSDs logged receiving on the resumed
    // session (their connection objects of the `cs=1` ready lines) after it
    // was READY again and while the capture ran.
    let received = |file: &str, ready: &str| {
        let ptr = ready
            .split("conn(")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        ceph_logs::received(&dir().join(format!("{name}.logs")))
            .into_iter()
            .filter(|((f, con, _), _)| f.starts_with(file) && con == ptr)
            .flat_map(|(_, m)| m)
            .filter(|m| m.time >= time(ready) && m.time <= end)
            .count()
    };
    assert_eq!(msgs.len(), received("osd.0", srv) + received("osd.1", cli));
    let pacific = cephshark::filter::Filter::parse(
        "ceph.peer.release == pacific && ceph.peer.receiver_release == pacific",
    )
    .unwrap();
    assert!(msgs.iter().all(|r| pacific.matches(r)));
    let (_, out) = cephshark(&["-r", &path("lab-reconnect.pcap"), "-q", "-z", "conv"]);
    let row = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&conn.0.to_string()))
        .unwrap();
    assert!(
        row.contains("(osd.1)") && row.contains("(osd.0)") && row.contains("pacific/pacific"),
        "{row}"
    );
}

/// The `rados watch` client's monitor and OSD connections killed by
/// `ss -K`: it logged two READY sessions to each (new sessions: lossy), and
/// re-registered its watch (`watch reconnect`, answered 0). In the capture
/// the first of each ends `reset`, the second `ready`.
#[test]
fn lossy_client_reopens_sessions_as_it_logged() {
    let name = "lab-reconnect";
    let (recs, s) = lab(name);
    let (start, end) = window(&recs);
    let log = logs(name, "client.")
        .into_iter()
        .find(|l| l.iter().any(|x| x.contains("[watch reconnect")))
        .unwrap();
    let ready: Vec<&String> = log
        .iter()
        .filter(|l| l.contains(").ready entity=") && time(l) >= start && time(l) <= end)
        .collect();
    // The watch's reply line names the client's messenger (its nonce).
    let line = log
        .iter()
        .find(|l| l.contains("<== osd.1") && l.contains("[watch reconnect"))
        .unwrap();
    let me = line
        .split(" -- ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let nonce: u32 = me.rsplit('/').next().unwrap().parse().unwrap();
    let ids = idents(&recs);
    let mut seen = Vec::new();
    for entity in ["mon.0", "osd.1"] {
        let pgs: Vec<u64> = ready
            .iter()
            .filter(|l| {
                l.contains(&format!("entity={entity} ")) && l.contains(&format!("/{nonce} >> "))
            })
            .map(|l| kv(l, "pgs").parse().unwrap())
            .collect();
        assert_eq!(pgs.len(), 2, "{entity}");
        let conns: Vec<ConnId> = pgs
            .iter()
            .map(|p| {
                ids.iter()
                    .find(|(_, n, g)| *n == nonce && g == p)
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(
            (state(&s, conns[0]), state(&s, conns[1])),
            (FinalState::Reset, FinalState::Ready),
            "{entity}"
        );
        seen.push(conns);
    }
    // The watch re-registered on the new OSD session, answered 0.
    assert!(line.contains("ondisk = 0)"));
    let tid: u64 = line
        .split("osd_op_reply(")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let reply = recs
        .iter()
        .find(|r| r.conn == seen[1][1] && r.msg.is_some_and(|h| h.msg_type == 43 && h.tid == tid))
        .unwrap();
    assert!(reply.interop.as_ref().unwrap().request.is_some());
    assert_eq!(
        record_tree(reply)
            .find("ceph.osd_op_reply.result")
            .unwrap()
            .to_string(),
        "Result: 0"
    );
}

/// AUTH_BAD_METHOD of a connection: method, result, allowed methods, modes.
type BadMethod = (ConnId, u32, i32, Vec<u32>, Vec<u32>);

/// The monitor accepts only secure mode (the recording's
/// ms_mon_service_mode). The client offering only crc logged
/// `handle_auth_bad_method method=2 result (95)`, `allowed_methods [2] but
/// i only support [2]` and stopped in AUTH_CONNECTING, never READY: its
/// connection holds one AUTH_REQUEST and that AUTH_BAD_METHOD and ends
/// `incomplete`. The client offering auth none first logged
/// `handle_auth_bad_method method=1` on each monitor connection, then READY
/// in secure mode: each retried cephx on the same connection and ends
/// `ready`.
#[test]
fn auth_bad_method_as_the_clients_logged() {
    let name = "lab-badmethod";
    let (recs, s) = lab(name);
    let clients = logs(name, "client.");
    let gave_up = clients
        .iter()
        .find(|l| l.iter().any(|x| x.contains("but i only support [2]")))
        .unwrap();
    let bad: Vec<&String> = gave_up
        .iter()
        .filter(|l| l.contains("handle_auth_bad_method method="))
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].contains("s=AUTH_CONNECTING") && bad[0].contains("method=2 result (95)"));
    assert!(!gave_up.iter().any(|l| l.contains(").ready entity=")));
    assert!(gave_up
        .iter()
        .any(|l| l.contains("s=AUTH_CONNECTING") && l.ends_with(").stop")));

    let bad_methods: Vec<BadMethod> = controls(&recs, None)
        .into_iter()
        .filter_map(|(c, x)| match x {
            Control::AuthBadMethod(b) => Some((
                c,
                b.method.v,
                b.result.v,
                b.allowed_methods.items.iter().map(|m| m.v).collect(),
                b.allowed_modes.items.iter().map(|m| m.v).collect(),
            )),
            _ => None,
        })
        .collect();
    let refused: Vec<_> = bad_methods.iter().filter(|b| b.1 == 2).collect();
    assert_eq!(refused.len(), 1);
    let (conn, _, result, methods, modes) = refused[0];
    assert_eq!(
        (*result, methods.clone(), modes.clone()),
        (-95, vec![2], vec![2])
    );
    let requests = controls(&recs, Some(*conn))
        .into_iter()
        .filter(|(_, c)| matches!(c, Control::AuthRequest(_)))
        .count();
    assert_eq!(requests, 1);
    assert_eq!(state(&s, *conn), FinalState::Incomplete);

    let retried = clients
        .iter()
        .find(|l| {
            l.iter()
                .any(|x| x.contains("handle_auth_bad_method method=1 "))
        })
        .unwrap();
    let logged_bad = retried
        .iter()
        .filter(|l| l.contains("handle_auth_bad_method method=1 result (95)"))
        .count();
    let ready: Vec<&String> = retried
        .iter()
        .filter(|l| l.contains(").ready entity=mon.0"))
        .collect();
    assert_eq!((logged_bad, ready.len()), (3, 3));
    assert!(ready.iter().all(|l| l.contains(" secure :-1 s=READY")));
    let none: Vec<_> = bad_methods.iter().filter(|b| b.1 == 1).collect();
    assert_eq!(none.len(), logged_bad);
    let ids = idents(&recs);
    for (conn, _, result, methods, _) in none {
        assert_eq!((*result, methods.clone()), (-95, vec![2]));
        let after: Vec<Control> = controls(&recs, Some(*conn))
            .into_iter()
            .map(|(_, c)| c)
            .skip_while(|c| !matches!(c, Control::AuthBadMethod(_)))
            .collect();
        let Control::AuthRequest(retry) = &after[1] else {
            panic!("{:?}", after[1])
        };
        assert_eq!(retry.method.v, 2);
        let done = after
            .iter()
            .find_map(|c| match c {
                Control::AuthDone(d) => Some(d.con_mode.v),
                _ => None,
            })
            .unwrap();
        assert_eq!(done, 2);
        assert_eq!(state(&s, *conn), FinalState::Ready);
        // The same session as one the client logged READY (nonce, pgs).
        let (_, nonce, pgs) = ids.iter().find(|(c, _, _)| c == conn).unwrap();
        assert!(ready.iter().any(
            |l| nonce_of(l, "--2- ") == *nonce && kv(l, "pgs").parse::<u64>().unwrap() == *pgs
        ));
    }
}

/// Secure to the monitor, crc to the OSD: every session a client logged
/// READY is a connection of the capture with that mode in AUTH_DONE, ending
/// `ready`.
#[test]
fn mixed_modes_as_the_clients_logged() {
    let name = "lab-mixed";
    let (recs, s) = lab(name);
    let (start, _) = window(&recs);
    let ids = idents(&recs);
    let mut n = 0;
    for log in logs(name, "client.") {
        for l in log
            .iter()
            .filter(|l| l.contains(").ready entity=") && time(l) >= start)
        {
            let (nonce, pgs) = (nonce_of(l, "--2- "), kv(l, "pgs").parse::<u64>().unwrap());
            let conn = ids
                .iter()
                .find(|(_, a, b)| *a == nonce && *b == pgs)
                .unwrap()
                .0;
            let mode = if l.contains(" secure :-1 s=READY") {
                2
            } else {
                1
            };
            let want = if kv(l, "entity").starts_with("mon.") {
                2
            } else {
                1
            };
            assert_eq!(mode, want, "{l}");
            let done = controls(&recs, Some(conn))
                .into_iter()
                .find_map(|(_, c)| match c {
                    Control::AuthDone(d) => Some(d.con_mode.v),
                    _ => None,
                })
                .unwrap();
            assert_eq!(done, mode);
            assert_eq!(state(&s, conn), FinalState::Ready);
            n += 1;
        }
    }
    assert_eq!(n, 14);
    assert_eq!(n, ids.len());
}
