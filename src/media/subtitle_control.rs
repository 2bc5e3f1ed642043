//! The subtitles' part of the player's control thread: which file goes with a source (found
//! next to it, or asked for), which track shows, and what a reload with a new subtitle file
//! waits for. Called only from [`super::control`], which owns playbin's state changes.

use std::time::Duration;

use gst::prelude::*;

use super::error::{display_location, PlayerError};
use super::subtitles::{
    language_matches, sidecar_files, sidecar_language, SubtitlePreferences, SubtitleState,
    SubtitleTrack,
};

/// A source being reloaded to take a subtitle file (playbin reads `suburi` only when it
/// starts a source): where it was, and whether it played.
pub(crate) struct Reload {
    pub(crate) position: Option<Duration>,
    pub(crate) play: bool,
    /// Every message made before this one belongs to the run the reload stopped.
    pub(crate) since: gst::Seqnum,
}

#[derive(Default)]
pub(crate) struct SubtitleControl {
    prefs: SubtitlePreferences,
    /// The current source's subtitle file (a URI), if it has one.
    file: Option<String>,
    /// A file was asked for after the source started: it reloads with it.
    reload: Option<Reload>,
    state: SubtitleState,
    /// The file's failure was told: both overlays parse it, and each would say so.
    reported: bool,
}

impl SubtitleControl {
    pub(crate) fn set_preferences(&mut self, prefs: SubtitlePreferences) {
        self.prefs = prefs;
    }

    /// A new source `uri` starts: the file next to it, if any (and subtitles are on), goes to
    /// playbin with it.
    pub(crate) fn prepare(&mut self, playbin: &gst::Pipeline, uri: &str) {
        self.reload = None;
        self.state = SubtitleState::default();
        self.reported = false;
        self.file = self.prefs.file.take();
        if self.prefs.enabled && self.file.is_none() {
            if let Ok((path, _)) = gst::glib::filename_from_uri(uri) {
                self.file = sidecar_files(&path, self.prefs.language.as_deref())
                    .first()
                    .and_then(|p| gst::glib::filename_to_uri(p, None).ok())
                    .map(|u| u.to_string());
            }
        }
        if let Some(file) = &self.file {
            tracing::info!(file, "subtitles for the video");
        }
        set_text_flag(playbin, self.prefs.enabled || self.file.is_some());
        playbin.set_property("suburi", self.file.as_deref());
    }

    /// The source playing now reloads from `reload`, with subtitle file `uri` or the one it
    /// has.
    pub(crate) fn begin_reload(
        &mut self,
        playbin: &gst::Pipeline,
        uri: Option<&str>,
        reload: Reload,
    ) {
        self.reload = Some(reload);
        let Some(uri) = uri else {
            return;
        };
        self.file = Some(uri.to_owned());
        self.reported = false;
        self.prefs.enabled = true;
        // Without the flag, the file's stream would have nowhere to go.
        set_text_flag(playbin, true);
        playbin.set_property("suburi", uri);
    }

    /// Whether a subtitle track shows now.
    pub(crate) fn shown(&self) -> bool {
        self.state.shown.is_some()
    }

    pub(crate) fn reloading(&self) -> bool {
        self.reload.is_some()
    }

    /// Whether a message comes from the run a reload under way stopped: an error its
    /// streaming threads posted as they were stopped says nothing of the run starting now.
    pub(crate) fn before_reload(&self, message: &gst::Message) -> bool {
        self.reload
            .as_ref()
            .is_some_and(|r| message.seqnum() < r.since)
    }

    pub(crate) fn take_reload(&mut self) -> Option<Reload> {
        self.reload.take()
    }

    /// A reload that never prerolled: the file goes, and the source starts again without it.
    pub(crate) fn give_up_file(&mut self, playbin: &gst::Pipeline) -> Option<PlayerError> {
        let file = self.file.take()?;
        playbin.set_property("suburi", None::<&str>);
        Some(PlayerError::SubtitlesFailed {
            location: display_location(&file),
            cause: "nothing could be read from it in time".into(),
        })
    }

