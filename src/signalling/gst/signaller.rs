//! [`GstSignaller`]: the producer side of the GStreamer signalling protocol over a websocket,
//! with keepalive and reconnection. Media does not need the server: sessions already running
//! survive an outage.

use tokio::sync::mpsc;

use super::machine::{GstMachine, ProducerRequest};
use super::wire;
use crate::rtc::SdpKind;
use crate::signalling::error::SignallingError;
use crate::signalling::events::{SignallerEvents, SignallingEvent};
use crate::signalling::runtime::runtime;
use crate::signalling::secret::ShownUrl;
use crate::signalling::signaller::Signaller;
use crate::signalling::tls;
use crate::signalling::websocket::{keep_connected, Endpoint};

#[derive(Debug, Clone)]
pub struct GstSignallerOptions {
    /// `ws://` or `wss://` URL of the signalling server.
    pub url: String,
    /// The name viewers see in the list of producers.
    pub name: String,
    /// An extra CA certificate (PEM) to trust for `wss://`.
    pub ca_file: Option<String>,
    /// How messages name the server when `url` carries a secret (the embedded server's).
    pub shown: Option<String>,
}

/// A producer registered with a GStreamer signalling server (gst-plugins-rs'
/// `gst-webrtc-signalling-server`, or Reelcast's embedded one).
pub struct GstSignaller {
    requests: mpsc::UnboundedSender<ProducerRequest>,
    events: SignallerEvents,
}

impl GstSignaller {
    /// Checks the URL and starts connecting in the background.
    pub fn start(options: GstSignallerOptions) -> Result<Self, SignallingError> {
        let url = url::Url::parse(&options.url).map_err(|e| SignallingError::BadUrl {
            url: ShownUrl::new(&options.url),
            cause: e.to_string(),
        })?;
        if !matches!(url.scheme(), "ws" | "wss") {
            return Err(SignallingError::BadUrl {
                url: ShownUrl::new(&options.url),
                cause: "use ws:// or wss://".into(),
            });
        }
        let tls = if url.scheme() == "wss" {
            Some(tls::client_config(options.ca_file.as_deref())?)
        } else {
            None
        };
        let events = SignallerEvents::new();
        let (requests, rx) = mpsc::unbounded_channel();
        let endpoint = Endpoint {
            shown: ShownUrl::new(options.shown.as_deref().unwrap_or(&options.url)),
            websocket: options.url,
            protocol: None,
            tls,
        };
        let name = options.name;
        let task = keep_connected(
            endpoint,
            move || GstMachine::new(&name),
            events.sender(),
            rx,
        );
        runtime().spawn(task);
        Ok(Self { requests, events })
    }

    fn send(&self, message: gst_plugin_webrtc_signalling_protocol::IncomingMessage) {
        let _ = self.requests.send(ProducerRequest::Send(message));
    }
}

impl Signaller for GstSignaller {
    fn subscribe(&self) -> flume::Receiver<SignallingEvent> {
        self.events.subscribe()
    }

    fn send_sdp(&self, session: &str, kind: SdpKind, sdp: &str) {
        self.send(wire::sdp(session, kind, sdp));
    }

    fn send_ice(&self, session: &str, mline: u32, candidate: &str) {
        self.send(wire::ice(session, mline, candidate));
    }

    fn end_session(&self, session: &str) {
        self.send(wire::end_session(session));
    }

    fn stop(&self) {
        let _ = self.requests.send(ProducerRequest::Stop);
    }
}

impl Drop for GstSignaller {
    fn drop(&mut self) {
        self.stop();
    }
}
