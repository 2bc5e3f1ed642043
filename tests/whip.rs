//! Publishing to a real WHIP endpoint: gst-plugins-rs' `whipserversrc` (tests/whip-endpoint,
//! built by scripts/setup.sh --tests) decodes what Reelcast sends; stopping the share ends
//! the session there (DELETE); the end of the video too, and playing again or a lost
//! connection publishes again; a wrong path is refused in plain words. Runs in
//! scripts/test.sh's private network namespace.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::net::assert_private_network;
use common::peers::Peer;
use reelcast::media::{Player, PlayerEvent, PlayerOptions};
use reelcast::rtc::ShareConfig;
use reelcast::sharing::{Sharing, SharingEvent, SharingOptions};
use reelcast::signalling::EmbeddedServerOptions;

const STEP: Duration = Duration::from_secs(30);

fn endpoint(port: u16) -> Peer {
    let binary =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/whip-endpoint/release/whip-endpoint");
    assert!(
        binary.exists(),
        "{} is missing: run scripts/setup.sh --tests",
        binary.display()
    );
    let mut command = Command::new(binary);
    command.arg(port.to_string());
    let endpoint = Peer::spawn("whip-endpoint", command);
    endpoint.wait_json(STEP, "the endpoint listening", |v| {
        v.get("listening").map(|_| ())
    });
    endpoint
}

/// What the endpoint counts: video frames decoded, sessions started, sessions ended.
type Counts = (u64, u64, u64);

/// The endpoint's counters, once `want` accepts them; else the test fails with the last
/// counters seen.
fn counts(endpoint: &Peer, what: &str, want: impl Fn(u64, u64, u64) -> bool) -> Counts {
    counts_within(endpoint, want).unwrap_or_else(|last| {
        panic!(
            "timed out after {STEP:?} waiting for {what}; last (frames, sessions, ended): {last:?}"
        )
    })
}

/// The endpoint's (frames, sessions, ended), once `want` accepts them within [`STEP`]; else
/// the last seen.
fn counts_within(
    endpoint: &Peer,
    want: impl Fn(u64, u64, u64) -> bool,
) -> Result<Counts, Option<Counts>> {
    let mut last = None;
    let found = common::wait_for_opt(&endpoint.lines, STEP, |l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        let n = |k: &str| v.get(k).and_then(|x| x.as_u64());
        let seen = (n("frames")?, n("sessions")?, n("ended")?);
        last = Some(seen);
        want(seen.0, seen.1, seen.2).then_some(seen)
    });
    found.ok_or(last)
}

#[test]
fn a_whip_endpoint_receives_the_share_and_the_session_ends_with_it() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let endpoint = endpoint(18190);
    let player = common::play_clip("whip-640x360.webm", (640, 360), 20, true);

    let url = "whip+http://127.0.0.1:18190/whip/endpoint";
    let sharing = common::share(&player, "Reelcast over WHIP", Some(url));
    let events = sharing.subscribe();
    let resource = common::wait_for(&events, STEP, "the endpoint's answer", |e| match e {
        SharingEvent::Registered { peer_id } => Some(peer_id.clone()),
        SharingEvent::Refused { message } => panic!("{message}"),
        _ => None,
    });
    assert!(
        resource.starts_with("http://127.0.0.1:18190/whip/resource/"),
        "{resource}"
    );
    let (frames, _, _) = counts(&endpoint, "60 frames decoded", |f, s, _| f >= 60 && s == 1);
    eprintln!("whip: the endpoint decoded {frames} frames");
    // whipserversrc (webrtcbin 1.22) answers a simulcast offer without `a=simulcast`: the
    // session is one rung, chosen by its own congestion control, and it plays.
    let stats = common::wait_for(&events, STEP, "the session's stats", |e| match e {
        SharingEvent::Stats { stats } if stats.rung.is_some() || !stats.published.is_empty() => {
            Some(stats.clone())
        }
        _ => None,
    });
    eprintln!(
        "whip: rung {:?}, published {:?}",
        stats.rung, stats.published
    );
    assert!(stats.published.is_empty(), "{stats:?}");

    // Stopping the share DELETEs the session: the endpoint ends it.
    sharing.stop();
    counts(&endpoint, "the session ended", |_, _, ended| ended == 1);
}

#[test]
fn a_wrong_whip_path_is_refused_in_plain_words() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let _endpoint = endpoint(18191);
    let player = Player::new(PlayerOptions::headless()).unwrap();
    let url = "whip+http://127.0.0.1:18191/not/whip";
    let sharing = common::share(&player, "wrong path", Some(url));
    let message = common::wait_for(&sharing.subscribe(), STEP, "the refusal", |e| match e {
        SharingEvent::Refused { message } => Some(message.clone()),
        _ => None,
    });
    assert!(message.starts_with(url), "names the URL: {message}");
    assert!(message.contains("no WHIP endpoint"), "{message}");
}

