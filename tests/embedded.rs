//! The embedded server against hostile peers: the link's secret, `Origin` and `Host`, caps on
//! connections, handshake deadlines, oversized messages, peers that never read, a full file
//! table, "New Link". Real websockets against the real server (in-process, or in a
//! `reelcast share` for what needs a real producer). Runs inside scripts/test.sh's private
//! network.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::net::assert_private_network;
use common::peers::Peer;
use common::ws::{expect, join, join_with, next_json, send, try_join, RawWs, Ws, STEP};
use futures_util::{SinkExt, StreamExt};
use reelcast::signalling::{
    EmbeddedServer, EmbeddedServerOptions, HANDSHAKE_WITHIN, MAX_CONNECTIONS, MAX_PER_ADDRESS,
    VIEWER_BURST,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("embedded-320x240.webm");
        common::make_webm(&path, Some((320, 240)), true, 10);
        path
    })
}

fn start_server() -> EmbeddedServer {
    EmbeddedServer::start(&EmbeddedServerOptions {
        signalling_port: 0,
        http_port: 0,
        ..EmbeddedServerOptions::default()
    })
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// `http://A:P/SECRET/` -> (`A:P`, `SECRET`); the same for `ws://A:P/SECRET`.
fn split_link(link: &str) -> (String, String) {
    let rest = link.split_once("://").unwrap().1;
    let (address, path) = rest.split_once('/').unwrap();
    (address.to_owned(), path.trim_end_matches('/').to_owned())
}

/// One raw HTTP request; the whole response.
fn http(address: &str, request: &str) -> String {
    let mut tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(STEP)).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = tcp.read_to_string(&mut response);
    response
}

fn get(address: &str, path: &str) -> String {
    http(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    )
}

/// Whether the server ends the connection within `within` (read gives EOF or a reset).
fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    tcp.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

/// Makes room for the connections a test holds (the soft limit up to the hard one).
fn raise_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

#[test]
fn without_the_secret_the_page_and_the_signalling_give_nothing() {
    assert_private_network();
    let server = start_server();
    let (page, secret) = split_link(&server.viewer_url());
    assert!(secret.len() >= 32, "at least 128 bits: {secret}");
    assert_ne!(
        secret,
        split_link(&server.signalling_url()).1,
        "the share's own secret is another"
    );
    let other = split_link(&start_server().viewer_url()).1;
    assert_ne!(secret, other, "a new secret for each share");
    // The secret with its last digit changed (it may end in 0).
    let last = if secret.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &secret[..secret.len() - 1]);
    for path in [
        "/",
        "/index.html",
        "/viewer.js",
        &format!("/{wrong}/"),
        &format!("/{wrong}/viewer.js"),
        &format!("/{other}/"),
    ] {
        let r = get(&page, path);
        assert!(r.starts_with("HTTP/1.1 404"), "{path}: {r:.200}");
        assert!(
            !r.contains("reelcast") && !r.contains("RTCPeerConnection"),
            "{path}: {r}"
        );
    }
    let r = get(&page, &format!("/{secret}/"));
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("reelcast-signalling"),
        "{r:.300}"
    );
    assert!(r.contains("Referrer-Policy: no-referrer"), "{r:.300}");
    let r = get(&page, &format!("/{secret}/viewer.js"));
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("RTCPeerConnection"));

    let (signalling, _) = split_link(&server.viewer_signalling_url());
    runtime().block_on(async {
        for path in ["", "/", &format!("/{wrong}"), &format!("/{other}")] {
            let refused = join_with(&format!("ws://{signalling}{path}"), &[]).await;
            assert_eq!(refused.err(), Some(403), "{path}");
        }
        let mut viewer = join(&server.viewer_signalling_url()).await;
        expect(&mut viewer, "welcome").await;
        // The link lets one watch, not publish: no producer from it, no list of the viewers.
        send(
            &mut viewer,
            json!({"type": "setPeerStatus", "roles": ["producer"], "meta": {"name": "fake"}}),
        )
        .await;
        assert!(expect(&mut viewer, "error").await["details"]
            .as_str()
            .unwrap()
            .contains("publish"));
        send(&mut viewer, json!({"type": "listConsumers"})).await;
        expect(&mut viewer, "error").await;
        send(&mut viewer, json!({"type": "list"})).await;
        assert_eq!(expect(&mut viewer, "list").await["producers"], json!([]));
    });
}

