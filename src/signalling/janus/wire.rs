//! Janus's JSON API as serde types: the replies and events it sends (read into
//! [`JanusIncoming`], what they mean to a publisher) and the requests we send.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::signalling::error::DecodeError;

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
    /// We are in the room, as the publisher with this id.
    Joined {
        transaction: Option<String>,
        publisher_id: String,
    },
    /// The VideoRoom said no (no such room, wrong pin, no codec in common).
    Refused {
        transaction: Option<String>,
        code: i64,
        error: String,
    },
    /// The answer to our offer.
    Answer {
        transaction: Option<String>,
        sdp: String,
    },
    /// Another VideoRoom event (configured, unpublished, other publishers).
    Event {
        transaction: Option<String>,
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
    /// Valid, nothing to act on (webrtcup, media, slowlink, end of candidates, …).
    Other,
}

impl JanusIncoming {
    /// The transaction a reply answers.
    pub(crate) fn transaction(&self) -> Option<&str> {
        match self {
            JanusIncoming::Success { transaction, .. }
            | JanusIncoming::Ack { transaction }
            | JanusIncoming::Joined { transaction, .. }
            | JanusIncoming::Refused { transaction, .. }
            | JanusIncoming::Answer { transaction, .. }
            | JanusIncoming::Event { transaction }
            | JanusIncoming::Error { transaction, .. } => transaction.as_deref(),
            _ => None,
        }
    }
}

/// A frame from Janus, by its `janus` field.
#[derive(Deserialize)]
#[serde(tag = "janus", rename_all = "lowercase")]
enum Reply {
    /// A synchronous plugin reply comes as "success" with plugindata, like an event.
    Success {
        transaction: Option<String>,
        data: Option<Created>,
        plugindata: Option<PluginData>,
        jsep: Option<Jsep>,
    },
    Event {
        transaction: Option<String>,
        plugindata: Option<PluginData>,
        jsep: Option<Jsep>,
    },
    Ack {
        transaction: Option<String>,
    },
    Error {
        transaction: Option<String>,
        error: CoreError,
    },
    Trickle {
        candidate: Option<RemoteCandidate>,
    },
    Hangup {
        reason: Option<String>,
    },
    Timeout,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Created {
    id: Option<u64>,
}

#[derive(Deserialize)]
struct PluginData {
    data: Option<VideoRoom>,
}

/// The VideoRoom plugin's data, by its `videoroom` field.
#[derive(Deserialize)]
#[serde(tag = "videoroom", rename_all = "lowercase")]
enum VideoRoom {
    Joined {
        /// A number, or a string with `string_ids`.
        id: Option<Value>,
    },
    Event {
        error_code: Option<i64>,
        error: Option<String>,
    },
    #[serde(other)]
    Other,
}

#[derive(Serialize, Deserialize)]
struct Jsep {
    #[serde(rename = "type")]
    kind: String,
    sdp: String,
}

#[derive(Deserialize)]
struct CoreError {
    code: i64,
    reason: String,
}

#[derive(Deserialize)]
struct RemoteCandidate {
    candidate: Option<String>,
    #[serde(rename = "sdpMLineIndex")]
    sdp_m_line_index: Option<u32>,
}

/// Reads one text frame from Janus. Never panics: anything malformed is an `Err` to log and
/// drop.
pub fn decode_janus(text: &str) -> Result<JanusIncoming, DecodeError> {
    Ok(match serde_json::from_str::<Reply>(text)? {
        Reply::Success {
            transaction,
            data,
            plugindata: None,
            ..
        } => JanusIncoming::Success {
            transaction,
            id: data.and_then(|d| d.id),
        },
        Reply::Success {
            transaction,
            plugindata,
            jsep,
            ..
        }
        | Reply::Event {
            transaction,
            plugindata,
            jsep,
        } => plugin_event(transaction, plugindata.and_then(|p| p.data), jsep),
        Reply::Ack { transaction } => JanusIncoming::Ack { transaction },
        Reply::Error { transaction, error } => JanusIncoming::Error {
            transaction,
            code: error.code,
            reason: error.reason,
        },
        Reply::Trickle {
            candidate:
                Some(RemoteCandidate {
                    candidate: Some(candidate),
                    sdp_m_line_index: Some(mline),
                }),
        } => JanusIncoming::Trickle { mline, candidate },
        // End of candidates, or a candidate we cannot place.
        Reply::Trickle { .. } | Reply::Other => JanusIncoming::Other,
        Reply::Hangup { reason } => JanusIncoming::Hangup {
            reason: reason.unwrap_or_default(),
        },
        Reply::Timeout => JanusIncoming::Timeout,
    })
}

fn plugin_event(
    transaction: Option<String>,
    data: Option<VideoRoom>,
    jsep: Option<Jsep>,
) -> JanusIncoming {
    match jsep {
        Some(jsep) if jsep.kind == "answer" => {
            return JanusIncoming::Answer {
                transaction,
                sdp: jsep.sdp,
            }
        }
        Some(jsep) => tracing::warn!("Janus sent an SDP of type {:?}; dropped", jsep.kind),
        None => {}
    }
    match data {
        Some(VideoRoom::Joined { id }) => JanusIncoming::Joined {
            transaction,
            publisher_id: match id {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            },
        },
        Some(VideoRoom::Event {
            error_code: Some(code),
            error,
        }) => JanusIncoming::Refused {
            transaction,
            code,
            error: error.unwrap_or_default(),
        },
        _ => JanusIncoming::Event { transaction },
    }
}

/// A request to Janus, by its `janus` field.
#[derive(Debug, Serialize)]
#[serde(tag = "janus", rename_all = "lowercase")]
pub(crate) enum JanusRequest {
    Create,
    Attach {
        plugin: &'static str,
    },
    Message {
        body: VideoRoomRequest,
        #[serde(skip_serializing_if = "Option::is_none")]
        jsep: Option<Value>,
    },
    Trickle {
        candidate: Value,
    },
    Keepalive,
    Destroy,
}

/// A request to the VideoRoom plugin, by its `request` field.
#[derive(Debug, Serialize)]
#[serde(tag = "request", rename_all = "lowercase")]
pub(crate) enum VideoRoomRequest {
    Join {
        ptype: &'static str,
        room: Value,
        display: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pin: Option<String>,
    },
    Publish {
        audio: bool,
        video: bool,
    },
    Configure {
        audio: bool,
        video: bool,
    },
    Unpublish,
    Leave,
}

impl JanusRequest {
    /// An offer to publish or to renegotiate.
    pub(crate) fn offer(body: VideoRoomRequest, sdp: String) -> Self {
        let jsep = Jsep {
            kind: "offer".into(),
            sdp,
        };
        JanusRequest::Message {
            body,
            jsep: serde_json::to_value(jsep).ok(),
        }
    }

