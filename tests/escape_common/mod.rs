//! The capture and helpers the escaping tests share (tests/escape.rs,
//! tests/escape_bytes.rs): a conversation whose strings carry what a
//! terminal must never receive raw, and running the binary on it.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crate::support::mutants::{control_frame, examples, frame, real};
pub use crate::support::synth::{connection, Send};
use cephshark::decode::control::Control;
use cephshark::decode::control_enc::*;
use cephshark::decode::entity::{AddrVec, EntityName};
use cephshark::decode::grammar::Sp;
use cephshark::msgr2::{banner, Tag};
use std::path::PathBuf;
use std::process::{Command, Output};

/// ESC (SGR red), NUL, CSI as a C1 control, TAB, newline, RIGHT-TO-LEFT
/// OVERRIDE.
pub const EVIL: &str = "ev\u{1b}[31mil\0na\u{9b}me\tx\ny\u{202e}z";
/// [`EVIL`] as every human-readable output shows it.
pub const SHOWN: &str = "ev\\x1b[31mil\\0na\\u{9b}me\\tx\\ny\\u{202e}z";
/// [`EVIL`] in an hobject_t as Ceph prints it (common/hobject.cc
/// append_escaped: bytes outside printable ASCII as `%xx`).
pub const HOBJ: &str = ":::ev%1b[31mil%00na%c2%9bme%09x%0ay%e2%80%aez:head";
/// Characters that must never be printed raw.
pub const RAW: [char; 4] = ['\u{1b}', '\0', '\u{9b}', '\u{202e}'];

pub fn no_raw(what: &str, text: &str) {
    for c in RAW {
        assert!(!text.contains(c), "{what}: raw {c:?} in\n{text}");
    }
}

/// Replace the le32-prefixed string `old` in `seg` by `new`.
pub fn replace_string(seg: &mut Vec<u8>, old: &[u8], new: &[u8]) {
    let mut pat = (old.len() as u32).to_le_bytes().to_vec();
    pat.extend_from_slice(old);
    let at = seg
        .windows(pat.len())
        .position(|w| w == pat.as_slice())
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(old)));
    let mut rep = (new.len() as u32).to_le_bytes().to_vec();
    rep.extend_from_slice(new);
    seg.splice(at..at + pat.len(), rep);
}

/// The first le32-prefixed string in `seg` that starts with `{"prefix"`.
pub fn command_json(seg: &[u8]) -> Vec<u8> {
    let start = b"{\"prefix\"";
    let at = seg
        .windows(start.len())
        .position(|w| w == start)
        .unwrap_or_else(|| panic!("no command JSON"));
    let len = u32::from_le_bytes(seg[at - 4..at].try_into().unwrap()) as usize;
    seg[at..at + len].to_vec()
}

pub fn evil_json() -> String {
    format!("{{\"prefix\":\"{EVIL}\"}}")
}

/// A conforming handshake whose AUTH_REQUEST (auth none, mon mode) names
/// `client.<EVIL>`, then a mon_command, its ack and an osd_op whose strings
/// carry [`EVIL`] (real frames of none-crc.pcap with their strings swapped).
pub fn evil_capture() -> Vec<u8> {
    capture_with(EVIL.as_bytes(), evil_json().as_bytes())
}

/// [`evil_capture`]'s conversation with `oid` as the osd_op's object name
/// and `json` as the monitor command's text.
pub fn capture_with(oid: &[u8], json: &[u8]) -> Vec<u8> {
    capture_more(oid, json, Vec::new())
}

/// [`capture_with`], with `more` frames sent after the osd_op.
pub fn capture_more(oid: &[u8], json: &[u8], more: Vec<Send>) -> Vec<u8> {
    let server = cephshark::decode::addr::EntityAddr::v2(std::net::Ipv4Addr::LOCALHOST, 3300, 0);
    // MonClient.cc get_auth_request: u8 AUTH_MODE_MON (10), EntityName, global_id.
    let mut payload = vec![10u8];
    EntityName::new(8, EVIL).encode(&mut payload);
    payload.extend_from_slice(&4242u64.to_le_bytes());
    let hello = |t: u8| {
        Control::Hello(Hello {
            entity_type: Sp::new(t),
            peer_addr: server.clone(),
        })
    };
    let c = |ctl: Control| Send {
        from_client: true,
        data: control_frame(&ctl),
    };
    let s = |ctl: Control| Send {
        from_client: false,
        data: control_frame(&ctl),
    };
    let mut sends = vec![
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
        c(hello(8)),
        s(hello(1)),
        c(Control::AuthRequest(AuthRequest {
            method: Sp::new(1),
            preferred_modes: vec![1].into(),
            auth_payload: payload.into(),
        })),
        s(Control::AuthDone(AuthDone {
            global_id: Sp::new(4242),
            con_mode: Sp::new(1),
            ..Default::default()
        })),
        s(Control::AuthSignature(AuthSignature::default())),
        c(Control::AuthSignature(AuthSignature::default())),
        c(Control::ClientIdent(ClientIdent {
            addrs: AddrVec::new(vec![server.clone()]),
            target_addr: server.clone(),
            gid: Sp::new(-1),
            ..Default::default()
        })),
        s(Control::ServerIdent(ServerIdent {
            addrs: AddrVec::new(vec![server]),
            ..Default::default()
        })),
    ];
    let ex = examples(&real());
    let msg = |ty: u16| {
        ex.get(&(Tag::Message.raw(), ty))
            .cloned()
            .unwrap_or_else(|| panic!("no message of type {ty}"))
    };
    // mon_command (50) and mon_command_ack (51): the command JSON.
    for (ty, from_client) in [(50, true), (51, false)] {
        let mut segs = msg(ty);
        let old = command_json(&segs[1]);
        replace_string(&mut segs[1], &old, json);
        sends.push(Send {
            from_client,
            data: frame(Tag::Message.raw(), &segs),
        });
    }
    // osd_op (42): the object name.
    let mut segs = msg(42);
    replace_string(&mut segs[1], b"obj1", oid);
    sends.push(Send {
        from_client: true,
        data: frame(Tag::Message.raw(), &segs),
    });
    sends.extend(more);
    connection(40000, 3300, &sends, 65000)
}

/// A file of the test's own, removed when dropped.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl TempFile {
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        let p =
            std::env::temp_dir().join(format!("cephshark-escape-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

pub fn evil_file(name: &str) -> TempFile {
    TempFile::new(&format!("{name}.pcap"), &evil_capture())
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap()
}

pub fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn with_capture(cap: &TempFile, extra: &[&str]) -> (Output, String) {
    let mut args = vec!["-r", cap.path()];
    args.extend_from_slice(extra);
    let o = run(&args);
    let text = out(&o);
    (o, text)
}
