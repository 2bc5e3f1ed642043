//! A share in progress, from a person's point of view: the player's capture sent to viewers
//! through a signalling server (the embedded default or a given one). Both the command line
//! and the window drive this; it knows nothing of GTK.

mod networks;
mod options;
mod turn_secrets;
mod viewer_numbers;

use std::sync::Arc;

use serde::Serialize;

use crate::capture::{CaptureEvent, MediaStream};
use crate::media::{PlaybackState, Player, PlayerEvent};
use crate::record::RecordingEvent;
use crate::rtc::{ConnectionState, Share, ShareEvent, ViewerId, ViewerStats};
use crate::signalling::{
    is_janus_url, is_whip_url, EmbeddedServer, GstSignaller, GstSignallerOptions, JanusOptions,
    PublisherSignaller, Secret, Signaller, SignallingEvent, SignallingRelay, SignallingState,
    ViewerIceServers, WhipOptions, JANUS_PIN_VARIABLE, TURN_SECRET_VARIABLE, WHIP_TOKEN_VARIABLE,
};
use crate::util::Broadcast;

pub use networks::{local_networks, LocalNetwork, NetworkKind};
pub use options::{ShareChoices, SharingOptions};
pub use turn_secrets::{
    has_passwords, turn_servers, FilledTurnServers, SavedTurnServers, TurnProblem, TurnSecrets,
    TurnSecretsError, TurnServer, LOOKUP_TIMEOUT, STORE_TIMEOUT,
};
pub use viewer_numbers::{viewer_label, ViewerNumbers};

