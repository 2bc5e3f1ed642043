//! The GStreamer WebRTC signalling protocol (gst-plugins-rs' server and gstwebrtc-api), with
//! the upstream crate's types: what one frame from the server means to a producer, and the
//! messages a producer sends.

use gst_plugin_webrtc_signalling_protocol::{
    EndSessionMessage, IncomingMessage as ToServer, OutgoingMessage as FromServer, PeerMessage,
    PeerMessageInner, PeerRole, PeerStatus, SdpMessage,
};

use crate::rtc::SdpKind;
use crate::signalling::display_name::name_in_meta;
use crate::signalling::error::DecodeError;
use crate::signalling::events::SignallingEvent;

/// What one text frame from the server means to a producer.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The server's greeting: time to register.
    Welcome {
        peer_id: String,
    },
    /// A consumer wants a session: the machine adds its display name, if it gave one.
    StartSession {
        consumer: String,
        session: String,
        offer: Option<String>,
    },
    /// A peer's status, which a producer hears as a listener: its display name (cleaned),
    /// or that it left (no roles any more).
    PeerStatus {
        peer_id: String,
        name: Option<String>,
        left: bool,
    },
    Event(SignallingEvent),
    /// Valid, but nothing for a producer (a list of producers or consumers).
    Ignored,
}

/// Reads one text frame. Never panics: anything malformed (an SDP of a type other than offer
/// or answer included) is an `Err` to log and drop.
pub fn decode(text: &str) -> Result<Incoming, DecodeError> {
    let message = serde_json::from_str::<FromServer>(text)?;
    Ok(match message {
        FromServer::Welcome { peer_id } => Incoming::Welcome { peer_id },
        FromServer::StartSession {
            peer_id,
            session_id,
            offer,
        } => Incoming::StartSession {
            consumer: peer_id,
            session: session_id,
            offer,
        },
        FromServer::PeerStatusChanged(PeerStatus {
            roles,
            meta,
            peer_id: Some(peer_id),
        }) => Incoming::PeerStatus {
            peer_id,
            name: name_in_meta(meta.as_ref()),
            left: roles.is_empty(),
        },
        other => to_event(other).map_or(Incoming::Ignored, Incoming::Event),
    })
}

/// Whose session an oversized frame is about, read without keeping any of the rest.
pub(crate) fn session_of(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Whose {
        #[serde(rename = "sessionId")]
        session_id: Option<String>,
    }
    serde_json::from_str::<Whose>(text).ok()?.session_id
}

fn to_event(message: FromServer) -> Option<SignallingEvent> {
    Some(match message {
        FromServer::Peer(PeerMessage {
            session_id,
            peer_message,
        }) => match peer_message {
            PeerMessageInner::Sdp(sdp) => {
                let (kind, sdp) = match sdp {
                    SdpMessage::Offer { sdp } => (SdpKind::Offer, sdp),
                    SdpMessage::Answer { sdp } => (SdpKind::Answer, sdp),
                };
                SignallingEvent::RemoteSdp {
                    session: session_id,
                    kind,
                    sdp,
                }
            }
            PeerMessageInner::Ice {
                candidate,
                sdp_m_line_index,
            } => SignallingEvent::RemoteIce {
                session: session_id,
                mline: sdp_m_line_index,
                candidate,
            },
        },
        FromServer::EndSession(EndSessionMessage { session_id }) => SignallingEvent::SessionEnded {
            session: session_id,
        },
        FromServer::Error { details } => {
            SignallingEvent::Error(format!("the signalling server says: {details}"))
        }
        FromServer::Welcome { .. }
        | FromServer::StartSession { .. }
        | FromServer::SessionStarted { .. }
        | FromServer::PeerStatusChanged(_)
        | FromServer::List { .. }
        | FromServer::ListConsumers { .. } => return None,
    })
}

/// Registers as a producer under the name viewers see, and as a listener: the server then
/// tells it every peer's status, where viewers put their display names. (Both roles are
/// allowed by the upstream server; only producer and consumer together are refused.)
pub(crate) fn register(name: &str) -> ToServer {
    ToServer::SetPeerStatus(PeerStatus {
        roles: vec![PeerRole::Producer, PeerRole::Listener],
        meta: Some(serde_json::json!({ "name": name })),
        peer_id: None,
    })
}

