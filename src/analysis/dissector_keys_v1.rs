//! `--keyring` on msgr1 connections: a monitor session's MAuthReply
//! grants the AUTH session key, which opens the service tickets granted
//! after it; a connect's cephx authorizer picks its service ticket (or a
//! rotating secret opens it), and that session key signs the connection's
//! messages: every MSG's footer signature is checked against it
//! (CephxSessionHandler.cc `check_message_signature`).

use super::keys::{add_nodes, ConnCephx};
use super::Inner;
use crate::analysis::record::{Record, RecordKind};
use crate::cephx::signature::{signature, Form, Signed, FEATURE_MSG_AUTH};
use crate::cephx::structs::{group, DEC_SIGNATURE, DEC_SIGNATURE_EXPECTED, DEC_SIGNATURE_FORM};
use crate::model::{FieldNode, Value};
use crate::msgr1::header::SIG;
use crate::msgr1::item::Body;
use crate::msgr2::{Problem, ProblemKind};
use crate::tcp::ConnId;

/// A msgr1 connection's signing state.
#[derive(Debug, Default)]
pub(super) struct V1Sign {
    /// `ceph_msg_connect.features`, `ceph_msg_connect_reply.features`.
    features: [Option<u64>; 2],
    /// The session key came with the connect's authorizer: ProtocolV1.cc
    /// makes the connection's session_security from the authorizer's
    /// session key only; a monitor session authenticated by MAuth after
    /// the connect (no authorizer) signs nothing.
    authorized: bool,
}

impl V1Sign {
    /// The negotiated features (both sides' known).
    fn negotiated(&self) -> Option<u64> {
        match self.features {
            [Some(c), Some(s)] => Some(c & s),
            _ => None,
        }
    }
}

impl Inner {
    /// Read a msgr1 row of `conn` for the keyring: the handshake's
    /// features and authorizer, the monitor's MAuth exchange, and each
    /// MSG's signature.
    pub(super) fn cephx_row_v1(&mut self, conn: ConnId, rec: &mut Record) {
        let Some(keyring) = self.cfg.keyring.clone() else {
            return;
        };
        let Some(x) = self
            .conns
            .get_mut(&conn)
            .and_then(|c| c.cephx.as_deref_mut())
        else {
            return;
        };
        let RecordKind::Msgr1(it) = &mut rec.kind else {
            return;
        };
        let mut nodes = Vec::new();
        match &it.body {
            Body::Connect(c, _, a) => {
                x.v1.features[0] = Some(c.features);
                if let Some(a) = a {
                    nodes = x.conn.authorizer(a, &self.tickets);
                    // msgr1 has no key file: only the keyring's keys tell.
                    if let Some(f) = x.conn.derived.failure.as_mut() {
                        *f = f.replace("give the key file, or the key of", "give the key of");
                    }
                    x.v1.authorized = x.conn.derived.session_key.is_some();
                }
            }
            Body::ConnectReply(r, _) => x.v1.features[1] = Some(r.features),
            Body::Msg(m) => {
                // The signature is of the key in use when the MSG came.
                let (n, verdict) = check(x, it.offset, m, &mut it.problems);
                if let (Some(v), Some(s)) = (verdict, self.summary.conns.get_mut(&conn)) {
                    let origin = match v {
                        Verdict::Unchecked => x.conn.derived.failure.clone().map_or_else(
                            || "none: no authorizer opened by the keyring".to_string(),
                            |w| format!("none: {w}"),
                        ),
                        _ => x.conn.derived.origin.clone(),
                    };
                    let tally = s.v1_signing.get_or_insert((origin, [0; 3]));
                    if let Some(c) = tally.1.get_mut(v as usize) {
                        *c += 1;
                    }
                }
                nodes.extend(n);
                if let Some(front) = it.bytes(&m.front) {
                    let label = format!("tcp.stream {}", conn.0);
                    nodes.extend(x.conn.observe_message(
                        m.header.msg_type,
                        front,
                        &keyring,
                        &mut self.tickets,
                        &label,
                    ));
                }
            }
            _ => {}
        }
        add_nodes(rec, nodes);
    }
}

/// What became of a MSG's signature (the index of its count in
/// `ConnSummary::v1_signing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Good = 0,
    Bad = 1,
    /// Signed (CEPH_MSG_FOOTER_SIGNED), but the keyring gave no key.
    Unchecked = 2,
}

/// Check the signature of the MSG at stream offset `at`: its nodes and
/// verdict (`None`: nothing to check).
fn check(
    x: &ConnCephx,
    at: u64,
    m: &crate::msgr1::item::Msg,
    problems: &mut Vec<Problem>,
) -> (Vec<FieldNode>, Option<Verdict>) {
    let (Some(features), Some(footer)) = (x.v1.negotiated(), m.footer.as_ref()) else {
        return (Vec::new(), None);
    };
    // check_message_signature: nothing to check without MSG_AUTH.
    let Some(sig) = footer.sig.filter(|_| features & FEATURE_MSG_AUTH != 0) else {
        return (Vec::new(), None);
    };
    let key = x
        .conn
        .derived
        .session_key
        .as_ref()
        .filter(|_| x.v1.authorized);
    let Some(key) = key else {
        let signed = footer.flags & crate::msgr1::header::FLAG_SIGNED != 0;
        return (Vec::new(), signed.then_some(Verdict::Unchecked));
    };
    let form = Form::of(features);
    let signed = Signed {
        header_crc: m.header.crc,
        crcs: [footer.front_crc, footer.middle_crc, footer.data_crc],
        lens: m.header.lens(),
        seq: m.header.seq,
    };
    let Ok(want) = signature(key, form, &signed) else {
        return (Vec::new(), Some(Verdict::Unchecked));
    };
    let good = want == sig;
    let origin = &x.conn.derived.origin;
    if !good {
        let sig_at = at + (m.footer_at + SIG.start) as u64;
        problems.push(
            Problem::new(
                ProblemKind::Msgr1SignatureBad,
                sig_at,
                SIG.len() as u64,
                "msgr1.footer.sig",
            )
            .values(
                format!("{want:#018x} ({}, session key from {origin})", form.name()),
                format!("{sig:#018x}"),
            ),
        );
    }
    let nodes = vec![group(
        "message signature check",
        origin,
        vec![
            FieldNode::new(
                &DEC_SIGNATURE,
                Value::Str(if good { "good" } else { "bad" }.into()),
                None,
            ),
            FieldNode::new(
                &DEC_SIGNATURE_EXPECTED,
                Value::Bytes(want.to_le_bytes().to_vec()),
                None,
            ),
            FieldNode::new(&DEC_SIGNATURE_FORM, Value::Str(form.name().into()), None),
        ],
    )];
    (nodes, Some(if good { Verdict::Good } else { Verdict::Bad }))
}
