//! Joining a call: `reelcast share` against the upstream signalling server and its embedded
//! default, watched by headless Chromium. Runs inside scripts/test.sh's private network.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::net::assert_private_network;
use common::peers::{
    browser_viewers, reelcast_share, signalling_server, viewer_stats, wait_decoding, Peer,
    ViewerKind,
};
use serde_json::Value;

const SIZE: (u64, u64) = (640, 360);
/// Chromium's first start on a busy two-core machine takes a while.
const JOIN: Duration = Duration::from_secs(60);

/// A 640x360 A/V file, shared with --loop so that it outlasts any test.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("share-640x360.webm");
        common::make_webm(&path, Some((SIZE.0 as u32, SIZE.1 as u32)), true, 10);
        path
    })
}

fn event_is(v: &Value, name: &str) -> bool {
    v.get("event").and_then(Value::as_str) == Some(name)
}

fn wait_registered(share: &Peer) -> String {
    share.wait_json(Duration::from_secs(30), "registered", |v| {
        event_is(v, "registered").then(|| v["peer_id"].as_str().unwrap_or_default().to_owned())
    })
}

#[test]
fn upstream_server_and_gstwebrtc_api_viewer_decode_video_and_audio() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let _server = signalling_server(18443);
    let share = reelcast_share(
        clip(),
        &[
            "--loop",
            "--signalling",
            "ws://127.0.0.1:18443",
            "--name",
            "test clip",
        ],
    );
    wait_registered(&share);
    let browser = browser_viewers(ViewerKind::GstWebrtcApi, "ws://127.0.0.1:18443", 1);
    let stats = wait_decoding(&browser, 0, 60, SIZE, JOIN);
    assert!(stats.audio_packets > 0);
    // gstwebrtc-api puts the name it is given in its status (meta.name): the share hears it.
    let name = share.wait_json(Duration::from_secs(5), "viewer-joined", |v| {
        event_is(v, "viewer-joined").then(|| v["name"].clone())
    });
    assert_eq!(name, "chromium-test-viewer");
}

#[test]
fn embedded_default_serves_a_page_that_plays_the_share() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    // Port 0: any free port, so the test does not depend on 8080 and 8443 being free.
    let share = reelcast_share(
        clip(),
        &["--loop", "--signalling-port", "0", "--http-port", "0"],
    );
    let url = share.wait_json(Duration::from_secs(30), "viewer-url", |v| {
        event_is(v, "viewer-url").then(|| v["url"].as_str().unwrap().to_owned())
    });
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "loopback by default: {url}"
    );
    wait_registered(&share);
    // What a person sees, kept for the README (docs/screenshots/viewer-page.png).
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("viewer-page.png");
    let _ = std::fs::remove_file(&shot);
    let browser = common::peers::browser_viewers_with(
        ViewerKind::Page,
        &url,
        1,
        &["--screenshot", shot.to_str().unwrap()],
    );
    // The screenshot is taken at 30 frames, before the 60 waited for below.
    browser.wait_json(JOIN, "the screenshot", |v| v.get("screenshot").map(|_| ()));
    let stats = wait_decoding(&browser, 0, 60, SIZE, JOIN);
    assert!(
        stats.join_ms.is_some(),
        "the page measures its join time: {stats:?}"
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "a screenshot with a picture in it: {size} bytes"
    );
}

#[test]
fn two_browser_viewers_both_decode() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let _server = signalling_server(18543);
    let share = reelcast_share(clip(), &["--loop", "--signalling", "ws://127.0.0.1:18543"]);
    wait_registered(&share);
    let browser = browser_viewers(ViewerKind::GstWebrtcApi, "ws://127.0.0.1:18543", 2);
    let mut decoding = [false, false];
    common::wait_for(&browser.lines, JOIN, "both viewers decoding", |line| {
        let s = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| viewer_stats(&v))?;
        if s.frames >= 60 && (s.width, s.height) == SIZE && s.audio_packets > 0 {
            decoding[s.viewer as usize] = true;
        }
        (decoding == [true, true]).then_some(())
    });
    // Two sessions on the share's side, each its own viewer.
    let mut joined = std::collections::HashSet::new();
    share.wait_json(Duration::from_secs(5), "two viewer-joined events", |v| {
        if event_is(v, "viewer-joined") {
            joined.insert(v["viewer"].as_str().unwrap_or_default().to_owned());
        }
        (joined.len() == 2).then_some(())
    });
}

