//! A viewer's retransmissions held to the budget its controller sets
//! ([`super::controller::RetransmissionLimit`]): requests beyond it are answered as handled
//! and never reach `rtprtxsend`.

use std::sync::Mutex;
use std::time::Instant;

use gst::prelude::*;

use super::controller::{RetransmissionBudget, RetransmissionLimit};

/// One viewer's gate: the limit the actor last applied and the budget spent under it. The
/// lock is held only for arithmetic, never across a GStreamer call.
#[derive(Debug)]
pub(crate) struct RetransmissionGate {
    state: Mutex<(RetransmissionLimit, RetransmissionBudget)>,
}

impl RetransmissionGate {
    pub(crate) fn new(limit: RetransmissionLimit) -> Self {
        Self {
            state: Mutex::new((limit, RetransmissionBudget::new(Instant::now()))),
        }
    }

    pub(crate) fn set_limit(&self, limit: RetransmissionLimit) {
        self.state.lock().unwrap().0 = limit;
    }

    /// Whether `rtprtxsend` may answer this request, and how many were refused so far.
    fn allow(&self, ssrc: u32, seqnum: u32) -> (bool, u64) {
        let mut state = self.state.lock().unwrap();
        let (limit, budget) = &mut *state;
        let allowed = budget.allow(ssrc, seqnum, limit, Instant::now());
        (allowed, budget.refused)
    }

    /// Holds `rtxsend`'s retransmission requests to this gate.
    pub(crate) fn install(self: &std::sync::Arc<Self>, rtxsend: &gst::Element) {
        let Some(src) = rtxsend.static_pad("src") else {
            return;
        };
        let gate = self.clone();
        src.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
            let Some(gst::PadProbeData::Event(event)) = &info.data else {
                return gst::PadProbeReturn::Ok;
            };
            let Some(s) = event.structure() else {
                return gst::PadProbeReturn::Ok;
            };
            if s.name() != "GstRTPRetransmissionRequest"
                || s.has_field(super::link_probe::PROBE_FIELD)
            {
                // A headroom probe's are paced by their own rate, not the viewer's requests.
                return gst::PadProbeReturn::Ok;
            }
            let (Ok(ssrc), Ok(seqnum)) = (s.get::<u32>("ssrc"), s.get::<u32>("seqnum")) else {
                return gst::PadProbeReturn::Ok;
            };
            let (allowed, refused) = gate.allow(ssrc, seqnum);
            if !allowed && refused % 100 == 1 {
                tracing::debug!(refused, "retransmissions held to the link's budget");
            }
            if allowed {
                gst::PadProbeReturn::Ok
            } else {
                // Handled, not Drop: the request is answered as done and goes no further.
                gst::PadProbeReturn::Handled
            }
        });
    }
}
