//! A Chromium viewer behind a link that loses media packets at random, as a weak Wi-Fi does
//! (crates/testkit LossyLink: this kernel has no netem). Runs inside scripts/private-net.sh's
//! namespace.

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::net::assert_private_network;
use reelcast_testkit::{BrowserViewer, LossyLink, ShareProcess, SignallingServer};

/// An 854x480 30 fps A/V file, long enough that no test spans a loop.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("lossy-854x480.webm");
        common::make_webm(&path, Some((854, 480)), true, 30);
        path
    })
}

/// Lost packets are sent again (RTX) and the viewer places them: the picture plays on. Before
/// the share kept its own RTX SSRCs in rtprtxsend's map, none arrived, and at 2 % loss the
/// viewer froze 8 times in 40 s and decoded a third of the frames.
#[test]
fn a_viewer_losing_packets_at_random_gets_them_again_and_plays_on() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let link = LossyLink::create(3).unwrap();
    // On the link's near end, which both this namespace and the child reach.
    let server = SignallingServer::start(IpAddr::V4(link.near_address())).unwrap();
    let reelcast = Path::new(env!("CARGO_BIN_EXE_reelcast"));
    let _share = ShareProcess::start(reelcast, clip(), server.url(), &[]).unwrap();
    let viewer = BrowserViewer::start_behind("lossy viewer", server.url(), &link).unwrap();
    let t = viewer
        .wait(Duration::from_secs(20), "first frame", |t| {
            !t.frames.is_empty()
        })
        .unwrap();
    let first = t.last().unwrap().t_ms;
    // Ten seconds of play from the first frame on.
    let t = viewer
        .wait(Duration::from_secs(20), "ten seconds of play", |t| {
            t.last().is_some_and(|s| s.t_ms - first >= 10_000.0)
        })
        .unwrap();
    let video = t.last().and_then(|s| s.video.clone()).unwrap();
    eprintln!(
        "lossy link: {} dropped; viewer: {} retransmissions, {} lost, {} NACKs, {} frames, {} freezes",
        link.dropped(),
        video.retransmitted_packets_received,
        video.packets_lost,
        video.nack_count,
        video.frames_decoded,
        video.freeze_count
    );
    assert!(link.dropped() > 10, "the link lost {}", link.dropped());
    assert!(
        video.retransmitted_packets_received > 0,
        "no retransmission arrived: {video:?}"
    );
    // 30 fps for ten seconds and the start: most of 300 frames, at most one freeze.
    assert!(video.frames_decoded >= 270, "{video:?}");
    assert!(video.freeze_count <= 1, "{video:?}");
}
