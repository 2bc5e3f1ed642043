//! Publishing into a Janus VideoRoom, an SFU: Reelcast joins a room as a publisher and sends
//! its stream once; Janus serves the room's subscribers. Janus's JSON API over a websocket
//! (subprotocol `janus-protocol`), chosen by a URL of the form
//! `janus+ws://HOST:8188/?room=1234&pin=SECRET&display=NAME` (`janus+wss://` for TLS).

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::client::{connect, Ws};
use super::publisher::{PublishRequest, PublisherSignaller};
use super::{
    runtime, wait_to_retry, SignallerEvents, SignallingError, SignallingEvent, SignallingState,
};
use crate::rtc::SdpKind;
use crate::util::Broadcast;

#[derive(Debug, Clone)]
pub struct JanusOptions {
    /// `janus+ws://…` or `janus+wss://…`, see the module's documentation.
    pub url: String,
    /// The display name in the room, unless the URL gives one.
    pub name: String,
    /// An extra CA certificate (PEM) to trust for `janus+wss://`.
    pub ca_file: Option<String>,
}

/// Where to publish, read from a `janus+ws(s)://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct JanusTarget {
    /// The websocket URL itself (`ws://` or `wss://`, without the room parameters).
    pub websocket: String,
    /// A number, or a string for servers with `string_ids`.
    pub room: Value,
    pub pin: Option<String>,
    pub display: Option<String>,
}

/// Whether `url` names a Janus server (`janus+ws://`, `janus+wss://`).
pub fn is_janus_url(url: &str) -> bool {
    url.starts_with("janus+ws://") || url.starts_with("janus+wss://")
}

/// Reads a `janus+ws(s)://HOST[:PORT][/PATH]?room=ROOM[&pin=PIN][&display=NAME]` URL.
pub fn parse_janus_url(url: &str) -> Result<JanusTarget, SignallingError> {
    let bad = |cause: &str| SignallingError::BadUrl {
        url: url.to_owned(),
        cause: cause.to_owned(),
    };
    let rest = url
        .strip_prefix("janus+")
        .ok_or_else(|| bad("a Janus URL starts with janus+ws:// or janus+wss://"))?;
    let mut parsed = url::Url::parse(rest).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(bad("a Janus URL starts with janus+ws:// or janus+wss://"));
    }
    let (mut room, mut pin, mut display) = (None, None, None);
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "room" => room = Some(value.into_owned()),
            "pin" => pin = Some(value.into_owned()),
            "display" => display = Some(value.into_owned()),
            _ => {
                return Err(bad(&format!(
                    "unknown parameter '{key}' (room, pin, display)"
                )))
            }
        }
    }
    let room = room
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("the room is missing: add ?room=NUMBER"))?;
    let room = room
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or(Value::String(room));
    parsed.set_query(None);
    Ok(JanusTarget {
        websocket: parsed.to_string(),
        room,
        pin,
        display,
    })
}

/// Janus ends a session silent for 60 s (its default `session_timeout`).
const KEEPALIVE_EVERY: Duration = Duration::from_secs(25);
/// How long publishing again waits for Janus to close the last publication's connection.
const UNPUBLISH_WITHIN: Duration = Duration::from_secs(3);
/// How long a request may wait for its reply.
const REPLY_WITHIN: Duration = Duration::from_secs(10);

impl PublisherSignaller {
    /// Checks the URL and starts publishing into a Janus VideoRoom in the background.
    pub fn janus(options: JanusOptions) -> Result<Self, SignallingError> {
        let target = parse_janus_url(&options.url)?;
        let tls = if target.websocket.starts_with("wss:") {
            Some(super::tls::client_config(options.ca_file.as_deref())?)
        } else {
            None
        };
        let events = SignallerEvents::new();
        let (outgoing, rx) = mpsc::unbounded_channel();
        let display = target.display.clone().unwrap_or(options.name.clone());
        runtime().spawn(run(options.url, target, display, tls, events.sender(), rx));
        Ok(Self::new("Janus", outgoing, events))
    }
}

/// Why a connection ended.
enum Ended {
    Stopped,
    /// Worth another try: the connection or the Janus session was lost.
    Lost(String),
    /// Janus said no (no such room, wrong pin): trying again would get the same answer.
    Refused(String),
}

