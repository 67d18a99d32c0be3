//! mon_subscribe (CEPH_MSG_MON_SUBSCRIBE, 15) and mon_subscribe_ack (16):
//! which maps a client wants from a monitor, from which version on.
//!
//! ```text
//! MMonSubscribe:     le32 count | count x (string what | le64 start | u8 flags)
//!                    | string hostname (v3+)
//! MMonSubscribeAck:  le32 interval | uuid fsid
//! ```
//!
//! Sources: messages/MMonSubscribe.h (encode_payload, print `{what=start+}`),
//! include/ceph_fs.h (struct ceph_mon_subscribe_item, CEPH_SUBSCRIBE_ONETIME 1,
//! its operator<< prints `start` and `+` unless one-time),
//! messages/MMonSubscribeAck.h (print `mon_subscribe_ack(Ns)`).

use super::denc::{count, u32_of, uuid};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.mon_subscribe", "Monitor subscribe", None, "MMonSubscribe: the maps a client subscribes to.";
    COUNT = "ceph.mon_subscribe.count", "Count", Uint, "Number of subscriptions.";
    WHAT = "ceph.mon_subscribe.what", "Subscription", Str, "One subscription as Ceph prints it (name=start, + when persistent).";
    NAME = "ceph.mon_subscribe.what.name", "Map", Str, "What is subscribed to (monmap, osdmap, config, mgrmap, ...).";
    START = "ceph.mon_subscribe.what.start", "Start", Uint, "First version wanted.";
    FLAGS = "ceph.mon_subscribe.what.flags", "Flags", Hex, "CEPH_SUBSCRIBE_* flags (1: one time).";
    ONETIME = "ceph.mon_subscribe.what.onetime", "One time", Bool, "Only the next version, not every later one.";
    HOSTNAME = "ceph.mon_subscribe.hostname", "Hostname", Str, "The subscriber's host name (version 3 and later).";
    ACK = "ceph.mon_subscribe_ack", "Subscribe ack", None, "MMonSubscribeAck: the renewal interval.";
    INTERVAL = "ceph.mon_subscribe_ack.interval", "Interval", Uint, "Seconds until the subscription must be renewed.";
    FSID = "ceph.mon_subscribe_ack.fsid", "Cluster fsid", Str, "Cluster fsid.";
}

/// ceph_fs.h CEPH_SUBSCRIBE_ONETIME.
const ONETIME_FLAG: u64 = 1;

/// A decoded MMonSubscribe.
#[derive(Debug, Default)]
pub struct Subscribe {
    /// (what, start, one time).
    pub what: Vec<(String, u64, bool)>,
}

fn item_text(name: &str, start: u64, onetime: bool) -> String {
    format!("{name}={start}{}", if onetime { "" } else { "+" })
}

impl Body for Subscribe {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        let n = count(t, &COUNT)?;
        for _ in 0..n {
            let mut item = (String::new(), 0, false);
            let node = t.group(&WHAT, |t| {
                item.0 = t.string(&NAME)?;
                item.1 = t.uint(&START, 8)?;
                item.2 = t.uint(&FLAGS, 1)? & ONETIME_FLAG != 0;
                t.generated(&ONETIME, Value::Bool(item.2));
                Ok(())
            })?;
            node.value = Value::Str(item_text(&item.0, item.1, item.2));
            self.what.push(item);
        }
        if p.version >= 3 {
            t.string(&HOSTNAME)?;
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let items: Vec<String> = self
            .what
            .iter()
            .map(|(n, s, o)| item_text(n, *s, *o))
            .collect();
        format!("mon_subscribe({{{}}})", items.join(","))
    }
}

/// A decoded MMonSubscribeAck.
#[derive(Debug, Default)]
pub struct SubscribeAck {
    interval: u32,
}

impl Body for SubscribeAck {
    const NODE: &'static FieldDef = &ACK;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.interval = u32_of(t.uint(&INTERVAL, 4)?);
        uuid(t, &FSID)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mon_subscribe_ack({}s)", self.interval)
    }
}
