//! Where subtitles are drawn. playbin hands the chosen text stream to our own text sink
//! ([`super::subtitle_proxy`]); the video output has two overlays fed from it, one before the
//! capture tee (the window and the viewers see subtitles) and one on the window's branch
//! only (they stay local). One of them draws, the other lets the picture through.

use std::sync::atomic::{AtomicBool, Ordering};

use gst::prelude::*;

use super::error::PlayerError;
use super::subtitle_proxy::{subtitle_proxy, ProxyError, SubtitleSink};

fn make(factory: &str, name: &str) -> Result<gst::Element, PlayerError> {
    gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|_| PlayerError::MissingElement {
            factory: factory.to_owned(),
        })
}

fn pipeline_err(e: impl std::fmt::Display) -> PlayerError {
    PlayerError::Pipeline(e.to_string())
}

/// Where the subtitles are drawn: two overlays fed from playbin's text stream, and whether
/// they reach the viewers.
pub(crate) struct SubtitleOverlays {
    /// Before the capture tee: what the window and the viewers see.
    shared: gst::Element,
    /// On the window's branch after the tee: the window only.
    local: gst::Element,
    text_sink: SubtitleSink,
    text_source: [gst::Element; 4],
    to_viewers: AtomicBool,
    /// Subtitles turned off while a source plays: neither overlay draws. Clearing playbin's
    /// text flag alone leaves the last cue drawn until it ends (the overlay keeps it).
    hidden: AtomicBool,
}

impl SubtitleOverlays {
    pub(crate) fn new() -> Result<Self, PlayerError> {
        let shared = make("subtitleoverlay", "subtitles-shared")?;
        let local = make("subtitleoverlay", "subtitles-local")?;
        let tee = make("tee", "subtitle-tee")?;
        tee.set_property("allow-not-linked", true);
        let queues = [
            make("queue", "subtitle-shared-queue")?,
            make("queue", "subtitle-local-queue")?,
        ];
        let (text_sink, source) = subtitle_proxy().map_err(|e| match e {
            ProxyError::Missing(factory) => PlayerError::MissingElement {
                factory: factory.into(),
            },
            ProxyError::Failed(cause) => PlayerError::Pipeline(cause),
        })?;
        let [q1, q2] = queues;
        let overlays = Self {
            shared,
            local,
            text_sink,
            text_source: [source.upcast(), tee, q1, q2],
            to_viewers: AtomicBool::new(true),
            hidden: AtomicBool::new(false),
        };
        overlays.apply();
        Ok(overlays)
    }

    /// playbin's `text-sink`.
    pub(crate) fn text_sink(&self) -> &gst::Element {
        self.text_sink.upcast_ref()
    }

    /// The overlay before the capture tee.
    pub(crate) fn shared_overlay(&self) -> &gst::Element {
        &self.shared
    }

    /// The overlay on the window's branch.
    pub(crate) fn local_overlay(&self) -> &gst::Element {
        &self.local
    }

    /// Adds the text stream's way to both overlays into `bin`, which holds them already.
    pub(crate) fn install(&self, bin: &gst::Bin) -> Result<(), PlayerError> {
        let [proxysrc, tee, shared_queue, local_queue] = &self.text_source;
        bin.add_many([proxysrc, tee, shared_queue, local_queue])
            .map_err(pipeline_err)?;
        proxysrc.link(tee).map_err(pipeline_err)?;
        for (queue, overlay) in [(shared_queue, &self.shared), (local_queue, &self.local)] {
            tee.link(queue).map_err(pipeline_err)?;
            queue
                .link_pads(Some("src"), overlay, Some("subtitle_sink"))
                .map_err(pipeline_err)?;
            drop_text_while_passed_through(queue);
        }
        Ok(())
    }

    /// Whether subtitles are drawn into what the viewers get (as the window shows them) or
    /// on the window only.
    pub(crate) fn set_to_viewers(&self, to_viewers: bool) {
        self.to_viewers.store(to_viewers, Ordering::Release);
        self.apply();
    }

