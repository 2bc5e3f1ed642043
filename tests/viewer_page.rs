//! Reelcast's viewer page as people use it, in headless Chromium: it joins again by itself
//! when its signalling connection drops (the upstream server restarted, or every websocket of
//! the embedded server cut), fits a phone, and is given the share's STUN server and TURN
//! credentials minted for it, never the person's TURN password. Runs inside scripts/test.sh's
//! private network.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::net::assert_private_network;
use common::peers::{
    browser_viewers_with, reelcast_share, signalling_server, viewer_stats, wait_decoding, Peer,
    ViewerKind, ViewerStats,
};
use serde_json::Value;

const SIZE: (u64, u64) = (640, 360);
/// Chromium's first start on a busy two-core machine takes a while.
const JOIN: Duration = Duration::from_secs(60);
/// The page shows the video of a new session this soon after its connection dropped.
const REJOIN: Duration = Duration::from_secs(5);

/// A 640x360 A/V file, shared with --loop so that it outlasts any test.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("viewer-page-640x360.webm");
        common::make_webm(&path, Some((SIZE.0 as u32, SIZE.1 as u32)), true, 10);
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

/// The embedded default's page link and signalling URL, once it is registered.
fn embedded_link(share: &Peer) -> (String, String) {
    let link = share.wait_json(Duration::from_secs(30), "viewer-url", |v| {
        event_is(v, "viewer-url").then(|| {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (text("url"), text("signalling"))
        })
    });
    wait_registered(share);
    link
}

/// Waits until the page shows the video of a session after the first one (a second peer
/// connection decoding a picture: a new viewer may start on a smaller rung of the share's
/// ladder), at most until `deadline`.
fn wait_new_session(browser: &Peer, deadline: Instant, what: &str) -> ViewerStats {
    let mut last = None;
    let within = deadline.saturating_duration_since(Instant::now());
    let found = common::wait_for_opt(&browser.lines, within, |l| {
        let s = serde_json::from_str::<Value>(l)
            .ok()
            .and_then(|v| viewer_stats(&v))?;
        last = Some(s.clone());
        let new = s.sessions >= 2 && s.peer_connections >= 2;
        (new && s.frames > 0 && s.width > 0 && s.status == "watching").then_some(s)
    });
    found.unwrap_or_else(|| panic!("{what}: no video of a new session in time; last: {last:?}"))
}

/// The upstream server is killed and started again on its port: the page, opened on it,
/// connects again, finds the share (registered again, under a new id) and shows its video
/// in a new session within 5 s of the restart.
#[test]
fn the_page_rejoins_after_the_signalling_server_restarts() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let url = "ws://127.0.0.1:18743";
    let mut server = signalling_server(18743);
    let share = reelcast_share(clip(), &["--loop", "--signalling", url, "--name", "rejoin"]);
    wait_registered(&share);
    let browser = browser_viewers_with(ViewerKind::Page, url, 1, &[]);
    let before = wait_decoding(&browser, 0, 30, SIZE, JOIN);
    assert_eq!((before.sessions, before.peer_connections), (1, 1));

    server.kill();
    let _server = signalling_server(18743);
    let restarted = Instant::now();
    let after = wait_new_session(&browser, restarted + REJOIN, "after the restart");
    eprintln!(
        "viewer page: video of a new session {} ms after the server restarted",
        restarted.elapsed().as_millis()
    );
    // And it keeps playing, soon at the share's full size.
    wait_decoding(
        &browser,
        0,
        after.frames + 30,
        SIZE,
        Duration::from_secs(15),
    );
}

