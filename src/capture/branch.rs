//! One capture branch on a player output's tee, and how it comes off again.

use gst::prelude::*;

use super::error::CaptureError;
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
    pub(crate) fn attach(
        output: &OutputBranch,
        sink: gst_app::AppSink,
    ) -> Result<Self, CaptureError> {
        let kind = output.kind();
        let branch_err = |cause: &dyn std::fmt::Display| CaptureError::Branch {
            kind,
            cause: cause.to_string(),
        };
        let queue = gst::ElementFactory::make("queue").build().map_err(|_| {
            CaptureError::MissingElement {
                kind,
                factory: "queue",
            }
        })?;
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
        if kind == MediaKind::Video {
            sink.set_caps(Some(&gst::Caps::builder("video/x-raw").build()));
        }

        let bin = output.bin().clone();
        let tee = output.tee().clone();
        bin.add_many([&queue, sink.upcast_ref()])
            .map_err(|e| branch_err(&e))?;
        let undo = |error: CaptureError| {
            remove_elements(&bin, &[sink.upcast_ref(), &queue]);
            error
        };
        queue.link(&sink).map_err(|e| undo(branch_err(&e)))?;
        sink.sync_state_with_parent()
            .map_err(|e| undo(branch_err(&e)))?;
        queue
            .sync_state_with_parent()
            .map_err(|e| undo(branch_err(&e)))?;
        let tee_pad = tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| undo(CaptureError::NoTeePad { kind }))?;
        let queue_pad = queue.static_pad("sink").expect("queue has a sink pad");
        if let Err(e) = tee_pad.link(&queue_pad) {
            tee.release_request_pad(&tee_pad);
            return Err(undo(branch_err(&e)));
        }
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
