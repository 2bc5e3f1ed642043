//! Scenario plans: the controller on model links ([`super::sim`]) that step, ramp, lose in
//! bursts, delay feedback and break under probes, minutes of them in milliseconds. The
//! numbers asserted are today's behaviour on the ladder of [`sim::ladder`] (2.6, 1.2 and
//! 0.5 Mbit/s), with room for small changes of the rules.

use std::time::Duration;

use super::sim::{self, LinkPlan, Sim};
use super::{Action, Bitrate};

const TOP: usize = 0;
const BOTTOM: usize = 2;

fn bps(b: u32) -> Bitrate {
    Bitrate::bps(b)
}

fn moves(sim: &Sim, from: f64, to: f64) -> usize {
    sim.actions
        .iter()
        .filter(|(t, a)| {
            *t >= from && *t <= to && matches!(a, Action::MoveTo { joined: false, .. })
        })
        .count()
}

#[test]
fn a_link_that_steps_down_and_back_is_followed_both_ways() {
    let plan = LinkPlan {
        capacity: Box::new(|t| {
            bps(if (20.0..50.0).contains(&t) {
                1_000_000
            } else {
                5_000_000
            })
        }),
        ..LinkPlan::steady(0)
    };
    let mut sim = Sim::new(plan, sim::ladder());
    sim.run_until(130.0);
    assert!(
        sim.reached(TOP, 0.0).is_some_and(|t| t < 10.0),
        "climbs at first"
    );
    // Down within a second of the step, to the rung the link fits, and never above it for
    // long while the link stays slow.
    let down = sim.reached(BOTTOM, 20.0).expect("down");
    assert!(down - 20.0 <= 1.0, "down after {:.1} s", down - 20.0);
    assert!(sim.longest_over_capacity(21.0, 50.0) <= 1.0);
    assert_eq!(sim.rung_at(49.9), BOTTOM);
    // Back up once the link is: failed steps up while it was slow put off the next one
    // (backoff doubling to a minute), then it climbs rung by rung.
    let up = sim.reached(TOP, 50.0).expect("back to the top");
    assert!(up - 50.0 <= 75.0, "back after {:.1} s", up - 50.0);
}

#[test]
fn a_ramp_is_climbed_without_outrunning_the_link() {
    let plan = LinkPlan {
        capacity: Box::new(|t| bps((300_000.0 + 3_700_000.0 * (t / 60.0).min(1.0)) as u32)),
        ..LinkPlan::steady(0)
    };
    let mut sim = Sim::new(plan, sim::ladder());
    sim.run_until(150.0);
    // The ramp starts below even the smallest rung (0.5 Mbit/s, carried from 3.3 s on):
    // from then on, never above the link for long.
    assert_eq!(sim.rung_at(1.0), BOTTOM, "down at once");
    assert!(sim.longest_over_capacity(3.5, 150.0) <= 1.0);
    let mid = sim.reached(1, 5.0).expect("the middle rung");
    let top = sim.reached(TOP, mid).expect("the top rung");
    assert!(top < 150.0, "top at {top:.1} s");
}

#[test]
fn bursts_of_loss_hold_a_viewer_and_do_not_shake_it() {
    let plan = LinkPlan {
        capacity: Box::new(|_| bps(1_800_000)),
        // 8 % lost for 2 s of every 6.
        loss: Box::new(|t| if t % 6.0 < 2.0 { 0.08 } else { 0.0 }),
        ..LinkPlan::steady(0)
    };
    let mut sim = Sim::new(plan, sim::ladder());
    sim.run_until(90.0);
    // The link fits the middle rung, and its bursts of loss are no reason to leave it.
    assert!(sim.longest_over_capacity(5.0, 90.0) <= 1.0);
    assert_eq!(sim.rung_at(89.9), 1);
    assert!(moves(&sim, 10.0, 90.0) <= 2, "{:?}", sim.actions);
}

#[test]
fn round_trips_from_20_to_400_ms_settle_on_the_rung_the_link_fits() {
    for rtt in [20, 100, 200, 400] {
        for (capacity, fits) in [(1_000_000, BOTTOM), (1_800_000, 1), (5_000_000, TOP)] {
            let plan = LinkPlan {
                rtt: Duration::from_millis(rtt),
                ..LinkPlan::steady(capacity)
            };
            let mut sim = Sim::new(plan, sim::ladder());
            sim.run_until(60.0);
            let what = format!("RTT {rtt} ms, {capacity} bit/s");
            assert_eq!(sim.rung_at(59.9), fits, "{what}");
            assert!(sim.longest_over_capacity(5.0, 60.0) <= 1.0, "{what}");
        }
    }
}

/// Their feedback on probes made GCC collapse within a few hundred ms (seen with Firefox and
/// Janus on loopback, and with Chromium behind a full 1.2 Mbit/s queue). Learnt from that
/// feedback, with no word of who the peer is: after two collapses, plain trials.
#[test]
fn a_peer_whose_feedback_collapses_under_probes_climbs_by_trials() {
    let plan = LinkPlan {
        collapses_under_probes: true,
        ..LinkPlan::steady(5_000_000)
    };
    let mut sim = Sim::new(plan, sim::ladder());
    sim.run_until(40.0);
    assert_eq!(sim.probes_started(), 2, "{:?}", sim.actions);
    assert!(sim.actions.iter().any(|(_, a)| *a == Action::Probes(false)));
    // Two collapses a backoff apart (6 s), then twice that before the trial.
    let top = sim.reached(TOP, 0.0).expect("the top rung");
    assert!((15.0..=25.0).contains(&top), "top at {top:.1} s");
    assert_eq!(sim.rung_at(39.9), TOP);
}

