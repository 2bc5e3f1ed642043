//! The actor's side of the encoder ladder: which rung each viewer gets, every rung for a
//! publication that takes simulcast, and the keyframes that moves and viewers' requests need,
//! throttled per rung.

use std::time::Instant;

use gst::prelude::*;

use super::actor::Actor;
use super::codec::Codec;
use super::command::ViewerKey;
use super::error::ShareError;
use super::events::ConnectionState;
use super::events::{ShareEvent, ViewerId};
use super::ladder::Rung;
use super::reaper::Job;
use super::rung_choice::{cost, Move};
use super::simulcast::SimulcastPath;
use super::video_path::VideoPath;
use super::viewer::Feed;

impl Actor {
    /// What a viewer on each rung of `codec`'s ladder receives, in bits/s (`None`: not usable).
    pub(super) fn rung_costs(&self, codec: Codec) -> Vec<Option<u32>> {
        self.ladders.get(&codec).map_or_else(Vec::new, |ladder| {
            ladder
                .video_rates()
                .iter()
                .map(|rate| rate.map(|bitrate| cost(bitrate, self.config.audio_bitrate)))
                .collect()
        })
    }

    /// Moves the viewer between rungs when its link says so (see [`RungChoice::decide`]).
    pub(super) fn choose_rung(&mut self, id: &ViewerId) {
        let Some(codec) = self
            .viewers
            .get(id)
            .and_then(|v| v.video_path())
            .map(VideoPath::codec)
        else {
            return;
        };
        let costs = self.rung_costs(codec);
        let now = Instant::now();
        let viewer = self.viewers.get_mut(id).expect("checked");
        if viewer.video_path().is_some_and(|p| p.moving_to().is_some()) {
            return; // one move at a time: the last is waiting for its keyframe
        }
        let estimate = viewer.link_estimate();
        let loss = viewer.last_loss;
        let Some(step) = viewer
            .rung_choice
            .as_mut()
            .and_then(|c| c.decide(&costs, estimate, loss, now))
        else {
            return;
        };
        if !viewer.probes_link && viewer.rung_choice.as_ref().is_some_and(|c| c.probes()) {
            viewer.probes_link = true;
            tracing::info!(viewer = %id, "a plain trial failed as its probes did: the link is full, and it is probed again");
        }
        let probed = viewer.link_probe.is_on();
        viewer.link_probe.stop();
        let to = match step {
            Move::Up(to) | Move::Down(to) => to,
            Move::Back { to, before } => {
                if let (Some(estimator), true) = (&viewer.estimator, estimate < before) {
                    estimator.set_property("estimated-bitrate", before);
                }
                to
            }
            Move::Probe(to) => {
                let (Some(estimator), Some(wanted)) = (&viewer.estimator, costs[to]) else {
                    return;
                };
                let now_on = viewer.rung_choice.as_ref().map(|c| c.rung);
                let current = now_on.and_then(|r| costs.get(r).copied().flatten());
                let extra = wanted.saturating_sub(current.unwrap_or(0));
                // The estimator (and its pacer) assume the link carries the bigger rung, and
                // the probe makes it carry as much: the estimate then says whether it can.
                estimator.set_property("estimated-bitrate", wanted.max(estimate));
                viewer.link_probe.start(extra);
                tracing::info!(viewer = %id, rung = to, extra, estimate, "probing the link for a bigger rung");
                return;
            }
            Move::Restore(bitrate) => {
                if let Some(estimator) = &viewer.estimator {
                    estimator.set_property("estimated-bitrate", bitrate);
                }
                tracing::info!(viewer = %id, bitrate, estimate, "the step up settled: the estimate its probe proved is restored");
                return;
            }
            Move::ProbeFailed(before) => {
                if let (Some(estimator), true) = (&viewer.estimator, estimate < before) {
                    estimator.set_property("estimated-bitrate", before);
                }
                tracing::info!(viewer = %id, estimate, before, sent = viewer.link_probe.sent(), "the link has no room for a bigger rung");
                if viewer.probes_link && viewer.rung_choice.as_ref().is_some_and(|c| !c.probes()) {
                    viewer.probes_link = false;
                    tracing::info!(viewer = %id, "its feedback collapses under probes: it climbs by plain trials");
                }
                return;
            }
        };
        if let (Move::Up(_), false, Some(estimator), Some(cost)) =
            (step, probed, &viewer.estimator, costs[to])
        {
            // A trial without a probe: the estimator (and its pacer) assume the link carries
            // the new rung, and find out soon enough if it does not.
            estimator.set_property("estimated-bitrate", cost);
        }
        tracing::info!(viewer = %id, ?step, estimate, "viewer moves to another rung");
        let rung = &self.ladders[&codec].rungs[to];
        rung.unpark();
        // Not through the throttle: the viewer waits on this keyframe (moves are rare).
        rung.force_keyframe(now);
        let path = viewer.video_path_mut().expect("checked");
        match path.move_to(&self.pipeline, rung) {
            Ok(gone) if !gone.is_empty() => self.reaper.reap(Job::Links(gone)),
            Ok(_) => {}
            Err(e) => self.events.send(ShareEvent::Error {
                viewer: Some(id.clone()),
                message: format!("could not move to another rung: {e}"),
            }),
        }
    }

