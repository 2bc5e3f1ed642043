//! Playback: a player over GStreamer's playbin, with its decoded output on tees that the
//! capture layer taps. Knows nothing of WebRTC or GTK.

mod buffering;
mod control;
mod error;
mod events;
mod network;
mod output;
mod player;
mod share_name;
mod speed;
mod status;
mod streams;
mod subtitle_control;
mod subtitle_overlays;
mod subtitle_proxy;
mod subtitle_types;
mod subtitles;

pub use error::PlayerError;
pub use events::{MediaKind, PlaybackState, PlayerEvent, StreamInfo};
pub(crate) use output::OutputTap;
pub use output::{OutputBranch, CAPTURE_AUDIO_CAPS};
pub use player::{AudioOutput, Player, PlayerOptions, SeekMode, VideoOutput};
pub use share_name::share_name;
pub use speed::{check_speed, FASTEST, SLOWEST};
pub use subtitles::{
    language_matches, sidecar_files, SubtitlePreferences, SubtitleState, SubtitleTrack,
    SUBTITLE_EXTENSIONS,
};
