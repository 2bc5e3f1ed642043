//! The share's actor: the one thread that owns the viewers and encoders and changes the
//! sending pipeline. It never waits on GStreamer: answers and stats come back as messages,
//! and removed viewers are taken apart by the reaper.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::candidate::{check_candidate, CandidateError, MAX_CANDIDATES};
use super::codec::{Codec, Ssrcs};
use super::command::{Command, ViewerKey};
use super::config::ShareConfig;
use super::controller::{start_step, Action, Bitrate, Input, Step};
use super::encoder::EncoderChain;
use super::error::ShareError;
use super::events::{
    ConnectionState, RungStats, SdpKind, ShareEvent, ShareSnapshot, ViewerId, ViewerStats,
};
use super::input::Inputs;
use super::ladder::Ladder;
use super::policy::{kinds_to_send, offered_kinds};
use super::reaper::{Job, Reaper};
use super::simulcast::{Simulcast, SimulcastPath};
use super::stats::{fresh_loss, StatsSample};
use super::taps::{Recording, RecordingShown};
use super::video_path::VideoPath;
use super::viewer::{Feed, PendingAnswer, Viewer, ViewerPlan};
use crate::media::MediaKind;
use crate::util::Broadcast;

/// A source change ends the old tracks and adds new ones a moment later: the kinds captured
/// are compared with each viewer's once they have been still this long, so a switch between
/// files of the same kinds never renegotiates.
const KINDS_SETTLE: Duration = Duration::from_millis(400);

const TICK: Duration = Duration::from_secs(1);

/// A move whose keyframe has not come within this long asks again (an encoder may forget a
/// request: x264enc does when it has just made a keyframe of its own).
const ASK_AGAIN: Duration = Duration::from_secs(1);

/// A move whose keyframe has not come within this long is given up.
const STALE_MOVE: Duration = Duration::from_secs(3);

pub(crate) struct Actor {
    pub pipeline: gst::Pipeline,
    pub config: ShareConfig,
    pub inputs: Arc<Inputs>,
    pub events: Arc<Broadcast<ShareEvent>>,
    pub commands: flume::Sender<Command>,
    pub reaper: Reaper,
    pub viewers: HashMap<ViewerId, Viewer>,
    /// The audio encoder (shared by every viewer).
    pub encoders: HashMap<Codec, EncoderChain>,
    /// Each video codec's encoder ladder.
    pub ladders: HashMap<Codec, Ladder>,
    /// Keyframe requests the throttle deferred: (codec, rung) and when to ask again.
    pub keyframes_due: HashMap<(Codec, usize), Instant>,
    pub ssrcs: Ssrcs,
    /// What the source playing now has, when the player said ([`super::Share::set_source_kinds`]).
    pub source_kinds: Option<Vec<MediaKind>>,
    /// When to compare each viewer's media with the kinds captured (see [`KINDS_SETTLE`]).
    pub check_kinds_at: Option<Instant>,
    /// Serial numbers tell a viewer from an earlier one of the same id.
    pub next_serial: u64,
    pub recording: Recording,
    /// Stopped recordings whose files are being finished.
    pub finishing: Vec<crate::record::Recorder>,
    pub recording_shown: RecordingShown,
    /// The rung kept running for the first viewers ([`super::warm`]).
    pub warm: super::warm_rung::WarmRung,
}

