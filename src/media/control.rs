//! The player's control thread: the one place that changes playbin. It takes the commands of
//! [`super::Player`] and playbin's bus messages from one channel, in order, and keeps the
//! snapshot that the player's getters read.
//!
//! The rule: no lock is held across a GStreamer call. The snapshot's lock is taken only to
//! read or write its fields (and to send an event in order with them).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::buffering::Buffering;
use super::error::display_location;
use super::error::PlayerError;
use super::events::{MediaKind, PlaybackState, PlayerEvent};
use super::output::{OutputBranch, OutputTap};
use super::speed::seek_at;
use super::status::Status;
use super::subtitle_control::SubtitleControl;
use super::subtitle_overlays::SubtitleOverlays;
use super::subtitles::SubtitlePreferences;
use crate::util::Broadcast;

mod bus_messages;
mod subtitles;

pub(crate) type Taps = Mutex<Vec<Weak<dyn OutputTap>>>;

/// How often the position is read while playing, for the getters.
const POSITION_EVERY: Duration = Duration::from_millis(100);
/// How long a refused state change waits for the error that says why (see
/// [`Control::change_state`]).
const REFUSAL_GRACE: Duration = Duration::from_secs(2);

/// What the player and its control thread share.
pub(crate) struct Shared {
    pub(crate) playbin: gst::Pipeline,
    pub(crate) outputs: [Arc<OutputBranch>; 2],
    pub(crate) subtitles: SubtitleOverlays,
    pub(crate) events: Broadcast<PlayerEvent>,
    pub(crate) taps: Arc<Taps>,
    pub(crate) playing: Arc<AtomicBool>,
    pub(crate) looping: AtomicBool,
    /// The speed the person chose; every seek carries it.
    pub(crate) speed: Mutex<f64>,
    /// What the getters read; see the module's rule.
    pub(crate) status: Mutex<Status>,
}

impl Shared {
    pub(crate) fn output(&self, kind: MediaKind) -> &Arc<OutputBranch> {
        match kind {
            MediaKind::Video => &self.outputs[0],
            MediaKind::Audio => &self.outputs[1],
        }
    }
}

/// What reaches the control thread, in the order it happened.
pub(crate) enum Msg {
    /// A message from playbin's bus, with the bus epoch it was posted in.
    Bus {
        epoch: u64,
        message: gst::Message,
    },
    /// Play `uri` (of generation `generation`) from its start; `advanced`: it is the queue's
    /// source of that index, which the event says.
    Load {
        generation: u64,
        uri: String,
        play: bool,
        advanced: Option<usize>,
    },
    Stop {
        generation: u64,
    },
    Play,
    Pause,
    Seek {
        target: gst::ClockTime,
        flags: gst::SeekFlags,
    },
    SelectAudio(usize),
    /// Show subtitle track `Some(index)` of the current source, or none.
    SelectSubtitles(Option<usize>),
    /// Show this subtitle file (a URI) with the current source.
    SubtitleFile(String),
    /// For the sources opened from now on.
    SubtitlePreferences(SubtitlePreferences),
    /// The subtitles are drawn on the other side of the capture now.
    SubtitlesMoved,
    /// The person chose this speed: the current source plays at it from where it is.
    Speed(f64),
    /// What the check of a network source's server found.
    Diagnosed {
        generation: u64,
        error: PlayerError,
    },
    Shutdown,
}

/// Forwards playbin's bus messages to the control thread as they are posted. A bus does not
/// do: it drops what is posted while its pipeline is in NULL, a wake-up or a shutdown
/// included.
pub(crate) fn forward_bus(bus: &gst::Bus, to: flume::Sender<Msg>, epoch: Arc<AtomicU64>) {
    bus.set_sync_handler(move |_, message| {
        let _ = to.send(Msg::Bus {
            epoch: epoch.load(Ordering::Acquire),
            message: message.clone(),
        });
        gst::BusSyncReply::Drop
    });
}

/// How long a source may take to preroll: a local file is quick or broken; a network source
/// may have to connect and buffer first.
fn preroll_limit(uri: &str) -> Duration {
    if uri.starts_with("file:") {
        Duration::from_secs(8)
    } else {
        Duration::from_secs(30)
    }
}

