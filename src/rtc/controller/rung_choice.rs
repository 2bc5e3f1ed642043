//! Which rung of the ladder one viewer gets, from its own link's estimate: down at once when
//! the link cannot carry the rung, up one step at a time, each step first probed (the link
//! made to carry what the bigger rung costs, see `rtc::link_probe`) where the viewer's
//! estimator can tell, then taken as a trial that backs off when it fails.

use std::time::{Duration, Instant};

use super::bitrate::Bitrate;

/// Time on a rung before trying the one above.
const HOLD: Duration = Duration::from_secs(3);
/// Before the first step up: a joiner starts low for a quick first frame, then climbs.
const FIRST_HOLD: Duration = Duration::from_millis(1500);
/// A step up that is not undone within this long has held.
const TRIAL: Duration = Duration::from_secs(5);
/// Wait after a failed step up, doubled for each failure in a row.
const BACKOFF: Duration = Duration::from_secs(6);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The estimate must show this much room over what the viewer gets before it climbs: GCC
/// never estimates more than 1.5x what arrives, so room is the sign of a link not yet full.
const ROOM_TO_CLIMB: f64 = 1.35;
/// Below this share of what its rung costs, the link does not carry the rung. A rung's cost
/// already has room for its peaks, and right after a step up the bigger rung's keyframe
/// makes the estimator back off to 0.85 of what arrived: at 0.9 that alone undid the step.
const TOO_LITTLE: f64 = 0.8;
/// How long the link carries a probe before the step up it tests is taken: a few rounds of
/// the estimator's feedback, short enough that a link without room loses little.
const PROBE_TIME: Duration = Duration::from_millis(1000);
/// A probe has passed when, at its end, the estimate still covers this share of what the
/// bigger rung cost when it began (the estimator was told that much and wanders a little).
const PROBE_PASSES: f64 = 0.95;
/// Below this share during the probe, the estimator has backed off (GCC takes 0.85 of what
/// arrived): the link has no room, and the probe ends at once. Anything above is the
/// estimator's own wandering, which failed a probe 33 ms into it when this was the bar.
const PROBE_BACKED_OFF: f64 = 0.9;
/// After a probed step up, the bigger rung's first keyframe bursts into the link and the
/// estimator takes the delay for congestion; for this long only a collapse moves the viewer
/// down, and then the estimate the probe proved is given back (see [`Move::Restore`]).
const SETTLE: Duration = Duration::from_millis(1500);
/// During [`SETTLE`], the share of the rung's cost below which the link has truly failed.
const COLLAPSE: f64 = 0.5;
/// A failed probe during which the estimate fell below this share of what it was before has
/// made the peer's feedback collapse, not found a full link: the probe itself was taken for
/// congestion. Seen with Firefox and with Janus, whose feedback on the probe's RTX packets
/// made GCC back off within a few hundred ms on loopback.
const PROBE_COLLAPSE: f64 = 0.7;
/// After this many collapses a peer climbs by plain trials: its probes say nothing.
const COLLAPSES_TO_STOP_PROBING: u8 = 2;
/// RTP, SRTP, UDP and IP headers on top of what the encoders make.
const OVERHEAD: f64 = 1.05;

/// What a viewer on a rung of `video` receives, with `audio` beside it.
pub(crate) fn cost(video: Bitrate, audio: Bitrate) -> Bitrate {
    (video + audio).scale(OVERHEAD)
}

/// One viewer's rung and the history its next choice needs.
#[derive(Debug, Clone)]
pub(crate) struct RungChoice {
    pub rung: usize,
    moved_at: Instant,
    /// A step up under way.
    trial: Option<Trial>,
    backoff: Duration,
    next_trial: Instant,
    climbed: bool,
    /// Steps up are probed first (the viewer has an estimator that counts what arrives).
    probes: bool,
    /// The viewer could be probed when it joined.
    can_probe: bool,
    /// Probes that ended with the estimate collapsed ([`PROBE_COLLAPSE`]).
    probe_collapses: u8,
    /// A probe under way: since then, for this rung, the estimate before it and what the
    /// rung cost when it began (costs follow what the encoders make).
    probing: Option<Probing>,
    /// A probed step up settling until then, and the estimate its probe proved.
    settling: Option<(Instant, Bitrate)>,
}

