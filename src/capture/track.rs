//! A captured track (the web's `MediaStreamTrack`): its state, and the samples it hands out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use gst::prelude::*;

use super::branch::Branch;
use super::error::CaptureError;
use super::sample::CapturedSample;
use crate::media::{MediaKind, OutputBranch};

/// Receives every sample of a track, on a GStreamer streaming thread: keep it short.
pub type SampleHandler = Arc<dyn Fn(&CapturedSample) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackState {
    Live,
    Ended,
}

/// The stream that made a track, as the track sees it: told when the person stops the track.
/// A trait, so that tracks need not know the stream's type (the stream knows theirs).
pub(crate) trait TrackOwner: Send + Sync {
    fn stop_track(&self, track: &CaptureTrack);
}

/// Identifies a handler added with [`CaptureTrack::connect_sample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerId(u64);

/// A captured video or audio track, like the web's `MediaStreamTrack`: live until its source
/// stops giving content (or `stop()`), muted while the player gives nothing (paused).
#[derive(Clone)]
pub struct CaptureTrack {
    inner: Arc<TrackInner>,
}

pub(crate) struct TrackInner {
    id: String,
    kind: MediaKind,
    label: String,
    status: Mutex<Status>,
    handlers: Mutex<Vec<(u64, SampleHandler)>>,
    next_handler: AtomicU64,
    branch: Mutex<Option<Branch>>,
    last_timestamp: AtomicU64,
    stream: Weak<dyn TrackOwner>,
}

struct Status {
    ended: bool,
    muted: bool,
}

static NEXT_TRACK: AtomicU64 = AtomicU64::new(1);

impl std::fmt::Debug for CaptureTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureTrack")
            .field("id", &self.inner.id)
            .field("kind", &self.inner.kind)
            .field("state", &self.state())
            .field("muted", &self.is_muted())
            .finish()
    }
}

