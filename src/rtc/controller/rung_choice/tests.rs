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
        Some(Move::ProbeFailed(bps(985_500)))
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
        Some(Move::ProbeFailed(bps(985_500)))
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
    assert_eq!(
        d.decide(&fine, bps(1_050_000), None, at(4.0) + BACKOFF),
        Some(Move::Probe(1))
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
    // Not a failed step up: held while GCC climbs back, then judged by the estimate.
    assert_eq!(c.decide(&fine, bps(700_000), None, failed + SETTLE), None);
    assert_eq!(
        c.decide(&fine, bps(700_000), None, failed + AFTER_PROBE),
        Some(Move::Down(3))
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
    let after_backoff = at(5.5) + BACKOFF;
    assert_eq!(
        f.decide(&fine, bps(1_050_000), None, after_backoff),
        Some(Move::Probe(1))
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