impl Actor {
    pub(crate) fn run(mut self, commands: flume::Receiver<Command>) {
        let mut next_tick = Instant::now() + TICK;
        loop {
            let deadline = self
                .check_kinds_at
                .into_iter()
                .chain(self.keyframes_due.values().copied())
                .fold(next_tick, Instant::min);
            match commands.recv_deadline(deadline) {
                Ok(Command::Stop) | Err(flume::RecvTimeoutError::Disconnected) => break,
                Ok(command) => self.handle(command),
                Err(flume::RecvTimeoutError::Timeout) => {}
            }
            // Timers run whether or not messages keep coming.
            let now = Instant::now();
            if self.check_kinds_at.is_some_and(|at| at <= now) {
                self.check_kinds_at = None;
                self.renegotiate_changed_kinds();
            }
            self.ask_due_keyframes(now);
            if next_tick <= now {
                next_tick = now + TICK;
                self.tick();
            }
        }
        let ids: Vec<ViewerId> = self.viewers.keys().cloned().collect();
        for id in ids {
            self.remove_viewer(&id, "the share stopped", false);
        }
        self.stop_recording();
        // The share is going away: wait for every viewer to be taken apart and every file
        // to be finished (each bounded).
        self.reaper.finish();
        for recorder in self.finishing.drain(..) {
            recorder.finish();
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::AddViewer {
                id,
                ice_servers,
                publication,
                reply,
            } => {
                let _ = reply.send(self.add_viewer(&id, &ice_servers, publication));
            }
            Command::RemoteDescription {
                id,
                kind,
                sdp,
                reply,
            } => {
                if let Err(e) = self.remote_description(&id, kind, &sdp, reply.clone()) {
                    self.events.send(ShareEvent::Error {
                        viewer: Some(id.clone()),
                        message: e.to_string(),
                    });
                    let _ = reply.send(Err(e));
                }
            }
            Command::RemoteCandidate {
                id,
                mline,
                candidate,
            } => self.remote_candidate(&id, mline, &candidate),
            Command::RemoveViewer { id, reason, failed } => {
                self.remove_viewer(&id, &reason, failed)
            }
            Command::RequestKeyframes => {
                let now = Instant::now();
                for rung in self.ladders.values().flat_map(|l| &l.rungs) {
                    if !rung.is_parked() {
                        rung.force_keyframe(now);
                    }
                }
            }
            Command::TracksChanged => {
                self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
            }
            Command::SourceKinds(kinds) => {
                self.source_kinds = Some(kinds);
                // Known before the first frame: a recording asked for begins with it.
                self.start_waiting_recording();
                self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
            }
            Command::StartRecording { path, reply } => {
                let _ = reply.send(self.start_recording(path));
            }
            Command::StopRecording => self.stop_recording(),
            Command::RecordingEnded(path) => self.recording_ended(&path),
            Command::RecalculateLatency => {
                let _ = self.pipeline.recalculate_latency();
            }
            Command::Snapshot(reply) => {
                let _ = reply.send(self.snapshot());
            }
            Command::Stop => {}
            Command::OfferFailed(key) => {
                if self.is_current(&key) {
                    self.remove_viewer(&key.id, "could not create an offer", true);
                }
            }
            Command::AnswerApplied { viewer, error } => self.answer_applied(&viewer, error),
            Command::ConnectionChanged { viewer, state } => self.connection_changed(&viewer, state),
            Command::Heard(key) => {
                if let Some(viewer) = self.current_mut(&key) {
                    viewer.last_heard = Instant::now();
                }
            }
            Command::Stats { viewer, sample } => self.stats_arrived(&viewer, sample),
            Command::Estimate { viewer, bitrate } => {
                if self.is_current(&viewer) {
                    let ladder = self.ladder_for(&viewer.id);
                    let bitrate = Bitrate::bps(bitrate);
                    self.control(&viewer.id, Input::Estimate { bitrate, ladder });
                }
            }
            Command::KeyframeWanted(viewer) => {
                if self.is_current(&viewer) {
                    self.control(&viewer.id, Input::KeyframeWanted);
                }
            }
            Command::RungKeyframeWanted { viewer, rung } => {
                let codec = self
                    .current_mut(&viewer)
                    .and_then(|v| v.simulcast_path())
                    .map(SimulcastPath::codec);
                tracing::debug!(viewer = %viewer.id, rung, "the SFU asked for a keyframe");
                if let Some(codec) = codec {
                    self.ask_keyframe(codec, rung, Instant::now());
                }
            }
            Command::MoveNeedsKeyframe(viewer) => {
                let target = self
                    .current_mut(&viewer)
                    .and_then(|v| v.video_path())
                    .and_then(|p| Some((p.codec(), p.moving_to()?)));
                if let Some((codec, rung)) = target {
                    if let Some(r) = self.ladders.get(&codec).and_then(|l| l.rungs.get(rung)) {
                        r.force_keyframe(Instant::now());
                    }
                }
            }
            Command::Reaped => self.park_idle_encoders(),
        }
    }

