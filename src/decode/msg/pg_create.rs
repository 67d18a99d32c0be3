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

use super::denc::{text_if, time_text, Spg};
use super::out::{Out, Start, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::prim::{count, le32, utime};
use crate::decode::grammar::{In, PResult, Sp};
use crate::fields;
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

/// A versioned structure whose body stays bytes.
#[derive(Debug, Clone, Default)]
pub struct Opaque {
    /// Header.
    pub h: Vh,
    /// The body.
    pub body: Option<Sp<()>>,
}

impl Opaque {
    /// Parse: the header (DECODE_START; the compat is not checked here)
    /// and the body as bytes.
    pub fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (rest, body) = self.h.start(Start::Decode(u8::MAX), i)?;
        self.body = Some(super::out::span_to(
            crate::decode::grammar::offset(&body),
            &rest,
        ));
        Ok((rest, ()))
    }

    /// A group of `def`: the header, then the body as `body`.
    pub fn view(&self, o: &mut Out<'_>, def: &'static FieldDef, body: &'static FieldDef) {
        o.group(def, Value::None, None, |o| {
            o.vh_head(&self.h);
            o.raw(body, &self.body, 0);
        });
    }
}

/// One PG to create: spg_t, then pair<epoch_t, utime_t>.
#[derive(Debug, Clone, Default)]
pub struct Create {
    /// The PG.
    pub pgid: Spg,
    /// Epoch it was created in.
    pub epoch: Sp<u32>,
    /// When.
    pub created: Sp<(u32, u32)>,
}

/// One PG's history: spg_t, then pair<pg_history_t, PastIntervals>.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// The PG.
    pub pgid: Spg,
    /// pg_history_t.
    pub history: Opaque,
    /// PastIntervals.
    pub past: Opaque,
}

impl Create {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = self.pgid.parse(&PGID, i)?;
        let (i, e) = le32(&CREATED_EPOCH)(i)?;
        self.epoch = e;
        let (i, t) = utime(&CREATED)(i)?;
        self.created = t;
        Ok((i, ()))
    }
}

impl Extra {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        let (i, ()) = self.pgid.parse(&PGID, i)?;
        let (i, ()) = self.history.parse(i)?;
        self.past.parse(i)
    }
}

/// A decoded MOSDPGCreate2.
#[derive(Debug, Default)]
pub struct PgCreate2 {
    epoch: Sp<u32>,
    count: Sp<u32>,
    pgs: Vec<Create>,
    extra_count: Sp<u32>,
    extra: Vec<Extra>,
}

impl Body for PgCreate2 {
    const NODE: &'static FieldDef = &NODE;

    /// messages/MOSDPGCreate2.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, e) = le32(&EPOCH)(i)?;
        self.epoch = e;
        // An entry: spg_t (at least 24 bytes), le32 epoch, utime_t.
        let (mut i, n) = count(&COUNT, Spg::SIZE + 12)(i)?;
        self.count = n.clone();
        for _ in 0..n.v {
            let mut c = Create::default();
            let r = c.parse(i);
            self.pgs.push(c);
            i = r?.0;
        }
        if p.version >= 2 {
            // An entry: spg_t, then two versioned structures (6 bytes each at least).
            let (r, n) = count(&EXTRA_COUNT, Spg::SIZE + 12)(i)?;
            self.extra_count = n.clone();
            i = r;
            for _ in 0..n.v {
                let mut x = Extra::default();
                let r = x.parse(i);
                self.extra.push(x);
                i = r?.0;
            }
        }
        Ok((i, ()))
    }

    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        o.uint(&EPOCH, &self.epoch);
        o.uint(&COUNT, &self.count);
        for c in &self.pgs {
            let value = text_if(c.pgid.done, || c.pgid.to_string());
            o.group(&PG, value, None, |o| {
                c.pgid.view(o, &PGID);
                o.uint(&CREATED_EPOCH, &c.epoch);
                o.time(&CREATED, &c.created);
            });
        }
        o.uint(&EXTRA_COUNT, &self.extra_count);
        for x in &self.extra {
            let value = text_if(x.pgid.done, || x.pgid.to_string());
            o.group(&EXTRA, value, None, |o| {
                x.pgid.view(o, &PGID);
                x.history.view(o, &HISTORY, &BODY);
                x.past.view(o, &PAST_INTERVALS, &BODY);
            });
        }
    }

    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        let items: Vec<String> = self
            .pgs
            .iter()
            .map(|c| {
                format!(
                    "{}={},{}",
                    c.pgid,
                    c.epoch.v,
                    time_text(c.created.v.0, c.created.v.1)
                )
            })
            .collect();
        format!("pg_create2(e{} {{{}}})", self.epoch.v, items.join(","))
    }
}
