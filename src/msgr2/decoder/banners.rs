//! The banner exchange, once both banners are in: the framing revision
//! and the feature checks of each end.

use super::{ConnDecoder, Event};
use crate::msgr2::banner;
use crate::msgr2::frame::Rev;
use crate::msgr2::problem::{Problem, ProblemKind};
use crate::tcp::Direction;

impl ConnDecoder {
    /// Once both banners are in, fix the revision and check features.
    pub(super) fn check_banners(&mut self, dir: Direction, out: &mut Vec<(Direction, Event)>) {
        let (Some(a), Some(b)) = (&self.banners[0], &self.banners[1]) else {
            return;
        };
        let both_v1 = a.supported & b.supported & banner::FEATURE_REVISION_1 != 0;
        self.rev = Some(if both_v1 { Rev::V1 } else { Rev::V0 });
        // ProtocolV2 _handle_peer_banner_payload: each end stops the
        // connection when the peer's supported features lack one it
        // requires ("peer does not support all required features"), or
        // the peer requires one it does not support. Reported at the
        // required field of the banner concerned, in its own direction.
        for (d, who, peer, peer_name) in [
            (Direction::ClientToServer, a, b, "server"),
            (Direction::ServerToClient, b, a, "client"),
        ] {
            let (req, sup) = (who.required, peer.supported);
            if req & sup != req {
                let p = Problem::new(
                    ProblemKind::FeaturesUnsupported,
                    who.offset.saturating_add(banner::REQUIRED.start as u64),
                    8,
                    "msgr2.banner.required",
                )
                .values(
                    format!("a subset of the {peer_name}'s supported {sup:#x}"),
                    format!("{req:#x}"),
                );
                out.push((d, Event::Undecoded(p)));
            }
        }
        // The other direction may have been waiting for the revision.
        self.pump(dir.reverse(), out);
    }
}
