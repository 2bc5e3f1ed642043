//! A budget for one viewer's retransmissions. On a link that drops packets the viewer asks
//! for each lost one again and again, every retransmission is lost in the same full queue,
//! and the sender ends up sending many times the video's bitrate into a link that cannot
//! take the video alone: nothing gets through. As libwebrtc's sender does, a packet is sent
//! again at most once per round trip (a request within it was sent before the last copy
//! could arrive), and retransmissions together stay within a share of the link's estimate;
//! requests beyond that are refused before they reach `rtprtxsend`.
//!
//! The controller decides the [`RetransmissionLimit`] from the estimate and the RTT; the
//! budget applies it to each request, on the streaming thread, with time as an input.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::bitrate::Bitrate;

/// The share of the link's estimate that retransmissions may use.
const SHARE_OF_ESTIMATE: f64 = 0.25;
/// What one retransmission is counted as (video packets are close to the MTU).
const PACKET_BITS: f64 = 1200.0 * 8.0;
/// The round trip assumed before any receiver report measured one (libwebrtc's default).
const UNKNOWN_RTT: Duration = Duration::from_millis(100);
/// Bounds on the interval: a loopback RTT of a millisecond would let a retry through before
/// the last copy left the pacer; a long one must not make a lost copy cost seconds.
const MIN_INTERVAL: Duration = Duration::from_millis(10);
const MAX_INTERVAL: Duration = Duration::from_millis(500);
/// At most this many recent retransmissions are remembered (bounds a hostile viewer's cost).
const REMEMBERED: usize = 512;
/// Unused budget kept for a burst, in seconds of budget.
const BURST_SECONDS: f64 = 0.5;

/// What a viewer's retransmissions may take: `rate` in all, and one packet at most once in
/// `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetransmissionLimit {
    pub rate: Bitrate,
    pub interval: Duration,
}

impl RetransmissionLimit {
    /// The limit for a link estimated at `estimate` with round trip `rtt` (seconds, from
    /// receiver reports; it includes the queue's delay, so a full queue lengthens it).
    pub(crate) fn for_link(estimate: Bitrate, rtt: Option<f64>) -> Self {
        let interval = rtt
            .filter(|r| r.is_finite() && *r >= 0.0)
            // A quarter more than the round trip: its jitter must not let a duplicate by.
            .map_or(UNKNOWN_RTT, |r| Duration::from_secs_f64(r.min(10.0) * 1.25))
            .clamp(MIN_INTERVAL, MAX_INTERVAL);
        Self {
            rate: estimate.scale(SHARE_OF_ESTIMATE),
            interval,
        }
    }

    /// Whether `self` is different enough from `applied` to be applied (an estimate moves
    /// many times a second; a few percent make no difference to a budget).
    pub(crate) fn differs_from(&self, applied: &Self) -> bool {
        let (a, b) = (self.rate.as_f64(), applied.rate.as_f64());
        (a - b).abs() > 0.05 * b.max(1.0)
            || self.interval.abs_diff(applied.interval) >= Duration::from_millis(5)
    }
}

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

    /// Whether packet `seqnum` of `ssrc` may be sent again now, within `limit`.
    pub(crate) fn allow(
        &mut self,
        ssrc: u32,
        seqnum: u32,
        limit: &RetransmissionLimit,
        now: Instant,
    ) -> bool {
        let rate = limit.rate.as_f64();
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate * BURST_SECONDS + PACKET_BITS);
        self.refilled = now;
        while self
            .recent
            .front()
            .is_some_and(|(_, _, at)| now.saturating_duration_since(*at) >= limit.interval)
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn limit(bps: u32, rtt: Option<f64>) -> RetransmissionLimit {
        RetransmissionLimit::for_link(Bitrate::bps(bps), rtt)
    }

    #[test]
    fn a_packet_asked_for_again_within_a_round_trip_is_sent_once() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(1);
        // RTT 200 ms (a full queue): the interval is 250 ms.
        let l = limit(2_000_000, Some(0.2));
        assert_eq!(l.interval, 250 * MS);
        assert!(budget.allow(1, 10, &l, t));
        assert!(!budget.allow(1, 10, &l, t + 5 * MS));
        assert!(!budget.allow(1, 10, &l, t + 200 * MS));
        // Another stream's packet of the same number is another packet.
        assert!(budget.allow(2, 10, &l, t + 200 * MS));
        assert!(budget.allow(1, 10, &l, t + 251 * MS));
    }

    #[test]
    fn a_lost_retransmission_is_sent_again_at_the_viewers_next_request() {
        // Chromium, receiving only, knows no RTT and asks again every 100 ms; on a short
        // link the second copy must go (a fixed 250 ms froze the picture for a third of a
        // second each time a copy was lost).
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(1);
        let l = limit(2_000_000, Some(0.004));
        assert_eq!(l.interval, MIN_INTERVAL);
        assert!(budget.allow(1, 10, &l, t));
        assert!(!budget.allow(1, 10, &l, t + 2 * MS));
        assert!(budget.allow(1, 10, &l, t + 100 * MS));
    }

    #[test]
    fn the_interval_is_bounded_and_assumed_before_a_report() {
        assert_eq!(limit(1, None).interval, UNKNOWN_RTT);
        assert_eq!(limit(1, Some(3.0)).interval, MAX_INTERVAL);
        assert_eq!(limit(1, Some(f64::NAN)).interval, UNKNOWN_RTT);
        assert_eq!(limit(1, Some(-1.0)).interval, UNKNOWN_RTT);
        assert_eq!(limit(1_000_000, None).rate, Bitrate::bps(250_000));
    }

    #[test]
    fn small_changes_are_not_applied() {
        let applied = limit(1_000_000, Some(0.05));
        assert!(!limit(1_030_000, Some(0.052)).differs_from(&applied));
        assert!(limit(1_100_000, Some(0.05)).differs_from(&applied));
        assert!(limit(1_000_000, Some(0.1)).differs_from(&applied));
    }

    #[test]
    fn retransmissions_stay_within_a_share_of_the_estimate() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let l = limit(100_000, Some(0.05));
        // A viewer asking for every packet again, 1000 a second, for ten seconds on a link
        // of 100 kbit/s: a quarter of that is about 2.6 packets a second.
        let mut allowed = 0;
        for i in 0..10_000u32 {
            if budget.allow(1, i, &l, t0 + i * MS) {
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
        let l = limit(5_000_000, None);
        assert!((0..10).all(|i| budget.allow(1, i, &l, t)));
    }

    #[test]
    fn what_is_remembered_is_bounded() {
        let t0 = Instant::now();
        let mut budget = RetransmissionBudget::new(t0);
        let t = t0 + Duration::from_secs(10);
        let l = limit(u32::MAX, Some(1.0));
        for i in 0..10_000 {
            budget.allow(1, i, &l, t);
        }
        assert!(budget.recent.len() <= REMEMBERED);
    }
}