/// Every websocket of the embedded server is cut at once (`ss -K` in the test's own network
/// namespace: the server's side of each connection is destroyed, its peers get a reset),
/// as when its process restarts: the share registers again and the page rejoins within 5 s.
#[test]
fn the_page_rejoins_after_every_embedded_websocket_is_cut() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let share = reelcast_share(
        clip(),
        &["--loop", "--signalling-port", "0", "--http-port", "0"],
    );
    let (link, signalling) = embedded_link(&share);
    let port = url::Url::parse(&signalling)
        .unwrap()
        .port()
        .expect("a port");
    let browser = browser_viewers_with(ViewerKind::Page, &link, 1, &[]);
    wait_decoding(&browser, 0, 30, SIZE, JOIN);

    let cut = Instant::now();
    let out = Command::new("ss")
        .args(["-K", "-t", "state", "established"])
        .arg(format!("( sport = :{port} )"))
        .output()
        .expect("ss runs (iproute2)");
    assert!(out.status.success(), "ss -K: {out:?}");
    let killed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(
        killed >= 3,
        "the share's and the page's websockets cut: {out:?}"
    );
    wait_new_session(&browser, cut + REJOIN, "after the websockets were cut");
    eprintln!(
        "viewer page: video of a new session {} ms after its websocket was cut",
        cut.elapsed().as_millis()
    );
}

/// A phone held upright (390x844 CSS px, mobile emulation): the header wraps, nothing scrolls
/// sideways, and the video with its controls and the sound button are on screen; the status is
/// announced to screen readers, every control has a name, and the stats line shows what
/// arrives. The screenshot is kept for the README (docs/screenshots/viewer-phone.png).
#[test]
fn the_page_fits_a_phone() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let share = reelcast_share(
        clip(),
        &[
            "--loop",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
            "--name",
            "Friday night film",
        ],
    );
    let (link, _) = embedded_link(&share);
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("viewer-phone.png");
    let _ = std::fs::remove_file(&shot);
    let browser = browser_viewers_with(
        ViewerKind::Page,
        &link,
        1,
        &[
            "--phone",
            "--layout",
            "--screenshot",
            shot.to_str().unwrap(),
            // Once the stats line is there (after a second of watching).
            "--screenshot-frames",
            "120",
        ],
    );
    browser.wait_json(JOIN, "the screenshot", |v| v.get("screenshot").map(|_| ()));
    wait_decoding(&browser, 0, 60, SIZE, JOIN);
    let line = browser.wait_json(Duration::from_secs(10), "a line with stats", |v| {
        let summary = v.get("summary")?.as_str()?;
        (v.get("layout").is_some() && summary.contains("640×360")).then(|| v.clone())
    });
    let layout = &line["layout"];
    let n = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    assert_eq!(
        (n(layout, "innerWidth"), n(layout, "innerHeight")),
        (390.0, 844.0)
    );
    assert!(
        n(layout, "scrollWidth") <= n(layout, "clientWidth"),
        "no sideways scrolling: {layout}"
    );
    let on_screen = |what: &str| {
        let b = &layout[what];
        assert!(b.is_object(), "{what} is shown: {layout}");
        assert!(
            n(b, "left") >= 0.0
                && n(b, "top") >= 0.0
                && n(b, "right") <= 390.0
                && n(b, "bottom") <= 844.0
                && n(b, "width") > 0.0,
            "{what} is on screen: {layout}"
        );
    };
    for what in ["video", "unmute", "name", "status"] {
        on_screen(what);
    }
    let video = &layout["video"];
    assert!(
        n(video, "width") >= 380.0 && n(video, "height") >= 200.0,
        "the video uses the phone's width: {video}"
    );
    assert_eq!(layout["videoControls"], true);
    let a11y = &line["a11y"];
    assert_eq!(a11y["statusRole"], "status");
    assert_eq!(a11y["statusLive"], "polite");
    assert_eq!(a11y["statusText"], "Watching Friday night film");
    assert_eq!(a11y["unnamed"], serde_json::json!([]), "{a11y}");
    let summary = line["summary"].as_str().unwrap();
    assert!(
        summary.contains(" fps, ") && summary.contains(" kbit/s, ") && summary.contains(" lost"),
        "{summary}"
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "a screenshot with a picture: {size} bytes");
}

/// HMAC-SHA1 and base64 by Python's standard library, not ours.
fn python_turn_credential(secret: &str, username: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import base64, hashlib, hmac, sys; print(base64.b64encode(hmac.new(\
             sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())",
            secret,
            username,
        ])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// One plain HTTP GET on loopback: the body.
fn get(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut tcp = std::net::TcpStream::connect(&address).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        tcp,
        "GET {} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
        url.path()
    )
    .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply
}

