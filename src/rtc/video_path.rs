//! One viewer's video: `rung tee(s) → funnel → queue → payloader → pacer → webrtcbin`. The
//! viewer has its own payloader, so moving it between rungs keeps one RTP stream: same SSRC,
//! continuous sequence numbers and timestamps, the new rung's frames starting at a keyframe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use super::build_error::BuildError;
use super::codec::{make, Codec};
use super::command::{Command, ViewerKey};
use super::encoder::{add_chain_into, leaky_queue, ViewerLink};
use super::ladder::{running_time, Rung};
use super::pacer::Pacer;
use super::playout_delay::{PlayoutDelayExtension, SharedDelay};

/// Frames a viewer's path holds before it drops its oldest: half a second at 30 fps, about
/// what 64 packets were at a 480p rung.
const FRAMES_QUEUED: u32 = 16;

/// Which rung's frames pass to the viewer. Written by the rungs' streaming threads (under the
/// lock, never across a GStreamer call) and by the actor when it picks a new rung.
#[derive(Debug, Default)]
struct Switch {
    /// The rung whose frames pass now.
    current: Option<usize>,
    /// The rung the viewer moves to at its next keyframe.
    pending: Option<usize>,
    /// Set when the rung moved to gave a keyframe older than what the viewer has (its
    /// encoder is slower): the rung left passes no frame from this running time on, so the
    /// next keyframe, asked for at once, comes after what the viewer has. The viewer gets
    /// neither a frame twice nor one out of order, whichever encoder is quicker.
    cutoff: Option<gst::ClockTime>,
    /// When the move was asked for: a move whose keyframe never came is given up.
    since: Option<std::time::Instant>,
    /// The running time of the last frame passed: a new rung starts after it, never before.
    last_pts: Option<gst::ClockTime>,
}

impl Switch {
    /// Whether a frame of `rung` passes; moves to the pending rung at its first keyframe
    /// that comes after what the viewer already has. The second value says a new keyframe
    /// of the pending rung is needed now.
    fn pass(&mut self, rung: usize, keyframe: bool, pts: Option<gst::ClockTime>) -> (bool, bool) {
        let later = match (pts, self.last_pts) {
            (Some(pts), Some(last)) => pts > last,
            _ => true,
        };
        let past_cutoff = match (pts, self.cutoff) {
            (Some(pts), Some(cutoff)) => pts >= cutoff,
            (None, Some(_)) => false,
            (_, None) => true,
        };
        let mut ask = false;
        if self.pending == Some(rung) && keyframe {
            if later {
                self.current = Some(rung);
                self.pending = None;
                self.cutoff = None;
                self.since = None;
            } else if self.cutoff.is_none() {
                self.cutoff = self.last_pts.map(|t| t + gst::ClockTime::from_nseconds(1));
                ask = true;
            }
        }
        let mut leaving = self.pending.is_some() && self.cutoff.is_some() && past_cutoff;
        if leaving && late(pts, self.cutoff) {
            // The keyframe asked for did not come: the viewer keeps its rung meanwhile
            // (the actor asks again), rather than a frozen picture.
            self.cutoff = None;
            leaving = false;
        }
        let pass = self.current == Some(rung) && !leaving;
        if pass && pts.is_some() {
            self.last_pts = pts;
        }
        (pass, ask)
    }
}

/// How long the rung left holds back its frames for the keyframe of the rung moved to.
const MAX_HOLD: gst::ClockTime = gst::ClockTime::from_mseconds(300);

fn late(pts: Option<gst::ClockTime>, cutoff: Option<gst::ClockTime>) -> bool {
    matches!((pts, cutoff), (Some(pts), Some(cutoff)) if pts >= cutoff + MAX_HOLD)
}

/// Where a viewer's RTP stream starts or stands (see [`VideoPath::continuity`]): given to
/// its payloader explicitly, as a payloader's own choices are random and cannot be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Continuity {
    next_seqnum: u32,
    timestamp_offset: u32,
    /// VP8's picture ID of the next frame (15 bits).
    next_picture_id: u32,
}