#[test]
fn viewers_keep_watching_through_a_signalling_outage() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let url = "ws://127.0.0.1:18643";
    let mut server = signalling_server(18643);
    let share = reelcast_share(clip(), &["--loop", "--signalling", url]);
    let first_id = wait_registered(&share);
    // Reelcast's page keeps its peer connection when signalling drops (gstwebrtc-api closes
    // its sessions then, so it cannot show this).
    let first = browser_viewers(ViewerKind::Page, url, 1);
    let before = wait_decoding(&first, 0, 30, SIZE, JOIN);

    server.kill();
    share.wait_json(Duration::from_secs(10), "reconnecting", |v| {
        event_is(v, "reconnecting").then_some(())
    });
    // Media does not need the server: two more seconds of frames arrive while it is down.
    wait_decoding(&first, 0, before.frames + 60, SIZE, Duration::from_secs(20));

    let _server = signalling_server(18643);
    let second_id = wait_registered(&share);
    assert_ne!(
        first_id, second_id,
        "a new registration with the new server"
    );
    let second = browser_viewers(ViewerKind::GstWebrtcApi, url, 1);
    wait_decoding(&second, 0, 60, SIZE, JOIN);
    // And the first viewer is still watching.
    let now = wait_decoding(&first, 0, 0, SIZE, Duration::from_secs(5)).frames;
    wait_decoding(&first, 0, now + 30, SIZE, Duration::from_secs(10));
}