    pub(crate) fn to_viewers(&self) -> bool {
        self.to_viewers.load(Ordering::Acquire)
    }

    /// Hides the subtitles at once (off), or lets the overlay that draws show them. A
    /// source starts shown: an overlay silent when its text arrives would set up no renderer
    /// and stay blank after.
    pub(crate) fn set_hidden(&self, hidden: bool) {
        if self.hidden.swap(hidden, Ordering::AcqRel) != hidden {
            self.apply();
        }
    }

    fn apply(&self) {
        let to_viewers = self.to_viewers.load(Ordering::Acquire);
        let hidden = self.hidden.load(Ordering::Acquire);
        self.shared.set_property("silent", hidden || !to_viewers);
        self.local.set_property("silent", hidden || to_viewers);
    }
}

/// An overlay told to be silent before it had a renderer sets none up: it lets the video
/// pass and leaves its subtitle pad without a target. Text pushed there comes back
/// not-linked, its queue stops, and at the end of the stream the queue reports that as an
/// error ("Internal data stream error"): the false "file is damaged" at the end of every
/// subtitled video. Such text is dropped before it reaches the overlay. An overlay that is to
/// draw gets its text as before, even while it has no renderer yet: it holds the text until
/// one is set up.
fn drop_text_while_passed_through(queue: &gst::Element) {
    let Some(src) = queue.static_pad("src") else {
        return;
    };
    src.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        |pad, _| {
            let Some(ghost) = pad
                .peer()
                .and_then(|peer| peer.downcast::<gst::GhostPad>().ok())
            else {
                return gst::PadProbeReturn::Ok;
            };
            let silent = ghost
                .parent_element()
                .is_some_and(|overlay| overlay.property::<bool>("silent"));
            if silent && ghost.target().is_none() {
                gst::PadProbeReturn::Drop
            } else {
                gst::PadProbeReturn::Ok
            }
        },
    );
}

/// The element an overlay draws `codec`'s subtitles with, and the Debian package that has it:
/// pictures (DVD, Blu-ray) through the sub-picture renderer, text through pango's overlay.
fn renderer_for(codec: Option<&str>) -> (&'static str, &'static str) {
    let codec = codec.unwrap_or_default().to_ascii_lowercase();
    let picture = ["pgs", "vobsub", "dvd", "sub-picture", "subpicture"];
    if picture.iter().any(|p| codec.contains(p)) {
        ("dvdspu", "gstreamer1.0-plugins-bad")
    } else {
        ("textoverlay", "gstreamer1.0-x")
    }
}

/// Subtitles of `codec` are to be shown but nothing installed can draw them: the overlays
/// would pass the picture through and no one would see a word. Said once per process.
pub(crate) fn missing_renderer(codec: Option<&str>) -> Option<PlayerError> {
    static TOLD: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let (factory, package) = renderer_for(codec);
    if gst::ElementFactory::find(factory).is_some() {
        return None;
    }
    let mut told = TOLD.lock().unwrap();
    if told.contains(&factory) {
        return None;
    }
    told.push(factory);
    tracing::warn!("subtitles cannot be drawn: the GStreamer element '{factory}' is missing (install {package})");
    Some(PlayerError::MissingRenderer { factory, package })
}

#[cfg(test)]
mod tests {
    use super::renderer_for;

    #[test]
    fn pictures_and_text_name_their_renderer_and_package() {
        assert_eq!(renderer_for(Some("PGS subtitles")).0, "dvdspu");
        assert_eq!(renderer_for(Some("VobSub")).0, "dvdspu");
        assert_eq!(
            renderer_for(Some("SubRip/SRT")),
            ("textoverlay", "gstreamer1.0-x")
        );
        assert_eq!(renderer_for(None).0, "textoverlay");
    }
}
