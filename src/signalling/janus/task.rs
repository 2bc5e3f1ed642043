//! Publishing into a Janus VideoRoom, an SFU: Reelcast joins a room as a publisher and sends
//! its stream once; Janus serves the room's subscribers. Janus's JSON API over a websocket
//! (subprotocol `janus-protocol`), chosen by a URL of the form
//! `janus+ws://HOST:8188/?room=1234&pin=SECRET&display=NAME` (`janus+wss://` for TLS). This
//! file starts the task; [`JanusMachine`] holds the conversation.

use tokio::sync::mpsc;

use super::machine::JanusMachine;
use super::target::parse_janus_url;
use crate::signalling::error::SignallingError;
use crate::signalling::events::SignallerEvents;
use crate::signalling::publisher::PublisherSignaller;
use crate::signalling::runtime::runtime;
use crate::signalling::secret::{Secret, ShownUrl};
use crate::signalling::tls;
use crate::signalling::transport::check_secret_transport;
use crate::signalling::websocket::{keep_connected, Endpoint};

#[derive(Debug, Clone)]
pub struct JanusOptions {
    /// `janus+ws://…` or `janus+wss://…`, see the module's documentation.
    pub url: String,
    /// The display name in the room, unless the URL gives one.
    pub name: String,
    /// An extra CA certificate (PEM) to trust for `janus+wss://`.
    pub ca_file: Option<String>,
    /// The room's pin, given apart from the URL (which then needs none); wins over the URL's.
    pub pin: Option<Secret>,
    /// Send the pin over plain `janus+ws://` to another computer.
    pub allow_insecure: bool,
}

impl PublisherSignaller {
    /// Checks the URL and starts publishing into a Janus VideoRoom in the background.
    pub fn janus(options: JanusOptions) -> Result<Self, SignallingError> {
        let mut target = parse_janus_url(&options.url)?;
        if options.pin.is_some() {
            target.pin = options.pin.clone();
        }
        if target.pin.is_some() {
            let websocket =
                url::Url::parse(&target.websocket).map_err(|e| SignallingError::BadUrl {
                    url: ShownUrl::new(&options.url),
                    cause: e.to_string(),
                })?;
            check_secret_transport(
                &options.url,
                &websocket,
                "the Janus pin",
                options.allow_insecure,
            )?;
        }
        let tls = if target.websocket.starts_with("wss:") {
            Some(tls::client_config(options.ca_file.as_deref())?)
        } else {
            None
        };
        let events = SignallerEvents::new();
        let (requests, rx) = mpsc::unbounded_channel();
        let display = target.display.clone().unwrap_or(options.name.clone());
        let endpoint = Endpoint {
            shown: ShownUrl::new(&options.url),
            websocket: target.websocket.clone(),
            protocol: Some("janus-protocol"),
            tls,
        };
        let machine = move || JanusMachine::new(target.clone(), display.clone());
        runtime().spawn(keep_connected(endpoint, machine, events.sender(), rx));
        Ok(Self::new("Janus", requests, events))
    }
}
