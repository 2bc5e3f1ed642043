//! Other WebRTC stacks watching `reelcast share`: aiortc (Python, ECDSA-only DTLS) on the
//! upstream signalling server and on the embedded default, Firefox ESR through gstwebrtc-api
//! and through Reelcast's page, and Chromium answering with H.264 constrained baseline only (as
//! Safari can). Runs inside scripts/test.sh's private network. Each test prints one
//! `interop:` line with what its viewer saw (the README's "Tested peers" numbers).

mod common;
#[path = "common/python_peers.rs"]
mod python_peers;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::net::assert_private_network;
use common::peers::{reelcast_share, signalling_server, Peer, ViewerKind};
use python_peers::{aiortc_viewer, firefox_viewer, wait_stats, FirefoxPage, PeerStats};
use serde_json::Value;

const SIZE: (u64, u64) = (640, 360);
const FPS: f64 = 30.0;
/// A viewer's first start on a busy two-core machine (Firefox, a venv's imports) takes a while.
const JOIN: Duration = Duration::from_secs(60);

/// A 640x360 30 fps A/V file, long enough that no measuring window spans a loop.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("interop-640x360.webm");
        common::make_webm(&path, Some((SIZE.0 as u32, SIZE.1 as u32)), true, 20);
        path
    })
}

fn event_is(v: &Value, name: &str) -> bool {
    v.get("event").and_then(Value::as_str) == Some(name)
}

fn wait_registered(share: &Peer) {
    share.wait_json(Duration::from_secs(30), "registered", |v| {
        event_is(v, "registered").then_some(())
    });
}

/// `reelcast share --loop` on the embedded default (any free ports); its page's URL and its
/// signalling URL.
fn embedded_share() -> (Peer, String, String) {
    let share = reelcast_share(
        clip(),
        &["--loop", "--signalling-port", "0", "--http-port", "0"],
    );
    let (page, signalling) = share.wait_json(Duration::from_secs(30), "viewer-url", |v| {
        event_is(v, "viewer-url").then(|| {
            (
                v["url"].as_str().unwrap_or_default().to_owned(),
                v["signalling"].as_str().unwrap_or_default().to_owned(),
            )
        })
    });
    wait_registered(&share);
    (share, page, signalling)
}

/// `reelcast share --loop` registered with the upstream server on `port`.
fn upstream_share(port: u16) -> (Peer, Peer, String) {
    let server = signalling_server(port);
    let url = format!("ws://127.0.0.1:{port}");
    let share = reelcast_share(clip(), &["--loop", "--signalling", &url]);
    wait_registered(&share);
    (server, share, url)
}

/// aiortc decodes 60 frames of the share's size and decodes its audio.
fn aiortc_watches(url: &str, how: &str) {
    let viewer = aiortc_viewer(url);
    let stats = wait_stats(&viewer, JOIN, "60 video frames and audio", |s| {
        s.frames >= 60 && s.size() == SIZE && s.audio_frames > 0
    });
    eprintln!(
        "interop: aiortc 1.16, {how}: {} video frames {}x{} ({}), first after {:.0} ms, {} audio frames",
        stats.frames,
        stats.width,
        stats.height,
        stats.video_codec.as_deref().unwrap_or("?"),
        stats.join_ms.unwrap_or(f64::NAN),
        stats.audio_frames,
    );
    assert!(stats.join_ms.is_some(), "{stats:?}");
}

/// aiortc's DTLS client offers only ECDSA suites: it connects only with an ECDSA certificate,
/// and only if the certificate matches the offer's fingerprint.
#[test]
fn aiortc_watches_through_the_upstream_server() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (_server, share, url) = upstream_share(19443);
    aiortc_watches(&url, "upstream gst-webrtc-signalling-server");
    share.wait_json(Duration::from_secs(5), "viewer-joined", |v| {
        event_is(v, "viewer-joined").then_some(())
    });
}

#[test]
fn aiortc_watches_on_the_embedded_default() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (_share, _page, signalling) = embedded_share();
    assert!(signalling.starts_with("ws://127.0.0.1:"), "{signalling}");
    aiortc_watches(&signalling, "embedded signalling");
}

/// What Firefox showed over a window: from `start` to `end` (stats lines), frames shown
/// (painted) against frames received a line (250 ms) earlier at each end, so that frames still
/// being decoded at either end do not count. On loopback, received is sent (no loss).
struct Window {
    start: PeerStats,
    before_start: PeerStats,
    end: PeerStats,
    before_end: PeerStats,
}

impl Window {
    /// The window of `seconds` that starts at `start` (`before_start` the line before it).
    fn measure(firefox: &Peer, start: PeerStats, before_start: PeerStats, seconds: f64) -> Window {
        let mut previous = start.clone();
        let mut before_end = start.clone();
        let end = wait_stats(
            firefox,
            Duration::from_secs_f64(seconds + 5.0),
            "the end of the window",
            |s| {
                before_end = std::mem::replace(&mut previous, s.clone());
                s.clock_ms >= start.clock_ms + seconds * 1000.0
            },
        );
        Window {
            start,
            before_start,
            end,
            before_end,
        }
    }

    fn seconds(&self) -> f64 {
        (self.end.clock_ms - self.start.clock_ms) / 1000.0
    }

    fn shown(&self) -> u64 {
        self.end.painted.saturating_sub(self.start.painted)
    }

    fn sent(&self) -> u64 {
        self.before_end
            .received
            .saturating_sub(self.before_start.received)
    }