#[test]
fn a_foreign_origin_and_a_rebinding_host_are_refused() {
    assert_private_network();
    let server = start_server();
    let (page, secret) = split_link(&server.viewer_url());
    let path = format!("/{secret}/");
    let rebound = http(
        &page,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: evil.example:{}\r\n\r\n",
            page.rsplit(':').next().unwrap()
        ),
    );
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound:.200}");
    let no_host = http(&page, &format!("GET {path} HTTP/1.1\r\n\r\n"));
    assert!(no_host.starts_with("HTTP/1.1 421"), "{no_host:.200}");
    let foreign = http(
        &page,
        &format!("GET {path} HTTP/1.1\r\nHost: {page}\r\nOrigin: https://evil.example\r\n\r\n"),
    );
    assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign:.200}");
    let localhost = page.replace("127.0.0.1", "localhost");
    let by_name = http(
        &page,
        &format!("GET {path} HTTP/1.1\r\nHost: {localhost}\r\n\r\n"),
    );
    assert!(
        by_name.starts_with("HTTP/1.1 200"),
        "localhost is this machine: {by_name:.200}"
    );

    let url = server.viewer_signalling_url();
    let (signalling, _) = split_link(&url);
    let own_origin = format!("http://{page}");
    runtime().block_on(async {
        let evil = join_with(&url, &[("Origin", "https://evil.example")]).await;
        assert_eq!(evil.err(), Some(403), "another site's page");
        let null = join_with(&url, &[("Origin", "null")]).await;
        assert_eq!(null.err(), Some(403), "a sandboxed or file page");
        let other_port = join_with(&url, &[("Origin", "http://127.0.0.1:1")]).await;
        assert_eq!(other_port.err(), Some(403), "another page on this machine");
        let port = signalling.rsplit(':').next().unwrap();
        let rebinding = join_with(
            &url,
            &[
                ("Host", &format!("evil.example:{port}")),
                ("Origin", "http://evil.example:80"),
            ],
        )
        .await;
        assert_eq!(rebinding.err(), Some(403), "a rebound name");
        let mut ours = join_with(&url, &[("Origin", &own_origin)])
            .await
            .expect("the page's own origin");
        expect(&mut ours, "welcome").await;
    });
}

#[test]
fn a_new_link_ends_the_old_links_sessions() {
    assert_private_network();
    let server = start_server();
    let old_page = server.viewer_url();
    let old = server.viewer_signalling_url();
    runtime().block_on(async {
        let mut viewer = join(&old).await;
        expect(&mut viewer, "welcome").await;
        let new_page = server.new_link();
        assert_ne!(new_page, old_page);
        assert!(
            next_json(&mut viewer, STEP).await.is_none(),
            "the old link's viewer is dropped"
        );
        assert_eq!(join_with(&old, &[]).await.err(), Some(403));
        let mut again = join(&server.viewer_signalling_url()).await;
        expect(&mut again, "welcome").await;
        let (page, old_secret) = split_link(&old_page);
        assert!(get(&page, &format!("/{old_secret}/")).starts_with("HTTP/1.1 404"));
        let new_secret = split_link(&new_page).1;
        assert!(get(&page, &format!("/{new_secret}/")).starts_with("HTTP/1.1 200"));
    });
}

#[test]
fn handshakes_and_request_heads_have_a_deadline() {
    assert_private_network();
    let server = start_server();
    let (signalling, _) = split_link(&server.viewer_signalling_url());
    let (page, _) = split_link(&server.viewer_url());
    let limit = HANDSHAKE_WITHIN + Duration::from_secs(3);
    let mut silent = TcpStream::connect(&signalling).unwrap();
    silent.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    // One byte at a time, each well within any per-read timeout: the whole head has a deadline.
    let mut slow = TcpStream::connect(&page).unwrap();
    let started = Instant::now();
    slow.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut buf = [0u8; 64];
    let slow_closed = loop {
        if slow.write_all(b"X").is_err() {
            break true;
        }
        match slow.read(&mut buf) {
            Ok(_) => break true,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) if started.elapsed() > limit => break false,
            Err(_) => {}
        }
    };
    assert!(
        slow_closed,
        "a request head dribbled in is cut off within {limit:?}"
    );
    assert!(
        closed_within(
            &mut silent,
            limit.saturating_sub(started.elapsed()) + Duration::from_secs(1)
        ),
        "an unfinished handshake is dropped"
    );
}

