//! msgr1 tags: the byte before each item once a session is open, and the
//! first byte of a connect reply (msgr.h `CEPH_MSGR_TAG_*`).

crate::msgr2::open_enum! {
    /// A msgr1 tag (msgr.h).
    pub enum Tag1: u8 {
        /// Server is ready (connect reply).
        Ready = 1 => "READY",
        /// Server has reset the session (connect reply).
        ResetSession = 2 => "RESETSESSION",
        /// Connection race: wait for the peer's connection (connect reply).
        Wait = 3 => "WAIT",
        /// Retry with a higher connect_seq (connect reply).
        RetrySession = 4 => "RETRY_SESSION",
        /// Retry with a higher global_seq (connect reply).
        RetryGlobal = 5 => "RETRY_GLOBAL",
        /// Closing the connection.
        Close = 6 => "CLOSE",
        /// A message follows.
        Msg = 7 => "MSG",
        /// Acknowledges messages up to a seq (le64 follows).
        Ack = 8 => "ACK",
        /// Keepalive, no payload.
        Keepalive = 9 => "KEEPALIVE",
        /// Protocol version mismatch (connect reply).
        BadProtoVer = 10 => "BADPROTOVER",
        /// Authorizer rejected (connect reply).
        BadAuthorizer = 11 => "BADAUTHORIZER",
        /// Required features missing (connect reply).
        Features = 12 => "FEATURES",
        /// Ready, with the last seq received (connect reply, le64 follows).
        Seq = 13 => "SEQ",
        /// Keepalive with a ceph_timespec.
        Keepalive2 = 14 => "KEEPALIVE2",
        /// Echo of a KEEPALIVE2's stamp.
        Keepalive2Ack = 15 => "KEEPALIVE2_ACK",
        /// The server challenges the authorizer (connect reply).
        ChallengeAuthorizer = 16 => "CHALLENGE_AUTHORIZER",
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn values_of_msgr_h() {
        assert_eq!(Tag1::from(7), Tag1::Msg);
        assert_eq!(Tag1::from(13), Tag1::Seq);
        assert_eq!(Tag1::from(16).to_string(), "CHALLENGE_AUTHORIZER");
        assert_eq!(Tag1::from(0).to_string(), "UNKNOWN(0)");
        assert_eq!(Tag1::ALL.len(), 16);
    }
}