impl PartialEq for CaptureTrack {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl CaptureTrack {
    /// Creates a live track with its branch on `output`'s tee. When the branch cannot be built,
    /// the error comes with the track it would have been, already ended.
    pub(crate) fn attach(
        output: &OutputBranch,
        muted: bool,
        stream: Weak<dyn TrackOwner>,
    ) -> Result<Self, (Self, CaptureError)> {
        let kind = output.kind();
        let n = NEXT_TRACK.fetch_add(1, Ordering::Relaxed);
        let inner = Arc::new(TrackInner {
            id: format!("{kind}-{n}"),
            kind,
            label: format!("{} ({kind})", output.source_label()),
            status: Mutex::new(Status {
                ended: false,
                muted,
            }),
            handlers: Mutex::new(Vec::new()),
            next_handler: AtomicU64::new(1),
            branch: Mutex::new(None),
            last_timestamp: AtomicU64::new(0),
            stream,
        });
        let sink = gst_app::AppSink::builder()
            .name(format!("capture-{}", inner.id))
            .build();
        let weak = Arc::downgrade(&inner);
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(track) = weak.upgrade() {
                        track.deliver(sink, &sample);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        match Branch::attach(output, sink) {
            Ok(branch) => {
                *inner.branch.lock().unwrap() = Some(branch);
                Ok(Self { inner })
            }
            Err(error) => {
                inner.status.lock().unwrap().ended = true;
                Err((Self { inner }, error))
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn kind(&self) -> MediaKind {
        self.inner.kind
    }

    /// The source's name and the kind, e.g. "talk.webm (video)".
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    pub fn state(&self) -> TrackState {
        if self.inner.status.lock().unwrap().ended {
            TrackState::Ended
        } else {
            TrackState::Live
        }
    }

    pub fn is_muted(&self) -> bool {
        self.inner.status.lock().unwrap().muted
    }

    /// The appsink that receives this track's samples, while the track is live.
    pub fn appsink(&self) -> Option<gst_app::AppSink> {
        self.inner
            .branch
            .lock()
            .unwrap()
            .as_ref()
            .map(|b| b.sink().clone())
    }

    /// Calls `handler` with every sample from now on, on a streaming thread.
    pub fn connect_sample(
        &self,
        handler: impl Fn(&CapturedSample) + Send + Sync + 'static,
    ) -> HandlerId {
        let id = self.inner.next_handler.fetch_add(1, Ordering::Relaxed);
        self.inner
            .handlers
            .lock()
            .unwrap()
            .push((id, Arc::new(handler)));
        HandlerId(id)
    }

    pub fn disconnect(&self, id: HandlerId) {
        self.inner
            .handlers
            .lock()
            .unwrap()
            .retain(|(h, _)| *h != id.0);
    }

    /// The samples from now on through a channel holding at most `capacity` of them; when the
    /// reader falls behind, new samples are dropped rather than playback stalled.
    pub fn samples(&self, capacity: usize) -> flume::Receiver<CapturedSample> {
        let (tx, rx) = flume::bounded(capacity);
        self.connect_sample(move |sample| {
            let _ = tx.try_send(sample.clone());
        });
        rx
    }

    /// Ends the track and removes its branch; playback and other captures go on. The stream
    /// creates no new track of this kind until its source changes.
    pub fn stop(&self) {
        match self.inner.stream.upgrade() {
            Some(stream) => stream.stop_track(self),
            None => {
                self.finish();
            }
        }
    }

    /// Marks the track ended and takes its branch down. False when it had already ended.
    pub(crate) fn finish(&self) -> bool {
        {
            let mut status = self.inner.status.lock().unwrap();
            if status.ended {
                return false;
            }
            status.ended = true;
        }
        let branch = self.inner.branch.lock().unwrap().take();
        if let Some(branch) = branch {
            branch.detach();
        }
        true
    }

    /// Sets the muted flag; true when it changed.
    pub(crate) fn set_muted(&self, muted: bool) -> bool {
        let mut status = self.inner.status.lock().unwrap();
        if status.ended || status.muted == muted {
            return false;
        }
        status.muted = muted;
        true
    }

    /// True when `owner` is the stream that made this track.
    pub(crate) fn is_owned_by(&self, owner: &Weak<dyn TrackOwner>) -> bool {
        std::ptr::addr_eq(self.inner.stream.as_ptr(), owner.as_ptr())
    }
}

impl TrackInner {
    fn deliver(&self, sink: &gst_app::AppSink, sample: &gst::Sample) {
        let (Some(buffer), Some(caps)) = (sample.buffer_owned(), sample.caps_owned()) else {
            return;
        };
        let handlers: Vec<SampleHandler> = self
            .handlers
            .lock()
            .unwrap()
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        if handlers.is_empty() {
            return;
        }
        let position = buffer.pts();
        let captured = CapturedSample {
            timestamp: self.monotonic_timestamp(sink, sample, position),
            duration: buffer.duration(),
            position,
            buffer,
            caps,
        };
        for handler in handlers {
            handler(&captured);
        }
    }

    /// The clock time at which the sample is rendered (base time + running time): the clock is
    /// the system's monotonic one, and a new base time follows every seek and pause, so this
    /// only grows. Equal or earlier values (rounding, a late frame) are nudged forward.
    fn monotonic_timestamp(
        &self,
        sink: &gst_app::AppSink,
        sample: &gst::Sample,
        pts: Option<gst::ClockTime>,
    ) -> gst::ClockTime {
        let running = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::format::Time>())
            .and_then(|s| s.to_running_time(pts?));
        let now = || sink.clock().map(|c| c.time()).unwrap_or_default();
        let at = match (running, sink.base_time()) {
            (Some(r), Some(base)) => base + r,
            _ => now(),
        };
        let mut last = self.last_timestamp.load(Ordering::Acquire);
        loop {
            let next = at.nseconds().max(last + 1);
            match self.last_timestamp.compare_exchange(
                last,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return gst::ClockTime::from_nseconds(next),
                Err(actual) => last = actual,
            }
        }
    }
}
