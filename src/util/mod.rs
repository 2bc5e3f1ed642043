//! Small helpers shared by the layers.

mod broadcast;
mod tee;

pub use broadcast::Broadcast;
pub use tee::{disable_upnp, release_tee_pad, remove_elements, stop_fully};
