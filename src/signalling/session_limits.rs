//! Who may open how many sessions: limits per peer of the far side, apart from the share's
//! `--max-viewers`, so that one peer's joins that never connect cannot take every place.
//! Pure bookkeeping; the relay feeds it the sessions asked for, connected and gone.

use std::collections::HashMap;

/// Sessions one peer may have at once (each browser tab is a peer of its own).
pub const MAX_SESSIONS_PER_PEER: usize = 4;
/// Sessions of one peer whose media is not up yet: a real viewer joins one at a time.
pub const MAX_PENDING_PER_PEER: usize = 2;

/// Why a session was not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionRefusal {
    #[error("peer {peer} already has {MAX_PENDING_PER_PEER} sessions still connecting")]
    TooManyPending { peer: String },
    #[error("peer {peer} already has {MAX_SESSIONS_PER_PEER} sessions")]
    TooManySessions { peer: String },
    #[error("session id refused (empty, over 256 bytes or with control characters)")]
    BadSessionId,
}

#[derive(Debug)]
struct Entry {
    peer: Option<String>,
    connected: bool,
}

/// The sessions let in, by id.
#[derive(Debug, Default)]
pub(crate) struct SessionLimits {
    sessions: HashMap<String, Entry>,
}

impl SessionLimits {
    /// Lets `session` of `peer` in, or says why not. Sessions without a peer (an SFU's, a
    /// WHIP endpoint's) are only checked for a usable id.
    pub(crate) fn admit(
        &mut self,
        session: &str,
        peer: Option<&str>,
    ) -> Result<(), SessionRefusal> {
        if session.is_empty()
            || session.len() > 256
            || session.bytes().any(|b| b.is_ascii_control())
        {
            return Err(SessionRefusal::BadSessionId);
        }
        if let Some(peer) = peer {
            let theirs = || {
                self.sessions
                    .values()
                    .filter(move |e| e.peer.as_deref() == Some(peer))
            };
            if theirs().filter(|e| !e.connected).count() >= MAX_PENDING_PER_PEER {
                return Err(SessionRefusal::TooManyPending {
                    peer: peer.to_owned(),
                });
            }
            if theirs().count() >= MAX_SESSIONS_PER_PEER {
                return Err(SessionRefusal::TooManySessions {
                    peer: peer.to_owned(),
                });
            }
        }
        self.sessions.insert(
            session.to_owned(),
            Entry {
                peer: peer.map(str::to_owned),
                connected: false,
            },
        );
        Ok(())
    }

    /// The session's media is up: it no longer counts as pending.
    pub(crate) fn connected(&mut self, session: &str) {
        if let Some(entry) = self.sessions.get_mut(session) {
            entry.connected = true;
        }
    }

    /// The session is over (or was never started): its place is free.
    pub(crate) fn gone(&mut self, session: &str) {
        self.sessions.remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_peer_holds_few_pending_sessions_and_connected_ones_free_them() {
        let mut a = SessionLimits::default();
        assert_eq!(a.admit("s1", Some("p")), Ok(()));
        assert_eq!(a.admit("s2", Some("p")), Ok(()));
        assert!(matches!(
            a.admit("s3", Some("p")),
            Err(SessionRefusal::TooManyPending { .. })
        ));
        // Another peer is not affected.
        assert_eq!(a.admit("t1", Some("q")), Ok(()));
        a.connected("s1");
        a.connected("s2");
        assert_eq!(a.admit("s3", Some("p")), Ok(()));
        a.connected("s3");
        assert_eq!(a.admit("s4", Some("p")), Ok(()));
        a.connected("s4");
        assert!(matches!(
            a.admit("s5", Some("p")),
            Err(SessionRefusal::TooManySessions { .. })
        ));
        a.gone("s1");
        assert_eq!(a.admit("s5", Some("p")), Ok(()));
        // A pending session that times out frees its place.
        a.gone("t1");
        assert_eq!(a.admit("t2", Some("q")), Ok(()));
        assert_eq!(a.admit("t3", Some("q")), Ok(()));
    }

    #[test]
    fn sessions_without_a_peer_are_not_counted_but_ids_are_checked() {
        let mut a = SessionLimits::default();
        for n in 0..10 {
            assert_eq!(a.admit(&format!("sfu{n}"), None), Ok(()));
        }
        for bad in ["", "a\0b", "line\nbreak"] {
            assert_eq!(a.admit(bad, Some("p")), Err(SessionRefusal::BadSessionId));
        }
        assert_eq!(
            a.admit(&"x".repeat(300), None),
            Err(SessionRefusal::BadSessionId)
        );
    }
}