/// A step up under way: since then, from this rung, with this estimate before it.
#[derive(Debug, Clone, Copy)]
struct Trial {
    since: Instant,
    from: usize,
    before: Bitrate,
}

#[derive(Debug, Clone, Copy)]
struct Probing {
    since: Instant,
    rung: usize,
    before: Bitrate,
    wanted: Bitrate,
}

/// What the viewer should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Move {
    /// Down to this rung: the link does not carry the one it is on.
    Down(usize),
    /// A step up failed: back to the rung it left, which the link carried, and the estimator
    /// given back the estimate from before the step, at most what that rung needs to climb
    /// (the congestion was the step's own, and the estimate it left would take the viewer
    /// further down than it came from).
    Back { to: usize, before: Bitrate },
    /// Up to this rung, as a trial: the estimator should assume it can (see
    /// [`RungChoice::decide`]).
    Up(usize),
    /// Probe the link for this rung: send what it would cost, with the estimator told to
    /// expect it; the viewer stays where it is.
    Probe(usize),
    /// The probe failed: stop it; the viewer stays where it is, and the estimator is given
    /// back the estimate from before the probe (the congestion was the probe's own), when
    /// it fell below it.
    ProbeFailed(Bitrate),
    /// The step up has settled: the estimator is given back this estimate, which its probe
    /// proved, in place of what the first keyframe's burst made it think.
    Restore(Bitrate),
}

impl RungChoice {
    /// A joining viewer: on the middle rung (or the smallest there is), a keyframe small
    /// enough for most links, then up as its estimate allows.
    pub(crate) fn start(costs: &[Option<Bitrate>], probes: bool, now: Instant) -> Self {
        let usable: Vec<usize> = (0..costs.len()).filter(|i| costs[*i].is_some()).collect();
        // Sizes not known yet (no picture has come): the middle of the ladder.
        let rung = usable
            .get(usable.len() / 2)
            .copied()
            .unwrap_or(costs.len() / 2);
        Self {
            rung,
            moved_at: now,
            trial: None,
            backoff: BACKOFF,
            next_trial: now,
            climbed: false,
            probes,
            can_probe: probes,
            probe_collapses: 0,
            probing: None,
            settling: None,
        }
    }

    /// Whether steps up are still probed first.
    pub(crate) fn probes(&self) -> bool {
        self.probes
    }

    /// The next move, if any, given what each rung costs (`None`: not usable; index 0 is the
    /// biggest), the viewer's estimate and its loss. The caller makes the move.
    pub(crate) fn decide(
        &mut self,
        costs: &[Option<Bitrate>],
        estimate: Bitrate,
        loss: Option<f64>,
        now: Instant,
    ) -> Option<Move> {
        let probing = self.probing;
        let step = self.step(costs, estimate, loss, now);
        match probing {
            // The probe ended with nowhere to move: it must stop all the same.
            Some(p) if self.probing.is_none() && step.is_none() => {
                Some(Move::ProbeFailed(p.before))
            }
            _ => step,
        }
    }

