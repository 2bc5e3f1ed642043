//! `--json`: one typed line for every event a script reads, from the player, the share or the
//! run itself, and its one encoding.

use serde::Serialize;

use crate::media::{PlaybackState, PlayerEvent, StreamInfo, SubtitleTrack};
use crate::sharing::SharingEvent;

/// One line of `--json`, named by its `event` field. Times are in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum JsonLine<'a> {
    State {
        state: PlaybackState,
    },
    Streams {
        streams: &'a [StreamInfo],
    },
    Duration {
        seconds: Option<f64>,
    },
    Buffering {
        percent: u8,
    },
    Seeked {
        position: f64,
    },
    EndOfStream,
    Looped,
    /// The queue moved on to its source `index`.
    Next {
        index: usize,
        location: &'a str,
    },
    Speed {
        speed: f64,
    },
    AudioSelected {
        index: usize,
    },
    Subtitles {
        tracks: &'a [SubtitleTrack],
        shown: Option<usize>,
    },
    SubtitlesFailed {
        message: String,
    },
    /// The player's, or the run's own (a bad argument, a share that cannot start).
    Error {
        message: String,
    },
    NothingToPlay,
    /// `play --headless`, once a second while playing.
    Progress {
        position: Option<f64>,
        duration: Option<f64>,
    },
    /// A signal stopped `play --headless`.
    Stopped {
        reason: &'a str,
    },
    /// `reelcast share` is over; with no reason, the file ended.
    ShareEnded {
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    /// The share's events are already serde's, tagged by `event` the same way.
    #[serde(untagged)]
    Sharing(&'a SharingEvent),
}

impl<'a> From<&'a PlayerEvent> for JsonLine<'a> {
    fn from(event: &'a PlayerEvent) -> Self {
        match event {
            PlayerEvent::StateChanged(state) => JsonLine::State { state: *state },
            PlayerEvent::StreamsKnown(streams) => JsonLine::Streams { streams },
            PlayerEvent::DurationChanged(d) => JsonLine::Duration {
                seconds: d.map(|d| d.as_secs_f64()),
            },
            PlayerEvent::Buffering(percent) => JsonLine::Buffering { percent: *percent },
            PlayerEvent::SeekDone(position) => JsonLine::Seeked {
                position: position.as_secs_f64(),
            },
            PlayerEvent::EndOfStream => JsonLine::EndOfStream,
            PlayerEvent::Looped => JsonLine::Looped,
            PlayerEvent::Advanced { index, location } => JsonLine::Next {
                index: *index,
                location,
            },
            PlayerEvent::SpeedChanged(speed) => JsonLine::Speed { speed: *speed },
            PlayerEvent::AudioSelected(index) => JsonLine::AudioSelected { index: *index },
            PlayerEvent::Subtitles(state) => JsonLine::Subtitles {
                tracks: &state.tracks,
                shown: state.shown,
            },
            PlayerEvent::SubtitlesFailed(e) => JsonLine::SubtitlesFailed {
                message: e.to_string(),
            },
            PlayerEvent::Error(e) => JsonLine::Error {
                message: e.to_string(),
            },
            PlayerEvent::NothingToPlay => JsonLine::NothingToPlay,
        }
    }
}

impl<'a> From<&'a SharingEvent> for JsonLine<'a> {
    fn from(event: &'a SharingEvent) -> Self {
        JsonLine::Sharing(event)
    }
}

