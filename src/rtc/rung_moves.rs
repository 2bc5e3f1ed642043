//! The actor's side of the encoder ladder: which rung (and step) each viewer gets, which rungs
//! run raised and which are parked, every rung for a publication that takes simulcast, and
//! the keyframes that moves and viewers' requests need, throttled per rung.

use std::time::Instant;

use gst::prelude::*;

use super::actor::Actor;
use super::codec::Codec;
use super::controller::{cost, raise_rung, step_costs, Action, Bitrate, Input, Ladder, Step};
use super::error::ShareError;
use super::events::ConnectionState;
use super::events::{ShareEvent, ViewerId};
use super::ladder::Rung;
use super::reaper::Job;
use super::simulcast::{layer_of, SimulcastPath, LAYER_RUNGS};
use super::taps::Recording;
use super::viewer::Feed;

impl Actor {
    /// What a viewer on each rung of `codec`'s ladder receives (`None`: not usable).
    pub(super) fn rung_costs(&self, codec: Codec) -> Vec<Option<Bitrate>> {
        let audio = Bitrate::bps(self.config.audio_bitrate);
        self.ladders.get(&codec).map_or_else(Vec::new, |ladder| {
            ladder
                .video_rates()
                .iter()
                .map(|rate| rate.map(|bitrate| cost(Bitrate::bps(bitrate), audio)))
                .collect()
        })
    }

    /// What a viewer on each step of `codec`'s ladder receives (see [`Step`]).
    pub(super) fn step_costs(&self, codec: Codec) -> Vec<Option<Bitrate>> {
        let audio = Bitrate::bps(self.config.audio_bitrate);
        self.ladders.get(&codec).map_or_else(Vec::new, |ladder| {
            let video: Vec<Option<Bitrate>> = ladder
                .video_rates()
                .iter()
                .map(|rate| rate.map(Bitrate::bps))
                .collect();
            step_costs(&video, audio)
        })
    }

    /// The ladder as applied for this viewer, when its video is fed from one: what each
    /// step costs and whether its last move still waits for its keyframe.
    pub(super) fn ladder_for(&self, id: &ViewerId) -> Option<Ladder> {
        let path = self.viewers.get(id)?.video_path()?;
        Some(Ladder {
            costs: self.step_costs(path.codec()),
            moving: path.moving_to().is_some(),
        })
    }

    /// Hands the viewer's controller `input` and applies what it decides.
    pub(super) fn control(&mut self, id: &ViewerId, input: Input) {
        let now = Instant::now();
        let Some(viewer) = self.viewers.get_mut(id) else {
            return;
        };
        let actions = viewer.control.input(now, input);
        self.apply(id, actions, now);
    }

    /// Does what a viewer's controller decided, in its order.
    pub(super) fn apply(&mut self, id: &ViewerId, actions: Vec<Action>, now: Instant) {
        for action in actions {
            let Some(viewer) = self.viewers.get_mut(id) else {
                return;
            };
            let estimate = viewer.control.controller().link_estimate();
            match action {
                Action::SetEstimate { bitrate, reason } => {
                    tracing::debug!(viewer = %id, %bitrate, ?reason, "the estimator is told");
                    viewer.set_estimate(bitrate);
                }
                Action::ProbeStart { extra, rung } => {
                    tracing::info!(viewer = %id, rung, %extra, %estimate, "probing the link for a bigger rung");
                    viewer.link_probe.start(extra.as_bps());
                }
                Action::ProbeStop => {
                    viewer.link_probe.stop();
                    tracing::info!(viewer = %id, %estimate, sent = viewer.link_probe.sent(), "the probe stops");
                }
                Action::Probes(true) => {
                    tracing::info!(viewer = %id, "a plain trial failed as its probes did: the link is full, and it is probed again");
                }
                Action::Probes(false) => {
                    tracing::info!(viewer = %id, "its feedback collapses under probes: it climbs by plain trials");
                }
                Action::Keyframe => self.keyframe_wanted(id),
                Action::MoveTo {
                    rung,
                    joined: false,
                } => {
                    let Step { rung: to, raised } = Step::at(rung);
                    tracing::info!(viewer = %id, rung = to, raised, %estimate, "viewer moves to another step");
                    self.move_to(id, rung, now);
                }
                // A joiner's first rung is linked by `link_video`, which asked for it.
                Action::MoveTo { joined: true, .. } => {}
                Action::Retransmissions(limit) => {
                    tracing::debug!(viewer = %id, rate = %limit.rate, interval = ?limit.interval, "retransmission limit");
                    viewer.retransmissions.set_limit(limit);
                }
                Action::PlayoutDelay(delay) => {
                    tracing::info!(viewer = %id, ?delay, "the viewer is told to play later: its packets are lost over a long round trip");
                    super::playout_delay::set(&viewer.playout_delay, delay);
                }
                Action::PacingRate(rate) => {
                    if let Some(pacer) = &viewer.pacer {
                        tracing::debug!(viewer = %id, %rate, "pacing rate");
                        pacer.set_rate(rate);
                    }
                }
                Action::Fec(level) => {
                    // None where the viewer was not offered FEC.
                    let set = viewer.set_fec_percentage(level.percentage());
                    if set > 0 {
                        tracing::info!(viewer = %id, ?level, encoders = set, "forward error correction");
                    }
                }
            }
        }
    }