/// The control thread's own view of the current source.
#[derive(Default)]
struct Source {
    uri: String,
    location: String,
    /// The source failed (or is being diagnosed): it stays stopped until another is opened.
    failed: bool,
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
    /// The status of the server's last answer, for network sources.
    http_status: Option<u32>,
    /// playbin refused to change to this state; unless an error says why by then, that is
    /// reported as it is.
    refused: Option<(gst::State, Instant)>,
    /// The source is live (its state changes do not preroll): it never pauses to buffer.
    live: bool,
    /// The person asked to play and did not pause since: buffering waits, then plays.
    wants_playing: bool,
    buffering: Buffering,
    /// The last buffering level told: streams repeat the same one many times (a DASH stream
    /// said the same percentage 50 times running), and a person is told of changes only.
    buffering_told: Option<u8>,
}

pub(crate) struct Control {
    shared: Arc<Shared>,
    inbox: flume::Receiver<Msg>,
    /// For the threads that diagnose network failures.
    outbox: flume::Sender<Msg>,
    /// Bumped once playbin is in NULL: messages posted before belong to a source gone.
    epoch: Arc<AtomicU64>,
    /// The generation of the source this thread plays.
    generation: u64,
    source: Source,
    subtitles: SubtitleControl,
    next_position: Option<Instant>,
}

impl Control {
    pub(crate) fn new(
        shared: Arc<Shared>,
        inbox: flume::Receiver<Msg>,
        outbox: flume::Sender<Msg>,
        epoch: Arc<AtomicU64>,
    ) -> Self {
        Self {
            shared,
            inbox,
            outbox,
            epoch,
            generation: 0,
            source: Source::default(),
            subtitles: SubtitleControl::default(),
            next_position: None,
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            let refused_at = self.source.refused.map(|(_, at)| at);
            let wake_at = [self.source.preroll_deadline, refused_at, self.next_position]
                .into_iter()
                .flatten()
                .min();
            let received = match wake_at {
                Some(at) => self.inbox.recv_deadline(at),
                None => self
                    .inbox
                    .recv()
                    .map_err(|_| flume::RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(Msg::Shutdown) | Err(flume::RecvTimeoutError::Disconnected) => {
                    self.stop_source();
                    return;
                }
                Ok(msg) => self.handle(msg),
                Err(flume::RecvTimeoutError::Timeout) => {}
            }
            // A stream of unrelated messages must not hold the deadlines off.
            self.check_refusal();
            self.check_preroll_deadline();
            self.read_position_when_due();
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Bus { epoch, message } => {
                if epoch == self.epoch.load(Ordering::Acquire) && self.is_current() {
                    self.on_bus(&message);
                }
            }
            Msg::Load {
                generation,
                uri,
                play,
                advanced,
            } => {
                if !self.adopt(generation) {
                    return;
                }
                if let Some(index) = advanced {
                    let events = &self.shared.events;
                    self.publish(|s| {
                        events.send(PlayerEvent::Advanced {
                            index,
                            location: s.location.clone(),
                        })
                    });
                }
                self.load(&uri, play);
            }
            Msg::Stop { generation } => {
                if !self.adopt(generation) {
                    return;
                }
                self.stop_source();
                self.source.preroll_deadline = None;
                self.source.refused = None;
                self.source.ended = false;
                self.publish(|s| s.position = None);
                self.report_state(PlaybackState::Stopped);
            }
            Msg::Play => {
                if !self.has_source() {
                    return;
                }
                self.source.wants_playing = true;
                if std::mem::take(&mut self.source.ended) {
                    self.seek(
                        gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
                        gst::ClockTime::ZERO,
                    );
                }
                // While the buffer fills, playing waits for it to be full.
                if !self.source.buffering.is_filling() {
                    self.change_state(gst::State::Playing);
                }
            }
            Msg::Pause => {
                if self.has_source() {
                    self.source.wants_playing = false;
                    self.change_state(gst::State::Paused);
                }
            }
            Msg::Speed(speed) => {
                // Before the preroll, the first ASYNC_DONE applies it; at the end, `play`.
                if self.has_source() && self.source.streams_reported && !self.source.ended {
                    self.seek_here(speed);
                }
                // The speed is the player's, not the source's: told even while a new
                // source is on its way.
                self.shared.events.send(PlayerEvent::SpeedChanged(speed));
            }
            Msg::Seek { target, flags } => {
                if self.has_source() {
                    self.seek(flags, target);
                }
            }
            Msg::SelectAudio(index) => self.select_audio(index),
            Msg::SelectSubtitles(index) => self.select_subtitles(index),
            Msg::SubtitleFile(uri) => self.reload_with_subtitles(Some(&uri)),
            Msg::SubtitlesMoved => self.subtitles_moved(),
            Msg::SubtitlePreferences(prefs) => self.subtitles.set_preferences(prefs),
            Msg::Diagnosed { generation, error } => {
                if generation == self.generation && self.is_current() {
                    self.report_failure(error);
                }
            }
            Msg::Shutdown => {}
        }
    }

    /// Makes `generation` this thread's, unless a newer request replaced it already.
    fn adopt(&mut self, generation: u64) -> bool {
        if self.shared.status.lock().unwrap().generation != generation {
            return false;
        }
        self.generation = generation;
        true
    }

    /// True while no newer request (an open, a skip, a stop) waits in the inbox.
    fn is_current(&self) -> bool {
        self.shared.status.lock().unwrap().generation == self.generation
    }

    fn has_source(&self) -> bool {
        !self.source.uri.is_empty() && !self.source.failed
    }

    /// Changes the snapshot (and sends events in order with it), unless the source is not
    /// current any more. Never call GStreamer inside `change`.
    fn publish<R>(&self, change: impl FnOnce(&mut Status) -> R) -> Option<R> {
        let mut status = self.shared.status.lock().unwrap();
        (status.generation == self.generation).then(|| change(&mut status))
    }

    /// Sends `event` unless the source is not current any more.
    fn emit(&self, event: PlayerEvent) {
        self.publish(|_| self.shared.events.send(event));
    }

    /// Replaces the current source with `uri`, prerolled (paused), then playing with `play`.
    fn load(&mut self, uri: &str, play: bool) {
        self.stop_source();
        let location = display_location(uri);
        let label = std::path::Path::new(&location)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| location.clone());
        self.source = Source {
            uri: uri.to_owned(),
            location,
            wants_playing: play,
            ..Source::default()
        };
        self.next_position = None;
        for output in &self.shared.outputs {
            output.set_source_label(&label);
        }
        self.shared.playbin.set_property("uri", uri);
        self.subtitles.prepare(&self.shared.playbin, uri);
        self.shared.subtitles.set_hidden(false);
        if !self.change_state(gst::State::Paused) {
            return;
        }
        self.source.preroll_deadline = Some(Instant::now() + preroll_limit(uri));
        if play {
            self.change_state(gst::State::Playing);
        }
    }