    fn snapshot(&self) -> ShareSnapshot {
        let (parked, running): (Vec<_>, Vec<_>) =
            self.encoders.values().partition(|e| e.is_parked());
        let mut encoders: Vec<_> = running
            .iter()
            .map(|e| (e.codec(), e.viewer_count()))
            .collect();
        let mut parked: Vec<_> = parked.iter().map(|e| (e.codec(), e.frames())).collect();
        // A ladder counts as one encoder: running while any rung runs.
        for ladder in self.ladders.values() {
            if ladder.rungs.iter().all(|r| r.is_parked()) {
                let frames = (0..ladder.rungs.len()).map(|i| ladder.frames(i)).sum();
                parked.push((ladder.codec, frames));
            } else {
                let viewers = self
                    .viewers
                    .values()
                    .filter(|v| v.video_path().is_some_and(|p| p.codec() == ladder.codec))
                    .count();
                encoders.push((ladder.codec, viewers));
            }
        }
        encoders.sort_by_key(|(c, _)| c.to_string());
        parked.sort_by_key(|(c, _)| c.to_string());
        ShareSnapshot {
            viewers: self.viewers.keys().cloned().collect(),
            encoders,
            parked,
        }
    }

    fn is_current(&self, key: &ViewerKey) -> bool {
        self.viewers.get(&key.id).is_some_and(|v| v.key == *key)
    }

    /// The viewer a callback's message is about, if it is still the same one.
    pub(super) fn current_mut(&mut self, key: &ViewerKey) -> Option<&mut Viewer> {
        self.viewers.get_mut(&key.id).filter(|v| v.key == *key)
    }

    fn add_viewer(
        &mut self,
        id: &ViewerId,
        ice_servers: &[String],
        publication: bool,
    ) -> Result<(), ShareError> {
        if self.viewers.contains_key(id) {
            return Err(ShareError::DuplicateViewer(id.clone()));
        }
        if self.viewers.len() >= self.config.max_viewers {
            return Err(ShareError::TooManyViewers {
                viewer: id.clone(),
                max: self.config.max_viewers,
            });
        }
        let kinds = offered_kinds(self.source_kinds.as_deref(), &self.inputs.captured_kinds());
        let plan = ViewerPlan {
            config: &self.config,
            ice_servers,
            ssrcs: self.ssrcs,
            kinds: &kinds,
            simulcast: publication && self.config.simulcast == Simulcast::On,
        };
        self.next_serial += 1;
        let key = ViewerKey {
            id: id.clone(),
            serial: self.next_serial,
        };
        let viewer = Viewer::create(&self.pipeline, key, plan, &self.events, &self.commands)
            .map_err(|e| ShareError::Negotiation {
                viewer: id.clone(),
                cause: e.to_string(),
            })?;
        tracing::info!(viewer = %id, ?kinds, publication, "viewer added");
        self.viewers.insert(id.clone(), viewer);
        Ok(())
    }

    /// A viewer's candidate, if it is one: bounded, plain text, and not one too many. A
    /// refusal is that viewer's alone; it is said once for a flood.
    fn remote_candidate(&mut self, id: &ViewerId, mline: u32, candidate: &str) {
        let Some(viewer) = self.viewers.get_mut(id) else {
            tracing::debug!(viewer = %id, "candidate for an unknown viewer dropped");
            return;
        };
        viewer.candidates = viewer.candidates.saturating_add(1);
        let checked = match viewer.candidates {
            n if n == MAX_CANDIDATES + 1 => Err(CandidateError::TooMany),
            n if n > MAX_CANDIDATES => return,
            _ => check_candidate(candidate),
        };
        match checked {
            Ok(()) => viewer.add_candidate(mline, candidate),
            Err(e) => {
                tracing::warn!(viewer = %id, "{e}");
                self.events.send(ShareEvent::Error {
                    viewer: Some(id.clone()),
                    message: e.to_string(),
                });
            }
        }
    }