    pub(crate) fn candidate(mline: u32, candidate: String) -> Self {
        JanusRequest::Trickle {
            candidate: json!({ "candidate": candidate, "sdpMLineIndex": mline }),
        }
    }

    pub(crate) fn end_of_candidates() -> Self {
        JanusRequest::Trickle {
            candidate: json!({ "completed": true }),
        }
    }

    /// The message as sent: with its transaction, and our session and handle once we have
    /// them.
    pub(crate) fn encode(
        &self,
        transaction: &str,
        session: Option<u64>,
        handle: Option<u64>,
    ) -> Value {
        let mut message = serde_json::to_value(self).unwrap_or_default();
        message["transaction"] = json!(transaction);
        if let Some(session) = session {
            message["session_id"] = json!(session);
        }
        if let Some(handle) = handle {
            message["handle_id"] = json!(handle);
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            decode_janus(joined).unwrap(),
            JanusIncoming::Joined {
                transaction: Some("t3".into()),
                publisher_id: "77".into()
            }
        );
        let refused = r#"{"janus":"event","transaction":"t3","plugindata":{"plugin":"janus.plugin.videoroom",
            "data":{"videoroom":"event","error_code":426,"error":"No such room (99)"}}}"#;
        assert!(matches!(
            decode_janus(refused).unwrap(),
            JanusIncoming::Refused { code: 426, .. }
        ));
        let answer = r#"{"janus":"event","plugindata":{"data":{"videoroom":"event","configured":"ok"}},
            "jsep":{"type":"answer","sdp":"v=0\r\n"}}"#;
        assert!(matches!(
            decode_janus(answer).unwrap(),
            JanusIncoming::Answer { sdp, .. } if sdp == "v=0\r\n"
        ));
        let talking = r#"{"janus":"event","plugindata":{"data":{"videoroom":"talking","id":3}}}"#;
        assert!(matches!(
            decode_janus(talking).unwrap(),
            JanusIncoming::Event { .. }
        ));
        assert_eq!(
            decode_janus(r#"{"janus":"hangup","reason":"ICE failed"}"#).unwrap(),
            JanusIncoming::Hangup {
                reason: "ICE failed".into()
            }
        );
        assert_eq!(
            decode_janus(r#"{"janus":"trickle","candidate":{"completed":true}}"#).unwrap(),
            JanusIncoming::Other
        );
        assert_eq!(
            decode_janus(r#"{"janus":"webrtcup","session_id":1}"#).unwrap(),
            JanusIncoming::Other
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

    #[test]
    fn requests_are_written_as_janus_expects() {
        let join = JanusRequest::Message {
            body: VideoRoomRequest::Join {
                ptype: "publisher",
                room: json!(1234),
                display: "Movie".into(),
                pin: Some("s".into()),
            },
            jsep: None,
        };
        assert_eq!(
            join.encode("t1", Some(5), Some(6)),
            json!({"janus": "message", "transaction": "t1", "session_id": 5, "handle_id": 6,
                   "body": {"request": "join", "ptype": "publisher", "room": 1234,
                            "display": "Movie", "pin": "s"}})
        );
        let offer = JanusRequest::offer(
            VideoRoomRequest::Publish {
                audio: true,
                video: true,
            },
            "v=0".into(),
        );
        assert_eq!(
            offer.encode("t2", Some(5), Some(6))["jsep"],
            json!({"type": "offer", "sdp": "v=0"})
        );
        assert_eq!(
            JanusRequest::Create.encode("t0", None, None),
            json!({"janus": "create", "transaction": "t0"})
        );
    }
}
