//! The decoder's settings.

/// Limits of the decoder, and whether it may use a second thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest segment accepted; a larger one is flagged and skipped, never
    /// buffered. The kernel client caps data segments at 64 MiB
    /// (libceph.h CEPH_MSG_MAX_DATA_LEN).
    pub max_segment_len: u32,
    /// Bytes searched for a first frame on a connection whose banner was not
    /// captured before it is declared not msgr2.
    pub hunt_limit_without_banner: u64,
    /// Large segments' CRCs computed half on a second thread (the results
    /// are the same either way).
    pub split_checks: bool,
    /// No view shows a data segment's bytes: the middle of a large crc
    /// frame's data segment is checked as it arrives and not kept
    /// (`running`; [`Frame::elided`](crate::msgr2::Frame::elided) says
    /// which bytes). Views that show bytes leave this off.
    pub elide_data: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_segment_len: 128 << 20,
            hunt_limit_without_banner: 1 << 20,
            split_checks: false,
            elide_data: false,
        }
    }
}
