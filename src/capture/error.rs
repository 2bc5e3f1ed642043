//! Why a capture could not start.

use crate::media::MediaKind;

/// Why a track of `kind` could not be captured: its branch on the player's tee could not be
/// built. Reported as [`super::CaptureEvent::Failed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot capture {kind}: the GStreamer element '{factory}' is missing")]
    MissingElement {
        kind: MediaKind,
        factory: &'static str,
    },
    #[error("cannot capture {kind}: the capture branch could not be added ({cause})")]
    Branch { kind: MediaKind, cause: String },
    #[error("cannot capture {kind}: the output's tee gave no pad")]
    NoTeePad { kind: MediaKind },
}

impl CaptureError {
    /// The kind of track that could not be captured.
    pub fn kind(&self) -> MediaKind {
        match self {
            CaptureError::MissingElement { kind, .. }
            | CaptureError::Branch { kind, .. }
            | CaptureError::NoTeePad { kind } => *kind,
        }
    }
}
