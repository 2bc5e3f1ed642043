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
/// Or this much over what the nearest step up costs, where that is less.
const ROOM_FOR_NEAREST: f64 = 1.15;
/// Below this share of what its rung costs, the link does not carry the rung. A rung's cost
/// already has room for its peaks, and right after a step up the bigger rung's keyframe
/// makes the estimator back off to 0.85 of what arrived: at 0.9 that alone undid the step.
const TOO_LITTLE: f64 = 0.75;
/// A viewer moving down lands on the biggest rung that costs up to this share of its
/// estimate. Below [`TOO_LITTLE`]: an overuse takes GCC's estimate to 0.85 of what arrives,
/// and a rung whose encoder sends 0.9 of its cost was left at 0.8 at each such back-off,
/// though the link carried it (five sixths raised behind 1.2 Mbit/s).
const FITS: f64 = 0.8;
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
/// After a failed probe, for this long only a collapse moves the viewer down: GCC's estimate
/// falls to 0.85 of what arrived in the probe's congestion and climbs back at about 8 % a
/// second.
const AFTER_PROBE: Duration = Duration::from_secs(3);
/// During [`SETTLE`], the share of the rung's cost below which the link has truly failed.
const COLLAPSE: f64 = 0.5;
/// A failed probe during which the estimate fell below this share of what it was before (or
/// of what the viewer's rung costs, where that is less) has made the peer's feedback
/// collapse, not found a full link: the probe itself was taken for congestion. Seen with
/// Firefox and with Janus, whose feedback on the probe's RTX packets made GCC back off within
/// a few hundred ms on loopback. Not against the estimate alone: `rtpgccbwe`'s grows far past
/// what an uncongested link carries (2.1 Mbit/s behind 1.2), and two ordinary failed probes
/// from there took Chromium for such a peer.
const PROBE_COLLAPSE: f64 = 0.7;
/// After this many collapses a peer climbs by plain trials: its probes say nothing.
const COLLAPSES_TO_STOP_PROBING: u8 = 2;
/// A probe reaches for the biggest rung that costs up to this many times the estimate and
/// [`RUNG_REACH`] times the viewer's own rung, several steps at once where the ladder is
/// fine: a clean link is at full size as soon as one step on a ladder of thirds took it
/// there. Both bounds are needed: by its own rung alone (2.5x) a viewer probed 1.36 Mbit/s
/// from 0.55 on a 600 kbit/s link, and by the estimate alone, which `rtpgccbwe` lets grow far
/// past what an uncongested link carries (1.33 Mbit/s on that link), 1.36 from 0.28.
const PROBE_REACH: f64 = 1.35;
const RUNG_REACH: f64 = 2.0;
/// A rung a probe reached for past a nearer one, and failed, is not probed for again (nor
/// any above it) while the viewer stays on its rung, at most this long: the next probe is for
/// a nearer one. Any move forgets it: on a real 1.2 Mbit/s link a viewer that failed to
/// reach five sixths from a half, then reached two thirds, waited 20 s on it.
const CEILING_TIME: Duration = Duration::from_secs(20);
/// For this long after a probe failed, probes are only for steps that cost under
/// [`UNDER_FAILED`] of the least a probe in that time wanted, the nearest step up too, wherever
/// the viewer moved since: behind 600 kbit/s, GCC's estimate grew to 1.5x what arrived between
/// failed probes, and each new probe reached as far as the last had, each time collapsing the
/// estimate and taking the viewer to the smallest step; behind 1.2 Mbit/s the full size,
/// probed every few seconds, did the same to five sixths raised. A nearest step up that is
/// not near ([`NEAR_STEP`]) is probed after the backoff as before, and a near one waits only
/// once a second probe failed in that time, or one failed while the link queued
/// ([`QUEUED`]): one failure alone on a link that does not queue may be the estimator's
/// wandering (a loopback viewer of a busy debug build failed one probe for the full size and
/// waited 20 s a step below it). Only failed probes count: a viewer moved down by a link that
/// was then lifted climbs as fast as ever.
const CAREFUL_TIME: Duration = Duration::from_secs(20);
/// Under the step that failed, above the next step down on a ladder of steps 1.1x apart.
const UNDER_FAILED: f64 = 0.95;
/// The link queues (is full) while its round trip is this much over the least seen, in
/// seconds: behind 1.2 Mbit/s it was 50 ms over during a probe; the tests' lossy link
/// jitters by 10 ms.
const QUEUED: f64 = 0.03;
/// A step up at most this much over the viewer's own is near (see [`CAREFUL_TIME`]).
const NEAR_STEP: f64 = 1.3;
/// What the estimator is given back after a probe failed, over what the viewer's rung costs:
/// the link is about full.
const NEAR_FULL_ROOM: f64 = 1.1;
/// RTP, SRTP, UDP and IP headers on top of what the encoders make.
const OVERHEAD: f64 = 1.05;