#[test]
fn connections_are_capped_in_total_and_per_address() {
    assert_private_network();
    raise_file_limit();
    let server = start_server();
    let url = server.viewer_signalling_url();
    let (signalling, _) = split_link(&url);
    let to: SocketAddr = signalling.parse().unwrap();
    runtime().block_on(async {
        let from = |last: u8| -> IpAddr { format!("127.0.0.{last}").parse().unwrap() };
        let open = |source: IpAddr| {
            let url = url.clone();
            async move {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind(SocketAddr::new(source, 0)).unwrap();
                let tcp = socket.connect(to).await.unwrap();
                let request = url.as_str().into_client_request().unwrap();
                match tokio::time::timeout(STEP, tokio_tungstenite::client_async(request, tcp))
                    .await
                {
                    Ok(Ok((ws, _))) => Some(ws),
                    Ok(Err(_)) => None,
                    Err(_) => panic!("neither held nor refused within {STEP:?}"),
                }
            }
        };
        let mut held: Vec<RawWs> = Vec::new();
        for _ in 0..MAX_PER_ADDRESS {
            held.push(open(from(1)).await.expect("held, under the cap"));
        }
        assert!(
            open(from(1)).await.is_none(),
            "one address holds at most {MAX_PER_ADDRESS}"
        );
        let mut last = 2;
        while held.len() < MAX_CONNECTIONS {
            held.push(open(from(last)).await.expect("held, under the total cap"));
            if held.len().is_multiple_of(MAX_PER_ADDRESS) {
                last += 1;
            }
        }
        assert!(
            open(from(last)).await.is_none(),
            "the port holds at most {MAX_CONNECTIONS}"
        );
        drop(held);
        // The places come back: a viewer joins as soon as the others are gone.
        let deadline = Instant::now() + STEP;
        let mut viewer = loop {
            if let Some(ws) = open(from(1)).await {
                break ws;
            }
            assert!(Instant::now() < deadline, "places not given back");
            tokio::task::yield_now().await;
        };
        expect(&mut viewer, "welcome").await;
    });
    // The page server too, per address.
    let (page, secret) = split_link(&server.viewer_url());
    let mut held: Vec<TcpStream> = (0..MAX_PER_ADDRESS)
        .map(|_| TcpStream::connect(&page).unwrap())
        .collect();
    let mut over = TcpStream::connect(&page).unwrap();
    assert!(
        closed_within(&mut over, Duration::from_secs(2)),
        "the page server caps an address too"
    );
    assert!(!closed_within(&mut held[0], Duration::from_millis(10)));
    drop(held);
    let deadline = Instant::now() + STEP;
    while !get(&page, &format!("/{secret}/")).starts_with("HTTP/1.1 200") {
        assert!(
            Instant::now() < deadline,
            "the page server gives its places back"
        );
    }
}

