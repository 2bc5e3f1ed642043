//! Publishing into a real Janus VideoRoom (Debian's `janus`): Reelcast joins the room as a
//! publisher and a headless Chromium subscriber, speaking Janus's own API, decodes the video.
//! A missing room and a wrong pin are refused in plain words. Runs in scripts/test.sh's
//! private network namespace.

mod common;

use std::time::Duration;

use common::net::assert_private_network;
use common::peers::{browser_viewers, wait_decoding, ViewerKind};
use common::TestShare;
use reelcast::media::{Player, PlayerEvent, PlayerOptions};
use reelcast::rtc::ConnectionState;
use reelcast::sharing::SharingEvent;

const STEP: Duration = Duration::from_secs(30);

fn share_to(player: &Player, url: &str) -> TestShare {
    common::share(player, "Reelcast into Janus", Some(url))
}

#[test]
fn a_janus_room_carries_the_share_to_a_browser_subscriber() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18188);
    let player = common::play_clip("janus-640x360.webm", (640, 360), 20, true);

    let sharing = share_to(&player, &janus.publish_url(1234, None));
    let events = sharing.subscribe();
    common::wait_for(&events, STEP, "joined the room", |e| {
        matches!(e, SharingEvent::Registered { .. }).then_some(())
    });
    common::wait_for(&events, STEP, "media up with Janus", |e| {
        matches!(
            e,
            SharingEvent::ViewerState {
                state: ConnectionState::Connected,
                ..
            }
        )
        .then_some(())
    });
    let room = format!("{}?room=1234", janus.url);
    let browser = browser_viewers(ViewerKind::Janus, &room, 1);
    let seen = wait_decoding(&browser, 0, 30, (640, 360), Duration::from_secs(60));
    eprintln!(
        "janus: the subscriber decoded {} frames of 640x360, first frame {:.0} ms after joining",
        seen.frames,
        seen.join_ms.unwrap_or_default()
    );
    // One publisher for any number of subscribers: Reelcast has one peer connection.
    assert_eq!(sharing.viewer_count(), 1);
}

#[test]
fn a_missing_room_or_a_wrong_pin_is_refused_in_plain_words() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18189);
    let player = Player::new(PlayerOptions::headless()).unwrap();
    for (url, expected) in [
        (
            janus.publish_url(999, None),
            "there is no room 999 on this Janus server",
        ),
        (
            janus.publish_url(4321, Some("wrong")),
            "wrong pin for room 4321",
        ),
        (janus.publish_url(4321, None), "room 4321 needs a pin"),
    ] {
        let sharing = share_to(&player, &url);
        let events = sharing.subscribe();
        let message = common::wait_for(&events, STEP, "the refusal", |e| match e {
            SharingEvent::Refused { message } => Some(message.clone()),
            SharingEvent::Registered { .. } => panic!("{url}: joined anyway"),
            _ => None,
        });
        let shown = reelcast::signalling::redact_url(&url);
        assert!(message.starts_with(&shown), "names the URL: {message}");
        assert!(!message.contains("pin=wrong"), "never the pin: {message}");
        assert!(message.contains(expected), "{message}");
        assert_eq!(sharing.viewer_count(), 0);
    }
    // The right pin gets in.
    let sharing = share_to(&player, &janus.publish_url(4321, Some("secret")));
    common::wait_for(&sharing.subscribe(), STEP, "joined with the pin", |e| {
        matches!(e, SharingEvent::Registered { .. }).then_some(())
    });
}

/// The video ends: Reelcast unpublishes but stays in the room. The person plays again: it
/// publishes again, and a new subscriber decodes the video.
#[test]
fn playing_again_after_the_end_publishes_into_the_room_again() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18187);
    let player = common::play_clip("janus-8s.webm", (320, 240), 8, false);
    let player_events = player.subscribe();

    let sharing = share_to(&player, &janus.publish_url(1234, None));
    let events = sharing.subscribe();
    // The room is never left on the way: no reconnection.
    let connected = |events: &flume::Receiver<SharingEvent>, what: &str| {
        common::wait_for(events, STEP, what, |e| match e {
            SharingEvent::ViewerState {
                viewer,
                state: ConnectionState::Connected,
            } => Some(viewer.clone()),
            SharingEvent::Refused { message } => panic!("{message}"),
            SharingEvent::Reconnecting { .. } => panic!("reconnected: {e:?}"),
            _ => None,
        })
    };
    let first = connected(&events, "media up with Janus");
    common::wait_for(&player_events, STEP, "the end of the video", |e| {
        matches!(e, PlayerEvent::EndOfStream).then_some(())
    });
    common::wait_for(&events, STEP, "unpublished at the end", |e| match e {
        SharingEvent::ViewerLeft { viewer, .. } if *viewer == first => Some(()),
        SharingEvent::Reconnecting { .. } => panic!("reconnected: {e:?}"),
        _ => None,
    });
    assert_eq!(sharing.viewer_count(), 0);

    // At once, before Janus has closed the first publication: the new one waits for that.
    player.set_looping(true);
    player.play().unwrap();
    let second = connected(&events, "media up with Janus again");
    assert_ne!(second, first, "a new session");
    let room = format!("{}?room=1234", janus.url);
    let browser = browser_viewers(ViewerKind::Janus, &room, 1);
    let seen = wait_decoding(&browser, 0, 30, (320, 240), Duration::from_secs(60));
    eprintln!(
        "janus: after publishing again the subscriber decoded {} frames",
        seen.frames
    );
}