impl Continuity {
    /// A new stream, from random numbers (they need to be unpredictable, not secret).
    pub(crate) fn random() -> Self {
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        let value = |salt: &str| state.hash_one(salt) as u32;
        Self {
            next_seqnum: value("seqnum") & 0xffff,
            timestamp_offset: value("timestamp"),
            next_picture_id: value("picture") & 0x7fff,
        }
    }
}

/// A viewer's video path and its branches on the rungs.
pub(crate) struct VideoPath {
    codec: Codec,
    funnel: gst::Element,
    payloader: gst::Element,
    queue: gst::Element,
    /// Between the payloader and webrtcbin, where the viewer's video is paced.
    pacer: Option<gst::Element>,
    switch: Arc<Mutex<Switch>>,
    /// One branch per rung that feeds (or is about to feed) the viewer.
    branches: Vec<(usize, ViewerLink)>,
    keyframe_requests: Arc<AtomicU64>,
    viewer: ViewerKey,
    commands: flume::Sender<Command>,
    start: Continuity,
    /// Frames passed to the payloader (each makes one picture ID).
    frames_passed: Arc<AtomicU64>,
}

impl VideoPath {
    /// Builds the path into `sink_pad` of the viewer's webrtcbin. The viewer's keyframe
    /// requests (PLI, FIR) go to the actor as [`Command::KeyframeWanted`], which throttles
    /// them per rung, instead of up to the encoders.
    /// Its RTP stream starts at `start`: a viewer's decoder drops packets whose sequence
    /// numbers, timestamps or picture IDs seem older than what it has, so a path built again
    /// for a viewer goes on from where the last one stopped.
    pub(crate) fn new(
        pipeline: &gst::Pipeline,
        sink_pad: &gst::Pad,
        (codec, ssrc, start): (Codec, u32, Continuity),
        (viewer, delay, pacer): (&ViewerKey, &SharedDelay, Option<&Arc<Pacer>>),
        commands: &flume::Sender<Command>,
    ) -> Result<Self, BuildError> {
        let funnel = make("funnel")?;
        let payloader = codec.make_payloader(ssrc)?;
        payloader.emit_by_name::<()>("add-extension", &[&PlayoutDelayExtension::new(delay)]);
        payloader.set_property("seqnum-offset", start.next_seqnum as i32);
        payloader.set_property("timestamp-offset", start.timestamp_offset);
        if payloader.has_property("picture-id-offset") {
            payloader.set_property("picture-id-offset", start.next_picture_id as i32);
        }
        // Never let one slow viewer stall the encoders: drop its oldest frames instead. Before
        // the payloader, so the viewer's thread takes one frame at a time, not each of its
        // packets, and payloads it there rather than on the encoder's thread (16 viewers'
        // packet handoffs were a fifth of the sender's CPU).
        let queue = leaky_queue(FRAMES_QUEUED)?;
        let pacer = pacer.map(|p| p.element()).transpose()?;
        let mut chain = vec![&funnel, &queue, &payloader];
        chain.extend(pacer.as_ref());
        add_chain_into(
            pipeline,
            &chain,
            sink_pad,
            &format!("{codec} to the viewer"),
        )?;
        let keyframe_requests = Arc::new(AtomicU64::new(0));
        let (counter, key, sender) = (keyframe_requests.clone(), viewer.clone(), commands.clone());
        payloader.static_pad("src").unwrap().add_probe(
            gst::PadProbeType::EVENT_UPSTREAM,
            move |_, info| {
                let wanted = info
                    .event()
                    .is_some_and(|e| gst_video::UpstreamForceKeyUnitEvent::parse(e).is_ok());
                if !wanted {
                    return gst::PadProbeReturn::Ok;
                }
                counter.fetch_add(1, Ordering::Relaxed);
                let _ = sender.send(Command::KeyframeWanted(key.clone()));
                // Handled (consumed), not dropped: see the ladder's reconfigure probe.
                gst::PadProbeReturn::Handled
            },
        );
        Ok(Self {
            codec,
            funnel,
            payloader,
            queue,
            pacer,
            switch: Arc::default(),
            branches: Vec::new(),
            keyframe_requests,
            viewer: viewer.clone(),
            commands: commands.clone(),
            start,
            frames_passed: Arc::default(),
        })
    }

