//! A viewer's link and estimator as a model, without I/O, to drive a [`Controller`] faster
//! than real time: the link carries up to its capacity (the rest is lost in a full queue),
//! feedback comes one round trip late, and the estimator behaves as GCC does in the large
//! (up slowly while what arrives keeps up, to 0.85 of what arrives on overuse, never above
//! 1.5 times what arrives, told estimates taken as they are). Coarse on purpose: it tests
//! the controller's rules, not GCC.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Action, Bitrate, Controller, Input, Ladder, Limits};

/// Simulation step.
pub(super) const STEP_MS: u64 = 50;
/// How often the estimator says its estimate, and receiver reports come.
const ESTIMATE_EVERY_MS: u64 = 100;
const REPORT_EVERY_MS: u64 = 1000;
/// GCC's increase while what arrives keeps up, per second, and its decrease on overuse.
const GROWTH: f64 = 1.08;
const BACK_OFF: f64 = 0.85;
/// GCC never estimates more than this times what arrives.
const CAP: f64 = 1.5;

/// What the link does at each moment (seconds from the start).
pub(super) struct LinkPlan {
    pub capacity: Box<dyn Fn(f64) -> Bitrate>,
    /// Loss on top of the queue's, as a fraction.
    pub loss: Box<dyn Fn(f64) -> f64>,
    pub rtt: Duration,
    /// The peer's feedback on probes makes the estimator collapse (seen with Firefox and
    /// Janus on loopback).
    pub collapses_under_probes: bool,
}

impl LinkPlan {
    pub(super) fn steady(capacity: u32) -> Self {
        Self {
            capacity: Box::new(move |_| Bitrate::bps(capacity)),
            loss: Box::new(|_| 0.0),
            rtt: Duration::from_millis(40),
            collapses_under_probes: false,
        }
    }
}

/// One moment of a run, for the checks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    pub seconds: f64,
    pub rung: usize,
    pub cost: Bitrate,
    pub capacity: Bitrate,
}

pub(super) struct Sim {
    pub controller: Controller,
    plan: LinkPlan,
    costs: Vec<Option<Bitrate>>,
    t0: Instant,
    ms: u64,
    estimate: Bitrate,
    /// What arrived at each step, the latest last: feedback is read one RTT late.
    arrived: VecDeque<(Bitrate, bool)>,
    probe: Option<(Bitrate, u64)>,
    rung: usize,
    /// A move waits for its keyframe until then.
    moving_until: Option<u64>,
    last_back_off: u64,
    nacks: u64,
    pub samples: Vec<Sample>,
    pub actions: Vec<(f64, Action)>,
}

pub(super) fn ladder() -> Vec<Option<Bitrate>> {
    [2_600_000, 1_200_000, 500_000]
        .into_iter()
        .map(|b| Some(Bitrate::bps(b)))
        .collect()
}

pub(super) fn limits() -> Limits {
    Limits {
        start: Bitrate::bps(1_000_000),
        min: Bitrate::bps(100_000),
        max: Bitrate::bps(3_000_000),
        estimator: true,
    }
}

impl Sim {
    /// A viewer that gives transport-wide feedback and takes RTX, just joined.
    pub(super) fn new(plan: LinkPlan, costs: Vec<Option<Bitrate>>) -> Self {
        let t0 = Instant::now();
        let mut sim = Self {
            controller: Controller::new(limits()),
            plan,
            costs: costs.clone(),
            t0,
            ms: 0,
            estimate: limits().start,
            arrived: VecDeque::new(),
            probe: None,
            rung: 0,
            moving_until: None,
            last_back_off: 0,
            nacks: 0,
            samples: Vec::new(),
            actions: Vec::new(),
        };
        sim.input(Input::Answer {
            transport_cc: true,
            rtx: true,
        });
        sim.input(Input::VideoLinked { costs, start: None });
        sim
    }

    fn input(&mut self, input: Input) {
        let now = self.t0 + Duration::from_millis(self.ms);
        self.controller.handle_input(now, input);
        let mut told = None;
        while let Some(action) = self.controller.poll_output() {
            self.actions.push((self.ms as f64 / 1000.0, action));
            match action {
                Action::MoveTo { rung, joined } => {
                    self.rung = rung;
                    // Its keyframe comes a little more than half a round trip later.
                    let wait = self.plan.rtt.as_millis() as u64 / 2 + 30;
                    self.moving_until = (!joined).then_some(self.ms + wait);
                }
                Action::SetEstimate { bitrate, .. } => {
                    self.estimate = bitrate;
                    told = Some(bitrate);
                }
                Action::ProbeStart { extra, .. } => self.probe = Some((extra, self.ms)),
                Action::ProbeStop => self.probe = None,
                Action::Keyframe
                | Action::Probes(_)
                | Action::Fec(_)
                | Action::Retransmissions(_)
                | Action::PlayoutDelay(_)
                | Action::PacingRate(_) => {}
            }
        }
        // rtpgccbwe says a set estimate at once, as any change of it.
        if let Some(bitrate) = told {
            let ladder = self.ladder();
            self.input(Input::Estimate { bitrate, ladder });
        }
    }

