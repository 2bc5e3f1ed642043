//! Where decoded media goes: an output bin per kind, its tee, and the local display.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use gst::prelude::*;

use super::error::PlayerError;
use super::events::MediaKind;
use super::subtitle_overlays::SubtitleOverlays;

/// Audio reaches the capture in one format, so consumers (encoders, level meters) need no
/// conversion of their own and the conversion is paid once, whatever the number of captures.
pub const CAPTURE_AUDIO_CAPS: &str = "audio/x-raw,format=F32LE,layout=interleaved,rate=48000";

/// Someone who taps the decoded media of a player: the capture layer. The player calls these
/// from its streaming threads (`data_flowing`) and from its control paths (the rest).
pub(crate) trait OutputTap: Send + Sync {
    /// A buffer reached the tee of `output`.
    fn data_flowing(&self, output: &Arc<OutputBranch>, playing: bool);
    /// The player started (true) or stopped (false) giving content, e.g. play and pause.
    fn playing_changed(&self, playing: bool);
    /// The current source stopped giving content of `kinds`: end of stream, a new source,
    /// an error, or another stream selected.
    fn source_ended(&self, kinds: &[MediaKind]);
}

/// Where a player's decoded video or audio goes: a bin set as playbin's video-sink or
/// audio-sink, holding a tee with the local display on one branch. Captures add their own
/// branches to the tee.
pub struct OutputBranch {
    kind: MediaKind,
    bin: gst::Bin,
    tee: gst::Element,
    volume: Option<gst::Element>,
    /// True while the current source gives this kind of content.
    active: AtomicBool,
    /// What a person calls the current source, for track labels.
    source_label: Mutex<String>,
}

impl OutputBranch {
    /// Builds the output bin for `kind`, rendering locally into `display` (a sink element).
    /// Video gets the subtitle overlays: one before the tee, one on the display branch.
    pub(crate) fn new(
        kind: MediaKind,
        display: gst::Element,
        playing: Arc<AtomicBool>,
        taps: Weak<Mutex<Vec<Weak<dyn OutputTap>>>>,
        subtitles: Option<&SubtitleOverlays>,
    ) -> Result<Arc<Self>, PlayerError> {
        let bin = gst::Bin::with_name(&format!("{kind}-output"));
        let tee = make("tee", &format!("{kind}-tee"))?;
        tee.set_property("allow-not-linked", true);
        let display_queue = make("queue", &format!("{kind}-display-queue"))?;
        // A short display queue keeps decoding close to the clock, so capture branches
        // (which also sync to the clock) never see data far ahead of real time.
        display_queue.set_property("max-size-buffers", 0u32);
        display_queue.set_property("max-size-bytes", 0u32);
        display_queue.set_property("max-size-time", 200_000_000u64);

        let mut chain_in: Vec<gst::Element> = Vec::new();
        let mut display_chain = vec![display_queue];
        let mut volume = None;
        match kind {
            MediaKind::Video => {
                if let Some(subtitles) = subtitles {
                    chain_in.push(subtitles.shared_overlay().clone());
                    // The shared overlay draws into the picture itself. It would rather hand its
                    // text on as an overlay-composition meta where everything downstream takes
                    // that: so it did when it set up while no capture branch was linked to the
                    // tee yet (the window's sink takes the meta), and a capture branch linked a
                    // moment later refused those caps: not-negotiated, the whole video stopped
                    // and the share ended with a false "file is damaged" (1 run in 80, under load).
                    let plain = make("capsfilter", "subtitles-shared-blended")?;
                    plain.set_property("caps", gst::Caps::new_empty_simple("video/x-raw"));
                    chain_in.push(plain);
                    display_chain.push(subtitles.local_overlay().clone());
                }
                display_chain.push(make("videoconvert", "display-videoconvert")?);
            }
            MediaKind::Audio => {
                chain_in.push(make("audioconvert", "capture-audioconvert")?);
                chain_in.push(make("audioresample", "capture-audioresample")?);
                let filter = make("capsfilter", "capture-audio-format")?;
                filter.set_property("caps", gst::Caps::from_str(CAPTURE_AUDIO_CAPS).unwrap());
                chain_in.push(filter);
                // Volume and mute act on the local output only: the capture is unaffected,
                // as the captureStream spec requires.
                let vol = make("volume", "display-volume")?;
                display_chain.push(vol.clone());
                display_chain.push(make("audioconvert", "display-audioconvert")?);
                volume = Some(vol);
            }
        }
        display_chain.push(display);

        let all: Vec<&gst::Element> = chain_in
            .iter()
            .chain(std::iter::once(&tee))
            .chain(display_chain.iter())
            .collect();
        bin.add_many(all.iter().copied()).map_err(pipeline_err)?;
        let upstream: Vec<&gst::Element> = chain_in.iter().chain(std::iter::once(&tee)).collect();
        link_chain(&upstream)?;
        let downstream: Vec<&gst::Element> =
            std::iter::once(&tee).chain(display_chain.iter()).collect();
        link_chain(&downstream)?;
        if let (MediaKind::Video, Some(subtitles)) = (kind, subtitles) {
            subtitles.install(&bin)?;
        }

        let first = chain_in.first().unwrap_or(&tee);
        let sink_pad = first
            .static_pad(video_sink_pad(first))
            .expect("first element has a sink pad");
        let ghost = gst::GhostPad::builder_with_target(&sink_pad)
            .map_err(pipeline_err)?
            .name("sink")
            .build();
        ghost.set_active(true).ok();
        bin.add_pad(&ghost).map_err(pipeline_err)?;

        let output = Arc::new(Self {
            kind,
            bin,
            tee: tee.clone(),
            volume,
            active: AtomicBool::new(false),
            source_label: Mutex::new(String::new()),
        });

        let weak_output = Arc::downgrade(&output);
        tee.static_pad("sink")
            .expect("tee has a sink pad")
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                let (Some(output), Some(taps)) = (weak_output.upgrade(), taps.upgrade()) else {
                    return gst::PadProbeReturn::Ok;
                };
                output.active.store(true, Ordering::Release);
                let playing = playing.load(Ordering::Acquire);
                let taps: Vec<_> = taps
                    .lock()
                    .unwrap()
                    .iter()
                    .filter_map(Weak::upgrade)
                    .collect();
                for tap in taps {
                    tap.data_flowing(&output, playing);
                }
                gst::PadProbeReturn::Ok
            });
        Ok(output)
    }

    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    pub fn bin(&self) -> &gst::Bin {
        &self.bin
    }

    pub fn tee(&self) -> &gst::Element {
        &self.tee
    }

    pub(crate) fn volume(&self) -> Option<&gst::Element> {
        self.volume.as_ref()
    }

    /// True while the current source gives content of this kind.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub(crate) fn set_inactive(&self) {
        self.active.store(false, Ordering::Release);
    }

    pub fn source_label(&self) -> String {
        self.source_label.lock().unwrap().clone()
    }

    pub(crate) fn set_source_label(&self, label: &str) {
        *self.source_label.lock().unwrap() = label.to_owned();
    }

    /// Caps as decoded, before the capture's audio conversion.
    pub(crate) fn decoded_caps(&self) -> Option<gst::Caps> {
        self.bin.static_pad("sink")?.current_caps()
    }
}

