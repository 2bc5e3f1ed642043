//! One viewer's adaptation, without I/O: what its link carries, which rung of the ladder it
//! gets, when its link is probed and what its estimator is told. Time is an input and the
//! controller never reads a clock, touches GStreamer or writes a file: the actor feeds it
//! [`Input`]s and applies the [`Action`]s it gives back, so every decision can be driven
//! faster than real time and replayed from a trace (`rtc::control` records them).

mod bitrate;
mod fec;
mod pacing;
mod playout_delay;
#[cfg(test)]
mod replay;
mod retransmissions;
mod rung_choice;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod sim;
mod steps;

use std::collections::VecDeque;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub(crate) use bitrate::Bitrate;
use fec::FecChoice;
pub(crate) use fec::FecLevel;
use pacing::pacing_rate;
pub(crate) use pacing::PaceSchedule;
use playout_delay::PlayoutDelayChoice;
pub(crate) use retransmissions::{RetransmissionBudget, RetransmissionLimit};
pub(crate) use rung_choice::{cost, start_rung};
use rung_choice::{Move, RungChoice};
pub(crate) use steps::{raise_rung, start_step, step_costs, Step, RAISE};

/// What the share allows any viewer, fixed for the controller's life.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Limits {
    /// What the estimator is told before any feedback.
    pub start: Bitrate,
    /// The least the loss-based target goes down to.
    pub min: Bitrate,
    /// The most a viewer receives: the biggest video with audio and headers.
    pub max: Bitrate,
    /// The viewer has an estimator (rtpgccbwe) that can be told an estimate.
    pub estimator: bool,
}

/// What the ladder is now, as the actor applied it: what each rung costs (`None`: not
/// usable; index 0 is the biggest) and whether the viewer's last move still waits for its
/// keyframe. `None` in an input: the viewer's video is not fed from the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ladder {
    pub costs: Vec<Option<Bitrate>>,
    pub moving: bool,
}

/// What happened to the viewer, as the controller hears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "in", rename_all = "snake_case")]
pub(crate) enum Input {
    /// The viewer's answer: whether it gives transport-wide feedback (the estimator's word
    /// counts) and takes RTX for its video (probes can be sent).
    Answer { transport_cc: bool, rtx: bool },
    /// Its video is fed from the ladder from now on: the controller chooses the rung (the
    /// step, see [`Step`]), starting on `start` where that is usable (the share keeps its
    /// encoder warm), else in the middle.
    VideoLinked {
        costs: Vec<Option<Bitrate>>,
        #[serde(default)]
        start: Option<usize>,
    },
    /// Its video is every rung at once (simulcast to an SFU), costing this much in all.
    Simulcast { total: Bitrate },
    /// The estimator's new estimate of what the link carries.
    Estimate {
        bitrate: Bitrate,
        ladder: Option<Ladder>,
    },
    /// The numbers of its receiver reports: loss (the worst fraction), RTT in seconds, NACKs
    /// so far.
    Report {
        loss: Option<f64>,
        rtt: Option<f64>,
        nacks: u64,
        ladder: Option<Ladder>,
    },
    /// The viewer asked for a keyframe (PLI or FIR).
    KeyframeWanted,
    /// A move got no keyframe and was given up: the viewer stays on this rung.
    MoveGivenUp { rung: usize },
    /// The viewer's answer took RED + ULPFEC for its video: FEC can be turned on.
    FecTaken,
}

/// Why the estimator is told an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EstimateReason {
    /// Before any feedback.
    Start,
    /// A joiner's rung and a fifth more: room to climb from the start.
    Joined,
    /// Every rung published, with room for their peaks.
    Simulcast,
    /// A step up without a probe: the estimator (and its pacer) assume the new rung fits.
    Trial,
    /// A probe: the estimator expects the bigger rung, which the probe makes the link carry.
    Probe,
    /// A probe failed: its own congestion is forgotten.
    ProbeFailed,
    /// A step up failed: the estimate from before it, at most what that rung needs to climb.
    StepBack,
    /// A probed step up settled: the estimate its probe proved.
    Settled,
}

