//! The public handle of a share: what the sharing layer and signalling call.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use gst::prelude::*;

use super::actor::Actor;
use super::build_error::BuildError;
use super::bus::watch_bus;
use super::codec::Ssrcs;
use super::command::Command;
use super::config::ShareConfig;
use super::error::ShareError;
use super::events::{SdpKind, ShareEvent, ShareSnapshot};
use super::input::Inputs;
use super::reaper::Reaper;
use super::tracks::follow_tracks;
use crate::capture::MediaStream;
use crate::media::MediaKind;
use crate::util::Broadcast;

/// Sends what a player captures to remote viewers over WebRTC: one sending pipeline, one
/// encoder per codec in use whatever the number of viewers, one webrtcbin per viewer.
///
/// All pipeline changes happen on one thread (an actor, [`Actor`]) that owns the viewers and
/// encoders; the methods here send it commands. Signalling plugs in through [`Share::add_viewer`],
/// [`Share::set_remote_description`], [`Share::add_remote_candidate`] and the events.
pub struct Share {
    commands: flume::Sender<Command>,
    events: Arc<Broadcast<ShareEvent>>,
    pipeline: gst::Pipeline,
    inputs: Arc<Inputs>,
    recording: super::taps::RecordingShown,
    video_codec: super::codec::Codec,
    actor: Option<JoinHandle<()>>,
}

impl Share {
    pub fn new(config: ShareConfig) -> Result<Self, ShareError> {
        crate::init().map_err(BuildError::gst)?;
        // Plugins and the DTLS certificate a join needs, made while the share starts.
        super::warm::in_background();
        let pipeline = gst::Pipeline::with_name("share");
        // The same monotonic clock as the player's, so capture timestamps are ours too.
        pipeline.use_clock(Some(&gst::SystemClock::obtain()));
        let inputs = Arc::new(Inputs::new(&pipeline, config.limits)?);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(BuildError::gst)?;
        let events = Arc::new(Broadcast::default());
        let (commands, receiver) = flume::unbounded();
        watch_bus(&pipeline, &events, &commands);
        let reaper = Reaper::start(&pipeline, &events, &commands).map_err(BuildError::gst)?;
        let recording = super::taps::RecordingShown::default();
        let video_codec = config.video_codec;
        let actor = Actor {
            pipeline: pipeline.clone(),
            config,
            inputs: inputs.clone(),
            events: events.clone(),
            commands: commands.clone(),
            reaper,
            viewers: HashMap::new(),
            encoders: HashMap::new(),
            ladders: HashMap::new(),
            keyframes_due: HashMap::new(),
            ssrcs: Ssrcs::random(),
            source_kinds: None,
            check_kinds_at: None,
            next_serial: 0,
            recording: Default::default(),
            finishing: Vec::new(),
            recording_shown: recording.clone(),
            warm: Default::default(),
        };
        let actor = std::thread::Builder::new()
            .name("share".into())
            .spawn(move || actor.run(receiver))
            .map_err(BuildError::gst)?;
        Ok(Self {
            commands,
            events,
            pipeline,
            inputs,
            recording,
            video_codec,
            actor: Some(actor),
        })
    }

    pub fn subscribe(&self) -> flume::Receiver<ShareEvent> {
        self.events.subscribe()
    }

    /// Sends what `stream` captures, following its tracks: a new track of a kind replaces the
    /// old one in place, with no renegotiation (the web's `replaceTrack()`).
    pub fn attach(&self, stream: &MediaStream) {
        let events = stream.subscribe();
        for track in stream.tracks() {
            self.inputs.of(track.kind()).feed(&track, &self.pipeline);
        }
        let inputs = Arc::downgrade(&self.inputs);
        let pipeline = self.pipeline.downgrade();
        let commands = self.commands.clone();
        let _ = self.commands.send(Command::TracksChanged);
        let _ = std::thread::Builder::new()
            .name("share-tracks".into())
            .spawn(move || follow_tracks(events, inputs, pipeline, commands));
    }

    fn call(
        &self,
        make: impl FnOnce(flume::Sender<Result<(), ShareError>>) -> Command,
    ) -> Result<(), ShareError> {
        let (tx, rx) = flume::bounded(1);
        self.commands
            .send(make(tx))
            .map_err(|_| ShareError::Stopped)?;
        rx.recv().map_err(|_| ShareError::Stopped)?
    }

    /// Adds a viewer; its offer arrives as [`ShareEvent::LocalDescription`].
    pub fn add_viewer(&self, id: &str) -> Result<(), ShareError> {
        self.add_viewer_with(id, &[])
    }

