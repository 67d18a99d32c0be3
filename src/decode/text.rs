//! Plain text helpers for one-line summaries: lists of named values and
//! UTC times.

/// Items by name, comma separated (unknown ones as numbers).
pub fn list_text(items: &[u64], names: fn(u64) -> Option<&'static str>) -> String {
    items
        .iter()
        .map(|v| names(*v).map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(",")
}

/// The proleptic Gregorian (year, month, day) of a count of days since
/// 1970-01-01: the epoch is shifted to 0000-03-01 so that leap days fall at
/// the end of a 400-year era.
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for seconds and nanoseconds since the Unix
/// epoch (proleptic Gregorian calendar, UTC).
pub fn utc_text(secs: i64, nanos: u32) -> String {
    let tod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_date(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        nanos / 1_000_000
    )
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_known_dates() {
        assert_eq!(utc_text(0, 0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 12:34:56 UTC
        assert_eq!(
            utc_text(951_827_696, 789_000_000),
            "2000-02-29T12:34:56.789Z"
        );
        assert_eq!(
            utc_text(1_795_409_693, 149_000_000),
            "2026-11-23T04:54:53.149Z"
        );
        assert_eq!(utc_text(-1, 0), "1969-12-31T23:59:59.000Z");
    }
}
