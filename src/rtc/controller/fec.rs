//! Forward error correction for one viewer: RED + ULPFEC where loss persists and the RTT is
//! long enough that a retransmission comes too late for its frame. Decided from the receiver
//! reports alone (time is an input), with hysteresis so that one clean or lossy report never
//! turns it on or off.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How much forward error correction the viewer's stream carries: the percentage is
/// rtpulpfecenc's (FEC packets per media packet, in %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FecLevel {
    Off,
    /// Some loss: one FEC packet for about five media packets.
    Light(u32),
    /// Heavy loss: more protection.
    Strong(u32),
}

impl FecLevel {
    pub(crate) const LIGHT: FecLevel = FecLevel::Light(20);
    pub(crate) const STRONG: FecLevel = FecLevel::Strong(40);

    /// rtpulpfecenc's `percentage`.
    pub(crate) fn percentage(self) -> u32 {
        match self {
            FecLevel::Off => 0,
            FecLevel::Light(p) | FecLevel::Strong(p) => p,
        }
    }

    /// What the viewer's video costs with this level beside it, as a factor of the video.
    pub(crate) fn overhead(self) -> f64 {
        1.0 + f64::from(self.percentage()) / 100.0
    }
}

/// The reports over which loss is judged.
pub(crate) const WINDOW: Duration = Duration::from_secs(5);
/// Reports the window needs before loss counts as persistent.
const MIN_REPORTS: usize = 3;
/// FEC goes on where the window's mean loss is at least this and the RTT at least [`RTT_ON`].
const LOSS_ON: f64 = 0.01;
/// ... and off again below these.
const LOSS_OFF: f64 = 0.004;
/// Strong where the window's loss is at least this.
const LOSS_STRONG: f64 = 0.05;
/// Where a retransmission comes too late for a frame that should show.
const RTT_ON: f64 = 0.100;
const RTT_OFF: f64 = 0.070;
/// The least time between two changes of level.
pub(crate) const HOLD: Duration = Duration::from_secs(5);

/// The viewer's FEC level, decided from its receiver reports.
#[derive(Debug)]
pub(crate) struct FecChoice {
    level: FecLevel,
    reports: VecDeque<(Instant, f64)>,
    rtt: Option<f64>,
    changed: Option<Instant>,
}

impl FecChoice {
    pub(crate) fn new() -> Self {
        Self {
            level: FecLevel::Off,
            reports: VecDeque::new(),
            rtt: None,
            changed: None,
        }
    }

    pub(crate) fn level(&self) -> FecLevel {
        self.level
    }

    /// The window's mean loss, once it holds enough reports.
    fn loss(&self) -> Option<f64> {
        (self.reports.len() >= MIN_REPORTS)
            .then(|| self.reports.iter().map(|(_, l)| l).sum::<f64>() / self.reports.len() as f64)
    }

    /// Takes a receiver report; gives the new level where it changes.
    pub(crate) fn report(
        &mut self,
        now: Instant,
        loss: Option<f64>,
        rtt: Option<f64>,
    ) -> Option<FecLevel> {
        if let Some(loss) = loss {
            self.reports.push_back((now, loss.clamp(0.0, 1.0)));
        }
        while let Some(&(at, _)) = self.reports.front() {
            if now.duration_since(at) > WINDOW {
                self.reports.pop_front();
            } else {
                break;
            }
        }
        if rtt.is_some() {
            self.rtt = rtt;
        }
        if self.changed.is_some_and(|at| now.duration_since(at) < HOLD) {
            return None;
        }
        let (Some(loss), Some(rtt)) = (self.loss(), self.rtt) else {
            return None;
        };
        let next = match self.level {
            FecLevel::Off if loss >= LOSS_ON && rtt >= RTT_ON => strength(loss),
            FecLevel::Off => FecLevel::Off,
            _ if loss < LOSS_OFF || rtt < RTT_OFF => FecLevel::Off,
            _ => strength(loss),
        };
        if next == self.level {
            return None;
        }
        self.level = next;
        self.changed = Some(now);
        Some(next)
    }
}

