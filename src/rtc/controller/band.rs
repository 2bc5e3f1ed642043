//! A rung's encoder target within a band around its nominal rate, to fit the viewers on it:
//! a viewer alone on a rung can pull it down to the band's low end or raise it to its high
//! end, and a rung shared by several gets what the least of them leaves for video. Whoever
//! would lower a rung below what its other viewers' links carry may not join it: the least
//! a rung would cost with one more viewer on it is [`rung_floors`], which the rung choice
//! fits to the link.

use super::bitrate::Bitrate;

/// The least a rung's target goes to, as a share of its nominal rate. The bands of
/// neighbouring rungs (about 2.2x apart) overlap: any link between the smallest rung's low
/// end and the biggest's high end has a rung whose band holds what it carries.
pub(crate) const BAND_LO: f64 = 0.55;
/// The most a rung's target goes to, as a share of its nominal rate.
pub(crate) const BAND_HI: f64 = 1.5;
/// The share of a viewer's estimate its video and audio may take, headers included: GCC's
/// estimate is what its pacer sends, and a little is left for the estimate's wandering.
pub(crate) const SHARE_OF_ESTIMATE: f64 = 0.95;

/// A rung's target is changed at most this often...
pub(crate) const RETARGET_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// ...and only when the new target differs from the one applied by more than this share:
/// each change costs the encoder a moment of its rate control.
const RETARGET_BY: f64 = 0.04;

/// Whether `wanted` is worth applying in place of `applied`.
pub(crate) fn worth_applying(applied: Bitrate, wanted: Bitrate) -> bool {
    (wanted.as_f64() - applied.as_f64()).abs() > applied.as_f64() * RETARGET_BY
}

/// RTP, SRTP, UDP and IP headers on top of what the encoders make.
const OVERHEAD: f64 = 1.05;

/// What a viewer on a rung of `video` receives, with `audio` beside it.
pub(crate) fn cost(video: Bitrate, audio: Bitrate) -> Bitrate {
    (video + audio).scale(OVERHEAD)
}

/// What a viewer's estimate leaves for video, with `audio` beside it.
pub(crate) fn allowance(estimate: Bitrate, audio: Bitrate) -> Bitrate {
    estimate
        .scale(SHARE_OF_ESTIMATE / OVERHEAD)
        .saturating_sub(audio)
}

/// The band of rung `index` whose nominal rate is `nominal`: the biggest rung never above the
/// share's `max`.
pub(crate) fn band(index: usize, nominal: Bitrate, max: Bitrate) -> (Bitrate, Bitrate) {
    let hi = nominal.scale(BAND_HI);
    let hi = if index == 0 {
        hi.min(max.max(nominal))
    } else {
        hi
    };
    (nominal.scale(BAND_LO), hi)
}

/// Each rung's encoder target (`None` where the rung is not usable): the least allowance of
/// the viewers on it (`watchers[i]`), within its band; a rung nobody watches stays nominal.
pub(crate) fn rung_targets(
    nominal: &[Option<Bitrate>],
    watchers: &[Vec<Bitrate>],
    max: Bitrate,
) -> Vec<Option<Bitrate>> {
    banded(nominal, watchers, max, false)
}

/// The least each rung's video would be with one more viewer on it, given the allowances of
/// the others on it (`others[i]`): the low end of its band where nobody else watches it,
/// else the target they set (which the newcomer must not lower).
pub(crate) fn rung_floors(
    nominal: &[Option<Bitrate>],
    others: &[Vec<Bitrate>],
    max: Bitrate,
) -> Vec<Option<Bitrate>> {
    banded(nominal, others, max, true)
}

fn banded(
    nominal: &[Option<Bitrate>],
    watchers: &[Vec<Bitrate>],
    max: Bitrate,
    empty_at_low_end: bool,
) -> Vec<Option<Bitrate>> {
    nominal
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let n = (*n)?;
            let (lo, hi) = band(i, n, max);
            let least = watchers.get(i).and_then(|w| w.iter().min().copied());
            Some(match least {
                Some(a) => a.clamp(lo, hi),
                None if empty_at_low_end => lo,
                None => n,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn bps(b: u32) -> Bitrate {
        Bitrate::bps(b)
    }

    /// A 480-line share: full, 320 and 160 lines.
    const NOMINAL: [Option<Bitrate>; 3] =
        [Some(bps(1_200_000)), Some(bps(600_000)), Some(bps(200_000))];
    const MAX: Bitrate = bps(2_500_000);

    #[test]
    fn a_viewer_gets_what_its_estimate_leaves_after_audio_and_headers() {
        let a = allowance(bps(1_200_000), bps(64_000)).as_bps();
        assert_eq!(a, 1_021_714);
        assert_eq!(allowance(bps(50_000), bps(64_000)), Bitrate::ZERO);
    }

    #[test]
    fn small_changes_of_a_target_are_not_applied() {
        assert!(!worth_applying(bps(1_000_000), bps(1_030_000)));
        assert!(worth_applying(bps(1_000_000), bps(1_050_000)));
        assert!(worth_applying(bps(1_000_000), bps(950_000)));
    }

    #[test]
    fn a_rung_fits_its_viewers_within_its_band_and_nobody_s_rung_stays_nominal() {
        let targets = rung_targets(
            &NOMINAL,
            &[vec![bps(5_000_000)], vec![bps(800_000)], vec![]],
            MAX,
        );
        assert_eq!(
            targets,
            vec![Some(bps(1_800_000)), Some(bps(800_000)), Some(bps(200_000))]
        );
        // The least of its viewers, never below the band.
        let targets = rung_targets(
            &NOMINAL,
            &[vec![], vec![bps(900_000), bps(500_000)], vec![bps(10_000)]],
            MAX,
        );
        assert_eq!(
            targets,
            vec![Some(bps(1_200_000)), Some(bps(500_000)), Some(bps(110_000))]
        );
        // Not usable: no target.
        assert_eq!(rung_targets(&[None], &[vec![bps(1)]], MAX), vec![None]);
    }

    #[test]
    fn the_biggest_rung_never_goes_above_the_share_s_max() {
        let nominal = [Some(bps(2_000_000)), Some(bps(900_000))];
        let watchers = [vec![bps(9_000_000)], vec![bps(9_000_000)]];
        assert_eq!(
            rung_targets(&nominal, &watchers, MAX),
            vec![Some(bps(2_500_000)), Some(bps(1_350_000))]
        );
        // A share whose max is below a rung's nominal rate keeps the nominal.
        assert_eq!(
            rung_targets(&nominal, &watchers, bps(1_000_000))[0],
            Some(bps(2_000_000))
        );
    }

    /// One viewer's link never lowers another's picture below what its own link carries: a
    /// rung others watch costs a newcomer what they set, an empty one its band's low end.
    #[test]
    fn a_newcomer_may_not_lower_a_rung_others_watch() {
        let floors = rung_floors(&NOMINAL, &[vec![bps(5_000_000)], vec![], vec![]], MAX);
        assert_eq!(
            floors,
            vec![Some(bps(1_800_000)), Some(bps(330_000)), Some(bps(110_000))]
        );
        let floors = rung_floors(&NOMINAL, &[vec![bps(1_000_000)], vec![], vec![]], MAX);
        assert_eq!(floors[0], Some(bps(1_000_000)));
    }
}