async fn run(
    url: String,
    target: JanusTarget,
    display: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    events: Arc<Broadcast<SignallingEvent>>,
    mut outgoing: mpsc::UnboundedReceiver<PublishRequest>,
) {
    let mut attempt = 0u32;
    loop {
        events.send(SignallingEvent::State(SignallingState::Connecting));
        let ended = match connect(&target.websocket, tls.clone(), Some("janus-protocol")).await {
            Ok(ws) => {
                let mut publisher = Publisher {
                    target: &target,
                    display: &display,
                    events: &events,
                    next_transaction: 0,
                    session: None,
                };
                let ended = publisher.serve(ws, &mut outgoing, &mut attempt).await;
                if let Some(session) = publisher.session {
                    events.send(SignallingEvent::SessionEnded { session });
                }
                ended
            }
            Err(e) => Ended::Lost(e),
        };
        match ended {
            Ended::Stopped => break,
            Ended::Refused(why) => {
                let reason = format!("{url}: {why}");
                events.send(SignallingEvent::State(SignallingState::Refused { reason }));
                return;
            }
            Ended::Lost(why) => {
                events.send(SignallingEvent::Error(format!("{url}: {why}")));
            }
        }
        let is_stop = PublishRequest::is_stop;
        if !wait_to_retry(&events, &mut attempt, &mut outgoing, is_stop).await {
            break;
        }
    }
    events.send(SignallingEvent::State(SignallingState::Stopped));
}

type Sink = SplitSink<Ws, Message>;
type Stream = SplitStream<Ws>;

/// One connection's conversation with Janus.
struct Publisher<'a> {
    target: &'a JanusTarget,
    display: &'a str,
    events: &'a Broadcast<SignallingEvent>,
    next_transaction: u64,
    /// The share's session for the room, once asked for.
    session: Option<String>,
}

/// Our ids at Janus: its session and our videoroom plugin handle.
#[derive(Clone, Copy)]
struct Ids {
    session: u64,
    handle: u64,
}

