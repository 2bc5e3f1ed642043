//! The recording's own pipeline, `appsrc → [parse] → muxer → filesink` per track, fed with
//! the share's encoded buffers from its streaming threads through a channel. Its own
//! pipeline, so a full disk or a broken file never stops the share; its own thread, which
//! alone pushes, so a track's buffers and gaps keep their order.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::error::RecordError;
use super::format::RecordFormat;
use super::timeline::{Decision, Timeline, Track};

/// Buffers waiting for the recording's thread at most; more means it is stuck (a disk that
/// does not answer), and buffers are dropped rather than held without bound.
const BACKLOG: usize = 1024;

/// A Matroska cluster is closed at least this often: a crash loses at most the cluster
/// being written (MP4 fragments have the same length).
const CLUSTER: Duration = Duration::from_secs(1);

/// How long a stop waits for the muxer to write what players need to seek.
const FINISH_WITHIN: Duration = Duration::from_secs(5);

/// Sound held before the file has begun, at most (see [`Decision::Hold`]): two seconds of
/// Opus, longer than a file waits for its sound to begin after a keyframe.
const HELD: usize = 100;

/// How often silent tracks are gapped and the size is read.
const TICK: Duration = Duration::from_millis(200);

/// What a recording tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingEvent {
    /// The first keyframe is written: the file has begun.
    Started { path: PathBuf },
    /// The file is closed (or, with `error`, was given up: what was written stays).
    Stopped {
        path: PathBuf,
        duration: Duration,
        bytes: u64,
        error: Option<String>,
    },
}

/// How far a recording has come, read by status displays.
#[derive(Debug, Default)]
pub struct RecordingProgress {
    duration_ms: AtomicU64,
    bytes: AtomicU64,
}

impl RecordingProgress {
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.duration_ms.load(Ordering::Relaxed))
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

enum Input {
    Buffer {
        track: Track,
        buffer: gst::Buffer,
        running: u64,
        caps: Option<gst::Caps>,
    },
    Stop,
}

/// What a recording calls on the share, from its own thread.
pub struct Hooks {
    /// The share's running time, in nanoseconds.
    pub now: Box<dyn Fn() -> Option<u64> + Send>,
    /// Asks the video encoder for a keyframe (the file's start waits for one).
    pub keyframe: Box<dyn Fn() + Send>,
    /// Hears the recording's events.
    pub tell: Box<dyn Fn(RecordingEvent) + Send>,
}

