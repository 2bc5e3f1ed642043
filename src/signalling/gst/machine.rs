//! A producer's conversation with a GStreamer signalling server, without I/O: register when
//! welcomed, pass the server's messages on as events and the share's out as messages.

use std::time::Instant;

use gst_plugin_webrtc_signalling_protocol::IncomingMessage as ToServer;

use super::wire::{decode, register, session_of, Incoming};
use crate::signalling::conversation::{Action, Conversation};
use crate::signalling::ended::{Ended, StopRequest};
use crate::signalling::events::{SignallingEvent, SignallingState};
use crate::signalling::signaller::MAX_MESSAGE_SIZE;

/// What the share asks of the producer's connection.
#[derive(Debug)]
pub(crate) enum ProducerRequest {
    Send(ToServer),
    Stop,
}

impl StopRequest for ProducerRequest {
    fn stop() -> Self {
        ProducerRequest::Stop
    }
    fn is_stop(&self) -> bool {
        matches!(self, ProducerRequest::Stop)
    }
}

/// One connection to the server, registered under `name` once welcomed.
pub(crate) struct GstMachine {
    name: String,
}

impl GstMachine {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

fn send(message: &ToServer) -> Action {
    Action::Send(serde_json::to_value(message).unwrap_or_default())
}

impl Conversation for GstMachine {
    type Request = ProducerRequest;

    fn start(&mut self, _now: Instant) -> Vec<Action> {
        Vec::new()
    }

    fn on_text(&mut self, text: &str, _now: Instant) -> Vec<Action> {
        match decode(text) {
            Ok(Incoming::Welcome { peer_id }) => vec![
                send(&register(&self.name)),
                Action::Emit(SignallingEvent::State(SignallingState::Registered {
                    peer_id,
                })),
            ],
            Ok(Incoming::Event(event)) => vec![Action::Emit(event)],
            Ok(Incoming::Ignored) => Vec::new(),
            Err(e) => {
                tracing::warn!("malformed signalling message dropped ({e}): {text:.200}");
                Vec::new()
            }
        }
    }

    /// Only a viewer's message can be this big (the server's own are small): its session
    /// ends, as that viewer's fault; the registration and every other session stay.
    fn on_oversized(&mut self, text: &str, _now: Instant) -> Vec<Action> {
        let Some(session) = session_of(text) else {
            tracing::warn!(
                bytes = text.len(),
                "signalling message over {MAX_MESSAGE_SIZE} bytes, of no session, dropped"
            );
            return Vec::new();
        };
        let reason = format!(
            "sent a signalling message of {} bytes (at most {MAX_MESSAGE_SIZE} are accepted)",
            text.len()
        );
        tracing::warn!(%session, "{reason}: its session ends");
        vec![Action::Emit(SignallingEvent::SessionMisbehaved {
            session,
            reason,
        })]
    }

    fn on_request(&mut self, request: ProducerRequest, _now: Instant) -> Vec<Action> {
        match request {
            ProducerRequest::Send(message) => vec![send(&message)],
            ProducerRequest::Stop => vec![Action::Close, Action::End(Ended::Stopped)],
        }
    }

    fn on_tick(&mut self, _now: Instant) -> Vec<Action> {
        Vec::new()
    }

    fn on_lost(&mut self, why: String) -> Vec<Action> {
        vec![Action::End(Ended::Lost(format!("connection lost ({why})")))]
    }

    fn deadline(&self) -> Option<Instant> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtc::SdpKind;
    use crate::signalling::gst::wire::sdp;

    #[test]
    fn registers_when_welcomed_and_relays_both_ways() {
        let now = Instant::now();
        let mut m = GstMachine::new("Movie night");
        assert!(m.start(now).is_empty());
        let actions = m.on_text(r#"{"type":"welcome","peerId":"p7"}"#, now);
        assert_eq!(
            actions,
            [
                Action::Send(serde_json::json!({
                    "type": "setPeerStatus", "roles": ["producer"], "meta": {"name": "Movie night"}
                })),
                Action::Emit(SignallingEvent::State(SignallingState::Registered {
                    peer_id: "p7".into()
                })),
            ]
        );
        assert!(m.on_text("garbage", now).is_empty(), "dropped, not fatal");
        let huge = format!(
            r#"{{"type":"peer","sessionId":"bad","ice":{{"candidate":"{}","sdpMLineIndex":0}}}}"#,
            "x".repeat(300 * 1024)
        );
        assert!(matches!(
            &m.on_oversized(&huge, now)[..],
            [Action::Emit(SignallingEvent::SessionMisbehaved { session, .. })] if session == "bad"
        ));
        assert!(m.on_oversized(&"y".repeat(300 * 1024), now).is_empty());
        assert_eq!(
            m.on_text(r#"{"type":"endSession","sessionId":"s"}"#, now),
            [Action::Emit(SignallingEvent::SessionEnded {
                session: "s".into()
            })]
        );
        let sent = m.on_request(ProducerRequest::Send(sdp("s", SdpKind::Offer, "v=0")), now);
        assert!(matches!(&sent[..], [Action::Send(v)] if v["sdp"]["type"] == "offer"));
        assert_eq!(
            m.on_request(ProducerRequest::Stop, now),
            [Action::Close, Action::End(Ended::Stopped)]
        );
        assert_eq!(
            m.on_lost("closed by the server".into()),
            [Action::End(Ended::Lost(
                "connection lost (closed by the server)".into()
            ))]
        );
    }
}