impl Publisher<'_> {
    async fn serve(
        &mut self,
        ws: Ws,
        outgoing: &mut mpsc::UnboundedReceiver<PublishRequest>,
        attempt: &mut u32,
    ) -> Ended {
        let (mut sink, mut stream) = ws.split();
        let ids = match self.join(&mut sink, &mut stream).await {
            Ok(ids) => ids,
            Err(ended) => return ended,
        };
        *attempt = 0;
        let mut session = format!("janus-{}", ids.session);
        self.request_session(&session);
        // Publishing again after the video ended takes a new share session, once Janus has
        // closed the old publication's connection (its hangup), or after a bound.
        let mut republished = 0u32;
        let mut published = false;
        let mut unpublishing: Option<tokio::time::Instant> = None;
        let mut resume_waiting = false;
        let mut keepalive = tokio::time::interval(KEEPALIVE_EVERY);
        keepalive.tick().await;
        loop {
            // Publishing again is due by then, closed or not.
            let republish_by = unpublishing.filter(|_| resume_waiting);
            tokio::select! {
                _ = tokio::time::sleep_until(republish_by.unwrap_or_else(tokio::time::Instant::now)), if republish_by.is_some() => {
                    tracing::warn!("Janus did not close the last publication within {UNPUBLISH_WITHIN:?}; publishing anyway");
                    unpublishing = None;
                    resume_waiting = false;
                    session = self.publish_again(ids, &mut republished);
                }
                incoming = stream.next() => {
                    let text = match read_text(incoming) {
                        Ok(Some(text)) => text,
                        Ok(None) => continue,
                        Err(why) => return Ended::Lost(why),
                    };
                    match decode_janus(&text) {
                        Ok(JanusIncoming::Event { answer: Some(sdp), .. }) => {
                            self.events.send(SignallingEvent::RemoteSdp {
                                session: session.clone(),
                                kind: SdpKind::Answer,
                                sdp,
                            });
                        }
                        Ok(JanusIncoming::Event { error: Some((code, error)), .. }) => {
                            // A refused publish (say, no codec in common): the room stays
                            // joined, the share learns its viewer is gone.
                            self.events.send(SignallingEvent::Error(describe_refusal(
                                self.target,
                                code,
                                &error,
                            )));
                            self.events.send(SignallingEvent::SessionEnded { session: session.clone() });
                            self.session = None;
                            published = false;
                        }
                        Ok(JanusIncoming::Trickle { mline, candidate }) => {
                            self.events.send(SignallingEvent::RemoteIce {
                                session: session.clone(),
                                mline,
                                candidate,
                            });
                        }
                        // The answer to our own unpublish: nothing lost, and the way is
                        // clear to publish again.
                        Ok(JanusIncoming::Hangup { .. }) if unpublishing.is_some() => {
                            unpublishing = None;
                            if std::mem::take(&mut resume_waiting) {
                                session = self.publish_again(ids, &mut republished);
                            }
                        }
                        Ok(JanusIncoming::Hangup { .. }) if self.session.is_none() => {}
                        Ok(JanusIncoming::Hangup { reason }) => {
                            return Ended::Lost(format!("Janus hung up ({reason})"));
                        }
                        Ok(JanusIncoming::Timeout) => {
                            return Ended::Lost("the Janus session expired".into());
                        }
                        Ok(JanusIncoming::Error { code, reason, .. }) => {
                            return Ended::Lost(format!("Janus error {code}: {reason}"));
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!("malformed Janus message dropped ({e}): {:.200}", text);
                        }
                    }
                }
                msg = outgoing.recv() => {
                    let result = match msg {
                        Some(PublishRequest::Offer { session: s, sdp }) if s == session => {
                            // The first offer publishes; later ones (the kinds changed)
                            // renegotiate the same publisher.
                            let request = if published { "configure" } else { "publish" };
                            published = true;
                            self.send(&mut sink, ids, json!({
                                "janus": "message",
                                "body": { "request": request, "audio": true, "video": true },
                                "jsep": { "type": "offer", "sdp": sdp },
                            })).await
                        }
                        Some(PublishRequest::Candidate { session: s, mline, candidate }) if s == session => {
                            self.send(&mut sink, ids, json!({
                                "janus": "trickle",
                                "candidate": { "candidate": candidate, "sdpMLineIndex": mline },
                            })).await
                        }
                        Some(PublishRequest::Gathered { session: s }) if s == session => {
                            self.send(&mut sink, ids, json!({
                                "janus": "trickle",
                                "candidate": { "completed": true },
                            })).await
                        }
                        Some(PublishRequest::End { session: s, failed: true }) if s == session => {
                            // The media connection failed: join afresh after a pause, as
                            // after a lost connection.
                            self.session = None;
                            self.leave(&mut sink, ids).await;
                            return Ended::Lost("the media connection to Janus failed".into());
                        }
                        Some(PublishRequest::End { session: s, failed: false }) if s == session => {
                            // The video ended: stay in the room, unpublished, until it plays
                            // again.
                            self.session = None;
                            if std::mem::take(&mut published) {
                                unpublishing = Some(tokio::time::Instant::now() + UNPUBLISH_WITHIN);
                                self.send(&mut sink, ids, json!({
                                    "janus": "message",
                                    "body": { "request": "unpublish" },
                                })).await
                            } else {
                                Ok(())
                            }
                        }
                        Some(PublishRequest::Resume) if self.session.is_none() => {
                            if unpublishing.is_some() {
                                resume_waiting = true;
                            } else {
                                session = self.publish_again(ids, &mut republished);
                            }
                            Ok(())
                        }
                        Some(PublishRequest::Stop) | None => {
                            self.leave(&mut sink, ids).await;
                            return Ended::Stopped;
                        }
                        // For a session of an earlier connection.
                        Some(_) => Ok(()),
                    };
                    if let Err(why) = result {
                        return Ended::Lost(why);
                    }
                }
                _ = keepalive.tick() => {
                    if let Err(why) = self.send(&mut sink, ids, json!({ "janus": "keepalive" })).await {
                        return Ended::Lost(why);
                    }
                }
            }
        }
    }

    /// Asks the share for the session of the `count`th publication after the first.
    fn publish_again(&mut self, ids: Ids, count: &mut u32) -> String {
        *count += 1;
        let session = format!("janus-{}-{count}", ids.session);
        self.request_session(&session);
        session
    }

    /// Asks the share for a viewer to publish with.
    fn request_session(&mut self, session: &str) {
        self.session = Some(session.to_owned());
        self.events.send(SignallingEvent::SessionRequested {
            session: session.to_owned(),
            peer: "janus".into(),
            offer: None,
            ice_servers: Vec::new(),
        });
    }

    /// create → attach the videoroom plugin → join the room as a publisher.
    async fn join(&mut self, sink: &mut Sink, stream: &mut Stream) -> Result<Ids, Ended> {
        let created = self
            .request(sink, stream, json!({ "janus": "create" }))
            .await?;
        let session = success_id(created, "create")?;
        let attached = self
            .request(
                sink,
                stream,
                json!({ "janus": "attach", "session_id": session, "plugin": "janus.plugin.videoroom" }),
            )
            .await?;
        let handle = success_id(attached, "attach")?;
        let ids = Ids { session, handle };
        let mut body = json!({
            "request": "join",
            "ptype": "publisher",
            "room": self.target.room,
            "display": self.display,
        });
        if let Some(pin) = &self.target.pin {
            body["pin"] = json!(pin);
        }
        let joined = self
            .request_with(
                sink,
                stream,
                ids,
                json!({ "janus": "message", "body": body }),
            )
            .await?;
        match joined {
            JanusIncoming::Event {
                videoroom: Some(kind),
                publisher_id,
                ..
            } if kind == "joined" => {
                let peer_id = publisher_id.unwrap_or_default();
                tracing::info!(room = %self.target.room, %peer_id, "joined the Janus room");
                self.events
                    .send(SignallingEvent::State(SignallingState::Registered {
                        peer_id,
                    }));
                Ok(ids)
            }
            JanusIncoming::Event {
                error: Some((code, error)),
                ..
            } => Err(Ended::Refused(describe_refusal(self.target, code, &error))),
            other => Err(Ended::Lost(format!("unexpected answer to join: {other:?}"))),
        }
    }

    /// Sends `message` with a new transaction; returns Janus's reply to it (not the ack).
    async fn request(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        message: Value,
    ) -> Result<JanusIncoming, Ended> {
        let transaction = self.transaction();
        let mut message = message;
        message["transaction"] = json!(transaction);
        send_json(sink, &message).await.map_err(Ended::Lost)?;
        let deadline = tokio::time::Instant::now() + REPLY_WITHIN;
        loop {
            let incoming = match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(incoming) => incoming,
                Err(_) => {
                    return Err(Ended::Lost(format!(
                        "no answer from Janus within {} s",
                        REPLY_WITHIN.as_secs()
                    )))
                }
            };
            let text = match read_text(incoming) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(why) => return Err(Ended::Lost(why)),
            };
            let reply = match decode_janus(&text) {
                Ok(reply) => reply,
                Err(e) => {
                    tracing::warn!("malformed Janus message dropped ({e}): {:.200}", text);
                    continue;
                }
            };
            if reply.transaction() != Some(transaction.as_str()) {
                continue;
            }
            match reply {
                JanusIncoming::Ack { .. } => continue,
                JanusIncoming::Error { code, reason, .. } => {
                    return Err(core_error(code, &reason));
                }
                reply => return Ok(reply),
            }
        }
    }

    /// [`Publisher::request`] for our plugin handle.
    async fn request_with(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        ids: Ids,
        mut message: Value,
    ) -> Result<JanusIncoming, Ended> {
        message["session_id"] = json!(ids.session);
        message["handle_id"] = json!(ids.handle);
        self.request(sink, stream, message).await
    }

    /// Sends `message` for our plugin handle without waiting for its reply (events come in
    /// the main loop).
    async fn send(&mut self, sink: &mut Sink, ids: Ids, mut message: Value) -> Result<(), String> {
        message["transaction"] = json!(self.transaction());
        message["session_id"] = json!(ids.session);
        message["handle_id"] = json!(ids.handle);
        send_json(sink, &message).await
    }

    /// Leaves the room and ends the Janus session, as a polite publisher does.
    async fn leave(&mut self, sink: &mut Sink, ids: Ids) {
        let leave = json!({ "janus": "message", "body": { "request": "leave" } });
        let _ = self.send(sink, ids, leave).await;
        let destroy = json!({
            "janus": "destroy",
            "session_id": ids.session,
            "transaction": self.transaction(),
        });
        let _ = send_json(sink, &destroy).await;
        let _ = sink.send(Message::Close(None)).await;
    }

    fn transaction(&mut self) -> String {
        self.next_transaction += 1;
        format!("reelcast-{}", self.next_transaction)
    }
}

