//! The encoders, one per codec, each shared by every viewer of that codec.

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

/// A viewer's branch on an encoder's RTP tee.
pub(crate) struct ViewerLink {
    tee: gst::Element,
    tee_pad: gst::Pad,
    queue: gst::Element,
    /// Keyframe requests (PLI, FIR) this viewer's RTP session sent upstream.
    keyframe_requests: Arc<AtomicU64>,
}

impl ViewerLink {
    pub(crate) fn keyframe_requests(&self) -> u64 {
        self.keyframe_requests.load(Ordering::Relaxed)
    }

    /// Stops feeding the viewer's queue, leaving the queue in place (see [`ViewerLink::remove`]).
    /// Waits for the tee pad to go idle: only the reaper calls it, never the actor.
    pub(crate) fn detach(&self) {
        release_tee_pad(&self.tee, &self.tee_pad);
    }

    /// Stops and removes the viewer's queue, once the encoder no longer feeds it.
    pub(crate) fn remove(self, pipeline: &gst::Pipeline) {
        remove_elements(pipeline.upcast_ref(), &[&self.queue]);
    }
}

fn leaky_queue(max_buffers: u32) -> Result<gst::Element, BuildError> {
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

    pub(crate) fn set_bitrate(&self, bitrate: u32) {
        self.codec.set_bitrate(&self.encoder, bitrate);
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
        // webrtcbin turns the viewer's PLI and FIR into force-key-unit events that travel up
        // to the shared encoder; counting them here tells whose they are.
        let keyframe_requests = Arc::new(AtomicU64::new(0));
        let counter = keyframe_requests.clone();
        queue.static_pad("src").unwrap().add_probe(
            gst::PadProbeType::EVENT_UPSTREAM,
            move |_, info| {
                if let Some(event) = info.event() {
                    if gst_video::UpstreamForceKeyUnitEvent::parse(event).is_ok() {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
                gst::PadProbeReturn::Ok
            },
        );
        Ok(ViewerLink {
            tee: self.rtp_tee.clone(),
            tee_pad,
            queue,
            keyframe_requests,
        })
    }

    /// Number of viewers fed by this encoder.
    pub(crate) fn viewer_count(&self) -> usize {
        self.rtp_tee.num_src_pads() as usize
    }
}
