//! A signal stops `reelcast share` the way Stop Sharing does: the SFU or endpoint is told (a
//! Janus leave, a WHIP DELETE), `--json` ends with `share-ended`, and the process exits 0
//! within 2 s; a second Ctrl+C ends it at once with 130. Real Janus, and a WHIP front in
//! front of it. Runs in scripts/test.sh's private network namespace.

mod common;

use std::time::{Duration, Instant};

use common::net::assert_private_network;
use common::peers::Peer;
use common::whip_janus::WhipToJanus;
use serde_json::Value;

const STEP: Duration = Duration::from_secs(30);
/// What the issue promises a person: the share is over within 2 s of the signal.
const STOPPED_WITHIN: Duration = Duration::from_secs(2);

/// A share of a looping clip, connected to its SFU or endpoint (media flowing).
fn connected_share(signalling: &str, clip: &str) -> Peer {
    let media = common::media();
    let file = media.dir.join(clip);
    common::make_webm(&file, Some((320, 240)), true, 6);
    let share = common::peers::reelcast_share(&file, &["--loop", "--signalling", signalling]);
    share.wait_json(STEP, "media up with the SFU", |v| {
        if v["event"] == "error" || v["event"] == "refused" {
            panic!("{v}");
        }
        (v["event"] == "viewer-state" && v["state"] == "connected").then_some(())
    });
    share
}

/// The JSON events among `lines`.
fn json_events(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("event").is_some())
        .collect()
}

/// Sends `signal` (libc's number) to `peer`, which must then end with `code` within
/// [`STOPPED_WITHIN`]: when it ended, and the JSON events it printed after the signal.
fn stop_with(peer: &mut Peer, signal: i32, code: i32) -> (Instant, Vec<Value>) {
    let signalled = Instant::now();
    peer.signal(signal);
    let (status, exited, rest) = peer
        .wait_exit(STEP)
        .unwrap_or_else(|| panic!("{} still runs {STEP:?} after signal {signal}", peer.name));
    assert_eq!(status.code(), Some(code), "{rest:#?}");
    let took = exited - signalled;
    assert!(
        took <= STOPPED_WITHIN,
        "ended {took:?} after signal {signal}"
    );
    eprintln!("stopping: signal {signal} to exit {code} in {took:?}");
    (exited, json_events(&rest))
}

/// The endpoint behind `front` had its DELETE by `exited`.
fn deleted_by(front: &WhipToJanus, exited: Instant) {
    let deleted = front
        .deletes
        .try_recv()
        .expect("the endpoint got its DELETE before the process exited");
    assert!(deleted <= exited);
}

/// The last of `events` is `event`, with `reason` if given.
fn ends_with(events: &[Value], event: &str, reason: Option<&str>) {
    let last = events.last().expect("events after the signal");
    assert_eq!(last["event"], event, "{events:#?}");
    if let Some(reason) = reason {
        assert_eq!(last["reason"], reason, "{last}");
    }
}

#[test]
fn ctrl_c_leaves_the_janus_room_and_ends_the_share_within_two_seconds() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18195);
    let mut share = connected_share(&janus.publish_url(1234, None), "stop-janus.webm");
    assert_eq!(common::janus::publishers(&janus.url, 1234).len(), 1);

    let (_, events) = stop_with(&mut share, libc::SIGINT, 0);
    ends_with(&events, "share-ended", Some("interrupted"));
    // Left, not timed out: Janus lists no publisher at once.
    let left = common::janus::publishers(&janus.url, 1234);
    assert!(left.is_empty(), "still publishing: {left:?}");
}

#[test]
fn sigterm_deletes_the_whip_session_before_the_process_exits() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18196);
    let front = WhipToJanus::start(18197, &janus.url, 1234);
    let mut share = connected_share(&front.url, "stop-whip.webm");

    let (exited, events) = stop_with(&mut share, libc::SIGTERM, 0);
    deleted_by(&front, exited);
    ends_with(&events, "share-ended", Some("terminated"));
    assert!(common::janus::publishers(&janus.url, 1234).is_empty());
}

/// An endpoint that is slow to answer the DELETE: the first Ctrl+C waits for it, a second
/// one does not.
#[test]
fn a_second_ctrl_c_ends_at_once_with_130() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18198);
    let front = WhipToJanus::start_with(18199, &janus.url, 1234, true);
    let mut share = connected_share(&front.url, "stop-twice.webm");

    share.signal(libc::SIGINT);
    front
        .deletes
        .recv_timeout(STEP)
        .expect("the first Ctrl+C sends the DELETE");
    stop_with(&mut share, libc::SIGINT, 130);
}

/// The window too: SIGTERM closes it as a person would, and its WHIP share's DELETE reaches
/// the endpoint before the process ends, with exit 0.
#[test]
fn sigterm_closes_the_window_after_its_share_said_goodbye() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18200);
    let front = WhipToJanus::start(18201, &janus.url, 1234);
    let clip = common::media().dir.join("stop-window.webm");
    common::make_webm(&clip, Some((320, 240)), true, 6);
    let config = tempfile::tempdir().unwrap();
    common::xvfb::write_window_config(config.path(), "");
    let x = common::xvfb::Xvfb::start();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .args(["share", "--json", "--loop", "--signalling", &front.url])
        .arg(&clip)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env("GSETTINGS_BACKEND", "keyfile")
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("WAYLAND_DISPLAY");
    let mut app = Peer::spawn("reelcast", command);
    app.wait_json(STEP, "media up with the endpoint", |v| {
        (v["event"] == "viewer-state" && v["state"] == "connected").then_some(())
    });

    let (exited, _) = stop_with(&mut app, libc::SIGTERM, 0);
    deleted_by(&front, exited);
}

/// `play --headless` too: Ctrl+C stops playing, says so last, and exits 0.
#[test]
fn ctrl_c_stops_a_headless_play_and_says_so() {
    let clip = common::media().dir.join("stop-play.webm");
    common::make_webm(&clip, Some((160, 120)), false, 4);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .args(["play", "--headless", "--json", "--loop"])
        .arg(&clip)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    let mut play = Peer::spawn("reelcast", command);
    play.wait_json(STEP, "playing", |v| {
        (v["event"] == "state" && v["state"] == "playing").then_some(())
    });
    let (_, events) = stop_with(&mut play, libc::SIGINT, 0);
    ends_with(&events, "stopped", Some("interrupted"));
}
