//! A share as its terminal tells it: the sharing layer's events turned into sentences for
//! people and the numbers of the status line. Viewer ids appear only under `REELCAST_LOG=debug`.

use crate::media::Player;
use crate::rtc::ConnectionState;
use crate::sharing::SharingEvent;

use super::output::{Status, Terminal};
use super::viewer_names::ViewerNames;

/// Where the share stands, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ShareState {
    #[default]
    Starting,
    Sharing,
    Reconnecting,
}

impl ShareState {
    fn word(self) -> &'static str {
        match self {
            ShareState::Starting => "connecting",
            ShareState::Sharing => "sharing",
            ShareState::Reconnecting => "reconnecting",
        }
    }
}

#[derive(Debug, Default)]
pub struct Shown {
    state: ShareState,
    viewers: ViewerNames,
}

impl Shown {
    /// Takes in an event; returns the sentence to print, if it is worth one. Errors are the
    /// caller's (they go to standard error).
    pub fn apply(&mut self, event: &SharingEvent) -> Option<String> {
        match event {
            SharingEvent::ViewerUrl { url, signalling } => Some(format!(
                "Open {url} in a browser to watch. Other viewers of the GStreamer protocol \
                 (gstwebrtc-api, webrtcsrc) join at {signalling}. Share these links only \
                 with the people you invite."
            )),
            SharingEvent::Connecting => None,
            SharingEvent::Registered { peer_id } => {
                tracing::debug!(%peer_id, "registered");
                let was = std::mem::replace(&mut self.state, ShareState::Sharing);
                Some(match was {
                    ShareState::Reconnecting => "Signalling is back.".into(),
                    _ => "Viewers can join now.".into(),
                })
            }
            SharingEvent::Reconnecting {
                attempt,
                retry_in_ms,
            } => {
                self.state = ShareState::Reconnecting;
                Some(format!(
                    "Signalling lost; retry {attempt} in {:.1} s. Viewers keep watching.",
                    *retry_in_ms as f64 / 1000.0
                ))
            }
            SharingEvent::ViewerJoined { viewer, name } => {
                let name = self.viewers.join(viewer, name.as_deref());
                tracing::debug!(%viewer, %name, "viewer joined");
                Some(format!("{name} joined."))
            }
            SharingEvent::ViewerNamed { viewer, name } => {
                let (was, now) = self.viewers.rename(viewer, name.as_deref())?;
                tracing::debug!(%viewer, %was, %now, "viewer renamed");
                Some(format!("{was} is now called {now}."))
            }
            SharingEvent::ViewerState { viewer, state } => {
                let name = self.viewers.name(viewer)?;
                tracing::debug!(%viewer, %name, ?state, "viewer state");
                match state {
                    ConnectionState::Connected => Some(format!("{name} is watching.")),
                    ConnectionState::Failed => Some(format!("{name}'s connection failed.")),
                    _ => None,
                }
            }
            SharingEvent::Stats { stats } => {
                self.viewers.set_bitrate(&stats.viewer, stats.bitrate);
                None
            }
            SharingEvent::ViewerLeft { viewer, reason } => {
                let name = self.viewers.leave(viewer)?;
                tracing::debug!(%viewer, %name, %reason, "viewer left");
                Some(format!("{name} left ({reason})."))
            }
            SharingEvent::Error { .. } | SharingEvent::Refused { .. } => None,
            SharingEvent::RecordingStarted { path } => Some(format!("Recording to {path}.")),
            SharingEvent::RecordingStopped {
                path,
                duration_ms,
                bytes,
                error,
            } => Some(recording_stopped(
                path,
                *duration_ms,
                *bytes,
                error.as_deref(),
            )),
        }
    }

