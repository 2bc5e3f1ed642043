use std::time::Duration;

use gst::prelude::*;

use crate::media::{MediaKind, OutputBranch};

/// One capture branch on an output's tee: `tee → queue → appsink`.
pub(crate) struct Branch {
    bin: gst::Bin,
    tee: gst::Element,
    tee_pad: gst::Pad,
    queue: gst::Element,
    sink: gst_app::AppSink,
}

/// Longest a branch waits for its tee pad to go idle before it is taken down regardless.
const DETACH_TIMEOUT: Duration = Duration::from_secs(2);

impl Branch {
    /// Adds a branch to `output`'s tee. Safe from the tee's own streaming thread: the tee
    /// hands the new pad its sticky events (caps, segment) before the next buffer.
    pub(crate) fn attach(output: &OutputBranch, sink: gst_app::AppSink) -> Result<Self, String> {
        let queue = gst::ElementFactory::make("queue")
            .build()
            .map_err(|_| "the GStreamer element 'queue' is missing".to_owned())?;
        // A slow consumer drops old data instead of stalling playback and the other captures.
        queue.set_property_from_str("leaky", "downstream");
        queue.set_property("max-size-buffers", 0u32);
        queue.set_property("max-size-bytes", 0u32);
        queue.set_property("max-size-time", 1_000_000_000u64);
        sink.set_sync(true);
        // Added while the pipeline runs: must not take part in prerolling.
        sink.set_async(false);
        sink.set_drop(true);
        sink.set_max_buffers(8);
        sink.set_property("enable-last-sample", false);
        if output.kind() == MediaKind::Video {
            sink.set_caps(Some(&gst::Caps::builder("video/x-raw").build()));
        }

        let bin = output.bin().clone();
        let tee = output.tee().clone();
        bin.add_many([&queue, sink.upcast_ref()])
            .map_err(|e| e.to_string())?;
        queue.link(&sink).map_err(|e| e.to_string())?;
        sink.sync_state_with_parent().map_err(|e| e.to_string())?;
        queue.sync_state_with_parent().map_err(|e| e.to_string())?;
        let tee_pad = tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| "the tee gave no pad".to_owned())?;
        let queue_pad = queue.static_pad("sink").expect("queue has a sink pad");
        tee_pad.link(&queue_pad).map_err(|e| e.to_string())?;
        Ok(Self {
            bin,
            tee,
            tee_pad,
            queue,
            sink,
        })
    }

    pub(crate) fn sink(&self) -> &gst_app::AppSink {
        &self.sink
    }

    /// Removes the branch without stalling the tee: the pad is unlinked once it is idle
    /// (between two buffers), then the elements are shut down and removed. Never call this
    /// from the tee's streaming thread.
    pub(crate) fn detach(self) {
        let (idle_tx, idle_rx) = flume::bounded(1);
        self.tee_pad
            .add_probe(gst::PadProbeType::IDLE, move |pad, _| {
                if let Some(peer) = pad.peer() {
                    let _ = pad.unlink(&peer);
                }
                let _ = idle_tx.try_send(());
                gst::PadProbeReturn::Remove
            });
        if idle_rx.recv_timeout(DETACH_TIMEOUT).is_err() {
            tracing::warn!("capture branch did not go idle; removing it anyway");
            if let Some(peer) = self.tee_pad.peer() {
                let _ = self.tee_pad.unlink(&peer);
            }
        }
        self.tee.release_request_pad(&self.tee_pad);
        let _ = self.sink.set_state(gst::State::Null);
        let _ = self.queue.set_state(gst::State::Null);
        let _ = self
            .bin
            .remove_many([&self.queue, self.sink.upcast_ref::<gst::Element>()]);
    }
}
