//! The control thread's subtitle steps that change playbin's state: a reload that takes a
//! subtitle file, and what follows its preroll (or its failure to preroll).

use std::time::Instant;

use super::{preroll_limit, Control};
use crate::media::error::PlayerError;
use crate::media::events::{PlaybackState, PlayerEvent};
use crate::media::subtitle_control::Reload;
use crate::media::subtitle_overlays::missing_renderer;

use gst::prelude::*;

impl Control {
    pub(super) fn select_subtitles(&mut self, index: Option<usize>) {
        if let Some(state) = self.subtitles.select(&self.shared.playbin, index) {
            self.shared.subtitles.set_hidden(state.shown.is_none());
            self.emit(PlayerEvent::Subtitles(state));
        }
    }

    /// The subtitles are drawn on the other side of the capture now: the overlay that draws
    /// sets itself up when the source starts again.
    pub(super) fn subtitles_moved(&mut self) {
        if self.subtitles.shown() {
            self.reload_with_subtitles(None);
        }
    }

    /// Starts the current source again where it is, with subtitle file `uri` (or the one it
    /// has): playbin takes a subtitle file only when it starts a source, and an overlay sets
    /// itself up for subtitles only then. The captures go on (no track ends) and the person
    /// sees no state change.
    pub(super) fn reload_with_subtitles(&mut self, uri: Option<&str>) {
        if !self.has_source() || self.subtitles.reloading() || !self.source.streams_reported {
            return;
        }
        let (position, play) = (
            self.query_position(),
            self.source.state == Some(PlaybackState::Playing),
        );
        let playbin = &self.shared.playbin;
        let _ = playbin.set_state(gst::State::Ready);
        let since = gst::Seqnum::next();
        let reload = Reload {
            position,
            play,
            since,
        };
        self.subtitles.begin_reload(playbin, uri, reload);
        self.shared.subtitles.set_hidden(false);
        if self.change_state(gst::State::Paused) {
            self.source.preroll_deadline = Some(Instant::now() + preroll_limit(&self.source.uri));
        }
    }

    /// The reload with a subtitle file prerolled: back to where the source was.
    pub(super) fn end_reload(&mut self, reload: Reload) {
        if let Some(position) = reload.position {
            let target = gst::ClockTime::from_nseconds(position.as_nanos() as u64);
            self.seek(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, target);
        }
        if reload.play {
            self.change_state(gst::State::Playing);
        }
        self.report_subtitles();
    }

    pub(super) fn report_subtitles(&mut self) {
        let state = self.subtitles.on_prerolled(&self.shared.playbin);
        let shown = state.shown.and_then(|i| state.tracks.get(i));
        if let Some(error) = shown.and_then(|t| missing_renderer(t.codec.as_deref())) {
            self.emit(PlayerEvent::SubtitlesFailed(error));
        }
        self.emit(PlayerEvent::Subtitles(state));
    }

    /// A reload with a subtitle file never prerolled: once more without it.
    pub(super) fn give_up_subtitles(&mut self) {
        let playbin = &self.shared.playbin;
        let _ = playbin.set_state(gst::State::Ready);
        let Some(error) = self.subtitles.give_up_file(playbin) else {
            let error = PlayerError::Damaged {
                location: self.source.location.clone(),
                cause: "it did not start again in time".into(),
            };
            return self.fail(error);
        };
        self.emit(PlayerEvent::SubtitlesFailed(error));
        if self.change_state(gst::State::Paused) {
            self.source.preroll_deadline = Some(Instant::now() + preroll_limit(&self.source.uri));
        }
    }
}
