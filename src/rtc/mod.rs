//! WebRTC: what a capture gives, encoded once per codec and sent to every viewer through
//! its own webrtcbin. Knows nothing of GTK or of any signalling protocol.
//!
//! [`Share`] is the handle; an actor thread ([`actor`]) owns the pipeline and acts on
//! [`command`]s; [`policy`] holds its decisions as pure functions; the reaper frees viewers.

mod actor;
mod answer;
mod aux_sender;
mod build_error;
mod bus;
mod candidate;
mod certificate;
mod codec;
mod command;
mod config;
mod control;
mod controller;
mod encoder;
mod error;
mod events;
mod input;
mod ladder;
mod link_probe;
mod pacer;
mod playout_delay;
mod plugins;
mod policy;
mod reaper;
mod recording;
mod retransmissions;
mod rung_moves;
pub mod sdp;
mod share;
mod simulcast;
mod stats;
mod taps;
mod tracks;
mod video_path;
mod viewer;
mod warm;
mod warm_rung;

pub use build_error::BuildError;
pub use candidate::{CandidateError, MAX_CANDIDATES, MAX_CANDIDATE_LEN};
pub use codec::Codec;
pub use config::ShareConfig;
pub use error::ShareError;
pub use events::{
    ConnectionState, RungStats, SdpKind, ShareEvent, ShareSnapshot, ViewerId, ViewerStats,
};
pub use input::VideoLimits;
pub use share::Share;
pub use simulcast::Simulcast;
pub use warm::settle as settle_warm_up;

// How the share reads an answer, for tests/fuzz.rs only (`--features fuzzing`).
#[cfg(feature = "fuzzing")]
pub use answer::{answer_codecs, AnswerError};
#[cfg(feature = "fuzzing")]
pub use candidate::check_candidate;
