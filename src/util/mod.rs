//! Small helpers shared by the layers.

mod broadcast;
mod tee;

pub use broadcast::Broadcast;
pub use tee::{release_tee_pad, remove_elements};
