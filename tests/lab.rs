//! The lab captures (`captures/lab-*`, recorded by scripts/record-lab.sh
//! from real Ceph 16.2.15 daemons): reconnects after `ss -K`,
//! AUTH_BAD_METHOD, mixed crc/secure, error replies and an op never
//! answered. Every expected value comes from Ceph's own debug_ms=1 logs
//! beside each capture (or tcpdump's packet count in captures/README.md),
//! never from cephshark's output.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::conformance::FinalState;
use cephshark::analysis::interop::Release;
use cephshark::analysis::{dissect, record_tree, Config, Record, Summary};
use cephshark::decode::control::Control;
use cephshark::model::Severity;
use cephshark::tcp::ConnId;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn lab(name: &str) -> (Vec<Record>, Summary) {
    let mut cfg = Config::default();
    if let Ok(text) = std::fs::read_to_string(dir().join(format!("{name}.keys"))) {
        let log = cephshark::msgr2::keys::KeyLog::parse(&text).unwrap();
        cfg.keys = Some(std::sync::Arc::new(log));
    }
    let bytes = std::fs::read(dir().join(format!("{name}.pcap"))).unwrap();
    let mut recs = Vec::new();
    let s = dissect(&bytes[..], cfg, &mut |r| recs.push(r)).unwrap();
    (recs, s)
}

/// The lines of each log of `name` whose file name starts with `prefix`,
/// one Vec per file.
fn logs(name: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join(format!("{name}.logs")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let mut s = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
                .read_to_string(&mut s)
                .unwrap();
            s.lines().map(str::to_string).collect()
        })
        .collect()
}

/// `key=value` of a log line.
fn kv<'a>(line: &'a str, key: &str) -> &'a str {
    let pat = format!(" {key}=");
    let rest = line
        .split(&pat)
        .nth(1)
        .unwrap_or_else(|| panic!("{key}: {line}"));
    rest.split([' ', ')']).next().unwrap()
}

fn time(line: &str) -> f64 {
    ceph_logs::parse_time(line.split(' ').next().unwrap()).unwrap()
}

/// The capture's first and last packet times.
fn window(recs: &[Record]) -> (f64, f64) {
    let ts = recs.iter().map(|r| r.ts.as_f64());
    (
        ts.clone().fold(f64::MAX, f64::min),
        ts.fold(f64::MIN, f64::max),
    )
}

fn controls(recs: &[Record], conn: Option<ConnId>) -> Vec<(ConnId, Control)> {
    recs.iter()
        .filter(|r| conn.is_none_or(|c| r.conn == c))
        .filter_map(|r| r.control().map(|c| (r.conn, c.clone())))
        .collect()
}

/// The client nonce and the server's global_seq (Ceph's `pgs=`) of each
/// connection whose idents the capture holds.
fn idents(recs: &[Record]) -> Vec<(ConnId, u32, u64)> {
    let mut out = Vec::new();
    for (conn, c) in controls(recs, None) {
        if let Control::ServerIdent(si) = c {
            let nonce = controls(recs, Some(conn))
                .into_iter()
                .find_map(|(_, c)| match c {
                    Control::ClientIdent(ci) => Some(ci.addrs.addrs[0].nonce.v),
                    _ => None,
                });
            out.push((conn, nonce.unwrap(), si.global_seq.v));
        }
    }
    out
}

fn state(s: &Summary, c: ConnId) -> FinalState {
    s.conns[&c].state.unwrap()
}

fn cephshark(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

fn path(f: &str) -> String {
    dir().join(f).to_string_lossy().into_owned()
}

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
        assert!(last.ends_with(&format!(" {rc} problems")), "{name}: {last}");
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

/// The messenger address (`127.0.0.1:0/NONCE`) a client log line names
/// first, and its nonce.
fn nonce_of(line: &str, sep: &str) -> u32 {
    let me = line.split(sep).nth(1).unwrap().split(' ').next().unwrap();
    me.rsplit('/').next().unwrap().parse().unwrap()
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
