//! Placeholder replaced below.
use super::Release;
use crate::decode::Header2;
use crate::msgr2::Problem;

/// Whether the receiver can decode the message.
pub fn verdict(
    _h: &Header2,
    _receiver: Option<(u64, Option<Release>)>,
    _seg0: u64,
) -> Option<Problem> {
    None
}
