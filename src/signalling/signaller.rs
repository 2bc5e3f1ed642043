//! The contract between the share and a signalling backend: the [`Signaller`] trait, and the
//! bound on what any backend reads from the far side.

use super::events::SignallingEvent;
use crate::rtc::SdpKind;

/// Largest signalling message accepted (an SDP is a few kB).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// A signalling backend, seen from the share: it turns a protocol's messages into these
/// events and these calls into its messages.
pub trait Signaller: Send + Sync {
    fn subscribe(&self) -> flume::Receiver<SignallingEvent>;
    fn send_sdp(&self, session: &str, kind: SdpKind, sdp: &str);
    fn send_ice(&self, session: &str, mline: u32, candidate: &str);
    /// All local candidates of `session` are out. Protocols without trickle wait for this.
    fn end_of_candidates(&self, _session: &str) {}
    fn end_session(&self, session: &str);
    /// The share lost `session`'s connection (ICE, DTLS, silence, an unusable answer). A
    /// publisher tries again after a pause; a signalling server's viewer may join again by
    /// itself, so by default this just ends the session.
    fn session_failed(&self, session: &str) {
        self.end_session(session)
    }
    /// There is media to send again after the share ended every session (the video ended
    /// and the person played again). A publisher publishes again; viewers of a signalling
    /// server join again by themselves.
    fn media_resumed(&self) {}
    fn stop(&self);
}
