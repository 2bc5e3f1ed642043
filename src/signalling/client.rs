//! The producer side of the GStreamer signalling protocol over a websocket, with keepalive and
//! reconnection. Media does not need the server: sessions already running survive an outage.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::protocol::{ClientMessage, Ice, PeerBody, PeerMessage, Sdp, ServerMessage};
use super::{
    runtime, wait_to_retry, Signaller, SignallerEvents, SignallingError, SignallingEvent,
    SignallingState, MAX_MESSAGE_SIZE,
};
use crate::rtc::SdpKind;
use crate::util::Broadcast;

#[derive(Debug, Clone)]
pub struct GstSignallerOptions {
    /// `ws://` or `wss://` URL of the signalling server.
    pub url: String,
    /// The name viewers see in the list of producers.
    pub name: String,
    /// An extra CA certificate (PEM) to trust for `wss://`.
    pub ca_file: Option<String>,
}

enum Outgoing {
    Message(ClientMessage),
    Stop,
}

/// A producer registered with a GStreamer signalling server (gst-plugins-rs'
/// `gst-webrtc-signalling-server`, or Reelcast's embedded one).
pub struct GstSignaller {
    outgoing: mpsc::UnboundedSender<Outgoing>,
    events: SignallerEvents,
}

const PING_EVERY: Duration = Duration::from_secs(15);
/// A server silent this long (not even a pong) is gone, even if TCP has not noticed yet.
const SILENCE_LIMIT: Duration = Duration::from_secs(40);

impl GstSignaller {
    /// Checks the URL and starts connecting in the background.
    pub fn start(options: GstSignallerOptions) -> Result<Self, SignallingError> {
        let url = url::Url::parse(&options.url).map_err(|e| SignallingError::BadUrl {
            url: options.url.clone(),
            cause: e.to_string(),
        })?;
        if !matches!(url.scheme(), "ws" | "wss") {
            return Err(SignallingError::BadUrl {
                url: options.url.clone(),
                cause: "use ws:// or wss://".into(),
            });
        }
        let tls = if url.scheme() == "wss" {
            Some(super::tls::client_config(options.ca_file.as_deref())?)
        } else {
            None
        };
        let events = SignallerEvents::new();
        let (outgoing, rx) = mpsc::unbounded_channel();
        runtime().spawn(run(options, tls, events.sender(), rx));
        Ok(Self { outgoing, events })
    }

    fn send(&self, message: ClientMessage) {
        let _ = self.outgoing.send(Outgoing::Message(message));
    }
}

impl Signaller for GstSignaller {
    fn subscribe(&self) -> flume::Receiver<SignallingEvent> {
        self.events.subscribe()
    }

    fn send_sdp(&self, session: &str, kind: SdpKind, sdp: &str) {
        let kind = match kind {
            SdpKind::Offer => "offer",
            SdpKind::Answer => "answer",
        };
        self.send(ClientMessage::Peer(PeerMessage {
            session_id: session.to_owned(),
            body: PeerBody::Sdp(Sdp {
                kind: kind.into(),
                sdp: sdp.to_owned(),
            }),
        }));
    }

    fn send_ice(&self, session: &str, mline: u32, candidate: &str) {
        self.send(ClientMessage::Peer(PeerMessage {
            session_id: session.to_owned(),
            body: PeerBody::Ice(Ice {
                candidate: candidate.to_owned(),
                sdp_m_line_index: mline,
            }),
        }));
    }

    fn end_session(&self, session: &str) {
        self.send(ClientMessage::EndSession {
            session_id: session.to_owned(),
        });
    }

    fn stop(&self) {
        let _ = self.outgoing.send(Outgoing::Stop);
    }
}

impl Drop for GstSignaller {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why a connection ended.
enum Ended {
    Stopped,
    Lost(String),
}

async fn run(
    options: GstSignallerOptions,
    tls: Option<Arc<rustls::ClientConfig>>,
    events: Arc<Broadcast<SignallingEvent>>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut attempt = 0u32;
    loop {
        events.send(SignallingEvent::State(SignallingState::Connecting));
        let ended = match connect(&options.url, tls.clone(), None).await {
            Ok(ws) => {
                let ended = serve(ws, &options, &events, &mut outgoing, &mut attempt).await;
                if let Ended::Lost(why) = &ended {
                    events.send(SignallingEvent::Error(format!(
                        "{}: connection lost ({why})",
                        options.url
                    )));
                }
                ended
            }
            Err(e) => {
                events.send(SignallingEvent::Error(format!("{}: {e}", options.url)));
                Ended::Lost(e)
            }
        };
        if let Ended::Stopped = ended {
            break;
        }
        let is_stop = |o: &Outgoing| matches!(o, Outgoing::Stop);
        if !wait_to_retry(&events, &mut attempt, &mut outgoing, is_stop).await {
            break;
        }
    }
    events.send(SignallingEvent::State(SignallingState::Stopped));
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a websocket (asking for `protocol` as its subprotocol, if any), messages bounded by
/// [`MAX_MESSAGE_SIZE`].
pub(crate) async fn connect(
    url: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    protocol: Option<&str>,
) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let connector = tls.map(tokio_tungstenite::Connector::Rustls);
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(protocol) = protocol {
        let value = protocol.parse().map_err(|_| "bad subprotocol".to_owned())?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", value);
    }
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(request, Some(config), false, connector);
    match tokio::time::timeout(Duration::from_secs(10), connecting).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(describe_connect_error(&e)),
        Err(_) => Err("no answer within 10 s".into()),
    }
}

