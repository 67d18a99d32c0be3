//! The expert model: every kind of problem cephshark reports, framing and
//! encoding alike, registered once with a stable name (used in the `status`
//! column, JSON, filters and `-G experts`), a group, a severity and a
//! description. A [`Problem`] is one occurrence, located at the stream
//! offset of the field it concerns, with what was expected versus found.

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, not wrong (unknown tag, compressed frame).
    Note,
    /// Suspicious but legal, or not verifiable (lost bytes, CRCs absent).
    Warning,
    /// The bytes are wrong.
    Error,
}

/// What a kind of problem is about (Wireshark's expert groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A CRC or GCM tag.
    Checksum,
    /// Framing: preamble, segments, late byte, banner.
    Framing,
    /// The encoding of a payload (what Ceph's decoder would reject).
    Encoding,
    /// Bytes the capture does not hold, or TCP-level trouble.
    Capture,
    /// Secure mode: keys and decryption.
    Decryption,
    /// Message sequence and session tracking.
    Sequence,
    /// The conversation: tags, states and what was negotiated
    /// (ProtocolV2's state machine), and things worth knowing about it.
    Protocol,
    /// Whether the peers understand each other: message versions against
    /// the receiver's release, requests and their replies, values no
    /// release defines.
    Interop,
}

