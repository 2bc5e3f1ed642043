//! What a viewer's timeline says over a measuring window: frames decoded per frame played,
//! freezes, bitrate, height, first frame, recovery after a step, glass-to-glass delay. Pure
//! functions of [`Timeline`], so they are tested without a browser.

use reelcast_testkit::{FirefoxSample, Frame, Timeline};
use serde_json::{json, Value};

/// A gap between two frames shown longer than this is a freeze of our own count.
pub const FREEZE_GAP_MS: f64 = 300.0;
/// Smooth play: over this long, at least [`SMOOTH_SHARE`] of the frames played are shown and no
/// gap is longer than [`FREEZE_GAP_MS`].
pub const SMOOTH_WINDOW_MS: f64 = 2000.0;
pub const SMOOTH_SHARE: f64 = 0.9;
/// Firefox: a freeze is no new frame shown (mozPaintedFrames, read about every 250 ms) between
/// two lines that saw one, over more than this; so a real gap of 350 ms to 600 ms at least.
pub const FIREFOX_STALL_MS: f64 = 600.0;
/// The step of the search for the start of smooth play.
const RECOVERY_STEP_MS: f64 = 100.0;

/// One viewer over one window.
#[derive(Debug, Clone, Default)]
pub struct ViewerResult {
    /// Frames decoded (inbound-rtp framesDecoded) per frame the file played.
    pub decoded_share: Option<f64>,
    /// Chromium's inbound-rtp freezeCount over the window.
    pub freezes: u64,
    /// Our count of gaps longer than [`FREEZE_GAP_MS`] between frames shown (from the window's
    /// start to its end), and the longest gap.
    pub gaps: usize,
    pub longest_gap_ms: f64,
    pub kbps: Option<f64>,
    /// The height decoded at the end, and the smallest and largest shown in the window.
    pub height: u32,
    pub heights: Option<(u32, u32)>,
    /// From the page's session request to its first frame shown.
    pub first_frame_ms: Option<f64>,
    pub packets_lost: i64,
    pub plis: u64,
    /// Chromium's inbound-rtp fecPacketsReceived, fecPacketsDiscarded and
    /// retransmittedPacketsReceived over the window.
    pub fec_received: u64,
    pub fec_discarded: u64,
    pub retransmitted: u64,
    /// From a rate change to the start of smooth play; None if it never came back.
    pub recover_down_ms: Option<f64>,
    pub recover_up_ms: Option<f64>,
    /// From a frame's capture to its expected display, with the capture time taken from its
    /// RTP timestamp (see [`glass_to_glass`]): p50, p95 and how many frames.
    pub glass_to_glass: Option<Percentiles>,
    /// Expected display time minus Chromium's captureTime, which it gives only with the
    /// abs-capture-time header extension.
    pub capture_to_display: Option<Percentiles>,
    /// Expected display time minus receiveTime.
    pub receive_to_display: Option<Percentiles>,
}

#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub count: usize,
}

impl Percentiles {
    fn of(mut values: Vec<f64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        Some(Self {
            p50: at(0.5),
            p95: at(0.95),
            count: values.len(),
        })
    }

    pub fn json(p: &Option<Self>) -> Value {
        p.map_or(
            Value::Null,
            |p| json!({"p50_ms": p.p50, "p95_ms": p.p95, "count": p.count}),
        )
    }
}

/// A window of a run, in wall-clock ms, and the rate changes in it.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end_ms: f64,
    /// When the link stepped down, and back up.
    pub step_down_ms: Option<f64>,
    pub step_up_ms: Option<f64>,
    pub fps: f64,
}

