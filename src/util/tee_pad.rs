//! Taking a branch off a running tee without stalling its other branches.

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