#[test]
fn a_peer_that_never_reads_does_not_stall_the_others() {
    assert_private_network();
    let server = start_server();
    let url = server.viewer_signalling_url();
    let to: SocketAddr = split_link(&url).0.parse().unwrap();
    runtime().block_on(async {
        let mut producer = join(&server.signalling_url()).await;
        expect(&mut producer, "welcome").await;
        let status = |name: &str| {
            json!({"type": "setPeerStatus", "roles": ["producer"], "meta": {"name": name.repeat(8 * 1024)}})
        };
        send(&mut producer, status("a")).await;
        // The slow peer: a small receive buffer, listening for the share's changes, and it
        // never reads.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(to).await.unwrap();
        let request = url.as_str().into_client_request().unwrap();
        let (mut slow, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
        send(&mut slow, json!({"type": "setPeerStatus", "roles": ["listener"], "meta": {}})).await;
        // 2,000 changes of the share, 8 KiB each, all for the slow peer: 16 MB, far over what
        // the sockets and its queue hold. (The upstream relay stalls on its full queue here.)
        for i in 0..2000 {
            send(&mut producer, status(if i % 2 == 0 { "b" } else { "a" })).await;
        }
        // Another viewer is answered at once meanwhile, and the share hears of its session.
        let started = Instant::now();
        let mut other = join(&url).await;
        expect(&mut other, "welcome").await;
        send(&mut other, json!({"type": "list"})).await;
        let list = expect(&mut other, "list").await;
        let producer_id = list["producers"][0]["id"].as_str().unwrap().to_owned();
        send(&mut other, json!({"type": "startSession", "peerId": producer_id})).await;
        expect(&mut producer, "startSession").await;
        assert!(started.elapsed() < STEP, "{:?}", started.elapsed());
        drop(slow);
    });
}

#[test]
fn a_viewer_that_floods_messages_is_dropped() {
    assert_private_network();
    let server = start_server();
    let url = server.viewer_signalling_url();
    runtime().block_on(async {
        let mut flood = join(&url).await;
        expect(&mut flood, "welcome").await;
        let mut cut_off = false;
        for _ in 0..VIEWER_BURST * 5 {
            let list = Message::Text(r#"{"type":"list"}"#.into());
            if flood.send(list).await.is_err() {
                cut_off = true;
                break;
            }
        }
        if !cut_off {
            // Sent before the server said so: the answers stop, then the connection ends.
            while next_json(&mut flood, STEP).await.is_some() {}
        }
        let mut other = join(&url).await;
        expect(&mut other, "welcome").await;
    });
}

/// `reelcast share --loop` on the embedded default with `log` as REELCAST_LOG; its page link,
/// its websocket link, and the lines it printed until it registered.
fn embedded_share(log: &str) -> (Peer, String, String, Vec<String>) {
    embedded_share_with(log, &[])
}

/// The same with more environment variables.
fn embedded_share_with(log: &str, env: &[(&str, &str)]) -> (Peer, String, String, Vec<String>) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command.envs(env.iter().copied());
    command
        .arg("share")
        .arg(clip())
        .args([
            "--json",
            "--headless",
            "--loop",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
        ])
        .env("REELCAST_LOG", log);
    let share = Peer::spawn("reelcast", command);
    let (mut seen, mut links) = (Vec::new(), None);
    common::wait_for(
        &share.lines,
        Duration::from_secs(30),
        "viewer-url, then registered",
        |line| {
            seen.push(line.clone());
            let v: Value = serde_json::from_str(line).ok()?;
            if v["event"] == "viewer-url" {
                links = Some((
                    v["url"].as_str().unwrap().to_owned(),
                    v["signalling"].as_str().unwrap().to_owned(),
                ));
            }
            (v["event"] == "registered" && links.is_some()).then_some(())
        },
    );
    let (page, signalling) = links.unwrap();
    (share, page, signalling, seen)
}

/// Joins `url`'s only producer: the viewer, its session id, and the producer's id.
async fn start_session(url: &str) -> (Ws, String, String) {
    let mut ws = join(url).await;
    expect(&mut ws, "welcome").await;
    send(&mut ws, json!({"type": "list"})).await;
    let list = expect(&mut ws, "list").await;
    let producer = list["producers"][0]["id"]
        .as_str()
        .expect("a producer")
        .to_owned();
    send(&mut ws, json!({"type": "startSession", "peerId": producer})).await;
    let session = expect(&mut ws, "sessionStarted").await["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    (ws, session, producer)
}

#[test]
fn an_oversized_message_from_one_viewer_ends_no_other_session_and_no_secret_is_logged() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let (share, page, url, mut lines) = embedded_share(
        "reelcast=trace,gst_plugin_webrtc_signalling=trace,tungstenite=trace,tokio_tungstenite=trace",
    );
    let secret = split_link(&page).1;
    assert_eq!(
        split_link(&url).1,
        secret,
        "one secret for the page and the websocket"
    );
    runtime().block_on(async {
        let (mut watching, session, producer) = start_session(&url).await;
        expect(&mut watching, "peer").await;
        let (mut hostile, hostile_session, _) = start_session(&url).await;
        let candidate = format!("candidate:1 1 UDP 1 10.99.0.1 9 typ host {}", "x".repeat(300 * 1024));
        send(&mut hostile, json!({"type": "peer", "sessionId": hostile_session, "ice": {"candidate": candidate, "sdpMLineIndex": 0}})).await;
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let next = tokio::time::timeout_at(deadline, hostile.next()).await.expect("the oversized sender is dropped");
            if matches!(next, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) {
                break;
            }
        }
        // Nothing reaches the producer: its registration and the other session go on.
        let window = tokio::time::Instant::now() + Duration::from_secs(3);
        while let Ok(next) = tokio::time::timeout_at(window, watching.next()).await {
            let Some(Ok(Message::Text(t))) = next else { panic!("the watching viewer lost its connection") };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert_ne!(v["type"], "endSession", "the watching viewer's session ended: {v}");
        }
        send(&mut watching, json!({"type": "list"})).await;
        let list = expect(&mut watching, "list").await;
        assert_eq!(list["producers"][0]["id"], producer.as_str(), "the share stayed registered");
        let _ = session;
    });
    // The link's secret is in the one event that gives the link, in no log line; nor is the
    // share's own (64 hex digits too), which nothing prints.
    lines.extend(common::collect_for(
        &share.lines,
        Duration::from_millis(200),
    ));
    for line in lines {
        if line.contains(&secret) || has_hex_run(&line, 64) {
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("the secret in a log line: {line:.300}"));
            assert_eq!(v["event"], "viewer-url", "{line:.300}");
        }
    }
}