impl JsonLine<'_> {
    /// The kind of a line that tells a state, which only its change makes news; `None` for
    /// the rest. `next`, `looped`, `seeked`, `progress` and `stats` mark something that
    /// happened again (or a moment that passed), so a line equal to the last is still news;
    /// `speed` and `audio-selected` answer a request, which a script waits for.
    pub fn state_kind(&self) -> Option<&'static str> {
        Some(match self {
            JsonLine::State { .. } => "state",
            JsonLine::Streams { .. } => "streams",
            JsonLine::Duration { .. } => "duration",
            JsonLine::Buffering { .. } => "buffering",
            JsonLine::Subtitles { .. } => "subtitles",
            JsonLine::Sharing(SharingEvent::ViewerState { .. }) => "viewer-state",
            _ => return None,
        })
    }

    /// A new source begins: its state, streams and duration are its own news, even when they
    /// equal the last source's.
    pub fn starts_source(&self) -> bool {
        matches!(self, JsonLine::Next { .. })
    }

    /// The line's text: one JSON object, `event` first, no newline.
    pub fn encode(&self) -> String {
        // Only string keys and plain values: serde_json cannot fail on them (a float that is
        // not finite becomes null).
        serde_json::to_string(self).expect("a JSON line always encodes")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::media::MediaKind;
    use crate::rtc::ConnectionState;

    fn encoded(event: &PlayerEvent) -> String {
        JsonLine::from(event).encode()
    }

    #[test]
    fn player_events_encode_as_scripts_read_them() {
        assert_eq!(
            encoded(&PlayerEvent::StateChanged(PlaybackState::Playing)),
            r#"{"event":"state","state":"playing"}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::DurationChanged(Some(Duration::from_millis(
                2500
            )))),
            r#"{"event":"duration","seconds":2.5}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::DurationChanged(None)),
            r#"{"event":"duration","seconds":null}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::Buffering(42)),
            r#"{"event":"buffering","percent":42}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::EndOfStream),
            r#"{"event":"end-of-stream"}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::Advanced {
                index: 1,
                location: "/v/b.webm".into()
            }),
            r#"{"event":"next","index":1,"location":"/v/b.webm"}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::SpeedChanged(2.0)),
            r#"{"event":"speed","speed":2.0}"#
        );
        assert_eq!(
            encoded(&PlayerEvent::AudioSelected(1)),
            r#"{"event":"audio-selected","index":1}"#
        );
        let streams = PlayerEvent::StreamsKnown(vec![StreamInfo {
            kind: MediaKind::Audio,
            codec: Some("Opus".into()),
            language: None,
            size: None,
            frame_rate: None,
            rate: Some(48000),
            channels: Some(2),
        }]);
        assert_eq!(
            encoded(&streams),
            r#"{"event":"streams","streams":[{"kind":"audio","codec":"Opus","language":null,"size":null,"frame_rate":null,"rate":48000,"channels":2}]}"#
        );
    }

    #[test]
    fn the_run_and_the_share_encode_as_scripts_read_them() {
        let progress = JsonLine::Progress {
            position: Some(1.5),
            duration: None,
        };
        assert_eq!(
            progress.encode(),
            r#"{"event":"progress","position":1.5,"duration":null}"#
        );
        let ended = JsonLine::ShareEnded { reason: None };
        assert_eq!(ended.encode(), r#"{"event":"share-ended"}"#);
        let interrupted = JsonLine::ShareEnded {
            reason: Some("interrupted"),
        };
        assert_eq!(
            interrupted.encode(),
            r#"{"event":"share-ended","reason":"interrupted"}"#
        );
        let stopped = JsonLine::Stopped { reason: "hung-up" };
        assert_eq!(
            stopped.encode(),
            r#"{"event":"stopped","reason":"hung-up"}"#
        );
        let error = JsonLine::Error {
            message: "no \"such\" file".into(),
        };
        assert_eq!(
            error.encode(),
            r#"{"event":"error","message":"no \"such\" file"}"#
        );
        let joined = SharingEvent::ViewerJoined {
            viewer: "v1".into(),
            name: None,
        };
        assert_eq!(
            JsonLine::from(&joined).encode(),
            r#"{"event":"viewer-joined","viewer":"v1"}"#
        );
        let state = SharingEvent::ViewerState {
            viewer: "v1".into(),
            state: ConnectionState::Connected,
        };
        assert_eq!(
            JsonLine::from(&state).encode(),
            r#"{"event":"viewer-state","viewer":"v1","state":"connected"}"#
        );
        // The same text as the share's own serde gives.
        assert_eq!(
            JsonLine::from(&state).encode(),
            serde_json::to_string(&state).unwrap()
        );
    }
}
