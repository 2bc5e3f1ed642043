//! A producer's conversation with a GStreamer signalling server, without I/O: register when
//! welcomed, pass the server's messages on as events and the share's out as messages, and
//! name each session for the display name its viewer put in its status.

use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// How long the server may take to list us after our status went out, before the share is
/// said to be registered anyway (a server that does not tell a listener of its own status).
const LISTED_WITHIN: Duration = Duration::from_secs(2);

/// One connection to the server, registered under `name` once welcomed.
pub(crate) struct GstMachine {
    name: String,
    /// Display names of the peers that gave one, by peer id (cleaned by the wire).
    names: HashMap<String, String>,
    /// Each session's consumer, by session id.
    consumers: HashMap<String, String>,
    /// Our status went out under this peer id: registered once the server lists it (it tells
    /// every listener, us too) or by the deadline. Said before that, a viewer that came at
    /// once could ask for the list before the server had us in it.
    registering: Option<(String, Instant)>,
}

impl GstMachine {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            names: HashMap::new(),
            consumers: HashMap::new(),
            registering: None,
        }
    }

    /// The share can be found now: said once per connection.
    fn registered(&mut self) -> Vec<Action> {
        let Some((peer_id, _)) = self.registering.take() else {
            return Vec::new();
        };
        vec![Action::Emit(SignallingEvent::State(
            SignallingState::Registered { peer_id },
        ))]
    }

    fn start_session(
        &mut self,
        consumer: String,
        session: String,
        offer: Option<String>,
    ) -> Action {
        let name = self.names.get(&consumer).cloned();
        self.consumers.insert(session.clone(), consumer.clone());
        Action::Emit(SignallingEvent::SessionRequested {
            session,
            peer: Some(consumer),
            offer,
            ice_servers: Vec::new(),
            name,
        })
    }

    /// A peer's status: its sessions hear of a new name; a peer that left is forgotten.
    fn peer_status(&mut self, peer_id: String, name: Option<String>, left: bool) -> Vec<Action> {
        if left {
            self.names.remove(&peer_id);
            return Vec::new();
        }
        let before = match &name {
            Some(name) => self.names.insert(peer_id.clone(), name.clone()),
            None => self.names.remove(&peer_id),
        };
        if before == name {
            return Vec::new();
        }
        let mut sessions: Vec<&String> = self
            .consumers
            .iter()
            .filter(|(_, consumer)| **consumer == peer_id)
            .map(|(session, _)| session)
            .collect();
        sessions.sort();
        sessions
            .into_iter()
            .map(|session| {
                Action::Emit(SignallingEvent::ViewerNamed {
                    session: session.clone(),
                    name: name.clone(),
                })
            })
            .collect()
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

    fn on_text(&mut self, text: &str, now: Instant) -> Vec<Action> {
        match decode(text) {
            Ok(Incoming::Welcome { peer_id }) => {
                self.registering = Some((peer_id, now + LISTED_WITHIN));
                vec![send(&register(&self.name))]
            }
            Ok(Incoming::PeerStatus { peer_id, .. })
                if self
                    .registering
                    .as_ref()
                    .is_some_and(|(ours, _)| *ours == peer_id) =>
            {
                self.registered()
            }
            Ok(Incoming::StartSession {
                consumer,
                session,
                offer,
            }) => vec![self.start_session(consumer, session, offer)],
            Ok(Incoming::PeerStatus {
                peer_id,
                name,
                left,
            }) => self.peer_status(peer_id, name, left),
            Ok(Incoming::Event(event)) => {
                if let SignallingEvent::SessionEnded { session } = &event {
                    self.consumers.remove(session);
                }
                vec![Action::Emit(event)]
            }
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
            ProducerRequest::Send(message) => {
                if let ToServer::EndSession(end) = &message {
                    self.consumers.remove(&end.session_id);
                }
                vec![send(&message)]
            }
            ProducerRequest::Stop => vec![Action::Close, Action::End(Ended::Stopped)],
        }
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Action> {
        if self.registering.as_ref().is_some_and(|(_, by)| now >= *by) {
            return self.registered();
        }
        Vec::new()
    }

    fn on_lost(&mut self, why: String) -> Vec<Action> {
        vec![Action::End(Ended::Lost(format!("connection lost ({why})")))]
    }

    fn deadline(&self) -> Option<Instant> {
        self.registering.as_ref().map(|(_, by)| *by)
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
            [Action::Send(serde_json::json!({
                "type": "setPeerStatus", "roles": ["producer", "listener"],
                "meta": {"name": "Movie night"}
            }))]
        );
        // Registered once the server lists us (it tells us as a listener), not before.
        let listed = r#"{"type":"peerStatusChanged","peerId":"p7","roles":["producer","listener"],"meta":{"name":"Movie night"}}"#;
        assert_eq!(
            m.on_text(listed, now),
            [Action::Emit(SignallingEvent::State(
                SignallingState::Registered {
                    peer_id: "p7".into()
                }
            ))]
        );
        assert_eq!(m.deadline(), None);
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

    fn status(peer: &str, roles: &str, meta: &str) -> String {
        format!(r#"{{"type":"peerStatusChanged","peerId":"{peer}","roles":{roles},"meta":{meta}}}"#)
    }

    fn start(peer: &str, session: &str) -> String {
        format!(r#"{{"type":"startSession","peerId":"{peer}","sessionId":"{session}"}}"#)
    }

    fn named(session: &str, name: Option<&str>) -> Action {
        Action::Emit(SignallingEvent::ViewerNamed {
            session: session.into(),
            name: name.map(str::to_owned),
        })
    }

    #[test]
    fn a_session_carries_its_viewers_display_name_and_its_changes() {
        let now = Instant::now();
        let mut m = GstMachine::new("Movie night");
        m.on_text(r#"{"type":"welcome","peerId":"p"}"#, now);
        // The page says its name as it registers, before it asks for a session.
        let long = "x".repeat(300);
        let hostile = format!(r#"{{"name":"\u001b[2J{long}\u0007"}}"#);
        assert!(m
            .on_text(&status("ana", r#"["listener"]"#, r#"{"name":"Ana"}"#), now)
            .is_empty());
        assert!(m
            .on_text(&status("eve", r#"["listener"]"#, &hostile), now)
            .is_empty());
        let requested = |actions: Vec<Action>| match &actions[..] {
            [Action::Emit(SignallingEvent::SessionRequested { session, name, .. })] => {
                (session.clone(), name.clone())
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            requested(m.on_text(&start("ana", "s1"), now)),
            ("s1".into(), Some("Ana".into()))
        );
        let (_, eve) = requested(m.on_text(&start("eve", "s2"), now));
        let eve = eve.unwrap();
        assert_eq!(eve.chars().count(), crate::signalling::MAX_DISPLAY_NAME);
        assert!(!eve.chars().any(char::is_control), "{eve:?}");
        // No status, no name: the share calls it "Viewer N".
        assert_eq!(
            requested(m.on_text(&start("bob", "s3"), now)),
            ("s3".into(), None)
        );
        // A new name reaches the session; the same one again says nothing; none takes it back.
        let ana_lee = status("ana", r#"["listener"]"#, r#"{"name":"Ana Lee"}"#);
        assert_eq!(m.on_text(&ana_lee, now), [named("s1", Some("Ana Lee"))]);
        assert!(m.on_text(&ana_lee, now).is_empty());
        assert_eq!(
            m.on_text(&status("ana", r#"["listener"]"#, "{}"), now),
            [named("s1", None)]
        );
        // An ended session hears nothing more; a peer gone is forgotten.
        m.on_text(r#"{"type":"endSession","sessionId":"s1"}"#, now);
        assert!(m
            .on_text(&status("ana", r#"["listener"]"#, r#"{"name":"Ana"}"#), now)
            .is_empty());
        m.on_request(
            ProducerRequest::Send(crate::signalling::gst::wire::end_session("s3")),
            now,
        );
        assert!(m
            .on_text(&status("bob", r#"["listener"]"#, r#"{"name":"Bob"}"#), now)
            .is_empty());
        assert!(m.on_text(&status("eve", "[]", "null"), now).is_empty());
        assert_eq!(requested(m.on_text(&start("eve", "s4"), now)).1, None);
    }

    #[test]
    fn a_server_that_never_lists_us_still_has_us_registered_by_the_deadline() {
        let now = Instant::now();
        let mut m = GstMachine::new("Movie night");
        m.on_text(r#"{"type":"welcome","peerId":"p7"}"#, now);
        assert_eq!(m.deadline(), Some(now + LISTED_WITHIN));
        assert!(m.on_tick(now).is_empty());
        assert_eq!(
            m.on_tick(now + LISTED_WITHIN),
            [Action::Emit(SignallingEvent::State(
                SignallingState::Registered {
                    peer_id: "p7".into()
                }
            ))]
        );
        assert!(m.on_tick(now + LISTED_WITHIN * 2).is_empty(), "said once");
    }
}
