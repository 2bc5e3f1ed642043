//! What can go wrong with a share, as the callers of `rtc` see it.

use super::build_error::BuildError;
use super::events::ViewerId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("viewer {0}: no such viewer")]
    UnknownViewer(ViewerId),
    #[error("viewer {0}: already watching")]
    DuplicateViewer(ViewerId),
    #[error("viewer {viewer}: refused, the share already has its maximum of {max} viewers")]
    TooManyViewers { viewer: ViewerId, max: usize },
    #[error("viewer {viewer}: {cause}")]
    Negotiation { viewer: ViewerId, cause: String },
    #[error("the sending pipeline failed: {0}")]
    Pipeline(#[from] BuildError),
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    #[error("the share has stopped")]
    Stopped,
}