    fn step(
        &mut self,
        costs: &[Option<Bitrate>],
        estimate: Bitrate,
        loss: Option<f64>,
        now: Instant,
    ) -> Option<Move> {
        let cost_of = |i: usize| costs.get(i).copied().flatten();
        if cost_of(self.rung).is_none() {
            self.probing = None;
            // The picture changed and this rung went away: the nearest smaller one, or any.
            let to = (self.rung..costs.len())
                .chain((0..self.rung).rev())
                .find(|i| cost_of(*i).is_some())?;
            return Some(self.moved(to, now, false));
        }
        let current = cost_of(self.rung)?;
        if let Some((until, proved)) = self.settling {
            if now < until {
                if estimate.as_f64() >= current.as_f64() * COLLAPSE {
                    return None;
                }
                self.settling = None;
            } else {
                self.settling = None;
                if estimate < proved {
                    return Some(Move::Restore(proved));
                }
            }
        }
        if let Some(Trial { since, .. }) = self.trial {
            if now.duration_since(since) >= TRIAL {
                self.trial = None;
                self.backoff = BACKOFF;
            }
        }
        if let Some(Probing {
            since,
            rung,
            before,
            wanted,
        }) = self.probing
        {
            // Checked before the link's fit: a probe's own congestion says nothing of the
            // rung the viewer is on.
            let over = now.duration_since(since) >= PROBE_TIME;
            let bar = if over { PROBE_PASSES } else { PROBE_BACKED_OFF };
            let usable = cost_of(rung).is_some() && rung < self.rung;
            match usable && estimate.as_f64() >= wanted.as_f64() * bar {
                true if !over => return None,
                true => {
                    self.probing = None;
                    self.trial = Some(Trial {
                        since: now,
                        from: self.rung,
                        before,
                    });
                    self.settling = Some((now + SETTLE, estimate.min(wanted)));
                    return Some(self.moved(rung, now, true));
                }
                false => {
                    self.probing = None;
                    self.back_off(now);
                    if estimate.as_f64() < before.as_f64() * PROBE_COLLAPSE {
                        // Whoever the peer is: learnt from its feedback, never from its name.
                        self.probe_collapses += 1;
                        if self.probe_collapses >= COLLAPSES_TO_STOP_PROBING {
                            // This peer's feedback cannot take probes: trials from now on.
                            self.probes = false;
                        }
                    }
                    return Some(Move::ProbeFailed(before));
                }
            }
        }
        if estimate.as_f64() < current.as_f64() * TOO_LITTLE {
            // The biggest rung that fits, else the smallest there is.
            let below = (self.rung + 1..costs.len()).filter(|i| cost_of(*i).is_some());
            let fits = below.clone().find(|i| {
                cost_of(*i).is_some_and(|c| c.as_f64() <= estimate.as_f64() * TOO_LITTLE)
            });
            if let Some(trial) = self.trial.take() {
                self.back_off(now);
                if self.can_probe && !self.probes {
                    // A plain trial failed as its probes did: the link is full, and the
                    // probes, which cost no freeze, told the truth. They are taken again.
                    self.probes = true;
                    self.probe_collapses = 0;
                }
                let from = cost_of(trial.from).filter(|_| trial.from > self.rung);
                // The link carried the rung it left until the step, and the estimate the
                // step's own burst left says little: back there unless the link collapsed.
                if let Some(c) = from.filter(|c| estimate.as_f64() >= c.as_f64() * COLLAPSE) {
                    self.moved(trial.from, now, false);
                    // No more than that rung needs to climb again: the estimate before a
                    // plain trial can be far above what the link carries.
                    let room = c.scale(ROOM_TO_CLIMB);
                    return Some(Move::Back {
                        to: trial.from,
                        before: trial.before.min(room),
                    });
                }
            }
            let to = fits.or_else(|| below.clone().next_back())?;
            return Some(self.moved(to, now, false));
        }
        let up = (0..self.rung).rev().find(|i| cost_of(*i).is_some())?;
        let hold = if self.climbed { HOLD } else { FIRST_HOLD };
        let clean = loss.is_none_or(|l| l < 0.02);
        if now.duration_since(self.moved_at) >= hold
            && now >= self.next_trial
            && clean
            && estimate.as_f64() >= current.as_f64() * ROOM_TO_CLIMB
        {
            if self.probes {
                self.probing = Some(Probing {
                    since: now,
                    rung: up,
                    before: estimate,
                    wanted: cost_of(up)?,
                });
                return Some(Move::Probe(up));
            }
            self.trial = Some(Trial {
                since: now,
                from: self.rung,
                before: estimate,
            });
            return Some(self.moved(up, now, true));
        }
        None
    }

