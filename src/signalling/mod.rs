//! Signalling: how viewers find the share and exchange descriptions and candidates with it.
//! One trait, [`Signaller`]; each protocol in its own module. Runs on one tokio runtime kept
//! apart from GStreamer's threads and the GLib main loop.

mod client;
mod embedded;
mod janus;
mod protocol;
mod publisher;
mod session;
mod tls;
mod whip;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use client::{decode, GstSignaller, GstSignallerOptions, Incoming};
pub use embedded::{route_request, EmbeddedServer, EmbeddedServerOptions, Route};
pub use janus::{
    decode_janus, is_janus_url, parse_janus_url, JanusIncoming, JanusOptions, JanusTarget,
};
pub use publisher::PublisherSignaller;
pub use session::ShareSession;
pub use whip::{
    ice_servers_in_links, is_whip_url, parse_whip_url, WhipOptions, WHIP_TOKEN_VARIABLE,
};

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
        peer: String,
        offer: Option<String>,
        /// STUN and TURN servers the far side names for this session, in webrtcbin's form
        /// (`stun://host:port`, `turn://user:password@host:port`), besides the configured ones.
        ice_servers: Vec<String>,
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
    /// Something a person should know: the server's own errors, connection failures.
    Error(String),
}

/// A signalling backend, seen from the share: it turns a protocol's messages into these
/// events and these calls into its messages.
pub trait Signaller: Send + Sync {
    fn subscribe(&self) -> flume::Receiver<SignallingEvent>;
    fn send_sdp(&self, session: &str, kind: SdpKind, sdp: &str);
    fn send_ice(&self, session: &str, mline: u32, candidate: &str);
    /// All local candidates of `session` are out. Protocols without trickle wait for this.
    fn end_of_candidates(&self, _session: &str) {}
    fn end_session(&self, session: &str);
    /// The share lost `session`'s connection (ICE, DTLS, silence, an unusable answer). A
    /// publisher tries again after a pause; a signalling server's viewer may join again by
    /// itself, so by default this just ends the session.
    fn session_failed(&self, session: &str) {
        self.end_session(session)
    }
    /// There is media to send again after the share ended every session (the video ended
    /// and the person played again). A publisher publishes again; viewers of a signalling
    /// server join again by themselves.
    fn media_resumed(&self) {}
    fn stop(&self);
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignallingError {
    #[error("{url}: not a signalling URL ({cause})")]
    BadUrl { url: String, cause: String },
    #[error("{path}: cannot use as a CA file ({cause})")]
    BadCaFile { path: String, cause: String },
    #[error("cannot start the embedded server on {address}: {cause}")]
    Bind { address: String, cause: String },
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

/// After a lost connection: says when the next try is and waits for it. Returns false if
/// asked to stop meanwhile; other requests are dropped, being for a connection that is gone.
pub(crate) async fn wait_to_retry<T>(
    events: &Broadcast<SignallingEvent>,
    attempt: &mut u32,
    requests: &mut tokio::sync::mpsc::UnboundedReceiver<T>,
    is_stop: fn(&T) -> bool,
) -> bool {
    let delay = backoff(*attempt);
    *attempt = attempt.saturating_add(1);
    events.send(SignallingEvent::State(SignallingState::Reconnecting {
        attempt: *attempt,
        retry_in_ms: delay.as_millis() as u64,
    }));
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            request = requests.recv() => match request {
                Some(request) if !is_stop(&request) => {}
                _ => return false,
            },
        }
    }
}

/// Largest signalling message accepted (an SDP is a few kB).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// How long the next reconnection waits: doubles from half a second, capped at 30 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1u64 << attempt.min(16));
    Duration::from_millis(ms.min(30_000))
}

/// The tokio runtime for networking.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("reelcast-net")
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(10), Duration::from_secs(30));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(30));
    }
}