pub(crate) fn sdp(session: &str, kind: SdpKind, sdp: &str) -> ToServer {
    let sdp = sdp.to_owned();
    let sdp = match kind {
        SdpKind::Offer => SdpMessage::Offer { sdp },
        SdpKind::Answer => SdpMessage::Answer { sdp },
    };
    peer(session, PeerMessageInner::Sdp(sdp))
}

pub(crate) fn ice(session: &str, mline: u32, candidate: &str) -> ToServer {
    let ice = PeerMessageInner::Ice {
        candidate: candidate.to_owned(),
        sdp_m_line_index: mline,
    };
    peer(session, ice)
}

pub(crate) fn end_session(session: &str) -> ToServer {
    ToServer::EndSession(EndSessionMessage {
        session_id: session.to_owned(),
    })
}

fn peer(session: &str, peer_message: PeerMessageInner) -> ToServer {
    ToServer::Peer(PeerMessage {
        session_id: session.to_owned(),
        peer_message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_server_sends() {
        assert_eq!(
            decode(r#"{"type":"welcome","peerId":"p1"}"#).unwrap(),
            Incoming::Welcome {
                peer_id: "p1".into()
            }
        );
        // Without an offer (gstwebrtc-api leaves it out).
        assert_eq!(
            decode(r#"{"type":"startSession","peerId":"c","sessionId":"s"}"#).unwrap(),
            Incoming::StartSession {
                consumer: "c".into(),
                session: "s".into(),
                offer: None,
            }
        );
        assert_eq!(
            decode(r#"{"type":"peerStatusChanged","peerId":"c","roles":["listener"],"meta":{"name":"Ana\u001b[2J"}}"#)
                .unwrap(),
            Incoming::PeerStatus {
                peer_id: "c".into(),
                name: Some("Ana [2J".into()),
                left: false,
            }
        );
        assert_eq!(
            decode(r#"{"type":"peerStatusChanged","peerId":"c","roles":[],"meta":null}"#).unwrap(),
            Incoming::PeerStatus {
                peer_id: "c".into(),
                name: None,
                left: true,
            }
        );
        assert_eq!(
            decode(r#"{"type":"peer","sessionId":"s","ice":{"candidate":"candidate:1","sdpMLineIndex":1}}"#)
                .unwrap(),
            Incoming::Event(SignallingEvent::RemoteIce {
                session: "s".into(),
                mline: 1,
                candidate: "candidate:1".into()
            })
        );
        assert!(matches!(
            decode(r#"{"type":"peer","sessionId":"s","sdp":{"type":"answer","sdp":"v=0"}}"#),
            Ok(Incoming::Event(SignallingEvent::RemoteSdp {
                kind: SdpKind::Answer,
                ..
            }))
        ));
        assert_eq!(
            decode(r#"{"type":"list","producers":[{"id":"p","meta":{"name":"x"}}]}"#).unwrap(),
            Incoming::Ignored
        );
    }

    #[test]
    fn writes_what_the_server_expects() {
        let text = |m: ToServer| serde_json::to_string(&m).unwrap();
        assert_eq!(
            text(sdp("s", SdpKind::Offer, "v=0")),
            r#"{"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"v=0"}}"#
        );
        assert_eq!(
            text(register("x")),
            r#"{"type":"setPeerStatus","roles":["producer","listener"],"meta":{"name":"x"}}"#
        );
        assert_eq!(
            text(ice("s", 1, "candidate:1")),
            r#"{"type":"peer","sessionId":"s","ice":{"candidate":"candidate:1","sdpMLineIndex":1}}"#
        );
        assert_eq!(
            text(end_session("s")),
            r#"{"type":"endSession","sessionId":"s"}"#
        );
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            r#"{"type":"nope"}"#,
            r#"{"type":"peer"}"#,
            r#"{"type":"welcome"}"#,
            r#"{"type":"peer","sessionId":"s","sdp":{"type":"pranswer","sdp":"v=0"}}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