    /// [`Share::add_viewer`], with STUN and TURN servers for this viewer's connection besides
    /// the configured ones (`stun://host:port`, `turn://user:password@host:port`), such as a
    /// WHIP endpoint names.
    pub fn add_viewer_with(&self, id: &str, ice_servers: &[String]) -> Result<(), ShareError> {
        self.call(|reply| Command::AddViewer {
            id: id.to_owned(),
            ice_servers: ice_servers.to_vec(),
            publication: false,
            reply,
        })
    }

    /// [`Share::add_viewer_with`] for an SFU or media server that forwards the share to its
    /// own subscribers (Janus, a WHIP endpoint): it is offered every rung of the ladder as
    /// simulcast, unless [`ShareConfig::simulcast`](super::ShareConfig) is off; one that
    /// refuses it gets one rung, as any viewer does.
    pub fn add_publication(&self, id: &str, ice_servers: &[String]) -> Result<(), ShareError> {
        self.call(|reply| Command::AddViewer {
            id: id.to_owned(),
            ice_servers: ice_servers.to_vec(),
            publication: true,
            reply,
        })
    }

    /// The viewer's answer (or, later, its offer).
    pub fn set_remote_description(
        &self,
        id: &str,
        kind: SdpKind,
        sdp: &str,
    ) -> Result<(), ShareError> {
        self.call(|reply| Command::RemoteDescription {
            id: id.to_owned(),
            kind,
            sdp: sdp.to_owned(),
            reply,
        })
    }

    pub fn add_remote_candidate(&self, id: &str, mline: u32, candidate: &str) {
        let _ = self.commands.send(Command::RemoteCandidate {
            id: id.to_owned(),
            mline,
            candidate: candidate.to_owned(),
        });
    }

    /// Removes a viewer and frees everything it used.
    pub fn remove_viewer(&self, id: &str, reason: &str) {
        let _ = self.commands.send(Command::RemoveViewer {
            id: id.to_owned(),
            reason: reason.to_owned(),
            failed: false,
        });
    }

    /// Removes a viewer whose connection cannot go on (say, its answer was unusable): as
    /// [`Share::remove_viewer`], but the removal is reported as a failure.
    pub fn remove_failed_viewer(&self, id: &str, reason: &str) {
        let _ = self.commands.send(Command::RemoveViewer {
            id: id.to_owned(),
            reason: reason.to_owned(),
            failed: true,
        });
    }

    pub fn snapshot(&self) -> ShareSnapshot {
        let (tx, rx) = flume::bounded(1);
        if self.commands.send(Command::Snapshot(tx)).is_err() {
            return ShareSnapshot::default();
        }
        rx.recv().unwrap_or_default()
    }

    /// Asks every video encoder for a keyframe now, e.g. after the person seeked: viewers then
    /// see the new position whole at once.
    pub fn request_keyframes(&self) {
        let _ = self.commands.send(Command::RequestKeyframes);
    }

    /// Tells the share which kinds of media the source now playing has (the player knows
    /// before the first samples arrive). With it, a kind the source lacks is switched off for
    /// the viewers; without it, kinds are only ever added.
    pub fn set_source_kinds(&self, kinds: Vec<MediaKind>) {
        let _ = self.commands.send(Command::SourceKinds(kinds));
    }

    /// Ends every viewer's session (e.g. the video ended), with `reason` in the events.
    pub fn remove_all_viewers(&self, reason: &str) {
        for id in self.snapshot().viewers {
            self.remove_viewer(&id, reason);
        }
    }

    /// Records what the viewers get to `path`, a new file (`.webm`, `.mkv` or `.mp4`): the
    /// top rung's video and the audio as they leave the encoders, which run for it even with
    /// nobody watching. It starts once the source's media is known; a name that cannot be
    /// written, or a container that cannot hold the share's codec, is refused here.
    /// [`ShareEvent::Recording`] tells when the file begins and ends.
    pub fn start_recording(&self, path: &std::path::Path) -> Result<(), ShareError> {
        self.call(|reply| Command::StartRecording {
            path: path.to_owned(),
            reply,
        })
    }

    /// The video codec offered first, which a recording is written in.
    pub fn video_codec(&self) -> super::codec::Codec {
        self.video_codec
    }

    /// Finishes the recording, in the background.
    pub fn stop_recording(&self) {
        let _ = self.commands.send(Command::StopRecording);
    }

    /// The file being recorded, how long it lasts and its size in bytes, without waiting.
    pub fn recording(&self) -> Option<(std::path::PathBuf, std::time::Duration, u64)> {
        let shown = self.recording.lock().unwrap();
        let (path, progress) = shown.as_ref()?;
        Some((path.clone(), progress.duration(), progress.bytes()))
    }

    /// The sending pipeline, for inspection.
    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.pipeline
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(actor) = self.actor.take() {
            let _ = actor.join();
        }
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