    /// A step up failed: no new one for a while, longer each time in a row.
    fn back_off(&mut self, now: Instant) {
        self.next_trial = now + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    /// The rung a probe under way is for.
    #[cfg(test)]
    pub(crate) fn probing(&self) -> Option<usize> {
        self.probing.map(|p| p.rung)
    }

    fn moved(&mut self, to: usize, now: Instant, up: bool) -> Move {
        self.rung = to;
        self.moved_at = now;
        if up {
            self.climbed = true;
            Move::Up(to)
        } else {
            Move::Down(to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COSTS: [Option<Bitrate>; 3] = [
        Some(bps(2_600_000)),
        Some(bps(1_200_000)),
        Some(bps(500_000)),
    ];

    const fn bps(b: u32) -> Bitrate {
        Bitrate::bps(b)
    }

    #[test]
    fn a_joiner_starts_in_the_middle_and_climbs_when_its_link_has_room() {
        let t0 = Instant::now();
        let mut c = RungChoice::start(&COSTS, false, t0);
        assert_eq!(c.rung, 1);
        // Room, but too soon.
        assert_eq!(
            c.decide(
                &COSTS,
                bps(1_700_000),
                Some(0.0),
                t0 + Duration::from_millis(500)
            ),
            None
        );
        // Not enough room.
        assert_eq!(
            c.decide(
                &COSTS,
                bps(1_300_000),
                Some(0.0),
                t0 + Duration::from_secs(2)
            ),
            None
        );
        assert_eq!(
            c.decide(
                &COSTS,
                bps(1_700_000),
                Some(0.0),
                t0 + Duration::from_secs(2)
            ),
            Some(Move::Up(0))
        );
        assert_eq!(c.rung, 0);
    }

    #[test]
    fn a_link_that_cannot_carry_the_rung_goes_down_to_one_that_fits() {
        let t0 = Instant::now();
        let mut c = RungChoice::start(&COSTS, false, t0);
        c.rung = 0;
        assert_eq!(
            c.decide(&COSTS, bps(700_000), None, t0),
            Some(Move::Down(2))
        );
        // Nothing fits: the smallest.
        c.rung = 0;
        assert_eq!(
            c.decide(&COSTS, bps(100_000), None, t0),
            Some(Move::Down(2))
        );
        assert_eq!(
            c.decide(&COSTS, bps(100_000), None, t0),
            None,
            "nowhere lower to go"
        );
    }

    #[test]
    fn a_failed_step_up_backs_off_and_doubles() {
        let t0 = Instant::now();
        let mut c = RungChoice::start(&COSTS, false, t0);
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(2.0)),
            Some(Move::Up(0))
        );
        // The link could not take it: back where it was, the estimator given back what it
        // said before, and no new trial for the backoff.
        assert_eq!(
            c.decide(&COSTS, bps(1_500_000), None, at(3.0)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        assert_eq!(c.decide(&COSTS, bps(1_700_000), None, at(7.0)), None);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(9.5)),
            Some(Move::Up(0))
        );
        assert_eq!(
            c.decide(&COSTS, bps(1_500_000), None, at(10.0)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        // Twice the wait now.
        assert_eq!(c.decide(&COSTS, bps(1_700_000), None, at(19.0)), None);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(22.5)),
            Some(Move::Up(0))
        );
        // Held: the next failure waits the first backoff again.
        assert_eq!(c.decide(&COSTS, bps(2_600_000), None, at(28.0)), None);
        assert_eq!(
            c.decide(&COSTS, bps(2_000_000), None, at(30.0)),
            Some(Move::Down(1))
        );
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(33.5)),
            Some(Move::Up(0))
        );
    }

