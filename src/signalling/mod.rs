//! Signalling: how viewers find the share and exchange descriptions and candidates with it.
//! One trait, [`Signaller`]; each protocol in its own module (wire types, a state machine
//! without I/O, a thin task). Runs on one tokio runtime kept apart from GStreamer's threads
//! and the GLib main loop.

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
mod signaller;
mod tls;
mod websocket;
mod whip;

pub use embedded::{route_request, EmbeddedServer, EmbeddedServerOptions, Route};
pub use error::{DecodeError, SignallingError};
pub use events::{SignallingEvent, SignallingState};
pub use gst::{decode, GstSignaller, GstSignallerOptions, Incoming};
pub use janus::{
    decode_janus, is_janus_url, parse_janus_url, JanusIncoming, JanusOptions, JanusTarget,
};
pub use publisher::PublisherSignaller;
pub use relay::SignallingRelay;
pub use retry::backoff;
pub use signaller::{Signaller, MAX_MESSAGE_SIZE};
pub use whip::{
    ice_servers_in_links, is_whip_url, parse_whip_url, WhipOptions, WHIP_TOKEN_VARIABLE,
};
