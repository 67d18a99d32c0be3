//! Every field definition the decoders can emit, in one list: what
//! `cephshark -G fields` prints and what display filters accept.

use crate::model::FieldDef;

/// The field lists of every decoding module. A module that declares fields
/// with `fields!` adds its `ALL` here.
const LISTS: &[&[&FieldDef]] = &[
    crate::model::tree::ALL,
    crate::decode::frame_tree::ALL,
    crate::msgr1::tree::ALL,
    crate::decode::header2::ALL,
    crate::decode::control::ALL,
    crate::decode::addr::ALL,
    crate::decode::auth::ALL,
    crate::decode::cephx_request::ALL,
    crate::decode::features::ALL,
    crate::decode::messages::ALL,
    crate::decode::msg::denc::ALL,
    crate::decode::msg::osd_op::ALL,
    crate::decode::msg::osd_op_reply::ALL,
    crate::decode::msg::ping::ALL,
    crate::decode::msg::mon_map::ALL,
    crate::decode::msg::mon_subscribe::ALL,
    crate::decode::msg::mon_version::ALL,
    crate::decode::msg::osd_map::ALL,
    crate::decode::msg::config::ALL,
    crate::decode::msg::mon_command::ALL,
    crate::decode::msg::auth::ALL,
    crate::decode::msg::log::ALL,
    crate::decode::msg::osd_beacon::ALL,
    crate::decode::msg::osd_boot::ALL,
    crate::decode::msg::pg_create::ALL,
    crate::decode::msg::mgr::ALL,
    super::record_fields::ALL,
    crate::cephx::structs::ALL,
    super::interop::ALL,
];

/// Every field definition, in module order.
pub fn all() -> impl Iterator<Item = &'static FieldDef> {
    LISTS.iter().flat_map(|l| l.iter().copied())
}

/// Look a field up by its filter name.
pub fn by_abbrev(abbrev: &str) -> Option<&'static FieldDef> {
    all().find(|d| d.abbrev == abbrev)
}

#[cfg(test)]
mod tests {
    #[test]
    fn abbrevs_are_unique_lowercase_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for d in super::all() {
            assert!(seen.insert(d.abbrev), "{} declared twice", d.abbrev);
            assert_eq!(d.abbrev, d.abbrev.to_lowercase());
            assert!(
                ["msgr2", "msgr1", "ceph", "frame", "tcp", "ip"]
                    .iter()
                    .any(|p| d.abbrev == *p || d.abbrev.starts_with(&format!("{p}."))),
                "{}",
                d.abbrev
            );
        }
    }
}
