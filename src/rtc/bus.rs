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
                let source = message
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                tracing::warn!(%source, debug = ?e.debug(), "sending pipeline error: {}", e.error());
                if let Some(events) = events.upgrade() {
                    events.send(ShareEvent::Error {
                        viewer: None,
                        message: format!("{source}: {}", e.error()),
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
