//! What the player tells: the kinds of media, its states, and its events.

use std::time::Duration;

use super::error::PlayerError;
use super::subtitles::SubtitleState;

/// The kind of a media stream, and so of the track that captures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Video,
    Audio,
}

impl MediaKind {
    pub const ALL: [MediaKind; 2] = [MediaKind::Video, MediaKind::Audio];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
        }
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaybackState {
    /// No source, or the source was stopped or failed.
    Stopped,
    Paused,
    Playing,
}

/// One stream of the current source that the player renders.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StreamInfo {
    pub kind: MediaKind,
    /// Codec as the container names it, when known ("VP8", "Opus", "H.264").
    pub codec: Option<String>,
    /// Language tag of the stream, when the file has one.
    pub language: Option<String>,
    /// Video: width and height in pixels.
    pub size: Option<(i32, i32)>,
    /// Video: frames per second (0 for variable frame rate).
    pub frame_rate: Option<f64>,
    /// Audio: sample rate and channels as decoded.
    pub rate: Option<i32>,
    pub channels: Option<i32>,
}

/// What the player reports. Delivered in order to every subscriber.
#[derive(Debug, Clone)]
pub enum PlayerEvent {
    StateChanged(PlaybackState),
    /// The streams of the current source are known (after it prerolled).
    StreamsKnown(Vec<StreamInfo>),
    DurationChanged(Option<Duration>),
    Buffering(u8),
    /// A seek finished; playback continues from `position`.
    SeekDone(Duration),
    EndOfStream,
    /// With loop on, playback restarted from the beginning.
    Looped,
    /// The queue moved on to its source `index` (the previous one ended or failed).
    Advanced {
        index: usize,
        location: String,
    },
    /// Playback goes at this speed now (1.0: normal), for this source and the next ones.
    SpeedChanged(f64),
    /// Audio stream `index` of the current source plays now.
    AudioSelected(usize),
    /// The current source's subtitle tracks, or the one shown, changed (known after
    /// preroll, a track chosen, subtitles off, a subtitle file loaded).
    Subtitles(SubtitleState),
    /// A subtitle file could not be shown (named in the error); playback goes on without.
    SubtitlesFailed(PlayerError),
    /// The current source failed (named in the error). When the queue goes on, an
    /// [`PlayerEvent::Advanced`] follows; else [`PlayerEvent::NothingToPlay`].
    Error(PlayerError),
    /// The last source of the queue failed: nothing plays until another source is opened.
    /// A front-end that no person drives ends here, as it does at
    /// [`PlayerEvent::EndOfStream`].
    NothingToPlay,
}
