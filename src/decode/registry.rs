//! Every field definition the decoders can emit, in one list: what
//! `cephshark -G fields` prints and what display filters accept.

use crate::model::FieldDef;

/// The field lists of every decoding module. A module that declares fields
/// with `fields!` adds its `ALL` here.
const LISTS: &[&[&FieldDef]] = &[
    crate::model::tree::ALL,
    super::frame_tree::ALL,
    super::header2::ALL,
    super::control::ALL,
    super::addr::ALL,
    super::auth::ALL,
    super::features::ALL,
    super::messages::ALL,
    super::msg::denc::ALL,
    super::msg::osd_op::ALL,
    super::msg::osd_op_reply::ALL,
    super::msg::ping::ALL,
    super::msg::mon_map::ALL,
    super::msg::mon_subscribe::ALL,
    super::msg::mon_version::ALL,
    super::msg::osd_map::ALL,
    super::msg::config::ALL,
    super::msg::mon_command::ALL,
    super::msg::auth::ALL,
    super::msg::log::ALL,
    super::msg::osd_beacon::ALL,
    super::msg::osd_boot::ALL,
    super::msg::pg_create::ALL,
    super::msg::mgr::ALL,
    crate::analysis::record_fields::ALL,
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
                ["msgr2", "ceph", "frame", "tcp"]
                    .iter()
                    .any(|p| d.abbrev == *p || d.abbrev.starts_with(&format!("{p}."))),
                "{}",
                d.abbrev
            );
        }
    }
}
