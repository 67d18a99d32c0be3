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

use super::denc::text_if;
use super::out::Out;
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{array, count, le32, le64, string, u8_};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
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
const ONETIME_FLAG: u8 = 1;

/// One subscription: string what, ceph_mon_subscribe_item (le64 start, u8 flags).
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// What.
    pub name: Sp<String>,
    /// First version wanted.
    pub start: Sp<u64>,
    /// CEPH_SUBSCRIBE_* flags.
    pub flags: Sp<u8>,
}

impl Item {
    fn onetime(&self) -> bool {
        self.flags.v & ONETIME_FLAG != 0
    }

    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, n) = string(&NAME)(i)?;
        self.name = n.clone();
        let (i, s) = le64(&START)(i)?;
        self.start = s;
        let (i, f) = u8_(&FLAGS)(i)?;
        self.flags = f;
        Ok((i, ()))
    }
}

/// A decoded MMonSubscribe.
#[derive(Debug, Default)]
pub struct Subscribe {
    /// Count.
    pub count: Sp<u32>,
    /// Subscriptions.
    pub what: Vec<Item>,
    /// Hostname (v3+).
    pub hostname: Sp<String>,
}

fn item_text(name: &str, start: u64, onetime: bool) -> String {
    format!("{name}={start}{}", if onetime { "" } else { "+" })
}

impl Body for Subscribe {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MMonSubscribe.h decode_payload: map<string, ceph_mon_subscribe_item>.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (mut i, n) = count(&COUNT, 13)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let mut it = Item::default();
            let r = it.parse(i);
            self.what.push(it);
            i = r?.0;
        }
        if p.version >= 3 {
            let (r, h) = string(&HOSTNAME)(i)?;
            self.hostname = h;
            i = r;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uint(&COUNT, &self.count);
        for it in &self.what {
            let done = it.flags.len > 0;
            let value = text_if(done, || item_text(&it.name.v, it.start.v, it.onetime()));
            o.group(&WHAT, value, None, |o| {
                o.str(&NAME, &it.name);
                o.uint(&START, &it.start);
                o.uint(&FLAGS, &it.flags);
                if done {
                    o.gen(&ONETIME, Value::Bool(it.onetime()));
                }
            });
        }
        o.str(&HOSTNAME, &self.hostname);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let items: Vec<String> = self
            .what
            .iter()
            .map(|it| item_text(&it.name.v, it.start.v, it.onetime()))
            .collect();
        format!("mon_subscribe({{{}}})", items.join(","))
    }
}

/// A decoded MMonSubscribeAck.
#[derive(Debug, Default)]
pub struct SubscribeAck {
    interval: Sp<u32>,
    fsid: Sp<[u8; 16]>,
}

impl Body for SubscribeAck {
    const NODE: &'static FieldDef = &ACK;
    /// messages/MMonSubscribeAck.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, n) = le32(&INTERVAL)(i)?;
        self.interval = n.clone();
        let (i, f) = array::<16>(&FSID)(i)?;
        self.fsid = f;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uint(&INTERVAL, &self.interval);
        o.uuid(&FSID, &self.fsid);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mon_subscribe_ack({}s)", self.interval.v)
    }
}
