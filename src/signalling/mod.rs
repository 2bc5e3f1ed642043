//! Signalling: how viewers find the share and exchange descriptions and candidates with it.
//! One trait, [`Signaller`]; each protocol in its own module (wire types, a state machine
//! without I/O, a thin task). Runs on one tokio runtime kept apart from GStreamer's threads
//! and the GLib main loop.

mod admission;
mod conversation;
mod embedded;
mod ended;
mod error;
mod events;
mod gst;
mod janus;
mod publisher;
mod relay;
mod retry;
mod runtime;
mod secret;
mod signaller;
mod tls;
mod transport;
mod websocket;
mod whip;

pub use admission::{Refusal, MAX_PENDING_PER_PEER, MAX_SESSIONS_PER_PEER};
pub use embedded::{EmbeddedServer, EmbeddedServerOptions};
pub use error::{DecodeError, SignallingError};
pub use events::{SignallingEvent, SignallingState};
pub use gst::{GstSignaller, GstSignallerOptions};
pub use janus::{is_janus_url, JanusOptions, JANUS_PIN_VARIABLE};
pub use publisher::PublisherSignaller;
pub use relay::SignallingRelay;
pub use retry::backoff;
pub use secret::{is_secret_parameter, redact_url, Secret, ShownUrl, SignallingSecrets, REDACTED};
pub use signaller::{Signaller, MAX_MESSAGE_SIZE};
pub use whip::{is_whip_url, WhipOptions, WHIP_TOKEN_VARIABLE};

// The parsers of what others send, for tests/fuzz.rs only (`--features fuzzing`).
#[cfg(feature = "fuzzing")]
pub use embedded::{route_request, Route};
#[cfg(feature = "fuzzing")]
pub use gst::{decode, Incoming};
#[cfg(feature = "fuzzing")]
pub use janus::{decode_janus, parse_janus_url, JanusIncoming, JanusTarget};
#[cfg(feature = "fuzzing")]
pub use whip::{ice_servers_in_links, parse_whip_url};
