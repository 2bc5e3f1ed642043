//! The player's public face, for the front-ends: commands go to the control thread
//! ([`super::control`]) as messages, and every getter reads the snapshot that thread keeps up
//! to date, so no caller waits on GStreamer or on the bus.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use gst::prelude::*;

use super::control::{forward_bus, Control, Msg, Shared, Taps};
use super::error::resolve_source;
use super::error::PlayerError;
use super::events::{MediaKind, PlaybackState, PlayerEvent};
use super::output::{audio_device_sink, clocked_fakesink, pipeline_err, OutputBranch, OutputTap};
use super::speed::{check_speed, pitch_keeper};
use super::status::{PlayQueue, Status};
use super::subtitle_overlays::SubtitleOverlays;
use super::subtitles::{resolve_subtitle_file, SubtitlePreferences};
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

/// Plays one source at a time through GStreamer's playbin, in real time, and reports what
/// happens as [`PlayerEvent`]s. Decoded media goes through tees ([`OutputBranch`]) so that
/// captures can tap it.
///
/// Every method returns at once: changes are carried out in order by the player's control
/// thread, and getters read what that thread last saw (a [`PlayerEvent`] comes after the
/// getters show its change).
pub struct Player {
    shared: Arc<Shared>,
    commands: flume::Sender<Msg>,
    /// Local volume and mute, as last set.
    local: Mutex<(f64, bool)>,
    control_thread: Option<JoinHandle<()>>,
    /// Disconnected once the control thread has ended.
    control_ended: flume::Receiver<()>,
}

/// How long dropping a player waits for its control thread to stop the pipeline. A thread
/// stuck in GStreamer (a streaming thread that never lets go, seen once in CI) is left
/// behind rather than hanging whoever drops the player: the window closing, a test.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

