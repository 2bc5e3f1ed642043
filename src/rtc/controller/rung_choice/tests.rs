//! The rung choice's rules, one by one, in simulated time.

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
        c.decide(&COSTS, bps(1_900_000), None, at(30.0)),
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
    // And held there while the step's burst drains: the estimate still below that
    // rung's cost a moment later moves nothing, after the settling time it does.
    assert_eq!(c.decide(&COSTS, bps(850_000), None, at(2.4)), None);
    assert_eq!(
        c.decide(&COSTS, bps(850_000), None, at(2.2) + SETTLE),
        Some(Move::Down(2))
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
        Some(Move::ProbeFailed(bps(1_320_000)))
    );
}

#[test]
fn on_a_fine_ladder_a_probe_reaches_past_a_step_and_then_for_the_nearer_one() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    // The 480p ladder of six rungs as the bench's sample costs it with sound.
    let fine = [
        Some(bps(1_330_000)),
        Some(bps(940_000)),
        Some(bps(730_000)),
        Some(bps(525_000)),
        Some(bps(378_000)),
        Some(bps(255_000)),
    ];
    // A clean link: one probe from the middle to the full size.
    let mut c = RungChoice::start(&fine, true, t0);
    assert_eq!(c.rung, 2);
    assert_eq!(
        c.decide(&fine, bps(1_050_000), None, at(2.0)),
        Some(Move::Probe(0))
    );
    assert_eq!(
        c.decide(&fine, bps(1_300_000), None, at(3.0)),
        Some(Move::Up(0))
    );
    // Behind 1.2 Mbit/s: the full size does not fit, and once the probe's congestion
    // has drained five sixths is probed, not after a backoff.
    let mut c = RungChoice::start(&fine, true, t0);
    c.decide(&fine, bps(1_050_000), None, at(2.0));
    assert_eq!(
        c.decide(&fine, bps(1_100_000), None, at(3.0)),
        Some(Move::ProbeFailed(bps(803_000)))
    );
    assert_eq!(c.decide(&fine, bps(1_050_000), None, at(3.5)), None);
    assert_eq!(
        c.decide(&fine, bps(1_050_000), None, at(3.0) + SETTLE),
        Some(Move::Probe(1))
    );
    assert_eq!(
        c.decide(&fine, bps(1_000_000), None, at(5.5)),
        Some(Move::Up(1))
    );
    // A probe past a nearer rung that collapses the estimate found a full link: it is
    // not held against the peer's feedback, and probes go on after two such.
    let mut d = RungChoice::start(&fine, true, t0);
    d.decide(&fine, bps(1_050_000), None, at(2.0));
    assert_eq!(
        d.decide(&fine, bps(600_000), None, at(2.2)),
        Some(Move::ProbeFailed(bps(803_000)))
    );
    assert_eq!(
        d.decide(&fine, bps(1_050_000), None, at(2.2) + SETTLE),
        Some(Move::Probe(1))
    );
    assert_eq!(
        d.decide(&fine, bps(600_000), None, at(4.0)),
        Some(Move::ProbeFailed(bps(803_000)))
    );
    assert!(d.probes(), "one collapse of a near probe");
    // Probes go on, the near step that failed waiting longer than the backoff.
    assert_eq!(
        d.decide(&fine, bps(1_050_000), None, at(4.0) + BACKOFF),
        None
    );
    assert_eq!(
        d.decide(&fine, bps(1_050_000), None, at(4.0) + CAREFUL_TIME),
        Some(Move::Probe(0))
    );
    // On the smallest rung with an estimate grown far past what the link carries (as
    // rtpgccbwe's does when nothing congests it), the probe reaches one step.
    let mut e = RungChoice::start(&fine, true, t0);
    e.rung = 5;
    assert_eq!(
        e.decide(&fine, bps(1_330_000), None, at(2.0)),
        Some(Move::Probe(4))
    );
    // Once on five sixths the full size is the nearest rung up, probed as any; the step
    // there has held, and the probe's congestion is not taken for its failure.
    assert_eq!(
        c.decide(&fine, bps(1_300_000), None, at(5.5) + HOLD),
        Some(Move::Probe(0))
    );
    let failed = at(5.7) + HOLD;
    assert!(matches!(
        c.decide(&fine, bps(700_000), None, failed),
        Some(Move::ProbeFailed(_))
    ));
    // Not a failed step up: held while GCC climbs back, then judged by the estimate, one
    // step down as the estimate clears the next step's bar.
    assert_eq!(c.decide(&fine, bps(700_000), None, failed + SETTLE), None);
    assert_eq!(
        c.decide(&fine, bps(700_000), None, failed + AFTER_PROBE),
        Some(Move::Down(2))
    );
    // While the viewer stays where a far probe failed, the rung it reached for waits.
    let mut f = RungChoice::start(&fine, true, t0);
    f.decide(&fine, bps(1_050_000), None, at(2.0));
    f.decide(&fine, bps(1_100_000), None, at(3.0));
    f.decide(&fine, bps(1_050_000), None, at(4.5));
    assert_eq!(
        f.decide(&fine, bps(800_000), None, at(5.5)),
        Some(Move::ProbeFailed(bps(803_000)))
    );
    // The near rung that failed then waits too, longer than the backoff.
    let after_backoff = at(5.5) + BACKOFF;
    assert_eq!(f.decide(&fine, bps(1_050_000), None, after_backoff), None);
    assert_eq!(
        f.decide(&fine, bps(1_050_000), None, at(5.5) + CAREFUL_TIME),
        Some(Move::Probe(0))
    );
    let mut f = RungChoice::start(&fine, true, t0);
    f.decide(&fine, bps(1_050_000), None, at(2.0));
    f.decide(&fine, bps(1_100_000), None, at(3.0));
    assert_eq!(
        f.decide(&fine, bps(1_050_000), None, at(3.0) + CEILING_TIME),
        Some(Move::Probe(0))
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
        Some(Move::ProbeFailed(bps(1_320_000)))
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
    // ends and the estimate from before it is given back (at most what the rung needs to
    // climb); the viewer stays.
    assert_eq!(
        c.decide(&COSTS, bps(600_000), None, at(8.7)),
        Some(Move::ProbeFailed(bps(1_320_000)))
    );
    assert_eq!(c.probing(), None);
    // Held while the probe's congestion drains; still that low afterwards, the link
    // itself fell, and the viewer goes down.
    assert_eq!(c.decide(&COSTS, bps(600_000), None, at(9.0)), None);
    assert_eq!(
        c.decide(&COSTS, bps(600_000), None, at(8.7) + AFTER_PROBE),
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
        // The estimate fell to 0.4 of what it was and 0.6 of what the viewer's rung
        // costs, within the probe: a collapse.
        assert_eq!(
            c.decide(&COSTS, bps(700_000), None, at(end)),
            Some(Move::ProbeFailed(bps(1_320_000)))
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
fn a_failed_probe_from_an_estimate_grown_past_the_link_is_no_collapse() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let mut c = RungChoice::start(&COSTS, true, t0);
    for (probe, end) in [(2.0, 2.4), (8.5, 8.7), (21.0, 21.2)] {
        assert_eq!(
            c.decide(&COSTS, bps(3_000_000), None, at(probe)),
            Some(Move::Probe(0))
        );
        // A third of the estimate before, but 0.8 of what the viewer's rung costs.
        c.decide(&COSTS, bps(1_000_000), None, at(end));
    }
    assert!(c.probes());
}

#[test]
fn a_joiner_starts_on_the_bigger_middle_of_the_usable_rungs() {
    let some = |n: usize| vec![Some(1); n];
    assert_eq!(start_rung(&some(6)), 2, "two thirds of six");
    assert_eq!(start_rung(&some(5)), 2);
    assert_eq!(start_rung(&some(3)), 1);
    assert_eq!(start_rung(&[Some(1), Some(2), None]), 0);
    assert_eq!(start_rung::<u32>(&[None; 6]), 2, "sizes not known yet");
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

#[test]
fn a_step_that_went_away_does_not_restart_the_hold() {
    let t0 = Instant::now();
    let mut c = RungChoice::start(&COSTS, false, t0);
    let up = t0 + Duration::from_secs(2);
    assert_eq!(
        c.decide(&COSTS, bps(3_600_000), Some(0.0), up),
        Some(Move::Up(0))
    );
    // Measured costs: the full size is gone, the viewer goes where its link said nothing.
    let measured = [None, Some(bps(1_100_000)), Some(bps(450_000))];
    let gone = up + Duration::from_secs(1);
    assert_eq!(
        c.decide(&measured, bps(3_600_000), Some(0.0), gone),
        Some(Move::Down(1))
    );
    // The hold counts from the step up, not from the step that went away.
    let bigger = [
        Some(bps(1_400_000)),
        Some(bps(1_100_000)),
        Some(bps(450_000)),
    ];
    let held = up + HOLD;
    assert_eq!(
        c.decide(
            &bigger,
            bps(3_600_000),
            Some(0.0),
            held - Duration::from_millis(1)
        ),
        None
    );
    assert_eq!(
        c.decide(&bigger, bps(3_600_000), Some(0.0), held),
        Some(Move::Up(0))
    );
}

#[test]
fn after_a_probe_that_reached_too_far_the_nearer_rung_is_probed_on_the_estimate_before_it() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let fine = [1_330_000, 940_000, 730_000, 525_000].map(|b| Some(bps(b)));
    let mut c = RungChoice::start(&fine, true, t0);
    assert_eq!(c.rung, 1);
    c.rung = 2;
    assert_eq!(
        c.decide(&fine, bps(1_050_000), None, at(2.0)),
        Some(Move::Probe(0))
    );
    assert!(matches!(
        c.decide(&fine, bps(600_000), None, at(2.2)),
        Some(Move::ProbeFailed(_))
    ));
    // GCC's estimate is still down in that probe's congestion: the nearer rung is probed
    // all the same, once, as the estimate before the failed probe showed room for it.
    assert_eq!(
        c.decide(&fine, bps(650_000), None, at(2.2) + PROBE_TIME),
        Some(Move::Probe(1))
    );
    assert!(matches!(
        c.decide(&fine, bps(600_000), None, at(2.4) + PROBE_TIME),
        Some(Move::ProbeFailed(_))
    ));
    let later = at(2.4) + PROBE_TIME + BACKOFF;
    assert_eq!(c.decide(&fine, bps(700_000), None, later), None);
    // Only once: a probe on that room that reached past a nearer rung and failed too
    // leaves no room for the next.
    let even = [1_000_000, 900_000, 800_000, 700_000, 600_000].map(|b| Some(bps(b)));
    let mut d = RungChoice::start(&even, true, t0);
    d.rung = 4;
    assert_eq!(
        d.decide(&even, bps(850_000), None, at(2.0)),
        Some(Move::Probe(0))
    );
    assert!(matches!(
        d.decide(&even, bps(400_000), None, at(2.2)),
        Some(Move::ProbeFailed(_))
    ));
    assert_eq!(
        d.decide(&even, bps(450_000), None, at(2.2) + PROBE_TIME),
        Some(Move::Probe(1))
    );
    assert!(matches!(
        d.decide(&even, bps(400_000), None, at(2.4) + PROBE_TIME),
        Some(Move::ProbeFailed(_))
    ));
    let soon = at(2.4) + PROBE_TIME * 2;
    assert_eq!(d.decide(&even, bps(450_000), None, soon), None);
}

/// The eleven steps of the bench's 480p sample with sound (full size, then each smaller rung
/// raised and nominal).
const STEPS: [u32; 11] = [
    1_358_000, 1_069_000, 962_000, 837_000, 754_000, 608_000, 550_000, 442_000, 402_000, 308_000,
    282_000,
];

#[test]
fn after_a_failed_probe_probes_reach_only_under_what_it_wanted_for_a_while() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    // Behind 600 kbit/s on a half (550k), GCC's estimate grown to 1.5x what arrives.
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 6;
    assert_eq!(
        c.decide(&steps, bps(750_000), None, at(4.0)),
        Some(Move::Probe(2))
    );
    assert!(matches!(
        c.decide(&steps, bps(500_000), None, at(4.2)),
        Some(Move::ProbeFailed(_))
    ));
    // Down a step, and the estimate grown again: the next probe is for a step under 0.95
    // of what failed, not as far as the estimate reaches.
    c.rung = 7;
    let later = at(4.2) + BACKOFF;
    assert_eq!(
        c.decide(&steps, bps(750_000), None, later),
        Some(Move::Probe(3))
    );
    assert!(matches!(
        c.decide(
            &steps,
            bps(500_000),
            None,
            later + Duration::from_millis(200)
        ),
        Some(Move::ProbeFailed(_))
    ));
    // The least that failed counts: 0.95 of 837k.
    let again = later + Duration::from_millis(200) + BACKOFF * 2;
    assert_eq!(
        c.decide(&steps, bps(750_000), None, again),
        Some(Move::Probe(4))
    );
    c.decide(
        &steps,
        bps(500_000),
        None,
        again + Duration::from_millis(200),
    );
    // Once no probe has failed for a while, a probe reaches as far as before.
    let quiet = again + Duration::from_millis(200) + CAREFUL_TIME;
    assert_eq!(
        c.decide(&steps, bps(750_000), None, quiet),
        Some(Move::Probe(3))
    );
}

#[test]
fn a_step_held_for_a_while_goes_down_one_step_where_the_estimate_clears_it() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    // On five sixths raised behind 1.2 Mbit/s, one GCC back-off to 0.74 of its cost: five
    // sixths (the same rung, no keyframe), not a half as landing by 0.8 would.
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 1;
    assert_eq!(
        c.decide(&steps, bps(790_000), None, at(10.0)),
        Some(Move::Down(2))
    );
    // Just after a move, down by what fits: the estimate of a joiner still falling.
    assert_eq!(
        c.decide(&steps, bps(700_000), None, at(10.5)),
        Some(Move::Down(6))
    );
    // A link that fell far: by what fits.
    let mut d = RungChoice::start(&steps, true, t0);
    d.rung = 0;
    assert_eq!(
        d.decide(&steps, bps(510_000), None, at(10.0)),
        Some(Move::Down(8))
    );
}

