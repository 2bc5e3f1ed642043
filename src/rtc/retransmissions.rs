//! A budget for one viewer's retransmissions. On a link that drops packets the viewer asks
//! for each lost one again and again (Chromium retries every few milliseconds while its RTT
//! estimate is low), every retransmission is lost in the same full queue, and the sender
//! ends up sending many times the video's bitrate into a link that cannot take the video
//! alone: nothing gets through. As libwebrtc's sender does, a packet is sent again at most
//! once per interval, and retransmissions together stay within a share of the link's
//! estimate; requests beyond that are dropped before they reach `rtprtxsend`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;

/// The share of the link's estimate that retransmissions may use.
const SHARE_OF_ESTIMATE: f64 = 0.25;
/// What one retransmission is counted as (video packets are close to the MTU).
const PACKET_BITS: f64 = 1200.0 * 8.0;
/// A packet is sent again at most once in this time (a round trip through a full queue).
const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// At most this many recent retransmissions are remembered (bounds a hostile viewer's cost).
const REMEMBERED: usize = 512;
/// Unused budget kept for a burst, in seconds of budget.
const BURST_SECONDS: f64 = 0.5;

/// The state of one viewer's budget; [`RetransmissionBudget::allow`] is its whole logic.
#[derive(Debug)]
pub(crate) struct RetransmissionBudget {
    /// Bits that may still be retransmitted.
    tokens: f64,
    refilled: Instant,
    /// (ssrc, seqnum, when) of the retransmissions allowed lately, oldest first.
    recent: VecDeque<(u32, u32, Instant)>,
    pub(crate) allowed: u64,
    pub(crate) refused: u64,
}

impl RetransmissionBudget {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            tokens: 0.0,
            refilled: now,
            recent: VecDeque::new(),
            allowed: 0,
            refused: 0,
        }
    }

    /// Whether packet `seqnum` of `ssrc` may be sent again now, on a link estimated at
    /// `estimate` bits/s.
    pub(crate) fn allow(&mut self, ssrc: u32, seqnum: u32, estimate: u32, now: Instant) -> bool {
        let rate = f64::from(estimate) * SHARE_OF_ESTIMATE;
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate * BURST_SECONDS + PACKET_BITS);
        self.refilled = now;
        while self
            .recent
            .front()
            .is_some_and(|(_, _, at)| now.saturating_duration_since(*at) >= MIN_INTERVAL)
        {
            self.recent.pop_front();
        }
        let again = self
            .recent
            .iter()
            .any(|(s, n, _)| *s == ssrc && *n == seqnum);
        if again || self.tokens < PACKET_BITS || self.recent.len() >= REMEMBERED {
            self.refused += 1;
            return false;
        }
        self.tokens -= PACKET_BITS;
        self.recent.push_back((ssrc, seqnum, now));
        self.allowed += 1;
        true
    }
}

/// Holds `rtprtxsend`'s retransmission requests to `budget`, with `estimate` the viewer's
/// link estimate in bits/s (kept up to date by its estimator).
pub(crate) fn limit_retransmissions(
    rtxsend: &gst::Element,
    estimate: Arc<AtomicU32>,
    budget: Arc<Mutex<RetransmissionBudget>>,
) {
    let Some(src) = rtxsend.static_pad("src") else {
        return;
    };
    src.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
        let Some(gst::PadProbeData::Event(event)) = &info.data else {
            return gst::PadProbeReturn::Ok;
        };
        let Some(s) = event.structure() else {
            return gst::PadProbeReturn::Ok;
        };
        if s.name() != "GstRTPRetransmissionRequest" || s.has_field(super::link_probe::PROBE_FIELD)
        {
            // A headroom probe's are paced by their own rate, not the viewer's requests.
            return gst::PadProbeReturn::Ok;
        }
        let (Ok(ssrc), Ok(seqnum)) = (s.get::<u32>("ssrc"), s.get::<u32>("seqnum")) else {
            return gst::PadProbeReturn::Ok;
        };
        let estimate = estimate.load(Ordering::Relaxed);
        let (allowed, refused) = {
            let mut budget = budget.lock().unwrap();
            let allowed = budget.allow(ssrc, seqnum, estimate, Instant::now());
            (allowed, budget.refused)
        };
        if !allowed && refused % 100 == 1 {
            tracing::debug!(
                refused,
                estimate,
                "retransmissions held to the link's budget"
            );
        }
        if allowed {
            gst::PadProbeReturn::Ok
        } else {
            // Handled, not Drop: the request is answered as done and goes no further.
            gst::PadProbeReturn::Handled
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_packet_asked_for_again_within_the_interval_is_sent_once() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(1);
        assert!(budget.allow(1, 10, 2_000_000, t));
        assert!(!budget.allow(1, 10, 2_000_000, t + 5 * MS));
        assert!(!budget.allow(1, 10, 2_000_000, t + 200 * MS));
        // Another stream's packet of the same number is another packet.
        assert!(budget.allow(2, 10, 2_000_000, t + 200 * MS));
        assert!(budget.allow(1, 10, 2_000_000, t + MIN_INTERVAL + MS));
    }

    #[test]
    fn retransmissions_stay_within_a_share_of_the_estimate() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        // A viewer asking for every packet again, 1000 a second, for ten seconds on a link
        // of 100 kbit/s: a quarter of that is about 2.6 packets a second.
        let mut allowed = 0;
        for i in 0..10_000u32 {
            if budget.allow(1, i, 100_000, t0 + i * MS) {
                allowed += 1;
            }
        }
        let bits = f64::from(allowed) * PACKET_BITS;
        assert!(bits <= 100_000.0 * SHARE_OF_ESTIMATE * 10.5, "{allowed}");
        assert!(allowed >= 20, "{allowed}");
        assert_eq!(budget.allowed + budget.refused, 10_000);
    }

    #[test]
    fn a_fast_link_retransmits_what_a_few_losses_need() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(1);
        // 5 Mbit/s: ten lost packets at once are all sent again.
        assert!((0..10).all(|i| budget.allow(1, i, 5_000_000, t)));
    }

    #[test]
    fn what_is_remembered_is_bounded() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(10);
        for i in 0..10_000 {
            budget.allow(1, i, u32::MAX, t);
        }
        assert!(budget.recent.len() <= REMEMBERED);
    }
}