fn read_text(
    incoming: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Option<String>, String> {
    match incoming {
        Some(Ok(Message::Text(text))) => Ok(Some(text.as_str().to_owned())),
        Some(Ok(Message::Close(_))) | None => Err("closed by Janus".into()),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(e.to_string()),
    }
}

async fn send_json(sink: &mut Sink, message: &Value) -> Result<(), String> {
    sink.send(Message::Text(message.to_string().into()))
        .await
        .map_err(|e| e.to_string())
}

fn success_id(reply: JanusIncoming, what: &str) -> Result<u64, Ended> {
    match reply {
        JanusIncoming::Success { id: Some(id), .. } => Ok(id),
        other => Err(Ended::Lost(format!(
            "unexpected answer to {what}: {other:?}"
        ))),
    }
}

/// Janus's own errors (not the videoroom's): those a new try cannot mend are refusals.
fn core_error(code: i64, reason: &str) -> Ended {
    match code {
        // Unauthorized (an API secret or token is required), no such plugin.
        403 | 460 => Ended::Refused(format!("Janus refused: {reason} (error {code})")),
        _ => Ended::Lost(format!("Janus error {code}: {reason}")),
    }
}

/// The VideoRoom's refusals in plain words.
fn describe_refusal(target: &JanusTarget, code: i64, error: &str) -> String {
    let room = match &target.room {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match code {
        426 => format!("there is no room {room} on this Janus server"),
        433 if target.pin.is_some() => format!("wrong pin for room {room}"),
        // Unauthorized without a pin, or "Missing mandatory element (pin)".
        433 | 429 if target.pin.is_none() && (code == 433 || error.contains("pin")) => {
            format!("room {room} needs a pin: add &pin=… to the URL")
        }
        432 => format!("room {room} is full (no more publishers allowed)"),
        _ => format!("Janus refused: {error} (error {code})"),
    }
}

/// What one text frame from Janus means to a publisher.
#[derive(Debug, Clone, PartialEq)]
pub enum JanusIncoming {
    /// A request succeeded; `id` is the new session's or handle's.
    Success {
        transaction: Option<String>,
        id: Option<u64>,
    },
    /// Janus took an asynchronous request; its event follows.
    Ack {
        transaction: Option<String>,
    },
    /// A VideoRoom event: joined (with our publisher id), an answer, a refusal.
    Event {
        transaction: Option<String>,
        videoroom: Option<String>,
        publisher_id: Option<String>,
        error: Option<(i64, String)>,
        answer: Option<String>,
    },
    /// Janus's own error.
    Error {
        transaction: Option<String>,
        code: i64,
        reason: String,
    },
    Trickle {
        mline: u32,
        candidate: String,
    },
    /// The peer connection is gone (ICE or DTLS failed, or Janus closed it).
    Hangup {
        reason: String,
    },
    /// The Janus session expired.
    Timeout,
    /// Valid, nothing to act on (webrtcup, media, slowlink, …).
    Other,
}

impl JanusIncoming {
    fn transaction(&self) -> Option<&str> {
        match self {
            JanusIncoming::Success { transaction, .. }
            | JanusIncoming::Ack { transaction }
            | JanusIncoming::Event { transaction, .. }
            | JanusIncoming::Error { transaction, .. } => transaction.as_deref(),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Wire {
    janus: String,
    transaction: Option<String>,
    data: Option<WireData>,
    plugindata: Option<PluginData>,
    jsep: Option<Jsep>,
    error: Option<WireError>,
    reason: Option<String>,
    candidate: Option<WireCandidate>,
}

#[derive(Deserialize)]
struct WireData {
    id: Option<u64>,
}

#[derive(Deserialize)]
struct PluginData {
    data: Option<VideoroomData>,
}

#[derive(Deserialize)]
struct VideoroomData {
    videoroom: Option<String>,
    /// A number, or a string with `string_ids`.
    id: Option<Value>,
    error_code: Option<i64>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Jsep {
    #[serde(rename = "type")]
    kind: String,
    sdp: String,
}

#[derive(Deserialize)]
struct WireError {
    code: i64,
    reason: String,
}

#[derive(Deserialize)]
struct WireCandidate {
    candidate: Option<String>,
    #[serde(rename = "sdpMLineIndex")]
    sdp_m_line_index: Option<u32>,
}

/// Reads one text frame from Janus. Never panics: anything malformed is an `Err` to log and
/// drop.
pub fn decode_janus(text: &str) -> Result<JanusIncoming, String> {
    let wire: Wire = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let transaction = wire.transaction;
    Ok(match wire.janus.as_str() {
        "success" if wire.plugindata.is_none() => JanusIncoming::Success {
            transaction,
            id: wire.data.and_then(|d| d.id),
        },
        // A synchronous plugin reply comes as "success" with plugindata, like an event.
        "success" | "event" => {
            let data = wire.plugindata.and_then(|p| p.data);
            let answer = match wire.jsep {
                Some(jsep) if jsep.kind == "answer" => Some(jsep.sdp),
                Some(jsep) => {
                    tracing::warn!("Janus sent an SDP of type {:?}; dropped", jsep.kind);
                    None
                }
                None => None,
            };
            let (videoroom, publisher_id, error) = match data {
                Some(d) => (
                    d.videoroom,
                    d.id.map(|id| match id {
                        Value::String(s) => s,
                        other => other.to_string(),
                    }),
                    d.error_code.map(|code| (code, d.error.unwrap_or_default())),
                ),
                None => (None, None, None),
            };
            JanusIncoming::Event {
                transaction,
                videoroom,
                publisher_id,
                error,
                answer,
            }
        }
        "ack" => JanusIncoming::Ack { transaction },
        "error" => {
            let error = wire.error.ok_or("an error without its error object")?;
            JanusIncoming::Error {
                transaction,
                code: error.code,
                reason: error.reason,
            }
        }
        "trickle" => match wire.candidate {
            Some(WireCandidate {
                candidate: Some(candidate),
                sdp_m_line_index: Some(mline),
            }) => JanusIncoming::Trickle { mline, candidate },
            // End of candidates, or a candidate we cannot place.
            _ => JanusIncoming::Other,
        },
        "hangup" => JanusIncoming::Hangup {
            reason: wire.reason.unwrap_or_default(),
        },
        "timeout" => JanusIncoming::Timeout,
        _ => JanusIncoming::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janus_urls_name_the_room_pin_and_display() {
        let t =
            parse_janus_url("janus+ws://10.0.0.1:8188/?room=1234&pin=s%20t&display=Movie").unwrap();
        assert_eq!(t.websocket, "ws://10.0.0.1:8188/");
        assert_eq!(t.room, json!(1234));
        assert_eq!(t.pin.as_deref(), Some("s t"));
        assert_eq!(t.display.as_deref(), Some("Movie"));
        let t = parse_janus_url("janus+wss://sfu.example.org/janus?room=lobby").unwrap();
        assert_eq!(t.websocket, "wss://sfu.example.org/janus");
        assert_eq!(t.room, json!("lobby"));
        for bad in [
            "janus+ws://host:8188/",
            "janus+http://host/?room=1",
            "ws://host/?room=1",
            "janus+ws://host/?room=1&colour=red",
        ] {
            let e = parse_janus_url(bad).unwrap_err().to_string();
            assert!(e.starts_with(bad), "{e}");
        }
    }

    #[test]
    fn janus_replies_are_read() {
        assert_eq!(
            decode_janus(r#"{"janus":"success","transaction":"t1","data":{"id":42}}"#).unwrap(),
            JanusIncoming::Success {
                transaction: Some("t1".into()),
                id: Some(42)
            }
        );
        let joined = r#"{"janus":"event","session_id":1,"sender":2,"transaction":"t3",
            "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":77,"publishers":[]}}}"#;
        match decode_janus(joined).unwrap() {
            JanusIncoming::Event {
                videoroom,
                publisher_id,
                ..
            } => {
                assert_eq!(videoroom.as_deref(), Some("joined"));
                assert_eq!(publisher_id.as_deref(), Some("77"));
            }
            other => panic!("{other:?}"),
        }
        let refused = r#"{"janus":"event","transaction":"t3","plugindata":{"plugin":"janus.plugin.videoroom",
            "data":{"videoroom":"event","error_code":426,"error":"No such room (99)"}}}"#;
        assert!(matches!(
            decode_janus(refused).unwrap(),
            JanusIncoming::Event {
                error: Some((426, _)),
                ..
            }
        ));
        let answer = r#"{"janus":"event","plugindata":{"data":{"videoroom":"event","configured":"ok"}},
            "jsep":{"type":"answer","sdp":"v=0\r\n"}}"#;
        assert!(matches!(
            decode_janus(answer).unwrap(),
            JanusIncoming::Event {
                answer: Some(_),
                ..
            }
        ));
        assert_eq!(
            decode_janus(r#"{"janus":"hangup","reason":"ICE failed"}"#).unwrap(),
            JanusIncoming::Hangup {
                reason: "ICE failed".into()
            }
        );
        for bad in [
            "",
            "{}",
            "[1]",
            r#"{"janus":"error"}"#,
            r#"{"janus":"success","data":{"id":-1}}"#,
        ] {
            assert!(decode_janus(bad).is_err(), "{bad}");
        }
    }
}