/// What the actor should do for the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Feed the viewer from this rung (the step, see [`Step`]), starting with a keyframe of
    /// it where the rung is another. `joined`: its first rung (the path is new; a keyframe
    /// only where the rung was parked or the viewer is up).
    MoveTo {
        rung: usize,
        joined: bool,
    },
    /// Tell the estimator this estimate.
    SetEstimate {
        bitrate: Bitrate,
        reason: EstimateReason,
    },
    /// Send this much more than the media, as RTX of packets the viewer has.
    ProbeStart {
        extra: Bitrate,
        rung: usize,
    },
    ProbeStop,
    /// A keyframe of the rung the viewer receives or is moving to, through the throttle.
    Keyframe,
    /// Whether steps up are probed first: what the controller learnt of this peer's
    /// feedback. Nothing to apply; said for the log.
    Probes(bool),
    /// Forward error correction (RED + ULPFEC) at this level, on the viewer's video.
    Fec(FecLevel),
    /// Hold the viewer's retransmissions to this.
    Retransmissions(RetransmissionLimit),
    /// Tell the viewer to play at least this late (see [`PlayoutDelayChoice`]).
    PlayoutDelay(std::time::Duration),
    /// Pace the viewer's video at this rate (see [`PaceSchedule`]).
    PacingRate(Bitrate),
}

/// One viewer's controller.
#[derive(Debug)]
pub(crate) struct Controller {
    limits: Limits,
    transport_cc: bool,
    /// The answer allows probes (RTX for video, transport-wide feedback, an estimator).
    can_probe: bool,
    estimate: Option<Bitrate>,
    /// What loss says the link carries, for a viewer without transport-wide feedback.
    target: Bitrate,
    loss: Option<f64>,
    rtt: Option<f64>,
    nacks: u64,
    keyframes_wanted: u64,
    choice: Option<RungChoice>,
    /// A probe is on (a [`Action::ProbeStart`] not stopped yet).
    probe_on: bool,
    /// Steps up are probed, as last said with [`Action::Probes`].
    probes: bool,
    out: VecDeque<Action>,
    /// FEC where the answer took it (see [`FecChoice`]).
    fec: Option<FecChoice>,
    /// The retransmission limit last given out.
    retransmissions: RetransmissionLimit,
    playout_delay: PlayoutDelayChoice,
    /// The pacing rate last given out.
    pacing: Option<Bitrate>,
    /// A receiver report has come: the estimator has the viewer's feedback.
    heard: bool,
}

/// A new pacing rate is given out when it moved by more than this share.
const PACING_CHANGE: f64 = 0.05;

impl Controller {
    pub(crate) fn new(limits: Limits) -> Self {
        let mut out = VecDeque::new();
        if limits.estimator {
            out.push_back(Action::SetEstimate {
                bitrate: limits.start,
                reason: EstimateReason::Start,
            });
        }
        out.push_back(Action::Fec(FecLevel::Off));
        let retransmissions = RetransmissionLimit::for_link(limits.start, None);
        out.push_back(Action::Retransmissions(retransmissions));
        Self {
            limits,
            transport_cc: false,
            can_probe: false,
            estimate: None,
            target: limits.start,
            loss: None,
            rtt: None,
            nacks: 0,
            keyframes_wanted: 0,
            choice: None,
            probe_on: false,
            probes: false,
            out,
            fec: None,
            retransmissions,
            playout_delay: PlayoutDelayChoice::default(),
            pacing: None,
            heard: false,
        }
    }

