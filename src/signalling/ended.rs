//! How a backend's connection or publishing session ended, the one [`Ended`] every backend
//! uses, and what comes after it.

use super::events::{SignallingEvent, SignallingState};

/// Why a connection (or, for WHIP, a session) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The share asked to stop.
    Stopped,
    /// The share ended the session (the video ended): nothing to publish until the media
    /// resumes.
    Finished,
    /// The share lost the session's media connection: worth another session after a pause.
    MediaFailed,
    /// Worth another try: the connection was lost, or the far side failed.
    Lost(String),
    /// The far side said no (no such room, a wrong token): another try would get the same
    /// answer.
    Refused(String),
}

/// What a backend does once a connection or session has [`Ended`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Stop, saying so ([`SignallingState::Stopped`]).
    Stop,
    /// Stop without another word: the refusal said it all.
    GiveUp,
    /// Try again after the backoff.
    Retry,
    /// Wait for the media to resume, then publish again.
    AwaitMedia,
}

impl Ended {
    /// What comes next, and what the share is told about it (`url` names the far side).
    pub(crate) fn next(self, url: &str) -> (Next, Option<SignallingEvent>) {
        match self {
            Ended::Stopped => (Next::Stop, None),
            Ended::Finished => (Next::AwaitMedia, None),
            Ended::MediaFailed => {
                tracing::warn!("the media connection to {url} failed; publishing again");
                (Next::Retry, None)
            }
            Ended::Lost(why) => (
                Next::Retry,
                Some(SignallingEvent::Error(format!("{url}: {why}"))),
            ),
            Ended::Refused(why) => {
                let reason = format!("{url}: {why}");
                let refused = SignallingEvent::State(SignallingState::Refused { reason });
                (Next::GiveUp, Some(refused))
            }
        }
    }
}

/// A request from the share to its backend's task, one kind of which asks it to stop (the
/// share's handle being gone counts as that).
pub(crate) trait StopRequest {
    fn stop() -> Self;
    fn is_stop(&self) -> bool;
}