/// The share has a STUN server, a TURN server of its own with a password, and a TURN server
/// with a shared secret (in a file): the page's connection is made with the STUN server and
/// credentials minted for this viewer (an hour, the HMAC Python computes), and neither the
/// password nor the secret reaches the page, in what it is served or what it receives.
#[test]
fn the_page_gets_stun_and_minted_turn_credentials_never_the_password() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let turn_file = dir.path().join("turn");
    std::fs::write(&turn_file, "turn://alice:hunter2@127.0.0.1:3481\n").unwrap();
    let secret_file = dir.path().join("turn-secret");
    std::fs::write(&secret_file, "north-wind-secret\n").unwrap();
    let share = reelcast_share(
        clip(),
        &[
            "--loop",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
            "--stun",
            "stun://127.0.0.1:3479",
            "--turn",
            "turn://127.0.0.1:3480?transport=udp",
            "--turn-file",
            turn_file.to_str().unwrap(),
            "--turn-secret-file",
            secret_file.to_str().unwrap(),
        ],
    );
    // Every line the share prints, kept to look for secrets in.
    let mut said = Vec::new();
    let link = common::wait_for(&share.lines, Duration::from_secs(30), "viewer-url", |l| {
        said.push(l.clone());
        let v: Value = serde_json::from_str(l).ok()?;
        event_is(&v, "viewer-url").then(|| v["url"].as_str().unwrap_or_default().to_owned())
    });
    let served = get(&link) + &get(&format!("{link}viewer.js"));
    let browser = browser_viewers_with(ViewerKind::Page, &link, 1, &["--ice"]);
    let mut received = Vec::new();
    let servers = common::wait_for(&browser.lines, JOIN, "the page's ICE servers", |l| {
        let v: Value = serde_json::from_str(l).ok()?;
        if let Some(text) = v.get("received").and_then(Value::as_str) {
            received.push(text.to_owned());
        }
        v.get("iceServers").filter(|s| s.is_array()).cloned()
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let servers = servers.as_array().unwrap();
    assert_eq!(servers.len(), 2, "{servers:?}");
    assert_eq!(
        servers[0]["urls"],
        serde_json::json!(["stun:127.0.0.1:3479"])
    );
    let turn = &servers[1];
    assert_eq!(
        turn["urls"],
        serde_json::json!(["turn:127.0.0.1:3480?transport=udp"])
    );
    let username = turn["username"].as_str().unwrap();
    let (expiry, viewer) = username.split_once(':').unwrap();
    let expiry: u64 = expiry.parse().unwrap();
    assert!(
        (now + 3500..=now + 3700).contains(&expiry),
        "an hour from now: {username}"
    );
    assert_eq!(viewer.len(), 32, "the viewer's peer id: {username}");
    assert_eq!(
        turn["credential"].as_str().unwrap(),
        python_turn_credential("north-wind-secret", username)
    );
    // The page's own peer id: the welcome it was sent names the same viewer.
    let start = Instant::now();
    while !received.iter().any(|m| m.contains("sessionStarted")) {
        assert!(start.elapsed() < Duration::from_secs(10), "{received:?}");
        let line = browser.lines.recv_timeout(Duration::from_secs(10)).unwrap();
        if let Some(text) = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v.get("received")?.as_str().map(str::to_owned))
        {
            received.push(text);
        }
    }
    assert!(
        received
            .iter()
            .any(|m| m.contains("welcome") && m.contains(viewer)),
        "{received:?}"
    );
    for text in received.iter().chain([&served]) {
        for secret in ["hunter2", "alice", "3481", "north-wind-secret"] {
            assert!(!text.contains(secret), "{secret} reached the page: {text}");
        }
    }
    // Nor do the share's logs and events show the secret or a minted credential.
    let credential = turn["credential"].as_str().unwrap().to_owned();
    drop(browser);
    let mut share = share;
    share.signal(libc::SIGTERM);
    let (_, _, lines) = share
        .wait_exit(Duration::from_secs(20))
        .expect("the share stops");
    said.extend(lines);
    assert!(said.iter().any(|l| l.contains("viewer-joined")), "{said:?}");
    for line in &said {
        assert!(
            !line.contains("north-wind-secret") && !line.contains(&credential),
            "{line}"
        );
    }
}