    pub(crate) fn handle_input(&mut self, now: Instant, input: Input) {
        match input {
            Input::Answer { transport_cc, rtx } => {
                self.transport_cc = transport_cc;
                // Probes need an estimator that counts what arrives. Whoever the peer is:
                // one whose feedback cannot take them is found out (see `RungChoice`).
                self.can_probe = transport_cc && rtx && self.limits.estimator;
                self.probes = self.can_probe;
            }
            Input::VideoLinked { costs, start } => {
                let mut choice = RungChoice::start(&costs, self.can_probe, now);
                if let Some(start) = start.filter(|s| costs.get(*s).is_some_and(Option::is_some)) {
                    choice.rung = start;
                }
                self.out.push_back(Action::MoveTo {
                    rung: choice.rung,
                    joined: true,
                });
                if let (true, Some(cost)) = (self.limits.estimator, costs[choice.rung]) {
                    self.out.push_back(Action::SetEstimate {
                        bitrate: cost.with_fifth_more(),
                        reason: EstimateReason::Joined,
                    });
                }
                self.choice = Some(choice);
            }
            Input::Simulcast { total } => {
                if self.limits.estimator && total > Bitrate::ZERO {
                    self.out.push_back(Action::SetEstimate {
                        bitrate: total.with_fifth_more(),
                        reason: EstimateReason::Simulcast,
                    });
                }
            }
            Input::Estimate { bitrate, ladder } => {
                self.estimate = Some(bitrate);
                self.limit_retransmissions();
                self.pace(ladder.as_ref());
                self.decide(ladder, now);
            }
            Input::Report {
                loss,
                rtt,
                nacks,
                ladder,
            } => {
                self.loss = loss;
                self.rtt = rtt;
                if let Some(choice) = self.choice.as_mut() {
                    choice.report_rtt(rtt);
                }
                self.nacks = nacks;
                self.heard = true;
                self.pace(ladder.as_ref());
                self.target = next_target(self.target, loss, self.limits.min, self.limits.max);
                if let Some(level) = self.fec.as_mut().and_then(|f| f.report(now, loss, rtt)) {
                    self.out.push_back(Action::Fec(level));
                }
                self.limit_retransmissions();
                if let Some(delay) = self.playout_delay.report(loss, rtt) {
                    self.out.push_back(Action::PlayoutDelay(delay));
                }
                self.decide(ladder, now);
            }
            Input::KeyframeWanted => {
                self.keyframes_wanted += 1;
                self.out.push_back(Action::Keyframe);
            }
            Input::MoveGivenUp { rung } => {
                if let Some(choice) = self.choice.as_mut() {
                    choice.rung = rung;
                }
            }
            Input::FecTaken => {
                self.fec.get_or_insert_with(FecChoice::new);
            }
        }
    }