/// The video ends: its WHIP session ends (DELETE). The person plays again: a new session is
/// published, and the endpoint decodes it.
#[test]
fn playing_again_after_the_end_publishes_a_new_session() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let endpoint = endpoint(18192);
    let player = common::play_clip("whip-8s.webm", (320, 240), 8, false);
    let player_events = player.subscribe();

    let url = "whip+http://127.0.0.1:18192/whip/endpoint";
    let sharing = common::share(&player, "Reelcast over WHIP, twice", Some(url));
    let (first, _, _) = counts(&endpoint, "the first session decoding", |f, s, _| {
        f >= 20 && s == 1
    });
    common::wait_for(&player_events, STEP, "the end of the video", |e| {
        matches!(e, PlayerEvent::EndOfStream).then_some(())
    });
    counts(&endpoint, "the session ended with the video", |_, s, e| {
        s == 1 && e == 1
    });

    // Looping from now on, so that the second session outlives the test's checks.
    player.set_looping(true);
    player.play().unwrap();
    let (frames, _, _) = counts(&endpoint, "a second session decoding", |f, s, e| {
        s == 2 && e == 1 && f >= first + 30
    });
    eprintln!("whip: {first} frames in the first session, {frames} after the second");
    sharing.stop();
    counts(&endpoint, "the second session ended", |_, _, e| e == 2);
}

/// The endpoint goes away mid-session (killed): the share loses its media connection, which
/// is a failure, not an end, so nobody has to press anything. An endpoint back at the same
/// address gets a new session after the backoff, and decodes it.
#[test]
fn a_lost_media_connection_is_published_again_after_the_backoff() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let mut first = endpoint(18193);
    let player = common::play_clip("whip-lost.webm", (320, 240), 20, true);
    let sharing = Sharing::start(
        &player,
        SharingOptions {
            signalling: Some("whip+http://127.0.0.1:18193/whip/endpoint".into()),
            name: "Reelcast over WHIP, lost".into(),
            ca_file: None,
            embedded: EmbeddedServerOptions::default(),
            // Silence ends the session soon (ICE may notice sooner).
            config: ShareConfig {
                viewer_timeout: Duration::from_secs(4),
                ..ShareConfig::default()
            },
            secrets: Default::default(),
        },
    )
    .unwrap();
    let events = sharing.subscribe();
    // A first session slow to connect may have been given up and published again already
    // (the short viewer timeout): what counts is that this endpoint decodes.
    if let Err(last) = counts_within(&first, |f, s, _| f >= 20 && s >= 1) {
        let seen: Vec<String> = events.try_iter().map(|e| format!("{e:?}")).collect();
        panic!(
            "the first endpoint decoded no 20 frames within {STEP:?}; last (frames, sessions, \
             ended): {last:?}; share events: {seen:#?}"
        );
    }
    first.kill();
    let reason = common::wait_for(&events, STEP, "the session lost", |e| match e {
        SharingEvent::ViewerLeft { reason, .. } => Some(reason.clone()),
        SharingEvent::Refused { message } => panic!("{message}"),
        _ => None,
    });
    let second = endpoint(18193);
    let (frames, sessions, _) = counts(&second, "a new session decoding", |f, s, _| {
        s == 1 && f >= 20
    });
    eprintln!("whip: lost ({reason}); published again: {sessions} session, {frames} frames");
}

/// A WHIP endpoint that takes simulcast (Janus behind a WHIP front): it receives every rung
/// in one session, and its subscribers each get the one they ask for.
#[test]
fn a_whip_endpoint_that_takes_simulcast_receives_every_rung() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18184);
    let front = common::whip_janus::WhipToJanus::start(18194, &janus.url, 1234);
    let player = common::play_clip("whip-simulcast.webm", (640, 360), 20, true);

    let sharing = common::share(&player, "Reelcast over WHIP, simulcast", Some(&front.url));
    let events = sharing.subscribe();
    // What came, for a run that goes wrong to tell where it stopped (seen twice in CI).
    let mut seen = Vec::new();
    let published = common::wait_for_opt(&events, STEP, |e| {
        seen.push(format!("{e:?}"));
        match e {
            SharingEvent::Stats { stats } if !stats.published.is_empty() => {
                Some(stats.published.clone())
            }
            SharingEvent::Stats { stats } if stats.rung.is_some() => {
                panic!("one rung: {stats:?}")
            }
            SharingEvent::Refused { message } => panic!("{message}"),
            _ => None,
        }
    })
    .unwrap_or_else(|| panic!("no rung published within {STEP:?}; events: {seen:#?}"));
    assert_eq!(published.len(), 3, "{published:?}");
    let room = format!("{}?room=1234", janus.url);
    let browser = common::peers::browser_viewers_with(
        common::peers::ViewerKind::Janus,
        &room,
        2,
        &["--substreams", "0,2"],
    );
    let within = Duration::from_secs(60);
    let small = common::peers::wait_decoding(&browser, 0, 20, (212, 120), within);
    let full = common::peers::wait_decoding(&browser, 1, 20, (640, 360), within);
    eprintln!(
        "whip simulcast: one session, subscribers decode {}x{} and {}x{}",
        small.width, small.height, full.width, full.height
    );
    assert_eq!(sharing.viewer_count(), 1);
}
