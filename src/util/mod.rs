//! Small helpers shared by the layers.

mod broadcast;
mod interfaces;
mod memory;
mod tee;

pub use broadcast::Broadcast;
pub use interfaces::network_addresses;
pub use memory::release_freed_memory;
pub use tee::{disable_upnp, release_tee_pad, remove_elements};
