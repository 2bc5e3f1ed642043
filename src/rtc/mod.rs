//! WebRTC: what a capture gives, encoded once per codec and sent to every viewer through
//! its own webrtcbin. Knows nothing of GTK or of any signalling protocol.

mod certificate;
mod codec;
mod encoder;
mod events;
mod input;
mod share;
mod stats;
mod viewer;

pub use codec::Codec;
pub use events::{ConnectionState, SdpKind, ShareEvent, ViewerId, ViewerStats};
pub use input::VideoLimits;
pub use share::{Share, ShareConfig, ShareError, ShareSnapshot};
pub use viewer::answer_codecs;
