//! Small helpers shared by the layers.

mod broadcast;
mod tee;

pub use broadcast::Broadcast;
pub use tee::{break_webrtcbin_cycle, release_tee_pad, remove_elements};