/// A server that speaks the protocol badly: garbage, unknown types, messages for sessions that
/// do not exist, an error, and finally a message over the size limit. The signaller logs and
/// drops what it cannot use, reports the error and keeps serving on the same connection, the
/// oversized message dropped unread.
#[test]
fn malformed_and_oversized_messages_are_dropped_not_fatal() {
    use futures_util::{SinkExt, StreamExt};
    use reelcast::signalling::{GstSignaller, GstSignallerOptions, Signaller, SignallingEvent};
    use tokio_tungstenite::tungstenite::Message;

    assert_private_network();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let (registrations_tx, registrations) = flume::unbounded::<Value>();
    runtime.spawn(async move {
        for connection in 0.. {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let text = |s: &str| Message::Text(s.to_owned().into());
            ws.send(text(&format!(r#"{{"type":"welcome","peerId":"p{connection}"}}"#)))
                .await
                .unwrap();
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                let _ = registrations_tx.send(serde_json::from_str(t.as_str()).unwrap());
            }
            for bad in [
                "not json at all",
                r#"{"type":"somethingNew","x":1}"#,
                r#"{"type":"peer","sessionId":"no-such-session","ice":{"candidate":"candidate:1 1 UDP 1 10.99.0.1 9 typ host","sdpMLineIndex":0}}"#,
                r#"{"type":"peer","sessionId":"s","sdp":{"type":"pranswer","sdp":"v=0"}}"#,
                r#"{"type":"startSession"}"#,
                r#"{"type":"error","details":"boom from the server"}"#,
                r#"{"type":"startSession","peerId":"viewer","sessionId":"s1"}"#,
            ] {
                ws.send(text(bad)).await.unwrap();
            }
            if connection == 0 {
                let huge = format!(r#"{{"type":"error","details":"{}"}}"#, "x".repeat(300 * 1024));
                let _ = ws.send(text(&huge)).await;
                let _ = ws.send(text(r#"{"type":"error","details":"after the huge one"}"#)).await;
            }
            // Hold the connection until the client goes.
            while let Some(Ok(_)) = ws.next().await {}
        }
    });

    let signaller = GstSignaller::start(GstSignallerOptions {
        url: format!("ws://127.0.0.1:{port}"),
        name: "hostile test".into(),
        ca_file: None,
        shown: None,
    })
    .unwrap();
    let events = signaller.subscribe();
    let registration = common::wait_for(
        &registrations,
        Duration::from_secs(10),
        "setPeerStatus",
        |v| Some(v.clone()),
    );
    assert_eq!(registration["type"], "setPeerStatus");
    // A listener too: the server then passes on viewers' statuses, with their names.
    assert_eq!(
        registration["roles"],
        serde_json::json!(["producer", "listener"])
    );
    assert_eq!(registration["meta"]["name"], "hostile test");

    let mut saw_error = false;
    let mut saw_session = false;
    common::wait_for(
        &events,
        Duration::from_secs(10),
        "the error and the session",
        |e| {
            match e {
                SignallingEvent::Error(m) if m.contains("boom from the server") => saw_error = true,
                SignallingEvent::SessionRequested { session, .. } if session == "s1" => {
                    saw_session = true
                }
                _ => {}
            }
            (saw_error && saw_session).then_some(())
        },
    );
    // The oversized message is dropped, not acted on; the connection stays.
    common::wait_for(
        &events,
        Duration::from_secs(15),
        "the next message",
        |e| match e {
            SignallingEvent::Error(m) if m.contains("after the huge one") => Some(()),
            SignallingEvent::Error(m) => {
                assert!(m.len() < 1000, "the huge message was acted on");
                None
            }
            SignallingEvent::State(state) => panic!("the connection changed: {state:?}"),
            _ => None,
        },
    );
    assert!(registrations.is_empty(), "registered once");
    signaller.stop();
}

/// The embedded page server: the page and its script under the link's secret, nothing else,
/// and bounded requests.
#[test]
fn embedded_page_server_serves_only_the_viewer() {
    use reelcast::signalling::{EmbeddedServer, EmbeddedServerOptions};
    use std::io::{Read, Write};

    assert_private_network();
    let server = EmbeddedServer::start(&EmbeddedServerOptions {
        signalling_port: 0,
        http_port: 0,
        ..EmbeddedServerOptions::default()
    })
    .unwrap();
    // The printed link: http://ADDRESS/SECRET/
    let link = server.viewer_url();
    let (address, secret) = link
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .split_once('/')
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
        .unwrap();
    let request = |raw: &[u8]| {
        let mut tcp = std::net::TcpStream::connect(&address).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.write_all(raw).unwrap();
        let mut response = String::new();
        let _ = tcp.read_to_string(&mut response);
        response
    };
    let get =
        |path: &str| request(format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes());
    let page = get(&format!("/{secret}/"));
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.200}");
    let port = server
        .viewer_signalling_url()
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        page.contains(&format!(
            r#"<meta name="reelcast-signalling" content="{port}">"#
        )),
        "the page names the signalling port"
    );
    let script = get(&format!("/{secret}/viewer.js"));
    assert!(script.starts_with("HTTP/1.1 200") && script.contains("RTCPeerConnection"));
    for path in [
        "/../../etc/passwd".to_owned(),
        "/src/main.rs".to_owned(),
        format!("/{secret}/viewer.js/.."),
        format!("/{secret}/../../etc/passwd"),
    ] {
        let r = get(&path);
        assert!(r.starts_with("HTTP/1.1 404"), "{path}: {r:.100}");
    }
    let post = request(
        format!("POST /{secret}/ HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n")
            .as_bytes(),
    );
    assert!(post.starts_with("HTTP/1.1 405"), "{post:.100}");
    // Over the 8 KiB limit, sent whole and never finished: all read, then refused.
    let mut huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(9000));
    huge.truncate(9000);
    let r = request(huge.as_bytes());
    assert!(r.starts_with("HTTP/1.1 431"), "{r:.100}");
}

/// `wss://` checks the server's certificate: one from a private CA is refused with an error that
/// says so, and accepted once that CA is given with --ca-file or is in the system's store.
#[test]
fn wss_verifies_certificates_and_takes_an_extra_ca() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(
        at("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                &at("ca.key"),
                "-out",
                &at("ca.pem"),
                "-days",
                "2",
                "-subj",
                "/CN=Reelcast test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                &at("server.key"),
                "-out",
                &at("server.csr"),
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        &at("server.csr"),
        "-CA",
        &at("ca.pem"),
        "-CAkey",
        &at("ca.key"),
        "-CAcreateserial",
        "-out",
        &at("server.pem"),
        "-days",
        "2",
        "-extfile",
        &at("server.ext"),
    ]);
    let _server = common::peers::signalling_server_tls(18743, &at("server.pem"), &at("server.key"));
    let url = "wss://127.0.0.1:18743";

    let untrusted = reelcast_share(clip(), &["--signalling", url]);
    let message = untrusted.wait_json(Duration::from_secs(20), "a certificate error", |v| {
        assert!(
            !event_is(v, "registered"),
            "registered with an untrusted certificate"
        );
        let m = v["message"].as_str().filter(|_| event_is(v, "error"))?;
        Some(m.to_owned())
    });
    assert!(message.contains(url), "the error names the URL: {message}");
    assert!(
        message.contains("certificate"),
        "the error says why: {message}"
    );

    let trusted = reelcast_share(clip(), &["--signalling", url, "--ca-file", &at("ca.pem")]);
    wait_registered(&trusted);

    // A CA installed on the system is trusted without --ca-file: here the system's store is
    // a private one, named by SSL_CERT_FILE as OpenSSL's tools read it.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .arg("share")
        .arg(clip())
        .args(["--json", "--headless", "--signalling", url])
        .env("SSL_CERT_FILE", at("ca.pem"))
        .env("REELCAST_LOG", "reelcast=info");
    let system = common::peers::Peer::spawn("reelcast", command);
    wait_registered(&system);

    let missing = reelcast_share(
        clip(),
        &["--signalling", url, "--ca-file", "/nonexistent/ca.pem"],
    );
    missing.wait_json(
        Duration::from_secs(20),
        "an error naming the CA file",
        |v| {
            let m = v["message"].as_str()?;
            m.contains("/nonexistent/ca.pem").then_some(())
        },
    );
}

/// A port already taken moves the embedded server to another one instead of failing.
#[test]
fn embedded_server_moves_off_a_taken_port() {
    use reelcast::signalling::{EmbeddedServer, EmbeddedServerOptions};

    assert_private_network();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = EmbeddedServer::start(&EmbeddedServerOptions {
        signalling_port: port,
        http_port: port,
        ..EmbeddedServerOptions::default()
    })
    .unwrap();
    let used = |url: String| {
        url.split("://")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    };
    let (signalling, http) = (used(server.signalling_url()), used(server.viewer_url()));
    assert_ne!(signalling, port);
    assert_ne!(http, port);
    assert_ne!(signalling, http);
}

/// `--host 0.0.0.0`: the link names the machine's network address (the private test
/// network's 10.99.0.1 here), and the page is served there; the share itself connects over
/// loopback.
#[test]
fn listening_everywhere_links_the_network_address() {
    use reelcast::signalling::{EmbeddedServer, EmbeddedServerOptions};
    use std::io::{Read, Write};

    assert_private_network();
    let server = EmbeddedServer::start(&EmbeddedServerOptions {
        host: std::net::Ipv4Addr::UNSPECIFIED.into(),
        signalling_port: 0,
        http_port: 0,
    })
    .unwrap();
    let url = server.viewer_url();
    assert!(url.starts_with("http://10.99.0.1:"), "{url}");
    assert!(
        server.signalling_url().starts_with("ws://127.0.0.1:"),
        "{}",
        server.signalling_url_shown()
    );
    assert!(
        server
            .viewer_signalling_url()
            .starts_with("ws://10.99.0.1:"),
        "viewers join at the network address too: {}",
        server.viewer_signalling_url()
    );
    let (address, secret) = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .split_once('/')
        .unwrap();
    let mut page = std::net::TcpStream::connect(address).unwrap();
    page.write_all(
        format!("GET /{secret}/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut reply = String::new();
    page.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply:.200}");
}

/// A signalling server that is not there at start: the error names the URL and the cause, and
/// Reelcast keeps trying, each time waiting longer.
#[test]
fn an_unreachable_server_is_reported_and_retried_with_backoff() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    // Nothing listens on port 1 inside the test's own network namespace.
    let url = "ws://127.0.0.1:1";
    let share = reelcast_share(clip(), &["--loop", "--signalling", url]);
    let message = share.wait_json(Duration::from_secs(20), "an error", |v| {
        event_is(v, "error").then(|| v["message"].as_str().unwrap_or_default().to_owned())
    });
    assert!(message.contains(url), "names the URL: {message}");
    assert!(message.contains("refused"), "says why: {message}");
    let mut waits = Vec::new();
    share.wait_json(Duration::from_secs(20), "three retries", |v| {
        if event_is(v, "reconnecting") {
            waits.push(v["retry_in_ms"].as_u64().unwrap_or(0));
        }
        (waits.len() == 3).then_some(())
    });
    assert!(
        waits.windows(2).all(|w| w[1] > w[0]),
        "each wait longer than the last: {waits:?}"
    );
}

/// Over `--max-viewers`, a viewer is turned away politely (its session ends) and the viewers
/// already watching are not disturbed.
#[test]
fn viewers_over_the_limit_are_refused_and_the_others_keep_watching() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let _server = signalling_server(18843);
    let share = reelcast_share(
        clip(),
        &[
            "--loop",
            "--signalling",
            "ws://127.0.0.1:18843",
            "--max-viewers",
            "1",
        ],
    );
    wait_registered(&share);
    let first = browser_viewers(ViewerKind::GstWebrtcApi, "ws://127.0.0.1:18843", 1);
    let before = wait_decoding(&first, 0, 30, SIZE, JOIN);
    let second = browser_viewers(ViewerKind::GstWebrtcApi, "ws://127.0.0.1:18843", 1);
    second.wait_json(JOIN, "the second viewer's session to end", |v| {
        (v["status"] == "closed").then_some(())
    });
    wait_decoding(&first, 0, before.frames + 30, SIZE, Duration::from_secs(10));
}