#[test]
fn no_probe_on_the_room_from_before_while_the_estimate_is_under_the_viewers_step() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 6;
    assert_eq!(
        c.decide(&steps, bps(750_000), None, at(4.0)),
        Some(Move::Probe(2))
    );
    assert!(matches!(
        c.decide(&steps, bps(500_000), None, at(4.2)),
        Some(Move::ProbeFailed(_))
    ));
    // The probe's congestion has not drained: GCC at half the step's cost.
    assert_eq!(c.decide(&steps, bps(280_000), None, at(5.3)), None);
    // Drained: a nearer step, on the room from before.
    assert_eq!(
        c.decide(&steps, bps(500_000), None, at(5.5)),
        Some(Move::Probe(3))
    );
}

#[test]
fn a_second_far_probe_that_fails_in_a_row_waits_as_after_a_near_one() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 9;
    assert_eq!(
        c.decide(&steps, bps(600_000), None, at(4.0)),
        Some(Move::Probe(5))
    );
    assert!(matches!(
        c.decide(&steps, bps(300_000), None, at(4.2)),
        Some(Move::ProbeFailed(_))
    ));
    // Soon, a nearer step on the room from before.
    assert_eq!(
        c.decide(&steps, bps(300_000), None, at(5.3)),
        Some(Move::Probe(6))
    );
    assert!(matches!(
        c.decide(&steps, bps(300_000), None, at(5.5)),
        Some(Move::ProbeFailed(_))
    ));
    // Failed too: no probe a second later, one after the backoff.
    assert_eq!(c.decide(&steps, bps(600_000), None, at(6.6)), None);
    assert_eq!(
        c.decide(&steps, bps(600_000), None, at(5.5) + BACKOFF),
        Some(Move::Probe(7))
    );
}

