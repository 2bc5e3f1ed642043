//! The GStreamer WebRTC signalling protocol's producer: wire, state machine, signaller.

mod machine;
mod signaller;
mod wire;

pub use signaller::{GstSignaller, GstSignallerOptions};
#[cfg(feature = "fuzzing")]
pub use wire::{decode, Incoming};
