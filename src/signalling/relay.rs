//! [`SignallingRelay`]: joins a [`Share`] to a [`Signaller`], relaying both ways, so that each
//! signalling session becomes a viewer, within the per-peer limits of [`SessionLimits`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::events::{SignallerEvents, SignallingEvent};
use super::session_limits::SessionLimits;
use super::signaller::Signaller;
use crate::rtc::{ConnectionState, Share, ShareError, ShareEvent};

/// Runs while it lives: viewers asked for through signalling join the share, and what the
/// share says for them goes back through signalling. Dropping it stops the relaying threads
/// once their channels close.
pub struct SignallingRelay {
    _threads: Vec<std::thread::JoinHandle<()>>,
    /// The signaller's events, each passed on as the relay takes it.
    relayed: SignallerEvents,
}

impl SignallingRelay {
    /// Start it right after the signaller, before anything else subscribes to it: the relay
    /// must be the signaller's first subscriber, the one that also gets what the signaller
    /// said before anyone listened. A WHIP endpoint on this computer answers so fast that
    /// its first session request came before a later subscriber, and no viewer was ever
    /// added for it. Others hear the signaller through [`SignallingRelay::subscribe`].
    pub fn start(share: Arc<Share>, signaller: Arc<dyn Signaller>) -> Self {
        let sessions: Arc<Mutex<Sessions>> = Arc::default();
        let relayed = SignallerEvents::new();
        let from_signalling = {
            let (share, signaller, sessions) =
                (Arc::downgrade(&share), signaller.clone(), sessions.clone());
            let events = signaller.subscribe();
            let relayed = relayed.sender();
            std::thread::Builder::new()
                .name("relay-in".into())
                .spawn(move || {
                    while let Ok(event) = events.recv() {
                        let Some(share) = share.upgrade() else { return };
                        relayed.send(event.clone());
                        on_signalling(&share, signaller.as_ref(), &sessions, event);
                    }
                })
                .expect("a thread")
        };
        let from_share = {
            let events = share.subscribe();
            let signaller = Arc::downgrade(&signaller);
            std::thread::Builder::new()
                .name("relay-out".into())
                .spawn(move || {
                    while let Ok(event) = events.recv() {
                        let Some(signaller) = signaller.upgrade() else {
                            return;
                        };
                        on_share(signaller.as_ref(), &sessions, event);
                    }
                })
                .expect("a thread")
        };
        Self {
            _threads: vec![from_signalling, from_share],
            relayed,
        }
    }

    /// The signaller's events as the relay takes them; the first subscriber gets every one
    /// since the start.
    pub fn subscribe(&self) -> flume::Receiver<SignallingEvent> {
        self.relayed.subscribe()
    }
}

/// What both relaying threads know of the sessions. Locked briefly, never across a call.
#[derive(Default)]
struct Sessions {
    /// Sessions the far side ended, so we do not echo an endSession back.
    ended_remotely: HashSet<String>,
    admission: SessionLimits,
}

fn on_signalling(
    share: &Share,
    signaller: &dyn Signaller,
    sessions: &Mutex<Sessions>,
    event: SignallingEvent,
) {
    match event {
        SignallingEvent::SessionRequested {
            session,
            peer,
            offer,
            ice_servers,
            ..
        } => {
            if offer.is_some() {
                tracing::warn!(%session, "a viewer's own offer is not supported yet; session refused");
                signaller.end_session(&session);
                return;
            }
            let admitted = sessions
                .lock()
                .unwrap()
                .admission
                .admit(&session, peer.as_deref());
            if let Err(refusal) = admitted {
                tracing::warn!(session = %session.escape_debug(), "session refused: {refusal}");
                signaller.end_session(&session);
                return;
            }
            // No peer named: the far side is one SFU or media server, which forwards the
            // share to its own subscribers.
            let added = match peer {
                None => share.add_publication(&session, &ice_servers),
                Some(_) => share.add_viewer_with(&session, &ice_servers),
            };
            if let Err(e) = added {
                sessions.lock().unwrap().admission.gone(&session);
                match e {
                    ShareError::TooManyViewers { .. } => {
                        tracing::warn!("{e}");
                        signaller.end_session(&session);
                    }
                    // A failure, not an end: an SFU's publication is tried again after a
                    // pause (an end would wait for the video to play again, silently).
                    _ => {
                        tracing::error!("{e}");
                        signaller.session_failed(&session);
                    }
                }
            }
        }
        SignallingEvent::SessionMisbehaved { session, reason } => {
            // The removal ends the session at the server too (not ended remotely).
            share.remove_viewer(&session, &reason);
        }
        SignallingEvent::RemoteSdp { session, kind, sdp } => {
            if let Err(e) = share.set_remote_description(&session, kind, &sdp) {
                tracing::warn!("{e}");
                share.remove_failed_viewer(&session, &e.to_string());
            }
        }
        SignallingEvent::RemoteIce {
            session,
            mline,
            candidate,
        } => share.add_remote_candidate(&session, mline, &candidate),
        SignallingEvent::SessionEnded { session } => {
            {
                let mut sessions = sessions.lock().unwrap();
                sessions.ended_remotely.insert(session.clone());
                sessions.admission.gone(&session);
            }
            share.remove_viewer(&session, "the viewer left");
        }
        SignallingEvent::State(_)
        | SignallingEvent::Error(_)
        | SignallingEvent::ViewerNamed { .. } => {}
    }
}

fn on_share(signaller: &dyn Signaller, sessions: &Mutex<Sessions>, event: ShareEvent) {
    match event {
        ShareEvent::LocalDescription { viewer, kind, sdp } => {
            signaller.send_sdp(&viewer, kind, &sdp)
        }
        ShareEvent::LocalCandidate {
            viewer,
            mline,
            candidate,
        } => signaller.send_ice(&viewer, mline, &candidate),
        ShareEvent::LocalCandidatesDone { viewer } => signaller.end_of_candidates(&viewer),
        ShareEvent::ViewerState {
            viewer,
            state: ConnectionState::Connected,
        } => sessions.lock().unwrap().admission.connected(&viewer),
        ShareEvent::ViewerRemoved { viewer, failed, .. } => {
            let ended_remotely = {
                let mut sessions = sessions.lock().unwrap();
                sessions.admission.gone(&viewer);
                sessions.ended_remotely.remove(&viewer)
            };
            match (ended_remotely, failed) {
                (true, _) => {}
                (false, true) => signaller.session_failed(&viewer),
                (false, false) => signaller.end_session(&viewer),
            }
        }
        _ => {}
    }
}
