//! The audio encoder, shared by every viewer, and the branches that feed viewers from tees.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gst::prelude::*;

use super::build_error::BuildError;
use super::codec::{make, Codec};
use crate::util::{release_tee_pad, remove_elements};

/// One encoder for one codec, shared by every viewer who receives that codec:
/// `raw tee → queue → encoder → payloader → rtp tee → (one branch per viewer)`.
pub(crate) struct EncoderChain {
    codec: Codec,
    encoder: gst::Element,
    rtp_tee: gst::Element,
    /// Encoded frames (or audio packets) so far, for the frame rate in stats.
    frames: Arc<AtomicU64>,
    /// Closed (dropping) while no viewer receives this codec: the encoder then costs no
    /// CPU, yet stays built for the next viewer. Tearing a chain down and building it again
    /// for every viewer who came after a quiet spell cost megabytes each time (allocator
    /// fragmentation in the encoder libraries) and a slower join.
    valve: gst::Element,
}

/// A branch of a viewer's on a tee: the tee pad that feeds it, the pad it feeds (a funnel's
/// request pad, released with it) and the elements that are the viewer's alone.
pub(crate) struct ViewerLink {
    tee_pad: Option<(gst::Element, gst::Pad)>,
    funnel_pad: Option<(gst::Element, gst::Pad)>,
    elements: Vec<gst::Element>,
}

impl ViewerLink {
    /// A tee pad feeding the viewer's own `elements`.
    fn shared(tee: gst::Element, tee_pad: gst::Pad, elements: Vec<gst::Element>) -> Self {
        Self {
            tee_pad: Some((tee, tee_pad)),
            funnel_pad: None,
            elements,
        }
    }

    /// A tee pad feeding a funnel's request pad.
    pub(crate) fn branch(
        tee: gst::Element,
        tee_pad: gst::Pad,
        funnel: gst::Element,
        funnel_pad: gst::Pad,
    ) -> Self {
        Self {
            tee_pad: Some((tee, tee_pad)),
            funnel_pad: Some((funnel, funnel_pad)),
            elements: Vec::new(),
        }
    }

    /// Elements of the viewer's alone, fed by branches undone before them.
    pub(crate) fn elements(elements: Vec<gst::Element>) -> Self {
        Self {
            tee_pad: None,
            funnel_pad: None,
            elements,
        }
    }

    /// Stops feeding the viewer, leaving its elements in place (see [`ViewerLink::remove`]).
    /// Waits for the tee pad to go idle: only the reaper calls it, never the actor.
    pub(crate) fn detach(&self) {
        if let Some((tee, pad)) = &self.tee_pad {
            release_tee_pad(tee, pad);
        }
    }

    /// Stops and removes the viewer's elements, once nothing feeds them.
    pub(crate) fn remove(self, pipeline: &gst::Pipeline) {
        if let Some((funnel, pad)) = &self.funnel_pad {
            funnel.release_request_pad(pad);
        }
        let elements: Vec<&gst::Element> = self.elements.iter().collect();
        remove_elements(pipeline.upcast_ref(), &elements);
    }
}

/// Adds `chain` to `pipeline`, links it in order and its last element into `sink_pad`, then
/// starts it, downstream first. `what` names it in a link error.
pub(crate) fn add_chain_into(
    pipeline: &gst::Pipeline,
    chain: &[&gst::Element],
    sink_pad: &gst::Pad,
    what: &str,
) -> Result<(), BuildError> {
    let link_error = |e: &dyn std::fmt::Display| BuildError::Link {
        what: what.to_owned(),
        cause: e.to_string(),
    };
    pipeline.add_many(chain).map_err(BuildError::gst)?;
    gst::Element::link_many(chain).map_err(|e| link_error(&e))?;
    let last = chain
        .last()
        .ok_or_else(|| BuildError::gst("an empty chain"))?;
    last.static_pad("src")
        .ok_or_else(|| BuildError::gst("the chain has no src pad"))?
        .link(sink_pad)
        .map_err(|e| link_error(&e))?;
    for element in chain.iter().rev() {
        element.sync_state_with_parent().map_err(BuildError::gst)?;
    }
    Ok(())
}

/// A queue that drops its oldest buffers when `max_buffers` wait: one slow branch never
/// stalls the others.
pub(crate) fn leaky_queue(max_buffers: u32) -> Result<gst::Element, BuildError> {
    let queue = make("queue")?;
    // Never let one slow branch stall the others: drop the oldest data instead.
    queue.set_property_from_str("leaky", "downstream");
    queue.set_property("max-size-buffers", max_buffers);
    queue.set_property("max-size-bytes", 0u32);
    queue.set_property("max-size-time", 0u64);
    Ok(queue)
}