/// A recording in progress; it is finished when stopped or dropped.
pub struct Recorder {
    path: PathBuf,
    inputs: flume::Sender<Input>,
    /// Set to stop: heard even when the channel is full (a disk that does not answer).
    stopping: Arc<std::sync::atomic::AtomicBool>,
    progress: Arc<RecordingProgress>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts writing `file` with the given tracks; `video` is the share's video codec
    /// ("vp8", "vp9", "h264") when the file has video.
    pub fn start(
        file: RecordFile,
        video: Option<&str>,
        audio: bool,
        hooks: Hooks,
    ) -> Result<Self, RecordError> {
        let path = file.path.clone();
        let path = path.as_path();
        if let Some(codec) = video {
            file.format.check_video(codec, path)?;
        }
        let (pipeline, video_src, audio_src) = build(path, file.format, video, audio)?;
        // From here the file is the recording's: it is kept, however the recording ends.
        let format = file.format;
        let mut file = file;
        file.kept = true;
        let mut tracks = Vec::new();
        if video_src.is_some() {
            tracks.push(Track::Video);
        }
        if audio_src.is_some() {
            tracks.push(Track::Audio);
        }
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            let _ = pipeline.set_state(gst::State::Null);
            let _ = std::fs::remove_file(path);
            return Err(RecordError::Open {
                path: path.to_owned(),
                cause: e.to_string(),
            });
        }
        let (inputs, receiver) = flume::bounded(BACKLOG);
        let progress = Arc::new(RecordingProgress::default());
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = Writer {
            path: path.to_owned(),
            pipeline,
            video: video_src,
            audio: audio_src,
            timeline: Timeline::new(&tracks),
            progress: progress.clone(),
            told_start: false,
            dropped: 0,
            pinned: [false; 2],
            held: std::collections::VecDeque::new(),
        };
        let thread = std::thread::Builder::new()
            .name("recording".into())
            .spawn({
                let stopping = stopping.clone();
                move || writer.run(receiver, stopping, hooks)
            })
            .map_err(|e| RecordError::Open {
                path: path.to_owned(),
                cause: e.to_string(),
            })?;
        tracing::info!(path = %path.display(), format = format.name(), "recording");
        Ok(Self {
            path: path.to_owned(),
            inputs,
            stopping,
            progress,
            thread: Some(thread),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn progress(&self) -> Arc<RecordingProgress> {
        self.progress.clone()
    }

    /// What the share's streaming threads call: never blocks.
    pub fn input(&self) -> RecordInput {
        RecordInput(self.inputs.clone())
    }

    /// Finishes the file in the background; [`RecordingEvent::Stopped`] tells when it is.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        // Wakes the thread at once; with a full channel it sees the flag within a tick.
        let _ = self.inputs.try_send(Input::Stop);
    }

    /// Stops and waits until the file is finished (bounded), for a share that is going away.
    pub fn finish(mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A handle the share's streaming threads push encoded buffers through.
#[derive(Clone)]
pub struct RecordInput(flume::Sender<Input>);

impl RecordInput {
    /// `buffer` of `track`, at share running time `running` (ns), with the caps it has.
    pub fn push(&self, track: Track, buffer: gst::Buffer, running: u64, caps: Option<gst::Caps>) {
        let _ = self.0.try_send(Input::Buffer {
            track,
            buffer,
            running,
            caps,
        });
    }
}

/// A new, empty file a recording is to be written to: created at once, so a name that cannot
/// be written is said before anything starts. Dropped unused, it is removed.
#[derive(Debug)]
pub struct RecordFile {
    path: PathBuf,
    format: RecordFormat,
    kept: bool,
}

impl RecordFile {
    /// Creates `path`, never over an existing file, for a share sending `video_codec`.
    pub fn create(path: &Path, video_codec: &str) -> Result<Self, RecordError> {
        let format = RecordFormat::of(path)?;
        format.check_video(video_codec, path)?;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(_) => Ok(Self {
                path: path.to_owned(),
                format,
                kept: false,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(RecordError::Exists {
                path: path.to_owned(),
            }),
            Err(e) => Err(RecordError::Open {
                path: path.to_owned(),
                cause: e.to_string(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RecordFile {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn element(path: &Path, factory: &str) -> Result<gst::Element, RecordError> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| RecordError::MissingElement {
            path: path.to_owned(),
            element: factory.to_owned(),
            package: match factory {
                "h264parse" => "gstreamer1.0-plugins-bad",
                _ => "gstreamer1.0-plugins-good",
            },
        })
}

type Built = (
    gst::Pipeline,
    Option<gst_app::AppSrc>,
    Option<gst_app::AppSrc>,
);

fn build(
    path: &Path,
    format: RecordFormat,
    video: Option<&str>,
    audio: bool,
) -> Result<Built, RecordError> {
    let failed = |e: &dyn std::fmt::Display| RecordError::Open {
        path: path.to_owned(),
        cause: e.to_string(),
    };
    let pipeline = gst::Pipeline::with_name("recording");
    let mux = element(path, format.muxer())?;
    match format {
        RecordFormat::Matroska | RecordFormat::WebM => {
            mux.set_property("max-cluster-duration", CLUSTER.as_nanos() as i64);
            mux.set_property("writing-app", "Reelcast");
        }
        RecordFormat::Mp4 => {
            // Fragments: what is written stays playable whatever happens to the process.
            mux.set_property("fragment-duration", CLUSTER.as_millis() as u32);
        }
    }
    let sink = element(path, "filesink")?;
    sink.set_property("location", path.to_string_lossy().as_ref());
    // Each write reaches the kernel at once: a crash of this process loses nothing written.
    sink.set_property_from_str("buffer-mode", "unbuffered");
    sink.set_property("sync", false);
    sink.set_property("async", false);
    pipeline.add_many([&mux, &sink]).map_err(|e| failed(&e))?;
    mux.link(&sink).map_err(|e| failed(&e))?;
    let branch = |track: Track, middle: Vec<gst::Element>| -> Result<_, RecordError> {
        let src = gst_app::AppSrc::builder()
            .name(match track {
                Track::Video => "video",
                Track::Audio => "audio",
            })
            .format(gst::Format::Time)
            .is_live(false)
            .block(false)
            .build();
        // A stuck disk drops the newest rather than growing without bound.
        src.set_property("max-bytes", 32u64 << 20);
        let queue = element(path, "queue")?;
        let mut chain: Vec<gst::Element> = vec![src.clone().upcast()];
        chain.extend(middle);
        chain.push(queue.clone());
        pipeline.add_many(&chain).map_err(|e| failed(&e))?;
        gst::Element::link_many(&chain).map_err(|e| failed(&e))?;
        let template = match track {
            Track::Video => "video_%u",
            Track::Audio => "audio_%u",
        };
        let pad = mux
            .request_pad_simple(template)
            .ok_or_else(|| failed(&format!("{} gave no {template} pad", format.muxer())))?;
        queue
            .static_pad("src")
            .expect("queues have a src pad")
            .link(&pad)
            .map_err(|e| failed(&e))?;
        Ok(src)
    };
    let video_src = match video {
        Some("h264") => {
            // In-band parameter sets at each keyframe: a new picture size needs no new header.
            let parse = element(path, "h264parse")?;
            parse.set_property("config-interval", -1i32);
            let filter = element(path, "capsfilter")?;
            filter.set_property(
                "caps",
                gst::Caps::builder("video/x-h264")
                    .field("stream-format", "avc3")
                    .field("alignment", "au")
                    .build(),
            );
            pin_caps(
                &filter
                    .static_pad("src")
                    .expect("capsfilters have a src pad"),
            );
            Some(branch(Track::Video, vec![parse, filter])?)
        }
        Some(_) => Some(branch(Track::Video, Vec::new())?),
        None => None,
    };
    let audio_src = audio
        .then(|| branch(Track::Audio, Vec::new()))
        .transpose()?;
    Ok((pipeline, video_src, audio_src))
}

/// Lets only the first caps through `pad`: the parser's caps for a new picture size would be
/// refused by a muxer whose header is written (or, in MP4, break the file); the size travels
/// in the stream's own parameter sets, which every keyframe carries.
fn pin_caps(pad: &gst::Pad) {
    let seen = std::sync::atomic::AtomicBool::new(false);
    pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        if let Some(gst::EventView::Caps(_)) = info.event().map(|e| e.view()) {
            if seen.swap(true, Ordering::Relaxed) {
                return gst::PadProbeReturn::Drop;
            }
        }
        gst::PadProbeReturn::Ok
    });
}

struct Writer {
    path: PathBuf,
    pipeline: gst::Pipeline,
    video: Option<gst_app::AppSrc>,
    audio: Option<gst_app::AppSrc>,
    timeline: Timeline,
    progress: Arc<RecordingProgress>,
    told_start: bool,
    dropped: u64,
    /// Whether each track's caps were given: the first caps stay. A muxer refuses new caps
    /// once its header is written, and none is needed: VP8 and VP9 frames carry their size,
    /// H.264's parser sends its own from the stream, and an Opus decoder takes any packet.
    pinned: [bool; 2],
    /// Sound that came before the file began, given to the timeline again once it has.
    held: std::collections::VecDeque<(Track, gst::Buffer, u64, Option<gst::Caps>)>,
}

impl Writer {
    fn run(
        mut self,
        inputs: flume::Receiver<Input>,
        stopping: Arc<std::sync::atomic::AtomicBool>,
        hooks: Hooks,
    ) {
        let Hooks {
            now,
            keyframe,
            tell,
        } = hooks;
        let bus = self.pipeline.bus().expect("pipelines have a bus");
        let mut next_tick = Instant::now() + TICK;
        let error = loop {
            match inputs.recv_deadline(next_tick) {
                Ok(Input::Buffer {
                    track,
                    buffer,
                    running,
                    caps,
                }) => {
                    self.write(track, buffer, running, caps);
                    if self.timeline.keyframe_wanted() {
                        keyframe();
                    }
                    if self.timeline.started() && !self.told_start {
                        self.told_start = true;
                        tell(RecordingEvent::Started {
                            path: self.path.clone(),
                        });
                    }
                }
                Ok(Input::Stop) | Err(flume::RecvTimeoutError::Disconnected) => {
                    break self.finish(&bus);
                }
                Err(flume::RecvTimeoutError::Timeout) => {}
            }
            if stopping.load(Ordering::Relaxed) {
                // What was sent before the stop still goes in.
                for input in inputs.try_iter().take(BACKLOG) {
                    if let Input::Buffer {
                        track,
                        buffer,
                        running,
                        caps,
                    } = input
                    {
                        self.write(track, buffer, running, caps);
                    }
                }
                break self.finish(&bus);
            }
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + TICK;
                if let Some(now) = now() {
                    for (track, pts, duration) in self.timeline.gaps(now) {
                        self.gap(track, pts, duration);
                    }
                }
                self.measure();
            }
            if let Some(error) = bus.pop_filtered(&[gst::MessageType::Error]) {
                break Some(describe(&error));
            }
        };
        // Said with the file it is about.
        let error = error.map(|cause| {
            RecordError::Write {
                path: self.path.clone(),
                cause,
            }
            .to_string()
        });
        let _ = self.pipeline.set_state(gst::State::Null);
        self.measure();
        if let Some(error) = &error {
            tracing::warn!(path = %self.path.display(), "recording failed: {error}");
        }
        if self.dropped > 0 {
            tracing::warn!(dropped = self.dropped, "the recording fell behind");
        }
        if !self.told_start {
            // Nothing came to write: no empty file is left behind.
            let _ = std::fs::remove_file(&self.path);
        }
        tell(RecordingEvent::Stopped {
            path: self.path.clone(),
            duration: self.progress.duration(),
            bytes: self.progress.bytes(),
            error,
        });
    }

    fn src(&self, track: Track) -> Option<&gst_app::AppSrc> {
        match track {
            Track::Video => self.video.as_ref(),
            Track::Audio => self.audio.as_ref(),
        }
    }

    fn write(&mut self, track: Track, buffer: gst::Buffer, running: u64, caps: Option<gst::Caps>) {
        let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        let duration = buffer.duration().map(gst::ClockTime::nseconds);
        let pts = match self.timeline.buffer(track, running, duration, keyframe) {
            Decision::Write { pts } => pts,
            Decision::Hold => {
                if self.held.len() >= HELD {
                    self.held.pop_front();
                }
                self.held.push_back((track, buffer, running, caps));
                return;
            }
            Decision::Drop => return,
        };
        self.push(track, buffer, pts, caps);
        if self.timeline.started() {
            // The file has begun: what was held goes in after its first keyframe, or not.
            for (track, buffer, running, caps) in std::mem::take(&mut self.held) {
                self.write(track, buffer, running, caps);
            }
        }
    }

    fn push(&mut self, track: Track, buffer: gst::Buffer, pts: u64, caps: Option<gst::Caps>) {
        if self.src(track).is_none() {
            return;
        }
        let mut buffer = buffer;
        {
            let buffer = buffer.make_mut();
            buffer.set_pts(gst::ClockTime::from_nseconds(pts));
            buffer.set_dts(gst::ClockTime::NONE);
        }
        let mut sample = gst::Sample::builder().buffer(&buffer);
        let pinned = &mut self.pinned[track as usize];
        if let Some(caps) = caps.as_ref().filter(|_| !*pinned) {
            sample = sample.caps(caps);
            *pinned = true;
        }
        let src = self.src(track).expect("checked");
        if src.push_sample(&sample.build()).is_err() {
            self.dropped += 1;
        }
    }

    /// A silent stretch of `track`: an empty buffer flagged as a gap moves the muxer on and
    /// writes nothing.
    fn gap(&self, track: Track, pts: u64, duration: u64) {
        let Some(src) = self.src(track) else { return };
        if src.caps().is_none() {
            // No buffer of this track has come yet: the muxer has no caps for it.
            return;
        }
        let mut buffer = gst::Buffer::new();
        {
            let buffer = buffer.get_mut().expect("new");
            buffer.set_pts(gst::ClockTime::from_nseconds(pts));
            buffer.set_duration(gst::ClockTime::from_nseconds(duration));
            buffer.set_flags(gst::BufferFlags::GAP | gst::BufferFlags::DROPPABLE);
        }
        let _ = src.push_buffer(buffer);
    }

    fn measure(&self) {
        let duration = self.timeline.duration().as_millis() as u64;
        self.progress.duration_ms.store(duration, Ordering::Relaxed);
        if let Ok(meta) = std::fs::metadata(&self.path) {
            self.progress.bytes.store(meta.len(), Ordering::Relaxed);
        }
    }

    /// Ends every track and waits (bounded) for the muxer to write its index; the error that
    /// came instead, if any.
    fn finish(&self, bus: &gst::Bus) -> Option<String> {
        for src in [&self.video, &self.audio].into_iter().flatten() {
            let _ = src.end_of_stream();
        }
        let deadline = gst::ClockTime::from_nseconds(FINISH_WITHIN.as_nanos() as u64);
        match bus.timed_pop_filtered(deadline, &[gst::MessageType::Eos, gst::MessageType::Error]) {
            Some(message) => match message.view() {
                gst::MessageView::Error(_) => Some(describe(&message)),
                _ => None,
            },
            None => Some(format!(
                "the file was not finished within {} s",
                FINISH_WITHIN.as_secs()
            )),
        }
    }
}

/// A pipeline error as a person reads it: the error, and the system's cause where the debug
/// text ends with one ("No space left on device").
fn describe(message: &gst::Message) -> String {
    let gst::MessageView::Error(error) = message.view() else {
        return "unknown error".into();
    };
    let text = error.error().to_string();
    let cause = error
        .debug()
        .and_then(|d| d.lines().last().map(str::trim).map(str::to_owned))
        .filter(|c| !c.is_empty() && !c.contains("gst") && !c.starts_with('/'));
    match cause {
        Some(cause) => format!("{} ({cause})", text.trim_end_matches('.')),
        None => text,
    }
}
