use gst::prelude::*;

use crate::media::{MediaKind, OutputBranch};
use crate::util::{release_tee_pad, remove_elements};

/// One capture branch on an output's tee: `tee → queue → appsink`.
pub(crate) struct Branch {
    bin: gst::Bin,
    tee: gst::Element,
    tee_pad: gst::Pad,
    queue: gst::Element,
    sink: gst_app::AppSink,
}

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

    /// Removes the branch without stalling the tee (see [`release_tee_pad`]). Never call this
    /// from the tee's streaming thread.
    pub(crate) fn detach(self) {
        release_tee_pad(&self.tee, &self.tee_pad);
        remove_elements(&self.bin, &[self.sink.upcast_ref(), &self.queue]);
    }
}
