//! The control thread's answers to playbin's bus: state changes, buffering, errors (with
//! the probe that finds their true cause), the end of a stream, and the preroll deadline.

use std::sync::atomic::Ordering;
use std::time::Instant;

use gst::prelude::*;

use super::{preroll_limit, Control, Msg};
use crate::media::buffering::Action;
use crate::media::error::PlayerError;
use crate::media::events::{MediaKind, PlaybackState, PlayerEvent};
use crate::media::network::{self, Verdict};
use crate::media::speed::seek_at;
use crate::media::streams::stream_infos;

impl Control {
    pub(super) fn on_bus(&mut self, msg: &gst::Message) {
        use gst::MessageView;
        let events = &self.shared.events;
        match msg.view() {
            MessageView::StateChanged(s) if msg.src() == Some(self.shared.playbin.upcast_ref()) => {
                // Intermediate states (a flushing seek passes through PAUSED) are not changes,
                // nor is a reload with a subtitle file.
                if s.pending() != gst::State::VoidPending || self.subtitles.reloading() {
                    return;
                }
                let state = match s.current() {
                    gst::State::Playing => PlaybackState::Playing,
                    gst::State::Paused => PlaybackState::Paused,
                    _ => PlaybackState::Stopped,
                };
                self.set_playing(state == PlaybackState::Playing);
                // Waiting for the buffer is no pause of the person's: for them it plays on.
                let waiting = self.source.wants_playing && self.source.buffering.is_filling();
                if !(waiting && state == PlaybackState::Paused) {
                    self.report_state(state);
                }
            }
            MessageView::AsyncDone(_) => {
                self.source.preroll_deadline = None;
                if let Some(reload) = self.subtitles.take_reload() {
                    return self.end_reload(reload);
                }
                if !self.source.streams_reported && !self.source.failed {
                    self.source.streams_reported = true;
                    let streams = stream_infos(&self.shared.playbin, &self.shared.outputs);
                    let duration = self.query_duration();
                    let seekable = self.query_seekable();
                    let playbin = &self.shared.playbin;
                    let audio_streams = playbin.property::<i32>("n-audio").max(0) as usize;
                    let current_audio =
                        usize::try_from(playbin.property::<i32>("current-audio")).ok();
                    self.publish(|s| {
                        s.duration = duration;
                        s.seekable = seekable;
                        s.audio_streams = audio_streams;
                        s.current_audio = current_audio;
                        events.send(PlayerEvent::StreamsKnown(streams));
                        events.send(PlayerEvent::DurationChanged(duration));
                    });
                    let subtitles = self.subtitles.on_prerolled(&self.shared.playbin);
                    self.emit(PlayerEvent::Subtitles(subtitles));
                    let speed = self.speed();
                    if speed != 1.0 {
                        self.seek_here(speed);
                    }
                }
                if std::mem::take(&mut self.source.seeking) {
                    let position = self.query_position().unwrap_or_default();
                    self.publish(|s| {
                        s.position = Some(position);
                        events.send(PlayerEvent::SeekDone(position));
                    });
                }
            }
            MessageView::DurationChanged(_) => {
                let duration = self.query_duration();
                // Told only when it changed: adaptive streams re-post the same duration.
                self.publish(|s| {
                    if s.duration != duration {
                        s.duration = duration;
                        events.send(PlayerEvent::DurationChanged(duration));
                    }
                });
            }
            MessageView::Buffering(b) => {
                let percent = b.percent().clamp(0, 100) as u8;
                if self.source.buffering_told.replace(percent) != Some(percent) {
                    self.emit(PlayerEvent::Buffering(percent));
                }
                let (live, wants) = (self.source.live, self.source.wants_playing);
                match self.source.buffering.update(percent, live, wants) {
                    Action::Pause => {
                        let _ = self.shared.playbin.set_state(gst::State::Paused);
                    }
                    Action::Resume => {
                        self.change_state(gst::State::Playing);
                    }
                    Action::Nothing => {}
                }
            }
            MessageView::Eos(_) => self.on_end_of_stream(),
            MessageView::Error(e) => {
                if self.source.failed {
                    return;
                }
                if self.subtitles.before_reload(msg) {
                    tracing::debug!(error = %e.error(), "an error of the run a subtitle reload stopped");
                    return;
                }
                let err = e.error();
                let details = e.debug();
                tracing::info!(error = %err, ?details, "playback failed");
                let from_bus = PlayerError::from_bus(
                    &self.source.location,
                    &err,
                    details.as_ref().map(|d| d.as_str()),
                    self.source.streams_reported,
                );
                if !network::is_network(&self.source.uri) {
                    return self.fail(from_bus);
                }
                match network::classify(&self.source.location, &err, self.source.http_status) {
                    Some(Verdict::Known(error)) => self.fail(error),
                    Some(Verdict::Probe) => self.probe(from_bus),
                    None => self.fail(from_bus),
                }
            }
            MessageView::Element(_) => {
                if let Some(code) = network::http_status(msg) {
                    self.source.http_status = Some(code);
                }
                if let Some(format) = missing_subtitle_reader(msg) {
                    let error = PlayerError::SubtitleTrackUnreadable {
                        location: self.source.location.clone(),
                        format,
                    };
                    self.emit(PlayerEvent::SubtitlesFailed(error));
                }
            }
            MessageView::Warning(w) => {
                tracing::info!(warning = %w.error(), debug = ?w.debug(), "playback warning");
                if let Some(error) = self.subtitles.file_failure(msg) {
                    self.emit(PlayerEvent::SubtitlesFailed(error));
                    if let Some(state) = self.subtitles.after_file_failed(&self.shared.playbin) {
                        self.shared.subtitles.set_hidden(true);
                        self.emit(PlayerEvent::Subtitles(state));
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_end_of_stream(&mut self) {
        // The spec: tracks end with playback, and replaying creates new ones.
        self.end_sources(&MediaKind::ALL);
        let looping = self.shared.looping.load(Ordering::Acquire);
        let next = self.publish(|s| s.next_in_queue(true, looping)).flatten();
        if let Some(next) = next {
            self.advance(next);
        } else if looping {
            let _ = seek_at(
                &self.shared.playbin,
                self.speed(),
                gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
                gst::ClockTime::ZERO,
            );
            self.emit(PlayerEvent::Looped);
        } else {
            // Paused at the end, as a media element: the person sees a play button again, and
            // playing starts over. playbin itself stays in PLAYING (nothing flows after EOS),
            // so that `play` is one flushing seek, whose completion no state change of ours
            // can be mistaken for.
            self.source.ended = true;
            self.set_playing(false);
            self.report_state(PlaybackState::Paused);
            self.next_position = None;
            self.emit(PlayerEvent::EndOfStream);
        }
    }

    /// The source cannot go on: it stops, and stays stopped until another is opened.
    pub(super) fn fail(&mut self, error: PlayerError) {
        self.source.failed = true;
        self.source.preroll_deadline = None;
        // NULL, not READY: a failed preroll can leave playbin's sinks half linked.
        self.stop_source();
        self.report_failure(error);
    }

    /// A network source failed without saying why: it stops now, and a helper thread asks its
    /// server, so that this thread goes on meanwhile. `fallback`: what to say when the server
    /// can be reached after all.
    pub(super) fn probe(&mut self, fallback: PlayerError) {
        self.source.failed = true;
        self.source.preroll_deadline = None;
        self.stop_source();
        let (uri, location) = (self.source.uri.clone(), self.source.location.clone());
        let (generation, outbox) = (self.generation, self.outbox.clone());
        let spawned = std::thread::Builder::new()
            .name("player-probe".into())
            .spawn({
                let fallback = fallback.clone();
                move || {
                    let error = network::probe(&uri, &location).unwrap_or(fallback);
                    let _ = outbox.send(Msg::Diagnosed { generation, error });
                }
            });
        if spawned.is_err() {
            self.report_failure(fallback);
        }
    }

    /// Tells of a failure, then plays the next source of the queue, if any: a broken file in
    /// a queue does not stop the show.
    pub(super) fn report_failure(&mut self, error: PlayerError) {
        let looping = self.shared.looping.load(Ordering::Acquire);
        let events = &self.shared.events;
        let next = self.publish(|s| {
            s.failed = Some(error.clone());
            s.position = None;
            events.send(PlayerEvent::Error(error));
            s.next_in_queue(false, looping)
        });
        match next {
            // Stale: a newer request replaced this source already.
            None => {}
            Some(Some(next)) => self.advance(next),
            Some(None) => {
                self.report_state(PlaybackState::Stopped);
                self.emit(PlayerEvent::NothingToPlay);
            }
        }
    }

    pub(super) fn check_preroll_deadline(&mut self) {
        let Some(deadline) = self.source.preroll_deadline else {
            return;
        };
        if Instant::now() < deadline || self.source.failed {
            return;
        }
        if self.subtitles.reloading() {
            return self.give_up_subtitles();
        }
        if self.source.streams_reported {
            return;
        }
        let waited = preroll_limit(&self.source.uri).as_secs();
        let location = self.source.location.clone();
        let error = if network::is_network(&self.source.uri) {
            PlayerError::Network {
                location,
                cause: format!("nothing playable arrived within {waited} s"),
            }
        } else {
            PlayerError::Damaged {
                location,
                cause: format!("nothing playable was found in it within {waited} s"),
            }
        };
        tracing::info!(error = %error, "source never prerolled");
        self.fail(error);
    }
}

/// A subtitle track that nothing installed can read (playbin plays on without it, and would
/// say nothing): its format, from the missing-plugin message decodebin posts. Matroska's
/// WebVTT tracks are one, in GStreamer before 1.24.
fn missing_subtitle_reader(msg: &gst::Message) -> Option<String> {
    let structure = msg.structure()?;
    if structure.name() != "missing-plugin" {
        return None;
    }
    let caps = structure.get::<gst::Caps>("detail").ok()?;
    let format = caps.structure(0)?.name().to_string();
    let subtitles = [
        "application/x-subtitle",
        "application/x-ass",
        "application/x-ssa",
    ];
    let is_subtitles = subtitles.iter().any(|s| format.starts_with(s))
        || format.starts_with("subpicture/")
        || format.starts_with("text/");
    is_subtitles.then_some(format)
}
