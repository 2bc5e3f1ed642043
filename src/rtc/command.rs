//! The messages the share's actor acts on: from the public handle, from webrtcbin's threads
//! (promise replies, state changes, RTCP) and from the reaper.

use super::error::ShareError;
use super::events::{ConnectionState, SdpKind, ShareSnapshot, ViewerId};
use super::stats::StatsSample;
use crate::media::MediaKind;

/// Which viewer a message from a callback is about: a viewer that left and a new one with the
/// same id must not be confused, so each viewer also has a serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ViewerKey {
    pub id: ViewerId,
    pub serial: u64,
}

pub(crate) enum Command {
    AddViewer {
        id: ViewerId,
        ice_servers: Vec<String>,
        /// The far side is an SFU or media server, which forwards the video to others: it
        /// is offered simulcast ([`super::ShareConfig::simulcast`]).
        publication: bool,
        reply: flume::Sender<Result<(), ShareError>>,
    },
    RemoteDescription {
        id: ViewerId,
        kind: SdpKind,
        sdp: String,
        reply: flume::Sender<Result<(), ShareError>>,
    },
    RemoteCandidate {
        id: ViewerId,
        mline: u32,
        candidate: String,
    },
    RemoveViewer {
        id: ViewerId,
        reason: String,
        failed: bool,
    },
    /// A keyframe from every video encoder: the picture jumped (seek, resume, new source).
    RequestKeyframes,
    /// A track started or ended: the kinds sent may have changed.
    TracksChanged,
    /// The kinds of media the source playing now has.
    SourceKinds(Vec<MediaKind>),
    RecalculateLatency,
    /// Record what the viewers get to this (new) file.
    StartRecording {
        path: std::path::PathBuf,
        reply: flume::Sender<Result<(), ShareError>>,
    },
    StopRecording,
    /// The recording to this file has finished (stopped, or failed).
    RecordingEnded(std::path::PathBuf),
    Snapshot(flume::Sender<ShareSnapshot>),
    Stop,

    // From webrtcbin's threads: they only ever send these, never touch the actor's state.
    /// Our offer could not be made (webrtcbin's promise gave nothing).
    OfferFailed(ViewerKey),
    /// webrtcbin took (or refused) the viewer's answer.
    AnswerApplied {
        viewer: ViewerKey,
        error: Option<String>,
    },
    ConnectionChanged {
        viewer: ViewerKey,
        state: ConnectionState,
    },
    /// The viewer sent RTCP: it is still there.
    Heard(ViewerKey),
    Stats {
        viewer: ViewerKey,
        sample: Option<StatsSample>,
    },

    /// The viewer's estimator has a new estimate of what its link carries, in bits/s.
    Estimate {
        viewer: ViewerKey,
        bitrate: u32,
    },
    /// The viewer asked for a keyframe (RTCP PLI or FIR): the actor throttles these per rung.
    KeyframeWanted(ViewerKey),
    /// A publication's SFU asked for a keyframe of one simulcast rung.
    RungKeyframeWanted {
        viewer: ViewerKey,
        rung: usize,
    },
    /// A viewer's move between rungs needs a keyframe of the rung it moves to, now.
    MoveNeedsKeyframe(ViewerKey),

    /// The reaper freed some viewer branches: park the encoders nobody receives now.
    Reaped,
}
