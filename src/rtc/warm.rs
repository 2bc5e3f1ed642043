//! What a viewer's join needs, made ready when the share starts, so that the first viewer of a
//! share waits no longer than the tenth.
//!
//! Measured (reelcast-bench first-join, 720p30): a fresh process's first join spent 100-280 ms
//! in its first `create-offer`, nearly all of it in the first `dtlssrtpdec` ever made, whose
//! DTLS library makes a 2048-bit RSA certificate once per process (webrtcbin's default, made
//! even though ours replaces it); then ~15 ms loading webrtcbin's plugins, and the building of
//! the encoders once its media was up. So, when a share starts:
//! - [`in_background`]: a thread of its own makes one of each element a join makes (plugins
//!   loaded, that RSA key made once) and this run's DTLS certificate; nothing waits for it.
//! - [`Actor::prepare_for_joins`]: once the source's media is captured, the actor builds the
//!   audio encoder and the video ladder (parked, as after the last viewer leaves), and the
//!   rung a joiner starts on runs for the share's `first_viewers_grace` (20 s by default), as
//!   it does while anyone watches: the first viewers get a keyframe from a running encoder.
//!   After that, an idle share encodes nothing.
//!
//! What it costs (720p30 file, no viewer): the warm-up thread ~0.2-0.45 s of CPU once per
//! process; during the grace one 480p encoder, ~17 % of a core; after it, the same CPU as
//! before. Memory: the encoders a first join built anyway (they stay built, parked, after
//! viewers leave), and webrtcbin's plugins: resident 69 MB before any viewer became 129 MB.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::actor::Actor;
use super::codec::Codec;
use super::controller::start_rung;
use crate::media::MediaKind;

/// Elements every join makes (webrtcbin's inside ones included); made once here, off the
/// actor, so that their plugins are loaded and their one-time set-up done.
const JOIN_ELEMENTS: &[&str] = &[
    "webrtcbin",
    "dtlssrtpdec",
    "dtlssrtpenc",
    "rtpbin",
    "nicesrc",
    "nicesink",
    "rtpfunnel",
    "rtprtxsend",
    "rtpgccbwe",
    "queue",
    "tee",
    "valve",
    "funnel",
    "rtpvp8pay",
    "rtpopuspay",
];

/// Whether the warm-up thread is still making elements (set before it starts, cleared when
/// it ends), and the condition [`settle`] waits on.
static BUSY: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// Starts making what a join needs, on a thread of its own, once per process.
pub(crate) fn in_background() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        *BUSY.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        let spawned = std::thread::Builder::new()
            .name("share-warm-up".into())
            .spawn(|| {
                let started = Instant::now();
                super::plugins::register();
                let _ = super::certificate::certificate();
                for name in JOIN_ELEMENTS {
                    // Made and dropped: a missing one is said where a join needs it.
                    let _ = gst::ElementFactory::make(name).build();
                }
                tracing::debug!(took = ?started.elapsed(), "what a join needs is ready");
                *BUSY.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
                BUSY.1.notify_all();
            });
        if let Err(e) = spawned {
            *BUSY.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
            tracing::warn!("no warm-up thread; the first join makes everything: {e}");
        }
    });
}

/// Waits (at most `within`) for the warm-up thread to finish. The process calls it before it
/// exits: exiting while that thread loads plugins crashed a share that ended at once (a
/// broken file), killed by a signal instead of exiting with its code.
pub fn settle(within: Duration) {
    let deadline = Instant::now() + within;
    let mut busy = BUSY.0.lock().unwrap_or_else(|e| e.into_inner());
    while *busy {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::debug!("exiting while the warm-up thread still runs");
            return;
        }
        busy = match BUSY.1.wait_timeout(busy, left) {
            Ok((guard, _)) => guard,
            Err(e) => e.into_inner().0,
        };
    }
}

impl Actor {
    /// Builds the encoders for the kinds captured, parked, and runs the video rung a joiner
    /// starts on for the share's `first_viewers_grace`. Only the first time the source's media is known; a few ms of
    /// building, as a join did before.
    pub(crate) fn prepare_for_joins(&mut self) {
        let captured = self.inputs.captured_kinds();
        if captured.contains(&MediaKind::Audio) && !self.encoders.contains_key(&Codec::Opus) {
            match self.ensure_audio(Codec::Opus) {
                Ok(()) => self.park_idle_encoders(),
                Err(e) => tracing::debug!("the audio encoder is built at the first join: {e}"),
            }
        }
        let codec = self.config.video_codec;
        if !captured.contains(&MediaKind::Video) || self.ladders.contains_key(&codec) {
            return;
        }
        if let Err(e) = self.ensure_ladder(codec) {
            tracing::debug!("the ladder is built at the first join: {e}");
            return;
        }
        let grace = self.config.first_viewers_grace;
        let rung = start_rung(&self.ladders[&codec].usable());
        if let (Some(r), false) = (self.ladders[&codec].rungs.get(rung), grace.is_zero()) {
            r.unpark();
            self.warm.rung = Some((codec, rung, Instant::now() + grace));
            tracing::debug!(%codec, rung, ?grace, "the start rung runs for the first viewers");
        }
    }

    /// The rung kept running for the first viewers, while its grace lasts.
    pub(crate) fn warm_rung(&self, now: Instant) -> Option<(Codec, usize)> {
        self.warm
            .rung
            .filter(|(_, _, until)| now < *until)
            .map(|(codec, rung, _)| (codec, rung))
    }

    /// Parks the start rung once its grace is over, if nobody receives it.
    pub(crate) fn end_grace(&mut self, now: Instant) {
        if self.warm.rung.is_some() && self.warm_rung(now).is_none() {
            self.warm.rung = None;
            self.park_idle_encoders();
        }
    }
}