    /// Starts applying a viewer's answer; the caller hears the outcome once webrtcbin has
    /// taken it ([`Actor::answer_applied`]).
    fn remote_description(
        &mut self,
        id: &ViewerId,
        kind: SdpKind,
        sdp: &str,
        reply: flume::Sender<Result<(), ShareError>>,
    ) -> Result<(), ShareError> {
        let negotiation = |cause: String| ShareError::Negotiation {
            viewer: id.clone(),
            cause,
        };
        if kind != SdpKind::Answer {
            return Err(negotiation(
                "viewers answer our offer; an offer from a viewer is not supported yet".into(),
            ));
        }
        let commands = self.commands.clone();
        let viewer = self
            .viewers
            .get_mut(id)
            .ok_or_else(|| ShareError::UnknownViewer(id.clone()))?;
        if viewer.pending_answer.is_some() {
            return Err(negotiation("an answer is already being applied".into()));
        }
        let codecs = viewer
            .apply_answer(sdp, &commands)
            .map_err(|e| negotiation(e.to_string()))?;
        viewer.pending_answer = Some(PendingAnswer { codecs, reply });
        Ok(())
    }

    fn answer_applied(&mut self, key: &ViewerKey, error: Option<String>) {
        let Some(viewer) = self.current_mut(key) else {
            return;
        };
        let Some(PendingAnswer { codecs, reply }) = viewer.pending_answer.take() else {
            return;
        };
        let result = match error {
            Some(cause) => Err(cause),
            None if codecs.iter().all(Option::is_none) => {
                Err("the answer accepts none of our codecs".to_owned())
            }
            None => {
                viewer.answer_applied(&codecs);
                if viewer.connection == ConnectionState::Connected {
                    self.link_encoders(&key.id, &codecs)
                        .map_err(|e| e.to_string())
                } else {
                    // Encoding starts once its media is up (Actor::viewer_connected).
                    viewer.awaiting_media = Some(codecs);
                    Ok(())
                }
            }
        };
        let result = result.map_err(|cause| ShareError::Negotiation {
            viewer: key.id.clone(),
            cause,
        });
        match &result {
            Ok(()) => {
                let codec = self.viewers.get(&key.id).and_then(Viewer::video_codec);
                tracing::info!(viewer = %key.id, ?codec, "viewer negotiated");
            }
            Err(e) => self.events.send(ShareEvent::Error {
                viewer: Some(key.id.clone()),
                message: e.to_string(),
            }),
        }
        let _ = reply.send(result);
        // The kinds may have changed while this negotiation was under way.
        self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
    }

    /// Feeds each newly negotiated m-line: audio from the shared encoder of its codec, video
    /// from a rung of its codec's ladder; building or resuming what is needed.
    fn link_encoders(&mut self, id: &ViewerId, codecs: &[Option<Codec>]) -> Result<(), ShareError> {
        for (index, codec) in codecs.iter().enumerate() {
            let Some(codec) = *codec else { continue };
            let media = &self.viewers[id].media[index];
            // Linked in an earlier negotiation, or switched off in this one.
            if media.feed.is_some() || !media.active {
                continue;
            }
            match codec.kind() {
                MediaKind::Audio => self.link_audio(id, index, codec)?,
                MediaKind::Video => self.link_video(id, index, codec)?,
            }
        }
        Ok(())
    }

    /// The shared encoder of audio `codec`, built if need be.
    pub(super) fn ensure_audio(&mut self, codec: Codec) -> Result<(), ShareError> {
        if !self.encoders.contains_key(&codec) {
            let input = self.inputs.of(codec.kind());
            let ssrc = self.ssrcs.of(codec.kind());
            let chain = EncoderChain::new(
                &self.pipeline,
                input.raw_tee(),
                codec,
                self.config.audio_bitrate,
                ssrc,
            )?;
            self.encoders.insert(codec, chain);
        }
        Ok(())
    }

