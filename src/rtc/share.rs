use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::codec::Ssrcs;
use super::encoder::EncoderChain;
use super::events::{ConnectionState, SdpKind, ShareEvent, ViewerId, ViewerStats};
use super::input::{Input, VideoLimits};
use super::stats::{read_stats, StatsSample};
use super::viewer::{Viewer, ViewerPlan};
use super::Codec;
use crate::capture::{CaptureEvent, MediaStream};
use crate::media::MediaKind;
use crate::util::Broadcast;

#[derive(Debug, Clone)]
pub struct ShareConfig {
    /// The video codec offered first; viewers may answer with another we support.
    pub video_codec: Codec,
    /// Video bitrate bounds and start, in bits per second.
    pub max_video_bitrate: u32,
    pub min_video_bitrate: u32,
    pub start_video_bitrate: u32,
    pub audio_bitrate: u32,
    /// `stun://host:port`; none by default, so nothing leaves the network unasked.
    pub stun_server: Option<String>,
    /// `turn(s)://user:password@host:port` each.
    pub turn_servers: Vec<String>,
    /// A viewer that sends no RTCP for this long is gone. Receivers send a report every few
    /// seconds (RFC 3550 allows up to 7.5 s between them), so this must be well above that.
    pub viewer_timeout: Duration,
    /// A viewer whose connection is not up this long after it joined is removed (a failure):
    /// ICE found no path, or DTLS never finished. Without it such a viewer would hold its
    /// place, its webrtcbin and its ports for ever.
    pub connect_timeout: Duration,
    pub max_viewers: usize,
    /// Video size and frame rate sent at most (scaled and dropped once for all encoders).
    pub limits: VideoLimits,
}

impl Default for ShareConfig {
    fn default() -> Self {
        Self {
            video_codec: Codec::Vp8,
            max_video_bitrate: 2_500_000,
            min_video_bitrate: 200_000,
            start_video_bitrate: 1_500_000,
            audio_bitrate: 64_000,
            stun_server: None,
            turn_servers: Vec::new(),
            viewer_timeout: Duration::from_secs(15),
            // A join takes well under a second on a LAN and a few through TURN; this leaves
            // a slow viewer plenty of room and still frees a stuck one.
            connect_timeout: Duration::from_secs(40),
            max_viewers: 16,
            // Real-time encoding above 1080p30 is beyond most desktops, and beyond most
            // viewers' downlinks.
            limits: VideoLimits {
                max_height: Some(1080),
                max_frame_rate: Some(30),
            },
        }
    }
}

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
    Pipeline(String),
    #[error("the share has stopped")]
    Stopped,
}

/// What the share is doing now, for status displays and tests.
#[derive(Debug, Clone, Default)]
pub struct ShareSnapshot {
    pub viewers: Vec<ViewerId>,
    /// Each running encoder and how many viewers it feeds.
    pub encoders: Vec<(Codec, usize)>,
    /// Encoders nobody receives now, kept built (not encoding) for the next viewer, with the
    /// frames each has encoded in all.
    pub parked: Vec<(Codec, u64)>,
}

