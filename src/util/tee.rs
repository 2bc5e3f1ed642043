use std::time::Duration;

use gst::prelude::*;

/// Longest we wait for a tee pad to go idle before unlinking it regardless.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Unlinks a tee's request pad once no buffer is passing through it (an IDLE probe), then
/// releases it, without stalling the tee's other branches. The caller then shuts down and
/// removes what was downstream. Never call this from the tee's own streaming thread while it
/// pushes to this pad.
pub fn release_tee_pad(tee: &gst::Element, tee_pad: &gst::Pad) {
    let (idle_tx, idle_rx) = flume::bounded(1);
    tee_pad.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
        if let Some(peer) = pad.peer() {
            let _ = pad.unlink(&peer);
        }
        let _ = idle_tx.try_send(());
        gst::PadProbeReturn::Remove
    });
    if idle_rx.recv_timeout(IDLE_TIMEOUT).is_err() {
        tracing::warn!(pad = %tee_pad.name(), "tee pad did not go idle; unlinking it anyway");
        if let Some(peer) = tee_pad.peer() {
            let _ = tee_pad.unlink(&peer);
        }
    }
    tee.release_request_pad(tee_pad);
}

/// Shuts `elements` down and removes them from `bin`.
pub fn remove_elements(bin: &gst::Bin, elements: &[&gst::Element]) {
    for element in elements {
        let _ = element.set_state(gst::State::Null);
    }
    let _ = bin.remove_many(elements.iter().copied());
}

/// A removed webrtcbin (GStreamer 1.22) is never finalized: it keeps references to itself
/// (5 before removal, 7 after NULL, with ours and the bin's only 2). Running its dispose by
/// hand, once it is stopped and out of the pipeline, frees its children and one of the two
/// threads each viewer used to leak. Not everything: `reelcast bench churn` still shows about
/// 12 sockets, 1 thread and 0.6 MB kept per viewer that came and went (see the README).
pub fn break_webrtcbin_cycle(webrtcbin: &gst::Element) {
    debug_assert!(webrtcbin.parent().is_none(), "remove it from its bin first");
    // SAFETY: the element is stopped (NULL) and out of every bin; nothing of ours uses it
    // after this, and GObject keeps a disposed object valid until its last reference goes.
    unsafe { webrtcbin.run_dispose() };
}
