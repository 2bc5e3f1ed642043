//! The websocket every websocket backend uses (GStreamer's protocol, Janus): connecting,
//! messages acted on only up to [`MAX_MESSAGE_SIZE`], pings to notice a silent server, and the
//! thin task that feeds a [`Conversation`] and reconnects with the shared [`Backoff`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::conversation::{Action, Conversation};
use super::ended::{Ended, Next, StopRequest};
use super::events::{SignallingEvent, SignallingState};
use super::retry::Backoff;
use super::secret::ShownUrl;
use super::signaller::MAX_MESSAGE_SIZE;
use crate::util::Broadcast;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CONNECT_WITHIN: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(15);
/// Tests shorten the ping interval with this (milliseconds), to show that pings stay quiet.
const PING_EVERY_VARIABLE: &str = "REELCAST_TEST_PING_MS";
/// A server silent this long (not even a pong) is gone, even if TCP has not noticed yet.
const SILENCE_LIMIT: Duration = Duration::from_secs(40);
/// What the socket reads at most, far above [`MAX_MESSAGE_SIZE`]: a server relays what any
/// viewer sends (the upstream server up to these, tungstenite's own defaults), and a frame
/// over the socket's limit cannot be skipped, only end the connection, which would end every
/// viewer's session for one viewer's message. So the socket reads what the server can relay
/// and the conversation drops what is over [`MAX_MESSAGE_SIZE`], as that viewer's fault.
const READ_MESSAGE_LIMIT: usize = 64 << 20;
const READ_FRAME_LIMIT: usize = 16 << 20;

pub(crate) fn ping_every() -> Duration {
    std::env::var(PING_EVERY_VARIABLE)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .filter(|ms| *ms > 0)
        .map_or(PING_EVERY, Duration::from_millis)
}

/// Why a websocket could not be opened or went away.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WsError {
    #[error("connection refused (is the server running?)")]
    Refused,
    #[error("TLS failed, the server's certificate is not trusted or invalid ({0}); use --ca-file for a private CA")]
    Tls(String),
    #[error("no answer within {} s", CONNECT_WITHIN.as_secs())]
    ConnectTimeout,
    #[error("bad subprotocol {0:?}")]
    BadProtocol(String),
    #[error("closed by the server")]
    Closed,
    #[error("no answer for {} s", SILENCE_LIMIT.as_secs())]
    Silent,
    #[error("{0}")]
    Transport(#[from] tungstenite::Error),
}

impl WsError {
    fn from_connect(e: tungstenite::Error) -> Self {
        use tungstenite::Error as E;
        match e {
            E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => WsError::Refused,
            E::Tls(tls) => WsError::Tls(tls.to_string()),
            E::Io(io) if io.to_string().contains("certificate") => WsError::Tls(io.to_string()),
            other => WsError::Transport(other),
        }
    }
}

/// An open websocket.
pub(crate) struct Connection {
    sink: SplitSink<Ws, Message>,
    stream: SplitStream<Ws>,
    ping: tokio::time::Interval,
    last_heard: tokio::time::Instant,
}

impl Connection {
    /// Opens a websocket (asking for `protocol` as its subprotocol, if any), reading messages
    /// up to [`READ_MESSAGE_LIMIT`].
    pub(crate) async fn open(
        url: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
        protocol: Option<&str>,
    ) -> Result<Self, WsError> {
        use tungstenite::client::IntoClientRequest;
        let config = WebSocketConfig::default()
            .max_message_size(Some(READ_MESSAGE_LIMIT))
            .max_frame_size(Some(READ_FRAME_LIMIT));
        let connector = tls.map(tokio_tungstenite::Connector::Rustls);
        let mut request = url.into_client_request().map_err(WsError::from_connect)?;
        if let Some(protocol) = protocol {
            let value = protocol
                .parse()
                .map_err(|_| WsError::BadProtocol(protocol.to_owned()))?;
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        let connecting = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            false,
            connector,
        );
        let ws = match tokio::time::timeout(CONNECT_WITHIN, connecting).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return Err(WsError::from_connect(e)),
            Err(_) => return Err(WsError::ConnectTimeout),
        };
        let (sink, stream) = ws.split();
        let mut ping = tokio::time::interval(ping_every());
        ping.reset();
        Ok(Self {
            sink,
            stream,
            ping,
            last_heard: tokio::time::Instant::now(),
        })
    }

    /// The next text frame. Pings a quiet server meanwhile and gives up on a silent one.
    /// Cancel-safe: a frame is never half read.
    pub(crate) async fn next_text(&mut self) -> Result<String, WsError> {
        loop {
            tokio::select! {
                incoming = self.stream.next() => {
                    self.last_heard = tokio::time::Instant::now();
                    match read_text(incoming)? {
                        Some(text) => return Ok(text),
                        None => continue,
                    }
                }
                _ = self.ping.tick() => {
                    if self.last_heard.elapsed() > SILENCE_LIMIT {
                        return Err(WsError::Silent);
                    }
                    self.sink.send(Message::Ping(Vec::new().into())).await?;
                }
            }
        }
    }

    pub(crate) async fn send(&mut self, message: &Value) -> Result<(), WsError> {
        self.sink
            .send(Message::Text(message.to_string().into()))
            .await?;
        Ok(())
    }

    pub(crate) async fn close(&mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
    }
}