impl EncoderChain {
    /// Builds the chain in `pipeline` and starts it, fed from `raw_tee`.
    pub(crate) fn new(
        pipeline: &gst::Pipeline,
        raw_tee: &gst::Element,
        codec: Codec,
        bitrate: u32,
        ssrc: u32,
    ) -> Result<Self, BuildError> {
        // The valve parks the chain: closed, it drops raw data before the encoder.
        let valve = make("valve")?;
        if valve.has_property("drop-mode") {
            // Caps and segments still pass, so the encoder is ready for the current picture
            // size when it opens.
            valve.set_property_from_str("drop-mode", "forward-sticky-events");
        }
        let queue = leaky_queue(4)?;
        let elements = codec.make_chain(bitrate, ssrc)?;
        let factory = codec.encoder_factory();
        let encoder = elements
            .iter()
            .find(|e| e.factory().is_some_and(|f| f.name() == factory))
            .cloned()
            .ok_or_else(|| BuildError::MissingElement(factory.to_owned()))?;
        let rtp_tee = make("tee")?;
        rtp_tee.set_property("allow-not-linked", true);
        let mut all = vec![valve.clone(), queue.clone()];
        all.extend(elements.iter().cloned());
        all.push(rtp_tee.clone());
        pipeline.add_many(&all).map_err(BuildError::gst)?;
        gst::Element::link_many(&all).map_err(|e| BuildError::Link {
            what: format!("the {codec} encoder"),
            cause: e.to_string(),
        })?;
        for element in all.iter().rev() {
            element.sync_state_with_parent().map_err(BuildError::gst)?;
        }
        let frames = Arc::new(AtomicU64::new(0));
        let counter = frames.clone();
        encoder
            .static_pad("src")
            .expect("encoders have a src pad")
            .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                counter.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
        let raw_tee_pad = raw_tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| BuildError::gst("the raw tee gave no pad"))?;
        raw_tee_pad
            .link(&valve.static_pad("sink").unwrap())
            .map_err(BuildError::gst)?;
        tracing::info!(%codec, bitrate, "encoder started");
        Ok(Self {
            codec,
            encoder,
            rtp_tee,
            frames,
            valve,
        })
    }

    /// Stops encoding until [`EncoderChain::unpark`]; used when the last viewer leaves.
    pub(crate) fn park(&self) {
        if !self.is_parked() {
            self.valve.set_property("drop", true);
            tracing::info!(codec = %self.codec, "encoder parked: nobody receives it");
        }
    }

    /// Encodes again; the first frame is a keyframe, as a new viewer needs.
    pub(crate) fn unpark(&self) {
        if self.is_parked() {
            self.valve.set_property("drop", false);
            tracing::info!(codec = %self.codec, "encoder resumed");
            self.request_keyframe();
        }
    }

    pub(crate) fn is_parked(&self) -> bool {
        self.valve.property::<bool>("drop")
    }

    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    pub(crate) fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// Where the encoded media leaves the encoder, before it is packetised.
    pub(crate) fn encoded_pad(&self) -> gst::Pad {
        self.encoder
            .static_pad("src")
            .expect("encoders have a src pad")
    }

    /// Asks the encoder for a keyframe now (a viewer joined, a PLI, a seek).
    pub(crate) fn request_keyframe(&self) {
        if self.codec == Codec::Opus {
            return;
        }
        let event = gst_video::UpstreamForceKeyUnitEvent::builder()
            .all_headers(true)
            .build();
        let _ = self.encoder.send_event(event);
    }

    /// Feeds this encoder's RTP to a viewer's webrtcbin sink pad.
    pub(crate) fn link_viewer(
        &self,
        pipeline: &gst::Pipeline,
        sink_pad: &gst::Pad,
    ) -> Result<ViewerLink, BuildError> {
        let queue = leaky_queue(64)?;
        pipeline.add(&queue).map_err(BuildError::gst)?;
        queue
            .static_pad("src")
            .unwrap()
            .link(sink_pad)
            .map_err(|e| BuildError::Link {
                what: format!("{} to the viewer", self.codec),
                cause: e.to_string(),
            })?;
        queue.sync_state_with_parent().map_err(BuildError::gst)?;
        let tee_pad = self
            .rtp_tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| BuildError::gst("the RTP tee gave no pad"))?;
        tee_pad
            .link(&queue.static_pad("sink").unwrap())
            .map_err(BuildError::gst)?;
        Ok(ViewerLink::shared(
            self.rtp_tee.clone(),
            tee_pad,
            vec![queue],
        ))
    }

    /// Number of viewers fed by this encoder.
    pub(crate) fn viewer_count(&self) -> usize {
        self.rtp_tee.num_src_pads() as usize
    }
}
