//! The rung kept running for a share's first viewers: state the actor holds, apart from the
//! `impl Actor` in [`super::warm`] that starts and ends it (so the two never import each other).

use std::time::Instant;

use super::codec::Codec;

/// The ladder's rung kept running for the first viewers, and until when.
#[derive(Debug, Default)]
pub(crate) struct WarmRung {
    pub rung: Option<(Codec, usize, Instant)>,
}
