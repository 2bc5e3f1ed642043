//! Where captured tracks enter the sending pipeline, one input per kind.

use std::sync::Mutex;

use gst::prelude::*;

use super::build_error::BuildError;
use super::codec::make;
use crate::capture::{CaptureTrack, CapturedSample, HandlerId};
use crate::media::MediaKind;

/// What the share sends at most, whatever the file: bigger or faster video is scaled down or
/// has frames dropped once, before every encoder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VideoLimits {
    pub max_height: Option<u32>,
    pub max_frame_rate: Option<u32>,
}

/// Where one kind of captured media enters the sending pipeline:
/// `appsrc → [convert] → raw tee`. It outlives tracks: a new track of the same kind feeds the
/// same appsrc (the web's `replaceTrack()`), so encoders and viewers never notice the switch.
pub(crate) struct Input {
    appsrc: gst_app::AppSrc,
    raw_tee: gst::Element,
    feeding: Mutex<Option<(CaptureTrack, HandlerId)>>,
}

impl Input {
    pub(crate) fn new(
        pipeline: &gst::Pipeline,
        kind: MediaKind,
        limits: VideoLimits,
    ) -> Result<Self, BuildError> {
        let appsrc = gst_app::AppSrc::builder()
            .name(format!("{kind}-input"))
            .is_live(true)
            .format(gst::Format::Time)
            .do_timestamp(false)
            .block(false)
            .build();
        // Keep at most half a second queued; older data goes first when the encoder lags.
        appsrc.set_property("max-time", 500_000_000u64);
        appsrc.set_property("max-bytes", 0u64);
        appsrc.set_property_from_str("leaky-type", "downstream");
        let raw_tee = make("tee")?;
        raw_tee.set_property("allow-not-linked", true);
        let mut chain: Vec<gst::Element> = vec![appsrc.clone().upcast()];
        if kind == MediaKind::Video {
            // One conversion, scaling and rate limit for every encoder.
            chain.push(make("videoconvert")?);
            let mut caps = gst::Caps::builder("video/x-raw").field("format", "I420");
            if let Some(height) = limits.max_height {
                // Within a 16:9 box of that height; videoscale keeps the picture's aspect.
                let height = height.max(2) as i32;
                let width = (height * 16 / 9) & !1;
                chain.push(make("videoscale")?);
                caps = caps
                    .field("width", gst::IntRange::new(2, width))
                    .field("height", gst::IntRange::new(2, height))
                    .field("pixel-aspect-ratio", gst::Fraction::new(1, 1));
            }
            if let Some(rate) = limits.max_frame_rate {
                let videorate = make("videorate")?;
                videorate.set_property("drop-only", true);
                videorate.set_property("max-rate", rate.max(1) as i32);
                chain.push(videorate);
            }
            let filter = make("capsfilter")?;
            filter.set_property("name", "video-limits");
            filter.set_property("caps", caps.build());
            chain.push(filter);
        }
        chain.push(raw_tee.clone());
        pipeline.add_many(&chain).map_err(BuildError::gst)?;
        gst::Element::link_many(&chain).map_err(|e| BuildError::Link {
            what: format!("the {kind} input"),
            cause: e.to_string(),
        })?;
        Ok(Self {
            appsrc,
            raw_tee,
            feeding: Mutex::new(None),
        })
    }

    pub(crate) fn raw_tee(&self) -> &gst::Element {
        &self.raw_tee
    }

    /// True while a live track feeds this input.
    pub(crate) fn has_track(&self) -> bool {
        self.feeding.lock().unwrap().is_some()
    }

    /// Feeds `track` into the appsrc from now on, in place of the previous track.
    pub(crate) fn feed(&self, track: &CaptureTrack, pipeline: &gst::Pipeline) {
        let appsrc = self.appsrc.clone();
        let pipeline = pipeline.downgrade();
        let handler = track.connect_sample(move |sample| {
            if let Some(pipeline) = pipeline.upgrade() {
                push(&appsrc, &pipeline, sample);
            }
        });
        let previous = self
            .feeding
            .lock()
            .unwrap()
            .replace((track.clone(), handler));
        if let Some((old, id)) = previous {
            old.disconnect(id);
        }
    }

    /// Stops feeding `track`, if it is the one feeding.
    pub(crate) fn unfeed(&self, track: &CaptureTrack) {
        let mut feeding = self.feeding.lock().unwrap();
        if feeding.as_ref().is_some_and(|(t, _)| t == track) {
            if let Some((old, id)) = feeding.take() {
                old.disconnect(id);
            }
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        if let Some((track, id)) = self.feeding.lock().unwrap().take() {
            track.disconnect(id);
        }
    }
}

/// The share's two inputs, one per kind.
pub(crate) struct Inputs {
    video: Input,
    audio: Input,
}

impl Inputs {
    pub(crate) fn new(pipeline: &gst::Pipeline, limits: VideoLimits) -> Result<Self, BuildError> {
        Ok(Self {
            video: Input::new(pipeline, MediaKind::Video, limits)?,
            audio: Input::new(pipeline, MediaKind::Audio, limits)?,
        })
    }

    pub(crate) fn of(&self, kind: MediaKind) -> &Input {
        match kind {
            MediaKind::Video => &self.video,
            MediaKind::Audio => &self.audio,
        }
    }

    /// The kinds of media being captured now, video first.
    pub(crate) fn captured_kinds(&self) -> Vec<MediaKind> {
        MediaKind::ALL
            .into_iter()
            .filter(|k| self.of(*k).has_track())
            .collect()
    }
}

/// Pushes a captured sample with its capture time turned into this pipeline's running time.
/// Both pipelines run on the system clock, so the sample keeps its place in real time.
fn push(appsrc: &gst_app::AppSrc, pipeline: &gst::Pipeline, sample: &CapturedSample) {
    let Some(base) = pipeline.base_time() else {
        return;
    };
    let Some(pts) = sample.timestamp.checked_sub(base) else {
        return; // captured before this share started
    };
    let mut buffer = sample.buffer.clone();
    {
        let buffer = buffer.make_mut();
        buffer.set_pts(pts);
        buffer.set_dts(gst::ClockTime::NONE);
    }
    let sample = gst::Sample::builder()
        .buffer(&buffer)
        .caps(&sample.caps)
        .build();
    let _ = appsrc.push_sample(&sample);
}