#[test]
fn a_near_step_waits_after_its_second_failed_probe_not_its_first() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    // On five sixths raised (1069k); the full size (1358k) is near.
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 1;
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, at(4.0)),
        Some(Move::Probe(0))
    );
    assert!(matches!(
        c.decide(&steps, bps(1_200_000), None, at(4.2)),
        Some(Move::ProbeFailed(_))
    ));
    // One failure may be the estimator's wandering: probed again after the backoff.
    let first = at(4.2) + BACKOFF;
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, first),
        Some(Move::Probe(0))
    );
    let failed = first + Duration::from_millis(200);
    assert!(matches!(
        c.decide(&steps, bps(1_200_000), None, failed),
        Some(Move::ProbeFailed(_))
    ));
    // The second failure: the link is about full, and the near step waits out the careful
    // time, past the doubled backoff.
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, failed + BACKOFF * 2),
        None
    );
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, failed + CAREFUL_TIME),
        Some(Move::Probe(0))
    );
}

#[test]
fn a_near_step_waits_after_one_failed_probe_where_the_link_queued() {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let steps = STEPS.map(|b| Some(bps(b)));
    let mut c = RungChoice::start(&steps, true, t0);
    c.rung = 1;
    c.report_rtt(Some(0.002));
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, at(4.0)),
        Some(Move::Probe(0))
    );
    // Behind a full link's queue the round trip grew 50 ms.
    c.report_rtt(Some(0.052));
    assert!(matches!(
        c.decide(&steps, bps(1_200_000), None, at(4.2)),
        Some(Move::ProbeFailed(_))
    ));
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, at(4.2) + BACKOFF),
        None
    );
    assert_eq!(
        c.decide(&steps, bps(1_500_000), None, at(4.2) + CAREFUL_TIME),
        Some(Move::Probe(0))
    );
}
