//! What a [`crate::LossyLink`] does to each packet, without I/O: whether it is lost (at random,
//! or in bursts by a Gilbert-Elliott model) and when it leaves (a one-way delay with jitter),
//! and the queue that holds packets until then. Time is an input and the randomness is seeded,
//! so the tests below run a minute of link in microseconds.
//!
//! Jitter: each packet's delay is drawn uniformly from [delay − jitter, delay + jitter] (never
//! below zero), but a packet never leaves before the one ahead of it in the same direction,
//! as in a real queue, where jitter is waiting behind others and does not reorder a flow. (netem
//! reorders with jitter unless told otherwise; real paths seldom do.) So the queue is a FIFO
//! whose due times never decrease, and the forwarder only ever waits for its front.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How packets are lost (only media packets, unless [`LinkConfig::lose_all`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Loss {
    #[default]
    None,
    /// Each packet independently, with this probability (0..=1).
    Random(f64),
    /// Bursts: the Gilbert-Elliott two-state model.
    Bursty(GilbertElliott),
}

/// The Gilbert-Elliott model: a good and a bad state, a chance per packet to move from one to
/// the other, and a loss probability in each. The state moves first, then the packet is lost
/// or kept by the new state's probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    /// Per packet, the chance to go from good to bad (p) and from bad to good (r).
    pub good_to_bad: f64,
    pub bad_to_good: f64,
    /// The loss probability in each state (1 − k and 1 − h in Gilbert-Elliott's terms).
    pub loss_in_good: f64,
    pub loss_in_bad: f64,
}

impl GilbertElliott {
    /// Loses `mean` (0..1) of the packets on average in runs of `burst` packets on average
    /// (no loss in the good state, every packet lost in the bad one: Gilbert's model).
    pub fn bursts(mean: f64, burst: f64) -> Self {
        let bad_to_good = 1.0 / burst.max(1.0);
        let mean = mean.clamp(0.0, 0.99);
        Self {
            good_to_bad: mean * bad_to_good / (1.0 - mean),
            bad_to_good,
            loss_in_good: 0.0,
            loss_in_bad: 1.0,
        }
    }

    /// The share of packets lost in the long run.
    pub fn mean_loss(&self) -> f64 {
        let (p, r) = (self.good_to_bad, self.bad_to_good);
        if p + r <= 0.0 {
            return self.loss_in_good;
        }
        (r * self.loss_in_good + p * self.loss_in_bad) / (p + r)
    }
}

/// What a link does, in each direction (the loss only towards the child).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// One way: a round trip takes twice this.
    pub delay: Duration,
    /// Each packet's delay is within ± this of `delay` (see the module's note on order).
    pub jitter: Duration,
    pub loss: Loss,
    /// Lose any packet towards the child, not only SRTP (for measuring the link with ping).
    pub lose_all: bool,
    /// The seed of the loss and jitter draws: the same seed, the same losses.
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: Loss::None,
            lose_all: false,
            seed: 0x9e37_79b9,
        }
    }
}

impl LinkConfig {
    pub fn new() -> Self {
        Self::default()
    }

    /// A one-way delay in each direction.
    pub fn delay(mut self, one_way: Duration) -> Self {
        self.delay = one_way;
        self
    }

    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Random loss of `percent` % of the media packets towards the child.
    pub fn random_loss(mut self, percent: f64) -> Self {
        self.loss = Loss::Random((percent / 100.0).clamp(0.0, 1.0));
        self
    }

    /// Bursty loss of `percent` % on average, in runs of `burst` packets on average.
    pub fn bursty_loss(mut self, percent: f64, burst: f64) -> Self {
        self.loss = Loss::Bursty(GilbertElliott::bursts(percent / 100.0, burst));
        self
    }

    pub fn gilbert_elliott(mut self, model: GilbertElliott) -> Self {
        self.loss = Loss::Bursty(model);
        self
    }

