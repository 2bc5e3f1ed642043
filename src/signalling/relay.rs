//! [`SignallingRelay`]: joins a [`Share`] to a [`Signaller`], relaying both ways, so that each
//! signalling session becomes a viewer.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::events::SignallingEvent;
use super::signaller::Signaller;
use crate::rtc::{Share, ShareError, ShareEvent};

/// Runs while it lives: viewers asked for through signalling join the share, and what the
/// share says for them goes back through signalling. Dropping it stops the relaying threads
/// once their channels close.
pub struct SignallingRelay {
    _threads: Vec<std::thread::JoinHandle<()>>,
}

impl SignallingRelay {
    pub fn start(share: Arc<Share>, signaller: Arc<dyn Signaller>) -> Self {
        // Sessions the far side ended, so we do not echo an endSession back.
        let ended_remotely: Arc<Mutex<HashSet<String>>> = Arc::default();
        let from_signalling = {
            let (share, signaller, ended) = (
                Arc::downgrade(&share),
                signaller.clone(),
                ended_remotely.clone(),
            );
            let events = signaller.subscribe();
            std::thread::Builder::new()
                .name("relay-in".into())
                .spawn(move || {
                    while let Ok(event) = events.recv() {
                        let Some(share) = share.upgrade() else { return };
                        on_signalling(&share, signaller.as_ref(), &ended, event);
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
                        on_share(signaller.as_ref(), &ended_remotely, event);
                    }
                })
                .expect("a thread")
        };
        Self {
            _threads: vec![from_signalling, from_share],
        }
    }
}

fn on_signalling(
    share: &Share,
    signaller: &dyn Signaller,
    ended: &Mutex<HashSet<String>>,
    event: SignallingEvent,
) {
    match event {
        SignallingEvent::SessionRequested {
            session,
            offer,
            ice_servers,
            ..
        } => {
            if offer.is_some() {
                tracing::warn!(%session, "a viewer's own offer is not supported yet; session refused");
                signaller.end_session(&session);
                return;
            }
            match share.add_viewer_with(&session, &ice_servers) {
                Ok(()) => {}
                Err(e @ ShareError::TooManyViewers { .. }) => {
                    tracing::warn!("{e}");
                    signaller.end_session(&session);
                }
                Err(e) => {
                    tracing::error!("{e}");
                    signaller.end_session(&session);
                }
            }
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
            ended.lock().unwrap().insert(session.clone());
            share.remove_viewer(&session, "the viewer left");
        }
        SignallingEvent::State(_)
        | SignallingEvent::Error(_)
        | SignallingEvent::ViewerNamed { .. } => {}
    }
}

fn on_share(signaller: &dyn Signaller, ended: &Mutex<HashSet<String>>, event: ShareEvent) {
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
        ShareEvent::ViewerRemoved { viewer, failed, .. }
            if !ended.lock().unwrap().remove(&viewer) =>
        {
            if failed {
                signaller.session_failed(&viewer)
            } else {
                signaller.end_session(&viewer)
            }
        }
        _ => {}
    }
}
