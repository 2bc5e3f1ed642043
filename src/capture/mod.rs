//! The captureStream() API over a [`crate::media::Player`]: streams and tracks with the
//! lifecycle of the W3C spec (live, muted, ended), fed by tee branches into appsinks.

mod branch;
mod error;
mod events;
mod sample;
mod stream;
mod track;

pub use error::CaptureError;
pub use events::CaptureEvent;
pub use sample::CapturedSample;
pub use stream::MediaStream;
pub use track::{CaptureTrack, HandlerId, SampleHandler, TrackState};
