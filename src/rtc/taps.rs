//! The share's recording taps: the top rung's encoded video and the encoded audio, tapped as
//! they leave the encoders and handed to a [`Recorder`] (no second encode). The actor owns
//! this; the taps are pad probes that only pass buffers on, never block.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use super::codec::Codec;
use super::encoder::EncoderChain;
use super::events::ShareEvent;
use super::ladder::{running_time, Ladder};
use crate::media::MediaKind;
use crate::record::{Hooks, RecordError, RecordFile, RecordInput, Recorder, RecordingEvent, Track};
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
        let rung = ladder.and_then(|l| l.rungs.first());
        let asker: Box<dyn Fn() + Send> = match rung {
            Some(rung) => Box::new(rung.keyframe_asker()),
            None => Box::new(|| {}),
        };
        let recorder = Recorder::start(
            file,
            ladder.map(|l| l.codec.to_string()).as_deref(),
            audio.is_some(),
            Hooks {
                now: Box::new(now),
                keyframe: asker,
                tell: Box::new(tell),
            },
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
