//! Keeping libnice from asking the local router to open ports (UPnP).

use gst::prelude::*;

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