pub(crate) enum Command {
    AddViewer {
        id: ViewerId,
        ice_servers: Vec<String>,
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
    /// ICE and DTLS are up: media sent from now on reaches the viewer.
    ViewerConnected(ViewerId),
    /// A keyframe from every video encoder: the picture jumped (seek, resume, new source).
    RequestKeyframes,
    /// A track started or ended: the kinds sent may have changed.
    TracksChanged,
    /// The kinds of media the source playing now has.
    SourceKinds(Vec<MediaKind>),
    RecalculateLatency,
    Snapshot(flume::Sender<ShareSnapshot>),
    Stop,
}

/// Sends what a player captures to remote viewers over WebRTC: one sending pipeline, one
/// encoder per codec in use whatever the number of viewers, one webrtcbin per viewer.
///
/// All pipeline changes happen on one thread (an actor) that owns the viewers and encoders;
/// the methods here send it commands. Signalling plugs in through [`Share::add_viewer`],
/// [`Share::set_remote_description`], [`Share::add_remote_candidate`] and the events.
pub struct Share {
    commands: flume::Sender<Command>,
    events: Arc<Broadcast<ShareEvent>>,
    pipeline: gst::Pipeline,
    inputs: Arc<[Input; 2]>,
    actor: Option<JoinHandle<()>>,
}

impl Share {
    pub fn new(config: ShareConfig) -> Result<Self, ShareError> {
        crate::init().map_err(|e| ShareError::Pipeline(e.to_string()))?;
        let pipeline = gst::Pipeline::with_name("share");
        // The same monotonic clock as the player's, so capture timestamps are ours too.
        pipeline.use_clock(Some(&gst::SystemClock::obtain()));
        let inputs = Arc::new([
            Input::new(&pipeline, MediaKind::Video, config.limits).map_err(ShareError::Pipeline)?,
            Input::new(&pipeline, MediaKind::Audio, config.limits).map_err(ShareError::Pipeline)?,
        ]);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| ShareError::Pipeline(e.to_string()))?;
        let events = Arc::new(Broadcast::default());
        let (commands, receiver) = flume::unbounded();
        watch_bus(&pipeline, &events, &commands);
        let actor = Actor {
            pipeline: pipeline.clone(),
            config,
            inputs: inputs.clone(),
            events: events.clone(),
            commands: commands.clone(),
            viewers: HashMap::new(),
            encoders: HashMap::new(),
            ssrcs: Ssrcs::random(),
            source_kinds: None,
            check_kinds_at: None,
        };
        let actor = std::thread::Builder::new()
            .name("share".into())
            .spawn(move || actor.run(receiver))
            .map_err(|e| ShareError::Pipeline(e.to_string()))?;
        Ok(Self {
            commands,
            events,
            pipeline,
            inputs,
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
            self.input(track.kind()).feed(&track, &self.pipeline);
        }
        let inputs = Arc::downgrade(&self.inputs);
        let pipeline = self.pipeline.downgrade();
        let commands = self.commands.clone();
        let _ = self.commands.send(Command::TracksChanged);
        let _ = std::thread::Builder::new()
            .name("share-tracks".into())
            .spawn(move || follow_tracks(events, inputs, pipeline, commands));
    }