impl Player {
    pub fn new(options: PlayerOptions) -> Result<Self, PlayerError> {
        crate::init().map_err(|e| PlayerError::Pipeline(e.to_string()))?;
        super::subtitle_types::register_subtitle_extensions().map_err(PlayerError::Pipeline)?;
        let playbin = gst::ElementFactory::make("playbin")
            .name("player")
            .build()
            .map_err(|_| PlayerError::MissingElement {
                factory: "playbin".into(),
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
        let subtitles = SubtitleOverlays::new()?;
        let taps: Arc<Taps> = Arc::new(Mutex::new(Vec::new()));
        let playing = Arc::new(AtomicBool::new(false));
        let video = OutputBranch::new(
            MediaKind::Video,
            video_sink,
            playing.clone(),
            Arc::downgrade(&taps),
            Some(&subtitles),
        )?;
        let audio = OutputBranch::new(
            MediaKind::Audio,
            audio_sink,
            playing.clone(),
            Arc::downgrade(&taps),
            None,
        )?;
        playbin.set_property("audio-filter", pitch_keeper()?);
        playbin.set_property("video-sink", video.bin());
        playbin.set_property("text-sink", subtitles.text_sink());
        playbin.set_property("audio-sink", audio.bin());

        let shared = Arc::new(Shared {
            playbin,
            outputs: [video, audio],
            subtitles,
            events: Broadcast::default(),
            taps,
            playing,
            looping: AtomicBool::new(false),
            speed: Mutex::new(1.0),
            status: Mutex::new(Status::default()),
        });
        let (commands, inbox) = flume::unbounded();
        let epoch = Arc::new(AtomicU64::new(0));
        let bus = shared.playbin.bus().expect("a pipeline has a bus");
        forward_bus(&bus, commands.clone(), epoch.clone());
        let control = Control::new(shared.clone(), inbox, commands.clone(), epoch);
        let (ended_tx, control_ended) = flume::bounded::<()>(0);
        let control_thread = std::thread::Builder::new()
            .name("player-control".into())
            .spawn(move || {
                let _ended = ended_tx;
                control.run()
            })
            .map_err(pipeline_err)?;
        Ok(Self {
            shared,
            commands,
            local: Mutex::new((1.0, false)),
            control_thread: Some(control_thread),
            control_ended,
        })
    }

    /// Events in order, from now on.
    pub fn subscribe(&self) -> flume::Receiver<PlayerEvent> {
        self.shared.events.subscribe()
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
            return Err(PlayerError::NothingToOpen);
        };
        let mut status = self.shared.status.lock().unwrap();
        status.queue = PlayQueue {
            items: uris,
            current: 0,
        };
        let generation = status.begin_source(&first);
        // Sent under the lock, so that commands reach the control thread in request order.
        self.send(Msg::Load {
            generation,
            uri: first,
            play: false,
            advanced: None,
        });
        Ok(())
    }

    /// Adds sources to the end of the queue; with nothing open, opens them as a new queue.
    /// Checked as in [`Player::open_queue`]: a missing file is refused and nothing changes.
    /// Returns the queue's length.
    pub fn append<S: AsRef<str>>(&self, inputs: &[S]) -> Result<usize, PlayerError> {
        let uris = inputs
            .iter()
            .map(|i| resolve_source(i.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut status = self.shared.status.lock().unwrap();
        if status.uri.is_none() {
            drop(status);
            self.open_queue(&uris)?;
            return Ok(uris.len());
        }
        status.queue.items.extend(uris);
        Ok(status.queue.items.len())
    }

    /// The queue's sources as URIs, and the index of the current one.
    pub fn queue(&self) -> (Vec<String>, usize) {
        let status = self.shared.status.lock().unwrap();
        (status.queue.items.clone(), status.queue.current)
    }

    /// Plays the next source in the queue now; false when there is none.
    pub fn skip_to_next(&self) -> bool {
        let looping = self.is_looping();
        let mut status = self.shared.status.lock().unwrap();
        let Some(next) = status.next_in_queue(true, looping) else {
            return false;
        };
        status.queue.current = next;
        let uri = status.queue.items[next].clone();
        let generation = status.begin_source(&uri);
        self.send(Msg::Load {
            generation,
            uri,
            play: true,
            advanced: Some(next),
        });
        true
    }

    /// Plays audio stream `index` of the current source (0 to n-1, in
    /// [`PlayerEvent::StreamsKnown`] order among the audio streams). The capture's audio
    /// track ends and a new one follows with the new stream, as the spec asks;
    /// [`PlayerEvent::AudioSelected`] tells when.
    pub fn select_audio(&self, index: usize) -> Result<(), PlayerError> {
        let status = self.shared.status.lock().unwrap();
        if status.uri.is_none() {
            return Err(PlayerError::NoSource);
        }
        let count = status.audio_streams;
        if index >= count {
            return Err(PlayerError::Playback {
                location: status.location.clone(),
                cause: format!("it has no audio stream {index} (it has {count})"),
            });
        }
        self.send(Msg::SelectAudio(index));
        Ok(())
    }

    /// The audio stream playing now, as in [`Player::select_audio`].
    pub fn current_audio(&self) -> Option<usize> {
        self.shared.status.lock().unwrap().current_audio
    }

    /// Shows subtitle track `index` of the current source (as in
    /// [`PlayerEvent::Subtitles`]), or with `None` no subtitles.
    pub fn select_subtitles(&self, index: Option<usize>) -> Result<(), PlayerError> {
        self.command(Msg::SelectSubtitles(index))
    }

    /// Shows subtitle file `input` (a path or URI) with the current source, which goes on
    /// where it is. A missing, unreadable or non-subtitle file is refused here, by name.
    pub fn load_subtitles(&self, input: &str) -> Result<(), PlayerError> {
        let uri = resolve_subtitle_file(input)?;
        self.command(Msg::SubtitleFile(uri))
    }

    /// Subtitles on or off and the language to pick, for the sources opened from now on
    /// (a file next to the video included), and perhaps a subtitle file for the next one. A
    /// missing, unreadable or non-subtitle file is refused here, by name, and nothing changes.
    pub fn set_subtitle_preferences(
        &self,
        mut prefs: SubtitlePreferences,
    ) -> Result<(), PlayerError> {
        prefs.file = prefs
            .file
            .as_deref()
            .map(resolve_subtitle_file)
            .transpose()?;
        self.send(Msg::SubtitlePreferences(prefs));
        Ok(())
    }

    /// Whether the viewers get the subtitles the window shows (drawn into the captured
    /// picture) or the subtitles stay on this computer. On by default.
    pub fn set_share_subtitles(&self, share: bool) {
        if self.shared.subtitles.to_viewers() != share {
            self.shared.subtitles.set_to_viewers(share);
            // The overlay that draws now may have to set itself up for the subtitles.
            self.send(Msg::SubtitlesMoved);
        }
    }

    pub fn shares_subtitles(&self) -> bool {
        self.shared.subtitles.to_viewers()
    }

    /// Plays; after the end, from the beginning again.
    pub fn play(&self) -> Result<(), PlayerError> {
        self.command(Msg::Play)
    }

    pub fn pause(&self) -> Result<(), PlayerError> {
        self.command(Msg::Pause)
    }

    /// Sends `msg` for the current source, unless there is none or it failed.
    fn command(&self, msg: Msg) -> Result<(), PlayerError> {
        let status = self.shared.status.lock().unwrap();
        if let Some(error) = &status.failed {
            return Err(error.clone());
        }
        if status.uri.is_none() {
            return Err(PlayerError::NoSource);
        }
        self.send(msg);
        Ok(())
    }

    /// Stops playback and forgets nothing but the position: `play` starts the source again.
    pub fn stop(&self) {
        let mut status = self.shared.status.lock().unwrap();
        status.generation += 1;
        self.send(Msg::Stop {
            generation: status.generation,
        });
    }

    /// Seeks the current source; [`PlayerEvent::SeekDone`] tells when it is there. Refused
    /// for a source that said it cannot seek.
    pub fn seek(&self, position: Duration, mode: SeekMode) -> Result<(), PlayerError> {
        let flags = match mode {
            SeekMode::Accurate => gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
            SeekMode::Fast => {
                gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT | gst::SeekFlags::SNAP_NEAREST
            }
        };
        let mut status = self.shared.status.lock().unwrap();
        if status.uri.is_none() {
            return Err(PlayerError::NoSource);
        }
        if status.failed.is_some() || status.seekable == Some(false) {
            return Err(PlayerError::Playback {
                location: status.location.clone(),
                cause: "this source cannot seek".into(),
            });
        }
        // Where the person asked to be, until the control thread reads the real position.
        status.position = Some(position);
        self.send(Msg::Seek {
            target: gst::ClockTime::from_nseconds(position.as_nanos() as u64),
            flags,
        });
        Ok(())
    }

    pub fn position(&self) -> Option<Duration> {
        self.shared.status.lock().unwrap().position
    }

    pub fn duration(&self) -> Option<Duration> {
        self.shared.status.lock().unwrap().duration
    }

    /// Local volume, 0.0 to 1.0. The capture is not affected.
    pub fn set_volume(&self, volume: f64) {
        let volume = volume.clamp(0.0, 1.0);
        self.local.lock().unwrap().0 = volume;
        if let Some(v) = self.shared.outputs[1].volume() {
            v.set_property("volume", volume);
        }
    }

    pub fn volume(&self) -> f64 {
        self.local.lock().unwrap().0
    }

    /// Local mute. The capture is not affected.
    pub fn set_muted(&self, muted: bool) {
        self.local.lock().unwrap().1 = muted;
        if let Some(v) = self.shared.outputs[1].volume() {
            v.set_property("mute", muted);
        }
    }

    pub fn is_muted(&self) -> bool {
        self.local.lock().unwrap().1
    }

    /// Plays at `speed` (0.5 to 2.0; 1.0 is normal) with the pitch kept, from now on and for
    /// the next sources too; [`PlayerEvent::SpeedChanged`] tells when. Captures get what
    /// plays, so viewers see and hear the same speed.
    pub fn set_speed(&self, speed: f64) -> Result<(), PlayerError> {
        let speed = check_speed(speed)?;
        *self.shared.speed.lock().unwrap() = speed;
        self.send(Msg::Speed(speed));
        Ok(())
    }

    pub fn speed(&self) -> f64 {
        *self.shared.speed.lock().unwrap()
    }

    /// With loop on, the end of the source starts it again from the beginning.
    pub fn set_looping(&self, looping: bool) {
        self.shared.looping.store(looping, Ordering::Release);
    }

    pub fn is_looping(&self) -> bool {
        self.shared.looping.load(Ordering::Acquire)
    }

    pub fn state(&self) -> PlaybackState {
        self.shared.status.lock().unwrap().state
    }

    /// The current source as a URI, if any.
    pub fn uri(&self) -> Option<String> {
        self.shared.status.lock().unwrap().uri.clone()
    }

    /// The output branch of one kind: its tee is where captures attach.
    pub fn output(&self, kind: MediaKind) -> &Arc<OutputBranch> {
        self.shared.output(kind)
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.shared.playbin
    }

    pub(crate) fn add_tap(&self, tap: Weak<dyn OutputTap>) {
        let mut taps = self.shared.taps.lock().unwrap();
        taps.retain(|t| t.strong_count() > 0);
        taps.push(tap);
    }

    pub(crate) fn is_playing(&self) -> bool {
        self.shared.playing.load(Ordering::Acquire)
    }

    fn send(&self, msg: Msg) {
        // Fails only once the control thread is gone, and then there is nothing to control.
        let _ = self.commands.send(msg);
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.send(Msg::Shutdown);
        if let Some(thread) = self.control_thread.take() {
            match self.control_ended.recv_timeout(SHUTDOWN_DEADLINE) {
                Err(flume::RecvTimeoutError::Disconnected) => {
                    let _ = thread.join();
                }
                _ => {
                    // Its playbin too: another set_state would wait on the same lock.
                    tracing::warn!(
                        "the player's control thread did not stop within {SHUTDOWN_DEADLINE:?}: \
                         it is left behind, stuck in GStreamer"
                    );
                    return;
                }
            }
        }
        if let Some(bus) = self.shared.playbin.bus() {
            bus.unset_sync_handler();
        }
        let _ = self.shared.playbin.set_state(gst::State::Null);
    }
}
