//! The actor's part in recording: a recording asked for waits for the source's kinds of
//! media, then taps the encoders it needs (built and kept running for it), and ends.

use std::time::Duration;

use super::actor::Actor;
use super::codec::Codec;
use super::command::Command;
use super::error::ShareError;
use super::events::ShareEvent;
use super::taps::{tracks, Recording, Taps};

/// The actor's part in recording: asked for, started when the media is known, stopped.
impl Actor {
    pub(super) fn start_recording(&mut self, path: std::path::PathBuf) -> Result<(), ShareError> {
        let busy = match &self.recording {
            Recording::On(taps) => Some(taps.path().to_owned()),
            Recording::Waiting(file) => Some(file.path().to_owned()),
            Recording::Off => None,
        };
        if let Some(path) = busy {
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
