//! Small helpers shared by the layers.

mod broadcast;
mod interfaces;
mod memory;
mod null_state;
mod tee_pad;
mod upnp;

pub use broadcast::Broadcast;
pub use interfaces::network_addresses;
pub use memory::release_freed_memory;
pub use null_state::remove_elements;
pub use tee_pad::release_tee_pad;
pub use upnp::disable_upnp;
