//! Playback speed, 0.5x to 2x: a rate seek that playbin carries out, with scaletempo as its
//! audio filter so that voices keep their pitch. What plays at that speed is what the
//! capture gets, so viewers see and hear the same speed.

use gst::prelude::*;

use super::error::PlayerError;

/// The slowest speed a person may choose.
pub const SLOWEST: f64 = 0.5;
/// The fastest speed a person may choose: beyond it scaletempo's sound breaks up.
pub const FASTEST: f64 = 2.0;

/// `speed` if a person may choose it, else why not.
pub fn check_speed(speed: f64) -> Result<f64, PlayerError> {
    if (SLOWEST..=FASTEST).contains(&speed) {
        Ok(speed)
    } else {
        Err(PlayerError::Speed {
            speed: format!("{speed}"),
        })
    }
}

/// The audio filter that keeps the pitch when the speed changes (a passthrough at 1x).
pub(crate) fn pitch_keeper() -> Result<gst::Element, PlayerError> {
    gst::ElementFactory::make("scaletempo")
        .name("pitch-keeper")
        .build()
        .map_err(|_| PlayerError::MissingElement {
            factory: "scaletempo".into(),
        })
}

/// Seeks to `target` playing at `speed`. Every seek must carry the speed: a seek at rate 1
/// would set it back to normal.
pub(crate) fn seek_at(
    playbin: &gst::Pipeline,
    speed: f64,
    flags: gst::SeekFlags,
    target: gst::ClockTime,
) -> Result<(), gst::glib::BoolError> {
    playbin.seek(
        speed,
        flags,
        gst::SeekType::Set,
        target,
        gst::SeekType::None,
        gst::ClockTime::NONE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_from_half_to_double_are_allowed() {
        assert_eq!(check_speed(0.5), Ok(0.5));
        assert_eq!(check_speed(1.5), Ok(1.5));
        assert_eq!(check_speed(2.0), Ok(2.0));
        for wrong in [0.0, 0.49, 2.01, -1.0, f64::NAN, f64::INFINITY] {
            let e = check_speed(wrong).unwrap_err();
            assert!(e.to_string().contains("0.5"), "{e}");
        }
    }
}
