//! Reports of what the player does, as text lines for people or JSON lines for scripts.

use std::time::Duration;

use serde_json::json;

use crate::media::PlayerEvent;

/// One JSON object for an event, with an `event` field naming it.
pub fn event_json(event: &PlayerEvent) -> serde_json::Value {
    match event {
        PlayerEvent::StateChanged(state) => json!({"event": "state", "state": state}),
        PlayerEvent::StreamsKnown(streams) => json!({"event": "streams", "streams": streams}),
        PlayerEvent::DurationChanged(d) => {
            json!({"event": "duration", "seconds": d.map(|d| d.as_secs_f64())})
        }
        PlayerEvent::Buffering(percent) => json!({"event": "buffering", "percent": percent}),
        PlayerEvent::SeekDone(position) => {
            json!({"event": "seeked", "position": position.as_secs_f64()})
        }
        PlayerEvent::EndOfStream => json!({"event": "end-of-stream"}),
        PlayerEvent::Looped => json!({"event": "looped"}),
        PlayerEvent::Advanced { index, location } => {
            json!({"event": "next", "index": index, "location": location})
        }
        PlayerEvent::SpeedChanged(speed) => json!({"event": "speed", "speed": speed}),
        PlayerEvent::AudioSelected(index) => json!({"event": "audio-selected", "index": index}),
        PlayerEvent::Subtitles(state) => json!({
            "event": "subtitles",
            "tracks": state.tracks,
            "shown": state.shown,
        }),
        PlayerEvent::SubtitlesFailed(e) => {
            json!({"event": "subtitles-failed", "message": e.to_string()})
        }
        PlayerEvent::Error(e) => json!({"event": "error", "message": e.to_string()}),
        PlayerEvent::NothingToPlay => json!({"event": "nothing-to-play"}),
    }
}

pub fn progress_json(position: Option<Duration>, duration: Option<Duration>) -> serde_json::Value {
    json!({
        "event": "progress",
        "position": position.map(|d| d.as_secs_f64()),
        "duration": duration.map(|d| d.as_secs_f64()),
    })
}

/// "1:05" or "1:02:03".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Duration::from_secs(65)), "1:05");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(clock(Duration::ZERO), "0:00");
    }

    #[test]
    fn events_name_themselves() {
        let v = event_json(&PlayerEvent::EndOfStream);
        assert_eq!(v["event"], "end-of-stream");
    }
}