/// The same peer behind a link with no room: its plain trial fails as its probes did, and
/// from then on probes are believed again, so it does not keep trying rungs that freeze.
#[test]
fn a_collapsing_peer_on_a_full_link_goes_back_to_probes() {
    let plan = LinkPlan {
        collapses_under_probes: true,
        ..LinkPlan::steady(1_800_000)
    };
    let mut sim = Sim::new(plan, sim::ladder());
    sim.run_until(120.0);
    assert!(sim.actions.iter().any(|(_, a)| *a == Action::Probes(true)));
    assert!(moves(&sim, 10.0, 120.0) <= 6, "{:?}", sim.actions);
    assert_eq!(sim.rung_at(119.9), 1, "{:?}", sim.actions);
}

/// Each viewer has its own controller on the same ladder: a bad link behind one never
/// lowers another's picture.
#[test]
fn a_viewer_on_a_bad_link_never_lowers_one_on_a_good_link() {
    let mut good = Sim::new(LinkPlan::steady(5_000_000), sim::ladder());
    let mut bad = Sim::new(
        LinkPlan {
            capacity: Box::new(|t| bps(if t < 10.0 { 5_000_000 } else { 400_000 })),
            loss: Box::new(|t| if t > 10.0 { 0.05 } else { 0.0 }),
            rtt: Duration::from_millis(300),
            collapses_under_probes: false,
        },
        sim::ladder(),
    );
    for second in 1..=60 {
        good.run_until(f64::from(second));
        bad.run_until(f64::from(second));
    }
    let top = good.reached(TOP, 0.0).expect("the good link climbs");
    assert!(good
        .samples
        .iter()
        .filter(|s| s.seconds > top)
        .all(|s| s.rung == TOP));
    assert_eq!(bad.rung_at(59.9), BOTTOM);
}

/// The 480p ladder of six rungs, as the bench's sample costs it with sound: full, five
/// sixths, two thirds, a half, five twelfths and a third.
fn fine_ladder() -> Vec<Option<Bitrate>> {
    [1_330_000, 940_000, 730_000, 525_000, 378_000, 255_000]
        .into_iter()
        .map(|b| Some(bps(b)))
        .collect()
}

#[test]
fn on_the_fine_ladder_each_link_gets_the_biggest_rung_it_carries() {
    // (link, the rung it should settle on): 1.2 Mbit/s carries five sixths, 600 kbit/s a
    // half, a clean link the full size, reached as fast as on a ladder of thirds.
    for (capacity, rung) in [(1_200_000, 1), (600_000, 3), (5_000_000, TOP)] {
        let mut sim = Sim::new(LinkPlan::steady(capacity), fine_ladder());
        sim.run_until(60.0);
        let reached = sim.reached(rung, 0.0);
        assert!(
            reached.is_some_and(|t| t < 20.0),
            "{capacity} bit/s: rung {rung} at {reached:?}"
        );
        if rung == TOP {
            assert!(reached.is_some_and(|t| t < 4.0), "the top at {reached:?}");
        }
        assert_eq!(sim.rung_at(59.9), rung, "{capacity} bit/s at the end");
        assert!(
            sim.longest_over_capacity(20.0, 60.0) <= 1.0,
            "{capacity} bit/s: over the link for long"
        );
    }
}

#[test]
fn on_the_ladder_of_steps_each_link_gets_the_biggest_step_it_carries() {
    // The fine ladder's video rates with sound beside them, each rung below the full size
    // also raised (see `steps`): behind 1.2 Mbit/s five sixths raised fits where the full
    // size does not.
    let video = [1_230_000, 855_000, 655_000, 460_000, 320_000, 205_000].map(|b| Some(bps(b)));
    let costs = super::step_costs(&video, bps(40_000));
    assert_eq!(costs.len(), 11);
    for capacity in [1_200_000, 600_000, 5_000_000] {
        let carried = |s: &usize| costs[*s].is_some_and(|c| c.as_bps() <= capacity);
        let best = (0..costs.len()).find(carried).unwrap();
        let mut sim = Sim::new(LinkPlan::steady(capacity), costs.clone());
        sim.run_until(60.0);
        let reached = sim.reached(best, 0.0);
        assert!(
            reached.is_some_and(|t| t < 20.0),
            "{capacity} bit/s: step {best} at {reached:?}"
        );
        assert_eq!(sim.rung_at(59.9), best, "{capacity} bit/s at the end");
        assert!(
            sim.longest_over_capacity(20.0, 60.0) <= 1.0,
            "{capacity} bit/s: over the link for long"
        );
    }
    assert_eq!(
        super::Step::at(1),
        super::Step {
            rung: 1,
            raised: true
        }
    );
}
