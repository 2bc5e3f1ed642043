//! Publishing into a Janus VideoRoom: its URL, its wire format, the conversation as a state
//! machine, and the task that starts it.

mod machine;
mod target;
mod task;
mod wire;

pub use target::{is_janus_url, JANUS_PIN_VARIABLE};
#[cfg(feature = "fuzzing")]
pub use target::{parse_janus_url, JanusTarget};
pub use task::JanusOptions;
#[cfg(feature = "fuzzing")]
pub use wire::{decode_janus, JanusIncoming};