    /// The ladder of video `codec`, built (parked) if need be.
    pub(super) fn ensure_ladder(&mut self, codec: Codec) -> Result<(), ShareError> {
        if !self.ladders.contains_key(&codec) {
            let input = self.inputs.of(MediaKind::Video);
            let ladder = Ladder::new(
                &self.pipeline,
                input.raw_tee(),
                codec,
                self.config.min_video_bitrate,
                self.config.max_video_bitrate,
            )?;
            self.ladders.insert(codec, ladder);
        }
        Ok(())
    }

    fn link_audio(&mut self, id: &ViewerId, index: usize, codec: Codec) -> Result<(), ShareError> {
        self.ensure_audio(codec)?;
        let encoder = &self.encoders[&codec];
        encoder.unpark();
        let media = &mut self.viewers.get_mut(id).expect("checked").media[index];
        media.feed = Some(Feed::Shared(
            encoder.link_viewer(&self.pipeline, &media.sink_pad)?,
        ));
        Ok(())
    }

    /// The viewer's own video path, on the rung its controller starts it on; it climbs from
    /// there as its link allows.
    fn link_video(&mut self, id: &ViewerId, index: usize, codec: Codec) -> Result<(), ShareError> {
        self.ensure_ladder(codec)?;
        if self.viewers[id].simulcast_taken {
            return self.link_simulcast(id, index, codec);
        }
        let costs = self.step_costs(codec);
        // The rung kept warm (see `warm`), at its nominal rate.
        let start = Some(start_step(&self.ladders[&codec].usable()));
        let now = Instant::now();
        let ssrc = self.ssrcs.of(MediaKind::Video);
        let viewer = self.viewers.get_mut(id).expect("checked");
        let actions = viewer
            .control
            .input(now, Input::VideoLinked { costs, start });
        let first = actions.iter().find_map(|a| match a {
            Action::MoveTo { rung, joined: true } => Some(Step::at(*rung).rung),
            _ => None,
        });
        let first = first.expect("a joiner is given its first rung");
        // Video switched back on goes on with the same RTP stream where it stopped.
        let mut path = VideoPath::new(
            &self.pipeline,
            &viewer.media[index].sink_pad,
            (codec, ssrc, viewer.video_continuity),
            (&viewer.key, &viewer.playout_delay, viewer.pacer.as_ref()),
            &self.commands,
        )?;
        let rung = &self.ladders[&codec].rungs[first];
        if rung.is_parked() {
            rung.unpark();
            // Its encoder went on from where it was parked: only a keyframe can start anyone.
            rung.force_keyframe(now);
        }
        let gone = path.move_to(&self.pipeline, rung)?;
        debug_assert!(gone.is_empty());
        let connected = viewer.connection == ConnectionState::Connected;
        viewer.media[index].feed = Some(Feed::Ladder(path));
        if connected {
            // Video added to a running call: its first frame must be a keyframe.
            self.ask_keyframe(codec, first, now);
        }
        self.apply(id, actions, now);
        self.raise_rungs(codec);
        Ok(())
    }

    fn connection_changed(&mut self, key: &ViewerKey, state: ConnectionState) {
        let Some(viewer) = self.current_mut(key) else {
            return;
        };
        viewer.connection = state;
        self.events.send(ShareEvent::ViewerState {
            viewer: key.id.clone(),
            state,
        });
        match state {
            ConnectionState::Connected => self.viewer_connected(&key.id),
            ConnectionState::Failed => {
                self.remove_viewer(&key.id, "the connection failed (ICE or DTLS)", true)
            }
            _ => {}
        }
    }

    /// The web's addTrack()/removeTrack() and a new offer: each viewer whose media differ
    /// from what it should be sent ([`kinds_to_send`]) renegotiates, on the same connection.
    fn renegotiate_changed_kinds(&mut self) {
        self.start_waiting_recording();
        self.prepare_for_joins();
        let captured = self.inputs.captured_kinds();
        let ids: Vec<ViewerId> = self.viewers.keys().cloned().collect();
        for id in ids {
            let viewer = self.viewers.get_mut(&id).expect("listed above");
            if viewer.is_negotiating() {
                continue;
            }
            let active = viewer.active_kinds();
            let Some(kinds) = kinds_to_send(self.source_kinds.as_deref(), &captured, &active)
            else {
                continue;
            };
            tracing::info!(viewer = %id, ?kinds, "the kinds sent change: renegotiating");
            let links = viewer.switch_off_except(&kinds);
            if !links.is_empty() {
                self.reaper.reap(Job::Links(links));
            }
            if let Err(cause) =
                viewer.renegotiate(&kinds, &self.config, &self.events, &self.commands)
            {
                self.events.send(ShareEvent::Error {
                    viewer: Some(id.clone()),
                    message: format!("could not renegotiate: {cause}"),
                });
            }
        }
    }