/// Simulcast into the room: one publication carries every rung, and Janus forwards each
/// subscriber the substream it asks for. A subscriber that asks for another substream gets
/// it within 2 s, with no new publication.
#[test]
fn each_subscriber_gets_the_simulcast_rung_it_asks_for() {
    simulcast_into(1234, 18186, "VP8");
}

/// The same in a room that takes H.264 only: the rungs are x264's.
#[test]
fn each_subscriber_gets_the_h264_simulcast_rung_it_asks_for() {
    simulcast_into(1235, 18182, "H264");
}

fn simulcast_into(room_id: u32, port: u16, codec: &str) {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(port);
    let player = common::play_clip("janus-640x360.webm", (640, 360), 20, true);

    let sharing = share_to(&player, &janus.publish_url(room_id, None));
    let events = sharing.subscribe();
    let publication = common::wait_for(&events, STEP, "media up with Janus", |e| match e {
        SharingEvent::ViewerState {
            viewer,
            state: ConnectionState::Connected,
        } => Some(viewer.clone()),
        SharingEvent::Refused { message } => panic!("{message}"),
        _ => None,
    });
    let (published, sent) = common::wait_for(&events, STEP, "three rungs published", |e| match e {
        SharingEvent::Stats { stats } if stats.published.len() == 3 => {
            Some((stats.published.clone(), stats.video_codec))
        }
        _ => None,
    });
    assert_eq!(
        sent.map(|c| c.to_string().to_uppercase()).as_deref(),
        Some(codec)
    );
    let heights: Vec<u32> = published.iter().map(|r| r.height).collect();
    assert_eq!(heights, [360, 240, 120], "{published:?}");

    // Viewer 0 starts on the smallest rung and, after 90 frames, asks for the full size;
    // viewer 1 takes the full size from the start.
    let room = format!("{}?room={room_id}", janus.url);
    let browser = common::peers::browser_viewers_with(
        ViewerKind::Janus,
        &room,
        2,
        &["--substreams", "0,2", "--switch", "0:2:90"],
    );
    let small = wait_decoding(&browser, 0, 20, (212, 120), Duration::from_secs(60));
    let full = wait_decoding(&browser, 1, 20, (640, 360), Duration::from_secs(60));
    eprintln!(
        "janus {codec} simulcast: substream 0 gave {}x{}, substream 2 gave {}x{}",
        small.width, small.height, full.width, full.height
    );
    let switched = common::wait_for(&browser.lines, Duration::from_secs(60), "the switch", |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        let s = common::peers::viewer_stats(&v)?;
        (s.viewer == 0 && s.switch_ms.is_some() && s.height == 360).then_some(s)
    });
    let switch_ms = switched.switch_ms.unwrap();
    eprintln!("janus {codec} simulcast: substream 0 to 2 in {switch_ms:.0} ms");
    assert!(switch_ms <= 2000.0, "took {switch_ms:.0} ms");
    // One publication all along.
    assert_eq!(sharing.viewer_count(), 1);
    assert!(
        events.try_iter().all(|e| !matches!(
            e,
            SharingEvent::ViewerLeft { ref viewer, .. } if *viewer == publication
        )),
        "the publication never ended"
    );
}

/// Simulcast turned off (`--simulcast off`, Preferences): the room gets one rung, chosen by
/// the publication's own congestion control, and a subscriber decodes it.
#[test]
fn with_simulcast_off_the_room_gets_one_rung() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18183);
    let player = common::play_clip("janus-off-640x360.webm", (640, 360), 20, true);
    let config = reelcast::rtc::ShareConfig {
        simulcast: reelcast::rtc::Simulcast::Off,
        ..Default::default()
    };
    let url = janus.publish_url(1234, None);
    let sharing = common::share_with(&player, "Reelcast into Janus, one rung", Some(&url), config);
    let events = sharing.subscribe();
    let stats = common::wait_for(&events, STEP, "the publication's rung", |e| match e {
        SharingEvent::Stats { stats } if stats.rung.is_some() => Some(stats.clone()),
        SharingEvent::Refused { message } => panic!("{message}"),
        _ => None,
    });
    assert!(stats.published.is_empty(), "{stats:?}");
    let rung = stats.rung.unwrap();
    let room = format!("{}?room=1234", janus.url);
    let browser = browser_viewers(ViewerKind::Janus, &room, 1);
    let seen = common::wait_for(&browser.lines, Duration::from_secs(60), "frames", |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        let s = common::peers::viewer_stats(&v)?;
        (s.frames >= 20).then_some(s)
    });
    eprintln!(
        "janus, simulcast off: one rung ({}x{}), the subscriber decodes {}x{}",
        rung.width, rung.height, seen.width, seen.height
    );
}
