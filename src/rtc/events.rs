//! What a share tells the world: its events and snapshot, and the types they carry.

use serde::Serialize;

use super::codec::Codec;

/// A viewer's identity: the signalling session that asked for it.
pub type ViewerId = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpKind {
    Offer,
    Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    New,
    Connecting,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

/// A viewer's numbers over the last second.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewerStats {
    pub viewer: ViewerId,
    pub connection: ConnectionState,
    pub video_codec: Option<Codec>,
    /// Bits per second sent to this viewer, all media.
    pub bitrate: u64,
    /// Frames per second of the video encoder this viewer receives.
    pub frame_rate: f64,
    /// Round-trip time from RTCP receiver reports, in seconds.
    pub rtt: Option<f64>,
    /// Fraction of packets lost (0 to 1) in the last receiver report.
    pub packet_loss: Option<f64>,
    pub nack_count: u64,
    /// Keyframe requests from this viewer (RTCP PLI or FIR).
    pub keyframe_requests: u64,
    /// What this viewer's link carries, as its estimator (or, without transport-wide
    /// feedback, its loss) says, in bits per second.
    pub target_bitrate: u32,
    /// The rung of the encoder ladder this viewer receives.
    pub rung: Option<RungStats>,
    /// To an SFU that took simulcast: every rung published, with its size and bitrate
    /// (then `rung` is none). Empty otherwise.
    pub published: Vec<RungStats>,
}

/// A rung of the encoder ladder: its place (0 is full size), picture size and bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RungStats {
    pub index: usize,
    pub width: u32,
    pub height: u32,
    pub bitrate: u32,
}

/// What a [`super::Share`] reports. Descriptions and candidates go to the viewer through
/// signalling; the rest is for the person and for scripts.
#[derive(Debug, Clone)]
pub enum ShareEvent {
    LocalDescription {
        viewer: ViewerId,
        kind: SdpKind,
        sdp: String,
    },
    LocalCandidate {
        viewer: ViewerId,
        mline: u32,
        candidate: String,
    },
    /// The viewer's connection has gathered all its local candidates.
    LocalCandidatesDone {
        viewer: ViewerId,
    },
    ViewerState {
        viewer: ViewerId,
        state: ConnectionState,
    },
    ViewerStats(ViewerStats),
    /// The viewer is gone and its resources are freed.
    ViewerRemoved {
        viewer: ViewerId,
        reason: String,
        /// Its connection failed or fell silent; nobody asked for the removal. A publisher
        /// (the one viewer is an SFU) tries again.
        failed: bool,
    },
    Error {
        viewer: Option<ViewerId>,
        message: String,
    },
    Recording(crate::record::RecordingEvent),
}

/// What the share is doing now, for status displays and tests.
#[derive(Debug, Clone, Default)]
pub struct ShareSnapshot {
    pub viewers: Vec<ViewerId>,
    /// Each running encoder and how many viewers it feeds.
    pub encoders: Vec<(Codec, usize)>,
    /// Encoders nobody receives now, kept built (not encoding) for the next viewer, with the
    /// frames each has encoded in all.
    pub parked: Vec<(Codec, u64)>,
}