/// The viewer's numbers from its 3rd second on (2 s after it asked for a session) to the end.
pub fn measure(t: &Timeline, window: &Window) -> ViewerResult {
    let join = t.samples.iter().find_map(|s| s.join_at);
    let first = t.samples.iter().find_map(|s| s.first_frame_at);
    let mut r = ViewerResult {
        first_frame_ms: join.zip(first).map(|(j, f)| f - j),
        ..ViewerResult::default()
    };
    let Some(join) = join else { return r };
    let start_ms = join + 2000.0;
    let end_ms = window.end_ms;
    let start = t.sample_at(start_ms);
    let end = t
        .samples
        .iter()
        .rev()
        .find(|s| s.t_ms <= end_ms && s.video.is_some());
    if let (Some(s), Some(e)) = (start, end) {
        let (sv, ev) = (s.video.as_ref().unwrap(), e.video.as_ref().unwrap());
        let played = (e.t_ms - s.t_ms) / 1000.0 * window.fps;
        if played > 0.0 {
            r.decoded_share =
                Some(ev.frames_decoded.saturating_sub(sv.frames_decoded) as f64 / played);
        }
        r.freezes = ev.freeze_count.saturating_sub(sv.freeze_count);
        r.packets_lost = ev.packets_lost - sv.packets_lost;
        r.plis = ev.pli_count.saturating_sub(sv.pli_count);
        r.fec_received = ev
            .fec_packets_received
            .saturating_sub(sv.fec_packets_received);
        r.fec_discarded = ev
            .fec_packets_discarded
            .saturating_sub(sv.fec_packets_discarded);
        r.retransmitted = ev
            .retransmitted_packets_received
            .saturating_sub(sv.retransmitted_packets_received);
        r.height = ev.frame_height;
    }
    r.kbps = t.bitrate_kbps(start_ms, end_ms);
    let shown: Vec<&Frame> = t
        .frames
        .iter()
        .filter(|f| f.shown_ms >= start_ms && f.shown_ms <= end_ms)
        .collect();
    let gaps = gaps(&shown, start_ms, end_ms);
    r.gaps = gaps.iter().filter(|g| **g > FREEZE_GAP_MS).count();
    r.longest_gap_ms = gaps.iter().copied().fold(0.0, f64::max);
    r.heights = shown
        .iter()
        .map(|f| f.height)
        .filter(|h| *h > 0)
        .fold(None, |acc, h| match acc {
            None => Some((h, h)),
            Some((lo, hi)) => Some((lo.min(h), hi.max(h))),
        });
    r.glass_to_glass = Percentiles::of(glass_to_glass(&shown));
    r.capture_to_display = Percentiles::of(
        shown
            .iter()
            .filter_map(|f| Some(f.display_ms - f.capture_ms?))
            .collect(),
    );
    r.receive_to_display = Percentiles::of(
        shown
            .iter()
            .filter_map(|f| Some(f.display_ms - f.receive_ms?))
            .collect(),
    );
    if let Some(down) = window.step_down_ms {
        let until = window.step_up_ms.unwrap_or(end_ms);
        r.recover_down_ms = recovery(&t.frames, down, until, window.fps);
    }
    if let Some(up) = window.step_up_ms {
        r.recover_up_ms = recovery(&t.frames, up, end_ms, window.fps);
    }
    r
}

/// Firefox's numbers from its 3rd second on (2 s after its page first said it asked for a
/// session) to the end of the window. Firefox gives no freezeCount, bytes or frames'
/// timestamps: `freezes` and `gaps` are both stalls in mozPaintedFrames longer than
/// [`FIREFOX_STALL_MS`] (`longest_gap_ms` the longest, to ±250 ms), and the bitrate is left to
/// the caller (what the link delivered).
pub fn measure_firefox(samples: &[FirefoxSample], window: &Window) -> ViewerResult {
    let mut r = ViewerResult {
        first_frame_ms: samples.iter().find_map(|s| s.join_ms),
        ..ViewerResult::default()
    };
    let Some(join) = samples.iter().find(|s| s.status != "waiting") else {
        return r;
    };
    let start_ms = join.t_ms + 2000.0;
    let inside: Vec<&FirefoxSample> = samples
        .iter()
        .filter(|s| s.t_ms >= start_ms && s.t_ms <= window.end_ms)
        .collect();
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return r;
    };
    let played = (last.clock_ms - first.clock_ms) / 1000.0 * window.fps;
    if played > 0.0 {
        r.decoded_share =
            Some(last.frames_decoded.saturating_sub(first.frames_decoded) as f64 / played);
    }
    r.packets_lost = last.packets_lost - first.packets_lost;
    r.height = last.height;
    r.heights = inside
        .iter()
        .map(|s| s.height)
        .filter(|h| *h > 0)
        .fold(None, |acc, h| match acc {
            None => Some((h, h)),
            Some((lo, hi)) => Some((lo.min(h), hi.max(h))),
        });
    let stalls = firefox_stalls(&inside);
    r.gaps = stalls.iter().filter(|g| **g > FIREFOX_STALL_MS).count();
    r.freezes = r.gaps as u64;
    r.longest_gap_ms = stalls.iter().copied().fold(0.0, f64::max);
    if let (Some(down), Some(up)) = (window.step_down_ms, window.step_up_ms) {
        r.recover_down_ms = firefox_recovery(samples, down, up, window.fps);
        r.recover_up_ms = firefox_recovery(samples, up, window.end_ms, window.fps);
    }
    r
}