    fn ratio(&self) -> f64 {
        self.shown() as f64 / self.sent().max(1) as f64
    }
}

/// Firefox shows at least 98 % of the frames the share sends it, over a window of `seconds`
/// after its first second of playing. A machine busy elsewhere can starve Firefox for a
/// moment: up to three windows in a row are measured, and one must reach it. A share starved
/// of CPU sends fewer than 30 frames a second; the ratio to 30 fps is printed beside.
fn firefox_shows_the_frames(firefox: &Peer, how: &str, seconds: f64) -> PeerStats {
    let first = wait_stats(firefox, JOIN, "the first frames shown", |s| s.painted > 0);
    let mut before = first.clone();
    let mut previous = first.clone();
    let start = wait_stats(
        firefox,
        Duration::from_secs(5),
        "a second of playing",
        |s| {
            before = std::mem::replace(&mut previous, s.clone());
            s.clock_ms >= first.clock_ms + 1000.0
        },
    );
    let mut window = Window::measure(firefox, start, before, seconds);
    let mut tries = 1;
    while window.ratio() < 0.98 && tries < 3 {
        eprintln!(
            "interop: Firefox window {tries}: {} of {} frames shown, measuring again",
            window.shown(),
            window.sent()
        );
        let (start, before) = (window.end.clone(), window.before_end.clone());
        window = Window::measure(firefox, start, before, seconds);
        tries += 1;
    }
    let end = &window.end;
    eprintln!(
        "interop: Firefox {}, {how}: {} frames shown of {} sent in {:.1} s ({:.1} %; {:.1} % \
         of 30 fps; window {tries}), {} lost packets, {}x{} ({}), first after {:.0} ms, {} audio \
         packets",
        end.version.as_deref().unwrap_or("?"),
        window.shown(),
        window.sent(),
        window.seconds(),
        window.ratio() * 100.0,
        window.shown() as f64 / (window.seconds() * FPS) * 100.0,
        end.lost,
        end.width,
        end.height,
        end.video_codec.as_deref().unwrap_or("?"),
        end.join_ms.unwrap_or(f64::NAN),
        end.audio_packets,
    );
    assert_eq!(end.size(), SIZE, "{end:?}");
    assert!(end.audio_packets > 0, "audio arrives: {end:?}");
    assert!(
        window.sent() as f64 >= seconds * 5.0,
        "the share sends video: {} frames in {:.1} s",
        window.sent(),
        window.seconds()
    );
    assert!(
        window.ratio() >= 0.98,
        "{} of {} frames shown in {:.2} s: {:.1} %",
        window.shown(),
        window.sent(),
        window.seconds(),
        window.ratio() * 100.0
    );
    end.clone()
}

#[test]
fn firefox_shows_the_frames_through_gstwebrtc_api() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (_server, _share, url) = upstream_share(19543);
    let firefox = firefox_viewer(FirefoxPage::GstWebrtcApi, &url);
    firefox_shows_the_frames(&firefox, "gstwebrtc-api 3.0.0", 5.0);
}

#[test]
fn firefox_plays_the_embedded_page() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (_share, page, _) = embedded_share();
    let firefox = firefox_viewer(FirefoxPage::Page, &page);
    let stats = firefox_shows_the_frames(&firefox, "Reelcast's page", 5.0);
    assert!(
        stats.join_ms.is_some(),
        "the page measures its join: {stats:?}"
    );
}

/// A viewer that takes only H.264 constrained baseline (Safari's baseline) is sent H.264,
/// although the share prefers VP8.
#[test]
fn an_h264_only_viewer_is_sent_h264() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (share, page, _) = embedded_share();
    let browser =
        common::peers::browser_viewers_with(ViewerKind::Page, &page, 1, &["--codec", "h264"]);
    let stats = common::peers::wait_decoding(&browser, 0, 60, SIZE, JOIN);
    let codec = common::wait_for(&browser.lines, Duration::from_secs(5), "the codec", |l| {
        serde_json::from_str::<Value>(l)
            .ok()?
            .get("videoCodec")?
            .as_str()
            .map(str::to_owned)
    });
    eprintln!(
        "interop: Chromium, H.264 constrained baseline only, Reelcast's page: {} frames {}x{} \
         ({codec}), first after {:.0} ms",
        stats.frames,
        stats.width,
        stats.height,
        stats.join_ms.unwrap_or(f64::NAN),
    );
    assert!(codec.starts_with("video/H264"), "{codec}");
    assert!(
        codec.contains("profile-level-id=42e0") || codec.contains("profile-level-id=42c0"),
        "constrained baseline: {codec}"
    );
    let sent = share.wait_json(Duration::from_secs(10), "the share's stats", |v| {
        event_is(v, "stats")
            .then(|| v["stats"]["video_codec"].as_str().map(str::to_owned))
            .flatten()
    });
    assert_eq!(sent, "h264", "the share sends H.264");
    // Its keyframes decode: a viewer that cannot decode a frame asks for a keyframe, which
    // every viewer on its rung then pays for (SPS and PPS aggregated into a frame of their
    // own made Chromium ask every ~530 ms). The count ten of the share's stats later (one a
    // second):
    let mut seen = 0;
    let requests = share.wait_json(Duration::from_secs(30), "ten more stats", |v| {
        let n = event_is(v, "stats")
            .then(|| v["stats"]["keyframe_requests"].as_u64())
            .flatten()?;
        seen += 1;
        (seen >= 10).then_some(n)
    });
    assert!(
        requests <= 3,
        "{requests} keyframe requests from the H.264 viewer by the tenth stats"
    );
}