    /// A keyframe on a rung, through its throttle: a request it defers is made when due.
    pub(super) fn ask_keyframe(&mut self, codec: Codec, rung: usize, now: Instant) {
        let Some(r) = self.ladders.get(&codec).and_then(|l| l.rungs.get(rung)) else {
            return;
        };
        match r.request_keyframe(now) {
            Some(due) => {
                self.keyframes_due.entry((codec, rung)).or_insert(due);
            }
            None => {
                self.keyframes_due.remove(&(codec, rung));
            }
        }
    }

    pub(super) fn ask_due_keyframes(&mut self, now: Instant) {
        let due: Vec<(Codec, usize)> = self
            .keyframes_due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| *k)
            .collect();
        for (codec, rung) in due {
            self.keyframes_due.remove(&(codec, rung));
            self.ask_keyframe(codec, rung, now);
        }
    }

    /// A viewer's PLI or FIR: a keyframe of the rung it receives, or is moving to.
    pub(super) fn keyframe_wanted(&mut self, key: &ViewerKey) {
        let Some(path) = self.current_mut(key).and_then(|v| v.video_path()) else {
            return;
        };
        let (codec, rung) = (path.codec(), path.moving_to().or(path.rung()));
        if let Some(rung) = rung {
            self.ask_keyframe(codec, rung, Instant::now());
        }
    }

    /// Every rung at once, each its own RTP stream, to an SFU that took simulcast: the
    /// rungs are the ladder's, encoded once for this publication and any viewer on them.
    pub(super) fn link_simulcast(
        &mut self,
        id: &ViewerId,
        index: usize,
        codec: Codec,
    ) -> Result<(), ShareError> {
        let now = Instant::now();
        let total: u32 = self.rung_costs(codec).iter().flatten().sum();
        let ladder = &self.ladders[&codec];
        // Rungs too small for this picture are left out; all of them while its size is not
        // known yet.
        let sized: Vec<&Rung> = ladder
            .rungs
            .iter()
            .filter(|r| r.shape.get().is_some())
            .collect();
        let rungs = if sized.is_empty() {
            ladder.rungs.iter().collect()
        } else {
            sized
        };
        let ssrcs: Vec<u32> = rungs.iter().map(|r| self.ssrcs.layers[r.index].0).collect();
        let viewer = self.viewers.get_mut(id).expect("checked");
        let sink_pad = viewer.media[index].sink_pad.clone();
        let mid = sink_pad
            .property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver")
            .mid()
            .map(|m| m.to_string());
        let path = SimulcastPath::new(
            &self.pipeline,
            &sink_pad,
            (codec, mid),
            (&rungs, &ssrcs),
            &viewer.key,
            &self.commands,
        )?;
        tracing::info!(viewer = %id, rungs = ?path.rungs(), "publishing every rung (simulcast)");
        if let (Some(estimator), true) = (&viewer.estimator, total > 0) {
            // The pacer's rate: every rung, with room for their peaks.
            estimator.set_property("estimated-bitrate", total + total / 5);
        }
        viewer.media[index].feed = Some(Feed::Simulcast(path));
        let connected = viewer.connection == ConnectionState::Connected;
        let published: Vec<usize> = rungs.iter().map(|r| r.index).collect();
        for rung in &rungs {
            if rung.is_parked() {
                rung.unpark();
                rung.force_keyframe(now);
            }
        }
        if connected {
            for rung in published {
                self.ask_keyframe(codec, rung, now);
            }
        }
        Ok(())
    }
}