use std::str::FromStr;

/// The pad video comes in by: a subtitle overlay has two sink pads.
fn video_sink_pad(element: &gst::Element) -> &'static str {
    if element.static_pad("video_sink").is_some() {
        "video_sink"
    } else {
        "sink"
    }
}

/// Links `elements` one after the other, by their video pads.
fn link_chain(elements: &[&gst::Element]) -> Result<(), PlayerError> {
    for pair in elements.windows(2) {
        pair[0]
            .link_pads(None, pair[1], Some(video_sink_pad(pair[1])))
            .map_err(pipeline_err)?;
    }
    Ok(())
}

pub(crate) fn make(factory: &str, name: &str) -> Result<gst::Element, PlayerError> {
    gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|_| PlayerError::MissingElement {
            factory: factory.to_owned(),
        })
}

pub(crate) fn pipeline_err(e: impl std::fmt::Display) -> PlayerError {
    PlayerError::Pipeline(e.to_string())
}

/// A sink that renders in real time and shows nothing, for headless use.
pub(crate) fn clocked_fakesink(name: &str) -> Result<gst::Element, PlayerError> {
    let sink = make("fakesink", name)?;
    sink.set_property("sync", true);
    Ok(sink)
}

/// The default audio sink when a device answers, else a clocked fakesink: a machine without
/// sound still plays (and captures) audio.
pub(crate) fn audio_device_sink() -> Result<gst::Element, PlayerError> {
    if let Ok(sink) = gst::ElementFactory::make("autoaudiosink")
        .name("audio-device")
        .build()
    {
        if sink.set_state(gst::State::Ready).is_ok() {
            sink.set_state(gst::State::Null).ok();
            // autoaudiosink may itself fall back to a fakesink; either way it renders.
            return Ok(sink);
        }
        sink.set_state(gst::State::Null).ok();
    }
    tracing::info!("no audio device answers; local audio goes to a fakesink");
    clocked_fakesink("audio-device")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn caps(features: &str) -> gst::Caps {
        let caps = format!("video/x-raw{features}, format=I420, width=320, height=240");
        gst::Caps::from_str(&caps).unwrap()
    }

    /// Whatever is linked to the tee yet (here the display alone, which takes anything), the
    /// shared overlay is never offered to hand its text on as an overlay-composition meta:
    /// a capture branch linked after it set up refused those caps, and the video stopped.
    #[test]
    fn the_shared_overlay_draws_into_the_picture_whatever_is_linked() {
        crate::init::init().unwrap();
        let subtitles = SubtitleOverlays::new().unwrap();
        let display = gst::ElementFactory::make("fakesink").build().unwrap();
        let playing = Arc::new(AtomicBool::new(false));
        let video = OutputBranch::new(
            MediaKind::Video,
            display,
            playing,
            Weak::new(),
            Some(&subtitles),
        )
        .unwrap();
        video.bin().set_state(gst::State::Ready).unwrap();
        let src = subtitles.shared_overlay().static_pad("src").unwrap();
        assert!(src.peer_query_accept_caps(&caps("")));
        let meta = "(memory:SystemMemory, meta:GstVideoOverlayComposition)";
        assert!(!src.peer_query_accept_caps(&caps(meta)));
        video.bin().set_state(gst::State::Null).unwrap();
    }
}
