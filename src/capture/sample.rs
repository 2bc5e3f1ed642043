//! A captured sample: what a track hands its consumers, with its capture time.

use gst::ClockTime;

/// One captured video frame or block of audio, as a consumer (the WebRTC layer) receives it.
#[derive(Debug, Clone)]
pub struct CapturedSample {
    /// Raw video (the decoder's format) or raw audio (F32LE interleaved, 48 kHz).
    pub buffer: gst::Buffer,
    pub caps: gst::Caps,
    /// When the sample is shown, on the player's monotonic clock. Never goes back, across
    /// pauses, seeks and source changes, so a sender can use it as is.
    pub timestamp: ClockTime,
    pub duration: Option<ClockTime>,
    /// Where the sample is in its source (jumps on seek).
    pub position: Option<ClockTime>,
}