    pub(crate) fn poll_output(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// What the viewer's link carries, as best it is known: the estimator's word where the
    /// viewer gives transport-wide feedback, else the loss-based target.
    pub(crate) fn link_estimate(&self) -> Bitrate {
        match (self.transport_cc, self.estimate) {
            (true, Some(estimate)) => estimate,
            _ => self.target,
        }
    }

    /// The rung (the step, see [`Step`]) the viewer is on or moving to, once its video is
    /// fed from the ladder.
    pub(crate) fn step(&self) -> Option<usize> {
        self.choice.as_ref().map(|c| c.rung)
    }

    /// The FEC level the viewer's video carries now.
    pub(crate) fn fec_level(&self) -> FecLevel {
        self.fec.as_ref().map_or(FecLevel::Off, FecChoice::level)
    }

    /// Gives out a new retransmission limit where the link's estimate or RTT moved enough.
    fn limit_retransmissions(&mut self) {
        let limit = RetransmissionLimit::for_link(self.link_estimate(), self.rtt);
        if limit.differs_from(&self.retransmissions) {
            self.retransmissions = limit;
            self.out.push_back(Action::Retransmissions(limit));
        }
    }

    /// Gives out a new pacing rate where the estimate moved enough, once the estimator has
    /// the viewer's feedback: before that the link's rate is not known, and a joiner's first
    /// keyframe goes unpaced (paced at the start estimate, a 720p one took 400 ms).
    fn pace(&mut self, ladder: Option<&Ladder>) {
        let Some(estimate) = self
            .estimate
            .filter(|_| self.heard && self.limits.estimator)
        else {
            return;
        };
        let rung = self
            .step()
            .and_then(|step| ladder.and_then(|l| l.costs.get(step).copied().flatten()));
        let rate = pacing_rate(estimate, rung);
        let moved = self
            .pacing
            .is_none_or(|p| (rate.as_f64() / p.as_f64() - 1.0).abs() > PACING_CHANGE);
        if moved {
            self.pacing = Some(rate);
            self.out.push_back(Action::PacingRate(rate));
        }
    }

    /// Moves the viewer between rungs when its link says so (see [`RungChoice::decide`]).
    fn decide(&mut self, ladder: Option<Ladder>, now: Instant) {
        let Some(Ladder { costs, moving }) = ladder else {
            return;
        };
        if moving {
            return; // one move at a time: the last is waiting for its keyframe
        }
        let estimate = self.link_estimate();
        // What the rungs may cost: FEC's packets beside the video come out of the link.
        let for_video = estimate.scale(1.0 / self.fec_level().overhead());
        let estimator = self.limits.estimator;
        let Some(choice) = self.choice.as_mut() else {
            return;
        };
        let on = choice.rung;
        let Some(step) = choice.decide(&costs, for_video, self.loss, now) else {
            return;
        };
        if choice.probes() != self.probes {
            self.probes = choice.probes();
            self.out.push_back(Action::Probes(self.probes));
        }
        let probed = std::mem::take(&mut self.probe_on);
        if probed {
            self.out.push_back(Action::ProbeStop);
        }
        let set = |out: &mut VecDeque<Action>, bitrate, reason| {
            if estimator {
                out.push_back(Action::SetEstimate { bitrate, reason });
            }
        };
        let to = match step {
            Move::Up(to) | Move::Down(to) => {
                // A plain trial: the estimator is told to expect the bigger step, never less
                // than it estimates (told the step's cost, an H.264 viewer's GCC fell from 758
                // to 308 kbit/s at each step up and climbed again for seconds).
                if let (Move::Up(_), false, Some(cost)) = (step, probed, costs[to]) {
                    if estimate < cost {
                        set(&mut self.out, cost, EstimateReason::Trial);
                    }
                }
                to
            }
            Move::Back { to, before } => {
                if estimate < before {
                    set(&mut self.out, before, EstimateReason::StepBack);
                }
                to
            }
            Move::Probe(to) => {
                let (true, Some(wanted)) = (estimator, costs[to]) else {
                    return;
                };
                let current = costs.get(on).copied().flatten().unwrap_or_default();
                set(&mut self.out, wanted.max(estimate), EstimateReason::Probe);
                self.probe_on = true;
                self.out.push_back(Action::ProbeStart {
                    extra: wanted.saturating_sub(current),
                    rung: to,
                });
                return;
            }
            Move::Restore(bitrate) => {
                set(&mut self.out, bitrate, EstimateReason::Settled);
                return;
            }
            Move::ProbeFailed(before) => {
                if estimate < before {
                    set(&mut self.out, before, EstimateReason::ProbeFailed);
                }
                return;
            }
        };
        self.out.push_back(Action::MoveTo {
            rung: to,
            joined: false,
        });
    }
}

/// A viewer's next target from the loss in its last receiver report: back off in proportion
/// to heavy loss, up slowly while loss is low (as loss-based congestion control does), hold
/// in between.
fn next_target(
    current: Bitrate,
    fraction_lost: Option<f64>,
    min: Bitrate,
    max: Bitrate,
) -> Bitrate {
    let next = match fraction_lost {
        Some(loss) if loss > 0.10 => current.scale(1.0 - 0.5 * loss),
        Some(loss) if loss < 0.02 => current.scale(1.05),
        _ => current,
    };
    next.clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn bps(b: u32) -> Bitrate {
        Bitrate::bps(b)
    }

    #[test]
    fn the_loss_based_target_backs_off_on_loss_and_climbs_when_clean() {
        let (min, max) = (bps(100_000), bps(2_000_000));
        let next = |current, loss| next_target(bps(current), loss, min, max).as_bps();
        assert_eq!(next(1_000_000, Some(0.2)), 900_000);
        assert_eq!(next(1_000_000, Some(0.0)), 1_050_000);
        assert_eq!(next(1_000_000, Some(0.05)), 1_000_000);
        assert_eq!(next(1_990_000, Some(0.0)), 2_000_000);
        assert_eq!(next(100_000, Some(0.5)), 100_000);
        assert_eq!(next(500_000, None), 500_000);
    }

    #[test]
    fn a_viewer_without_an_estimator_is_never_probed_nor_told_estimates() {
        let limits = Limits {
            start: bps(1_000_000),
            min: bps(100_000),
            max: bps(3_000_000),
            estimator: false,
        };
        let mut c = Controller::new(limits);
        let now = Instant::now();
        c.handle_input(
            now,
            Input::Answer {
                transport_cc: false,
                rtx: true,
            },
        );
        let costs = vec![
            Some(bps(2_600_000)),
            Some(bps(1_200_000)),
            Some(bps(500_000)),
        ];
        c.handle_input(now, Input::VideoLinked { costs, start: None });
        let actions: Vec<Action> = std::iter::from_fn(|| c.poll_output()).collect();
        assert_eq!(
            actions,
            vec![
                Action::Fec(FecLevel::Off),
                Action::Retransmissions(RetransmissionLimit::for_link(bps(1_000_000), None)),
                Action::MoveTo {
                    rung: 1,
                    joined: true
                }
            ]
        );
        assert_eq!(c.link_estimate(), bps(1_000_000), "the loss-based target");
    }

    #[test]
    fn the_video_is_paced_once_the_viewers_feedback_has_come_and_again_when_it_moves() {
        let limits = Limits {
            start: bps(1_000_000),
            min: bps(100_000),
            max: bps(3_000_000),
            estimator: true,
        };
        let mut c = Controller::new(limits);
        let now = Instant::now();
        let estimate = |bitrate| Input::Estimate {
            bitrate: bps(bitrate),
            ladder: None,
        };
        let report = Input::Report {
            loss: Some(0.0),
            rtt: Some(0.02),
            nacks: 0,
            ladder: None,
        };
        let paced = |c: &mut Controller| -> Vec<Bitrate> {
            std::iter::from_fn(|| c.poll_output())
                .filter_map(|a| match a {
                    Action::PacingRate(rate) => Some(rate),
                    _ => None,
                })
                .collect()
        };
        c.handle_input(now, estimate(900_000));
        assert_eq!(
            paced(&mut c),
            vec![],
            "no feedback yet: the first keyframe goes as is"
        );
        c.handle_input(now, report.clone());
        assert_eq!(paced(&mut c), vec![bps(1_125_000)]);
        c.handle_input(now, estimate(920_000));
        assert_eq!(paced(&mut c), vec![], "moved less than 5 %");
        c.handle_input(now, estimate(1_200_000));
        assert_eq!(paced(&mut c), vec![bps(1_500_000)]);
    }

    #[test]
    fn a_plain_trial_never_tells_the_estimator_less_than_it_estimates() {
        let limits = Limits {
            start: bps(1_000_000),
            min: bps(100_000),
            max: bps(3_000_000),
            estimator: true,
        };
        let mut c = Controller::new(limits);
        let t0 = Instant::now();
        // No RTX in the answer: steps up are plain trials.
        c.handle_input(
            t0,
            Input::Answer {
                transport_cc: true,
                rtx: false,
            },
        );
        let costs = vec![Some(bps(400_000)), Some(bps(300_000)), Some(bps(200_000))];
        let ladder = Some(Ladder {
            costs: costs.clone(),
            moving: false,
        });
        c.handle_input(t0, Input::VideoLinked { costs, start: None });
        let trial = |c: &mut Controller, bitrate: u32, secs: u64| {
            c.handle_input(
                t0 + Duration::from_secs(secs),
                Input::Estimate {
                    bitrate: bps(bitrate),
                    ladder: ladder.clone(),
                },
            );
            std::iter::from_fn(|| c.poll_output())
                .filter(|a| matches!(a, Action::MoveTo { .. } | Action::SetEstimate { .. }))
                .collect::<Vec<_>>()
        };
        trial(&mut c, 700_000, 0);
        // Well over the step's cost: the move alone.
        assert_eq!(
            trial(&mut c, 700_000, 2),
            vec![Action::MoveTo {
                rung: 0,
                joined: false
            }]
        );
    }
}
