//! A resumed session keeps its peers: a SESSION_RECONNECT sends no ident,
//! so the connection it opens takes the entity names, types and features
//! of the connection its session started on (ProtocolV2.cc
//! reuse_connection moves them onto the new socket).

use super::{ConnState, Inner};
use crate::analysis::session::Identity;
use crate::tcp::ConnId;

impl ConnState {
    /// Who the peers of this connection are, as far as seen.
    pub(super) fn identity(&self) -> Identity {
        let (types, names) = self.session.identity();
        Identity {
            types,
            names,
            features: self.interop.features(),
        }
    }
}

impl Inner {
    /// Connection `conn` resumed the session that started on `old`.
    pub(super) fn resume(&mut self, conn: ConnId, old: ConnId) {
        if conn == old {
            return;
        }
        let id = match self.conns.get(&old) {
            Some(c) => Some(c.identity()),
            None => self.reconnects.kept(old).cloned(),
        };
        if let (Some(id), Some(c)) = (id, self.conns.get_mut(&conn)) {
            c.session.adopt(&id);
            c.interop.adopt(id.features);
        }
    }
}
