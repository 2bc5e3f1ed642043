//! [`Hub`]: the embedded signalling endpoint. The upstream server's protocol logic (its
//! `Handler`) decides who gets what; this relay around it replaces the upstream one so that one
//! peer cannot break the others: the handshake asks for the link's secret, the page's `Origin`
//! and the served `Host`, within a deadline; messages are bounded before they reach the
//! handler; and each peer has a bounded queue that is never awaited: a peer that does not
//! read is dropped, never waited for.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gst_plugin_webrtc_signalling::handlers::Handler;
use gst_plugin_webrtc_signalling_protocol::{IncomingMessage, OutgoingMessage};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{http, Message};

use super::admission::Ticket;
use super::capability::{host_is_served, new_secret, origin_is_page, Access, Capabilities};
use super::viewer_ice::ViewerIceServers;
use super::websocket::ping_every;

/// The largest message a peer may send. Well under what a client takes
/// ([`super::MAX_MESSAGE_SIZE`]), so that nothing relayed, with its envelope, is too long for
/// the peer it goes to; far over any real description or candidate.
pub const MAX_PEER_MESSAGE: usize = 64 * 1024;
/// Messages waiting for one peer. A peer this far behind is not reading: it is dropped.
const QUEUE: usize = 256;
/// The websocket handshake must be done within this.
pub const HANDSHAKE_WITHIN: Duration = Duration::from_secs(4);
/// One message must be taken by the peer's socket within this.
const WRITE_WITHIN: Duration = Duration::from_secs(10);
/// What a viewer may send: bursts of this many messages (a join's candidates are a few dozen)...
pub const VIEWER_BURST: u32 = 200;
/// ...and this many a second over time. More is a flood, which would delay everyone behind it
/// in the handler's one queue: the viewer is dropped.
const VIEWER_PER_SECOND: u32 = 50;
/// A peer silent for this many ping intervals (not even answering pings) is gone: 45 s at the
/// 15 s the signalling clients use (tests shorten it, with REELCAST_TEST_PING_MS).
const IDLE_PINGS: u32 = 3;

struct Peer {
    queue: mpsc::Sender<String>,
    drop_it: Option<oneshot::Sender<()>>,
    access: Access,
}

/// The embedded signalling endpoint: its peers and the handler task.
pub(crate) struct Hub {
    peers: Mutex<HashMap<String, Peer>>,
    to_handler: mpsc::Sender<(String, Option<IncomingMessage>)>,
    keys: Arc<Capabilities>,
    page_port: u16,
    /// Handed to each viewer with each session it starts (`sessionStarted`'s `iceServers`).
    ice: ViewerIceServers,
}

/// Why a handshake was refused (said to nobody but the debug log; the peer gets 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoSecret,
    Host,
    Origin,
}

