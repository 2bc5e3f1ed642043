//! One viewer cannot break the share: what a hostile viewer sends through a real signalling
//! server (the upstream `gst-webrtc-signalling-server` binary, or the embedded default) costs
//! it its own session at most. `reelcast share` runs as a process; the viewers are played by
//! the test (tests/common/gst_viewer.rs), the watching one with a real WebRTC receiver. Runs
//! in scripts/test.sh's private network.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::gst_viewer::{GstConsumer, Watcher};
use common::net::assert_private_network;
use common::peers::{reelcast_share, signalling_server, Peer};
use serde_json::Value;

const STEP: Duration = Duration::from_secs(20);

/// A small A/V file, shared with --loop.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("hostile-320x240.webm");
        common::make_webm(&path, Some((320, 240)), true, 10);
        path
    })
}

fn event_is(v: &Value, name: &str) -> bool {
    v.get("event").and_then(Value::as_str) == Some(name)
}

/// The share's peer id, once registered.
fn wait_registered(share: &Peer) -> String {
    share.wait_json(Duration::from_secs(30), "registered", |v| {
        event_is(v, "registered").then(|| v["peer_id"].as_str().unwrap_or_default().to_owned())
    })
}

/// `reelcast share` on the upstream server at `port`: the server, the share, its peer id.
fn share_on_upstream(port: u16, extra: &[&str]) -> (Peer, Peer, String, String) {
    let server = signalling_server(port);
    let url = format!("ws://127.0.0.1:{port}");
    let mut args = vec!["--loop", "--signalling", &url];
    args.extend_from_slice(extra);
    let share = reelcast_share(clip(), &args);
    let producer = wait_registered(&share);
    (server, share, url, producer)
}

/// Until the share says the session `session` is over (its reason); fails on a registration
/// lost or made again meanwhile.
fn wait_viewer_left(share: &Peer, session: &str) -> String {
    share.wait_json(STEP, "the hostile viewer's session ended", |v| {
        assert!(
            !event_is(v, "registered") && !event_is(v, "reconnecting"),
            "the share's registration changed: {v}"
        );
        (event_is(v, "viewer-left") && v["viewer"] == session)
            .then(|| v["reason"].as_str().unwrap_or_default().to_owned())
    })
}

/// A viewer watches; another sends a 300 KB candidate (over the 256 KiB the share acts on).
/// Its session ends; the watcher's goes on, and the share stays registered.
/// `why`: what the share says of the session's end (the upstream server relays the message
/// and the share refuses it; the embedded server drops that viewer's connection first).
fn oversized_candidate_leaves_the_watcher(share: &Peer, url: &str, producer: &str, why: &str) {
    let watcher = Watcher::join(url, producer);
    watcher.wait_frames(30, STEP);
    let hostile = GstConsumer::connect(url);
    let session = hostile.start_session(producer);
    hostile.wait_offer(&session);
    hostile.send_candidate(&session, &"x".repeat(300 * 1024));
    let reason = wait_viewer_left(share, &session);
    assert!(reason.contains(why), "the reason says why: {reason}");
    let frames = watcher.receiver.frames();
    watcher.wait_frames(frames + 30, STEP);
    // Still registered under the same id: a new viewer finds the share and watches.
    Watcher::join(url, producer).wait_frames(10, STEP);
    for line in share.lines.drain() {
        assert!(
            !line.contains("\"registered\"") && !line.contains("\"reconnecting\""),
            "the share's registration changed: {line}"
        );
    }
}

#[test]
fn an_oversized_message_from_one_viewer_leaves_the_others_watching_upstream_server() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    reelcast::init().unwrap();
    let (_server, share, url, producer) = share_on_upstream(19443, &[]);
    oversized_candidate_leaves_the_watcher(&share, &url, &producer, "at most 262144");
}

#[test]
fn an_oversized_message_from_one_viewer_leaves_the_others_watching_embedded_server() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    reelcast::init().unwrap();
    let share = reelcast_share(
        clip(),
        &["--loop", "--signalling-port", "0", "--http-port", "0"],
    );
    let url = share.wait_json(STEP, "viewer-url", |v| {
        event_is(v, "viewer-url").then(|| v["signalling"].as_str().unwrap().to_owned())
    });
    let producer = wait_registered(&share);
    oversized_candidate_leaves_the_watcher(&share, &url, &producer, "left");
}

/// NUL and other control characters in a candidate (a NUL aborted GLib's string conversion on
/// the share's thread in a debug build, as tests are): refused and reported, and nothing
/// else changes. A flood of candidates is cut at the share's limit.
#[test]
fn control_characters_and_floods_of_candidates_are_refused_without_a_panic() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    reelcast::init().unwrap();
    let (_server, share, url, producer) = share_on_upstream(19444, &[]);
    let watcher = Watcher::join(&url, &producer);
    watcher.wait_frames(30, STEP);
    let hostile = GstConsumer::connect(&url);
    let session = hostile.start_session(&producer);
    hostile.wait_offer(&session);
    hostile.send_candidate(&session, "candidate:1 1 udp 1 10.99.0.1 9 typ host\u{0}");
    hostile.send_candidate(&session, "candidate:1 1 udp 1 10.99.0.1 9 typ host\r\na=x");
    for n in 0..reelcast::rtc::MAX_CANDIDATES + 20 {
        hostile.send_candidate(
            &session,
            &format!("candidate:{n} 1 udp 1 10.99.0.9 9 typ host"),
        );
    }
    let mut said = Vec::new();
    share.wait_json(STEP, "the three refusals", |v| {
        if event_is(v, "error") {
            let viewer = v["viewer"].as_str().unwrap_or_default();
            said.push(format!(
                "{viewer}: {}",
                v["message"].as_str().unwrap_or_default()
            ));
        }
        (said.len() == 3).then_some(())
    });
    assert!(said[0].contains("control character 0x00"), "{said:?}");
    assert!(said[1].contains("control character 0x0d"), "{said:?}");
    assert!(said[2].contains("ICE candidates"), "{said:?}");
    assert!(
        said.iter().all(|m| m.starts_with(&format!("{session}: "))),
        "names the viewer: {said:?}"
    );
    let frames = watcher.receiver.frames();
    watcher.wait_frames(frames + 30, STEP);
    // The share's thread is alive: a new viewer joins and watches.
    Watcher::join(&url, &producer).wait_frames(10, STEP);
}

/// One peer asks for 20 sessions and connects none (what kept every place of --max-viewers
/// for 40 s): it holds two places at most, and a real viewer still gets in and watches.
#[test]
fn twenty_sessions_that_never_connect_do_not_keep_a_real_viewer_out() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    reelcast::init().unwrap();
    let (_server, share, url, producer) = share_on_upstream(19445, &[]);
    let hostile = GstConsumer::connect(&url);
    for _ in 0..20 {
        hostile.ask_session(&producer);
    }
    // The server ends each refused session towards the hostile peer.
    let pending = reelcast::signalling::MAX_PENDING_PER_PEER;
    let mut ended = 0;
    common::wait_for(&hostile.incoming, STEP, "the refusals", |v| {
        ended += usize::from(v["type"] == "endSession");
        (ended == 20 - pending).then_some(())
    });
    let watcher = Watcher::join(&url, &producer);
    watcher.wait_frames(30, STEP);
    drop(share);
}