    fn input(&self, kind: MediaKind) -> &Input {
        &self.inputs[kind_index(kind)]
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

/// Reads the sending pipeline's bus as messages are posted. Nothing may pile up there: every
/// message holds a reference to the element that posted it, so an unread bus kept every
/// viewer's webrtcbin (with its sockets) and every stopped encoder alive for good.
fn watch_bus(
    pipeline: &gst::Pipeline,
    events: &Arc<Broadcast<ShareEvent>>,
    commands: &flume::Sender<Command>,
) {
    let Some(bus) = pipeline.bus() else { return };
    let events = Arc::downgrade(events);
    let commands = commands.clone();
    bus.set_sync_handler(move |_, message| {
        use gst::MessageView;
        match message.view() {
            MessageView::Error(e) => {
                let source = message
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                tracing::warn!(%source, debug = ?e.debug(), "sending pipeline error: {}", e.error());
                if let Some(events) = events.upgrade() {
                    events.send(ShareEvent::Error {
                        viewer: None,
                        message: format!("{source}: {}", e.error()),
                    });
                }
            }
            MessageView::Warning(w) => {
                tracing::debug!(debug = ?w.debug(), "sending pipeline warning: {}", w.error());
            }
            // A live pipeline's latency changes as viewers come and go; the actor, not a
            // streaming thread, recomputes it.
            MessageView::Latency(_) => {
                let _ = commands.send(Command::RecalculateLatency);
            }
            _ => {}
        }
        gst::BusSyncReply::Drop
    });
}

fn kind_index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Video => 0,
        MediaKind::Audio => 1,
    }
}

fn follow_tracks(
    events: flume::Receiver<CaptureEvent>,
    inputs: Weak<[Input; 2]>,
    pipeline: gst::glib::WeakRef<gst::Pipeline>,
    commands: flume::Sender<Command>,
) {
    while let Ok(event) = events.recv() {
        let (Some(inputs), Some(pipeline)) = (inputs.upgrade(), pipeline.upgrade()) else {
            return;
        };
        let kind = event.track().kind();
        let input = &inputs[kind_index(kind)];
        let video = kind == MediaKind::Video;
        // Sending fails only once the share stopped, and then there is nothing to do.
        match event {
            CaptureEvent::TrackAdded(track) => {
                // replaceTrack(): the viewers' senders stay; a new picture starts whole.
                input.feed(&track, &pipeline);
                let _ = commands.send(Command::TracksChanged);
                if video {
                    let _ = commands.send(Command::RequestKeyframes);
                }
            }
            CaptureEvent::Ended(track) => {
                input.unfeed(&track);
                let _ = commands.send(Command::TracksChanged);
            }
            // Resumed after a pause: the viewers' decoders restart from a keyframe.
            CaptureEvent::Unmuted(_) if video => {
                let _ = commands.send(Command::RequestKeyframes);
            }
            _ => {}
        }
    }
}

/// Owns the viewers and encoders; the only thread that changes the sending pipeline.
struct Actor {
    pipeline: gst::Pipeline,
    config: ShareConfig,
    inputs: Arc<[Input; 2]>,
    events: Arc<Broadcast<ShareEvent>>,
    commands: flume::Sender<Command>,
    viewers: HashMap<ViewerId, Viewer>,
    encoders: HashMap<Codec, EncoderChain>,
    ssrcs: Ssrcs,
    /// What the source playing now has, when the player said ([`Share::set_source_kinds`]).
    source_kinds: Option<Vec<MediaKind>>,
    /// When to compare each viewer's media with the kinds captured (see [`KINDS_SETTLE`]).
    check_kinds_at: Option<Instant>,
}

/// A source change ends the old tracks and adds new ones a moment later: the kinds captured
/// are compared with each viewer's once they have been still this long, so a switch between
/// files of the same kinds never renegotiates.
const KINDS_SETTLE: Duration = Duration::from_millis(400);

const TICK: Duration = Duration::from_secs(1);

impl Actor {
    fn run(mut self, commands: flume::Receiver<Command>) {
        let mut next_tick = Instant::now() + TICK;
        loop {
            let deadline = self
                .check_kinds_at
                .map_or(next_tick, |at| at.min(next_tick));
            match commands.recv_deadline(deadline) {
                Ok(Command::Stop) | Err(flume::RecvTimeoutError::Disconnected) => break,
                Ok(command) => self.handle(command),
                Err(flume::RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if self.check_kinds_at.is_some_and(|at| at <= now) {
                        self.check_kinds_at = None;
                        self.renegotiate_changed_kinds();
                    }
                    if next_tick <= now {
                        next_tick = now + TICK;
                        self.tick();
                    }
                }
            }
        }
        let ids: Vec<ViewerId> = self.viewers.keys().cloned().collect();
        for id in ids {
            self.remove_viewer(&id, "the share stopped", false);
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::AddViewer {
                id,
                ice_servers,
                reply,
            } => {
                let _ = reply.send(self.add_viewer(&id, &ice_servers));
            }
            Command::RemoteDescription {
                id,
                kind,
                sdp,
                reply,
            } => {
                let result = self.remote_description(&id, kind, &sdp);
                if let Err(e) = &result {
                    self.events.send(ShareEvent::Error {
                        viewer: Some(id.clone()),
                        message: e.to_string(),
                    });
                }
                let _ = reply.send(result);
            }
            Command::RemoteCandidate {
                id,
                mline,
                candidate,
            } => match self.viewers.get(&id) {
                Some(viewer) => viewer.add_candidate(mline, &candidate),
                None => tracing::debug!(viewer = %id, "candidate for an unknown viewer dropped"),
            },
            Command::RemoveViewer { id, reason, failed } => {
                self.remove_viewer(&id, &reason, failed)
            }
            Command::ViewerConnected(id) => self.viewer_connected(&id),
            Command::RequestKeyframes => {
                for encoder in self.encoders.values() {
                    if encoder.codec().kind() == MediaKind::Video && !encoder.is_parked() {
                        encoder.request_keyframe();
                    }
                }
            }
            Command::TracksChanged => {
                self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
            }
            Command::SourceKinds(kinds) => {
                self.source_kinds = Some(kinds);
                self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
            }
            Command::RecalculateLatency => {
                let _ = self.pipeline.recalculate_latency();
            }
            Command::Snapshot(reply) => {
                let (parked, running): (Vec<_>, Vec<_>) =
                    self.encoders.values().partition(|e| e.is_parked());
                let mut encoders: Vec<_> = running
                    .iter()
                    .map(|e| (e.codec(), e.viewer_count()))
                    .collect();
                encoders.sort_by_key(|(c, _)| c.to_string());
                let mut parked: Vec<_> = parked.iter().map(|e| (e.codec(), e.frames())).collect();
                parked.sort_by_key(|(c, _)| c.to_string());
                let _ = reply.send(ShareSnapshot {
                    viewers: self.viewers.keys().cloned().collect(),
                    encoders,
                    parked,
                });
            }
            Command::Stop => {}
        }
    }