    fn ladder(&self) -> Option<Ladder> {
        Some(Ladder {
            costs: self.costs.clone(),
            moving: self.moving_until.is_some_and(|until| self.ms < until),
        })
    }

    fn cost(&self) -> Bitrate {
        self.costs[self.rung].unwrap_or_default()
    }

    /// Runs the plan until `seconds` from the start.
    pub(super) fn run_until(&mut self, seconds: f64) {
        while (self.ms as f64) < seconds * 1000.0 {
            self.step();
        }
    }

    fn step(&mut self) {
        self.ms += STEP_MS;
        let t = self.ms as f64 / 1000.0;
        let capacity = (self.plan.capacity)(t);
        let sent = self.cost() + self.probe.map_or(Bitrate::ZERO, |(extra, _)| extra);
        let received = sent.min(capacity);
        self.arrived.push_back((received, sent > capacity));
        let late = (self.plan.rtt.as_millis() as u64 / STEP_MS) as usize + 1;
        while self.arrived.len() > late {
            self.arrived.pop_front();
        }
        let (seen, overuse) = self.arrived[0];
        // The estimator, on the feedback it has.
        let collapsing = self.plan.collapses_under_probes
            && self.probe.is_some_and(|(_, since)| self.ms >= since + 100);
        if collapsing {
            // Below what the media alone brings: the probe was taken for heavy congestion.
            self.estimate = self.estimate.min(self.cost().scale(0.6));
        } else if overuse && self.ms >= self.last_back_off + 200 {
            self.estimate = seen.scale(BACK_OFF);
            self.last_back_off = self.ms;
        } else if !overuse && self.estimate < seen.scale(CAP) {
            let grown = self.estimate.scale(GROWTH.powf(STEP_MS as f64 / 1000.0));
            self.estimate = grown.min(seen.scale(CAP));
        }
        if self.ms.is_multiple_of(ESTIMATE_EVERY_MS) {
            let ladder = self.ladder();
            self.input(Input::Estimate {
                bitrate: self.estimate,
                ladder,
            });
        }
        if self.ms.is_multiple_of(REPORT_EVERY_MS) {
            let queue_loss = if sent > capacity {
                1.0 - capacity.as_f64() / sent.as_f64()
            } else {
                0.0
            };
            let loss = ((self.plan.loss)(t) + queue_loss).min(1.0);
            self.nacks += (loss * 100.0) as u64;
            let ladder = self.ladder();
            self.input(Input::Report {
                loss: Some(loss),
                rtt: Some(self.plan.rtt.as_secs_f64()),
                nacks: self.nacks,
                ladder,
            });
        }
        self.samples.push(Sample {
            seconds: t,
            rung: self.rung,
            cost: self.cost(),
            capacity,
        });
    }

    /// The rung at `seconds` from the start.
    pub(super) fn rung_at(&self, seconds: f64) -> usize {
        self.samples
            .iter()
            .rev()
            .find(|s| s.seconds <= seconds)
            .map_or(self.rung, |s| s.rung)
    }

    /// The longest stretch, in seconds, that the viewer's rung cost more than its link
    /// carried, between `from` and `to`.
    pub(super) fn longest_over_capacity(&self, from: f64, to: f64) -> f64 {
        let (mut longest, mut run) = (0.0f64, 0.0);
        for s in self
            .samples
            .iter()
            .filter(|s| s.seconds >= from && s.seconds <= to)
        {
            run = if s.cost > s.capacity {
                run + STEP_MS as f64 / 1000.0
            } else {
                0.0
            };
            longest = longest.max(run);
        }
        longest
    }

    /// When the rung first became `rung` after `from`, in seconds from the start.
    pub(super) fn reached(&self, rung: usize, from: f64) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.seconds >= from && s.rung == rung)
            .map(|s| s.seconds)
    }

    pub(super) fn probes_started(&self) -> usize {
        self.actions
            .iter()
            .filter(|(_, a)| matches!(a, Action::ProbeStart { .. }))
            .count()
    }
}
