//! The encode-once ladder: each video codec encoded at a few sizes (rungs), every rung once
//! for all the viewers that use it, each viewer fed from the rung its own link carries.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;

use super::build_error::BuildError;
use super::codec::{make, Codec};
use super::controller::RAISE;
use super::events::RungStats;

/// Each rung's height as a fraction of the picture's (numerator, denominator): full, five
/// sixths, two thirds, a half, five twelfths and a third. Neighbours are 1.3-1.5x apart in
/// bitrate: with thirds alone (2.2x apart) a viewer behind 1.2 Mbit/s of a 480p share got two
/// thirds at 55 % of its link, since the full size did not fit. Simulcast publishes full, two
/// thirds and a third (`simulcast::LAYER_RUNGS`). A rung costs nothing while nobody watches.
pub(crate) const RUNG_HEIGHTS: [(u32, u32); 6] = [(1, 1), (5, 6), (2, 3), (1, 2), (5, 12), (1, 3)];

/// The least a rung is taken to send, however still its picture.
const MIN_RATE: u32 = 50_000;

/// A rung smaller than this is not worth a viewer's while: it is left out.
const MIN_RUNG_HEIGHT: u32 = 90;

/// A keyframe at most this often on one rung, however many viewers ask: one viewer's losses
/// never turn into a storm of keyframes for the others.
pub(crate) const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

/// What a rung sends now, read by the actor without touching GStreamer. Written from the
/// streaming thread when the picture's size is known.
#[derive(Debug, Default)]
pub(crate) struct RungShape {
    width: AtomicU32,
    height: AtomicU32,
    bitrate: AtomicU32,
    /// The encoder's target is raised over the nominal bitrate (see `controller::Step`).
    raised: AtomicBool,
}

impl RungShape {
    /// The encoder's target against the nominal bitrate.
    fn factor(&self) -> f64 {
        if self.raised.load(Ordering::Relaxed) {
            RAISE
        } else {
            1.0
        }
    }
}

impl RungShape {
    /// (width, height, bitrate), once the picture's size is known and the rung is in use.
    pub(crate) fn get(&self) -> Option<(u32, u32, u32)> {
        let height = self.height.load(Ordering::Relaxed);
        (height > 0).then(|| {
            (
                self.width.load(Ordering::Relaxed),
                height,
                self.bitrate.load(Ordering::Relaxed),
            )
        })
    }
}

/// The bitrate a rung of this size gets: bits per pixel grow as pictures shrink, since small
/// pictures need more bits per pixel to look as good; within the share's limits.
pub(crate) fn rung_bitrate(width: u32, height: u32, fps: f64, min: u32, max: u32) -> u32 {
    let bits_per_pixel = match height {
        h if h >= 700 => 0.09,
        h if h >= 400 => 0.10,
        h if h >= 300 => 0.12,
        _ => 0.15,
    };
    let bitrate = width as f64 * height as f64 * fps.clamp(1.0, 60.0) * bits_per_pixel;
    (bitrate as u32).clamp(min, max.max(min))
}

/// The size of rung `index` for a picture of `width` x `height`, or `None` where that rung
/// would be too small (then it is not used).
pub(crate) fn rung_size(index: usize, width: u32, height: u32) -> Option<(u32, u32)> {
    let (num, den) = RUNG_HEIGHTS[index];
    if index == 0 {
        return Some((width, height));
    }
    let h = (height * num / den) & !1;
    if h < MIN_RUNG_HEIGHT || h >= height {
        return None;
    }
    let w = ((width as u64 * h as u64 / height.max(1) as u64) as u32).max(2) & !1;
    Some((w, h))
}

/// One rung: `raw tee → valve → queue → [videoscale → capsfilter] → encoder → encoded tee`.
pub(crate) struct Rung {
    pub index: usize,
    encoder: gst::Element,
    valve: gst::Element,
    tee: gst::Element,
    pub shape: Arc<RungShape>,
    frames: Arc<AtomicU64>,
    /// Encoded bytes so far: what the rung really sends (a simple picture costs far less
    /// than its nominal bitrate, and a link that carries that keeps its viewer on it).
    bytes: Arc<AtomicU64>,
    /// Milliseconds since `epoch` of the last keyframe this rung's encoder gave.
    last_keyframe: Arc<AtomicU64>,
    last_request: Mutex<Option<Instant>>,
    codec: Codec,
}