/// What a person (or a script) is told about a share.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum SharingEvent {
    /// The embedded default is up, or has a new link: the page to open and the websocket URL
    /// for other GStreamer-protocol viewers, both with the link's secret. The only event that
    /// carries it.
    ViewerUrl {
        url: String,
        signalling: String,
    },
    Connecting,
    /// Registered with the signalling server: viewers can find the share.
    Registered {
        peer_id: String,
    },
    /// Signalling was lost; the next try is in `retry_in_ms`. Viewers keep watching.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    /// A viewer asked to join; `name` is the display name it gave (remote input, cleaned:
    /// bounded, no control characters), or none: then people call it "Viewer N".
    ViewerJoined {
        viewer: ViewerId,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A viewer watching gave a display name, changed it or took it back (`None`).
    ViewerNamed {
        viewer: ViewerId,
        name: Option<String>,
    },
    ViewerState {
        viewer: ViewerId,
        state: ConnectionState,
    },
    Stats {
        stats: ViewerStats,
    },
    ViewerLeft {
        viewer: ViewerId,
        reason: String,
    },
    /// Something went wrong; with `viewer`, for that viewer only (people name it, so its
    /// id stays out of the message).
    Error {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        viewer: Option<ViewerId>,
    },
    /// The server or SFU refused the share for good (no such room, wrong pin).
    Refused {
        message: String,
    },
    /// The recording's file has begun (its first keyframe is written).
    RecordingStarted {
        path: String,
    },
    /// The recording's file is finished; with `error`, it was given up there, and what was
    /// written stays playable.
    RecordingStopped {
        path: String,
        duration_ms: u64,
        bytes: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// How long a stop waits for a recording's file to be finished (its index written).
const RECORDING_FINISHED_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a stop waits for the far side to hear the goodbye (a Janus leave, a WHIP DELETE)
/// before a process exits anyway: a server that does not answer must not hold a person's
/// Ctrl+C or close button for long.
pub const GOODBYE_WITHIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// A running share; it stops when dropped or with [`Sharing::stop`].
pub struct Sharing {
    events: Arc<Broadcast<SharingEvent>>,
    early: std::sync::Mutex<Option<flume::Receiver<SharingEvent>>>,
    signaller: Arc<dyn Signaller>,
    // Dropped in this order: signalling first, then the media.
    _session: SignallingRelay,
    embedded: Option<EmbeddedServer>,
    share: Arc<Share>,
    _stream: MediaStream,
    /// Dropping it ends the thread that follows the player.
    _following: flume::Sender<()>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharingError {
    #[error(transparent)]
    Signalling(#[from] crate::signalling::SignallingError),
    #[error(transparent)]
    Share(#[from] crate::rtc::ShareError),
}

impl Sharing {
    /// Starts sharing what `player` plays. Fails only on what cannot work at all (a bad URL
    /// or CA file, no free port, a missing GStreamer element); a server that does not
    /// answer yet is retried in the background and reported as events.
    pub fn start(player: &Player, options: SharingOptions) -> Result<Self, SharingError> {
        let share = Arc::new(Share::new(options.config.clone())?);
        let stream = player.capture_stream();
        share.attach(&stream);
        let secrets = &options.secrets;
        let from_env = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| Secret::new(v.trim()))
        };
        let embedded = match options.signalling {
            Some(_) => None,
            None => {
                // Viewer pages get the share's STUN server, and TURN credentials minted for
                // each of them (never the person's TURN password).
                let ice = ViewerIceServers::new(
                    options.config.stun_server.as_deref(),
                    &options.config.turn_servers,
                    (secrets.turn_secret.clone()).or_else(|| from_env(TURN_SECRET_VARIABLE)),
                );
                Some(EmbeddedServer::start_with_ice(&options.embedded, ice)?)
            }
        };
        let (url, shown) = match (&options.signalling, &embedded) {
            (Some(url), _) => (url.clone(), None),
            (None, Some(server)) => (server.signalling_url(), Some(server.signalling_url_shown())),
            (None, None) => unreachable!("one of the two is set above"),
        };
        // The URL's scheme picks the protocol: an SFU's, or GStreamer's.
        let signaller: Arc<dyn Signaller> = if is_whip_url(&url) {
            Arc::new(PublisherSignaller::whip(WhipOptions {
                url,
                token: (secrets.whip_token.clone()).or_else(|| from_env(WHIP_TOKEN_VARIABLE)),
                ca_file: options.ca_file.clone(),
                allow_insecure: secrets.allow_insecure,
            })?)
        } else if is_janus_url(&url) {
            Arc::new(PublisherSignaller::janus(JanusOptions {
                url,
                name: options.name.clone(),
                ca_file: options.ca_file.clone(),
                pin: (secrets.janus_pin.clone()).or_else(|| from_env(JANUS_PIN_VARIABLE)),
                allow_insecure: secrets.allow_insecure,
            })?)
        } else {
            Arc::new(GstSignaller::start(GstSignallerOptions {
                url,
                name: options.name.clone(),
                ca_file: options.ca_file.clone(),
                shown,
            })?)
        };
        // At once: the relay must be the signaller's first listener (see its start).
        let session = SignallingRelay::start(share.clone(), signaller.clone());
        let events: Arc<Broadcast<SharingEvent>> = Arc::default();
        let early = events.subscribe();
        if let Some(server) = &embedded {
            events.send(link_event(server));
        }
        forward(
            share.subscribe(),
            session.subscribe(),
            stream.subscribe(),
            events.clone(),
        );
        let (following, stop_following) = flume::bounded(0);
        follow_player(
            player.subscribe(),
            stop_following,
            Arc::downgrade(&share),
            Arc::downgrade(&signaller),
        );
        Ok(Self {
            events,
            early: std::sync::Mutex::new(Some(early)),
            signaller,
            _session: session,
            embedded,
            share,
            _stream: stream,
            _following: following,
        })
    }

    /// Events from now on; the first subscriber also gets those sent before it subscribed.
    pub fn subscribe(&self) -> flume::Receiver<SharingEvent> {
        self.early
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| self.events.subscribe())
    }

    /// The page viewers open (its link, with the secret), when the embedded default runs.
    pub fn viewer_url(&self) -> Option<String> {
        self.embedded.as_ref().map(EmbeddedServer::viewer_url)
    }

    /// "New Link": the embedded server's link gets a new secret and the viewers who came with
    /// the old one are dropped (their sessions end). The new link comes as a
    /// [`SharingEvent::ViewerUrl`]; nothing happens on another signalling server.
    pub fn new_link(&self) {
        if let Some(server) = &self.embedded {
            server.new_link();
            self.events.send(link_event(server));
        }
    }

    /// How many viewers are watching now.
    pub fn viewer_count(&self) -> usize {
        self.share.snapshot().viewers.len()
    }

    /// Records what the viewers get to `path`, a new `.webm`, `.mkv` or `.mp4` file; see
    /// [`Share::start_recording`].
    pub fn start_recording(&self, path: &std::path::Path) -> Result<(), SharingError> {
        Ok(self.share.start_recording(path)?)
    }

    /// The video codec a recording is written in.
    pub fn video_codec(&self) -> crate::rtc::Codec {
        self.share.video_codec()
    }

    /// Finishes the recording in the background ([`SharingEvent::RecordingStopped`] follows).
    pub fn stop_recording(&self) {
        self.share.stop_recording();
    }

    /// The file being recorded, how long it lasts so far and its size in bytes.
    pub fn recording(&self) -> Option<(std::path::PathBuf, std::time::Duration, u64)> {
        self.share.recording()
    }

    /// Stops the recording, if one runs, and waits (bounded) until its file is finished and
    /// [`SharingEvent::RecordingStopped`] has been sent to every subscriber.
    fn finish_recording(&self) {
        if self.share.recording().is_none() {
            return self.share.stop_recording();
        }
        let events = self.events.subscribe();
        self.share.stop_recording();
        let deadline = std::time::Instant::now() + RECORDING_FINISHED_WITHIN;
        while let Ok(event) = events.recv_deadline(deadline) {
            if let SharingEvent::RecordingStopped { .. } = event {
                return;
            }
        }
    }

    /// Leaves the signalling server; viewers are told the share ended.
    pub fn stop(&self) {
        self.signaller.stop();
    }

    /// Ends the share on a thread of its own, for a front-end that must not wait: the far
    /// side is told (at most `within`), then the media is taken down. The receiver hears
    /// once the far side has been told or `within` has passed, so a process about to exit
    /// can wait for that.
    pub fn stop_in_background(self, within: std::time::Duration) -> flume::Receiver<()> {
        let (told, telling) = flume::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("sharing-stop".into())
            .spawn(move || {
                self.stop_and_wait(within);
                let _ = told.send(());
                drop(self);
            });
        if let Err(e) = spawned {
            tracing::warn!("the share could not be stopped in the background: {e}");
        }
        telling
    }

    /// Stops as [`Sharing::stop`] does and waits, at most `within`, until the far side has
    /// been told (Janus left, the WHIP resource deleted, the signalling server's session
    /// closed), for a process about to exit. False if that did not come in time.
    pub fn stop_and_wait(&self, within: std::time::Duration) -> bool {
        self.finish_recording();
        let events = self.signaller.subscribe();
        self.signaller.stop();
        let deadline = std::time::Instant::now() + within;
        while let Ok(event) = events.recv_deadline(deadline) {
            if matches!(event, SignallingEvent::State(SignallingState::Stopped)) {
                return true;
            }
        }
        false
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        self.signaller.stop();
    }
}

/// What the person does with the player that viewers must hear of: a seek shows a new
/// picture at once (a keyframe), the end of the video ends their sessions, which the viewer
/// page shows ("The share ended"), and playing again after that publishes again to an SFU.
fn follow_player(
    events: flume::Receiver<PlayerEvent>,
    stop: flume::Receiver<()>,
    share: std::sync::Weak<Share>,
    signaller: std::sync::Weak<dyn Signaller>,
) {
    let _ = std::thread::Builder::new()
        .name("sharing-player".into())
        .spawn(move || {
            let mut ended = false;
            loop {
                let event = flume::Selector::new()
                    .recv(&events, |e| e.ok())
                    .recv(&stop, |_| None)
                    .wait();
                let (Some(event), Some(share)) = (event, share.upgrade()) else {
                    return;
                };
                match event {
                    PlayerEvent::SeekDone(_) => share.request_keyframes(),
                    PlayerEvent::StreamsKnown(streams) => {
                        share.set_source_kinds(streams.iter().map(|s| s.kind).collect())
                    }
                    PlayerEvent::EndOfStream => {
                        ended = true;
                        share.remove_all_viewers("the video ended");
                    }
                    PlayerEvent::StateChanged(PlaybackState::Playing) if ended => {
                        ended = false;
                        if let Some(signaller) = signaller.upgrade() {
                            signaller.media_resumed();
                        }
                    }
                    _ => {}
                }
            }
        });
}

/// The one event that carries the link's secret: it is for the person to share.
fn link_event(server: &EmbeddedServer) -> SharingEvent {
    SharingEvent::ViewerUrl {
        url: server.viewer_url(),
        signalling: server.viewer_signalling_url(),
    }
}

/// Turns the call layer's, the signaller's and the capture's events into a person's view of
/// the share.
fn forward(
    share: flume::Receiver<ShareEvent>,
    signalling: flume::Receiver<SignallingEvent>,
    capture: flume::Receiver<CaptureEvent>,
    out: Arc<Broadcast<SharingEvent>>,
) {
    let _ = std::thread::Builder::new()
        .name("sharing-events".into())
        .spawn(move || loop {
            let event = flume::Selector::new()
                .recv(&share, |e| e.ok().map(from_share))
                .recv(&signalling, |e| e.ok().map(from_signalling))
                .recv(&capture, |e| e.ok().map(from_capture))
                .wait();
            match event {
                Some(Some(event)) => out.send(event),
                Some(None) => {}
                // One side closed: the share or the signaller is gone, so is the sharing.
                None => return,
            }
        });
}

fn from_share(event: ShareEvent) -> Option<SharingEvent> {
    Some(match event {
        ShareEvent::ViewerState { viewer, state } => SharingEvent::ViewerState { viewer, state },
        ShareEvent::ViewerStats(stats) => SharingEvent::Stats { stats },
        ShareEvent::ViewerRemoved { viewer, reason, .. } => {
            SharingEvent::ViewerLeft { viewer, reason }
        }
        ShareEvent::Error { viewer, message } => SharingEvent::Error { message, viewer },
        ShareEvent::Recording(RecordingEvent::Started { path }) => SharingEvent::RecordingStarted {
            path: path.display().to_string(),
        },
        ShareEvent::Recording(RecordingEvent::Stopped {
            path,
            duration,
            bytes,
            error,
        }) => SharingEvent::RecordingStopped {
            path: path.display().to_string(),
            duration_ms: duration.as_millis() as u64,
            bytes,
            error,
        },
        ShareEvent::LocalDescription { .. }
        | ShareEvent::LocalCandidate { .. }
        | ShareEvent::LocalCandidatesDone { .. } => return None,
    })
}

/// A track that could not be captured means viewers miss that kind: the person must know.
fn from_capture(event: CaptureEvent) -> Option<SharingEvent> {
    match event {
        CaptureEvent::Failed { error, .. } => Some(SharingEvent::Error {
            message: format!("{error}; viewers get no {} from this source", error.kind()),
            viewer: None,
        }),
        _ => None,
    }
}

fn from_signalling(event: SignallingEvent) -> Option<SharingEvent> {
    Some(match event {
        SignallingEvent::State(SignallingState::Connecting) => SharingEvent::Connecting,
        SignallingEvent::State(SignallingState::Registered { peer_id }) => {
            SharingEvent::Registered { peer_id }
        }
        SignallingEvent::State(SignallingState::Reconnecting {
            attempt,
            retry_in_ms,
        }) => SharingEvent::Reconnecting {
            attempt,
            retry_in_ms,
        },
        SignallingEvent::SessionRequested { session, name, .. } => SharingEvent::ViewerJoined {
            viewer: session,
            name,
        },
        SignallingEvent::ViewerNamed { session, name } => SharingEvent::ViewerNamed {
            viewer: session,
            name,
        },
        SignallingEvent::Error(message) => SharingEvent::Error {
            message,
            viewer: None,
        },
        SignallingEvent::State(SignallingState::Refused { reason }) => {
            SharingEvent::Refused { message: reason }
        }
        SignallingEvent::State(SignallingState::Stopped)
        | SignallingEvent::RemoteSdp { .. }
        | SignallingEvent::RemoteIce { .. }
        | SignallingEvent::SessionEnded { .. }
        | SignallingEvent::SessionMisbehaved { .. } => return None,
    })
}