    fn add_viewer(&mut self, id: &ViewerId, ice_servers: &[String]) -> Result<(), ShareError> {
        if self.viewers.contains_key(id) {
            return Err(ShareError::DuplicateViewer(id.clone()));
        }
        if self.viewers.len() >= self.config.max_viewers {
            return Err(ShareError::TooManyViewers {
                viewer: id.clone(),
                max: self.config.max_viewers,
            });
        }
        // Offer what the capture has now; with nothing captured yet, both kinds.
        let mut kinds = self.captured_kinds();
        if kinds.is_empty() {
            kinds = MediaKind::ALL.to_vec();
        }
        let plan = ViewerPlan {
            config: &self.config,
            ice_servers,
            ssrcs: self.ssrcs,
            kinds: &kinds,
        };
        let viewer = Viewer::create(&self.pipeline, id, plan, &self.events, &self.commands)
            .map_err(|cause| ShareError::Negotiation {
                viewer: id.clone(),
                cause,
            })?;
        tracing::info!(viewer = %id, ?kinds, "viewer added");
        self.viewers.insert(id.clone(), viewer);
        Ok(())
    }

    fn remote_description(
        &mut self,
        id: &ViewerId,
        kind: SdpKind,
        sdp: &str,
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
        let viewer = self
            .viewers
            .get_mut(id)
            .ok_or_else(|| ShareError::UnknownViewer(id.clone()))?;
        let chosen = viewer.apply_answer(sdp).map_err(negotiation)?;
        if chosen.iter().all(Option::is_none) {
            return Err(negotiation("the answer accepts none of our codecs".into()));
        }
        for (index, codec) in chosen.into_iter().enumerate() {
            let Some(codec) = codec else { continue };
            let media = &self.viewers[id].media[index];
            // Linked in an earlier negotiation, or switched off in this one.
            if media.link.is_some() || !media.active {
                continue;
            }
            if !self.encoders.contains_key(&codec) {
                let input = &self.inputs[kind_index(codec.kind())];
                let bitrate = match codec.kind() {
                    MediaKind::Video => self.config.start_video_bitrate,
                    MediaKind::Audio => self.config.audio_bitrate,
                };
                let ssrc = self.ssrcs.of(codec.kind());
                let chain =
                    EncoderChain::new(&self.pipeline, input.raw_tee(), codec, bitrate, ssrc)
                        .map_err(ShareError::Pipeline)?;
                self.encoders.insert(codec, chain);
            }
            let encoder = &self.encoders[&codec];
            encoder.unpark();
            let viewer = self.viewers.get_mut(id).expect("checked above");
            let media = &mut viewer.media[index];
            let link = encoder
                .link_viewer(&self.pipeline, &media.sink_pad)
                .map_err(ShareError::Pipeline)?;
            media.link = Some(link);
            if codec.kind() == MediaKind::Video && viewer.connection() == ConnectionState::Connected
            {
                // Video added to a running call: its first frame must be a keyframe.
                encoder.request_keyframe();
            }
        }
        tracing::info!(viewer = %id, codec = ?self.viewers[id].video_codec(), "viewer negotiated");
        // The kinds may have changed while this negotiation was under way.
        self.check_kinds_at = Some(Instant::now() + KINDS_SETTLE);
        Ok(())
    }

    /// The kinds of media being captured now.
    fn captured_kinds(&self) -> Vec<MediaKind> {
        self.inputs
            .iter()
            .filter(|i| i.has_track())
            .map(|i| i.kind())
            .collect()
    }

