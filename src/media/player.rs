use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::error::{display_location, resolve_source};
use super::output::{audio_device_sink, clocked_fakesink, pipeline_err, OutputBranch, OutputTap};
use super::{MediaKind, PlaybackState, PlayerError, PlayerEvent, StreamInfo};
use crate::util::Broadcast;

/// Where the player renders locally.
pub enum VideoOutput {
    /// Into this sink element (for the window: gtk4paintablesink).
    Sink(gst::Element),
    /// Nowhere, at real-time pace (headless).
    Discard,
}

pub enum AudioOutput {
    /// The default audio device, or a fakesink when there is none.
    Device,
    /// Nowhere, at real-time pace (headless).
    Discard,
}

pub struct PlayerOptions {
    pub video: VideoOutput,
    pub audio: AudioOutput,
}

impl PlayerOptions {
    pub fn headless() -> Self {
        Self {
            video: VideoOutput::Discard,
            audio: AudioOutput::Discard,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekMode {
    /// To the exact position (decodes from the previous keyframe).
    Accurate,
    /// To the nearest keyframe: fast, for scrubbing.
    Fast,
}

pub(crate) type Taps = Mutex<Vec<Weak<dyn OutputTap>>>;

/// Plays one source at a time through GStreamer's playbin, in real time, and reports what
/// happens as [`PlayerEvent`]s. Decoded media goes through tees ([`OutputBranch`]) so that
/// captures can tap it.
pub struct Player {
    inner: Arc<Inner>,
    bus_thread: Option<JoinHandle<()>>,
}

pub(crate) struct Inner {
    playbin: gst::Pipeline,
    outputs: [Arc<OutputBranch>; 2],
    events: Broadcast<PlayerEvent>,
    taps: Arc<Taps>,
    playing: Arc<AtomicBool>,
    looping: AtomicBool,
    /// Bumped on every new source, so that bus messages of an old source are dropped.
    generation: AtomicU64,
    /// Serialises source changes against the bus thread's reactions (loop, error).
    control: Mutex<Source>,
    /// What plays one after another; taken after `control` when both are held.
    queue: Mutex<PlayQueue>,
}

/// The sources to play in order (URIs) and which one is current. One source is a queue of
/// one. Loop repeats the current source when it is alone, the whole queue otherwise.
#[derive(Default)]
struct PlayQueue {
    items: Vec<String>,
    current: usize,
}

#[derive(Default)]
struct Source {
    uri: Option<String>,
    location: String,
    /// The source failed: it stays stopped until another is opened.
    failed: Option<PlayerError>,
    streams_reported: bool,
    seeking: bool,
    /// Played to the end (no loop, nothing next): paused there, and `play` starts again
    /// from the beginning, as a media element does.
    ended: bool,
    state: Option<PlaybackState>,
    /// A source that has not prerolled by then is reported as broken. decodebin can swallow
    /// a demuxer's error during preroll (seen with a truncated MP4 on a loaded machine), and
    /// playbin then waits forever; a person would see nothing happen.
    preroll_deadline: Option<Instant>,
}

const SHUTDOWN: &str = "reelcast-player-shutdown";
/// Wakes the bus thread so that it sees a new preroll deadline.
const WAKE: &str = "reelcast-player-wake";

/// How long a source may take to preroll: a local file is quick or broken; a network source
/// may have to connect and buffer first.
fn preroll_limit(uri: &str) -> Duration {
    if uri.starts_with("file:") {
        Duration::from_secs(8)
    } else {
        Duration::from_secs(30)
    }
}

impl Player {
    pub fn new(options: PlayerOptions) -> Result<Self, PlayerError> {
        crate::init().map_err(|e| PlayerError::Pipeline(e.to_string()))?;
        let playbin = gst::ElementFactory::make("playbin")
            .name("player")
            .build()
            .map_err(|_| {
                PlayerError::Pipeline("the GStreamer element 'playbin' is missing".into())
            })?
            .downcast::<gst::Pipeline>()
            .map_err(|_| PlayerError::Pipeline("playbin is not a pipeline".into()))?;
        // One monotonic clock for every source, so capture timestamps never go back.
        playbin.use_clock(Some(&gst::SystemClock::obtain()));

        let video_sink = match options.video {
            VideoOutput::Sink(sink) => sink,
            VideoOutput::Discard => clocked_fakesink("video-display")?,
        };
        let audio_sink = match options.audio {
            AudioOutput::Device => audio_device_sink()?,
            AudioOutput::Discard => clocked_fakesink("audio-display")?,
        };
        let taps: Arc<Taps> = Arc::new(Mutex::new(Vec::new()));
        let playing = Arc::new(AtomicBool::new(false));
        let video = OutputBranch::new(
            MediaKind::Video,
            video_sink,
            playing.clone(),
            Arc::downgrade(&taps),
        )?;
        let audio = OutputBranch::new(
            MediaKind::Audio,
            audio_sink,
            playing.clone(),
            Arc::downgrade(&taps),
        )?;
        playbin.set_property("video-sink", video.bin());
        playbin.set_property("audio-sink", audio.bin());

        let inner = Arc::new(Inner {
            playbin,
            outputs: [video, audio],
            events: Broadcast::default(),
            taps,
            playing,
            looping: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            control: Mutex::new(Source::default()),
            queue: Mutex::new(PlayQueue::default()),
        });
        let bus = inner.playbin.bus().expect("a pipeline has a bus");
        let weak = Arc::downgrade(&inner);
        let bus_thread = std::thread::Builder::new()
            .name("player-bus".into())
            .spawn(move || run_bus(bus, weak))
            .map_err(pipeline_err)?;
        Ok(Self {
            inner,
            bus_thread: Some(bus_thread),
        })
    }

    /// Events in order, from now on.
    pub fn subscribe(&self) -> flume::Receiver<PlayerEvent> {
        self.inner.events.subscribe()
    }

    /// Opens a file path or URI and prerolls it (paused). A local file that cannot play at all
    /// is refused here; other failures arrive as [`PlayerEvent::Error`].
    pub fn open(&self, input: &str) -> Result<(), PlayerError> {
        self.open_queue(&[input])
    }

    /// Opens several sources to play one after another, the first one now (prerolled,
    /// paused). Every local file is checked first: a missing one is refused, by name, and
    /// nothing changes.
    pub fn open_queue<S: AsRef<str>>(&self, inputs: &[S]) -> Result<(), PlayerError> {
        let uris = inputs
            .iter()
            .map(|i| resolve_source(i.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = uris.first().cloned() else {
            return Err(PlayerError::Pipeline("nothing to open".into()));
        };
        let mut source = self.inner.control.lock().unwrap();
        *self.inner.queue.lock().unwrap() = PlayQueue {
            items: uris,
            current: 0,
        };
        self.inner.open_uri(&mut source, &first)
    }

    /// Adds sources to the end of the queue; with nothing open, opens them as a new queue.
    /// Checked as in [`Player::open_queue`]: a missing file is refused and nothing changes.
    /// Returns the queue's length.
    pub fn append<S: AsRef<str>>(&self, inputs: &[S]) -> Result<usize, PlayerError> {
        let uris = inputs
            .iter()
            .map(|i| resolve_source(i.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let nothing_open = self.inner.control.lock().unwrap().uri.is_none();
        if nothing_open {
            self.open_queue(&uris)?;
            return Ok(uris.len());
        }
        let mut queue = self.inner.queue.lock().unwrap();
        queue.items.extend(uris);
        Ok(queue.items.len())
    }

    /// The queue's sources as URIs, and the index of the current one.
    pub fn queue(&self) -> (Vec<String>, usize) {
        let queue = self.inner.queue.lock().unwrap();
        (queue.items.clone(), queue.current)
    }

    /// Plays the next source in the queue now; false when there is none.
    pub fn skip_to_next(&self) -> bool {
        let mut source = self.inner.control.lock().unwrap();
        let Some(next) = self.inner.next_in_queue(true) else {
            return false;
        };
        self.inner.advance(&mut source, next);
        true
    }

    /// Plays audio stream `index` of the current source (0 to n-1, in
    /// [`PlayerEvent::StreamsKnown`] order among the audio streams). The capture's audio
    /// track ends and a new one follows with the new stream, as the spec asks.
    pub fn select_audio(&self, index: usize) -> Result<(), PlayerError> {
        let source = self.inner.control.lock().unwrap();
        let count = self.inner.playbin.property::<i32>("n-audio").max(0) as usize;
        if index >= count {
            return Err(PlayerError::Playback {
                location: source.location.clone(),
                cause: format!("it has no audio stream {index} (it has {count})"),
            });
        }
        if self.inner.playbin.property::<i32>("current-audio") == index as i32 {
            return Ok(());
        }
        self.inner
            .playbin
            .set_property("current-audio", index as i32);
        // The old stream's track ends now; the new stream's first buffer starts a new one.
        self.inner.end_sources(&[MediaKind::Audio]);
        self.inner.events.send(PlayerEvent::AudioSelected(index));
        Ok(())
    }

    /// The audio stream playing now, as in [`Player::select_audio`].
    pub fn current_audio(&self) -> Option<usize> {
        usize::try_from(self.inner.playbin.property::<i32>("current-audio")).ok()
    }

    /// Plays; after the end, from the beginning again.
    pub fn play(&self) -> Result<(), PlayerError> {
        let mut source = self.inner.control.lock().unwrap();
        if source.ended && source.failed.is_none() {
            source.ended = false;
            let _ = self.inner.playbin.seek_simple(
                gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
                gst::ClockTime::ZERO,
            );
            source.seeking = true;
        }
        drop(source);
        self.change_state(gst::State::Playing)
    }

    pub fn pause(&self) -> Result<(), PlayerError> {
        self.change_state(gst::State::Paused)
    }

    fn change_state(&self, state: gst::State) -> Result<(), PlayerError> {
        let source = self.inner.control.lock().unwrap();
        if let Some(error) = &source.failed {
            return Err(error.clone());
        }
        if source.uri.is_none() {
            return Err(PlayerError::Pipeline("no source is open".into()));
        }
        self.inner.set_state(state)
    }

    /// Stops playback and forgets nothing but the position: `play` starts the source again.
    pub fn stop(&self) {
        let mut source = self.inner.control.lock().unwrap();
        self.inner.stop_source();
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        source.preroll_deadline = None;
        source.ended = false;
        if source.state != Some(PlaybackState::Stopped) {
            source.state = Some(PlaybackState::Stopped);
            self.inner.emit_state(PlaybackState::Stopped);
        }
    }

    pub fn seek(&self, position: Duration, mode: SeekMode) -> Result<(), PlayerError> {
        let mut source = self.inner.control.lock().unwrap();
        let flags = match mode {
            SeekMode::Accurate => gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
            SeekMode::Fast => {
                gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT | gst::SeekFlags::SNAP_NEAREST
            }
        };
        let target = gst::ClockTime::from_nseconds(position.as_nanos() as u64);
        self.inner
            .playbin
            .seek_simple(flags, target)
            .map_err(|_| PlayerError::Playback {
                location: source.location.clone(),
                cause: "this source cannot seek".into(),
            })?;
        source.seeking = true;
        source.ended = false;
        Ok(())
    }

    pub fn position(&self) -> Option<Duration> {
        self.inner
            .playbin
            .query_position::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    pub fn duration(&self) -> Option<Duration> {
        self.inner
            .playbin
            .query_duration::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    /// Local volume, 0.0 to 1.0. The capture is not affected.
    pub fn set_volume(&self, volume: f64) {
        if let Some(v) = self.inner.outputs[1].volume() {
            v.set_property("volume", volume.clamp(0.0, 1.0));
        }
    }

    pub fn volume(&self) -> f64 {
        self.inner.outputs[1]
            .volume()
            .map(|v| v.property::<f64>("volume"))
            .unwrap_or(1.0)
    }

    /// Local mute. The capture is not affected.
    pub fn set_muted(&self, muted: bool) {
        if let Some(v) = self.inner.outputs[1].volume() {
            v.set_property("mute", muted);
        }
    }

    pub fn is_muted(&self) -> bool {
        self.inner.outputs[1]
            .volume()
            .map(|v| v.property::<bool>("mute"))
            .unwrap_or(false)
    }

    /// With loop on, the end of the source starts it again from the beginning.
    pub fn set_looping(&self, looping: bool) {
        self.inner.looping.store(looping, Ordering::Release);
    }

    pub fn is_looping(&self) -> bool {
        self.inner.looping.load(Ordering::Acquire)
    }

    pub fn state(&self) -> PlaybackState {
        self.inner
            .control
            .lock()
            .unwrap()
            .state
            .unwrap_or(PlaybackState::Stopped)
    }

    /// The current source as a URI, if any.
    pub fn uri(&self) -> Option<String> {
        self.inner.control.lock().unwrap().uri.clone()
    }

    /// The output branch of one kind: its tee is where captures attach.
    pub fn output(&self, kind: MediaKind) -> &Arc<OutputBranch> {
        self.inner.output(kind)
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.inner.playbin
    }

    pub(crate) fn add_tap(&self, tap: Weak<dyn OutputTap>) {
        let mut taps = self.inner.taps.lock().unwrap();
        taps.retain(|t| t.strong_count() > 0);
        taps.push(tap);
    }

    pub(crate) fn is_playing(&self) -> bool {
        self.inner.playing.load(Ordering::Acquire)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let bus = self.inner.playbin.bus().expect("a pipeline has a bus");
        let _ = bus.post(gst::message::Application::new(gst::Structure::new_empty(
            SHUTDOWN,
        )));
        if let Some(thread) = self.bus_thread.take() {
            let _ = thread.join();
        }
        self.inner.stop_source();
        let _ = self.inner.playbin.set_state(gst::State::Null);
    }
}

impl Inner {
    /// Replaces the current source with `uri`, prerolled (paused).
    fn open_uri(&self, source: &mut Source, uri: &str) -> Result<(), PlayerError> {
        let location = display_location(uri);
        let label = std::path::Path::new(&location)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| location.clone());
        self.stop_source();
        self.generation.fetch_add(1, Ordering::AcqRel);
        *source = Source {
            uri: Some(uri.to_owned()),
            location,
            ..Source::default()
        };
        for output in &self.outputs {
            output.set_source_label(&label);
        }
        self.playbin.set_property("uri", uri);
        self.set_state(gst::State::Paused)?;
        source.preroll_deadline = Some(Instant::now() + preroll_limit(uri));
        if let Some(bus) = self.playbin.bus() {
            let _ = bus.post(gst::message::Application::new(gst::Structure::new_empty(
                WAKE,
            )));
        }
        Ok(())
    }

    /// The queue's next index: the following source, or with loop on, the first again.
    /// `wrap` false never goes back to the start (after a failure, so that a queue of broken
    /// files cannot go round for ever).
    fn next_in_queue(&self, wrap: bool) -> Option<usize> {
        let queue = self.queue.lock().unwrap();
        let next = queue.current + 1;
        if next < queue.items.len() {
            Some(next)
        } else if wrap && self.looping.load(Ordering::Acquire) && queue.items.len() > 1 {
            Some(0)
        } else {
            None
        }
    }

    /// Plays the queue's source `index` from its start.
    fn advance(&self, source: &mut Source, index: usize) {
        let uri = {
            let mut queue = self.queue.lock().unwrap();
            queue.current = index;
            queue.items[index].clone()
        };
        let location = display_location(&uri);
        tracing::info!(%location, index, "next in the queue");
        self.events.send(PlayerEvent::Advanced {
            index,
            location: location.clone(),
        });
        let opened = self
            .open_uri(source, &uri)
            .and_then(|_| self.set_state(gst::State::Playing));
        if let Err(error) = opened {
            self.fail(source, error);
        }
    }

    fn output(&self, kind: MediaKind) -> &Arc<OutputBranch> {
        match kind {
            MediaKind::Video => &self.outputs[0],
            MediaKind::Audio => &self.outputs[1],
        }
    }

    fn set_state(&self, state: gst::State) -> Result<(), PlayerError> {
        self.playbin
            .set_state(state)
            .map(|_| ())
            .map_err(|_| PlayerError::Pipeline(format!("could not change to {state:?}")))
    }

    /// Stops streaming and ends every capture of the current source.
    fn stop_source(&self) {
        let _ = self.playbin.set_state(gst::State::Null);
        self.playing.store(false, Ordering::Release);
        // Messages of the old source still queued would act on the new one.
        if let Some(bus) = self.playbin.bus() {
            while bus
                .pop_filtered(&[gst::MessageType::Error, gst::MessageType::Eos])
                .is_some()
            {}
        }
        self.end_sources(&MediaKind::ALL);
    }

    fn end_sources(&self, kinds: &[MediaKind]) {
        for kind in kinds {
            self.output(*kind).set_inactive();
        }
        for tap in self.taps() {
            tap.source_ended(kinds);
        }
    }

    fn taps(&self) -> Vec<Arc<dyn OutputTap>> {
        self.taps
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    fn emit_state(&self, state: PlaybackState) {
        self.events.send(PlayerEvent::StateChanged(state));
    }

    fn set_playing(&self, playing: bool) {
        if self.playing.swap(playing, Ordering::AcqRel) != playing {
            for tap in self.taps() {
                tap.playing_changed(playing);
            }
        }
    }

    fn handle(&self, msg: &gst::Message, generation: u64) {
        use gst::MessageView;
        let mut source = self.control.lock().unwrap();
        if generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        match msg.view() {
            MessageView::StateChanged(s) if msg.src() == Some(self.playbin.upcast_ref()) => {
                let state = match s.current() {
                    gst::State::Playing => PlaybackState::Playing,
                    gst::State::Paused => PlaybackState::Paused,
                    _ => PlaybackState::Stopped,
                };
                // Intermediate states (a flushing seek passes through PAUSED) are not changes.
                if s.pending() != gst::State::VoidPending {
                    return;
                }
                self.set_playing(state == PlaybackState::Playing);
                if source.state != Some(state) {
                    source.state = Some(state);
                    self.emit_state(state);
                }
            }
            MessageView::AsyncDone(_) => {
                source.preroll_deadline = None;
                if !source.streams_reported && source.failed.is_none() {
                    source.streams_reported = true;
                    self.events
                        .send(PlayerEvent::StreamsKnown(self.stream_infos()));
                    self.events.send(PlayerEvent::DurationChanged(
                        self.playbin
                            .query_duration::<gst::ClockTime>()
                            .map(|t| Duration::from_nanos(t.nseconds())),
                    ));
                }
                if std::mem::take(&mut source.seeking) {
                    let position = self
                        .playbin
                        .query_position::<gst::ClockTime>()
                        .map(|t| Duration::from_nanos(t.nseconds()))
                        .unwrap_or_default();
                    self.events.send(PlayerEvent::SeekDone(position));
                }
            }
            MessageView::DurationChanged(_) => {
                self.events.send(PlayerEvent::DurationChanged(
                    self.playbin
                        .query_duration::<gst::ClockTime>()
                        .map(|t| Duration::from_nanos(t.nseconds())),
                ));
            }
            MessageView::Buffering(b) => {
                self.events
                    .send(PlayerEvent::Buffering(b.percent().clamp(0, 100) as u8));
            }
            MessageView::Eos(_) => {
                // The spec: tracks end with playback, and replaying creates new ones.
                self.end_sources(&MediaKind::ALL);
                if let Some(next) = self.next_in_queue(true) {
                    self.advance(&mut source, next);
                } else if self.looping.load(Ordering::Acquire) {
                    let _ = self.playbin.seek_simple(
                        gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
                        gst::ClockTime::ZERO,
                    );
                    self.events.send(PlayerEvent::Looped);
                } else {
                    // Paused at the end, as a media element: the person sees a play button
                    // again, and playing starts over. playbin itself stays in PLAYING (nothing
                    // flows after EOS), so that `play` is one flushing seek, whose completion
                    // no state change of ours can be mistaken for.
                    source.ended = true;
                    self.set_playing(false);
                    if source.state != Some(PlaybackState::Paused) {
                        source.state = Some(PlaybackState::Paused);
                        self.emit_state(PlaybackState::Paused);
                    }
                    self.events.send(PlayerEvent::EndOfStream);
                }
            }
            MessageView::Error(e) => {
                if source.failed.is_some() {
                    return;
                }
                let error = PlayerError::from_bus(
                    &source.location,
                    &e.error(),
                    e.debug().as_ref().map(|d| d.as_str()),
                    source.streams_reported,
                );
                tracing::warn!(error = %error, debug = ?e.debug(), "playback failed");
                self.fail(&mut source, error);
            }
            MessageView::Warning(w) => {
                tracing::warn!(warning = %w.error(), debug = ?w.debug(), "playback warning");
            }
            _ => {}
        }
    }

    /// The source cannot go on: it stops, and stays stopped until another is opened.
    fn fail(&self, source: &mut Source, error: PlayerError) {
        source.failed = Some(error.clone());
        source.preroll_deadline = None;
        // NULL, not READY: a failed preroll can leave playbin's sinks half linked.
        self.stop_source();
        self.events.send(PlayerEvent::Error(error));
        // A broken file in a queue does not stop the show: the next one plays.
        if let Some(next) = self.next_in_queue(false) {
            self.advance(source, next);
            return;
        }
        if source.state != Some(PlaybackState::Stopped) {
            source.state = Some(PlaybackState::Stopped);
            self.emit_state(PlaybackState::Stopped);
        }
    }

    /// How long the bus thread may wait for a message before the preroll deadline passes.
    fn bus_wait(&self) -> Option<gst::ClockTime> {
        let deadline = self.control.lock().unwrap().preroll_deadline?;
        let left = deadline.saturating_duration_since(Instant::now());
        Some(gst::ClockTime::from_nseconds(left.as_nanos() as u64))
    }

    fn check_preroll_deadline(&self) {
        let mut source = self.control.lock().unwrap();
        let Some(deadline) = source.preroll_deadline else {
            return;
        };
        if Instant::now() < deadline || source.failed.is_some() || source.streams_reported {
            return;
        }
        let waited = preroll_limit(source.uri.as_deref().unwrap_or_default());
        let error = PlayerError::Damaged {
            location: source.location.clone(),
            cause: format!(
                "nothing playable was found in it within {} s",
                waited.as_secs()
            ),
        };
        tracing::warn!(error = %error, "source never prerolled");
        self.fail(&mut source, error);
    }

    fn stream_infos(&self) -> Vec<StreamInfo> {
        let mut infos = Vec::new();
        let n_video = self.playbin.property::<i32>("n-video");
        let n_audio = self.playbin.property::<i32>("n-audio");
        if n_video > 0 {
            let tags = self.tags(
                "get-video-tags",
                self.playbin.property::<i32>("current-video"),
            );
            let caps = self.outputs[0].decoded_caps();
            let s = caps
                .as_ref()
                .and_then(|c| c.structure(0).map(|s| s.to_owned()));
            infos.push(StreamInfo {
                kind: MediaKind::Video,
                codec: tag_string::<gst::tags::VideoCodec>(&tags),
                language: tag_string::<gst::tags::LanguageCode>(&tags),
                size: s.as_ref().and_then(|s| {
                    Some((s.get::<i32>("width").ok()?, s.get::<i32>("height").ok()?))
                }),
                frame_rate: s
                    .as_ref()
                    .and_then(|s| s.get::<gst::Fraction>("framerate").ok())
                    .map(|f| f.numer() as f64 / f.denom().max(1) as f64),
                rate: None,
                channels: None,
            });
        }
        for index in 0..n_audio {
            let tags = self.tags("get-audio-tags", index);
            let current = index == self.playbin.property::<i32>("current-audio");
            let s = if current {
                self.outputs[1]
                    .decoded_caps()
                    .and_then(|c| c.structure(0).map(|s| s.to_owned()))
            } else {
                None
            };
            infos.push(StreamInfo {
                kind: MediaKind::Audio,
                codec: tag_string::<gst::tags::AudioCodec>(&tags),
                language: tag_string::<gst::tags::LanguageCode>(&tags),
                size: None,
                frame_rate: None,
                rate: s.as_ref().and_then(|s| s.get::<i32>("rate").ok()),
                channels: s.as_ref().and_then(|s| s.get::<i32>("channels").ok()),
            });
        }
        infos
    }

    fn tags(&self, signal: &str, index: i32) -> Option<gst::TagList> {
        self.playbin
            .emit_by_name::<Option<gst::TagList>>(signal, &[&index])
    }
}

fn tag_string<'a, T: gst::tags::Tag<'a, TagType = &'a str>>(
    tags: &'a Option<gst::TagList>,
) -> Option<String> {
    tags.as_ref()?.get::<T>().map(|v| v.get().to_owned())
}

/// Reads the bus on its own thread, so the player works with or without a GLib main loop.
fn run_bus(bus: gst::Bus, player: Weak<Inner>) {
    loop {
        let wait = match player.upgrade() {
            Some(inner) => inner.bus_wait(),
            None => return,
        };
        let Some(msg) = bus.timed_pop(wait) else {
            match player.upgrade() {
                Some(inner) => inner.check_preroll_deadline(),
                None => return,
            }
            continue;
        };
        if let gst::MessageView::Application(a) = msg.view() {
            match a.structure().map(|s| s.name().as_str()) {
                Some(SHUTDOWN) => return,
                Some(WAKE) => continue,
                _ => {}
            }
        }
        let Some(inner) = player.upgrade() else {
            return;
        };
        // Read the generation when the message leaves the bus: a source change that
        // happens while we wait for the control lock makes this message stale.
        let generation = inner.generation.load(Ordering::Acquire);
        inner.handle(&msg, generation);
        // A stream of unrelated messages must not hold the deadline off.
        inner.check_preroll_deadline();
    }
}