/// What a viewer on a rung of `video` receives, with `audio` beside it.
pub(crate) fn cost(video: Bitrate, audio: Bitrate) -> Bitrate {
    (video + audio).scale(OVERHEAD)
}

/// The rung a joiner starts on (and the one kept warm for it): the middle of those usable,
/// the bigger of two middles (two thirds on the ladder of `rtc::ladder`), or the middle of the
/// ladder while the picture's size is not known.
pub(crate) fn start_rung<T>(rungs: &[Option<T>]) -> usize {
    let usable: Vec<usize> = (0..rungs.len()).filter(|i| rungs[*i].is_some()).collect();
    usable
        .get(usable.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(rungs.len().saturating_sub(1) / 2)
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
    /// The least round trip seen and the last one, in seconds (see [`QUEUED`]).
    round_trip: Option<(f64, f64)>,
    /// Probes that ended with the estimate collapsed ([`PROBE_COLLAPSE`]).
    probe_collapses: u8,
    /// A probe under way: since then, for this rung, the estimate before it and what the
    /// rung cost when it began (costs follow what the encoders make).
    probing: Option<Probing>,
    /// A probed step up settling until then, and the estimate its probe proved.
    settling: Option<(Instant, Bitrate)>,
    /// The biggest rung probed for that the link did not carry, and since when.
    ceiling: Option<Ceiling>,
    /// The last failed probe, the least a probe that failed wanted since [`CAREFUL_TIME`]
    /// before it, and how many failed in that time.
    failed_probe: Option<FailedProbes>,
}

/// Probes that failed, each within [`CAREFUL_TIME`] of the one before.
#[derive(Debug, Clone, Copy)]
struct FailedProbes {
    last: Instant,
    least: Bitrate,
    count: u8,
}

/// A rung a probe reached for past a nearer one and failed: since when, and the estimate
/// from before that probe, which showed room for the nearer one, until the next probe.
#[derive(Debug, Clone, Copy)]
struct Ceiling {
    rung: usize,
    since: Instant,
    room: Option<Bitrate>,
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
    /// Started on the room a failed probe before it showed (see [`Ceiling`]).
    on_room: bool,
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
    /// it fell below it, at most what the viewer's rung needs to climb.
    ProbeFailed(Bitrate),
    /// The step up has settled: the estimator is given back this estimate, which its probe
    /// proved, in place of what the first keyframe's burst made it think.
    Restore(Bitrate),
}

impl RungChoice {
    /// A joining viewer: on the middle rung (or the smallest there is), a keyframe small
    /// enough for most links, then up as its estimate allows.
    pub(crate) fn start(costs: &[Option<Bitrate>], probes: bool, now: Instant) -> Self {
        let rung = start_rung(costs);
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
            ceiling: None,
            failed_probe: None,
            round_trip: None,
        }
    }

    /// The round trip of the viewer's last receiver report, if it gave one.
    pub(crate) fn report_rtt(&mut self, rtt: Option<f64>) {
        if let Some(rtt) = rtt {
            let least = self.round_trip.map_or(rtt, |(least, _)| least.min(rtt));
            self.round_trip = Some((least, rtt));
        }
    }

    /// The link queues now (see [`QUEUED`]).
    fn queued(&self) -> bool {
        self.round_trip
            .is_some_and(|(least, last)| last >= least + QUEUED)
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
            // The link said nothing: the hold runs on from the last move the viewer made
            // (a loopback viewer stepped onto two thirds raised on the first guessed costs,
            // saw it go away on measured ones, and waited another 3 s to climb again).
            let since = self.moved_at;
            let to = self.moved(to, now, false);
            self.moved_at = since;
            return Some(to);
        }
        let current = cost_of(self.rung)?;
        // Settling: only a collapse moves the viewer down (a probe for a nearer rung may
        // still start).
        let mut held = false;
        if let Some((until, proved)) = self.settling {
            if now < until {
                held = estimate.as_f64() >= current.as_f64() * COLLAPSE;
                if !held {
                    self.settling = None;
                }
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
            on_room,
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
                    let nearest = (rung + 1..self.rung).all(|i| cost_of(i).is_none());
                    if nearest {
                        self.back_off(now);
                    } else {
                        // Reached too far: the next probe, soon, is for a nearer rung.
                        // Once: a probe on that room that also failed leaves none (three
                        // probes in 3 s behind 1.2 Mbit/s made GCC's estimate collapse).
                        let again = on_room || self.ceiling.is_some();
                        self.ceiling = Some(Ceiling {
                            rung,
                            since: now,
                            room: (!on_room).then_some(before),
                        });
                        if again {
                            // The second far probe in a row that failed: the link is about
                            // full, and the next waits as after a near one (behind 600 kbit/s
                            // four probes 1 s apart each failed).
                            self.back_off(now);
                        } else {
                            self.next_trial = now + PROBE_TIME;
                        }
                    }
                    // A probe that reached past a nearer rung and collapsed found a full
                    // link, not feedback that breaks under probes: on a real 1.2 Mbit/s
                    // link the full size's probe took the estimate from 1.02 to 0.6 Mbit/s.
                    let reference = before.min(current);
                    if nearest && estimate.as_f64() < reference.as_f64() * PROBE_COLLAPSE {
                        // Whoever the peer is: learnt from its feedback, never from its name.
                        self.probe_collapses += 1;
                        if self.probe_collapses >= COLLAPSES_TO_STOP_PROBING {
                            // This peer's feedback cannot take probes: trials from now on.
                            self.probes = false;
                        }
                    } else {
                        // The link did not carry what the probe wanted (a collapse says only
                        // that the peer's feedback breaks under probes).
                        let before = self.careful(now);
                        self.failed_probe = Some(FailedProbes {
                            last: now,
                            least: before.map_or(wanted, |f| f.least.min(wanted)),
                            count: match (before, self.queued()) {
                                (Some(f), _) => f.count.saturating_add(1),
                                // Found a full link: as good as a second failure.
                                (None, true) => 2,
                                (None, false) => 1,
                            },
                        });
                    }
                    // The rung is held while the probe's own congestion drains and GCC
                    // climbs back: behind 600 kbit/s its estimate fell to 0.7 of the rung's
                    // cost after a failed probe and took the viewer a rung down; behind 1.2
                    // Mbit/s it was still below 0.8 of five sixths raised 1.6 s after one, and
                    // took it two steps down. Nothing to restore.
                    self.settling = Some((now + AFTER_PROBE, Bitrate::bps(0)));
                    // No more than the viewer's rung needs with a little room, whether the
                    // probe reached far or near: the link is about full (given back 1.44
                    // Mbit/s, then 1.35x a half, behind 600 kbit/s, GCC paced the probe's
                    // queue out at that and fell to half the rung's cost). A nearer step is
                    // probed on the room from before all the same (see [`Ceiling`]).
                    let room = current.scale(NEAR_FULL_ROOM);
                    return Some(Move::ProbeFailed(before.min(room)));
                }
            }
        }
        if !held && estimate.as_f64() < current.as_f64() * TOO_LITTLE {
            // The biggest rung that fits, else the smallest there is.
            let below = (self.rung + 1..costs.len()).filter(|i| cost_of(*i).is_some());
            let fits = below
                .clone()
                .find(|i| cost_of(*i).is_some_and(|c| c.as_f64() <= estimate.as_f64() * FITS));
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
                    // The rung it goes back to is held while the step's own burst drains:
                    // right after a failed trial GCC's estimate sat just below that rung's
                    // cost and took the viewer two rungs further down. Nothing to restore.
                    self.settling = Some((now + SETTLE, Bitrate::bps(0)));
                    // No more than that rung needs to climb again: the estimate before a
                    // plain trial can be far above what the link carries.
                    let room = c.scale(ROOM_TO_CLIMB);
                    return Some(Move::Back {
                        to: trial.from,
                        before: trial.before.min(room),
                    });
                }
            }
            // From a step held for a while, one step down where the estimate still clears
            // that step's bar: on a fine ladder a single GCC back-off (to 0.85 of what
            // arrives) takes a step that fills the link just under its bar, and landing by
            // [`FITS`] dropped five sixths raised behind 1.2 Mbit/s to a half (a keyframe
            // down and one back up, which froze). Not from a step just taken: a joiner behind
            // 600 kbit/s went down three steps in 250 ms, each to another encoder.
            let held_long = now.duration_since(self.moved_at) >= HOLD;
            let next = below.clone().next().filter(|_| held_long);
            let one_step = next.filter(|i| {
                cost_of(*i).is_some_and(|c| estimate.as_f64() >= c.as_f64() * TOO_LITTLE)
            });
            let to = one_step.or(fits).or_else(|| below.clone().next_back())?;
            return Some(self.moved(to, now, false));
        }
        if self
            .ceiling
            .is_some_and(|c| now.duration_since(c.since) >= CEILING_TIME)
        {
            self.ceiling = None;
        }
        let below_ceiling = self.ceiling.map_or(0, |c| c.rung + 1);
        // The first probe after one that reached too far goes on the estimate from before
        // it: GCC's fell in that probe's congestion and took 7 s to climb back behind 1.2
        // Mbit/s, while the nearer rung fitted.
        // Not where the estimate has fallen under the viewer's own step: that probe's
        // congestion has not drained (behind 600 kbit/s a probe on the room from before, with
        // GCC at half the step's cost, took the viewer to the smallest step).
        let room = self
            .ceiling
            .and_then(|c| c.room)
            .filter(|_| estimate.as_f64() >= current.as_f64() * TOO_LITTLE)
            .map_or(estimate, |before| estimate.max(before));
        let careful = self.careful(now);
        let under_failed =
            careful.map_or(f64::INFINITY, |failed| failed.least.as_f64() * UNDER_FAILED);
        let failed_again = careful.is_some_and(|failed| failed.count >= 2);
        let usable = (below_ceiling..self.rung)
            .rev()
            .filter(|i| cost_of(*i).is_some());
        let nearest_usable = usable.clone().next()?;
        // The nearest step up waits only where it is near and the link was found full (two
        // failed probes, or one while it queued): on a coarse ladder the backoff alone paces
        // its probes, as waiting there costs the viewer much of its picture.
        let waits = |i: usize, c: Bitrate| {
            let near = c.as_f64() <= current.as_f64() * NEAR_STEP;
            let nearest_waits = near && failed_again;
            self.probes && c.as_f64() >= under_failed && (nearest_waits || i != nearest_usable)
        };
        let above = usable.filter(|i| cost_of(*i).is_some_and(|c| !waits(*i, c)));
        let nearest = above.clone().next()?;
        let reach = (room.as_f64() * PROBE_REACH).min(current.as_f64() * RUNG_REACH);
        let up = match self.probes {
            true => above
                .take_while(|i| cost_of(*i).is_some_and(|c| c.as_f64() <= reach))
                .last()
                .unwrap_or(nearest),
            false => nearest,
        };
        // Where the nearest step up is near, room for it is enough: GCC, at most 1.5x what
        // arrives, took 11 s to reach 1.35x five sixths behind 1.2 Mbit/s, where five sixths
        // raised (1.11x) fitted.
        let climb_bar =
            (current.as_f64() * ROOM_TO_CLIMB).min(cost_of(nearest)?.as_f64() * ROOM_FOR_NEAREST);
        let hold = if self.climbed { HOLD } else { FIRST_HOLD };
        let clean = loss.is_none_or(|l| l < 0.02);
        if now.duration_since(self.moved_at) >= hold
            && now >= self.next_trial
            && clean
            && room.as_f64() >= climb_bar
        {
            let on_room = room > estimate;
            if let Some(c) = self.ceiling.as_mut() {
                c.room = None;
            }
            if self.probes {
                // A step up on trial has held until now: the probe's own congestion must not
                // be taken for its failure (behind 1.2 Mbit/s a probe for the full size, 3 s
                // after a step to five sixths raised, sent the viewer back two steps).
                self.trial = None;
                self.probing = Some(Probing {
                    since: now,
                    rung: up,
                    before: room,
                    wanted: cost_of(up)?,
                    on_room,
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

    /// The probes that failed, the last within [`CAREFUL_TIME`].
    fn careful(&self, now: Instant) -> Option<FailedProbes> {
        self.failed_probe
            .filter(|f| now.duration_since(f.last) < CAREFUL_TIME)
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
        // From another rung, the ceiling may be the nearest one up: probed as any.
        self.ceiling = None;
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
mod tests;