    /// Where this viewer's RTP stream stands, for a path built later for the same viewer
    /// (its video switched off and on again) to go on from.
    pub(crate) fn continuity(&self) -> Continuity {
        let sent = self.frames_passed.load(Ordering::Relaxed) as u32;
        let packets = self.frames_passed.load(Ordering::Relaxed) > 0;
        Continuity {
            next_seqnum: if packets {
                self.payloader.property::<u32>("seqnum").wrapping_add(1) & 0xffff
            } else {
                self.start.next_seqnum
            },
            timestamp_offset: self.start.timestamp_offset,
            next_picture_id: self.start.next_picture_id.wrapping_add(sent) & 0x7fff,
        }
    }

    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    pub(crate) fn keyframe_requests(&self) -> u64 {
        self.keyframe_requests.load(Ordering::Relaxed)
    }

    /// The rung the viewer receives now (or, before its first frame, the one it will).
    pub(crate) fn rung(&self) -> Option<usize> {
        let switch = self.switch.lock().unwrap();
        switch.current.or(switch.pending)
    }

    /// How long a move has waited for its keyframe.
    pub(crate) fn move_waiting(&self) -> Option<std::time::Duration> {
        self.switch.lock().unwrap().since.map(|at| at.elapsed())
    }

    /// The rung the viewer is moving to, if a move is under way.
    pub(crate) fn moving_to(&self) -> Option<usize> {
        self.switch.lock().unwrap().pending
    }