#[test]
fn the_accept_loop_survives_a_full_file_table() {
    assert_private_network();
    let (share, _page, url, seen) = embedded_share("reelcast=info");
    // The file is opened before the table is filled: a share that cannot open its file ends.
    if !seen
        .iter()
        .any(|line| line.contains(r#""state":"playing""#))
    {
        share.wait_line(r#""state":"playing""#, Duration::from_secs(30));
    }
    let pid = share.pid() as i32;
    let open_files = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64;
    let mut limit = libc::rlimit {
        rlim_cur: open_files + 4,
        rlim_max: 0,
    };
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        assert_eq!(
            libc::prlimit(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &mut old),
            0
        );
        limit.rlim_max = old.rlim_max;
        assert_eq!(
            libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()),
            0
        );
    }
    let (signalling, _) = split_link(&url);
    let crowd: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(&signalling).unwrap())
        .collect();
    share.wait_line("cannot accept a connection", STEP);
    drop(crowd);
    runtime().block_on(async {
        let deadline = Instant::now() + STEP;
        let mut viewer = loop {
            match try_join(&url).await {
                Ok(ws) => break ws,
                Err(e) => assert!(Instant::now() < deadline, "still refused: {e}"),
            }
        };
        expect(&mut viewer, "welcome").await;
    });
    unsafe {
        libc::prlimit(pid, libc::RLIMIT_NOFILE, &old, std::ptr::null_mut());
    }
}

