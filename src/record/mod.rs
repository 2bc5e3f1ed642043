//! Recording a share: the encoded media the viewers get, written to one file as it leaves
//! the encoders (the web's `MediaRecorder` over `captureStream()`, with no second encode).
//! Knows nothing of WebRTC or GTK: it is handed encoded buffers with their running times.

mod error;
mod format;
mod recorder;
mod timeline;

pub use error::RecordError;
pub use format::RecordFormat;
pub use recorder::{Hooks, RecordFile, RecordInput, Recorder, RecordingEvent, RecordingProgress};
pub use timeline::{Decision, Timeline, Track};