/// The time base of [`Rung::last_keyframe`].
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Rung {
    fn new(
        pipeline: &gst::Pipeline,
        raw_tee: &gst::Element,
        codec: Codec,
        index: usize,
        limits: (u32, u32),
    ) -> Result<Self, BuildError> {
        let valve = make("valve")?;
        if valve.has_property("drop-mode") {
            // Caps and segments still pass, so the encoder is ready for the current picture
            // size when it opens.
            valve.set_property_from_str("drop-mode", "forward-sticky-events");
        }
        // Parked until a viewer needs it.
        valve.set_property("drop", true);
        let queue = make("queue")?;
        // Never let one slow rung stall the others: drop the oldest raw frames instead.
        queue.set_property_from_str("leaky", "downstream");
        queue.set_property("max-size-buffers", 4u32);
        queue.set_property("max-size-bytes", 0u32);
        queue.set_property("max-size-time", 0u64);
        let mut all = vec![valve.clone(), queue.clone()];
        let filter = if index > 0 {
            let scale = make("videoscale")?;
            let filter = make("capsfilter")?;
            all.push(scale);
            all.push(filter.clone());
            Some(filter)
        } else {
            None
        };
        let encoder_chain = codec.make_encoder(limits.1)?;
        let factory = codec.encoder_factory();
        let encoder = encoder_chain
            .iter()
            .find(|e| e.factory().is_some_and(|f| f.name() == factory))
            .cloned()
            .ok_or_else(|| BuildError::MissingElement(factory.to_owned()))?;
        all.extend(encoder_chain);
        let tee = make("tee")?;
        tee.set_property("allow-not-linked", true);
        all.push(tee.clone());
        pipeline.add_many(&all).map_err(BuildError::gst)?;
        gst::Element::link_many(&all).map_err(|e| BuildError::Link {
            what: format!("the {codec} encoder of rung {index}"),
            cause: e.to_string(),
        })?;

        isolate_negotiation(&valve);
        let shape = Arc::new(RungShape::default());
        // The picture that flows now sizes the rung at once, so a viewer's first rung is
        // chosen knowing it; later pictures size it as their caps pass.
        if let Some(caps) = raw_tee.static_pad("sink").and_then(|p| p.current_caps()) {
            size_rung(
                &caps,
                &encoder,
                filter.as_ref(),
                codec,
                index,
                &shape,
                limits,
            );
        }
        watch_caps(&queue, &encoder, filter, codec, index, &shape, limits);
        let frames = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicU64::new(0));
        let last_keyframe = Arc::new(AtomicU64::new(0));
        let (counter, keyframe, size) = (frames.clone(), last_keyframe.clone(), bytes.clone());
        tee.static_pad("sink")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                counter.fetch_add(1, Ordering::Relaxed);
                if let Some(buffer) = info.buffer() {
                    size.fetch_add(buffer.size() as u64, Ordering::Relaxed);
                    if !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT) {
                        keyframe.store(epoch().elapsed().as_millis() as u64, Ordering::Relaxed);
                    }
                }
                gst::PadProbeReturn::Ok
            });
        for element in all.iter().rev() {
            element.sync_state_with_parent().map_err(BuildError::gst)?;
        }
        let raw_pad = raw_tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| BuildError::gst("the raw tee gave no pad"))?;
        raw_pad
            .link(&valve.static_pad("sink").unwrap())
            .map_err(BuildError::gst)?;
        Ok(Self {
            index,
            encoder,
            valve,
            tee,
            shape,
            frames,
            bytes,
            last_keyframe,
            last_request: Mutex::new(None),
            codec,
        })
    }

    pub(crate) fn tee(&self) -> &gst::Element {
        &self.tee
    }

    pub(crate) fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn is_parked(&self) -> bool {
        self.valve.property::<bool>("drop")
    }

    pub(crate) fn park(&self) {
        if !self.is_parked() {
            self.valve.set_property("drop", true);
            tracing::info!(codec = %self.codec, rung = self.index, "rung parked: nobody receives it");
        }
    }

    /// Raises the encoder's target over the rung's nominal bitrate, or lowers it back; the
    /// actor decides (see `controller::raise_rung`). Whether it changed.
    pub(crate) fn raise(&self, on: bool) -> bool {
        if self.shape.raised.swap(on, Ordering::Relaxed) == on {
            return false;
        }
        if let Some((_, _, nominal)) = self.shape.get() {
            let target = (nominal as f64 * self.shape.factor()) as u32;
            self.codec.set_bitrate(&self.encoder, target);
            tracing::debug!(codec = %self.codec, rung = self.index, target, "rung's target set");
        }
        true
    }

    /// Encodes again; the caller asks for the keyframe the viewer moving onto it needs.
    pub(crate) fn unpark(&self) {
        if self.is_parked() {
            self.valve.set_property("drop", false);
            tracing::info!(codec = %self.codec, rung = self.index, "rung resumed");
        }
    }

    /// Number of viewers fed by this rung.
    pub(crate) fn viewer_count(&self) -> usize {
        self.tee.num_src_pads() as usize
    }

    /// A keyframe, unless this rung gave or was asked for one within [`KEYFRAME_INTERVAL`];
    /// then the time it may be asked again (the caller asks again then: the request is
    /// deferred, never lost).
    pub(crate) fn request_keyframe(&self, now: Instant) -> Option<Instant> {
        let keyframe_ms = self.last_keyframe.load(Ordering::Relaxed);
        let last_keyframe = (keyframe_ms > 0).then(|| epoch() + Duration::from_millis(keyframe_ms));
        let mut last = self.last_request.lock().unwrap();
        let latest = [*last, last_keyframe].into_iter().flatten().max();
        if let Some(latest) = latest {
            if now.saturating_duration_since(latest) < KEYFRAME_INTERVAL {
                return Some(latest + KEYFRAME_INTERVAL);
            }
        }
        *last = Some(now);
        drop(last);
        self.send_force_key_unit();
        None
    }

    /// A keyframe now, whatever the throttle says (a seek: every viewer needs one).
    pub(crate) fn force_keyframe(&self, now: Instant) {
        *self.last_request.lock().unwrap() = Some(now);
        self.send_force_key_unit();
    }

    /// Asks this rung's encoder for a keyframe from any thread, for as long as it lives
    /// (a recording's start waits for one).
    pub(crate) fn keyframe_asker(&self) -> impl Fn() + Send + 'static {
        let encoder = self.encoder.downgrade();
        move || {
            if let Some(encoder) = encoder.upgrade() {
                let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                    .all_headers(true)
                    .build();
                let _ = encoder.send_event(event);
            }
        }
    }

    fn send_force_key_unit(&self) {
        let event = gst_video::UpstreamForceKeyUnitEvent::builder()
            .all_headers(true)
            .build();
        let _ = self.encoder.send_event(event);
    }
}