    pub fn lose_all(mut self, all: bool) -> Self {
        self.lose_all = all;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The mean share of packets lost (0..1).
    pub fn mean_loss(&self) -> f64 {
        match self.loss {
            Loss::None => 0.0,
            Loss::Random(p) => p,
            Loss::Bursty(ge) => ge.mean_loss(),
        }
    }
}

/// SplitMix64: small, seeded, good enough for losses and delays.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// One direction of a link: decides each packet's fate as it arrives.
#[derive(Debug, Clone)]
pub struct LinkModel {
    config: LinkConfig,
    /// Whether loss applies in this direction.
    lossy: bool,
    rng: Rng,
    bad: bool,
    /// When the last packet kept leaves: none leaves before it.
    last_due: Option<Instant>,
}

impl LinkModel {
    /// The direction towards the child (`lossy`) or back from it.
    pub fn new(config: LinkConfig, lossy: bool) -> Self {
        // Each direction draws from a stream of its own.
        let seed = config.seed ^ if lossy { 0 } else { 0x5555_aaaa_5555_aaaa };
        Self {
            config,
            lossy,
            rng: Rng::new(seed),
            bad: false,
            last_due: None,
        }
    }

    /// A packet arrived at `now`: when it leaves, or None if it is lost. `media` says whether
    /// it is one that may be lost (SRTP).
    pub fn admit(&mut self, now: Instant, media: bool) -> Option<Instant> {
        if self.lossy && (media || self.config.lose_all) && self.lose() {
            return None;
        }
        let due = now + self.draw_delay();
        let due = self.last_due.map_or(due, |last| due.max(last));
        self.last_due = Some(due);
        Some(due)
    }

    /// Whether the model is in its bad state (bursty loss).
    pub fn in_bad_state(&self) -> bool {
        self.bad
    }

    fn lose(&mut self) -> bool {
        match self.config.loss {
            Loss::None => false,
            Loss::Random(p) => self.rng.chance(p),
            Loss::Bursty(ge) => {
                let flip = if self.bad {
                    ge.bad_to_good
                } else {
                    ge.good_to_bad
                };
                if self.rng.chance(flip) {
                    self.bad = !self.bad;
                }
                self.rng.chance(if self.bad {
                    ge.loss_in_bad
                } else {
                    ge.loss_in_good
                })
            }
        }
    }

    fn draw_delay(&mut self) -> Duration {
        let (delay, jitter) = (self.config.delay, self.config.jitter);
        if jitter.is_zero() {
            return delay;
        }
        let low = delay.saturating_sub(jitter);
        let span = (delay + jitter) - low;
        low + span.mul_f64(self.rng.unit())
    }
}

/// Packets waiting for their time, in the order they arrived (their due times never
/// decrease: see [`LinkModel::admit`]). At most `capacity` wait; more are dropped.
#[derive(Debug)]
pub struct DelayLine<T> {
    queue: VecDeque<(Instant, T)>,
    capacity: usize,
}

impl<T> DelayLine<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            capacity,
        }
    }

    /// Queues `packet` to leave at `due`; false (and the packet dropped) if the line is full.
    pub fn push(&mut self, due: Instant, packet: T) -> bool {
        if self.queue.len() >= self.capacity {
            return false;
        }
        debug_assert!(self.queue.back().is_none_or(|(last, _)| *last <= due));
        self.queue.push_back((due, packet));
        true
    }

    /// When the next packet is due, if any waits.
    pub fn next_due(&self) -> Option<Instant> {
        self.queue.front().map(|(due, _)| *due)
    }

    /// The next packet, if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        match self.queue.front() {
            Some((due, _)) if *due <= now => self.queue.pop_front().map(|(_, p)| p),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// How long a forwarder may wait for its device at `now`: until the next packet is due, at
