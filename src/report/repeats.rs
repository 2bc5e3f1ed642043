//! The rule that no `--json` line only repeats the one before: without I/O, so it is tested
//! on its own.

use std::collections::HashMap;

use super::json_line::JsonLine;

/// The last line of each state-like kind ([`JsonLine::state_kind`]). Streams over HTTP re-post
/// what has not changed (a DASH stream told the same buffering level up to 50 times in a
/// row, an unchanged duration 15 times); a script wants changes. Only an exact repeat is
/// dropped: a buffering level that goes back to where it was two lines ago is news.
#[derive(Debug, Default)]
pub struct Repeats {
    last: HashMap<&'static str, String>,
}

impl Repeats {
    /// Whether `text`, the encoding of `line`, is printed: false for a state-like line equal
    /// to the last of its kind.
    pub fn admit(&mut self, line: &JsonLine, text: &str) -> bool {
        if line.starts_source() {
            self.last.clear();
        }
        let Some(kind) = line.state_kind() else {
            return true;
        };
        if self.last.get(kind).is_some_and(|last| last == text) {
            return false;
        }
        self.last.insert(kind, text.to_owned());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::PlaybackState;
    use crate::rtc::ConnectionState;
    use crate::sharing::SharingEvent;

    /// The lines `lines` leave printed, as text.
    fn printed(lines: &[JsonLine]) -> Vec<String> {
        let mut repeats = Repeats::default();
        lines
            .iter()
            .map(JsonLine::encode)
            .zip(lines)
            .filter(|(text, line)| repeats.admit(line, text))
            .map(|(text, _)| text)
            .collect()
    }

    fn buffering(percent: u8) -> JsonLine<'static> {
        JsonLine::Buffering { percent }
    }

    #[test]
    fn a_state_is_told_when_it_changes() {
        let duration = JsonLine::Duration {
            seconds: Some(10.0),
        };
        let playing = JsonLine::State {
            state: PlaybackState::Playing,
        };
        let lines = [
            buffering(50),
            buffering(50),
            duration.clone(),
            buffering(50),
            duration.clone(),
            buffering(100),
            playing.clone(),
            buffering(100),
            playing.clone(),
            buffering(50),
        ];
        assert_eq!(
            printed(&lines),
            [
                r#"{"event":"buffering","percent":50}"#,
                r#"{"event":"duration","seconds":10.0}"#,
                r#"{"event":"buffering","percent":100}"#,
                r#"{"event":"state","state":"playing"}"#,
                r#"{"event":"buffering","percent":50}"#,
            ]
        );
    }

    #[test]
    fn events_that_happen_again_are_all_told() {
        let progress = JsonLine::Progress {
            position: None,
            duration: None,
        };
        let lines = [
            JsonLine::Looped,
            JsonLine::Looped,
            JsonLine::Speed { speed: 2.0 },
            JsonLine::Speed { speed: 2.0 },
            progress.clone(),
            progress,
            JsonLine::Error {
                message: "x".into(),
            },
            JsonLine::Error {
                message: "x".into(),
            },
        ];
        assert_eq!(printed(&lines).len(), lines.len());
    }

    #[test]
    fn a_new_source_tells_its_state_again() {
        let playing = JsonLine::State {
            state: PlaybackState::Playing,
        };
        let next = JsonLine::Next {
            index: 1,
            location: "b.webm",
        };
        let lines = [
            playing.clone(),
            next.clone(),
            playing.clone(),
            next,
            playing,
        ];
        assert_eq!(printed(&lines).len(), 5);
    }

    #[test]
    fn a_viewers_state_is_told_when_it_changes() {
        let state = |viewer: &str, state| SharingEvent::ViewerState {
            viewer: viewer.into(),
            state,
        };
        let a = state("a", ConnectionState::Connected);
        let b = state("b", ConnectionState::Connected);
        let lines = [
            JsonLine::from(&a),
            JsonLine::from(&a),
            JsonLine::from(&b),
            JsonLine::from(&a),
        ];
        assert_eq!(
            printed(&lines),
            [
                r#"{"event":"viewer-state","viewer":"a","state":"connected"}"#,
                r#"{"event":"viewer-state","viewer":"b","state":"connected"}"#,
                r#"{"event":"viewer-state","viewer":"a","state":"connected"}"#,
            ]
        );
    }
}