    /// An error event as a person reads it: a viewer's names the viewer as people call it
    /// (its id only under `REELCAST_LOG=debug`).
    pub fn problem(&self, event: &SharingEvent) -> String {
        match event {
            SharingEvent::Error {
                message,
                viewer: Some(viewer),
            } => {
                tracing::debug!(%viewer, "viewer problem");
                match self.viewers.name(viewer) {
                    Some(name) => format!("{name}: {message}"),
                    None => format!("a viewer: {message}"),
                }
            }
            SharingEvent::Error { message, .. } | SharingEvent::Refused { message } => {
                message.clone()
            }
            _ => String::new(),
        }
    }

    /// The status line now.
    pub fn status(&self, player: &Player) -> Status {
        Status {
            position: player.position(),
            duration: player.duration(),
            state: self.state.word().into(),
            viewers: Some(self.viewers.count()),
            bitrate: self.viewers.total_bitrate(),
        }
    }

    pub fn redraw(&self, terminal: &Terminal, player: &Player) {
        terminal.status(&self.status(player));
    }
}

/// The end of a recording as a person reads it: how long, how big, and why if it failed.
fn recording_stopped(path: &str, duration_ms: u64, bytes: u64, error: Option<&str>) -> String {
    let seconds = duration_ms / 1000;
    let length = format!("{}:{:02}", seconds / 60, seconds % 60);
    let size = format!("{:.1} MB", bytes as f64 / 1_000_000.0);
    match error {
        None => format!("The recording {path} is finished ({length}, {size})."),
        Some(error) => {
            format!("{error}. The recording keeps what was written ({length}, {size}).")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_are_named_for_people_and_counted() {
        let mut shown = Shown::default();
        let joined = |viewer: &str| SharingEvent::ViewerJoined {
            viewer: viewer.into(),
            name: None,
        };
        assert_eq!(
            shown.apply(&joined("db3abe37")).as_deref(),
            Some("Viewer 1 joined.")
        );
        assert_eq!(
            shown.apply(&joined("77aa")).as_deref(),
            Some("Viewer 2 joined.")
        );
        let left = shown.apply(&SharingEvent::ViewerLeft {
            viewer: "db3abe37".into(),
            reason: "closed the page".into(),
        });
        assert_eq!(left.as_deref(), Some("Viewer 1 left (closed the page)."));
        assert_eq!(shown.viewers.count(), 1);
        // A late event of a viewer gone says nothing.
        let late = SharingEvent::ViewerState {
            viewer: "db3abe37".into(),
            state: ConnectionState::Connected,
        };
        assert_eq!(shown.apply(&late), None);
    }

    #[test]
    fn a_viewer_is_called_by_the_name_it_gave() {
        let mut shown = Shown::default();
        let joined = shown.apply(&SharingEvent::ViewerJoined {
            viewer: "a".into(),
            name: Some("Ana".into()),
        });
        assert_eq!(joined.as_deref(), Some("Ana joined."));
        shown.apply(&SharingEvent::ViewerJoined {
            viewer: "b".into(),
            name: None,
        });
        let renamed = shown.apply(&SharingEvent::ViewerNamed {
            viewer: "b".into(),
            name: Some("Bo\u{1b}[2J".into()),
        });
        assert_eq!(renamed.as_deref(), Some("Viewer 2 is now called Bo [2J."));
        let watching = shown.apply(&SharingEvent::ViewerState {
            viewer: "b".into(),
            state: ConnectionState::Connected,
        });
        assert_eq!(watching.as_deref(), Some("Bo [2J is watching."));
        let problem = SharingEvent::Error {
            message: "could not renegotiate".into(),
            viewer: Some("b".into()),
        };
        assert_eq!(shown.problem(&problem), "Bo [2J: could not renegotiate");
    }

    #[test]
    fn the_state_follows_signalling() {
        let mut shown = Shown::default();
        assert_eq!(shown.state.word(), "connecting");
        shown.apply(&SharingEvent::Registered {
            peer_id: "p".into(),
        });
        assert_eq!(shown.state.word(), "sharing");
        shown.apply(&SharingEvent::Reconnecting {
            attempt: 1,
            retry_in_ms: 500,
        });
        assert_eq!(shown.state.word(), "reconnecting");
    }
}