/// 1,100 connections at once on each port, from many addresses: the server holds what its
/// caps allow and closes the rest; once they are gone a new viewer joins the share and gets
/// its offer.
#[test]
fn a_crowd_of_idle_connections_on_each_port_then_a_viewer_joins() {
    assert_private_network();
    raise_file_limit();
    let (_share, page, url, _) = embedded_share("reelcast=warn");
    let connector = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let crowd = |address: &str| -> Vec<TcpStream> {
        let to: SocketAddr = address.parse().unwrap();
        connector.block_on(async {
            let mut connections = Vec::new();
            for i in 0..1100 {
                // 25 from each address, under the per-address cap: the total cap is what holds.
                let source: IpAddr = format!("127.0.1.{}", 1 + i / 25).parse().unwrap();
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind(SocketAddr::new(source, 0)).unwrap();
                let tcp = socket.connect(to).await.unwrap().into_std().unwrap();
                tcp.set_nonblocking(false).unwrap();
                connections.push(tcp);
            }
            connections
        })
    };
    let mut all = Vec::new();
    for address in [split_link(&url).0, split_link(&page).0] {
        let mut open = crowd(&address);
        // Before any handshake deadline (4 s), the server holds at most its cap.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            open.retain_mut(|c| !closed_within(c, Duration::from_millis(1)));
            if open.len() <= MAX_CONNECTIONS {
                break;
            }
            assert!(Instant::now() < deadline, "{address}: {} held", open.len());
        }
        eprintln!("{address}: {} of 1,100 held", open.len());
        all.extend(open);
    }
    drop(all);
    runtime().block_on(async {
        let deadline = Instant::now() + STEP;
        let mut viewer = loop {
            match try_join(&url).await {
                Ok(ws) => break ws,
                Err(e) => assert!(Instant::now() < deadline, "no place after the crowd: {e}"),
            }
        };
        expect(&mut viewer, "welcome").await;
        send(&mut viewer, json!({"type": "list"})).await;
        let producer = expect(&mut viewer, "list").await["producers"][0]["id"].clone();
        send(
            &mut viewer,
            json!({"type": "startSession", "peerId": producer}),
        )
        .await;
        expect(&mut viewer, "sessionStarted").await;
        let offer = expect(&mut viewer, "peer").await;
        assert!(offer["sdp"]["type"] == "offer", "{offer}");
    });
}

/// "New Link" at the layer the window drives: the new link comes as the one `viewer-url`
/// event, and the old link's viewers are dropped.
#[test]
fn new_link_on_a_share_sends_the_new_link_and_drops_the_old_viewers() {
    assert_private_network();
    let player = common::play_clip("embedded-new-link.webm", (320, 240), 5, true);
    let sharing = common::share(&player, "new link", None);
    let events = sharing.subscribe();
    let old = sharing.viewer_url().unwrap();
    let old_ws = common::wait_for(&events, STEP, "viewer-url", |e| match e {
        reelcast::sharing::SharingEvent::ViewerUrl { signalling, .. } => Some(signalling.clone()),
        _ => None,
    });
    runtime().block_on(async {
        let mut viewer = join(&old_ws).await;
        expect(&mut viewer, "welcome").await;
        sharing.new_link();
        let (page, ws) = common::wait_for(&events, STEP, "the new viewer-url", |e| match e {
            reelcast::sharing::SharingEvent::ViewerUrl { url, signalling } => {
                Some((url.clone(), signalling.clone()))
            }
            _ => None,
        });
        assert_ne!(page, old);
        assert_eq!(sharing.viewer_url().unwrap(), page);
        assert!(
            next_json(&mut viewer, STEP).await.is_none(),
            "the old viewer is dropped"
        );
        let mut again = join(&ws).await;
        expect(&mut again, "welcome").await;
    });
}

/// A peer that stops answering (no messages, no pongs) is dropped after three ping intervals;
/// the share itself, which answers, stays. (Pings every 100 ms here instead of 15 s.)
#[test]
fn a_silent_peer_is_dropped_at_the_idle_limit() {
    assert_private_network();
    let (share, _page, url, _) = embedded_share_with(
        "reelcast::signalling::hub=debug",
        &[("REELCAST_TEST_PING_MS", "100")],
    );
    runtime().block_on(async {
        let mut silent = join(&url).await;
        expect(&mut silent, "welcome").await;
        // Not read from now on, so its pings go unanswered.
        share.wait_line("signalling peer gone: silent", STEP);
        let mut other = join(&url).await;
        expect(&mut other, "welcome").await;
        send(&mut other, json!({"type": "list"})).await;
        let list = expect(&mut other, "list").await;
        assert_eq!(
            list["producers"].as_array().unwrap().len(),
            1,
            "the share answers its pings"
        );
        drop(silent);
    });
}

/// Whether `text` holds a word of exactly `n` hexadecimal digits (as a secret is; longer runs
/// are hex dumps of frames).
fn has_hex_run(text: &str, n: usize) -> bool {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .any(|word| word.len() == n)
}