    /// Feeds the viewer from another step of its ladder: from another rung's next keyframe,
    /// or on the same rung with its target raised or lowered.
    fn move_to(&mut self, id: &ViewerId, step: usize, now: Instant) {
        let Some((codec, on)) = self
            .viewers
            .get(id)
            .and_then(|v| v.video_path())
            .map(|p| (p.codec(), p.moving_to().or(p.rung())))
        else {
            return;
        };
        let to = Step::at(step).rung;
        if on != Some(to) {
            self.move_to_rung(id, codec, to, now);
        }
        self.raise_rungs(codec);
    }

    pub(super) fn park_idle_encoders(&self) {
        // An encoder nobody receives costs CPU for nothing; it waits, built, for the next.
        // The recording receives what it taps.
        let (video, audio) = match &self.recording {
            Recording::On(taps) => (taps.video, taps.audio),
            _ => (None, None),
        };
        for encoder in self.encoders.values() {
            if encoder.viewer_count() == 0 && audio != Some(encoder.codec()) {
                encoder.park();
            }
        }
        let warm = self.warm_rung(Instant::now());
        for ladder in self.ladders.values() {
            let keep = [
                (video == Some(ladder.codec)).then_some(0),
                warm.filter(|(codec, _)| *codec == ladder.codec)
                    .map(|(_, rung)| rung),
            ];
            ladder.park_idle(&keep);
            // A viewer gone may have held its rung at the nominal rate for the others.
            self.raise_rungs(ladder.codec);
        }
    }

    /// Raises each rung of `codec`'s ladder whose viewers all stand on its raised step, and
    /// lowers the others; never a rung a publication takes as a simulcast layer.
    pub(super) fn raise_rungs(&self, codec: Codec) {
        let Some(ladder) = self.ladders.get(&codec) else {
            return;
        };
        let mut published = Vec::new();
        let mut steps: Vec<Vec<usize>> = vec![Vec::new(); ladder.rungs.len()];
        for viewer in self.viewers.values() {
            if let Some(path) = viewer.simulcast_path().filter(|p| p.codec() == codec) {
                published.extend(path.rungs());
            }
            let Some(path) = viewer.video_path().filter(|p| p.codec() == codec) else {
                continue;
            };
            let rung = path.moving_to().or(path.rung());
            if let (Some(rung), Some(step)) = (rung, viewer.control.controller().step()) {
                if let Some(on) = steps.get_mut(rung) {
                    // A step of another rung (a move under way) counts as its nominal one.
                    on.push(if Step::at(step).rung == rung {
                        step
                    } else {
                        Step::nominal(rung).index()
                    });
                }
            }
        }
        for (rung, on) in ladder.rungs.iter().zip(steps) {
            let raise = !published.contains(&rung.index) && raise_rung(rung.index, on);
            if rung.raise(raise) {
                tracing::info!(%codec, rung = rung.index, raised = raise, "rung's encoder target");
            }
        }
    }

    fn move_to_rung(&mut self, id: &ViewerId, codec: Codec, to: usize, now: Instant) {
        let rung = &self.ladders[&codec].rungs[to];
        rung.unpark();
        // Not through the throttle: the viewer waits on this keyframe (moves are rare).
        rung.force_keyframe(now);
        let viewer = self.viewers.get_mut(id).expect("checked");
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

    /// A keyframe of the rung a viewer receives, or is moving to.
    fn keyframe_wanted(&mut self, id: &ViewerId) {
        let Some(path) = self.viewers.get(id).and_then(|v| v.video_path()) else {
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
        let costs = self.rung_costs(codec);
        let ladder = &self.ladders[&codec];
        // The layers' rungs; those too small for this picture are left out, all of them
        // while its size is not known yet.
        let layers: Vec<&Rung> = LAYER_RUNGS.iter().map(|i| &ladder.rungs[*i]).collect();
        let sized: Vec<&Rung> = layers
            .iter()
            .copied()
            .filter(|r| r.shape.get().is_some())
            .collect();
        let rungs = if sized.is_empty() { layers } else { sized };
        let total: Bitrate = rungs.iter().filter_map(|r| costs[r.index]).sum();
        let ssrcs: Vec<u32> = rungs
            .iter()
            .filter_map(|r| layer_of(r.index).map(|layer| self.ssrcs.layers[layer].0))
            .collect();
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
        let actions = viewer.control.input(now, Input::Simulcast { total });
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
        self.apply(id, actions, now);
        Ok(())
    }
}
