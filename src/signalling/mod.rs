//! Signalling: how viewers find the share and exchange descriptions and candidates with it.
//! One trait, [`Signaller`]; each protocol in its own module (wire types, a state machine
//! without I/O, a thin task). Runs on one tokio runtime kept apart from GStreamer's threads
//! and the GLib main loop.

mod admission;
mod capability;
mod conversation;
mod display_name;
mod embedded;
mod ended;
mod error;
mod events;
mod gst;
mod hub;
mod janus;
mod page;
mod page_strings;
mod publisher;
mod relay;
mod retry;
mod runtime;
mod secret;
mod session_limits;
mod signaller;
mod tls;
mod transport;
mod viewer_ice;
mod websocket;
mod whip;

pub use admission::{MAX_CONNECTIONS, MAX_PER_ADDRESS};
pub use display_name::{clean_display_name, MAX_DISPLAY_NAME};
pub use embedded::{EmbeddedServer, EmbeddedServerOptions};
pub use error::{DecodeError, SignallingError};
pub use events::{SignallingEvent, SignallingState};
pub use gst::{GstSignaller, GstSignallerOptions};
pub use hub::{HANDSHAKE_WITHIN, MAX_PEER_MESSAGE, VIEWER_BURST};
pub use janus::{is_janus_url, JanusOptions, JANUS_PIN_VARIABLE};
pub use publisher::PublisherSignaller;
pub use relay::SignallingRelay;
pub use retry::backoff;
pub(crate) use runtime::runtime;
pub(crate) use secret::redact_text;
pub use secret::{is_secret_parameter, redact_url, Secret, ShownUrl, SignallingSecrets, REDACTED};
pub use session_limits::{SessionRefusal, MAX_PENDING_PER_PEER, MAX_SESSIONS_PER_PEER};
pub use signaller::{Signaller, MAX_MESSAGE_SIZE};
pub use tls::preload as preload_tls;
pub use viewer_ice::{
    turn_credentials, IceServer, TurnCredentials, ViewerIceServers, TURN_CREDENTIAL_LIFETIME_SECS,
    TURN_SECRET_VARIABLE,
};
pub use whip::{is_whip_url, WhipOptions, WHIP_TOKEN_VARIABLE};

// The parsers of what others send, for tests/fuzz.rs only (`--features fuzzing`).
#[cfg(feature = "fuzzing")]
pub use capability::{host_is_served, origin_is_page, Access, Capabilities};
#[cfg(feature = "fuzzing")]
pub use gst::{decode, Incoming};
#[cfg(feature = "fuzzing")]
pub use hub::{admit_websocket, Refusal};
#[cfg(feature = "fuzzing")]
pub use janus::{decode_janus, parse_janus_url, JanusIncoming, JanusTarget};
#[cfg(feature = "fuzzing")]
pub use page::{route_request, Route};
#[cfg(feature = "fuzzing")]
pub use whip::{ice_servers_in_links, parse_whip_url};
