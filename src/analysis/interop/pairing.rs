//! Which messages are requests, which replies answer them, and how a reply
//! names its request.
//!
//! Sources: the senders set the header tid of the request and the reply
//! copies it (Objecter.cc `_prepare_osd_op` / OSD `MOSDOpReply(req, ...)`
//! with `set_tid(req->get_tid())`; MonClient.cc `start_mon_command` and
//! Monitor.cc `reply_command` for mon_command; Objecter.cc statfs, poolop
//! and getpoolstats constructors `set_tid`); MMonGetVersion and its reply
//! carry a `handle` in their front (MonClient.cc `get_version`); MAuth
//! replies come in order (MonClient answers one at a time).

use crate::decode::msg::mon_version::{GetVersion, GetVersionReply};
use crate::decode::payload::PayloadDecode;

/// How a reply is matched to its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// `ceph_msg_header2.tid`.
    Tid,
    /// A handle in the front (mon_get_version).
    Handle,
    /// Replies come in the order of the requests.
    Order,
}

/// A request type, the reply type that answers it and how they match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// CEPH_MSG_* of the request.
    pub request: u16,
    /// CEPH_MSG_* of its reply.
    pub reply: u16,
    /// How they are matched.
    pub by: By,
}

/// Every pair tracked (message type numbers: include/ceph_fs.h, msg/Message.h).
pub const PAIRS: &[Pair] = &[
    // CEPH_MSG_OSD_OP 42 -> CEPH_MSG_OSD_OPREPLY 43.
    Pair {
        request: 42,
        reply: 43,
        by: By::Tid,
    },
    // MSG_MON_COMMAND 50 -> MSG_MON_COMMAND_ACK 51.
    Pair {
        request: 50,
        reply: 51,
        by: By::Tid,
    },
    // CEPH_MSG_STATFS 13 -> CEPH_MSG_STATFS_REPLY 14.
    Pair {
        request: 13,
        reply: 14,
        by: By::Tid,
    },
    // CEPH_MSG_POOLOP 49 -> CEPH_MSG_POOLOP_REPLY 48.
    Pair {
        request: 49,
        reply: 48,
        by: By::Tid,
    },
    // MSG_GETPOOLSTATS 58 -> MSG_GETPOOLSTATSREPLY 59.
    Pair {
        request: 58,
        reply: 59,
        by: By::Tid,
    },
    // CEPH_MSG_MON_GET_VERSION 19 -> CEPH_MSG_MON_GET_VERSION_REPLY 20.
    Pair {
        request: 19,
        reply: 20,
        by: By::Handle,
    },
    // CEPH_MSG_AUTH 17 -> CEPH_MSG_AUTH_REPLY 18.
    Pair {
        request: 17,
        reply: 18,
        by: By::Order,
    },
];

/// The pair whose request is `ty`.
pub fn as_request(ty: u16) -> Option<&'static Pair> {
    PAIRS.iter().find(|p| p.request == ty)
}

/// The pair whose reply is `ty`.
pub fn as_reply(ty: u16) -> Option<&'static Pair> {
    PAIRS.iter().find(|p| p.reply == ty)
}

/// The key a message of `pair` is matched by: the tid, the handle (when
/// its front decoded that far), or 0 for replies in order.
pub fn key(pair: &Pair, tid: u64, payload: Option<&PayloadDecode>, reply: bool) -> Option<u64> {
    match pair.by {
        By::Tid => Some(tid),
        By::Order => Some(0),
        By::Handle => {
            let p = payload?;
            let h = if reply {
                p.front::<GetVersionReply>().map(|r| &r.handle)
            } else {
                p.front::<GetVersion>().map(|r| &r.handle)
            }?;
            (h.len > 0).then_some(h.v)
        }
    }
}
