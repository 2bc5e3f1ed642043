//! Viewers other than Chromium, as child processes: aiortc (tests/peers/aiortc_viewer.py) and
//! Firefox ESR over Marionette (tests/peers/firefox_viewer.py), run with the Python venv that
//! `scripts/setup.sh --tests` makes. Each prints a JSON stats line every 250 ms.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::peers::Peer;

/// The venv's Python: `$REELCAST_PYENV`, else the cache folder setup.sh uses.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("REELCAST_PYENV")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
            Some(cache.join("reelcast/interop-venv"))
        })
        .expect("HOME or REELCAST_PYENV is set");
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh --tests",
        python.display()
    );
    python
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// An aiortc viewer of the GStreamer signalling server at `url` (ws://), watching the first
/// producer it finds.
pub fn aiortc_viewer(url: &str) -> Peer {
    let mut command = Command::new(venv_python());
    command.arg(script("aiortc_viewer.py")).arg(url);
    Peer::spawn("aiortc", command)
}

/// What Firefox opens.
#[derive(Clone, Copy)]
pub enum FirefoxPage {
    /// The upstream gstwebrtc-api library (npm), given the signalling URL.
    GstWebrtcApi,
    /// Reelcast's own viewer page, given its http:// URL.
    Page,
}

/// Headless Firefox ESR watching through `page`.
pub fn firefox_viewer(page: FirefoxPage, url: &str) -> Peer {
    firefox_viewer_run_by(Command::new(venv_python()), page, url)
}

/// The same, run by `python` (the venv's, run elsewhere: e.g. in a link's child namespace).
pub fn firefox_viewer_run_by(mut python: Command, page: FirefoxPage, url: &str) -> Peer {
    let mode = match page {
        FirefoxPage::GstWebrtcApi => "gstwebrtc-api",
        FirefoxPage::Page => "page",
    };
    python.arg(script("firefox_viewer.py")).args([mode, url]);
    Peer::spawn("firefox", python)
}

/// One stats line of either script (fields a script does not know stay at their defaults).
#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    pub status: String,
    /// Firefox: video frames received, video packets lost, and NACKs sent.
    pub received: u64,
    pub lost: u64,
    pub nacks: u64,
    pub frames: u64,
    pub width: u64,
    pub height: u64,
    pub audio_packets: u64,
    /// aiortc: audio frames decoded.
    pub audio_frames: u64,
    pub join_ms: Option<f64>,
    /// Firefox: frames shown (video.mozPaintedFrames), at the page's clock `clock_ms`.
    pub painted: u64,
    pub clock_ms: f64,
    pub video_codec: Option<String>,
    pub version: Option<String>,
}

impl PeerStats {
    pub fn parse(line: &str) -> Option<PeerStats> {
        let v: Value = serde_json::from_str(line).ok()?;
        if let Some(error) = v.get("error") {
            panic!("the viewer failed: {error}");
        }
        let n = |name: &str| v.get(name).and_then(Value::as_u64).unwrap_or(0);
        let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        v.get("framesDecoded")?;
        Some(PeerStats {
            status: s("status").unwrap_or_default(),
            received: n("framesReceived"),
            lost: n("videoPacketsLost"),
            nacks: n("nacks"),
            frames: n("framesDecoded"),
            width: n("frameWidth"),
            height: n("frameHeight"),
            audio_packets: n("audioPackets"),
            audio_frames: n("audioFrames"),
            join_ms: v.get("joinMs").and_then(Value::as_f64),
            painted: n("painted"),
            clock_ms: v.get("clockMs").and_then(Value::as_f64).unwrap_or(0.0),
            video_codec: s("videoCodec"),
            version: s("browserVersion"),
        })
    }

    pub fn size(&self) -> (u64, u64) {
        (self.width, self.height)
    }
}

/// Waits for a stats line of `peer` that `want` accepts; fails with the last line seen.
pub fn wait_stats(
    peer: &Peer,
    within: Duration,
    what: &str,
    mut want: impl FnMut(&PeerStats) -> bool,
) -> PeerStats {
    let mut last = None;
    let found = crate::common::wait_for_opt(&peer.lines, within, |line| {
        let stats = PeerStats::parse(line)?;
        // A connection that failed or ended will not bring what is waited for.
        if ["failed", "closed", "ended", "error"].contains(&stats.status.as_str()) {
            panic!(
                "{}: the viewer is {} while waiting for {what}: {stats:?}",
                peer.name, stats.status
            );
        }
        last = Some(stats.clone());
        want(&stats).then_some(stats)
    });
    found.unwrap_or_else(|| {
        panic!(
            "{}: timed out after {within:?} waiting for {what}; last stats: {last:?}",
            peer.name
        )
    })
}
