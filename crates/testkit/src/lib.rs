//! Reelcast's test peers, used by its tests and benchmarks and never shipped in the product:
//! a real WebRTC receiver, the private-network guard, a share of a file driven against
//! receivers in a child process (its join/leave footprint), and slow links to child network
//! namespaces with real peers behind them (the upstream signalling server, `reelcast share`,
//! headless Chromium).

mod browser_viewer;
mod churn;
mod firefox_viewer;
mod harness;
mod janus;
pub mod link_model;
mod lossy_link;
mod network;
mod peer_process;
mod receiver;
mod receivers;
mod shaped_link;
mod shaped_share;
mod share_process;
mod signalling_server;

pub use browser_viewer::{BrowserViewer, Frame, Sample, Timeline, VideoStats};
pub use churn::{churn, ChurnReport, Footprint};
pub use firefox_viewer::{FirefoxSample, FirefoxViewer};
pub use harness::Harness;
pub use janus::Janus;
pub use link_model::{GilbertElliott, LinkConfig, Loss};
pub use lossy_link::LossyLink;
pub use network::in_private_network;
pub use peer_process::{free_port, PeerError, PeerProcess};
pub use receiver::{Receiver, VideoHandling};
pub use receivers::serve_receivers;
pub use shaped_link::{ShapedLink, ShapedLinkError};
pub use shaped_share::{ShapedShare, ShapedShareError};
pub use share_process::{process_cpu_seconds, ShareProcess};
pub use signalling_server::SignallingServer;