fn describe_connect_error(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running?)".into()
        }
        E::Tls(tls) => format!("TLS failed, the server's certificate is not trusted or invalid ({tls}); use --ca-file for a private CA"),
        E::Io(io) if io.to_string().contains("certificate") => {
            format!("TLS failed, the server's certificate is not trusted ({io}); use --ca-file for a private CA")
        }
        other => other.to_string(),
    }
}

async fn serve(
    ws: Ws,
    options: &GstSignallerOptions,
    events: &Broadcast<SignallingEvent>,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
    attempt: &mut u32,
) -> Ended {
    let (mut sink, mut stream) = ws.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            incoming = stream.next() => {
                last_heard = tokio::time::Instant::now();
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return Ended::Lost("closed by the server".into()),
                    Some(Ok(_)) => continue, // pings, pongs, binary: nothing for us
                    Some(Err(e)) => return Ended::Lost(e.to_string()),
                };
                match decode(text.as_str()) {
                    Ok(Incoming::Welcome { peer_id }) => {
                        let register = ClientMessage::SetPeerStatus {
                            roles: vec!["producer".into()],
                            meta: serde_json::json!({ "name": options.name }),
                        };
                        if let Err(e) = send(&mut sink, &register).await {
                            return Ended::Lost(e);
                        }
                        *attempt = 0;
                        events.send(SignallingEvent::State(SignallingState::Registered { peer_id }));
                    }
                    Ok(Incoming::Event(event)) => events.send(event),
                    Ok(Incoming::Ignored) => {}
                    Err(e) => {
                        tracing::warn!("malformed signalling message dropped ({e}): {:.200}", text.as_str());
                    }
                }
            }
            msg = outgoing.recv() => match msg {
                Some(Outgoing::Message(m)) => {
                    if let Err(e) = send(&mut sink, &m).await {
                        return Ended::Lost(e);
                    }
                }
                Some(Outgoing::Stop) | None => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ended::Stopped;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return Ended::Lost(format!("no answer for {} s", SILENCE_LIMIT.as_secs()));
                }
                if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                    return Ended::Lost(e.to_string());
                }
            }
        }
    }
}

async fn send(
    sink: &mut futures_util::stream::SplitSink<Ws, Message>,
    message: &ClientMessage,
) -> Result<(), String> {
    let text = serde_json::to_string(message).map_err(|e| e.to_string())?;
    sink.send(Message::Text(text.into()))
        .await
        .map_err(|e| e.to_string())
}

/// What one text frame from the server means to a producer.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The server's greeting: time to register.
    Welcome {
        peer_id: String,
    },
    Event(SignallingEvent),
    /// Valid, but nothing for a producer (listener traffic, an SDP of unknown type).
    Ignored,
}

/// Reads one text frame. Never panics: anything malformed is an `Err` to log and drop.
pub fn decode(text: &str) -> Result<Incoming, String> {
    let message = serde_json::from_str::<ServerMessage>(text).map_err(|e| e.to_string())?;
    Ok(match message {
        ServerMessage::Welcome { peer_id } => Incoming::Welcome { peer_id },
        other => to_event(other).map_or(Incoming::Ignored, Incoming::Event),
    })
}

fn to_event(message: ServerMessage) -> Option<SignallingEvent> {
    Some(match message {
        ServerMessage::StartSession {
            peer_id,
            session_id,
            offer,
        } => SignallingEvent::SessionRequested {
            session: session_id,
            peer: peer_id,
            offer,
            ice_servers: Vec::new(),
        },
        ServerMessage::Peer(PeerMessage { session_id, body }) => match body {
            PeerBody::Sdp(sdp) => {
                let kind = match sdp.kind.as_str() {
                    "offer" => SdpKind::Offer,
                    "answer" => SdpKind::Answer,
                    other => {
                        tracing::warn!(session = %session_id, "SDP of unknown type {other:?} dropped");
                        return None;
                    }
                };
                SignallingEvent::RemoteSdp {
                    session: session_id,
                    kind,
                    sdp: sdp.sdp,
                }
            }
            PeerBody::Ice(ice) => SignallingEvent::RemoteIce {
                session: session_id,
                mline: ice.sdp_m_line_index,
                candidate: ice.candidate,
            },
        },
        ServerMessage::EndSession { session_id } => SignallingEvent::SessionEnded {
            session: session_id,
        },
        ServerMessage::Error { details } => {
            SignallingEvent::Error(format!("the signalling server says: {details}"))
        }
        ServerMessage::Welcome { .. }
        | ServerMessage::SessionStarted { .. }
        | ServerMessage::PeerStatusChanged { .. }
        | ServerMessage::List { .. } => return None,
    })
}