    /// The web's addTrack()/removeTrack() and a new offer: each viewer whose media differ
    /// from the source's kinds renegotiates, on the same connection. The source's kinds count
    /// once all of them are captured (tracks start a moment apart); a kind is switched off
    /// only when the source says it has none, never on a guess from tracks not here yet.
    /// Nothing captured at all (a stopped or broken source) is no reason: the viewers keep
    /// what they have.
    fn renegotiate_changed_kinds(&mut self) {
        let captured = self.captured_kinds();
        if captured.is_empty() {
            return;
        }
        let source = match &self.source_kinds {
            Some(source) if source.iter().all(|k| captured.contains(k)) => Some(source.clone()),
            Some(_) => return,
            None => None,
        };
        let ids: Vec<ViewerId> = self.viewers.keys().cloned().collect();
        for id in ids {
            let viewer = self.viewers.get_mut(&id).expect("listed above");
            let active = viewer.active_kinds();
            let kinds: Vec<MediaKind> = match &source {
                Some(source) => MediaKind::ALL
                    .into_iter()
                    .filter(|k| source.contains(k))
                    .collect(),
                None => MediaKind::ALL
                    .into_iter()
                    .filter(|k| active.contains(k) || captured.contains(k))
                    .collect(),
            };
            if kinds.is_empty() || active == kinds || viewer.is_negotiating() {
                continue;
            }
            tracing::info!(viewer = %id, ?kinds, "the kinds sent change: renegotiating");
            for (codec, link) in viewer.switch_off_except(&kinds) {
                if let Some(encoder) = self.encoders.get(&codec) {
                    encoder.unlink_viewer(&self.pipeline, link);
                }
            }
            let viewer = self.viewers.get_mut(&id).expect("listed above");
            if let Err(cause) =
                viewer.renegotiate(&kinds, &self.config, &self.events, &self.commands)
            {
                self.events.send(ShareEvent::Error {
                    viewer: Some(id.clone()),
                    message: format!("could not renegotiate: {cause}"),
                });
            }
        }
        self.park_idle_encoders();
    }

    fn park_idle_encoders(&self) {
        // An encoder nobody receives costs CPU for nothing; it waits, built, for the next.
        for encoder in self.encoders.values() {
            if encoder.viewer_count() == 0 {
                encoder.park();
            }
        }
    }

    /// A joining viewer needs a keyframe to start decoding. Asked for once its DTLS is up, not
    /// at the answer: a keyframe sent before that is dropped, and the viewer would wait for
    /// its own PLI to get another.
    fn viewer_connected(&mut self, id: &ViewerId) {
        let Some(viewer) = self.viewers.get(id) else {
            return;
        };
        for codec in viewer
            .media
            .iter()
            .filter(|m| m.link.is_some())
            .filter_map(|m| m.codec)
        {
            if let Some(encoder) = self.encoders.get(&codec) {
                if codec.kind() == MediaKind::Video {
                    encoder.request_keyframe();
                }
            }
        }
    }

    fn remove_viewer(&mut self, id: &ViewerId, reason: &str, failed: bool) {
        let Some(mut viewer) = self.viewers.remove(id) else {
            return;
        };
        // In three steps. Until its transport is up, webrtcbin holds the data pushed into it
        // (a blocking probe on its sink pads), and a queue whose thread is held there cannot
        // be stopped; stopping webrtcbin flushes its pads, which lets those threads go. But
        // the encoders' tees must be cut off first, or the flush would travel up and stop
        // the shared encoders for every viewer.
        let mut links = Vec::new();
        for media in &mut viewer.media {
            if let (Some(link), Some(codec)) = (media.link.take(), media.codec) {
                if let Some(encoder) = self.encoders.get(&codec) {
                    encoder.detach_viewer(&link);
                }
                links.push(link);
            }
        }
        crate::util::remove_elements(self.pipeline.upcast_ref(), &[&viewer.webrtcbin]);
        for link in links {
            link.remove(&self.pipeline);
        }
        self.park_idle_encoders();
        crate::util::release_freed_memory();
        tracing::info!(viewer = %id, reason, "viewer removed");
        self.events.send(ShareEvent::ViewerRemoved {
            viewer: id.clone(),
            reason: reason.to_owned(),
            failed,
        });
    }

