//! Frame tags (frames_v2.h `enum class Tag`; FACTS.md "Tag numbers").

/// Declares an open wire enum: named variants plus `Unknown(raw)`, with
/// conversions both ways and a name lookup.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $raw:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr => $text:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value with no name in the table.
            Unknown($raw),
        }

        impl $name {
            /// The value on the wire.
            pub fn raw(self) -> $raw {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(v) => v,
                }
            }

            /// The name, or `None` for an unknown value.
            pub fn known_name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )*
                    $name::Unknown(_) => None,
                }
            }

            /// Every named value, in table order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];
        }

        impl From<$raw> for $name {
            fn from(v: $raw) -> Self {
                match v {
                    $( x if x == $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.known_name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "UNKNOWN({})", self.raw()),
                }
            }
        }
    };
}
pub(crate) use open_enum;

open_enum! {
    /// A msgr2 frame tag.
    pub enum Tag: u8 {
        /// Entity type and the peer's address as seen by the sender.
        Hello = 1 => "HELLO",
        /// Client's auth method, modes and payload.
        AuthRequest = 2 => "AUTH_REQUEST",
        /// Server rejects the method.
        AuthBadMethod = 3 => "AUTH_BAD_METHOD",
        /// Server's next auth round.
        AuthReplyMore = 4 => "AUTH_REPLY_MORE",
        /// Client's next auth round.
        AuthRequestMore = 5 => "AUTH_REQUEST_MORE",
        /// Server ends auth: global id and connection mode.
        AuthDone = 6 => "AUTH_DONE",
        /// HMAC over the pre-auth exchange.
        AuthSignature = 7 => "AUTH_SIGNATURE",
        /// Client identity.
        ClientIdent = 8 => "CLIENT_IDENT",
        /// Server identity.
        ServerIdent = 9 => "SERVER_IDENT",
        /// Server lacks required features.
        IdentMissingFeatures = 10 => "IDENT_MISSING_FEATURES",
        /// Client resumes a session.
        SessionReconnect = 11 => "SESSION_RECONNECT",
        /// Server resets the session.
        SessionReset = 12 => "SESSION_RESET",
        /// Retry with a newer connect_seq.
        SessionRetry = 13 => "SESSION_RETRY",
        /// Retry with a newer global_seq.
        SessionRetryGlobal = 14 => "SESSION_RETRY_GLOBAL",
        /// Reconnect accepted.
        SessionReconnectOk = 15 => "SESSION_RECONNECT_OK",
        /// Reconnect race lost: wait.
        Wait = 16 => "WAIT",
        /// A Ceph message.
        Message = 17 => "MESSAGE",
        /// Keepalive with a timestamp.
        Keepalive2 = 18 => "KEEPALIVE2",
        /// Keepalive echo.
        Keepalive2Ack = 19 => "KEEPALIVE2_ACK",
        /// Acknowledges messages up to a seq.
        Ack = 20 => "ACK",
        /// On-wire compression request (Ceph 17+).
        CompressionRequest = 21 => "COMPRESSION_REQUEST",
        /// On-wire compression answer (Ceph 17+).
        CompressionDone = 22 => "COMPRESSION_DONE",
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_value() {
        for v in 0..=u8::MAX {
            assert_eq!(Tag::from(v).raw(), v);
        }
        assert_eq!(Tag::from(17), Tag::Message);
        assert_eq!(Tag::Message.to_string(), "MESSAGE");
        assert_eq!(Tag::from(99).to_string(), "UNKNOWN(99)");
        assert_eq!(Tag::ALL.len(), 22);
    }
}
