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
        stop_fully(element);
    }
    let _ = bin.remove_many(elements.iter().copied());
}

/// Sets an element to NULL, and every element inside it too: webrtcbin keeps some children
/// (rtpbin's jitterbuffers) in a locked state that a plain state change skips, and freeing
/// them while PAUSED warns and can crash their still-running threads.
pub fn stop_fully(element: &gst::Element) {
    let _ = element.set_state(gst::State::Null);
    if let Some(bin) = element.downcast_ref::<gst::Bin>() {
        for child in bin.iterate_recurse().into_iter().flatten() {
            if child.current_state() != gst::State::Null {
                let _ = child.set_state(gst::State::Null);
            }
        }
    }
}

/// libnice asks the local router, by UPnP, to open a port for every ICE agent: SSDP multicast
/// on the LAN, unasked, and a gupnp-igd thread with a dozen sockets per agent that is never
/// freed (found with `reelcast bench churn` and gdb: one leaked thread per viewer, all in
/// libgupnp-igd). Reelcast opens nothing on anyone's router; STUN and TURN are the ways across
/// NAT. Call before the agent starts gathering.
pub fn disable_upnp(webrtcbin: &gst::Element) {
    let Some(ice) = webrtcbin.property::<Option<gst::glib::Object>>("ice-agent") else {
        return;
    };
    if !ice.has_property("agent") {
        return;
    }
    if let Some(agent) = ice.property::<Option<gst::glib::Object>>("agent") {
        if agent.has_property("upnp") {
            agent.set_property("upnp", false);
        }
    }
}
