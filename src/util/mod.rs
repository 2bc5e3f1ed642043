//! Small helpers shared by the layers.

mod broadcast;

pub use broadcast::Broadcast;
