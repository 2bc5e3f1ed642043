//! Rates as a type of their own, so a rate is never confused with a size, a count or a time.

use serde::{Deserialize, Serialize};

/// A rate in bits per second.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub(crate) struct Bitrate(u32);

impl Bitrate {
    pub(crate) const ZERO: Bitrate = Bitrate(0);

    pub(crate) const fn bps(bits_per_second: u32) -> Self {
        Self(bits_per_second)
    }

    pub(crate) const fn as_bps(self) -> u32 {
        self.0
    }

    pub(crate) fn as_f64(self) -> f64 {
        f64::from(self.0)
    }

    /// This rate times `factor`, rounded down.
    pub(crate) fn scale(self, factor: f64) -> Self {
        Self((self.as_f64() * factor) as u32)
    }

    /// This rate and a fifth more: the room the estimator is given over what is sent.
    pub(crate) fn with_fifth_more(self) -> Self {
        Self(self.0.saturating_add(self.0 / 5))
    }

    pub(crate) fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    pub(crate) fn clamp(self, min: Self, max: Self) -> Self {
        Self(self.0.clamp(min.0, max.0))
    }
}

impl std::ops::Add for Bitrate {
    type Output = Bitrate;

    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

impl std::iter::Sum for Bitrate {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, |a, b| a + b)
    }
}

impl std::fmt::Display for Bitrate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} kbit/s", self.0 / 1000)
    }
}
