//! The least delay a viewer is told to play at (the playout-delay RTP header extension,
//! written by `rtc::playout_delay`). A viewer on a clean link plays as soon as it can. Where
//! its receiver reports show loss over a long round trip, a frame with a lost packet waits a
//! round trip for the packet, or two when the retransmission is lost too, and is shown late:
//! Chromium counts a freeze. A shared video has no conversation to keep quick, so the viewer
//! is told to hold frames long enough for that, and it keeps the delay for the rest of its
//! watch (a link that lost once may again; a delay that came and went would make it stall
//! twice).

use std::time::Duration;

/// Loss in one receiver report (a fraction) from which packets are asked for again often.
const LOSSY: f64 = 0.005;
/// Below this round trip a retransmission comes before a frame is due anyway.
const SHORT_RTT: f64 = 0.040;
/// The delay: two round trips and a margin for the viewer's own asking, within bounds.
const MARGIN: Duration = Duration::from_millis(60);
const LEAST: Duration = Duration::from_millis(150);
const MOST: Duration = Duration::from_millis(600);
/// A new delay is given only at half as much again as the last: each rise pauses the
/// viewer's picture by the difference (a congested link's round trip rises and falls with
/// its queue, and followed closely it gave a viewer behind 600 kbit/s several pauses).
const RISE: f64 = 1.5;

#[derive(Debug, Default)]
pub(crate) struct PlayoutDelayChoice {
    /// The delay given, none yet.
    given: Option<Duration>,
}

impl PlayoutDelayChoice {
    /// A receiver report's loss and RTT (seconds); the new least delay, where there is one.
    pub(crate) fn report(&mut self, loss: Option<f64>, rtt: Option<f64>) -> Option<Duration> {
        let (Some(loss), Some(rtt)) = (loss, rtt) else {
            return None;
        };
        if !(loss >= LOSSY && rtt.is_finite() && rtt >= SHORT_RTT) {
            return None;
        }
        let wanted = (Duration::from_secs_f64(rtt.min(1.0) * 2.0) + MARGIN).clamp(LEAST, MOST);
        // Whole 10 ms, the extension's unit.
        let wanted = Duration::from_millis(wanted.as_millis().div_ceil(10) as u64 * 10);
        if self.given.is_some_and(|g| wanted < g.mul_f64(RISE)) {
            return None;
        }
        self.given = Some(wanted);
        Some(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_clean_or_short_link_plays_at_once() {
        let mut c = PlayoutDelayChoice::default();
        assert_eq!(c.report(Some(0.0), Some(0.150)), None);
        assert_eq!(
            c.report(Some(0.02), Some(0.005)),
            None,
            "loopback: RTX in time"
        );
        assert_eq!(c.report(None, Some(0.150)), None);
        assert_eq!(c.report(Some(0.02), None), None);
        assert_eq!(c.report(Some(f64::NAN), Some(0.150)), None);
    }

    #[test]
    fn loss_over_a_long_round_trip_holds_frames_two_round_trips() {
        let mut c = PlayoutDelayChoice::default();
        // RTT 150 ms with 2 % loss: 2 x 150 + 60 = 360 ms.
        assert_eq!(c.report(Some(0.02), Some(0.150)), Some(360 * MS));
        // The same again, or a little more, or a cleaner report: nothing new.
        assert_eq!(c.report(Some(0.02), Some(0.160)), None);
        assert_eq!(c.report(Some(0.0), Some(0.050)), None);
        // A longer round trip: more only at half as much again, up to the bound.
        assert_eq!(c.report(Some(0.03), Some(0.200)), None);
        assert_eq!(c.report(Some(0.03), Some(0.250)), Some(560 * MS));
        assert_eq!(
            c.report(Some(0.03), Some(2.0)),
            None,
            "600 ms is not half as much again"
        );
        // A short lossy link still gets the least delay.
        let mut short = PlayoutDelayChoice::default();
        assert_eq!(short.report(Some(0.02), Some(0.045)), Some(LEAST));
    }
}
