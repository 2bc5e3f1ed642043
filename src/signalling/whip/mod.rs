//! Publishing to a WHIP endpoint: its URL, the ICE servers its links name, its HTTP side, the
//! publisher's life as a state machine, and the task that runs it.

mod endpoint;
mod links;
mod machine;
mod target;
mod task;

pub use links::ice_servers_in_links;
pub use target::{is_whip_url, parse_whip_url, WHIP_TOKEN_VARIABLE};
pub use task::WhipOptions;