    /// A joining viewer's encoders start once its media is up (ICE and DTLS connected), not at
    /// the answer: a join that never connects costs no encoding. And it needs a keyframe to
    /// start decoding, asked for now: one sent before DTLS is up is dropped, and the viewer
    /// would wait for its own PLI to get another.
    fn viewer_connected(&mut self, id: &ViewerId) {
        let Some(codecs) = self
            .viewers
            .get_mut(id)
            .and_then(|v| v.awaiting_media.take())
        else {
            return self.request_viewer_keyframes(id);
        };
        // Linking a connected viewer's video asks its rung for a keyframe.
        match self.link_encoders(id, &codecs) {
            Ok(()) => {}
            Err(e) => {
                self.events.send(ShareEvent::Error {
                    viewer: Some(id.clone()),
                    message: e.to_string(),
                });
                self.remove_viewer(id, &e.to_string(), true);
            }
        }
    }

    fn request_viewer_keyframes(&mut self, id: &ViewerId) {
        if let Some(path) = self.viewers.get(id).and_then(|v| v.simulcast_path()) {
            let (codec, rungs) = (path.codec(), path.rungs());
            for rung in rungs {
                self.ask_keyframe(codec, rung, Instant::now());
            }
            return;
        }
        let Some(path) = self.viewers.get(id).and_then(|v| v.video_path()) else {
            return;
        };
        let (codec, rung) = (path.codec(), path.moving_to().or(path.rung()));
        if let Some(rung) = rung {
            self.ask_keyframe(codec, rung, Instant::now());
        }
    }

    /// Hands the viewer to the reaper; [`ShareEvent::ViewerRemoved`] follows once it is freed.
    fn remove_viewer(&mut self, id: &ViewerId, reason: &str, failed: bool) {
        let Some(mut viewer) = self.viewers.remove(id) else {
            return;
        };
        if let Some(pending) = viewer.pending_answer.take() {
            let _ = pending
                .reply
                .send(Err(ShareError::UnknownViewer(id.clone())));
        }
        let (webrtcbin, links) = viewer.into_parts();
        self.reaper.reap(Job::Viewer {
            id: id.clone(),
            reason: reason.to_owned(),
            failed,
            webrtcbin,
            links,
        });
    }

    /// Once a second: liveness, and a stats request to each viewer (the numbers and the
    /// bitrate they lead to come back in [`Actor::stats_arrived`]).
    fn tick(&mut self) {
        let now = Instant::now();
        let mut gone = Vec::new();
        let mut never_connected = Vec::new();
        for viewer in self.viewers.values_mut() {
            let connected = viewer.connection == ConnectionState::Connected;
            if connected && now.duration_since(viewer.last_heard) > self.config.viewer_timeout {
                gone.push(viewer.id().clone());
                continue;
            }
            let connecting = matches!(
                viewer.connection,
                ConnectionState::New | ConnectionState::Connecting
            );
            if connecting && now.duration_since(viewer.joined) > self.config.connect_timeout {
                never_connected.push(viewer.id().clone());
                continue;
            }
            viewer.request_stats(&self.commands, now);
        }
        for ladder in self.ladders.values() {
            ladder.measure(now);
        }
        self.end_grace(now);
        // Branches to rungs a viewer has left, once its move is done; a move whose keyframe
        // never came is given up (the viewer stays where it is, and may try again).
        let mut settled = Vec::new();
        let mut keyframes = Vec::new();
        let mut given_up = Vec::new();
        for viewer in self.viewers.values_mut() {
            let Some(path) = viewer.video_path_mut() else {
                continue;
            };
            if path.move_waiting().is_some_and(|w| w > ASK_AGAIN) {
                if let Some(rung) = path.moving_to() {
                    keyframes.push((path.codec(), rung));
                }
            }
            if path.give_up_stale_move(STALE_MOVE) {
                let rung = path.rung();
                tracing::info!(viewer = %viewer.key.id, ?rung, "a move got no keyframe: given up");
                if let Some(rung) = rung {
                    given_up.push((viewer.key.id.clone(), rung));
                }
            }
            if let Some(path) = viewer.video_path_mut() {
                settled.extend(path.settle());
            }
        }
        if !settled.is_empty() {
            self.reaper.reap(Job::Links(settled));
        }
        for (codec, rung) in keyframes {
            self.ask_keyframe(codec, rung, now);
        }
        for (id, rung) in given_up {
            let rung = Step::nominal(rung).index();
            self.control(&id, Input::MoveGivenUp { rung });
        }
        for id in gone {
            self.remove_viewer(&id, "the viewer stopped responding", true);
        }
        for id in never_connected {
            let reason = format!(
                "no connection within {} s (ICE or DTLS)",
                self.config.connect_timeout.as_secs()
            );
            self.remove_viewer(&id, &reason, true);
        }
    }