    /// Once a second: stats, liveness, bitrate.
    fn tick(&mut self) {
        let now = Instant::now();
        let mut gone = Vec::new();
        let mut never_connected = Vec::new();
        for viewer in self.viewers.values_mut() {
            let state = viewer.connection();
            let connected = state == ConnectionState::Connected;
            if connected && now.duration_since(viewer.last_heard()) > self.config.viewer_timeout {
                gone.push(viewer.id.clone());
                continue;
            }
            let connecting = matches!(state, ConnectionState::New | ConnectionState::Connecting);
            if connecting && now.duration_since(viewer.joined) > self.config.connect_timeout {
                never_connected.push(viewer.id.clone());
                continue;
            }
            let Some(sample) = read_stats(&viewer.webrtcbin) else {
                continue;
            };
            let stats = viewer_stats(&self.config, &self.encoders, viewer, &sample, now);
            self.events.send(ShareEvent::ViewerStats(stats));
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
        self.adapt_bitrate();
    }

    /// The policy for a shared encoder: it serves every viewer, so it sends at the lowest
    /// target among its viewers, but never below the configured floor: one viewer on a bad
    /// network gets a degraded picture (losses, NACK repairs) rather than making everyone's
    /// worse without bound.
    fn adapt_bitrate(&self) {
        for encoder in self.encoders.values() {
            if encoder.codec().kind() != MediaKind::Video {
                continue;
            }
            let target = self
                .viewers
                .values()
                .filter(|v| v.video_codec() == Some(encoder.codec()))
                .map(|v| v.target_bitrate)
                .min();
            if let Some(target) = target {
                encoder.set_bitrate(target.max(self.config.min_video_bitrate));
            }
        }
    }
}

fn viewer_stats(
    config: &ShareConfig,
    encoders: &HashMap<Codec, EncoderChain>,
    viewer: &mut Viewer,
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
    let codec = viewer.video_codec();
    let frames = codec.and_then(|c| encoders.get(&c)).map(|e| e.frames());
    let frame_rate = match (frames, viewer.previous_frames) {
        (Some(f), Some((prev, at))) if f >= prev => {
            (f - prev) as f64 / now.duration_since(at).as_secs_f64()
        }
        _ => 0.0,
    };
    viewer.previous_frames = frames.map(|f| (f, now));
    viewer.target_bitrate = next_target(
        viewer.target_bitrate,
        sample.fraction_lost,
        config.min_video_bitrate,
        config.max_video_bitrate,
    );
    ViewerStats {
        viewer: viewer.id.clone(),
        connection: viewer.connection(),
        video_codec: codec,
        bitrate: bitrate as u64,
        frame_rate,
        rtt: sample.rtt,
        packet_loss: sample.fraction_lost,
        nack_count: sample.nack_count,
        keyframe_requests: viewer.keyframe_requests(),
        target_bitrate: viewer.target_bitrate,
    }
}

/// A viewer's next target bitrate from the loss in its last receiver report: back off in
/// proportion to heavy loss, probe upwards slowly while loss is low (as loss-based congestion
/// control does), hold in between.
pub(crate) fn next_target(current: u32, fraction_lost: Option<f64>, min: u32, max: u32) -> u32 {
    let next = match fraction_lost {
        Some(loss) if loss > 0.10 => current as f64 * (1.0 - 0.5 * loss),
        Some(loss) if loss < 0.02 => current as f64 * 1.05,
        _ => current as f64,
    };
    (next as u32).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::next_target;

    #[test]
    fn bitrate_backs_off_on_loss_and_probes_up_when_clean() {
        assert_eq!(
            next_target(1_000_000, Some(0.2), 100_000, 2_000_000),
            900_000
        );
        assert_eq!(
            next_target(1_000_000, Some(0.0), 100_000, 2_000_000),
            1_050_000
        );
        assert_eq!(
            next_target(1_000_000, Some(0.05), 100_000, 2_000_000),
            1_000_000
        );
        assert_eq!(
            next_target(1_990_000, Some(0.0), 100_000, 2_000_000),
            2_000_000
        );
        assert_eq!(next_target(100_000, Some(0.5), 100_000, 2_000_000), 100_000);
        assert_eq!(next_target(500_000, None, 100_000, 2_000_000), 500_000);
    }
}