/// A rung takes the picture as it comes and scales it itself: its smaller size must never
/// travel up the raw tee and shrink the picture of every other rung (videoscale upstream
/// would prefer the size a rung asks for). So caps queries from upstream get "anything you
/// have" here, and a rung's reconfigure requests stop here.
fn isolate_negotiation(valve: &gst::Element) {
    let pad = valve.static_pad("sink").unwrap();
    pad.add_probe(gst::PadProbeType::QUERY_DOWNSTREAM, |_, info| {
        let Some(query) = info.query_mut() else {
            return gst::PadProbeReturn::Ok;
        };
        if let gst::QueryViewMut::Caps(q) = query.view_mut() {
            let caps = q
                .filter()
                .map(|f| f.to_owned())
                .unwrap_or_else(|| gst::Caps::builder("video/x-raw").build());
            q.set_result(&caps);
            return gst::PadProbeReturn::Handled;
        }
        gst::PadProbeReturn::Ok
    });
    pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, |_, info| {
        match info.event().map(|e| e.type_()) {
            // Handled, not dropped: GStreamer 1.22 warns of a NULL unref for upstream events
            // a probe drops.
            Some(gst::EventType::Reconfigure) => gst::PadProbeReturn::Handled,
            _ => gst::PadProbeReturn::Ok,
        }
    });
}