    /// Plays the queue's source `index` from its start, after the current one ended or failed.
    fn advance(&mut self, index: usize) {
        let events = &self.shared.events;
        let uri = {
            let mut status = self.shared.status.lock().unwrap();
            if status.generation != self.generation {
                return;
            }
            status.queue.current = index;
            let uri = status.queue.items[index].clone();
            self.generation = status.begin_source(&uri);
            events.send(PlayerEvent::Advanced {
                index,
                location: status.location.clone(),
            });
            uri
        };
        tracing::info!(uri, index, "next in the queue");
        self.load(&uri, true);
    }

    /// Asks playbin for `state`; false when it refused. An element that refuses posts why on
    /// the bus first (a 404, a file that is not media): that error, already in the inbox, is
    /// what the person is told. Only if none comes is the refusal itself reported.
    fn change_state(&mut self, state: gst::State) -> bool {
        match self.shared.playbin.set_state(state) {
            Ok(gst::StateChangeSuccess::NoPreroll) => {
                self.source.live = true;
                return true;
            }
            Ok(_) => return true,
            Err(_) => {}
        }
        if self.source.refused.is_none() {
            self.source.refused = Some((state, Instant::now() + REFUSAL_GRACE));
        }
        false
    }

    fn check_refusal(&mut self) {
        let Some((state, at)) = self.source.refused else {
            return;
        };
        if self.source.failed {
            self.source.refused = None;
            return;
        }
        if Instant::now() < at {
            return;
        }
        self.source.refused = None;
        let error = PlayerError::Playback {
            location: self.source.location.clone(),
            cause: format!(
                "the player could not change to {}",
                format!("{state:?}").to_lowercase()
            ),
        };
        self.fail(error);
    }