    /// Seen behind a 1.2 Mbit/s link: a trial of the full size filled the link, the estimate
    /// fell to what the middle rung costs, and the viewer went down two rungs, to a rung
    /// whose little traffic could never raise the estimate enough to climb again.
    #[test]
    fn a_failed_step_up_goes_back_to_the_rung_it_left_not_below() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut c = RungChoice::start(&COSTS, false, t0);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(2.0)),
            Some(Move::Up(0))
        );
        assert_eq!(
            c.decide(&COSTS, bps(1_100_000), Some(0.05), at(2.2)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        assert_eq!(c.rung, 1);
        // Even with an estimate below what that rung costs: it carried it until the step.
        let mut c = RungChoice::start(&COSTS, false, t0);
        c.decide(&COSTS, bps(1_700_000), None, at(2.0));
        assert_eq!(
            c.decide(&COSTS, bps(700_000), None, at(2.2)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        // Where the link collapsed, down by the estimate as ever.
        let mut c = RungChoice::start(&COSTS, false, t0);
        c.decide(&COSTS, bps(1_700_000), None, at(2.0));
        assert_eq!(
            c.decide(&COSTS, bps(500_000), None, at(2.2)),
            Some(Move::Down(2))
        );
    }

    #[test]
    fn a_step_up_is_probed_first_and_taken_when_the_link_carried_the_probe() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut c = RungChoice::start(&COSTS, true, t0);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(2.0)),
            Some(Move::Probe(0))
        );
        assert_eq!((c.rung, c.probing()), (1, Some(0)), "still on its rung");
        // The estimator was told to expect the bigger rung, and it holds: a little below
        // that is its own wandering, not a back-off.
        assert_eq!(c.decide(&COSTS, bps(2_450_000), None, at(2.1)), None);
        assert_eq!(c.decide(&COSTS, bps(2_600_000), None, at(2.5)), None);
        assert_eq!(
            c.decide(&COSTS, bps(2_650_000), None, at(3.0)),
            Some(Move::Up(0))
        );
        assert_eq!((c.rung, c.probing()), (0, None));
        // Its keyframe's burst: the estimator backs off, but the viewer stays, and once
        // settled the estimator gets back what the probe proved.
        assert_eq!(c.decide(&COSTS, bps(1_600_000), None, at(3.3)), None);
        assert_eq!(
            c.decide(&COSTS, bps(1_600_000), None, at(4.6)),
            Some(Move::Restore(bps(2_600_000)))
        );
        assert_eq!(c.decide(&COSTS, bps(2_600_000), None, at(5.0)), None);
        // A collapse while settling moves it back at once.
        let mut c = RungChoice::start(&COSTS, true, t0);
        c.decide(&COSTS, bps(1_700_000), None, at(2.0));
        assert_eq!(
            c.decide(&COSTS, bps(2_600_000), None, at(3.0)),
            Some(Move::Up(0))
        );
        assert_eq!(
            c.decide(&COSTS, bps(900_000), None, at(3.2)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        // And where the link collapsed below the rung it left, further down.
        let mut c = RungChoice::start(&COSTS, true, t0);
        c.decide(&COSTS, bps(1_700_000), None, at(2.0));
        c.decide(&COSTS, bps(2_600_000), None, at(3.0));
        assert_eq!(
            c.decide(&COSTS, bps(500_000), None, at(3.2)),
            Some(Move::Down(2))
        );
    }

    #[test]
    fn a_probe_is_judged_by_what_the_rung_cost_when_it_began() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut c = RungChoice::start(&COSTS, true, t0);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(2.0)),
            Some(Move::Probe(0))
        );
        // The full size now makes more than it did: the probe still tested 2.6 Mbit/s.
        let dearer = [
            Some(bps(3_000_000)),
            Some(bps(1_200_000)),
            Some(bps(500_000)),
        ];
        assert_eq!(c.decide(&dearer, bps(2_520_000), None, at(2.5)), None);
        assert_eq!(
            c.decide(&dearer, bps(2_520_000), None, at(3.0)),
            Some(Move::Up(0))
        );
        // At its end, an estimate that wandered below what the rung costs fails it.
        let mut c = RungChoice::start(&COSTS, true, t0);
        c.decide(&COSTS, bps(1_700_000), None, at(2.0));
        assert_eq!(c.decide(&COSTS, bps(2_400_000), None, at(2.5)), None);
        assert_eq!(
            c.decide(&COSTS, bps(2_400_000), None, at(3.0)),
            Some(Move::ProbeFailed(bps(1_700_000)))
        );
    }

    #[test]
    fn a_failed_probe_leaves_the_viewer_where_it_is_and_backs_off() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut c = RungChoice::start(&COSTS, true, t0);
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(2.0)),
            Some(Move::Probe(0))
        );
        // The link could not carry 2.6 Mbit/s: the estimate fell, but the rung still fits.
        assert_eq!(
            c.decide(&COSTS, bps(1_900_000), None, at(2.4)),
            Some(Move::ProbeFailed(bps(1_700_000)))
        );
        assert_eq!((c.rung, c.probing()), (1, None));
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(7.0)),
            None,
            "backoff"
        );
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(8.5)),
            Some(Move::Probe(0))
        );
        // The probe's congestion took the estimate below the viewer's own rung: the probe
        // ends and the estimate from before it is given back; the viewer stays.
        assert_eq!(
            c.decide(&COSTS, bps(600_000), None, at(8.7)),
            Some(Move::ProbeFailed(bps(1_700_000)))
        );
        assert_eq!(c.probing(), None);
        // Still that low afterwards: the link itself fell, and the viewer goes down.
        assert_eq!(
            c.decide(&COSTS, bps(600_000), None, at(9.0)),
            Some(Move::Down(2))
        );
    }

    #[test]
    fn a_peer_whose_feedback_collapses_under_probes_climbs_by_trials() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut c = RungChoice::start(&COSTS, true, t0);
        for (probe, end) in [(2.0, 2.4), (8.5, 8.7)] {
            assert_eq!(
                c.decide(&COSTS, bps(1_700_000), None, at(probe)),
                Some(Move::Probe(0))
            );
            // The estimate fell to 0.6 of what it was, within the probe: a collapse.
            assert_eq!(
                c.decide(&COSTS, bps(1_000_000), None, at(end)),
                Some(Move::ProbeFailed(bps(1_700_000)))
            );
        }
        assert!(!c.probes());
        // After the backoff, the next step up is a plain trial.
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(20.0)),
            None,
            "backoff"
        );
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(21.5)),
            Some(Move::Up(0))
        );
        // A trial that fails as well says the link is full: probes again from then on.
        assert_eq!(
            c.decide(&COSTS, bps(1_000_000), None, at(21.7)),
            Some(Move::Back {
                to: 1,
                before: bps(1_620_000)
            })
        );
        assert!(c.probes());
        assert_eq!(
            c.decide(&COSTS, bps(1_700_000), None, at(60.0)),
            Some(Move::Probe(0))
        );
    }

    #[test]
    fn loss_holds_a_viewer_where_it_is() {
        let t0 = Instant::now();
        let mut c = RungChoice::start(&COSTS, false, t0);
        let later = t0 + Duration::from_secs(5);
        assert_eq!(c.decide(&COSTS, bps(1_700_000), Some(0.05), later), None);
    }

    #[test]
    fn a_rung_that_went_away_moves_the_viewer_to_the_nearest_smaller() {
        let t0 = Instant::now();
        let mut c = RungChoice::start(&COSTS, false, t0);
        let small = [Some(bps(900_000)), None, None];
        assert_eq!(
            c.decide(&small, bps(2_000_000), None, t0),
            Some(Move::Down(0))
        );
        assert_eq!(c.rung, 0);
    }
}
