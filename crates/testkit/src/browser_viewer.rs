//! A headless Chromium viewer (tests/browser/netbench.mjs) in a child process, on this
//! namespace's network or inside a [`ShapedLink`]'s child namespace: what it decoded and
//! showed, as a timeline that grows every 250 ms.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::peer_process::{PeerError, PeerProcess};
use crate::{LossyLink, ShapedLink};

/// A frame presented (requestVideoFrameCallback), with Chromium's metadata. Times are
/// wall-clock ms (Unix epoch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// When it was presented.
    pub shown_ms: f64,
    pub height: u32,
    /// Chromium's count of frames presented so far (callbacks may skip some).
    pub presented: u64,
    /// When Chromium expects it on screen.
    pub display_ms: f64,
    /// When its last packet came in.
    pub receive_ms: Option<f64>,
    /// Its RTP timestamp (90 kHz, from the sender's capture clock).
    pub rtp_timestamp: Option<u32>,
    /// The sender's capture time, which Chromium gives only with the abs-capture-time header
    /// extension.
    pub capture_ms: Option<f64>,
}

/// The inbound-rtp video stats of one line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoStats {
    pub frames_decoded: u64,
    pub frames_received: u64,
    pub frames_dropped: u64,
    pub freeze_count: u64,
    pub total_freezes_duration: f64,
    pub bytes_received: u64,
    pub packets_received: u64,
    pub packets_lost: i64,
    pub frame_width: u32,
    pub frame_height: u32,
    pub pli_count: u64,
    pub nack_count: u64,
    pub key_frames_decoded: u64,
    /// Forward error correction packets (ULPFEC) that came in.
    pub fec_packets_received: u64,
    /// Of those, the ones not needed (no packet of theirs was lost).
    pub fec_packets_discarded: u64,
    /// Retransmissions (RTX) that came in.
    pub retransmitted_packets_received: u64,
}

/// One stats line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Wall-clock ms of the line.
    pub t_ms: f64,
    pub status: String,
    /// Wall-clock ms when the page asked for a session.
    pub join_at: Option<f64>,
    pub first_frame_at: Option<f64>,
    /// None before the peer connection exists.
    pub video: Option<VideoStats>,
}

/// Everything the viewer reported so far.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub samples: Vec<Sample>,
    pub frames: Vec<Frame>,
    /// The keys of the first frame's metadata: what Chromium really gives.
    pub metadata_keys: Vec<String>,
    pub errors: Vec<String>,
}

impl Timeline {
    pub fn last(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// The last sample's video stats.
    pub fn video(&self) -> Option<&VideoStats> {
        self.samples.iter().rev().find_map(|s| s.video.as_ref())
    }

    /// The first sample at or after wall-clock `t_ms` that has video stats.
    pub fn sample_at(&self, t_ms: f64) -> Option<&Sample> {
        self.samples
            .iter()
            .find(|s| s.t_ms >= t_ms && s.video.is_some())
    }

    /// Video kbit/s received between the samples nearest after `from_ms` and at or before
    /// `to_ms`.
    pub fn bitrate_kbps(&self, from_ms: f64, to_ms: f64) -> Option<f64> {
        let start = self.sample_at(from_ms)?;
        let end = self
            .samples
            .iter()
            .rev()
            .find(|s| s.t_ms <= to_ms && s.video.is_some())?;
        let seconds = (end.t_ms - start.t_ms) / 1000.0;
        if seconds <= 0.0 {
            return None;
        }
        let bytes =
            end.video.as_ref()?.bytes_received as f64 - start.video.as_ref()?.bytes_received as f64;
        Some(bytes * 8.0 / 1000.0 / seconds)
    }
}

pub struct BrowserViewer {
    timeline: Arc<Mutex<Timeline>>,
    /// A message per line parsed, to wait on.
    updates: flume::Receiver<()>,
    process: PeerProcess,
}

impl BrowserViewer {
    /// Starts Chromium watching the first producer on the signalling server at `url`; inside
    /// `link`'s child namespace when given.
    pub fn start(name: &str, url: &str, link: Option<&ShapedLink>) -> Result<Self, PeerError> {
        let command = match link {
            Some(link) => link.command("node"),
            None => Command::new("node"),
        };
        Self::spawn(name, url, command)
    }

    /// Starts Chromium as [`BrowserViewer::start`] does, inside `link`'s child namespace.
    pub fn start_behind(name: &str, url: &str, link: &LossyLink) -> Result<Self, PeerError> {
        Self::spawn(name, url, link.command("node"))
    }