/// Sizes the rung to the picture each time the picture's caps come: the scaler's target and
/// the encoder's bitrate follow, and [`RungShape`] tells the actor.
fn watch_caps(
    queue: &gst::Element,
    encoder: &gst::Element,
    filter: Option<gst::Element>,
    codec: Codec,
    index: usize,
    shape: &Arc<RungShape>,
    limits: (u32, u32),
) {
    let (encoder, shape) = (encoder.clone(), shape.clone());
    queue.static_pad("src").unwrap().add_probe(
        gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            if let Some(gst::EventView::Caps(caps)) = info.event().map(|e| e.view()) {
                size_rung(
                    caps.caps(),
                    &encoder,
                    filter.as_ref(),
                    codec,
                    index,
                    &shape,
                    limits,
                );
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// Sets rung `index`'s scaler target, encoder bitrate and [`RungShape`] for a picture of
/// `caps`.
fn size_rung(
    caps: &gst::CapsRef,
    encoder: &gst::Element,
    filter: Option<&gst::Element>,
    codec: Codec,
    index: usize,
    shape: &RungShape,
    (min, max): (u32, u32),
) {
    let Some(s) = caps.structure(0) else {
        return;
    };
    let (Ok(width), Ok(height)) = (s.get::<i32>("width"), s.get::<i32>("height")) else {
        return;
    };
    let (width, height) = (width.max(2) as u32, height.max(2) as u32);
    let fps = s
        .get::<gst::Fraction>("framerate")
        .ok()
        .filter(|f| f.numer() > 0 && f.denom() > 0)
        .map_or(30.0, |f| f.numer() as f64 / f.denom() as f64);
    let size = rung_size(index, width, height);
    // A rung too small for its picture still encodes something small; the actor never moves
    // a viewer onto it (its shape says height 0).
    let (w, h) = size.unwrap_or(((width / 2).max(2) & !1, (height / 2).max(2) & !1));
    if let Some(filter) = filter {
        let caps = gst::Caps::builder("video/x-raw")
            .field("width", w as i32)
            .field("height", h as i32)
            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
            .build();
        filter.set_property("caps", caps);
    }
    let bitrate = rung_bitrate(w, h, fps, min, max);
    codec.set_bitrate(encoder, (bitrate as f64 * shape.factor()) as u32);
    codec.set_size(encoder, w, h);
    shape.width.store(w, Ordering::Relaxed);
    shape
        .height
        .store(if size.is_some() { h } else { 0 }, Ordering::Relaxed);
    shape.bitrate.store(bitrate, Ordering::Relaxed);
    tracing::debug!(%codec, rung = index, w, h, bitrate, "rung sized");
}

/// The running time of an encoded frame at `pad`: its timestamp through the segment. x264enc
/// moves its timestamps 1000 hours on (and its segment with them), so timestamps of rungs
/// compare only as running times.
pub(crate) fn running_time(pad: &gst::Pad, pts: Option<gst::ClockTime>) -> Option<gst::ClockTime> {
    let pts = pts?;
    let event = pad.sticky_event::<gst::event::Segment>(0)?;
    let segment = event.segment().downcast_ref::<gst::ClockTime>()?;
    segment.to_running_time(pts)
}

/// What a running rung really sends: its peak over the last few seconds.
#[derive(Debug, Default)]
struct Meter {
    last: Option<(u64, Instant)>,
    /// Bits per second over each of the last seconds measured, newest last.
    recent: std::collections::VecDeque<u32>,
}

impl Meter {
    const KEEP: usize = 3;

    /// `factor`: the encoder's target against the nominal bitrate; what is kept is what the
    /// rung sends at its nominal target.
    fn sample(&mut self, bytes: u64, now: Instant, running: bool, factor: f64) {
        if let Some((before, at)) = self.last {
            let secs = now.duration_since(at).as_secs_f64();
            if running && bytes >= before && secs > 0.2 {
                self.recent
                    .push_back(((bytes - before) as f64 * 8.0 / secs / factor) as u32);
                while self.recent.len() > Self::KEEP {
                    self.recent.pop_front();
                }
            }
        }
        if !running {
            self.recent.clear();
        }
        self.last = Some((bytes, now));
    }

    fn peak(&self) -> Option<u32> {
        (self.recent.len() >= 2).then(|| self.recent.iter().copied().max().unwrap_or(0))
    }
}

/// A video codec's rungs, full size first.
pub(crate) struct Ladder {
    pub codec: Codec,
    pub rungs: Vec<Rung>,
    meters: Mutex<Vec<Meter>>,
}

impl Ladder {
    /// Builds every rung, parked, fed from `raw_tee`; bitrates within `min..=max`.
    pub(crate) fn new(
        pipeline: &gst::Pipeline,
        raw_tee: &gst::Element,
        codec: Codec,
        min: u32,
        max: u32,
    ) -> Result<Self, BuildError> {
        // Keyframe times count from here, before any streaming thread reads them.
        let _ = epoch();
        let rungs = (0..RUNG_HEIGHTS.len())
            .map(|index| Rung::new(pipeline, raw_tee, codec, index, (min, max)))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::info!(%codec, rungs = rungs.len(), "encoder ladder built");
        let meters = Mutex::new(rungs.iter().map(|_| Meter::default()).collect());
        Ok(Self {
            codec,
            rungs,
            meters,
        })
    }

    /// Reads what each rung sent since the last call (the actor calls it once a second).
    pub(crate) fn measure(&self, now: Instant) {
        let mut meters = self.meters.lock().unwrap();
        for (rung, meter) in self.rungs.iter().zip(meters.iter_mut()) {
            meter.sample(rung.bytes(), now, !rung.is_parked(), rung.shape.factor());
        }
    }

    /// The video bitrate a viewer on each rung receives at its nominal target (`None`: not
    /// usable): what the rung really sends, with room for its peaks, never more than its
    /// nominal bitrate. A parked
    /// rung is taken to send the same share of its nominal bitrate as the running ones do
    /// (the picture's complexity is the same at every size).
    pub(crate) fn video_rates(&self) -> Vec<Option<u32>> {
        let meters = self.meters.lock().unwrap();
        let nominal = self.usable();
        let share = nominal
            .iter()
            .zip(meters.iter())
            .filter_map(|(n, m)| Some(m.peak()? as f64 * 1.25 / n.as_ref()?.2.max(1) as f64))
            .fold(None, |acc: Option<f64>, r| {
                Some(acc.map_or(r, |a| a.max(r)))
            })
            .map(|r| r.min(1.0));
        nominal
            .iter()
            .zip(meters.iter())
            .map(|(n, m)| {
                let (_, _, bitrate) = (*n)?;
                let real = match (m.peak(), share) {
                    (Some(peak), _) => (peak as f64 * 1.25) as u32,
                    (None, Some(share)) => (bitrate as f64 * share) as u32,
                    (None, None) => bitrate,
                };
                Some(real.min(bitrate).max(MIN_RATE))
            })
            .collect()
    }

    /// (width, height, bitrate) of each rung a viewer may be moved onto, by index.
    pub(crate) fn usable(&self) -> Vec<Option<(u32, u32, u32)>> {
        self.rungs.iter().map(|r| r.shape.get()).collect()
    }

    /// Rung `index` as stats show it, once its size is known.
    pub(crate) fn rung_stats(&self, index: usize) -> Option<RungStats> {
        let (width, height, bitrate) = self.rungs.get(index)?.shape.get()?;
        Some(RungStats {
            index,
            width,
            height,
            bitrate,
        })
    }

    /// Parks every rung that feeds nobody, but those in `keep` (the recording's, the one
    /// kept running for the first viewers).
    pub(crate) fn park_idle(&self, keep: &[Option<usize>]) {
        for rung in &self.rungs {
            if rung.viewer_count() == 0 && !keep.contains(&Some(rung.index)) {
                rung.park();
            }
        }
    }

    /// Encoded frames of the busiest rung, for the frame rate in stats.
    pub(crate) fn frames(&self, rung: usize) -> u64 {
        self.rungs.get(rung).map_or(0, Rung::frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_are_sixths_thirds_and_halves_of_the_picture_and_even() {
        let sizes = |w, h| {
            (0..RUNG_HEIGHTS.len())
                .map(|i| rung_size(i, w, h))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sizes(1280, 720),
            [
                Some((1280, 720)),
                Some((1066, 600)),
                Some((852, 480)),
                Some((640, 360)),
                Some((532, 300)),
                Some((426, 240))
            ]
        );
        assert_eq!(
            sizes(854, 480),
            [
                Some((854, 480)),
                Some((710, 400)),
                Some((568, 320)),
                Some((426, 240)),
                Some((354, 200)),
                Some((284, 160))
            ]
        );
        // Too small to be worth a rung.
        assert_eq!(sizes(320, 180)[3], Some((160, 90)));
        assert_eq!(sizes(320, 180)[4], None);
        assert_eq!(sizes(320, 180)[5], None);
    }

    #[test]
    fn each_rung_encodes_its_share_of_the_picture() {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let src = gst::ElementFactory::make("videotestsrc")
            .property("is-live", true)
            .build()
            .unwrap();
        let filter = gst::ElementFactory::make("capsfilter")
            .property(
                "caps",
                gst::Caps::builder("video/x-raw")
                    .field("format", "I420")
                    .field("width", 640)
                    .field("height", 360)
                    .field("framerate", gst::Fraction::new(30, 1))
                    .build(),
            )
            .build()
            .unwrap();
        let tee = make("tee").unwrap();
        tee.set_property("allow-not-linked", true);
        pipeline.add_many([&src, &filter, &tee]).unwrap();
        gst::Element::link_many([&src, &filter, &tee]).unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        let ladder = Ladder::new(&pipeline, &tee, Codec::Vp8, 100_000, 2_500_000).unwrap();
        let (tx, rx) = flume::unbounded();
        for rung in &ladder.rungs {
            rung.unpark();
            let (tx, index) = (tx.clone(), rung.index);
            rung.tee().static_pad("sink").unwrap().add_probe(
                gst::PadProbeType::BUFFER,
                move |pad, _| {
                    if let Some(caps) = pad.current_caps() {
                        let s = caps.structure(0).unwrap();
                        let size = (
                            s.get::<i32>("width").unwrap(),
                            s.get::<i32>("height").unwrap(),
                        );
                        let _ = tx.send((index, size));
                    }
                    gst::PadProbeReturn::Ok
                },
            );
        }
        let mut seen = std::collections::BTreeMap::new();
        while seen.len() < RUNG_HEIGHTS.len() {
            let (index, size) = rx.recv_timeout(Duration::from_secs(10)).expect("frames");
            seen.insert(index, size);
        }
        pipeline.set_state(gst::State::Null).unwrap();
        let sizes: Vec<(i32, i32)> = seen.into_values().collect();
        assert_eq!(
            sizes,
            [
                (640, 360),
                (532, 300),
                (426, 240),
                (320, 180),
                (266, 150),
                (212, 120)
            ]
        );
        let usable = ladder.usable();
        assert_eq!(usable[2].map(|(w, h, _)| (w, h)), Some((426, 240)));
    }

    /// Moves between rungs rely on these: a parked encoder starts with a keyframe, a running
    /// one makes one soon when asked. (Not at a running time asked for: x264enc forgets such
    /// a request after a keyframe of its own.)
    #[test]
    fn encoders_make_keyframes_where_moves_need_them() {
        gst::init().unwrap();
        for codec in [Codec::Vp8, Codec::H264] {
            let pipeline = gst::Pipeline::new();
            let src = gst::ElementFactory::make("videotestsrc")
                .property("is-live", true)
                .build()
                .unwrap();
            let filter = gst::ElementFactory::make("capsfilter")
                .property(
                    "caps",
                    gst::Caps::builder("video/x-raw")
                        .field("format", "I420")
                        .field("width", 320)
                        .field("height", 240)
                        .field("framerate", gst::Fraction::new(30, 1))
                        .build(),
                )
                .build()
                .unwrap();
            let tee = make("tee").unwrap();
            tee.set_property("allow-not-linked", true);
            pipeline.add_many([&src, &filter, &tee]).unwrap();
            gst::Element::link_many([&src, &filter, &tee]).unwrap();
            pipeline.set_state(gst::State::Playing).unwrap();
            let ladder = Ladder::new(&pipeline, &tee, codec, 100_000, 2_500_000).unwrap();
            let rung = &ladder.rungs[0];
            let (tx, rx) = flume::unbounded();
            rung.tee().static_pad("sink").unwrap().add_probe(
                gst::PadProbeType::BUFFER,
                move |pad, info| {
                    let b = info.buffer().unwrap();
                    let key = !b.flags().contains(gst::BufferFlags::DELTA_UNIT);
                    let _ = tx.send((running_time(pad, b.pts()).unwrap(), key));
                    gst::PadProbeReturn::Ok
                },
            );
            let next_key = || loop {
                let (pts, key) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
                if key {
                    break pts;
                }
            };
            rung.unpark();
            rung.force_keyframe(Instant::now());
            let (first, first_key) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
            assert!(
                first_key,
                "{codec}: out of parking, the first frame is a keyframe"
            );
            while rx.recv_timeout(Duration::from_secs(10)).unwrap().0
                < first + gst::ClockTime::from_mseconds(300)
            {}
            let at = pipeline.current_running_time().unwrap();
            rung.force_keyframe(Instant::now());
            let key = next_key();
            pipeline.set_state(gst::State::Null).unwrap();
            assert!(
                key < at + gst::ClockTime::from_seconds(1),
                "{codec}: keyframe at {key}, asked for at {at}"
            );
        }
    }

    #[test]
    fn a_rung_costs_what_it_really_sends_and_parked_rungs_in_proportion() {
        let mut m = Meter::default();
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        assert_eq!(m.peak(), None);
        m.sample(0, s(0), true, 1.0);
        m.sample(25_000, s(1), true, 1.0);
        assert_eq!(m.peak(), None, "one second is not enough");
        m.sample(75_000, s(2), true, 1.0);
        assert_eq!(m.peak(), Some(400_000));
        m.sample(80_000, s(3), false, 1.0);
        assert_eq!(m.peak(), None, "parked");
        let mut raised = Meter::default();
        for (second, bytes) in [(0, 0), (1, 56_000), (2, 112_000)] {
            raised.sample(bytes, s(second), true, RAISE);
        }
        let peak = raised.peak().unwrap();
        assert!(
            peak.abs_diff(400_000) <= 1,
            "counted at its nominal target: {peak}"
        );
    }

    #[test]
    fn smaller_rungs_get_more_bits_per_pixel_within_limits() {
        let full = rung_bitrate(1280, 720, 30.0, 150_000, 2_500_000);
        assert_eq!(full, 2_488_320);
        let third = rung_bitrate(426, 240, 30.0, 150_000, 2_500_000);
        assert!(third > full / 9 && third < full / 4, "{third}");
        assert_eq!(
            rung_bitrate(3840, 2160, 60.0, 150_000, 2_500_000),
            2_500_000
        );
        assert_eq!(rung_bitrate(100, 90, 30.0, 150_000, 2_500_000), 150_000);
    }
}
