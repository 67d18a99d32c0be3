//! How Ceph prints the values messages carry (the text of `debug_ms` log
//! lines): uuids, snap ids, times, errors, lists.
//!
//! Sources: include/uuid.h, osd/osd_types.h (snapid_t), include/utime.h
//! (utime_t::localtime), common/errno.cc (cpp_strerror), include/types.h
//! (container printers).

use std::fmt;

/// uuid_d as text (include/uuid.h: the 8-4-4-4-12 lowercase form).
pub fn uuid_text(b: &[u8]) -> String {
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// A snapid_t as Ceph prints it (osd_types.h: `head` for CEPH_NOSNAP,
/// `snapdir` for CEPH_SNAPDIR, else hex).
pub fn snap_text(s: u64) -> String {
    match s {
        u64::MAX => "snapdir".into(),
        x if x == u64::MAX - 1 => "head".into(),
        x => format!("{x:x}"),
    }
}

/// Seconds before which utime_t prints as a relative time (include/utime.h:
/// ten years of seconds).
const RELATIVE_BEFORE: u32 = 60 * 60 * 24 * 365 * 10;

/// utime_t as Ceph prints it (include/utime.h `localtime`, the daemons here
/// run in UTC): `2026-11-23T04:54:46.147014+0000`, or `sec.usec` for a
/// relative time.
pub fn time_text(sec: u32, nsec: u32) -> String {
    let usec = nsec / 1000;
    if sec < RELATIVE_BEFORE {
        return format!("{sec}.{usec:06}");
    }
    let rem = sec % 86_400;
    let (year, month, day) = crate::decode::text::civil_date(i64::from(sec / 86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{usec:06}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Linux errno text (glibc strerror) for the codes RADOS replies carry.
fn errno_text(e: i64) -> Option<&'static str> {
    Some(match e {
        0 => "Success",
        1 => "Operation not permitted",
        2 => "No such file or directory",
        5 => "Input/output error",
        11 => "Resource temporarily unavailable",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        16 => "Device or resource busy",
        17 => "File exists",
        22 => "Invalid argument",
        27 => "File too large",
        28 => "No space left on device",
        34 => "Numerical result out of range",
        39 => "Directory not empty",
        61 => "No data available",
        75 => "Value too large for defined data type",
        85 => "Interrupted system call should be restarted",
        90 => "Message too long",
        95 => "Operation not supported",
        108 => "Cannot send after transport endpoint shutdown",
        110 => "Connection timed out",
        125 => "Operation canceled",
        _ => return None,
    })
}

/// common/errno.cc cpp_strerror: `(2) No such file or directory` for -2.
pub fn strerror(r: i64) -> String {
    let e = r.unsigned_abs();
    let e = i64::try_from(e).unwrap_or(i64::MAX);
    match errno_text(e) {
        Some(s) => format!("({e}) {s}"),
        None => format!("({e}) Unknown error {e}"),
    }
}

/// A list as Ceph's container printers write it: `[a,b]` (include/types.h).
pub fn list_text<T: fmt::Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(","))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::decode::msg::denc::{Eversion, Pg, Spg};

    #[test]
    fn times_print_like_ceph() {
        // 0x6b03c712 = 1795409682 s; Ceph's log of the same capture prints
        // stamps of that day as 2026-11-23T04:54:42.
        assert_eq!(
            time_text(1_795_409_682, 550_364_000),
            "2026-11-23T04:54:42.550364+0000"
        );
        assert_eq!(time_text(5, 1_000), "5.000001");
        assert_eq!(time_text(951_782_400, 0), "2000-02-29T00:00:00.000000+0000");
    }

    #[test]
    fn small_printers() {
        assert_eq!(snap_text(u64::MAX - 1), "head");
        assert_eq!(snap_text(u64::MAX), "snapdir");
        assert_eq!(snap_text(0x1f), "1f");
        assert_eq!(strerror(-2), "(2) No such file or directory");
        assert_eq!(strerror(0), "(0) Success");
        assert_eq!(
            uuid_text(&[
                0x9e, 7, 0x0c, 0xbd, 0x96, 0xbc, 0x43, 0x8e, 0x8d, 0x48, 2, 0x67, 0x45, 0x1d, 0xe6,
                0x9b
            ]),
            "9e070cbd-96bc-438e-8d48-0267451de69b"
        );
        assert_eq!(
            Pg {
                pool: 1.into(),
                seed: 0x6cf8deff.into(),
                ..Pg::default()
            }
            .to_string(),
            "1.6cf8deff"
        );
        assert_eq!(
            Spg {
                pg: Pg {
                    pool: 2.into(),
                    seed: 0xa.into(),
                    ..Pg::default()
                },
                shard: 1.into(),
                ..Spg::default()
            }
            .to_string(),
            "2.as1"
        );
        assert_eq!(
            Eversion {
                version: 1.into(),
                epoch: 9.into()
            }
            .to_string(),
            "9'1"
        );
        assert_eq!(list_text::<u32>(&[]), "[]");
    }
}
