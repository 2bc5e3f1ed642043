//! Publishing to a WHIP endpoint: its URL, the ICE servers its links name, its HTTP side, the
//! publisher's life as a state machine, and the task that runs it.

mod endpoint;
mod links;
mod machine;
mod target;
mod task;

#[cfg(feature = "fuzzing")]
pub use links::ice_servers_in_links;
#[cfg(feature = "fuzzing")]
pub use target::parse_whip_url;
pub use target::{is_whip_url, WHIP_TOKEN_VARIABLE};
pub use task::WhipOptions;
