//! Consistency rules: what a frame's values must agree with, given what the
//! connection negotiated before it. Each reads the typed control value the
//! row decoded once, and locates its problem at the field concerned.

use super::machine::Side;
use crate::decode::addr::EntityAddr;
use crate::decode::auth::{entity_type_name, ENTITY_CLIENT};
use crate::decode::control::Control;
use crate::decode::payload::stream_offset;
use crate::decode::Header2;
use crate::decode::{auth::auth_method_name, auth::con_mode_name};
use crate::msgr2::{Frame, Problem, ProblemKind};

/// What the connection negotiated so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The client's entity type (its HELLO).
    client_type: Option<u8>,
    /// Modes the client's last AUTH_REQUEST offered.
    modes: Option<Vec<u32>>,
    /// Methods and modes of the last AUTH_BAD_METHOD, until the retry.
    bad_method: Option<(Vec<u32>, Vec<u32>)>,
    /// AUTH_DONE's global_id.
    global_id: Option<u64>,
    /// CLIENT_IDENT's target_addr.
    target: Option<EntityAddr>,
    /// The entity type at the server's address, and why it is known
    /// (e.g. `mon.a in a monmap`).
    pub server_type: Option<(u8, String)>,
    /// SESSION_RETRY's connect_seq, until the next SESSION_RECONNECT.
    retry_cs: Option<u64>,
    /// SESSION_RETRY_GLOBAL's global_seq, until the next SESSION_RECONNECT.
    retry_gs: Option<u64>,
}

fn at<T>(
    f: &Frame,
    sp: &crate::decode::grammar::Sp<T>,
    kind: ProblemKind,
    field: &'static str,
) -> Problem {
    Problem::new(
        kind,
        stream_offset(f, sp.at),
        u64::try_from(sp.len).unwrap_or(0),
        field,
    )
}

fn names(v: &[u32], name: fn(u64) -> Option<&'static str>) -> String {
    let n: Vec<String> = v
        .iter()
        .map(|x| name(u64::from(*x)).map_or_else(|| x.to_string(), str::to_string))
        .collect();
    if n.is_empty() {
        "none".into()
    } else {
        n.join(", ")
    }
}

/// Same address, as `entity_addr_t::operator==` compares them (type,
/// nonce, sockaddr), the bytes of the encoding aside.
fn same_addr(a: &EntityAddr, b: &EntityAddr) -> bool {
    a.addr_type.v == b.addr_type.v && a.nonce.v == b.nonce.v && a.sockaddr == b.sockaddr
}

impl Facts {
    /// Check `c`, sent by `side` in frame `f`, against the facts, and learn
    /// from it. `resumes`: for SESSION_RECONNECT, whether the capture holds
    /// the session it names.
    pub fn check(&mut self, side: Side, c: &Control, f: &Frame, resumes: bool) -> Vec<Problem> {
        let mut out = Vec::new();
        match c {
            Control::Hello(h) if side == Side::Client => self.client_type = Some(h.entity_type.v),
            Control::Hello(h) => {
                // ProtocolV2 handle_hello, connecting side: the type the
                // client connected to must be the one the server's HELLO
                // names ("connection peer type does not match what peer
                // advertises"), else the client stops the connection.
                if let Some((t, why)) = &self.server_type {
                    if h.entity_type.v != *t {
                        let name = |v: u8| {
                            entity_type_name(u64::from(v))
                                .map_or_else(|| v.to_string(), str::to_string)
                        };
                        out.push(
                            at(
                                f,
                                &h.entity_type,
                                ProblemKind::PeerTypeMismatch,
                                "msgr2.hello.entity_type",
                            )
                            .values(format!("{} ({why})", name(*t)), name(h.entity_type.v)),
                        );
                    }
                }
            }
            Control::AuthRequest(a) => {
                let modes: Vec<u32> = a.preferred_modes.items.iter().map(|m| m.v).collect();
                // ProtocolV2 handle_auth_bad_method: the client retries with
                // what the server allows; anything else is refused again.
                if let Some((methods, allowed)) = self.bad_method.take() {
                    if !methods.contains(&a.method.v) {
                        out.push(
                            at(
                                f,
                                &a.method,
                                ProblemKind::MethodNotAllowed,
                                "msgr2.auth_request.method",
                            )
                            .values(
                                format!(
                                    "one of {} (AUTH_BAD_METHOD)",
                                    names(&methods, auth_method_name)
                                ),
                                names(&[a.method.v], auth_method_name),
                            ),
                        );
                    } else if !modes.iter().any(|m| allowed.contains(m)) {
                        let sp = &a.preferred_modes.count;
                        out.push(
                            at(
                                f,
                                sp,
                                ProblemKind::MethodNotAllowed,
                                "msgr2.auth_request.preferred_modes",
                            )
                            .values(
                                format!(
                                    "one of {} (AUTH_BAD_METHOD)",
                                    names(&allowed, con_mode_name)
                                ),
                                names(&modes, con_mode_name),
                            ),
                        );
                    }
                }
                self.modes = Some(modes);
            }
            Control::AuthBadMethod(b) => {
                let l =
                    |v: &crate::decode::control_enc::U32List| v.items.iter().map(|x| x.v).collect();
                self.bad_method = Some((l(&b.allowed_methods), l(&b.allowed_modes)));
            }
            Control::AuthDone(d) => {
                // AuthServer::pick_con_mode picks among the client's
                // preferred_modes; frames_v2 then runs in that mode.
                if let Some(modes) = &self.modes {
                    if !modes.contains(&d.con_mode.v) {
                        out.push(
                            at(
                                f,
                                &d.con_mode,
                                ProblemKind::ModeNotOffered,
                                "msgr2.auth_done.con_mode",
                            )
                            .values(
                                format!(
                                    "one of {} (offered in AUTH_REQUEST)",
                                    names(modes, con_mode_name)
                                ),
                                names(&[d.con_mode.v], con_mode_name),
                            ),
                        );
                    }
                }
                self.global_id = Some(d.global_id.v);
            }
            Control::ClientIdent(ci) => {
                self.target = Some(ci.target_addr.clone());
                // A client's name is client.<global_id> once authenticated
                // (MonClient sets it from the auth reply); -1 before.
                if let (Some(ENTITY_CLIENT), Some(g)) = (self.client_type, self.global_id) {
                    if ci.gid.v >= 0 && g != 0 && u64::try_from(ci.gid.v).ok() != Some(g) {
                        out.push(
                            at(
                                f,
                                &ci.gid,
                                ProblemKind::GidMismatch,
                                "msgr2.client_ident.gid",
                            )
                            .values(
                                format!("{g} (AUTH_DONE global_id) or -1"),
                                ci.gid.v.to_string(),
                            ),
                        );
                    }
                }
            }
            Control::ServerIdent(si) => {
                // ProtocolV2 handle_server_ident: "peer identifies as ...,
                // does not include <target_addr>" faults the client.
                if let Some(t) = &self.target {
                    if si.addrs.done && !si.addrs.addrs.iter().any(|a| same_addr(a, t)) {
                        out.push(
                            at(
                                f,
                                &si.addrs.marker,
                                ProblemKind::WrongTarget,
                                "msgr2.server_ident.addrs",
                            )
                            .values(
                                format!("addresses holding {t} (CLIENT_IDENT target_addr)"),
                                si.addrs.to_string(),
                            ),
                        );
                    }
                }
            }
            Control::SessionReconnect(sr) => out.extend(self.reconnect(sr, f, resumes)),
            Control::SessionRetry(r) => self.retry_cs = Some(r.connect_seq.v),
            Control::SessionRetryGlobal(r) => self.retry_gs = Some(r.global_seq.v),
            _ => {}
        }
        out
    }

