//! The share's recording: the top rung's encoded video and the encoded audio, tapped as
//! they leave the encoders and handed to a [`Recorder`] (no second encode). The actor owns
//! this; the taps are pad probes that only pass buffers on, never block.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use std::time::Duration;

use super::actor::Actor;
use super::codec::Codec;
use super::command::Command;
use super::encoder::EncoderChain;
use super::error::ShareError;
use super::events::ShareEvent;
use super::ladder::{running_time, Ladder};
use crate::media::MediaKind;
use crate::record::{RecordError, RecordFile, RecordInput, Recorder, RecordingEvent, Track};
use crate::util::Broadcast;

/// The recording as the share's handle sees it, without asking the actor: the file and how
/// far it has come.
pub type RecordingShown = Arc<Mutex<Option<(PathBuf, Arc<crate::record::RecordingProgress>)>>>;

/// Where the share's recording is.
#[derive(Default)]
pub(crate) enum Recording {
    #[default]
    Off,
    /// Asked for: starts once the kinds of media the source has are known.
    Waiting(RecordFile),
    On(Taps),
}

/// A running recording and the probes that feed it.
pub(crate) struct Taps {
    recorder: Recorder,
    pub video: Option<Codec>,
    pub audio: Option<Codec>,
    probes: Vec<(gst::Pad, gst::PadProbeId)>,
}

impl Taps {
    /// Starts writing `file`: video from rung 0 of `ladder`, audio from `audio`, as given.
    pub(crate) fn start(
        file: RecordFile,
        ladder: Option<&Ladder>,
        audio: Option<&EncoderChain>,
        pipeline: &gst::Pipeline,
        events: &Arc<Broadcast<ShareEvent>>,
        ended: impl Fn(PathBuf) + Send + 'static,
    ) -> Result<Self, RecordError> {
        let pipeline_weak = pipeline.downgrade();
        let now = move || {
            let pipeline = pipeline_weak.upgrade()?;
            Some(pipeline.current_running_time()?.nseconds())
        };
        let events = events.clone();
        let tell = move |event: RecordingEvent| {
            if let RecordingEvent::Stopped { path, .. } = &event {
                ended(path.clone());
            }
            events.send(ShareEvent::Recording(event));
        };
        let recorder = Recorder::start(
            file,
            ladder.map(|l| l.codec.to_string()).as_deref(),
            audio.is_some(),
            now,
            tell,
        )?;
        let mut probes = Vec::new();
        if let Some(rung) = ladder.and_then(|l| l.rungs.first()) {
            rung.unpark();
            rung.force_keyframe(std::time::Instant::now());
            let pad = rung.tee().static_pad("sink").expect("tees have a sink pad");
            probes.extend(tap(&pad, Track::Video, recorder.input()));
        }
        if let Some(chain) = audio {
            chain.unpark();
            probes.extend(tap(&chain.encoded_pad(), Track::Audio, recorder.input()));
        }
        Ok(Self {
            video: ladder.map(|l| l.codec),
            audio: audio.map(EncoderChain::codec),
            recorder,
            probes,
        })
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.recorder.path()
    }

    pub(crate) fn progress(&self) -> Arc<crate::record::RecordingProgress> {
        self.recorder.progress()
    }

    /// Unhooks the taps and finishes the file in the background.
    pub(crate) fn stop(self) -> Recorder {
        for (pad, probe) in self.probes {
            pad.remove_probe(probe);
        }
        self.recorder.stop();
        self.recorder
    }
}

/// The actor's part in recording: asked for, started when the media is known, stopped.
impl Actor {
    pub(super) fn start_recording(&mut self, path: std::path::PathBuf) -> Result<(), ShareError> {
        if let Recording::On(taps) = &self.recording {
            let path = taps.path().to_owned();
            return Err(crate::record::RecordError::AlreadyRecording { path }.into());
        }
        let file = crate::record::RecordFile::create(&path, &self.config.video_codec.to_string())?;
        self.recording = Recording::Waiting(file);
        self.start_waiting_recording();
        Ok(())
    }

    /// Starts a recording that waits, once the kinds of media the source has are known.
    pub(super) fn start_waiting_recording(&mut self) {
        let kinds = (self.source_kinds.clone()).unwrap_or_else(|| self.inputs.captured_kinds());
        if !matches!(self.recording, Recording::Waiting(_)) || kinds.is_empty() {
            return;
        }
        let Recording::Waiting(file) = std::mem::take(&mut self.recording) else {
            return;
        };
        let path = file.path().to_owned();
        let (video, audio) = tracks(&kinds);
        let codec = self.config.video_codec;
        let started = (|| {
            if video {
                self.ensure_ladder(codec)?;
            }
            if audio {
                self.ensure_audio(Codec::Opus)?;
            }
            let commands = self.commands.clone();
            let ended = move |path| {
                let _ = commands.send(Command::RecordingEnded(path));
            };
            let ladder = video.then(|| &self.ladders[&codec]);
            let chain = audio.then(|| &self.encoders[&Codec::Opus]);
            Ok::<_, ShareError>(Taps::start(
                file,
                ladder,
                chain,
                &self.pipeline,
                &self.events,
                ended,
            )?)
        })();
        match started {
            Ok(taps) => {
                *self.recording_shown.lock().unwrap() = Some((path, taps.progress()));
                self.recording = Recording::On(taps);
            }
            Err(e) => self.events.send(ShareEvent::Recording(
                crate::record::RecordingEvent::Stopped {
                    path,
                    duration: Duration::ZERO,
                    bytes: 0,
                    error: Some(e.to_string()),
                },
            )),
        }
    }

    pub(super) fn stop_recording(&mut self) {
        match std::mem::take(&mut self.recording) {
            Recording::On(taps) => self.finishing.push(taps.stop()),
            // Dropped, the file nothing was written to goes.
            Recording::Waiting(_) | Recording::Off => {}
        }
        *self.recording_shown.lock().unwrap() = None;
        self.park_idle_encoders();
    }

    /// A recording's file is finished (or failed): its taps go, the encoders only it used park.
    pub(super) fn recording_ended(&mut self, path: &std::path::Path) {
        self.finishing.retain(|r| r.path() != path);
        if matches!(&self.recording, Recording::On(taps) if taps.path() == path) {
            self.stop_recording();
            self.finishing.retain(|r| r.path() != path);
        }
    }
}

/// Passes each buffer at `pad` to the recording, with its running time.
fn tap(pad: &gst::Pad, track: Track, input: RecordInput) -> Option<(gst::Pad, gst::PadProbeId)> {
    let id = pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        if let Some(buffer) = info.buffer() {
            if let Some(running) = running_time(pad, buffer.pts()) {
                input.push(
                    track,
                    buffer.clone(),
                    running.nseconds(),
                    pad.current_caps(),
                );
            }
        }
        gst::PadProbeReturn::Ok
    })?;
    Some((pad.clone(), id))
}

/// The tracks a recording of a source with `kinds` has.
pub(crate) fn tracks(kinds: &[MediaKind]) -> (bool, bool) {
    (
        kinds.contains(&MediaKind::Video),
        kinds.contains(&MediaKind::Audio),
    )
}