/// Checks a websocket handshake's path, `Host` and `Origin` (for a connection to `served`).
/// No `Origin` is a client that is not a browser: the secret alone lets it in. Never panics.
pub fn admit_websocket(
    path: &str,
    host: Option<&str>,
    origin: Option<&str>,
    served: SocketAddr,
    page_port: u16,
    keys: &Capabilities,
) -> Result<Access, Refusal> {
    if !host.is_some_and(|h| host_is_served(h, served)) {
        return Err(Refusal::Host);
    }
    if origin.is_some_and(|o| !origin_is_page(o, served.ip(), page_port)) {
        return Err(Refusal::Origin);
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let secret = path.strip_prefix('/').unwrap_or("");
    let secret = secret.strip_suffix('/').unwrap_or(secret);
    keys.access(secret).ok_or(Refusal::NoSecret)
}

impl Hub {
    /// Starts the handler task (on the current runtime).
    pub(crate) fn start(
        keys: Arc<Capabilities>,
        page_port: u16,
        ice: ViewerIceServers,
    ) -> Arc<Self> {
        let (to_handler, from_peers) = mpsc::channel(1024);
        let hub = Arc::new(Self {
            peers: Mutex::default(),
            to_handler,
            keys,
            page_port,
            ice,
        });
        let incoming = futures_util::stream::unfold(from_peers, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let mut handler = Handler::new(Box::pin(incoming));
        let weak = Arc::downgrade(&hub);
        tokio::spawn(async move {
            while let Some((peer, message)) = handler.next().await {
                let Some(hub) = weak.upgrade() else { return };
                hub.deliver(&peer, &message);
            }
        });
        hub
    }

    /// Queues `message` for `peer` without waiting: a full queue drops the peer.
    fn deliver(&self, peer: &str, message: &OutgoingMessage) {
        let mut peers = self.peers.lock().unwrap();
        let Some(entry) = peers.get_mut(peer) else {
            return;
        };
        let text = match self.text_for(peer, entry.access, message) {
            Ok(text) => text,
            Err(e) => return tracing::warn!("cannot write a signalling message: {e}"),
        };
        if entry.queue.try_send(text).is_err() {
            tracing::info!(%peer, "signalling peer dropped: it does not read its messages");
            if let Some(drop_it) = peers.remove(peer).and_then(|mut p| p.drop_it.take()) {
                let _ = drop_it.send(());
            }
        }
    }

    /// The message as `peer` gets it: a viewer's `sessionStarted` carries the ICE servers for
    /// that session, with TURN credentials minted for this viewer (an extra field, which
    /// other clients of the protocol ignore).
    fn text_for(
        &self,
        peer: &str,
        access: Access,
        message: &OutgoingMessage,
    ) -> serde_json::Result<String> {
        let for_viewer = matches!(access, Access::Viewer { .. });
        if !(for_viewer && matches!(message, OutgoingMessage::SessionStarted { .. })) {
            return serde_json::to_string(message);
        }
        let mut value = serde_json::to_value(message)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let servers = serde_json::to_value(self.ice.for_viewer(peer, now))?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("iceServers".into(), servers);
        }
        serde_json::to_string(&value)
    }

    /// After "New Link": the viewers who came with the old one are dropped, which ends their
    /// sessions.
    pub(crate) fn drop_stale_viewers(&self) {
        self.drop_where(|p| !self.keys.is_current(p.access));
    }

    /// The server stops: every connection ends.
    pub(crate) fn drop_everyone(&self) {
        self.drop_where(|_| true);
    }

    fn drop_where(&self, which: impl Fn(&Peer) -> bool) {
        let mut peers = self.peers.lock().unwrap();
        let stale: Vec<String> = peers
            .iter()
            .filter(|(_, p)| which(p))
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            if let Some(drop_it) = peers.remove(&id).and_then(|mut p| p.drop_it.take()) {
                let _ = drop_it.send(());
            }
        }
    }

    /// Serves one connection, from the handshake until it closes or is dropped.
    // The handshake callback's error type is tungstenite's, an HTTP response.
    #[allow(clippy::result_large_err)]
    pub(crate) async fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        from: SocketAddr,
        _ticket: Ticket,
    ) {
        let Ok(served) = stream.local_addr() else {
            return;
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_PEER_MESSAGE))
            .max_frame_size(Some(MAX_PEER_MESSAGE))
            .max_write_buffer_size(4 * MAX_PEER_MESSAGE);
        let granted = Arc::new(Mutex::new(None));
        let check = {
            let (granted, keys, page_port) = (granted.clone(), self.keys.clone(), self.page_port);
            move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
                let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
                let verdict = admit_websocket(
                    request.uri().path(),
                    header(http::header::HOST),
                    header(http::header::ORIGIN),
                    served,
                    page_port,
                    &keys,
                );
                match verdict {
                    Ok(access) => {
                        *granted.lock().unwrap() = Some(access);
                        Ok(response)
                    }
                    Err(why) => {
                        // Never the path: it may hold a secret (even a mistyped one).
                        tracing::debug!(from = %from.ip(), ?why, "signalling connection refused");
                        let mut refused = ErrorResponse::new(None);
                        *refused.status_mut() = http::StatusCode::FORBIDDEN;
                        Err(refused)
                    }
                }
            }
        };
        let handshake =
            tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config));
        let ws = match tokio::time::timeout(HANDSHAKE_WITHIN, handshake).await {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                return tracing::debug!(from = %from.ip(), "signalling handshake failed: {e}")
            }
            Err(_) => return tracing::debug!(from = %from.ip(), "signalling handshake timed out"),
        };
        let Some(access) = *granted.lock().unwrap() else {
            return;
        };
        let id = new_secret()[..32].to_owned();
        let (queue, mut outgoing) = mpsc::channel(QUEUE);
        let (drop_it, mut dropped) = oneshot::channel();
        self.peers.lock().unwrap().insert(
            id.clone(),
            Peer {
                queue,
                drop_it: Some(drop_it),
                access,
            },
        );
        // A "New Link" between the handshake and now.
        if !self.keys.is_current(access) {
            self.drop_stale_viewers();
        }
        if self
            .to_handler
            .send((id.clone(), Some(IncomingMessage::NewPeer)))
            .await
            .is_err()
        {
            return;
        }
        let (mut sink, mut stream) = ws.split();
        let ping_every = ping_every();
        let mut ping = tokio::time::interval(ping_every);
        ping.reset();
        let mut last_heard = tokio::time::Instant::now();
        let mut budget = Budget::new();
        let why = loop {
            tokio::select! {
                _ = &mut dropped => break "dropped",
                message = outgoing.recv() => {
                    let Some(text) = message else { break "dropped" };
                    // Raced against being dropped, so a stuck write ends with the drop.
                    tokio::select! {
                        sent = tokio::time::timeout(WRITE_WITHIN, sink.send(Message::text(text))) => {
                            match sent {
                                Ok(Ok(())) => {}
                                Ok(Err(_)) => break "write failed",
                                Err(_) => break "not reading",
                            }
                        }
                        _ = &mut dropped => break "dropped",
                    }
                }
                incoming = stream.next() => {
                    last_heard = tokio::time::Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => {
                            // The share itself speaks for all its viewers: no budget.
                            if access != Access::Producer && !budget.take() {
                                tracing::info!(peer = %id, "signalling peer dropped: it sends too fast");
                                break "flooding";
                            }
                            if !self.received(&id, access, text.as_str()).await {
                                break "server stopping";
                            }
                        }
                        Some(Ok(Message::Close(_))) | None => break "closed",
                        Some(Ok(Message::Binary(_))) => break "binary message",
                        // Answered by tungstenite; noted so tests can see keepalives arrive.
                        Some(Ok(Message::Ping(_))) => tracing::trace!(peer = %id, "ping received"),
                        Some(Ok(_)) => {}
                        // Too long a message ends here, before anything is relayed.
                        Some(Err(e)) => {
                            tracing::info!(peer = %id, "signalling peer dropped: {e}");
                            break "error";
                        }
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > ping_every * IDLE_PINGS {
                        break "silent";
                    }
                    let ping = sink.send(Message::Ping(Vec::new().into()));
                    if !matches!(tokio::time::timeout(WRITE_WITHIN, ping).await, Ok(Ok(()))) {
                        break "not reading";
                    }
                }
            }
        };
        tracing::debug!(peer = %id, "signalling peer gone: {why}");
        self.peers.lock().unwrap().remove(&id);
        let _ = self.to_handler.send((id, None)).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    }

    /// One text message from a peer: parsed, checked against what its secret allows, and
    /// handed to the handler. False once the handler is gone.
    async fn received(&self, peer: &str, access: Access, text: &str) -> bool {
        let message = match serde_json::from_str::<IncomingMessage>(text) {
            Ok(message) => message,
            Err(e) => {
                self.refuse(peer, &format!("not a signalling message: {e}"));
                return true;
            }
        };
        if let Err(why) = self.allowed(access, &message) {
            self.refuse(peer, why);
            return true;
        }
        self.to_handler
            .send((peer.to_owned(), Some(message)))
            .await
            .is_ok()
    }

    fn refuse(&self, peer: &str, why: &str) {
        self.deliver(
            peer,
            &OutgoingMessage::Error {
                details: why.to_owned(),
            },
        );
    }

    /// A viewer's link lets it watch, not publish: it may not register as a producer, list
    /// the other viewers, or start a session with anyone but the share.
    fn allowed(&self, access: Access, message: &IncomingMessage) -> Result<(), &'static str> {
        if access == Access::Producer {
            return match message {
                IncomingMessage::NewPeer => Err("newPeer is the server's own message"),
                _ => Ok(()),
            };
        }
        match message {
            IncomingMessage::NewPeer => Err("newPeer is the server's own message"),
            IncomingMessage::SetPeerStatus(status) if status.producing() => {
                Err("a viewer's link cannot publish")
            }
            IncomingMessage::ListConsumers => Err("a viewer's link cannot list viewers"),
            IncomingMessage::StartSession(start) => {
                let peers = self.peers.lock().unwrap();
                match peers.get(&start.peer_id) {
                    Some(p) if p.access == Access::Producer => Ok(()),
                    _ => Err("no such share"),
                }
            }
            _ => Ok(()),
        }
    }
}

/// A token bucket: [`VIEWER_BURST`] messages at once, [`VIEWER_PER_SECOND`] over time.
struct Budget {
    tokens: f64,
    at: tokio::time::Instant,
}

impl Budget {
    fn new() -> Self {
        Self {
            tokens: f64::from(VIEWER_BURST),
            at: tokio::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let earned = now.duration_since(self.at).as_secs_f64() * f64::from(VIEWER_PER_SECOND);
        self.tokens = (self.tokens + earned).min(f64::from(VIEWER_BURST));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
