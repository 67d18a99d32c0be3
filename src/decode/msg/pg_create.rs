//! pg_create2 (MSG_OSD_PG_CREATE2, 120): the monitor tells an OSD to create
//! PGs, MOSDPGCreate2 (messages/MOSDPGCreate2.h encode_payload; print
//! `pg_create2(eE {pg=epoch,stamp,...})`).
//!
//! ```text
//! le32 epoch | map<spg_t, pair<le32 epoch, utime_t created>> pgs
//! | map<spg_t, pair<pg_history_t, PastIntervals>> pg_extra (v2+)
//! ```
//!
//! pg_history_t and PastIntervals are versioned structures (osd_types.cc);
//! their bodies stay bytes.

use super::denc::{count, spg, time_text, u32_of, utime, versioned, Spg};
use super::{rest, Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.pg_create2", "PG create", None, "MOSDPGCreate2: PGs an OSD should create.";
    EPOCH = "ceph.pg_create2.epoch", "Epoch", Uint, "Map epoch of the request.";
    COUNT = "ceph.pg_create2.count", "PGs", Uint, "Number of PGs.";
    PG = "ceph.pg_create2.pg", "PG", Str, "One PG to create.";
    PGID = "ceph.pg_create2.pgid", "PG id", Str, "The PG (spg_t).";
    CREATED_EPOCH = "ceph.pg_create2.created_epoch", "Created epoch", Uint, "Epoch the PG was created in.";
    CREATED = "ceph.pg_create2.created", "Created", Time, "When the PG was created.";
    EXTRA_COUNT = "ceph.pg_create2.extra_count", "Extra entries", Uint, "Number of PGs with history.";
    EXTRA = "ceph.pg_create2.extra", "PG history", Str, "History and past intervals of one PG.";
    HISTORY = "ceph.pg_create2.history", "History", None, "pg_history_t.";
    PAST_INTERVALS = "ceph.pg_create2.past_intervals", "Past intervals", None, "PastIntervals.";
    BODY = "ceph.pg_create2.body", "Body", Bytes, "Structure body, not broken down.";
}

/// A decoded MOSDPGCreate2.
#[derive(Debug, Default)]
pub struct PgCreate2 {
    epoch: u32,
    pgs: Vec<(Spg, u32, (u32, u32))>,
}

fn opaque(t: &mut Tree<'_>, def: &'static FieldDef) -> Res<()> {
    versioned(t, def, u64::MAX, |t, _| rest(t, &BODY))?;
    Ok(())
}

impl Body for PgCreate2 {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        self.epoch = u32_of(t.uint(&EPOCH, 4)?);
        let n = count(t, &COUNT)?;
        for _ in 0..n {
            let mut e = (Spg::default(), 0, (0, 0));
            let node = t.group(&PG, |t| {
                e.0 = spg(t, &PGID)?;
                e.1 = u32_of(t.uint(&CREATED_EPOCH, 4)?);
                e.2 = utime(t, &CREATED)?;
                Ok(())
            })?;
            node.value = Value::Str(e.0.to_string());
            self.pgs.push(e);
        }
        if p.version >= 2 {
            let n = count(t, &EXTRA_COUNT)?;
            for _ in 0..n {
                let mut id = Spg::default();
                let node = t.group(&EXTRA, |t| {
                    id = spg(t, &PGID)?;
                    opaque(t, &HISTORY)?;
                    opaque(t, &PAST_INTERVALS)
                })?;
                node.value = Value::Str(id.to_string());
            }
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let items: Vec<String> = self
            .pgs
            .iter()
            .map(|(pg, e, (s, ns))| format!("{pg}={e},{}", time_text(*s, *ns)))
            .collect();
        format!("pg_create2(e{} {{{}}})", self.epoch, items.join(","))
    }
}
