//! A viewer's pacer: an `identity` between its payloader and webrtcbin, whose source pad
//! holds each packet until [`PaceSchedule`] says it is due. Before the RTP session, so the
//! transport-wide sequence numbers and send times that GCC reads are stamped after it. It
//! blocks only the viewer's own queue thread (the one that payloads its video), never an
//! encoder's, the actor or the main loop; a packet waits 250 ms at most.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::prelude::*;

use super::build_error::BuildError;
use super::codec::make;
use super::controller::{Bitrate, PaceSchedule};

/// Set to `off`, viewers' video is not paced: for measuring the pacer against its absence.
pub(crate) const PACER_VAR: &str = "REELCAST_PACER";

/// One viewer's pacing rate and schedule. The lock is held only for arithmetic.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    state: Mutex<(Option<Bitrate>, PaceSchedule)>,
}

impl Pacer {
    /// A pacer, unless the switch turned pacing off.
    pub(crate) fn for_viewer() -> Option<Arc<Self>> {
        let off = std::env::var(PACER_VAR).is_ok_and(|v| v == "off");
        (!off).then(Arc::default)
    }

    pub(crate) fn set_rate(&self, rate: Bitrate) {
        self.state.lock().unwrap().0 = Some(rate);
    }

    /// The element that paces, to put between the payloader and webrtcbin.
    pub(crate) fn element(self: &Arc<Self>) -> Result<gst::Element, BuildError> {
        let identity = make("identity")?;
        identity.set_property("silent", true);
        let pacer = self.clone();
        let src = identity
            .static_pad("src")
            .ok_or_else(|| BuildError::gst("identity has no src pad"))?;
        // identity pushes a payloader's buffer lists one buffer at a time.
        src.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                let wait = pacer.wait(buffer.size());
                if !wait.is_zero() {
                    std::thread::sleep(wait);
                }
            }
            gst::PadProbeReturn::Ok
        });
        Ok(identity)
    }

    fn wait(&self, bytes: usize) -> std::time::Duration {
        let mut state = self.state.lock().unwrap();
        let (rate, schedule) = &mut *state;
        schedule.wait(Instant::now(), bytes, *rate)
    }
}