    fn speed(&self) -> f64 {
        *self.shared.speed.lock().unwrap()
    }

    fn seek(&mut self, flags: gst::SeekFlags, target: gst::ClockTime) {
        match seek_at(&self.shared.playbin, self.speed(), flags, target) {
            Ok(()) => {
                self.source.seeking = true;
                self.source.ended = false;
            }
            Err(_) => tracing::warn!(location = %self.source.location, "the seek was refused"),
        }
    }

    /// Goes on from where the source is, at `speed`. Not a seek of the person's: no
    /// [`PlayerEvent::SeekDone`] follows.
    fn seek_here(&self, speed: f64) {
        let playbin = &self.shared.playbin;
        let here = playbin
            .query_position::<gst::ClockTime>()
            .unwrap_or_default();
        let flags = gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE;
        if seek_at(playbin, speed, flags, here).is_err() {
            tracing::warn!(location = %self.source.location, speed, "the speed was refused");
        }
    }

    fn select_audio(&mut self, index: usize) {
        if !self.has_source() {
            return;
        }
        let playbin = &self.shared.playbin;
        let count = playbin.property::<i32>("n-audio").max(0) as usize;
        if index >= count || playbin.property::<i32>("current-audio") == index as i32 {
            return;
        }
        playbin.set_property("current-audio", index as i32);
        // The old stream's track ends now; the new stream's first buffer starts a new one.
        self.end_sources(&[MediaKind::Audio]);
        let events = &self.shared.events;
        self.publish(|s| {
            s.current_audio = Some(index);
            events.send(PlayerEvent::AudioSelected(index));
        });
    }

    /// Stops streaming and ends every capture of the current source.
    fn stop_source(&mut self) {
        let _ = self.shared.playbin.set_state(gst::State::Null);
        // Every message posted until now belongs to the source just stopped.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.shared.playing.store(false, Ordering::Release);
        self.next_position = None;
        self.end_sources(&MediaKind::ALL);
    }

    fn end_sources(&self, kinds: &[MediaKind]) {
        for kind in kinds {
            self.shared.output(*kind).set_inactive();
        }
        for tap in self.taps() {
            tap.source_ended(kinds);
        }
    }

    fn taps(&self) -> Vec<Arc<dyn OutputTap>> {
        self.shared
            .taps
            .lock()
            .unwrap()
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    fn set_playing(&self, playing: bool) {
        if self.shared.playing.swap(playing, Ordering::AcqRel) != playing {
            for tap in self.taps() {
                tap.playing_changed(playing);
            }
        }
    }

    fn report_state(&mut self, state: PlaybackState) {
        if self.source.state == Some(state) {
            return;
        }
        self.source.state = Some(state);
        self.next_position = (state == PlaybackState::Playing).then(Instant::now);
        let position = (state != PlaybackState::Stopped)
            .then(|| self.query_position())
            .flatten();
        let events = &self.shared.events;
        self.publish(|s| {
            s.state = state;
            if position.is_some() {
                s.position = position;
            }
            events.send(PlayerEvent::StateChanged(state));
        });
    }

    fn query_position(&self) -> Option<Duration> {
        self.shared
            .playbin
            .query_position::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    fn query_duration(&self) -> Option<Duration> {
        self.shared
            .playbin
            .query_duration::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    fn query_seekable(&self) -> Option<bool> {
        let mut query = gst::query::Seeking::new(gst::Format::Time);
        self.shared
            .playbin
            .query(&mut query)
            .then(|| query.result().0)
    }

    fn read_position_when_due(&mut self) {
        let Some(at) = self.next_position else {
            return;
        };
        if Instant::now() < at {
            return;
        }
        self.next_position = Some(Instant::now() + POSITION_EVERY);
        if let Some(position) = self.query_position() {
            self.publish(|s| s.position = Some(position));
        }
    }
}