    fn spawn(name: &str, url: &str, mut command: Command) -> Result<Self, PeerError> {
        command.arg(script()?).arg(url);
        let process = PeerProcess::spawn(name, command)?;
        let timeline = Arc::new(Mutex::new(Timeline::default()));
        let (tx, updates) = flume::unbounded();
        let lines = process.lines.clone();
        let into = timeline.clone();
        std::thread::spawn(move || {
            for line in lines.iter() {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                apply(&mut into.lock().unwrap(), &v);
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            timeline,
            updates,
            process,
        })
    }

    /// A copy of the timeline so far.
    pub fn timeline(&self) -> Timeline {
        self.timeline.lock().unwrap().clone()
    }

    /// Waits until `want` accepts the timeline; returns a copy of it then.
    pub fn wait(
        &self,
        within: Duration,
        what: &str,
        mut want: impl FnMut(&Timeline) -> bool,
    ) -> Result<Timeline, PeerError> {
        let deadline = Instant::now() + within;
        loop {
            {
                let timeline = self.timeline.lock().unwrap();
                if want(&timeline) {
                    return Ok(timeline.clone());
                }
            }
            match self.updates.recv_deadline(deadline) {
                Ok(()) => {}
                Err(e) => {
                    let last = self.timeline.lock().unwrap().last().cloned();
                    let detail = format!("; last stats: {last:?}{}", self.process.last_words());
                    let peer = self.process.name().to_owned();
                    let what = what.to_owned();
                    return Err(match e {
                        flume::RecvTimeoutError::Timeout => PeerError::Timeout {
                            peer,
                            what,
                            within,
                            detail,
                        },
                        flume::RecvTimeoutError::Disconnected => {
                            PeerError::Ended { peer, what, detail }
                        }
                    });
                }
            }
        }
    }

    /// Waits until the page has asked for a session; its wall-clock ms then.
    pub fn wait_joined(&self, within: Duration) -> Result<f64, PeerError> {
        let t = self.wait(within, "session asked for", |t| {
            t.last().is_some_and(|s| s.join_at.is_some())
        })?;
        Ok(t.last().and_then(|s| s.join_at).unwrap_or_default())
    }
}

/// tests/browser/netbench.mjs, next to the node_modules that scripts/setup.sh installs.
fn script() -> Result<PathBuf, PeerError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    if !dir.join("node_modules/playwright-core").exists() {
        return Err(PeerError::Setup(format!(
            "{} has no node_modules: run scripts/setup.sh --tests",
            dir.display()
        )));
    }
    Ok(dir.join("netbench.mjs"))
}

/// Adds one JSON line of netbench.mjs to the timeline.
fn apply(timeline: &mut Timeline, v: &Value) {
    if let Some(keys) = v.get("metadataKeys").and_then(Value::as_array) {
        timeline.metadata_keys = keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        return;
    }
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        timeline.errors.push(e.to_owned());
        return;
    }
    let Some(t_ms) = v.get("t").and_then(Value::as_f64) else {
        return;
    };
    let u = |o: &Value, k: &str| o.get(k).and_then(Value::as_u64).unwrap_or(0);
    let video = v
        .get("video")
        .filter(|o| o.is_object())
        .map(|o| VideoStats {
            frames_decoded: u(o, "framesDecoded"),
            frames_received: u(o, "framesReceived"),
            frames_dropped: u(o, "framesDropped"),
            freeze_count: u(o, "freezeCount"),
            total_freezes_duration: o
                .get("totalFreezesDuration")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            bytes_received: u(o, "bytesReceived"),
            packets_received: u(o, "packetsReceived"),
            packets_lost: o.get("packetsLost").and_then(Value::as_i64).unwrap_or(0),
            frame_width: u(o, "frameWidth") as u32,
            frame_height: u(o, "frameHeight") as u32,
            pli_count: u(o, "pliCount"),
            nack_count: u(o, "nackCount"),
            key_frames_decoded: u(o, "keyFramesDecoded"),
            fec_packets_received: u(o, "fecPacketsReceived"),
            fec_packets_discarded: u(o, "fecPacketsDiscarded"),
            retransmitted_packets_received: u(o, "retransmittedPacketsReceived"),
        });
    timeline.samples.push(Sample {
        t_ms,
        status: v
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        join_at: v.get("joinAt").and_then(Value::as_f64),
        first_frame_at: v.get("firstFrameAt").and_then(Value::as_f64),
        video,
    });
    for f in v
        .get("frames")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(f) = f.as_array() else { continue };
        let num = |i: usize| f.get(i).and_then(Value::as_f64);
        let Some(shown_ms) = num(0) else { continue };
        timeline.frames.push(Frame {
            shown_ms,
            height: num(1).unwrap_or(0.0) as u32,
            presented: num(2).unwrap_or(0.0) as u64,
            display_ms: num(3).unwrap_or(shown_ms),
            receive_ms: num(4),
            rtp_timestamp: f.get(5).and_then(Value::as_u64).map(|t| t as u32),
            capture_ms: num(6),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_make_a_timeline_and_its_bitrate() {
        let mut t = Timeline::default();
        apply(
            &mut t,
            &serde_json::json!({"metadataKeys": ["presentationTime", "captureTime"]}),
        );
        apply(
            &mut t,
            &serde_json::json!({"t": 1000.0, "status": "watching", "joinAt": 500.0,
                "firstFrameAt": 900.0, "video": {"bytesReceived": 1000, "frameHeight": 480},
                "frames": [[900.0, 480, 1, 910.0, 890.0, 4000, 860.0],
                    [933.0, 480, 2, 943.0, null, null, null]]}),
        );
        apply(
            &mut t,
            &serde_json::json!({"t": 2000.0, "status": "watching", "joinAt": 500.0,
                "firstFrameAt": 900.0, "video": {"bytesReceived": 126000, "frameHeight": 360},
                "frames": []}),
        );
        assert_eq!(t.metadata_keys, ["presentationTime", "captureTime"]);
        assert_eq!(t.frames.len(), 2);
        assert_eq!(t.frames[0].capture_ms, Some(860.0));
        assert_eq!(t.frames[0].rtp_timestamp, Some(4000));
        assert_eq!(t.frames[1].receive_ms, None);
        assert_eq!(t.frames[1].display_ms, 943.0);
        assert_eq!(t.video().unwrap().frame_height, 360);
        assert_eq!(t.bitrate_kbps(0.0, 2000.0), Some(1000.0));
        assert_eq!(t.bitrate_kbps(1500.0, 2000.0), None);
    }
}
