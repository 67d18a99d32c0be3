//! config (MSG_CONFIG, 62): the monitor's configuration for a daemon or
//! client, MConfig (messages/MConfig.h: `encode(config)`, a
//! `map<string,string>`; print `config(N keys)`).
//!
//! ```text
//! le32 count | count x (string key | string value)
//! ```

use super::out::{MapDefs, Out, StrMap};
use super::{Body, MsgContext, Parts};
use crate::decode::grammar::{In, PResult};
use crate::fields;
use crate::model::FieldDef;

fields! {
    NODE = "ceph.config", "Config", None, "MConfig: configuration options pushed by the monitor.";
    MAP = "ceph.config.map", "Options", None, "The key/value map.";
    COUNT = "ceph.config.count", "Count", Uint, "Number of options.";
    ENTRY = "ceph.config.entry", "Option", Str, "One option as key=value.";
    KEY = "ceph.config.key", "Key", Str, "Option name.";
    VALUE = "ceph.config.value", "Value", Str, "Option value.";
}

static DEFS: MapDefs = MapDefs {
    group: &MAP,
    count: &COUNT,
    entry: &ENTRY,
    key: &KEY,
    val: &VALUE,
};

/// A decoded MConfig.
#[derive(Debug, Default)]
pub struct Config {
    /// Options.
    pub options: StrMap,
}

impl Body for Config {
    const NODE: &'static FieldDef = &NODE;
    /// messages/MConfig.h decode_payload: `decode(config, p)`.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        self.options.parse(&DEFS, i)
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.options.view(o, &DEFS);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("config({} keys)", self.options.entries.len())
    }
}
