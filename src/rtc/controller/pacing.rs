//! When each of a viewer's video packets may leave: the pacer before its RTP session, so
//! that a keyframe leaves at the rate the viewer's link carries. `rtpgccbwe` paces too, but
//! lets at most 30 ms of data wait and sends the rest at once: a five-sixths keyframe went
//! into a 1.2 Mbit/s link as one burst, overflowed its queue, and GCC's estimate collapsed
//! (the failed steps up of a viewer behind 600 kbit/s and 1.2 Mbit/s were each such a burst).

use std::time::{Duration, Instant};

use super::bitrate::Bitrate;

/// The pacer sends at this many times the viewer's estimate: a keyframe is spread over
/// several frames' time, and the steady stream, which costs under the estimate, passes.
pub(crate) const PACING_FACTOR: f64 = 1.25;
/// A packet waits at most this long: past it the pacer sends as fast as packets come, so an
/// estimate far below what the encoder makes never stalls the picture (the viewer's queue
/// before its payloader holds 16 frames, about 530 ms).
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
