//! A viewer's ladder of steps: each rung of the encode-once ladder at its nominal rate and,
//! below the full size, the same rung with its encoder's target raised. A raised step sits
//! between a rung and the next bigger one, so a link gets a rate close to what it carries
//! where the sizes alone are 1.3-1.5x apart: behind 1.2 Mbit/s the five-sixths rung was the
//! most that fit (64 % of the link) and the full size did not. The controller chooses steps
//! as it chose rungs; a step's raise needs no keyframe and no other encoder, and is applied
//! to a rung only while every viewer on it stands on its raised step (see
//! [`raise_rung`]), so one viewer's link never lowers what another's carries.

use super::bitrate::Bitrate;
use super::rung_choice::{cost, start_rung};

/// A raised step's encoder target against the rung's nominal rate.
pub(crate) const RAISE: f64 = 1.12;

/// A raised step is left out where it would cost this near the next bigger rung or more:
/// the bigger picture at that rate looks better.
const NEAR_BIGGER: f64 = 0.95;

/// One step: a rung of the ladder (0 is the full size), raised or at its nominal rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    pub rung: usize,
    pub raised: bool,
}

impl Step {
    /// The step at `index` of a viewer's ladder: the full size, then each smaller rung
    /// raised and nominal.
    pub(crate) fn at(index: usize) -> Self {
        Self {
            rung: index.div_ceil(2),
            raised: index % 2 == 1,
        }
    }

    pub(crate) fn nominal(rung: usize) -> Self {
        Self {
            rung,
            raised: false,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self.rung {
            0 => 0,
            rung => 2 * rung - usize::from(self.raised),
        }
    }
}

/// What a viewer on each step receives, from each rung's video rate at its nominal target
/// (`None`: not usable) and the audio beside it.
pub(crate) fn step_costs(video: &[Option<Bitrate>], audio: Bitrate) -> Vec<Option<Bitrate>> {
    let nominal: Vec<Option<Bitrate>> = video.iter().map(|v| v.map(|v| cost(v, audio))).collect();
    let steps = (2 * video.len()).saturating_sub(1);
    (0..steps)
        .map(|index| {
            let Step { rung, raised } = Step::at(index);
            let at = nominal[rung]?;
            if !raised {
                return Some(at);
            }
            let up = cost(video[rung]?.scale(RAISE), audio);
            // The next bigger rung that is usable, if any.
            let bigger = (0..rung).rev().find_map(|i| nominal[i]);
            match bigger {
                Some(b) if up.as_f64() >= b.as_f64() * NEAR_BIGGER => None,
                _ => Some(up),
            }
        })
        .collect()
}

/// The step a joiner starts on: its start rung at the nominal rate.
pub(crate) fn start_step<T>(rungs: &[Option<T>]) -> usize {
    Step::nominal(start_rung(rungs)).index()
}

/// Whether rung `rung` runs raised, given the step of each viewer fed from it: only while
/// there is one and every one stands on its raised step.
pub(crate) fn raise_rung(rung: usize, viewers: impl IntoIterator<Item = usize>) -> bool {
    let mut any = false;
    for index in viewers {
        let step = Step::at(index);
        if step.rung == rung && !step.raised {
            return false;
        }
        any = true;
    }
    any && rung > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bps(b: u32) -> Bitrate {
        Bitrate::bps(b)
    }

    #[test]
    fn steps_are_the_full_size_then_each_rung_raised_and_nominal() {
        let steps: Vec<(usize, bool)> = (0..5)
            .map(|i| (Step::at(i).rung, Step::at(i).raised))
            .collect();
        assert_eq!(
            steps,
            [(0, false), (1, true), (1, false), (2, true), (2, false)]
        );
        for index in 0..11 {
            assert_eq!(Step::at(index).index(), index);
        }
        assert_eq!(Step::nominal(2).index(), 4);
        assert_eq!(start_step(&[Some(()); 6]), 4, "two thirds, nominal");
    }

    #[test]
    fn a_raised_step_costs_its_raise_and_is_left_out_near_the_bigger_rung() {
        let audio = bps(40_000);
        // Five sixths raised (0.96 Mbit/s of video) would cost as much as the full size.
        let video = [
            Some(bps(1_000_000)),
            Some(bps(850_000)),
            None,
            Some(bps(500_000)),
        ];
        let costs = step_costs(&video, audio);
        assert_eq!(costs.len(), 7);
        assert_eq!(costs[0], Some(cost(bps(1_000_000), audio)));
        assert_eq!(costs[1], None, "too near the full size");
        assert_eq!(costs[2], Some(cost(bps(850_000), audio)));
        assert_eq!((costs[3], costs[4]), (None, None), "a rung not usable");
        assert_eq!(costs[5], Some(cost(bps(560_000), audio)));
        assert_eq!(costs[6], Some(cost(bps(500_000), audio)));
    }

    #[test]
    fn a_rung_is_raised_only_while_every_viewer_on_it_stands_on_its_raised_step() {
        assert!(raise_rung(1, [1, 1]));
        assert!(
            !raise_rung(1, [1, 2]),
            "one viewer's link carries only the nominal rate"
        );
        assert!(!raise_rung(1, []), "nobody watches");
        assert!(!raise_rung(0, [0]), "the full size never");
    }
}
