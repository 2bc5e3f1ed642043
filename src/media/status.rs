//! The player's snapshot, as its getters read it, and its play queue: kept by the control
//! thread ([`super::control`]), changed under one short lock.

use std::time::Duration;

use super::error::display_location;
use super::error::PlayerError;
use super::events::PlaybackState;

/// The player as its getters see it, kept up to date from bus events.
pub(crate) struct Status {
    /// Bumped by every new source (opened, skipped to, advanced to) and every stop: the control
    /// thread drops what the source before such a request still reports.
    pub(crate) generation: u64,
    pub(crate) uri: Option<String>,
    pub(crate) location: String,
    pub(crate) failed: Option<PlayerError>,
    pub(crate) state: PlaybackState,
    pub(crate) position: Option<Duration>,
    pub(crate) duration: Option<Duration>,
    /// Whether the source can seek, once it prerolled.
    pub(crate) seekable: Option<bool>,
    pub(crate) audio_streams: usize,
    pub(crate) current_audio: Option<usize>,
    pub(crate) queue: PlayQueue,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            generation: 0,
            uri: None,
            location: String::new(),
            failed: None,
            state: PlaybackState::Stopped,
            position: None,
            duration: None,
            seekable: None,
            audio_streams: 0,
            current_audio: None,
            queue: PlayQueue::default(),
        }
    }
}

impl Status {
    /// `uri` becomes the current source; returns its generation.
    pub(crate) fn begin_source(&mut self, uri: &str) -> u64 {
        *self = Status {
            generation: self.generation + 1,
            uri: Some(uri.to_owned()),
            location: display_location(uri),
            queue: std::mem::take(&mut self.queue),
            ..Status::default()
        };
        self.generation
    }

    /// The queue's next index: the following source, or with loop on, the first again.
    /// `wrap` false never goes back to the start (after a failure, so that a queue of broken
    /// files cannot go round for ever).
    pub(crate) fn next_in_queue(&self, wrap: bool, looping: bool) -> Option<usize> {
        let next = self.queue.current + 1;
        if next < self.queue.items.len() {
            Some(next)
        } else if wrap && looping && self.queue.items.len() > 1 {
            Some(0)
        } else {
            None
        }
    }
}

/// The sources to play in order (URIs) and which one is current. One source is a queue of
/// one. Loop repeats the current source when it is alone, the whole queue otherwise.
#[derive(Default)]
pub(crate) struct PlayQueue {
    pub(crate) items: Vec<String>,
    pub(crate) current: usize,
}
