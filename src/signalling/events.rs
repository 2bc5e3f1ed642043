//! What a signaller tells the share: its connection's state and the viewers' sessions, and
//! the broadcast that carries them.

use std::sync::{Arc, Mutex};

use crate::rtc::SdpKind;
use crate::util::Broadcast;

/// Where the signaller's connection stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum SignallingState {
    Connecting,
    /// Registered with the server under this peer id.
    Registered {
        peer_id: String,
    },
    /// The connection dropped or failed; the next try is after `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    Stopped,
    /// The server said no (no such room, wrong pin): no more tries; the reason in plain words.
    Refused {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SignallingEvent {
    State(SignallingState),
    /// A viewer wants to watch; with `offer`, the viewer made the offer.
    SessionRequested {
        session: String,
        /// The far side's peer that asked (the GStreamer protocol names it), so that one
        /// peer's sessions can be counted; `None` when the far side is one SFU or endpoint.
        peer: Option<String>,
        offer: Option<String>,
        /// STUN and TURN servers the far side names for this session, in webrtcbin's form
        /// (`stun://host:port`, `turn://user:password@host:port`), besides the configured ones.
        ice_servers: Vec<String>,
        /// The display name the viewer gave, cleaned (remote input: bounded, no control
        /// characters); `None` when it gave none or the protocol has no names.
        name: Option<String>,
    },
    /// A viewer already in a session gave a display name, changed it or took it back
    /// (`None`), cleaned like [`SignallingEvent::SessionRequested`]'s.
    ViewerNamed {
        session: String,
        name: Option<String>,
    },
    RemoteSdp {
        session: String,
        kind: SdpKind,
        sdp: String,
    },
    RemoteIce {
        session: String,
        mline: u32,
        candidate: String,
    },
    SessionEnded {
        session: String,
    },
    /// The session's far side sent what no viewer sends (a message over
    /// [`super::MAX_MESSAGE_SIZE`]): that session ends, the connection and the others stay.
    SessionMisbehaved {
        session: String,
        reason: String,
    },
    /// Something a person should know: the server's own errors, connection failures.
    Error(String),
}

impl SignallingEvent {
    /// A request for a session the share starts by offering (what a producer is asked).
    pub(crate) fn session_requested(session: &str, ice_servers: Vec<String>) -> Self {
        SignallingEvent::SessionRequested {
            session: session.to_owned(),
            peer: None,
            offer: None,
            ice_servers,
            name: None,
        }
    }
}

/// A signaller's events: a broadcast, and what was sent before the first subscriber came
/// (the connection starts at once, so its first events would otherwise be lost).
pub(crate) struct SignallerEvents {
    events: Arc<Broadcast<SignallingEvent>>,
    early: Mutex<Option<flume::Receiver<SignallingEvent>>>,
}

impl SignallerEvents {
    pub(crate) fn new() -> Self {
        let events: Arc<Broadcast<SignallingEvent>> = Arc::default();
        let early = Mutex::new(Some(events.subscribe()));
        Self { events, early }
    }

    /// Where the connection's task sends its events.
    pub(crate) fn sender(&self) -> Arc<Broadcast<SignallingEvent>> {
        self.events.clone()
    }

    /// Events from now on; the first subscriber also gets those sent before.
    pub(crate) fn subscribe(&self) -> flume::Receiver<SignallingEvent> {
        self.early
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| self.events.subscribe())
    }
}
