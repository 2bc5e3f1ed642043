//! Where to publish in Janus: the `janus+ws(s)://HOST[:PORT][/PATH]?room=ROOM[&pin=PIN]
//! [&display=NAME]` URL read into a [`JanusTarget`].

use serde_json::Value;

use crate::signalling::error::SignallingError;
use crate::signalling::secret::{Secret, ShownUrl};

/// Where a room's pin is read from, so that it need not be in the URL (and the command line).
pub const JANUS_PIN_VARIABLE: &str = "REELCAST_JANUS_PIN";

/// Where to publish, read from a `janus+ws(s)://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct JanusTarget {
    /// The websocket URL itself (`ws://` or `wss://`, without the room parameters).
    pub websocket: String,
    /// A number, or a string for servers with `string_ids`.
    pub room: Value,
    /// From the URL, or given apart (`JanusOptions::pin`), which wins.
    pub pin: Option<Secret>,
    pub display: Option<String>,
}

/// Whether `url` names a Janus server (`janus+ws://`, `janus+wss://`).
pub fn is_janus_url(url: &str) -> bool {
    url.starts_with("janus+ws://") || url.starts_with("janus+wss://")
}

/// Reads a `janus+ws(s)://HOST[:PORT][/PATH]?room=ROOM[&pin=PIN][&display=NAME]` URL.
pub fn parse_janus_url(url: &str) -> Result<JanusTarget, SignallingError> {
    let bad = |cause: &str| SignallingError::BadUrl {
        url: ShownUrl::new(url),
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
            "pin" => pin = Some(Secret::new(value.into_owned())),
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

impl JanusTarget {
    /// The room as people write it.
    pub(crate) fn room_name(&self) -> String {
        match &self.room {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn janus_urls_name_the_room_pin_and_display() {
        let t =
            parse_janus_url("janus+ws://10.0.0.1:8188/?room=1234&pin=s%20t&display=Movie").unwrap();
        assert_eq!(t.websocket, "ws://10.0.0.1:8188/");
        assert_eq!(t.room, json!(1234));
        assert_eq!(t.pin.as_ref().map(Secret::expose), Some("s t"));
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
        let e = parse_janus_url("janus+ws://host/?room=1&pin=s3cret&x=1")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret") && e.contains("pin=***"), "{e}");
    }
}