    fn reconnect(
        &mut self,
        sr: &crate::decode::control_enc::SessionReconnect,
        f: &Frame,
        resumes: bool,
    ) -> Vec<Problem> {
        let mut out = Vec::new();
        let bad = |sp, field, expected: String, found: u64| {
            at(f, sp, ProblemKind::ReconnectBad, field).values(expected, found.to_string())
        };
        // ProtocolV2 handle_auth_done: a client reconnects only to a session
        // whose server cookie it holds, with connect_seq > 0 (asserted).
        if sr.server_cookie.v == 0 {
            out.push(bad(
                &sr.server_cookie,
                "msgr2.session_reconnect.server_cookie",
                "the session's server cookie (not 0)".into(),
                0,
            ));
        }
        if let Some(cs) = self.retry_cs.take() {
            // handle_session_retry: connect_seq = retry.connect_seq() + 1.
            let want = cs.saturating_add(1);
            if sr.connect_seq.v != want {
                out.push(bad(
                    &sr.connect_seq,
                    "msgr2.session_reconnect.connect_seq",
                    format!("{want} (SESSION_RETRY connect_seq + 1)"),
                    sr.connect_seq.v,
                ));
            }
        } else if sr.connect_seq.v == 0 {
            out.push(bad(
                &sr.connect_seq,
                "msgr2.session_reconnect.connect_seq",
                "at least 1".into(),
                0,
            ));
        }
        if let Some(gs) = self.retry_gs.take() {
            // handle_session_retry_global: get_global_seq(gs) is above gs.
            if sr.global_seq.v <= gs {
                out.push(bad(
                    &sr.global_seq,
                    "msgr2.session_reconnect.global_seq",
                    format!("more than {gs} (SESSION_RETRY_GLOBAL)"),
                    sr.global_seq.v,
                ));
            }
        }
        if !resumes && sr.server_cookie.v != 0 {
            out.push(
                at(
                    f,
                    &sr.client_cookie,
                    ProblemKind::ReconnectUnknownSession,
                    "msgr2.session_reconnect.client_cookie",
                )
                .values(
                    "the cookies of a session established earlier in the capture",
                    format!(
                        "client_cookie={:#x} server_cookie={:#x}",
                        sr.client_cookie.v, sr.server_cookie.v
                    ),
                ),
            );
        }
        out
    }
}

/// ceph_msg_header2 fields that must agree (msgr.h): compat_version is the
/// oldest version that can decode the message, so at most its version;
/// priorities run from CEPH_MSG_PRIO_LOW (64) to CEPH_MSG_PRIO_HIGHEST (255).
/// data_off is not judged: ProtocolV2 handle_message copies it into the
/// ceph_msg_header it hands to decode_message, and nothing compares it with
/// the data segment (it is the sender's hint of the data's offset, which
/// msgr1 receivers used to page-align their buffer).
pub fn header(h: &Header2, f: &Frame) -> Vec<Problem> {
    let mut out = Vec::new();
    let base = f.segment_offsets[0];
    if h.compat_version > h.version {
        out.push(
            Problem::new(
                ProblemKind::MsgHeaderInconsistent,
                base.saturating_add(37),
                2,
                "ceph.msg.compat_version",
            )
            .values(
                format!("at most {} (version)", h.version),
                h.compat_version.to_string(),
            ),
        );
    }
    if h.priority > 255 {
        out.push(
            Problem::new(
                ProblemKind::MsgHeaderInconsistent,
                base.saturating_add(18),
                2,
                "ceph.msg.priority",
            )
            .values(
                "at most 255 (CEPH_MSG_PRIO_HIGHEST)",
                h.priority.to_string(),
            ),
        );
    }
    out
}