impl Group {
    /// Lowercase name, as `-G experts` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Checksum => "checksum",
            Group::Framing => "framing",
            Group::Encoding => "encoding",
            Group::Capture => "capture",
            Group::Decryption => "decryption",
            Group::Sequence => "sequence",
            Group::Protocol => "protocol",
            Group::Interop => "interop",
        }
    }
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! problem_kinds {
    ($( $(#[doc = $doc:expr])* $v:ident => $name:expr, $sev:ident; )*) => {
        /// Every kind of problem the decoder reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemKind { $( $(#[doc = $doc])* $v, )* }

        impl ProblemKind {
            /// Stable name, e.g. `preamble_crc_bad`.
            pub fn name(self) -> &'static str {
                match self { $( ProblemKind::$v => $name, )* }
            }
            /// Severity.
            pub fn severity(self) -> Severity {
                match self { $( ProblemKind::$v => Severity::$sev, )* }
            }
            /// What the kind means (its documentation, one line).
            pub fn description(self) -> String {
                match self { $( ProblemKind::$v => {
                    let lines: &[&str] = &[$($doc),*];
                    lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
                } )* }
            }
            /// Every kind, in declaration order.
            pub const ALL: &'static [ProblemKind] = &[ $( ProblemKind::$v, )* ];
        }
    };
}

problem_kinds! {
    /// The stored preamble CRC does not match bytes 0..28.
    PreambleCrcBad => "preamble_crc_bad", Error;
    /// The preamble's CRC matches but its fields are impossible.
    PreambleMalformed => "preamble_malformed", Error;
    /// A segment is longer than the decoder accepts.
    SegmentTooLong => "segment_too_long", Error;
    /// A segment CRC does not match the segment.
    SegmentCrcBad => "segment_crc_bad", Error;
    /// A segment CRC is 0 where the data's CRC is not: the sender likely
    /// runs with data CRCs disabled.
    SegmentCrcAbsent => "segment_crc_absent", Warning;
    /// msgr2.1 late_status whose low nibble is neither 0xE nor 0x1.
    LateStatusBad => "late_status_bad", Error;
    /// late_status/late_flags has reserved bits set.
    LateReservedBits => "late_reserved_bits", Warning;
    /// The preamble's reserved byte is not zero.
    ReservedNotZero => "reserved_not_zero", Warning;
    /// A tag with no known meaning.
    TagUnknown => "tag_unknown", Note;
    /// The frame's segments are compressed (Ceph 17+) and were not
    /// decompressed (a frame decompressed is read like any other).
    Compressed => "compressed", Note;
    /// A compressed segment that does not decompress with the connection's
    /// method (compression_onwire.cc: the receiver fails the frame).
    DecompressFailed => "decompress_failed", Error;
    /// A compressed segment whose decompressed length (claimed, or reached)
    /// passes the decoder's segment cap: refused, never allocated.
    DecompressTooLong => "decompressed_too_long", Error;
    /// A compressed frame whose method has no decoder here (brotli, or an
    /// id Compressor.h does not define): shown undecoded, never guessed.
    CompressionUnsupported => "compression_unsupported", Warning;
    /// A compressed frame on a connection whose COMPRESSION_DONE turned
    /// compression on was not seen (the capture may have started later):
    /// its method is not known.
    CompressionNotNegotiated => "compression_not_negotiated", Warning;
    /// The sender aborted the frame (late status/flags): dropped by the peer.
    Aborted => "aborted", Note;
    /// Bytes of the frame were never captured.
    Incomplete => "incomplete", Warning;
    /// The capture ended inside the frame.
    Truncated => "truncated", Warning;
    /// Stream bytes lost by the capture.
    BytesLost => "bytes_lost", Warning;
    /// Bytes skipped while looking for the next frame.
    Undecoded => "undecoded", Error;
    /// A retransmission carried bytes that differ from the first copy.
    OverlapDiffers => "tcp_overlap_differs", Error;
    /// The banner's payload length is implausible.
    BannerBad => "banner_bad", Error;
    /// A banner requires msgr2 features the other banner does not
    /// support: ProtocolV2 `_handle_peer_banner_payload` stops the
    /// connection ("peer does not support all required features").
    FeaturesUnsupported => "features_unsupported", Error;
    /// The stream does not start with a msgr2 banner.
    NotMsgr2 => "not_msgr2", Note;
    /// The capture started mid-connection; decoding began at a found frame.
    MidStream => "mid_stream", Note;
    /// The connection was evicted to keep within the memory cap
    /// (`--memcap`): these bytes were never analysed.
    MemcapEvicted => "memcap_evicted", Error;
    /// A secure-mode GCM tag does not verify.
    GcmTagBad => "gcm_tag_bad", Error;
    /// A secure-mode direction with no key that opens it.
    NoKey => "encrypted_no_key", Warning;
    /// AUTH_SIGNATURE is not the HMAC-SHA256, keyed with the session key,
    /// of every byte its sender received before it (ProtocolV2.cc
    /// handle_auth_signature: "pre-auth signature mismatch", the peer
    /// faults the connection).
    AuthSignatureBad => "auth_signature_bad", Error;
    /// Secure-mode padding or epilogue bytes that must be zero are not.
    PaddingNotZero => "padding_not_zero", Error;
    /// The secure stream can no longer be followed (a frame failed beyond
    /// repair, or bytes were lost): the rest of the direction is not decoded.
    SecureSyncLost => "secure_sync_lost", Error;
    /// A message's seq is not the previous one plus one (ProtocolV2.cc
    /// handle_message: messages are numbered 1, 2, 3, ... per session).
    SeqJump => "seq_jump", Warning;
    /// An ack_seq (or ACK frame) acknowledges a message the peer has not
    /// sent yet in capture order. A note: a capture that reorders packets
    /// across directions, or lost the peer's frames, shows it too.
    AckAhead => "ack_ahead", Note;
    /// A length, count or struct_len runs past the buffer that holds it,
    /// or the payload ends inside a field: Ceph's decoder throws
    /// `buffer::end_of_buffer` (include/buffer.h).
    EncodingEndOfBuffer => "encoding_end_of_buffer", Error;
    /// A value Ceph's decoder refuses (an address marker, a family or
    /// length it does not know, an impossible count): it throws
    /// `buffer::malformed_input` (include/buffer.h).
    EncodingMalformed => "encoding_malformed", Error;
    /// A versioned structure whose struct_compat is newer than the decoder
    /// knows: DECODE_START throws `malformed_input` ("no longer understand
    /// old encoding version", include/encoding.h).
    EncodingCompatTooNew => "encoding_compat_too_new", Error;
    /// Bytes inside a versioned structure past the fields this version
    /// knows: a newer encoder's fields, skipped by DECODE_FINISH.
    EncodingExtra => "encoding_extra", Note;
    /// Bytes after a payload's last field: Ceph's decoders do not read
    /// them (frames_v2.h decodes control payloads field by field).
    EncodingTrailing => "encoding_trailing", Note;
    /// A frame the receiver's state does not accept, or that the sender's
    /// state does not send (ProtocolV2's handle_* functions fault the
    /// connection: "not in auth connect state!", an unknown tag, ...).
    UnexpectedFrame => "state_unexpected_frame", Error;
    /// A frame only the other side sends (msgr2.rst: client->server or
    /// server->client); the receiver is never in a state that takes it.
    WrongSide => "state_wrong_side", Error;
    /// AUTH_DONE's con_mode is not among the modes the client's
    /// AUTH_REQUEST offered (AuthServer::pick_con_mode picks among them).
    ModeNotOffered => "state_mode_not_offered", Error;
    /// An AUTH_REQUEST after AUTH_BAD_METHOD with a method or modes the
    /// server said it does not allow: it is refused again.
    MethodNotAllowed => "state_method_not_allowed", Warning;
    /// SERVER_IDENT's addresses do not include the CLIENT_IDENT
    /// target_addr: ProtocolV2 handle_server_ident faults the client.
    WrongTarget => "state_wrong_target", Error;
    /// The server's HELLO names an entity type other than the one at its
    /// address: a monmap earlier in the capture lists the address as a
    /// monitor's, and the client connecting there asks for a monitor.
    /// ProtocolV2 handle_hello (connecting side): "connection peer type
    /// does not match what peer advertises" stops the connection.
    PeerTypeMismatch => "state_peer_type_mismatch", Error;
    /// A client's CLIENT_IDENT gid differs from the global_id AUTH_DONE
    /// gave it: it claims a name that is not its own.
    GidMismatch => "state_gid_mismatch", Warning;
    /// A SESSION_RECONNECT Ceph never sends: server cookie 0, connect_seq
    /// 0, or seqs that ignore SESSION_RETRY / SESSION_RETRY_GLOBAL
    /// (ProtocolV2 handle_auth_done, handle_session_retry(_global)).
    ReconnectBad => "state_reconnect_bad", Error;
    /// A SESSION_RECONNECT whose cookies name no session established
    /// earlier in the capture (it may predate the capture).
    ReconnectUnknownSession => "state_reconnect_unknown_session", Note;
    /// ceph_msg_header2 fields that disagree: compat_version above version,
    /// a priority above CEPH_MSG_PRIO_HIGHEST (msgr.h).
    MsgHeaderInconsistent => "msg_header_inconsistent", Warning;
    /// A message at or below the seq acknowledged at a reconnect: the
    /// receiver discards it as old (ProtocolV2 handle_message).
    SeqReplayed => "seq_replayed", Note;
    /// A KEEPALIVE2_ACK whose timestamp no KEEPALIVE2 of the peer carried
    /// (ProtocolV2 handle_keepalive2 echoes the stamp it received).
    KeepaliveAckUnmatched => "keepalive_ack_unmatched", Note;
    /// A message encoded at a version the receiver's release cannot
    /// decode (its header version or compat_version is past what that
    /// release reads): Ceph drops it or leaves it undecoded, and never
    /// answers.
    VersionUnsupported => "msg_version_unsupported", Error;
    /// A request (osd_op, mon_command, ...) with no reply on its
    /// connection by the time the connection closed, or the capture
    /// ended past the grace period (`--reply-grace`).
    RequestUnanswered => "request_unanswered", Warning;
    /// A reply whose request this connection did not carry before it in
    /// the capture (its tid was never sent, or was answered already). A
    /// capture that reorders packets across directions shows it too; the
    /// request that follows is then taken as answered.
    ReplyUnrequested => "reply_unrequested", Note;
    /// An OSD op code no Ceph release defines (the OSD prints it `???`
    /// and answers -EOPNOTSUPP).
    OsdOpUnknown => "osd_op_unknown", Note;
    /// CEPH_OSD_FLAG_* or CEPH_OSD_OP_FLAG_* bits no Ceph release
    /// defines (printed `???` by Ceph).
    OsdFlagsUnknown => "osd_flags_unknown", Note;
    /// msgr1: the stored ceph_msg_header CRC does not match its first 49
    /// bytes (`ceph_crc32c(0, ...)`, Message.cc).
    Msgr1HeaderCrcBad => "msgr1_header_crc_bad", Error;
    /// msgr1: a footer's front, middle or data CRC does not match those
    /// bytes (seed 0, Message.cc `decode_message`).
    Msgr1CrcBad => "msgr1_crc_bad", Error;
    /// msgr1: the footer carries CEPH_MSG_FOOTER_NOCRC: the sender computed
    /// no data CRC (ms_crc_data off), absent by design.
    Msgr1DataCrcAbsent => "msgr1_data_crc_absent", Note;
    /// msgr1: a length (front, middle, data, authorizer) is larger than the
    /// decoder accepts; the rest of the direction is not decoded.
    Msgr1LengthTooLong => "msgr1_length_too_long", Error;
    /// msgr1: footer flag bits msgr.h does not define.
    Msgr1FooterFlagsUnknown => "msgr1_footer_flags_unknown", Warning;
    /// msgr1: a byte that is not a tag the sender may send in its state
    /// (msgr.h CEPH_MSGR_TAG_*); the rest of the direction is not decoded.
    Msgr1TagBad => "msgr1_tag_bad", Error;
    /// msgr1: the bytes after the banner are not the handshake the
    /// protocol has there (a bad banner).
    Msgr1BannerBad => "msgr1_banner_bad", Error;
    /// msgr1 with cephx: a MSG's footer signature is not the one its
    /// session key gives (CephxSessionHandler.cc check_message_signature:
    /// "Message signature does not match contents", the message is dropped).
    Msgr1SignatureBad => "msgr1_signature_bad", Error;
    /// The two sides of a connection sent different protocols' banners
    /// (`ceph v027` of msgr1 against `ceph v2` of msgr2): the peer closes
    /// the connection ("socket closed (con state V1_BANNER)").
    BannerMismatch => "banner_mismatch", Error;
}

impl ProblemKind {
    /// The group the kind belongs to.
    pub fn group(self) -> Group {
        use ProblemKind::*;
        match self {
            PreambleCrcBad | SegmentCrcBad | SegmentCrcAbsent | GcmTagBad | Msgr1HeaderCrcBad
            | Msgr1CrcBad | Msgr1DataCrcAbsent | Msgr1SignatureBad => Group::Checksum,
            Msgr1LengthTooLong | Msgr1FooterFlagsUnknown | Msgr1TagBad | Msgr1BannerBad => {
                Group::Framing
            }
            PreambleMalformed | SegmentTooLong | LateStatusBad | LateReservedBits
            | ReservedNotZero | BannerBad | FeaturesUnsupported | PaddingNotZero
            | DecompressFailed | DecompressTooLong => Group::Framing,
            EncodingEndOfBuffer | EncodingMalformed | EncodingCompatTooNew | EncodingExtra
            | EncodingTrailing => Group::Encoding,
            Incomplete | Truncated | BytesLost | Undecoded | OverlapDiffers | MidStream
            | NotMsgr2 | MemcapEvicted => Group::Capture,
            NoKey | SecureSyncLost | AuthSignatureBad => Group::Decryption,
            SeqJump | AckAhead | SeqReplayed | KeepaliveAckUnmatched => Group::Sequence,
            TagUnknown
            | Compressed
            | CompressionUnsupported
            | CompressionNotNegotiated
            | Aborted
            | UnexpectedFrame
            | WrongSide
            | ModeNotOffered
            | MethodNotAllowed
            | WrongTarget
            | PeerTypeMismatch
            | GidMismatch
            | ReconnectBad
            | ReconnectUnknownSession
            | MsgHeaderInconsistent => Group::Protocol,
            VersionUnsupported | RequestUnanswered | ReplyUnrequested | OsdOpUnknown
            | OsdFlagsUnknown | BannerMismatch => Group::Interop,
        }
    }

    /// Whether the kind is about a payload's encoding (`ceph.encoding`).
    pub fn is_encoding(self) -> bool {
        self.group() == Group::Encoding
    }
}

/// One problem, located in a direction's byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// Stream offset of the first byte concerned.
    pub offset: u64,
    /// Number of bytes concerned.
    pub len: u64,
    /// Field abbreviation, e.g. `msgr2.preamble.crc`.
    pub field: &'static str,
    /// What a correct stream has there (empty when not applicable).
    pub expected: String,
    /// What was found.
    pub found: String,
}

impl Problem {
    /// A problem with no expected/found values.
    pub fn new(kind: ProblemKind, offset: u64, len: u64, field: &'static str) -> Problem {
        Problem {
            kind,
            offset,
            len,
            field,
            expected: String::new(),
            found: String::new(),
        }
    }

    /// Set expected and found.
    pub fn values(mut self, expected: impl Into<String>, found: impl Into<String>) -> Problem {
        self.expected = expected.into();
        self.found = found.into();
        self
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ProblemKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
