//! Reelcast's test peers, used by its tests and benchmarks and never shipped in the product:
//! a real WebRTC receiver, the private-network guard, and a share of a file driven against
//! receivers in a child process (its join/leave footprint).

mod churn;
mod harness;
mod network;
mod receiver;
mod receivers;

pub use churn::{churn, ChurnReport, Footprint};
pub use harness::Harness;
pub use network::in_private_network;
pub use receiver::{Receiver, VideoHandling};
pub use receivers::serve_receivers;
