//! What an OSD tells the monitor about itself: osd_beacon (MSG_OSD_BEACON,
//! 79), osd_alive (MSG_OSD_ALIVE, 73) and osd_pg_created
//! (MSG_OSD_PG_CREATED, 116). Each starts with the PaxosServiceMessage
//! header, whose version Ceph prints as `v` / `have`.
//!
//! ```text
//! MOSDBeacon:     paxos | vector<pg_t> pgs | le32 min_last_epoch_clean
//!                 | utime_t last_purged_snaps_scrub (v2+) | le32 osd_beacon_report_interval (v3+)
//! MOSDAlive:      paxos | le32 want
//! MOSDPGCreated:  paxos | pg_t pgid
//! ```
//!
//! Sources: messages/MOSDBeacon.h, messages/MOSDAlive.h,
//! messages/MOSDPGCreated.h (encode_payload, print).

use super::denc::{list_text, time_text, Paxos, Pg, PG};
use super::out::Out;
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{count, i32_, le32, utime};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
use crate::model::{FieldDef, Value};

fields! {
    BEACON = "ceph.osd_beacon", "OSD beacon", None, "MOSDBeacon: an OSD's periodic report to the monitor.";
    PGS = "ceph.osd_beacon.pgs", "PGs", None, "PGs the OSD reports as clean.";
    PGS_COUNT = "ceph.osd_beacon.pgs.count", "Count", Uint, "Number of PGs.";
    LEC = "ceph.osd_beacon.min_last_epoch_clean", "Min last epoch clean", Uint, "Lowest last_epoch_clean of the OSD's PGs.";
    PURGED = "ceph.osd_beacon.last_purged_snaps_scrub", "Last purged snaps scrub", Time, "When purged snaps were last scrubbed.";
    INTERVAL = "ceph.osd_beacon.report_interval", "Report interval", Int, "osd_beacon_report_interval, seconds.";
    ALIVE = "ceph.osd_alive", "OSD alive", None, "MOSDAlive: an OSD asks for its up_thru to advance.";
    WANT = "ceph.osd_alive.want", "Want up_thru", Uint, "The up_thru epoch wanted.";
    CREATED = "ceph.osd_pg_created", "PG created", None, "MOSDPGCreated: an OSD reports a PG it created.";
    CREATED_PG = "ceph.osd_pg_created.pgid", "PG", Str, "The PG created.";
}

/// A decoded MOSDBeacon.
#[derive(Debug, Default)]
pub struct Beacon {
    paxos: Paxos,
    count: Sp<u32>,
    pgs: Vec<Pg>,
    lec: Sp<u32>,
    purged: Sp<(u32, u32)>,
    interval: Sp<i32>,
}

impl Body for Beacon {
    const NODE: &'static FieldDef = &BEACON;
    /// messages/MOSDBeacon.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (mut i, n) = count(&PGS_COUNT, Pg::SIZE)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let mut pg = Pg::default();
            let r = pg.parse(i);
            self.pgs.push(pg);
            i = r?.0;
        }
        let (mut i, lec) = le32(&LEC)(i)?;
        self.lec = lec;
        if p.version >= 2 {
            let (r, t) = utime(&PURGED)(i)?;
            self.purged = t;
            i = r;
        }
        if p.version >= 3 {
            let (r, v) = i32_(&INTERVAL)(i)?;
            self.interval = v;
            i = r;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.group(&PGS, Value::None, None, |o| {
            o.uint(&PGS_COUNT, &self.count);
            for pg in &self.pgs {
                pg.view(o, &PG);
            }
        });
        o.uint(&LEC, &self.lec);
        o.time(&PURGED, &self.purged);
        o.int(&INTERVAL, &self.interval);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_beacon(pgs {} lec {} last_purged_snaps_scrub {} osd_beacon_report_interval {} v{})",
            list_text(&self.pgs),
            self.lec.v,
            time_text(self.purged.v.0, self.purged.v.1),
            self.interval.v,
            self.paxos.version.v
        )
    }
}

/// A decoded MOSDAlive.
#[derive(Debug, Default)]
pub struct Alive {
    paxos: Paxos,
    want: Sp<u32>,
}

impl Body for Alive {
    const NODE: &'static FieldDef = &ALIVE;
    /// messages/MOSDAlive.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, w) = le32(&WANT)(i)?;
        self.want = w;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.uint(&WANT, &self.want);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_alive(want up_thru {} have {})",
            self.want.v, self.paxos.version.v
        )
    }
}

/// A decoded MOSDPGCreated.
#[derive(Debug, Default)]
pub struct PgCreated {
    paxos: Paxos,
    pgid: Pg,
}

impl Body for PgCreated {
    const NODE: &'static FieldDef = &CREATED;
    /// messages/MOSDPGCreated.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        self.pgid.parse(i)
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        self.pgid.view(o, &CREATED_PG);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("osd_pg_created({})", self.pgid)
    }
}