/// The times between new frames in Firefox's stats lines (the page's clock when a line saw
/// one), from the first line to the last.
fn firefox_stalls(lines: &[&FirefoxSample]) -> Vec<f64> {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Vec::new();
    };
    let mut seen = vec![first.clock_ms];
    seen.extend(
        lines
            .windows(2)
            .filter(|w| w[1].painted > w[0].painted)
            .map(|w| w[1].clock_ms),
    );
    seen.push(last.clock_ms);
    seen.windows(2).map(|w| w[1] - w[0]).collect()
}

/// [`recovery`] from Firefox's stats lines (every 250 ms): the first window of
/// [`SMOOTH_WINDOW_MS`] whose painted frames are [`SMOOTH_SHARE`] of those played and whose
/// stalls are none over [`FIREFOX_STALL_MS`].
fn firefox_recovery(samples: &[FirefoxSample], from: f64, until: f64, fps: f64) -> Option<f64> {
    let mut d = 0.0;
    while from + d + SMOOTH_WINDOW_MS <= until {
        let (start, end) = (from + d, from + d + SMOOTH_WINDOW_MS);
        let inside: Vec<&FirefoxSample> = samples
            .iter()
            .filter(|s| s.t_ms >= start && s.t_ms <= end)
            .collect();
        if let (Some(first), Some(last)) = (inside.first(), inside.last()) {
            let played = (last.clock_ms - first.clock_ms) / 1000.0 * fps;
            let painted = last.painted.saturating_sub(first.painted) as f64;
            let stalled = firefox_stalls(&inside)
                .iter()
                .any(|g| *g > FIREFOX_STALL_MS);
            if played > 0.0 && painted >= played * SMOOTH_SHARE && !stalled {
                return Some(d);
            }
        }
        d += RECOVERY_STEP_MS;
    }
    None
}

/// Each frame's delay from capture to expected display. The sender stamps a frame's RTP
/// timestamp from its capture time (90 kHz, one clock for all frames), so capture times are
/// known up to one constant; the constant is set so that the fastest frame's capture→receive is
/// zero. That makes each value a lower bound, short by the fastest frame's encode and transit
/// (a few ms on loopback).
pub fn glass_to_glass(frames: &[&Frame]) -> Vec<f64> {
    // (receive - RTP time, display - RTP time), the RTP timestamp unwrapped across 2^32.
    let mut unwrapped: i64 = 0;
    let mut previous: Option<u32> = None;
    let mut pairs = Vec::new();
    for f in frames {
        let (Some(rtp), Some(receive)) = (f.rtp_timestamp, f.receive_ms) else {
            continue;
        };
        if let Some(p) = previous {
            unwrapped += i64::from(rtp.wrapping_sub(p) as i32);
        }
        previous = Some(rtp);
        let rtp_ms = unwrapped as f64 / 90.0;
        pairs.push((receive - rtp_ms, f.display_ms - rtp_ms));
    }
    let Some(anchor) = pairs.iter().map(|p| p.0).min_by(f64::total_cmp) else {
        return Vec::new();
    };
    pairs.iter().map(|p| p.1 - anchor).collect()
}

