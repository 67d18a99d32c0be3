//! config (MSG_CONFIG, 62): the monitor's configuration for a daemon or
//! client, MConfig (messages/MConfig.h: `encode(config)`, a
//! `map<string,string>`; print `config(N keys)`).
//!
//! ```text
//! le32 count | count x (string key | string value)
//! ```

use super::denc::string_map;
use super::{Body, MsgContext, Parts};
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::FieldDef;

fields! {
    NODE = "ceph.config", "Config", None, "MConfig: configuration options pushed by the monitor.";
    MAP = "ceph.config.map", "Options", None, "The key/value map.";
    COUNT = "ceph.config.count", "Count", Uint, "Number of options.";
    ENTRY = "ceph.config.entry", "Option", Str, "One option as key=value.";
    KEY = "ceph.config.key", "Key", Str, "Option name.";
    VALUE = "ceph.config.value", "Value", Str, "Option value.";
}

/// A decoded MConfig.
#[derive(Debug, Default)]
pub struct Config {
    /// Options.
    pub options: Vec<(String, String)>,
}

impl Body for Config {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.options = string_map(t, &MAP, &COUNT, &ENTRY, &KEY, &VALUE)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("config({} keys)", self.options.len())
    }
}