    fn stats_arrived(&mut self, key: &ViewerKey, sample: Option<StatsSample>) {
        // Disjoint borrows: the viewer is changed while the ladders and config are read.
        let ladder = self.ladder_for(&key.id);
        let Self {
            viewers,
            ladders,
            events,
            ..
        } = self;
        let Some(viewer) = viewers.get_mut(&key.id).filter(|v| v.key == *key) else {
            return;
        };
        viewer.stats_asked = None;
        let Some(sample) = sample else { return };
        let rung = viewer.video_path().and_then(|p| {
            let ladder = ladders.get(&p.codec())?;
            let index = p.rung()?;
            Some((ladder.rung_stats(index)?, ladder.frames(index)))
        });
        let published = viewer.simulcast_path().map_or_else(Vec::new, |p| {
            let Some(ladder) = ladders.get(&p.codec()) else {
                return Vec::new();
            };
            p.rungs()
                .into_iter()
                .filter_map(|index| ladder.rung_stats(index))
                .collect()
        });
        let now = Instant::now();
        let report = Input::Report {
            loss: fresh_loss(&mut viewer.report_seqs, &sample.reports),
            rtt: sample.rtt,
            nacks: sample.nack_count,
            ladder,
        };
        let actions = viewer.control.input(now, report);
        let mut stats = viewer_stats(viewer, rung, &sample, now);
        stats.published = published;
        events.send(ShareEvent::ViewerStats(stats));
        self.apply(&key.id, actions, now);
    }
}

fn viewer_stats(
    viewer: &mut Viewer,
    rung: Option<(RungStats, u64)>,
    sample: &StatsSample,
    now: Instant,
) -> ViewerStats {
    let bitrate = match viewer.previous_bytes {
        Some((bytes, at)) if sample.bytes_sent >= bytes => {
            ((sample.bytes_sent - bytes) * 8) as f64 / now.duration_since(at).as_secs_f64()
        }
        _ => 0.0,
    };
    viewer.previous_bytes = Some((sample.bytes_sent, now));
    let frames = rung.map(|(_, frames)| frames);
    let frame_rate = match (frames, viewer.previous_frames) {
        (Some(f), Some((prev, at))) if f >= prev => {
            (f - prev) as f64 / now.duration_since(at).as_secs_f64()
        }
        _ => 0.0,
    };
    viewer.previous_frames = frames.map(|f| (f, now));
    ViewerStats {
        viewer: viewer.id().clone(),
        connection: viewer.connection,
        video_codec: viewer.video_codec(),
        bitrate: bitrate as u64,
        frame_rate,
        rtt: sample.rtt,
        packet_loss: sample.fraction_lost(),
        nack_count: sample.nack_count,
        keyframe_requests: viewer.keyframe_requests(),
        target_bitrate: viewer.control.controller().link_estimate().as_bps(),
        rung: rung.map(|(r, _)| r),
        published: Vec::new(),
    }
}
