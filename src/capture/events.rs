//! What a capture tells of its tracks.

use super::error::CaptureError;
use super::track::CaptureTrack;

/// What happens to a [`super::MediaStream`] and its tracks, in order.
#[derive(Debug, Clone)]
pub enum CaptureEvent {
    TrackAdded(CaptureTrack),
    TrackRemoved(CaptureTrack),
    Muted(CaptureTrack),
    Unmuted(CaptureTrack),
    Ended(CaptureTrack),
    /// A track of the current source's content could not be captured: `track` (already
    /// ended, with the kind and label it would have had) tells which, `error` why. No track of
    /// that kind follows until the source changes.
    Failed {
        track: CaptureTrack,
        error: CaptureError,
    },
}

impl CaptureEvent {
    pub fn track(&self) -> &CaptureTrack {
        match self {
            CaptureEvent::TrackAdded(t)
            | CaptureEvent::TrackRemoved(t)
            | CaptureEvent::Muted(t)
            | CaptureEvent::Unmuted(t)
            | CaptureEvent::Ended(t)
            | CaptureEvent::Failed { track: t, .. } => t,
        }
    }
}
