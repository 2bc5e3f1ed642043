//! A capture of a player (the web's `MediaStream`): which tracks are live, and when they end
//! and are replaced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::events::CaptureEvent;
use super::track::{CaptureTrack, TrackOwner};
use crate::media::{MediaKind, OutputBranch, OutputTap, Player};
use crate::util::Broadcast;

/// A live capture of what a player renders, like the web's `MediaStream` from
/// `HTMLMediaElement.captureStream()`: one video track while the source has video, one audio
/// track while it has audio, each ended and replaced when the source changes or replays.
///
/// Dropping the last handle ends its tracks and removes their branches.
#[derive(Clone)]
pub struct MediaStream {
    inner: Arc<StreamInner>,
}

pub(crate) struct StreamInner {
    events: Broadcast<CaptureEvent>,
    slots: Mutex<[Slot; 2]>,
    closed: AtomicBool,
    me: Weak<StreamInner>,
}

#[derive(Default)]
struct Slot {
    track: Option<CaptureTrack>,
    /// A track of this kind is being attached by another thread.
    attaching: bool,
    /// The person stopped this kind's track, or it could not be captured: no new one until
    /// the source changes.
    suppressed: bool,
}

fn slot_index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Video => 0,
        MediaKind::Audio => 1,
    }
}

impl Player {
    /// Starts a capture of this player. Tracks exist at once for what the current source gives;
    /// later ones arrive as [`CaptureEvent::TrackAdded`]. Captures are independent of each other.
    pub fn capture_stream(&self) -> MediaStream {
        let inner = Arc::new_cyclic(|me| StreamInner {
            events: Broadcast::default(),
            slots: Mutex::new(Default::default()),
            closed: AtomicBool::new(false),
            me: me.clone(),
        });
        let tap: Weak<dyn OutputTap> = Arc::downgrade(&inner) as Weak<StreamInner>;
        self.add_tap(tap);
        let playing = self.is_playing();
        for kind in MediaKind::ALL {
            let output = self.output(kind);
            if output.is_active() {
                inner.ensure_track(output, playing);
            }
        }
        MediaStream { inner }
    }
}

impl MediaStream {
    /// Events from now on: tracks added, removed, muted, unmuted, ended, or failed.
    pub fn subscribe(&self) -> flume::Receiver<CaptureEvent> {
        self.inner.events.subscribe()
    }

    /// The live tracks, video first.
    pub fn tracks(&self) -> Vec<CaptureTrack> {
        self.inner
            .slots
            .lock()
            .unwrap()
            .iter()
            .filter_map(|s| s.track.clone())
            .collect()
    }

    pub fn track(&self, kind: MediaKind) -> Option<CaptureTrack> {
        self.inner.slots.lock().unwrap()[slot_index(kind)]
            .track
            .clone()
    }

    /// Ends every track and stops capturing.
    pub fn stop(&self) {
        self.inner.close();
    }
}

impl Drop for StreamInner {
    fn drop(&mut self) {
        self.close();
    }
}

impl StreamInner {
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for kind in MediaKind::ALL {
            self.end_kind(kind, true);
        }
    }

    /// Attaches a track of `output`'s kind unless one is live, being attached or suppressed.
    fn ensure_track(&self, output: &OutputBranch, playing: bool) {
        let index = slot_index(output.kind());
        {
            let mut slots = self.slots.lock().unwrap();
            let slot = &mut slots[index];
            if slot.track.is_some() || slot.attaching || slot.suppressed {
                return;
            }
            if self.closed.load(Ordering::Acquire) {
                return;
            }
            slot.attaching = true;
        }
        let owner: Weak<dyn TrackOwner> = self.me.clone();
        let attached = CaptureTrack::attach(output, !playing, owner);
        let mut slots = self.slots.lock().unwrap();
        slots[index].attaching = false;
        match attached {
            Ok(track) => {
                slots[index].track = Some(track.clone());
                drop(slots);
                tracing::debug!(track = %track.id(), "track added");
                self.events.send(CaptureEvent::TrackAdded(track));
            }
            Err((track, error)) => {
                // Not again for every buffer of this source.
                slots[index].suppressed = true;
                drop(slots);
                tracing::info!(track = %track.id(), %error, "capture failed");
                self.events.send(CaptureEvent::Failed { track, error });
            }
        }
    }

    /// Ends the live track of `kind`, if any, with its events.
    fn end_kind(&self, kind: MediaKind, suppress: bool) {
        let track = {
            let mut slots = self.slots.lock().unwrap();
            let slot = &mut slots[slot_index(kind)];
            slot.suppressed = suppress;
            slot.track.take()
        };
        if let Some(track) = track {
            self.end_track(track);
        }
    }

    fn end_track(&self, track: CaptureTrack) {
        if track.finish() {
            self.events.send(CaptureEvent::Ended(track.clone()));
            self.events.send(CaptureEvent::TrackRemoved(track));
        }
    }
}

impl TrackOwner for StreamInner {
    fn stop_track(&self, track: &CaptureTrack) {
        debug_assert!(track.is_owned_by(&(self.me.clone() as Weak<dyn TrackOwner>)));
        let index = slot_index(track.kind());
        let current = {
            let mut slots = self.slots.lock().unwrap();
            let slot = &mut slots[index];
            if slot.track.as_ref() == Some(track) {
                slot.suppressed = true;
                slot.track.take()
            } else {
                None
            }
        };
        self.end_track(current.unwrap_or_else(|| track.clone()));
    }
}

impl OutputTap for StreamInner {
    fn data_flowing(&self, output: &Arc<OutputBranch>, playing: bool) {
        // Cheap check first: this runs for every buffer.
        {
            let slots = self.slots.lock().unwrap();
            let slot = &slots[slot_index(output.kind())];
            if slot.track.is_some() || slot.attaching || slot.suppressed {
                return;
            }
        }
        self.ensure_track(output, playing);
    }

    fn playing_changed(&self, playing: bool) {
        for track in self
            .slots
            .lock()
            .unwrap()
            .iter()
            .filter_map(|s| s.track.clone())
        {
            if track.set_muted(!playing) {
                self.events.send(if playing {
                    CaptureEvent::Unmuted(track)
                } else {
                    CaptureEvent::Muted(track)
                });
            }
        }
    }

    fn source_ended(&self, kinds: &[MediaKind]) {
        for kind in kinds {
            self.end_kind(*kind, false);
        }
    }
}
