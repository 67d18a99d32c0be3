//! The cephx renewals inside a monitor session (lab-secure.pcap, secure,
//! with its key file): each MAuth's cephx request and each MAuthReply's
//! response header decoded into fields. What was asked comes from Ceph's
//! own logs (debug_auth=10): `build_rotating_request` and `get service
//! keys: want=W need=N have=H` where the clients built them, `handle_request
//! get_principal_session_key` where the monitor read them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod lab_support;

use cephshark::analysis::{record_tree, Record};
use cephshark::model::{FieldNode, Value};
use lab_support::{kv, lab, logs};

fn uint(n: &FieldNode, abbrev: &str) -> u64 {
    match n
        .find(abbrev)
        .unwrap_or_else(|| panic!("no {abbrev}"))
        .value
    {
        Value::Uint(v) => v,
        Value::Enum(v, _) => v,
        ref v => panic!("{abbrev}: {v:?}"),
    }
}

/// The MAuth (17) and MAuthReply (18) rows, with their trees.
fn auth_rows(recs: &[Record], ty: u16) -> Vec<(&Record, FieldNode)> {
    recs.iter()
        .filter(|r| r.msg.is_some_and(|h| h.msg_type == ty))
        .map(|r| (r, record_tree(r)))
        .collect()
}

fn lines_with(name: &str, prefix: &str, text: &str) -> Vec<String> {
    logs(name, prefix)
        .into_iter()
        .flatten()
        .filter(|l| l.contains(text))
        .collect()
}

#[test]
fn mauth_requests_decode_as_the_clients_built_them() {
    let (recs, _) = lab("lab-secure");
    let requests = auth_rows(&recs, 17);
    let of_type = |t: u64| {
        requests
            .iter()
            .filter(|(_, n)| uint(n, "ceph.cephx.request_type") == t)
            .collect::<Vec<_>>()
    };
    // CephxClientHandler::build_rotating_request, once per MAuth.
    let rotating = lines_with("lab-secure", "osd.", "cephx client: build_rotating_request");
    assert!(!rotating.is_empty());
    assert_eq!(of_type(0x0400).len(), rotating.len());
    // Each GET_PRINCIPAL_SESSION_KEY the monitor handled is one MAuth.
    let handled = lines_with(
        "lab-secure",
        "mon.",
        "handle_request get_principal_session_key",
    );
    let principal = of_type(0x0200);
    assert_eq!(principal.len(), handled.len());
    assert!(!principal.is_empty());
    // The keys asked for are the `need` the clients logged, in order.
    let mut needs: Vec<(f64, u64)> =
        lines_with("lab-secure", "", "cephx client: get service keys:")
            .iter()
            .map(|l| (lab_support::time(l), kv(l, "need").parse().unwrap()))
            .collect();
    needs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let asked: Vec<u64> = principal
        .iter()
        .map(|(_, n)| uint(n, "ceph.cephx.service_ticket_request.keys"))
        .collect();
    let logged: Vec<u64> = needs.iter().map(|n| n.1).collect();
    assert_eq!(asked, logged);
    for (r, n) in &principal {
        // The authorizer is for the AUTH ticket (CEPH_ENTITY_TYPE_AUTH,
        // CephxClientHandler::prepare_build_request).
        assert_eq!(uint(n, "ceph.cephx.service_id"), 0x20, "row {}", r.number);
        assert!(uint(n, "ceph.cephx.ticket.secret_id") > 0);
        assert!(r
            .info()
            .contains("get_principal_session_key for mon,osd,mgr"));
    }
}

#[test]
fn mauth_replies_answer_the_request_before_them() {
    let (recs, _) = lab("lab-secure");
    let requests = auth_rows(&recs, 17);
    let replies = auth_rows(&recs, 18);
    assert_eq!(requests.len(), replies.len());
    for (q, qn) in &requests {
        // The reply on the same connection, the other way, next.
        let (a, an) = replies
            .iter()
            .find(|(a, _)| a.conn == q.conn && a.dir != q.dir && a.number > q.number)
            .unwrap();
        let t = uint(qn, "ceph.cephx.request_type");
        let reply = an.find("ceph.auth_reply.cephx").unwrap();
        assert_eq!(
            uint(reply, "ceph.cephx.request_type"),
            t,
            "row {}",
            a.number
        );
        let status = reply.find("ceph.cephx.status").unwrap();
        assert_eq!(status.value, Value::Int(0));
        if t == 0x0200 {
            // New tickets: one per service asked for (mon, osd, mgr).
            let tickets = reply
                .walk()
                .into_iter()
                .filter(|n| n.def.abbrev == "ceph.cephx.service_ticket")
                .count();
            assert_eq!(tickets, 3, "row {}", a.number);
        }
    }
}