/// One received frame: its text, nothing (pings, pongs, binary), or the end.
fn read_text(
    incoming: Option<Result<Message, tungstenite::Error>>,
) -> Result<Option<String>, WsError> {
    match incoming {
        Some(Ok(Message::Text(text))) => Ok(Some(text.as_str().to_owned())),
        Some(Ok(Message::Close(_))) | None => Err(WsError::Closed),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(WsError::Transport(e)),
    }
}

/// Where a websocket backend connects.
pub(crate) struct Endpoint {
    /// The URL the person gave, for messages (its secrets taken out).
    pub(crate) shown: ShownUrl,
    /// The websocket URL itself.
    pub(crate) websocket: String,
    pub(crate) protocol: Option<&'static str>,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

/// The task of a websocket backend: connects, runs a new conversation on each connection,
/// and after a lost one waits out the backoff, until stopped or refused.
pub(crate) async fn keep_connected<C: Conversation>(
    endpoint: Endpoint,
    mut new_conversation: impl FnMut() -> C,
    events: Arc<Broadcast<SignallingEvent>>,
    mut requests: UnboundedReceiver<C::Request>,
) {
    let mut backoff = Backoff::default();
    loop {
        events.send(SignallingEvent::State(SignallingState::Connecting));
        let opened =
            Connection::open(&endpoint.websocket, endpoint.tls.clone(), endpoint.protocol).await;
        let ended = match opened {
            Ok(mut connection) => {
                let mut conversation = new_conversation();
                converse(
                    &mut connection,
                    &mut conversation,
                    &events,
                    &mut requests,
                    &mut backoff,
                )
                .await
            }
            Err(e) => Ended::Lost(e.to_string()),
        };
        let (next, said) = ended.next(endpoint.shown.as_str());
        if let Some(event) = said {
            events.send(event);
        }
        match next {
            Next::Stop => break,
            Next::GiveUp => return,
            Next::Retry | Next::AwaitMedia => {}
        }
        if !backoff.wait(&events, &mut requests).await {
            break;
        }
    }
    events.send(SignallingEvent::State(SignallingState::Stopped));
}

/// Feeds one connection's frames, requests and timers to `conversation` and does what it
/// says, until it ends.
async fn converse<C: Conversation>(
    connection: &mut Connection,
    conversation: &mut C,
    events: &Broadcast<SignallingEvent>,
    requests: &mut UnboundedReceiver<C::Request>,
    backoff: &mut Backoff,
) -> Ended {
    let mut actions = conversation.start(Instant::now());
    loop {
        for action in std::mem::take(&mut actions) {
            match action {
                Action::Send(message) => {
                    if let Err(e) = connection.send(&message).await {
                        return lost(conversation, events, e);
                    }
                }
                Action::Emit(event) => {
                    // Registering is what counts as success for the backoff.
                    if let SignallingEvent::State(SignallingState::Registered { .. }) = &event {
                        backoff.reset();
                    }
                    events.send(event);
                }
                Action::Close => connection.close().await,
                Action::End(ended) => return ended,
            }
        }
        let deadline = conversation.deadline();
        let wake = deadline.map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std);
        actions = tokio::select! {
            text = connection.next_text() => match text {
                Ok(text) if text.len() > MAX_MESSAGE_SIZE => {
                    conversation.on_oversized(&text, Instant::now())
                }
                Ok(text) => conversation.on_text(&text, Instant::now()),
                Err(e) => return lost(conversation, events, e),
            },
            request = requests.recv() => {
                let request = request.unwrap_or_else(C::Request::stop);
                conversation.on_request(request, Instant::now())
            }
            _ = tokio::time::sleep_until(wake), if deadline.is_some() => {
                conversation.on_tick(Instant::now())
            }
        };
    }
}

/// The websocket failed: the conversation says its last words and how it ended.
fn lost<C: Conversation>(
    conversation: &mut C,
    events: &Broadcast<SignallingEvent>,
    e: WsError,
) -> Ended {
    let why = e.to_string();
    for action in conversation.on_lost(why.clone()) {
        match action {
            Action::Emit(event) => events.send(event),
            Action::End(ended) => return ended,
            Action::Send(_) | Action::Close => {}
        }
    }
    Ended::Lost(why)
}
