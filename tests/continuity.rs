//! What the person does with the player while sharing does not cut viewers off: a broken
//! file is reported and the viewers stay; a good file after it reaches them, in a new size,
//! without a new session. Headless Chromium watches; runs in scripts/test.sh's namespace.

mod common;

use std::time::{Duration, Instant};

use common::net::assert_private_network;
use common::peers::{browser_viewers, viewer_stats, ViewerKind};
use reelcast::media::{Player, PlayerEvent, PlayerOptions};
use reelcast::sharing::SharingEvent;

#[test]
fn a_broken_file_keeps_the_viewers_and_the_next_file_reaches_them() {
    assert_private_network();
    let first = common::media().dir.join("continuity-640x360.webm");
    common::make_webm(&first, Some((640, 360)), true, 10);
    let second = common::media().dir.join("continuity-320x240.webm");
    common::make_webm(&second, Some((320, 240)), true, 10);
    let broken = common::media().dir.join("continuity-broken.webm");
    std::fs::write(&broken, b"not a video\n".repeat(500)).unwrap();

    let player = Player::new(PlayerOptions::headless()).unwrap();
    player.set_looping(true);
    let player_events = player.subscribe();
    let sharing = common::share(&player, "continuity", None);
    let events = sharing.subscribe();
    player.open(first.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let url = sharing.viewer_url().unwrap().to_owned();
    common::wait_for(&events, Duration::from_secs(30), "registered", |e| {
        matches!(e, SharingEvent::Registered { .. }).then_some(())
    });
    let browser = browser_viewers(ViewerKind::Page, &url, 1);
    common::peers::wait_decoding(&browser, 0, 30, (640, 360), Duration::from_secs(60));

    // A broken file: the error reaches the person; the viewer stays connected.
    player.open(broken.to_str().unwrap()).unwrap();
    common::wait_for(&player_events, Duration::from_secs(20), "the error", |e| {
        matches!(e, PlayerEvent::Error(_)).then_some(())
    });
    assert_eq!(sharing.viewer_count(), 1, "the viewer is still there");

    // A good file of another size: the same viewer decodes it, with no new session.
    let switched = Instant::now();
    player.open(second.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let stats = common::wait_for(
        &browser.lines,
        Duration::from_secs(20),
        "frames of the new size",
        |line| {
            let s = serde_json::from_str(line)
                .ok()
                .and_then(|v| viewer_stats(&v))?;
            ((s.width, s.height) == (320, 240)).then_some(s)
        },
    );
    eprintln!(
        "from opening the next file to its frames at the viewer: {} ms",
        switched.elapsed().as_millis()
    );
    let base = stats.frames;
    common::peers::wait_decoding(&browser, 0, base + 30, (320, 240), Duration::from_secs(20));
    // Everything the share reported since it registered: one join, nobody left.
    let since = common::collect_for(&events, Duration::from_millis(100));
    let joined = since
        .iter()
        .filter(|e| matches!(e, SharingEvent::ViewerJoined { .. }))
        .count();
    let left = since
        .iter()
        .filter(|e| matches!(e, SharingEvent::ViewerLeft { .. }))
        .count();
    assert_eq!((joined, left), (1, 0), "one session from start to end");
    assert_eq!(sharing.viewer_count(), 1);
}