    /// The source prerolled: its subtitle tracks are known, and the one to show is chosen.
    pub(crate) fn on_prerolled(&mut self, playbin: &gst::Pipeline) -> SubtitleState {
        let tracks = subtitle_tracks(playbin, self.file.as_deref());
        // A file that failed shows nothing: it is not chosen, by itself or by language.
        let usable = |t: &&SubtitleTrack| !(self.reported && t.file.is_some());
        let from_file = tracks
            .iter()
            .filter(usable)
            .find(|t| t.file.is_some())
            .map(|t| t.index);
        let by_language = self.prefs.language.as_deref().and_then(|wanted| {
            tracks
                .iter()
                .filter(usable)
                .find(|t| {
                    t.language
                        .as_deref()
                        .is_some_and(|l| language_matches(l, wanted))
                })
                .map(|t| t.index)
        });
        let current = usize::try_from(playbin.property::<i32>("current-text")).ok();
        let first = tracks.iter().find(usable).map(|t| t.index);
        let shown = if !self.prefs.enabled || tracks.is_empty() {
            None
        } else {
            from_file
                .or(by_language)
                .or(current.filter(|i| tracks.get(*i).is_some_and(|t| usable(&t))))
                .or(first)
        };
        self.state = SubtitleState { tracks, shown };
        self.apply(playbin);
        self.state.clone()
    }

    /// The subtitle file failed after its track was chosen: subtitles go off, and the new
    /// state comes back to be told (`None` when the file's track was not the one shown).
    pub(crate) fn after_file_failed(&mut self, playbin: &gst::Pipeline) -> Option<SubtitleState> {
        self.state
            .shown
            .and_then(|i| self.state.tracks.get(i))
            .filter(|t| t.file.is_some())?;
        self.state.shown = None;
        self.apply(playbin);
        Some(self.state.clone())
    }

    /// Shows track `index`, or none; `None` back when nothing changes.
    pub(crate) fn select(
        &mut self,
        playbin: &gst::Pipeline,
        index: Option<usize>,
    ) -> Option<SubtitleState> {
        let index = index.filter(|i| *i < self.state.tracks.len());
        if index == self.state.shown {
            return None;
        }
        // The person's choice holds for the next sources too.
        self.prefs.enabled = index.is_some();
        self.state.shown = index;
        self.apply(playbin);
        Some(self.state.clone())
    }

    /// Off is playbin's text flag cleared: no text stream is decoded, and the overlays let
    /// the picture through (silencing them instead would not come back after a reload).
    fn apply(&self, playbin: &gst::Pipeline) {
        if let Some(index) = self.state.shown {
            // Even when playbin says so already: after a reload it may say so of a stream
            // it does not play.
            playbin.set_property("current-text", index as i32);
        }
        set_text_flag(playbin, self.state.shown.is_some());
    }

    /// A warning about the subtitle file (playbin makes warnings of its errors, and plays on
    /// without it): what to tell the person, once per file. It comes from the file's own
    /// decoding bin (nothing recognised it), or from the whole-file parser (`subparse`) an
    /// overlay set up for it when the file was not what its name says. Embedded tracks come
    /// parsed by their demuxer, so that parser reads only files.
    pub(crate) fn file_failure(&mut self, message: &gst::Message) -> Option<PlayerError> {
        let gst::MessageView::Warning(warning) = message.view() else {
            return None;
        };
        let file = self.file.as_deref()?;
        // By the time the message is read, the overlay may have taken its parser out (it
        // plays on without subtitles), so the parser is known by its factory alone.
        let from_parser = message
            .src()
            .and_then(|src| src.downcast_ref::<gst::Element>())
            .and_then(|e| e.factory())
            .is_some_and(|f| f.name() == "subparse");
        let mut parent = message.src().cloned();
        let mut about_file = from_parser;
        while let Some(object) = parent.filter(|_| !about_file) {
            about_file = element_uri(&object).as_deref() == Some(file);
            parent = object.parent();
        }
        if !about_file || self.reported {
            return None;
        }
        self.reported = true;
        let error = warning.error();
        let cause = match error.kind::<gst::StreamError>() {
            Some(gst::StreamError::TypeNotFound | gst::StreamError::WrongType) => {
                "it is not in a subtitle format that can be read".to_owned()
            }
            _ => error.message().to_owned(),
        };
        Some(PlayerError::SubtitlesFailed {
            location: display_location(file),
            cause,
        })
    }
}

