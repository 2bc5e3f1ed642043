//! The captureStream() API over a [`crate::media::Player`]: streams and tracks with the
//! lifecycle of the W3C spec (live, muted, ended), fed by tee branches into appsinks.

mod branch;
mod sample;
mod stream;
mod track;

pub use sample::CapturedSample;
pub use stream::MediaStream;
pub use track::{CaptureTrack, HandlerId, SampleHandler, TrackState};

/// What happens to a [`MediaStream`] and its tracks, in order.
#[derive(Debug, Clone)]
pub enum CaptureEvent {
    TrackAdded(CaptureTrack),
    TrackRemoved(CaptureTrack),
    Muted(CaptureTrack),
    Unmuted(CaptureTrack),
    Ended(CaptureTrack),
}

impl CaptureEvent {
    pub fn track(&self) -> &CaptureTrack {
        match self {
            CaptureEvent::TrackAdded(t)
            | CaptureEvent::TrackRemoved(t)
            | CaptureEvent::Muted(t)
            | CaptureEvent::Unmuted(t)
            | CaptureEvent::Ended(t) => t,
        }
    }
}