    /// Starts moving the viewer onto `rung`, at its next keyframe (the caller asks for one).
    /// Branches to rungs left behind are returned, for the reaper; a branch that may still be
    /// needed stays.
    pub(crate) fn move_to(
        &mut self,
        pipeline: &gst::Pipeline,
        rung: &Rung,
    ) -> Result<Vec<ViewerLink>, BuildError> {
        let (current, pending) = {
            let mut switch = self.switch.lock().unwrap();
            if switch.current == Some(rung.index) {
                switch.pending = None;
                switch.cutoff = None;
                switch.since = None;
            } else {
                switch.pending = Some(rung.index);
                switch.cutoff = None;
                switch.since = Some(std::time::Instant::now());
            }
            (switch.current, switch.pending)
        };
        if !self.branches.iter().any(|(i, _)| *i == rung.index) {
            let link = self.branch(pipeline, rung)?;
            self.branches.push((rung.index, link));
        }
        // Keep the rung that feeds the viewer now and the one it moves to; the rest go.
        let keep = |i: usize| Some(i) == current || Some(i) == pending;
        let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.branches)
            .into_iter()
            .partition(|(i, _)| keep(*i));
        self.branches = kept;
        Ok(gone.into_iter().map(|(_, link)| link).collect())
    }

    /// Gives up a move whose keyframe has not come within `limit` (an encoder that ignored the
    /// request): the viewer stays where it is, and true is returned.
    pub(crate) fn give_up_stale_move(&mut self, limit: std::time::Duration) -> bool {
        let mut switch = self.switch.lock().unwrap();
        let stale = switch.current.is_some() && switch.since.is_some_and(|at| at.elapsed() > limit);
        if stale {
            switch.pending = None;
            switch.cutoff = None;
            switch.since = None;
        }
        stale
    }

    /// Branches to rungs that no longer feed the viewer, once a move is done.
    pub(crate) fn settle(&mut self) -> Vec<ViewerLink> {
        let current = {
            let switch = self.switch.lock().unwrap();
            if switch.pending.is_some() {
                return Vec::new();
            }
            switch.current
        };
        let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.branches)
            .into_iter()
            .partition(|(i, _)| Some(*i) == current);
        self.branches = kept;
        gone.into_iter().map(|(_, link)| link).collect()
    }

    fn branch(&self, pipeline: &gst::Pipeline, rung: &Rung) -> Result<ViewerLink, BuildError> {
        let funnel_pad = self
            .funnel
            .request_pad_simple("sink_%u")
            .ok_or_else(|| BuildError::gst("the funnel gave no pad"))?;
        let (switch, index) = (self.switch.clone(), rung.index);
        let (viewer, commands) = (self.viewer.clone(), self.commands.clone());
        let passed = self.frames_passed.clone();
        funnel_pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
            let Some(buffer) = info.buffer() else {
                return gst::PadProbeReturn::Ok;
            };
            let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
            // Running times, not timestamps: only those compare across encoders.
            let pts = running_time(pad, buffer.pts());
            let (pass, ask) = switch.lock().unwrap().pass(index, keyframe, pts);
            if ask {
                let _ = commands.send(Command::MoveNeedsKeyframe(viewer.clone()));
            }
            if pass {
                passed.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            } else {
                // Handled (the binding frees the buffer), not Drop: GStreamer 1.22 would then
                // unref a buffer the binding already took, with a critical warning each time.
                gst::PadProbeReturn::Handled
            }
        });
        let tee_pad = rung
            .tee()
            .request_pad_simple("src_%u")
            .ok_or_else(|| BuildError::gst("the rung's tee gave no pad"))?;
        tee_pad.link(&funnel_pad).map_err(|e| BuildError::Link {
            what: format!("rung {index} to the viewer"),
            cause: e.to_string(),
        })?;
        let _ = pipeline;
        Ok(ViewerLink::branch(
            rung.tee().clone(),
            tee_pad,
            self.funnel.clone(),
            funnel_pad,
        ))
    }

    /// Takes the path apart for the reaper: the branches first (cut off from the rungs), then
    /// the path's own elements.
    pub(crate) fn into_links(self) -> Vec<ViewerLink> {
        let mut links: Vec<ViewerLink> = self.branches.into_iter().map(|(_, l)| l).collect();
        let mut elements = vec![self.funnel, self.queue, self.payloader];
        elements.extend(self.pacer);
        links.push(ViewerLink::elements(elements));
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Option<gst::ClockTime> {
        Some(gst::ClockTime::from_mseconds(v))
    }

    #[test]
    fn a_move_happens_at_the_new_rungs_first_later_keyframe() {
        let mut s = Switch {
            pending: Some(1),
            ..Default::default()
        };
        // The first rung to give a keyframe starts the stream.
        assert_eq!(s.pass(0, true, ms(0)), (false, false));
        assert_eq!(s.pass(1, true, ms(0)), (true, false));
        assert_eq!(s.pass(1, false, ms(33)), (true, false));
        // Moving to a quicker rung 0: its keyframe comes first and the move is seamless.
        s.pending = Some(0);
        assert_eq!(s.pass(0, false, ms(66)), (false, false));
        assert_eq!(s.pass(1, false, ms(66)), (true, false));
        assert_eq!(s.pass(0, true, ms(100)), (true, false));
        assert_eq!(s.current, Some(0));
        // The old rung's frames no longer pass, even late ones.
        assert_eq!(s.pass(1, false, ms(100)), (false, false));
        assert_eq!(s.pass(1, true, ms(133)), (false, false));
        assert_eq!(s.pass(0, false, ms(133)), (true, false));
    }

    #[test]
    fn a_slower_rung_moved_to_holds_the_old_one_back_for_its_next_keyframe() {
        let mut s = Switch {
            current: Some(1),
            pending: Some(0),
            last_pts: ms(200),
            ..Default::default()
        };
        // Older than what the viewer has: refused, the old rung held, a keyframe asked for.
        assert_eq!(s.pass(0, true, ms(166)), (false, true));
        assert_eq!(s.pass(1, false, ms(233)), (false, false));
        assert_eq!(s.pass(0, false, ms(200)), (false, false));
        assert_eq!(s.pass(0, true, ms(266)), (true, false));
        assert_eq!(s.pass(1, false, ms(266)), (false, false));
    }

    #[test]
    fn a_keyframe_that_does_not_come_never_freezes_the_picture() {
        let mut s = Switch {
            current: Some(1),
            pending: Some(0),
            last_pts: ms(100),
            ..Default::default()
        };
        assert_eq!(s.pass(0, true, ms(66)), (false, true));
        assert_eq!(s.pass(1, false, ms(133)), (false, false));
        assert_eq!(s.pass(1, false, ms(366)), (false, false));
        assert_eq!(
            s.pass(1, false, ms(433)),
            (true, false),
            "held back no longer"
        );
        assert_eq!(s.pending, Some(0));
        assert_eq!(s.pass(0, true, ms(466)), (true, false));
        assert_eq!(s.current, Some(0));
    }
}
