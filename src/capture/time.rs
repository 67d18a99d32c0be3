//! Capture timestamps: pcapng's units (`if_tsresol`, `if_tsoffset`) and
//! pcap's seconds plus a fraction, as [`Timestamp`]s.

use super::Timestamp;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Timestamp units per second from an `if_tsresol` value: the high bit
/// picks a power of two, else a power of ten; `None` when it overflows u64.
pub(super) fn ts_units(tsresol: u8) -> Option<u64> {
    const POWER_OF_TWO: u8 = 0x80;
    let exponent = u32::from(tsresol & !POWER_OF_TWO);
    if tsresol & POWER_OF_TWO != 0 {
        1u64.checked_shl(exponent).filter(|_| exponent < 64)
    } else {
        10u64.checked_pow(exponent)
    }
}

/// `ticks` of `units` per second since the epoch, plus `offset` seconds.
pub(super) fn from_ticks(ticks: u64, units: u64, offset: i64) -> Timestamp {
    let units = units.max(1);
    let secs = ticks / units;
    let frac = u128::from(ticks % units);
    let nanos = frac * u128::from(NANOS_PER_SEC) / u128::from(units);
    timestamp(secs, u64::try_from(nanos).unwrap_or(0), offset)
}

/// Seconds plus a nanosecond count that may exceed one second, plus an offset.
pub(super) fn timestamp(secs: u64, nanos: u64, offset: i64) -> Timestamp {
    let secs = secs.saturating_add(nanos / NANOS_PER_SEC);
    let secs = i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_add(offset);
    Timestamp {
        secs,
        nanos: u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0),
    }
}
