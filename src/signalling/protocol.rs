//! The GStreamer WebRTC signalling protocol (gst-plugins-rs' server and gstwebrtc-api):
//! JSON text frames with a `type` field and camelCase keys.

use serde::{Deserialize, Serialize};

/// What the server sends us.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    #[serde(rename_all = "camelCase")]
    Welcome {
        peer_id: String,
    },
    #[serde(rename_all = "camelCase")]
    StartSession {
        peer_id: String,
        session_id: String,
        #[serde(default)]
        offer: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    SessionStarted {
        peer_id: String,
        session_id: String,
    },
    Peer(PeerMessage),
    #[serde(rename_all = "camelCase")]
    EndSession {
        session_id: String,
    },
    Error {
        details: String,
    },
    /// Sent to listeners; a producer can ignore these.
    #[serde(rename_all = "camelCase")]
    PeerStatusChanged {
        peer_id: String,
        #[serde(default)]
        roles: Vec<String>,
    },
    List {
        #[serde(default)]
        producers: Vec<serde_json::Value>,
    },
}

/// What we send the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientMessage {
    SetPeerStatus {
        roles: Vec<String>,
        meta: serde_json::Value,
    },
    Peer(PeerMessage),
    #[serde(rename_all = "camelCase")]
    EndSession {
        session_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerMessage {
    pub session_id: String,
    #[serde(flatten)]
    pub body: PeerBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PeerBody {
    Sdp(Sdp),
    Ice(Ice),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sdp {
    #[serde(rename = "type")]
    pub kind: String,
    pub sdp: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ice {
    pub candidate: String,
    pub sdp_m_line_index: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_server_sends() {
        let m: ServerMessage = serde_json::from_str(r#"{"type":"welcome","peerId":"p1"}"#).unwrap();
        assert_eq!(
            m,
            ServerMessage::Welcome {
                peer_id: "p1".into()
            }
        );
        let m: ServerMessage = serde_json::from_str(
            r#"{"type":"startSession","peerId":"c","sessionId":"s","offer":null}"#,
        )
        .unwrap();
        assert!(matches!(m, ServerMessage::StartSession { offer: None, .. }));
        let m: ServerMessage = serde_json::from_str(
            r#"{"type":"peer","sessionId":"s","ice":{"candidate":"candidate:1","sdpMLineIndex":1}}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ServerMessage::Peer(PeerMessage {
                session_id: "s".into(),
                body: PeerBody::Ice(Ice {
                    candidate: "candidate:1".into(),
                    sdp_m_line_index: 1
                })
            })
        );
        let m: ServerMessage = serde_json::from_str(
            r#"{"type":"peer","sessionId":"s","sdp":{"type":"answer","sdp":"v=0"}}"#,
        )
        .unwrap();
        assert!(matches!(
            m,
            ServerMessage::Peer(PeerMessage {
                body: PeerBody::Sdp(_),
                ..
            })
        ));
    }

    #[test]
    fn writes_what_the_server_expects() {
        let m = ClientMessage::Peer(PeerMessage {
            session_id: "s".into(),
            body: PeerBody::Sdp(Sdp {
                kind: "offer".into(),
                sdp: "v=0".into(),
            }),
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"v=0"}}"#
        );
        let m = ClientMessage::SetPeerStatus {
            roles: vec!["producer".into()],
            meta: serde_json::json!({"name": "x"}),
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"setPeerStatus","roles":["producer"],"meta":{"name":"x"}}"#
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
        ] {
            assert!(serde_json::from_str::<ServerMessage>(bad).is_err(), "{bad}");
        }
    }
}
