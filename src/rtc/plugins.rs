//! The GStreamer plugins Reelcast carries inside its binary, registered once.

/// Registers gst-plugins-rs's RTP plugin (for `rtpgccbwe`); later calls do nothing.
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = gstrsrtp::plugin_register_static() {
            tracing::warn!(error = %e, "no congestion control estimator: rtpgccbwe did not register");
        }
    });
}