/// most `idle` (so that it sees its stop flag).
pub fn wait_for(next_due: Option<Instant>, now: Instant, idle: Duration) -> Duration {
    next_due.map_or(idle, |due| due.saturating_duration_since(now).min(idle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Sends `n` media packets every `every` through `model`; their fates.
    fn run(model: &mut LinkModel, n: usize, every: Duration) -> Vec<Option<Duration>> {
        let start = Instant::now();
        (0..n)
            .map(|i| {
                let now = start + every * i as u32;
                model.admit(now, true).map(|due| due - now)
            })
            .collect()
    }

    #[test]
    fn a_fixed_delay_delays_every_packet_by_it() {
        let mut model = LinkModel::new(LinkConfig::new().delay(75 * MS), true);
        let fates = run(&mut model, 1000, MS);
        assert!(fates.iter().all(|f| *f == Some(75 * MS)));
    }

    #[test]
    fn random_loss_loses_its_share_and_the_same_seed_the_same_packets() {
        let config = LinkConfig::new().random_loss(2.0).seed(7);
        let fates = run(&mut LinkModel::new(config, true), 100_000, MS);
        let lost = fates.iter().filter(|f| f.is_none()).count();
        assert!((1_800..=2_200).contains(&lost), "{lost}");
        assert_eq!(fates, run(&mut LinkModel::new(config, true), 100_000, MS));
        let other = run(&mut LinkModel::new(config.seed(8), true), 100_000, MS);
        assert_ne!(fates, other);
    }

    #[test]
    fn only_media_is_lost_and_only_towards_the_child() {
        let config = LinkConfig::new().random_loss(50.0);
        let now = Instant::now();
        let mut towards = LinkModel::new(config, true);
        assert!((0..1000).all(|_| towards.admit(now, false).is_some()));
        let mut back = LinkModel::new(config, false);
        assert!((0..1000).all(|_| back.admit(now, true).is_some()));
        let mut all = LinkModel::new(config.lose_all(true), true);
        let lost = (0..1000)
            .filter(|_| all.admit(now, false).is_none())
            .count();
        assert!((400..=600).contains(&lost), "{lost}");
    }

    /// The lengths of the runs of packets lost in a row.
    fn bursts(fates: &[Option<Duration>]) -> Vec<usize> {
        let mut runs = Vec::new();
        let mut current = 0;
        for f in fates {
            if f.is_none() {
                current += 1;
            } else if current > 0 {
                runs.push(current);
                current = 0;
            }
        }
        runs
    }

    #[test]
    fn bursty_loss_loses_its_mean_in_runs_of_its_length() {
        let config = LinkConfig::new().bursty_loss(2.0, 4.0).seed(3);
        assert!((config.mean_loss() - 0.02).abs() < 1e-9);
        let fates = run(&mut LinkModel::new(config, true), 400_000, MS);
        let lost = fates.iter().filter(|f| f.is_none()).count() as f64 / 400_000.0;
        assert!((0.017..=0.023).contains(&lost), "{lost}");
        let runs = bursts(&fates);
        let mean = runs.iter().sum::<usize>() as f64 / runs.len() as f64;
        assert!((3.5..=4.5).contains(&mean), "{mean}");
        // Random loss at the same rate seldom loses two in a row.
        let random = run(
            &mut LinkModel::new(LinkConfig::new().random_loss(2.0), true),
            400_000,
            MS,
        );
        let runs = bursts(&random);
        let mean = runs.iter().sum::<usize>() as f64 / runs.len() as f64;
        assert!(mean < 1.1, "{mean}");
    }

    #[test]
    fn gilbert_elliott_with_loss_in_both_states_has_its_mean() {
        let model = GilbertElliott {
            good_to_bad: 0.01,
            bad_to_good: 0.1,
            loss_in_good: 0.001,
            loss_in_bad: 0.3,
        };
        let expected = (0.1 * 0.001 + 0.01 * 0.3) / 0.11;
        assert!((model.mean_loss() - expected).abs() < 1e-12);
        let fates = run(
            &mut LinkModel::new(LinkConfig::new().gilbert_elliott(model), true),
            400_000,
            MS,
        );
        let lost = fates.iter().filter(|f| f.is_none()).count() as f64 / 400_000.0;
        assert!((lost - expected).abs() < 0.004, "{lost} against {expected}");
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_keeps_the_order() {
        let config = LinkConfig::new().delay(75 * MS).jitter(5 * MS);
        let mut model = LinkModel::new(config, false);
        let start = Instant::now();
        // Sparse packets (every 20 ms): each delay is its own draw in [70, 80] ms.
        let sparse = run(&mut model, 5_000, 20 * MS);
        let delays: Vec<Duration> = sparse.into_iter().map(Option::unwrap).collect();
        assert!(delays.iter().all(|d| (70 * MS..=80 * MS).contains(d)));
        let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
        assert!((74 * MS..=76 * MS).contains(&mean), "{mean:?}");
        let spread = delays
            .iter()
            .max()
            .unwrap()
            .saturating_sub(*delays.iter().min().unwrap());
        assert!(spread > 9 * MS, "{spread:?}");
        // Dense packets (every 0.1 ms): never one before the one ahead of it.
        let mut model = LinkModel::new(config, true);
        let dues: Vec<Instant> = (0..10_000)
            .map(|i| model.admit(start + MS / 10 * i, true).unwrap())
            .collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]));
        assert!(dues
            .iter()
            .enumerate()
            .all(|(i, d)| *d >= start + MS / 10 * i as u32 + 70 * MS));
    }

    #[test]
    fn the_delay_line_releases_each_packet_at_its_time_and_says_how_long_to_wait() {
        let config = LinkConfig::new().delay(75 * MS).jitter(5 * MS).seed(11);
        let mut model = LinkModel::new(config, true);
        let mut line = DelayLine::new(1000);
        let start = Instant::now();
        // A packet every 2 ms for a second, and the forwarder's loop in simulated time: it
        // wakes when a packet arrives or when `wait_for` says.
        let arrivals: Vec<Instant> = (0..500).map(|i| start + 2 * MS * i).collect();
        let mut sent = Vec::new();
        let mut released = Vec::new();
        let (mut now, mut next) = (start, 0);
        while released.len() < arrivals.len() {
            while next < arrivals.len() && arrivals[next] <= now {
                let due = model.admit(arrivals[next], true).unwrap();
                assert!(line.push(due, (next, due)));
                next += 1;
            }
            while let Some((i, due)) = line.pop_due(now) {
                assert!(now >= due && now - due < MS, "late: {:?}", now - due);
                released.push(i);
                sent.push(now);
            }
            let wait = wait_for(line.next_due(), now, 100 * MS);
            let arrival = arrivals.get(next).copied();
            now = arrival.map_or(now + wait, |a| a.min(now + wait));
        }
        assert_eq!(released, (0..500).collect::<Vec<_>>());
        assert!(line.is_empty());
        // The last packet came at 998 ms and left 70-80 ms later, or behind one that did.
        let last = *sent.last().unwrap() - start;
        assert!((1_068 * MS..=1_080 * MS).contains(&last), "{last:?}");
    }

    #[test]
    fn a_forwarder_waits_until_the_next_packet_or_its_idle_limit() {
        let now = Instant::now();
        let idle = 100 * MS;
        assert_eq!(wait_for(None, now, idle), idle);
        assert_eq!(wait_for(Some(now + 30 * MS), now, idle), 30 * MS);
        assert_eq!(wait_for(Some(now + 300 * MS), now, idle), idle);
        assert_eq!(wait_for(Some(now - MS), now, idle), Duration::ZERO);
        let mut line = DelayLine::new(1);
        assert!(line.push(now, 1));
        assert!(!line.push(now, 2), "a full line drops");
        assert_eq!(line.pop_due(now - MS), None);
        assert_eq!(line.pop_due(now), Some(1));
    }
}