/// Sets or clears the "text" flag of playbin's `flags`.
fn set_text_flag(playbin: &gst::Pipeline, on: bool) {
    let flags = playbin.property_value("flags");
    let Some(class) = gst::glib::FlagsClass::with_type(flags.type_()) else {
        return;
    };
    let Some(builder) = class.builder_with_value(flags) else {
        return;
    };
    let builder = if on {
        builder.set_by_nick("text")
    } else {
        builder.unset_by_nick("text")
    };
    if let Some(value) = builder.build() {
        playbin.set_property_from_value("flags", &value);
    }
}

/// The `uri` of a decoding bin (each source and subtitle file has its own).
fn element_uri(object: &gst::Object) -> Option<String> {
    if object.find_property("uri").is_none() || object.is::<gst::Pipeline>() {
        return None;
    }
    object.property::<Option<String>>("uri")
}

/// playbin's text streams, with what their tags say; `file`: the subtitle file's URI, whose
/// track is marked as such.
fn subtitle_tracks(playbin: &gst::Pipeline, file: Option<&str>) -> Vec<SubtitleTrack> {
    let count = playbin.property::<i32>("n-text").max(0) as usize;
    let mut tracks: Vec<SubtitleTrack> = (0..count)
        .map(|index| {
            let tags =
                playbin.emit_by_name::<Option<gst::TagList>>("get-text-tags", &[&(index as i32)]);
            let text = |get: fn(&gst::TagList) -> Option<String>| tags.as_ref().and_then(get);
            SubtitleTrack {
                index,
                language: text(|t| {
                    t.get::<gst::tags::LanguageCode>()
                        .map(|v| v.get().to_owned())
                }),
                title: text(|t| t.get::<gst::tags::Title>().map(|v| v.get().to_owned())),
                codec: text(|t| {
                    t.get::<gst::tags::SubtitleCodec>()
                        .map(|v| v.get().to_owned())
                }),
                file: file
                    .filter(|f| stream_uri(playbin, index).as_deref() == Some(*f))
                    .map(display_location),
            }
        })
        .collect();
    // Found by where its stream comes from; if that cannot be told, playbin adds the
    // subtitle file's stream after the source's own.
    if let Some(file) = file {
        if !tracks.iter().any(|t| t.file.is_some()) {
            if let Some(last) = tracks.last_mut() {
                last.file = Some(display_location(file));
            }
        }
        if let Some(track) = tracks.iter_mut().find(|t| t.file.is_some()) {
            if track.language.is_none() {
                track.language = gst::glib::filename_from_uri(file)
                    .ok()
                    .and_then(|(path, _)| sidecar_language(&path));
            }
        }
    }
    tracks
}

/// The URI of the decoding bin that feeds text stream `index`.
fn stream_uri(playbin: &gst::Pipeline, index: usize) -> Option<String> {
    let pad = playbin.emit_by_name::<Option<gst::Pad>>("get-text-pad", &[&(index as i32)])?;
    let mut parent = pad.peer()?.parent();
    while let Some(object) = parent {
        if let Some(uri) = element_uri(&object) {
            return Some(uri);
        }
        parent = object.parent();
    }
    None
}