/// The gaps between frames shown in [start, end], counting from the start to the first frame
/// and from the last to the end (the whole window when none was shown).
fn gaps(shown: &[&Frame], start_ms: f64, end_ms: f64) -> Vec<f64> {
    let mut times: Vec<f64> = vec![start_ms];
    times.extend(shown.iter().map(|f| f.shown_ms));
    times.push(end_ms);
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// From `from` to the start of the first [`SMOOTH_WINDOW_MS`] that ends by `until` in which
/// play is smooth; None if there is none.
pub fn recovery(frames: &[Frame], from: f64, until: f64, fps: f64) -> Option<f64> {
    let mut d = 0.0;
    while from + d + SMOOTH_WINDOW_MS <= until {
        if smooth(frames, from + d, from + d + SMOOTH_WINDOW_MS, fps) {
            return Some(d);
        }
        d += RECOVERY_STEP_MS;
    }
    None
}

fn smooth(frames: &[Frame], start: f64, end: f64, fps: f64) -> bool {
    let inside: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.shown_ms >= start && f.shown_ms <= end)
        .collect();
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return false;
    };
    // Chromium's count of frames presented also holds those no callback saw.
    let presented = last.presented.saturating_sub(first.presented) + 1;
    let wanted = (end - start) / 1000.0 * fps * SMOOTH_SHARE;
    presented as f64 >= wanted
        && gaps(&inside, start, end)
            .iter()
            .all(|g| *g <= FREEZE_GAP_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reelcast_testkit::{Sample, VideoStats};

    /// Captured at `shown_ms - 50`, received 40 ms later.
    fn frame(shown_ms: f64, presented: u64) -> Frame {
        Frame {
            shown_ms,
            height: 480,
            presented,
            display_ms: shown_ms,
            receive_ms: Some(shown_ms - 10.0),
            rtp_timestamp: Some(((shown_ms - 50.0) * 90.0) as u32),
            capture_ms: None,
        }
    }

    /// Frames every 1000/30 ms from `from` to `to`, counted on from `first`.
    fn play(from: f64, to: f64, first: u64) -> Vec<Frame> {
        let step = 1000.0 / 30.0;
        (0..)
            .map(|i| from + i as f64 * step)
            .take_while(|t| *t < to)
            .enumerate()
            .map(|(i, t)| frame(t, first + i as u64))
            .collect()
    }

    #[test]
    fn firefox_recovers_when_its_painted_frames_flow_again() {
        // A line every 250 ms; 30 frames a second painted, none from 10 to 11.5 s.
        let lines: Vec<FirefoxSample> = (0..80)
            .map(|i| {
                let t = i as f64 * 250.0;
                let frozen = (10_000.0..11_500.0).contains(&t);
                let painted = if t < 10_000.0 {
                    t
                } else if frozen {
                    10_000.0
                } else {
                    t - 1_500.0
                };
                FirefoxSample {
                    t_ms: t,
                    clock_ms: t,
                    painted: (painted / 1000.0 * 30.0) as u64,
                    ..FirefoxSample::default()
                }
            })
            .collect();
        assert_eq!(firefox_recovery(&lines, 0.0, 20_000.0, 30.0), Some(0.0));
        let back = firefox_recovery(&lines, 9_000.0, 20_000.0, 30.0).unwrap();
        assert!((2_000.0..=2_750.0).contains(&back), "{back}");
    }

    #[test]
    fn recovery_is_the_start_of_the_first_smooth_window() {
        // Smooth until 10 s, nothing from 10 to 11.5 s, smooth again after.
        let mut frames = play(0.0, 10_000.0, 1);
        let n = frames.len() as u64;
        frames.extend(play(11_500.0, 20_000.0, n + 1));
        assert_eq!(recovery(&frames, 0.0, 20_000.0, 30.0), Some(0.0));
        let back = recovery(&frames, 9_000.0, 20_000.0, 30.0).unwrap();
        assert!((2_200.0..=2_500.0).contains(&back), "{back}");
        assert_eq!(recovery(&frames, 10_000.0, 12_000.0, 30.0), None);
    }

    #[test]
    fn a_window_counts_decoded_frames_gaps_and_delay() {
        let sample = |t_ms: f64, decoded: u64, freezes: u64| Sample {
            t_ms,
            status: "watching".into(),
            join_at: Some(0.0),
            first_frame_at: Some(400.0),
            video: Some(VideoStats {
                frames_decoded: decoded,
                freeze_count: freezes,
                bytes_received: decoded * 1000,
                frame_height: 480,
                ..VideoStats::default()
            }),
        };
        let mut frames = play(400.0, 6_000.0, 1);
        frames.extend(play(6_500.0, 12_000.0, frames.len() as u64 + 1));
        let t = Timeline {
            samples: vec![sample(2_000.0, 48, 0), sample(12_000.0, 333, 1)],
            frames,
            ..Timeline::default()
        };
        let r = measure(
            &t,
            &Window {
                end_ms: 12_000.0,
                step_down_ms: None,
                step_up_ms: None,
                fps: 30.0,
            },
        );
        assert!((r.decoded_share.unwrap() - 0.95).abs() < 1e-9);
        assert_eq!((r.freezes, r.gaps, r.height), (1, 1, 480));
        assert!((r.longest_gap_ms - 500.0).abs() < 34.0);
        assert_eq!(r.first_frame_ms, Some(400.0));
        // Every frame 50 ms from capture to screen, the fastest 40 ms to the receiver: 10 ms.
        assert!((r.glass_to_glass.unwrap().p50 - 10.0).abs() < 0.1);
        assert_eq!(r.receive_to_display.unwrap().p50, 10.0);
        assert!(r.capture_to_display.is_none());
        // 285 frames of 1000 bytes in 10 s.
        assert!((r.kbps.unwrap() - 228.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod firefox_tests {
    use super::*;

    #[test]
    fn firefox_counts_decoded_frames_and_stalls_in_frames_shown() {
        // Lines every 250 ms from wall 1000 (page clock 0), 30 frames a second, none shown
        // from 6 s to 7 s, one frame in 10 not decoded.
        let samples: Vec<FirefoxSample> = (0..=48)
            .map(|i| {
                let clock = f64::from(i) * 250.0;
                let shown = if clock < 6_000.0 {
                    clock * 0.03
                } else if clock <= 7_000.0 {
                    180.0
                } else {
                    180.0 + (clock - 7_000.0) * 0.03
                };
                FirefoxSample {
                    t_ms: 1_000.0 + clock,
                    clock_ms: clock,
                    status: if i == 0 { "waiting" } else { "watching" }.into(),
                    frames_decoded: (clock * 0.027) as u64,
                    painted: shown as u64,
                    height: if clock < 5_000.0 { 360 } else { 480 },
                    packets_lost: i64::from(i / 4),
                    join_ms: (i > 2).then_some(450.0),
                    ..FirefoxSample::default()
                }
            })
            .collect();
        let r = measure_firefox(
            &samples,
            &Window {
                end_ms: 1_000.0 + 12_000.0,
                step_down_ms: None,
                step_up_ms: None,
                fps: 30.0,
            },
        );
        // From the first line that asked (wall 1250) + 2 s to wall 13000.
        assert!((r.decoded_share.unwrap() - 0.9).abs() < 0.01, "{r:?}");
        assert_eq!((r.freezes, r.gaps), (1, 1));
        assert!((1_000.0..=1_250.0).contains(&r.longest_gap_ms), "{r:?}");
        assert_eq!((r.height, r.heights), (480, Some((360, 480))));
        assert_eq!(r.first_frame_ms, Some(450.0));
        assert_eq!(r.packets_lost, 12 - 2);
    }
}

#[cfg(test)]
mod glass_tests {
    use super::*;

    #[test]
    fn glass_to_glass_follows_rtp_time_across_a_wrap() {
        // RTP time wraps between the frames; the second waited 30 ms longer in the receiver.
        let a = Frame {
            display_ms: 1_000.0,
            receive_ms: Some(990.0),
            rtp_timestamp: Some(u32::MAX - 899),
            ..Frame::default()
        };
        let b = Frame {
            display_ms: 1_100.0,
            receive_ms: Some(1_050.0),
            rtp_timestamp: Some(1_800),
            ..Frame::default()
        };
        // b was captured 30 ms after a (2700 ticks) and shown 100 ms after it.
        let delays = glass_to_glass(&[&a, &b]);
        assert_eq!(delays.len(), 2);
        assert!((delays[0] - 10.0).abs() < 1e-6, "{delays:?}");
        assert!((delays[1] - 80.0).abs() < 1e-6, "{delays:?}");
    }
}