fn strength(loss: f64) -> FecLevel {
    if loss >= LOSS_STRONG {
        FecLevel::STRONG
    } else {
        FecLevel::LIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a report a second for `secs` seconds; gives each change with its second.
    fn run(
        choice: &mut FecChoice,
        start: Instant,
        from: u64,
        secs: u64,
        loss: f64,
        rtt: f64,
    ) -> Vec<(u64, FecLevel)> {
        (from..from + secs)
            .filter_map(|s| {
                choice
                    .report(start + Duration::from_secs(s), Some(loss), Some(rtt))
                    .map(|l| (s, l))
            })
            .collect()
    }

    #[test]
    fn persistent_loss_at_a_long_rtt_turns_fec_on_and_clean_reports_turn_it_off() {
        let (mut c, t) = (FecChoice::new(), Instant::now());
        let on = run(&mut c, t, 0, 10, 0.02, 0.150);
        assert_eq!(on, vec![(2, FecLevel::LIGHT)], "after three lossy reports");
        assert_eq!(run(&mut c, t, 10, 20, 0.02, 0.150), vec![]);
        let off = run(&mut c, t, 30, 20, 0.0, 0.150);
        assert_eq!(off.len(), 1, "{off:?}");
        assert_eq!(off[0].1, FecLevel::Off);
        assert!(off[0].0 >= 32, "once the window is clean enough: {off:?}");
    }

    #[test]
    fn a_short_rtt_leaves_loss_to_retransmissions() {
        let (mut c, t) = (FecChoice::new(), Instant::now());
        assert_eq!(run(&mut c, t, 0, 30, 0.03, 0.040), vec![]);
        assert_eq!(c.level(), FecLevel::Off);
    }

    #[test]
    fn one_lossy_report_is_not_persistent_loss() {
        let (mut c, t) = (FecChoice::new(), Instant::now());
        assert_eq!(run(&mut c, t, 0, 5, 0.0, 0.200), vec![]);
        assert_eq!(run(&mut c, t, 5, 1, 0.04, 0.200), vec![]);
        assert_eq!(run(&mut c, t, 6, 10, 0.0, 0.200), vec![]);
    }

    #[test]
    fn heavy_loss_is_strong_and_the_level_holds_between_changes() {
        let (mut c, t) = (FecChoice::new(), Instant::now());
        assert_eq!(
            run(&mut c, t, 0, 3, 0.08, 0.200),
            vec![(2, FecLevel::STRONG)]
        );
        // Loss that ends at once: each level holds its HOLD, down to light, then off.
        let off = run(&mut c, t, 3, 30, 0.0, 0.200);
        let levels: Vec<FecLevel> = off.iter().map(|(_, l)| *l).collect();
        assert_eq!(levels, vec![FecLevel::LIGHT, FecLevel::Off], "{off:?}");
        assert!(off[0].0 >= 2 + HOLD.as_secs(), "{off:?}");
        assert!(off[1].0 >= off[0].0 + HOLD.as_secs(), "{off:?}");
        // Between LOSS_OFF and LOSS_ON it stays as it is, on or off (hysteresis).
        let (mut c, t) = (FecChoice::new(), Instant::now());
        run(&mut c, t, 0, 5, 0.02, 0.150);
        assert_eq!(run(&mut c, t, 5, 30, 0.006, 0.150), vec![]);
        assert_eq!(c.level(), FecLevel::LIGHT);
        let (mut c, t) = (FecChoice::new(), Instant::now());
        assert_eq!(run(&mut c, t, 0, 30, 0.006, 0.150), vec![]);
    }

    #[test]
    fn rtt_that_falls_turns_it_off_and_the_overhead_follows_the_level() {
        let (mut c, t) = (FecChoice::new(), Instant::now());
        run(&mut c, t, 0, 5, 0.02, 0.150);
        let off = run(&mut c, t, 5, 10, 0.02, 0.030);
        assert_eq!(
            off.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
            vec![FecLevel::Off]
        );
        assert_eq!(FecLevel::Off.overhead(), 1.0);
        assert!((FecLevel::LIGHT.overhead() - 1.2).abs() < 1e-9);
        assert_eq!(FecLevel::STRONG.percentage(), 40);
    }

    fn controller_actions(taken: bool) -> (Vec<super::super::Action>, super::super::Controller) {
        use super::super::{Bitrate, Controller, Input, Limits};
        let mut c = Controller::new(Limits {
            start: Bitrate::bps(1_000_000),
            min: Bitrate::bps(100_000),
            max: Bitrate::bps(3_000_000),
            estimator: false,
        });
        let t = Instant::now();
        if taken {
            c.handle_input(t, Input::FecTaken);
        }
        for s in 0..10 {
            let report = Input::Report {
                loss: Some(0.02),
                rtt: Some(0.150),
                nacks: s,
                ladder: None,
            };
            c.handle_input(t + Duration::from_secs(s), report);
        }
        (std::iter::from_fn(|| c.poll_output()).collect(), c)
    }

    #[test]
    fn the_controller_gives_fec_only_where_the_answer_took_it_and_leaves_it_room() {
        use super::super::Action;
        let fec = |actions: Vec<Action>| -> Vec<Action> {
            actions
                .into_iter()
                .filter(|a| matches!(a, Action::Fec(_)))
                .collect()
        };
        let (actions, c) = controller_actions(true);
        assert_eq!(
            fec(actions),
            vec![Action::Fec(FecLevel::Off), Action::Fec(FecLevel::LIGHT)]
        );
        let (without, plain) = controller_actions(false);
        assert_eq!(fec(without), vec![Action::Fec(FecLevel::Off)]);
        // What the rungs may cost comes out of the estimate less FEC's 20 %.
        assert_eq!(c.fec_level(), FecLevel::LIGHT);
        assert_eq!(plain.fec_level(), FecLevel::Off);
        assert!((FecLevel::LIGHT.overhead() - 1.2).abs() < 1e-9);
    }
}
