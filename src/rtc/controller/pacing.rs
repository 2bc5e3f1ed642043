//! When each of a viewer's video packets may leave: the pacer before its RTP session, so
//! that a keyframe leaves at the rate the viewer's link carries. `rtpgccbwe` paces too, but
//! lets at most 30 ms of data wait and sends the rest at once: a five-sixths keyframe went
//! into a 1.2 Mbit/s link as one burst, overflowed its queue, and GCC's estimate collapsed
//! (the failed steps up of a viewer behind 600 kbit/s and 1.2 Mbit/s were each such a burst).

use std::time::{Duration, Instant};

use super::bitrate::Bitrate;

/// The pacer sends at this many times the viewer's estimate: a keyframe is spread over
/// several frames' time, and the steady stream, which costs under the estimate, passes.
const PACING_FACTOR: f64 = 1.25;
/// And never under this many times what the viewer's step costs (sound and headers
/// included, so the video alone has a little more room): the pacer holds its thread, so
/// paced under what the encoder makes it would fill the leaky queue before the payloader and
/// drop frames. Behind a lossy link at RTT 150 ms GCC's estimate fell under the step's cost,
/// and a paced viewer froze twice in 3 of 8 runs (`tests/lossy_link.rs`). Not more: at 1.5x,
/// five sixths raised was paced at 1.6 Mbit/s behind a 1.2 Mbit/s link, and its keyframes
/// overflowed the link's queue.
const STEP_FACTOR: f64 = 1.2;

/// The rate to pace a viewer at, given its estimate and what its step costs (if known).
pub(crate) fn pacing_rate(estimate: Bitrate, step_cost: Option<Bitrate>) -> Bitrate {
    let floor = step_cost.map_or(Bitrate::ZERO, |c| c.scale(STEP_FACTOR));
    estimate.scale(PACING_FACTOR).max(floor)
}

/// A packet waits at most this long: the schedule's debt is forgiven past it, so a keyframe
/// far bigger than the rate carries in that time is late by no more (the viewer's queue
/// before its payloader holds 16 frames, about 530 ms). The rate itself keeps up with the
/// encoder ([`STEP_FACTOR`]): the pacer holds the queue's thread while it waits.
const MAX_HOLD: Duration = Duration::from_millis(250);
/// Packets due within this long go at once: a frame that costs under the rate passes
/// without a wake-up (at 8 ms, 16 viewers' pacers woke several times a frame each and cost 9 %
/// of a core), and a link's queue takes this much of a burst without a loss.
const BURST: Duration = Duration::from_millis(25);

/// The pacer's clock: when the next packet may leave.
#[derive(Debug, Default, Clone)]
pub(crate) struct PaceSchedule {
    next: Option<Instant>,
}

impl PaceSchedule {
    /// How long a packet of `bytes` that comes at `now` waits at `rate` (`None`: not paced).
    pub(crate) fn wait(&mut self, now: Instant, bytes: usize, rate: Option<Bitrate>) -> Duration {
        let Some(rate) = rate.filter(|r| r.as_bps() > 0) else {
            self.next = None;
            return Duration::ZERO;
        };
        let due = self.next.map_or(now, |next| next.max(now));
        let due = due.min(now + MAX_HOLD);
        let on_the_link = Duration::from_secs_f64(bytes as f64 * 8.0 / rate.as_f64());
        self.next = Some(due + on_the_link);
        match due.duration_since(now) {
            held if held <= BURST => Duration::ZERO,
            held => held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyframe_leaves_at_the_pacing_rate_and_the_steady_stream_passes() {
        let t0 = Instant::now();
        let rate = Some(Bitrate::bps(1_200_000));
        let mut pace = PaceSchedule::default();
        // A 30 kB keyframe in 1200-byte packets at once: 200 ms at 1.2 Mbit/s, each packet
        // 8 ms after the one before, the first four within the burst.
        let waits: Vec<Duration> = (0..25).map(|_| pace.wait(t0, 1200, rate)).collect();
        assert_eq!(waits[..4], [Duration::ZERO; 4]);
        assert_eq!(waits[4], Duration::from_millis(32));
        assert_eq!(waits[24], Duration::from_millis(192));
        // After it has left, a frame's packets that cost less than the rate pass at once.
        let later = t0 + Duration::from_millis(300);
        for _ in 0..2 {
            assert_eq!(pace.wait(later, 1200, rate), Duration::ZERO);
        }
    }

    #[test]
    fn the_pace_follows_the_estimate_and_never_falls_under_what_the_step_sends() {
        let step = Some(Bitrate::bps(800_000));
        assert_eq!(
            pacing_rate(Bitrate::bps(1_200_000), step),
            Bitrate::bps(1_500_000)
        );
        // An estimate lowered by loss under the step's cost: the step still leaves whole.
        assert_eq!(
            pacing_rate(Bitrate::bps(600_000), step),
            Bitrate::bps(960_000)
        );
        assert_eq!(
            pacing_rate(Bitrate::bps(600_000), None),
            Bitrate::bps(750_000)
        );
    }

    #[test]
    fn no_packet_waits_longer_than_the_hold_and_an_unknown_rate_is_not_paced() {
        let t0 = Instant::now();
        let mut pace = PaceSchedule::default();
        // 100 kB at 200 kbit/s would take 4 s.
        let longest = (0..84)
            .map(|_| pace.wait(t0, 1200, Some(Bitrate::bps(200_000))))
            .max()
            .unwrap();
        assert_eq!(longest, MAX_HOLD);
        assert_eq!(pace.wait(t0, 1200, None), Duration::ZERO);
        assert_eq!(
            pace.wait(t0, 1200, Some(Bitrate::bps(200_000))),
            Duration::ZERO,
            "the schedule starts again"
        );
    }
}
