//! Viewers of the GStreamer signalling protocol, played by the test itself over a real server:
//! [`GstConsumer`] speaks the protocol (and sends whatever a hostile viewer would), and
//! [`Watcher`] puts a real WebRTC receiver (crates/testkit) behind a session.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reelcast_testkit::{Receiver, VideoHandling};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().unwrap())
}

/// One websocket to the server, as a consumer: JSON in, text out.
pub struct GstConsumer {
    outgoing: tokio::sync::mpsc::UnboundedSender<String>,
    pub incoming: flume::Receiver<Value>,
    pub peer_id: String,
}

impl GstConsumer {
    /// Connects and waits for the server's welcome.
    pub fn connect(url: &str) -> Self {
        let (outgoing, mut to_send) = tokio::sync::mpsc::unbounded_channel::<String>();
        let (received, incoming) = flume::unbounded();
        let (ws, _) = runtime()
            .block_on(tokio_tungstenite::connect_async(url))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let (mut sink, mut stream) = ws.split();
        runtime().spawn(async move {
            while let Some(text) = to_send.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
        });
        runtime().spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Text(text) = message {
                    if let Ok(v) = serde_json::from_str::<Value>(text.as_str()) {
                        let _ = received.send(v);
                    }
                }
            }
        });
        let peer_id = super::wait_for(&incoming, Duration::from_secs(10), "welcome", |v| {
            (v["type"] == "welcome").then(|| v["peerId"].as_str().unwrap().to_owned())
        });
        Self {
            outgoing,
            incoming,
            peer_id,
        }
    }

    pub fn send_text(&self, text: String) {
        let _ = self.outgoing.send(text);
    }

    pub fn send(&self, message: &Value) {
        self.send_text(message.to_string());
    }

    /// Asks `producer` for a session without waiting for it.
    pub fn ask_session(&self, producer: &str) {
        self.send(&json!({"type": "startSession", "peerId": producer}));
    }

    /// Asks `producer` for a session; its id.
    pub fn start_session(&self, producer: &str) -> String {
        self.ask_session(producer);
        super::wait_for(
            &self.incoming,
            Duration::from_secs(10),
            "sessionStarted",
            |v| {
                (v["type"] == "sessionStarted").then(|| v["sessionId"].as_str().unwrap().to_owned())
            },
        )
    }

    /// Waits for the producer's offer in `session`.
    pub fn wait_offer(&self, session: &str) -> String {
        super::wait_for(&self.incoming, Duration::from_secs(20), "the offer", |v| {
            (v["type"] == "peer" && v["sessionId"] == session && v["sdp"]["type"] == "offer")
                .then(|| v["sdp"]["sdp"].as_str().unwrap().to_owned())
        })
    }

    /// Sends an ICE candidate in `session`.
    pub fn send_candidate(&self, session: &str, candidate: &str) {
        self.send(&json!({
            "type": "peer", "sessionId": session,
            "ice": {"candidate": candidate, "sdpMLineIndex": 0},
        }));
    }
}

/// A viewer watching through its own session: a real receiver behind a consumer.
pub struct Watcher {
    pub consumer: Arc<GstConsumer>,
    pub session: String,
    pub receiver: Arc<Receiver>,
    /// The server ended the session.
    pub ended: Arc<AtomicBool>,
}

impl Watcher {
    /// Joins `producer` through the server at `url` and answers its offer.
    pub fn join(url: &str, producer: &str) -> Self {
        let consumer = Arc::new(GstConsumer::connect(url));
        let session = consumer.start_session(producer);
        let to_server = consumer.outgoing.clone();
        let id = session.clone();
        let receiver = Receiver::new(&session, VideoHandling::Depayload, None, move |mline, c| {
            let ice = json!({
                "type": "peer", "sessionId": id,
                "ice": {"candidate": c, "sdpMLineIndex": mline},
            });
            let _ = to_server.send(ice.to_string());
        })
        .unwrap();
        let ended = Arc::new(AtomicBool::new(false));
        {
            let (consumer, receiver, ended, session) = (
                consumer.clone(),
                receiver.clone(),
                ended.clone(),
                session.clone(),
            );
            std::thread::spawn(move || {
                for v in consumer.incoming.iter() {
                    if v["sessionId"] != session.as_str() {
                        continue;
                    }
                    if v["type"] == "endSession" {
                        ended.store(true, Ordering::SeqCst);
                    } else if v["sdp"]["type"] == "offer" {
                        let answer = receiver.answer(v["sdp"]["sdp"].as_str().unwrap()).unwrap();
                        consumer.send(&json!({
                            "type": "peer", "sessionId": session,
                            "sdp": {"type": "answer", "sdp": answer},
                        }));
                    } else if let Some(c) = v["ice"]["candidate"].as_str() {
                        let mline = v["ice"]["sdpMLineIndex"].as_u64().unwrap_or(0) as u32;
                        receiver.add_candidate(mline, c);
                    }
                }
            });
        }
        Self {
            consumer,
            session,
            receiver,
            ended,
        }
    }

    /// Waits until the receiver has `frames` frames in all, the session still on.
    pub fn wait_frames(&self, frames: u64, within: Duration) {
        let deadline = Instant::now() + within;
        let (_tx, rx) = flume::bounded::<()>(1);
        while self.receiver.frames() < frames {
            assert!(
                !self.ended.load(Ordering::SeqCst),
                "{}: the session ended",
                self.session
            );
            assert!(
                Instant::now() < deadline,
                "{}: {} frames of {frames} within {within:?}",
                self.session,
                self.receiver.frames()
            );
            // Frames arrive on streaming threads; poll the counter against the deadline.
            let _ = rx.recv_timeout(Duration::from_millis(20));
        }
        assert!(
            !self.ended.load(Ordering::SeqCst),
            "{}: the session ended",
            self.session
        );
    }
}
