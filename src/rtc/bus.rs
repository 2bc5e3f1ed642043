//! The sending pipeline's bus, read as messages are posted.

use std::sync::Arc;

use gst::prelude::*;

use super::command::Command;
use super::events::ShareEvent;
use crate::util::Broadcast;

/// Reads the sending pipeline's bus as messages are posted. Nothing may pile up there: every
/// message holds a reference to the element that posted it, so an unread bus kept every
/// viewer's webrtcbin (with its sockets) and every stopped encoder alive for good.
pub(crate) fn watch_bus(
    pipeline: &gst::Pipeline,
    events: &Arc<Broadcast<ShareEvent>>,
    commands: &flume::Sender<Command>,
) {
    let Some(bus) = pipeline.bus() else { return };
    let events = Arc::downgrade(events);
    let commands = commands.clone();
    bus.set_sync_handler(move |_, message| {
        use gst::MessageView;
        match message.view() {
            MessageView::Error(e) => {
                // The person hears of it once, from the event; the element's path and
                // GStreamer's debug string are for REELCAST_LOG=debug.
                let source = message
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                tracing::debug!(%source, debug = ?e.debug(), "sending pipeline error: {}", e.error());
                if let Some(events) = events.upgrade() {
                    events.send(ShareEvent::Error {
                        viewer: None,
                        message: format!("sending to viewers failed: {}", e.error()),
                    });
                }
            }
            MessageView::Warning(w) => {
                tracing::debug!(debug = ?w.debug(), "sending pipeline warning: {}", w.error());
            }
            // A live pipeline's latency changes as viewers come and go; the actor, not a
            // streaming thread, recomputes it.
            MessageView::Latency(_) => {
                let _ = commands.send(Command::RecalculateLatency);
            }
            _ => {}
        }
        gst::BusSyncReply::Drop
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A failure reaches the person once, as one event in words: not the element's path nor
    /// GStreamer's debug string (those are logged under REELCAST_LOG=debug only).
    #[test]
    fn a_pipeline_error_is_one_event_without_internal_details() {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let events: Arc<Broadcast<ShareEvent>> = Arc::default();
        let received = events.subscribe();
        let (commands, _commands) = flume::unbounded();
        watch_bus(&pipeline, &events, &commands);
        let encoder = gst::ElementFactory::make("identity")
            .name("vp8enc-internal")
            .build()
            .unwrap();
        pipeline.add(&encoder).unwrap();
        let error = gst::message::Error::builder(gst::CoreError::Failed, "Could not encode")
            .src(&encoder)
            .debug("../ext/vpx/gstvpxenc.c(1234): gst_vpx_enc_process (): internal")
            .build();
        pipeline.bus().unwrap().post(error).unwrap();
        let event = received.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            matches!(&event, ShareEvent::Error { viewer: None, message }
                if message == "sending to viewers failed: Could not encode"),
            "{event:?}"
        );
        assert!(received.try_recv().is_err(), "once");
    }
}
