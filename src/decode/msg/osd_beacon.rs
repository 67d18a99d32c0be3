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

use super::denc::{count, list_text, paxos, pg, time_text, u32_of, utime, Pg, PG};
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::FieldDef;

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
    version: u64,
    pgs: Vec<Pg>,
    lec: u32,
    purged: (u32, u32),
    interval: i64,
}

impl Body for Beacon {
    const NODE: &'static FieldDef = &BEACON;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        self.version = paxos(t)?;
        let mut pgs = Vec::new();
        t.group(&PGS, |t| {
            let n = count(t, &PGS_COUNT)?;
            for _ in 0..n {
                pgs.push(pg(t, &PG)?);
            }
            Ok(())
        })?;
        self.pgs = pgs;
        self.lec = u32_of(t.uint(&LEC, 4)?);
        if p.version >= 2 {
            self.purged = utime(t, &PURGED)?;
        }
        if p.version >= 3 {
            self.interval = t.int(&INTERVAL, 4)?;
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_beacon(pgs {} lec {} last_purged_snaps_scrub {} osd_beacon_report_interval {} v{})",
            list_text(&self.pgs),
            self.lec,
            time_text(self.purged.0, self.purged.1),
            self.interval,
            self.version
        )
    }
}

/// A decoded MOSDAlive.
#[derive(Debug, Default)]
pub struct Alive {
    version: u64,
    want: u64,
}

impl Body for Alive {
    const NODE: &'static FieldDef = &ALIVE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.version = paxos(t)?;
        self.want = t.uint(&WANT, 4)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_alive(want up_thru {} have {})",
            self.want, self.version
        )
    }
}

/// A decoded MOSDPGCreated.
#[derive(Debug, Default)]
pub struct PgCreated {
    pgid: Pg,
}

impl Body for PgCreated {
    const NODE: &'static FieldDef = &CREATED;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        paxos(t)?;
        self.pgid = pg(t, &CREATED_PG)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("osd_pg_created({})", self.pgid)
    }
}
