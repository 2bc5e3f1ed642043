//! Network sources: progressive HTTP, HLS and DASH play to their end, with buffering reported;
//! a failure tells its true cause in plain words: connection refused, host not found, a TLS
//! certificate not trusted, the server's HTTP status, and a server that cannot seek in an MP4
//! whose index is at the end. Against small servers of the test's own on loopback (and
//! `openssl s_server` for TLS); runs in scripts/private-net.sh's namespace, where no name
//! resolves.

mod common;
mod run_reelcast;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::net::assert_private_network;
use run_reelcast::run;

const DEADLINE: Duration = Duration::from_secs(60);
/// At most this many connections per server: it stops by itself.
const MAX_CONNECTIONS: usize = 64;

/// A tiny HTTP/1.1 server on 127.0.0.1: GET of a known path answers 200 with the whole body
/// (it ignores Range, as many simple servers do, and says nothing of ranges) and a type from
/// the name's extension; anything else is 404 Not Found.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start<P: Into<String>>(files: Vec<(P, Vec<u8>)>) -> Self {
        let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|(p, b)| (p.into(), b)).collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let files = Arc::new(files);
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if stopping.load(Ordering::Acquire) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let files = files.clone();
                std::thread::spawn(move || serve(stream, &files));
            }
        });
        Server { port, stop }
    }

    /// Serves the files of `dir` as /NAME.
    fn serve_dir(dir: &Path) -> Self {
        let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (format!("/{name}"), std::fs::read(&path).unwrap())
            })
            .collect();
        Self::start(files)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut stream: TcpStream, files: &[(String, Vec<u8>)]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        if request.len() > 64 * 1024 {
            return;
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (status, body): (&str, &[u8]) = match files.iter().find(|(p, _)| *p == path) {
        Some((_, body)) => ("200 OK", body),
        None => ("404 Not Found", b"not here\n"),
    };
    let kind = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("mpd") => "application/dash+xml",
        Some("ts") => "video/mp2t",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: {kind}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    // The player may hang up early (after a refused seek): nothing to do then.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// An MP4 whose index (moov) comes after a media box (mdat) too big for the demuxer to read
/// through: it must seek to the index, which a server without Range support cannot do.
fn mp4_with_index_at_the_end() -> Vec<u8> {
    let file = std::fs::read(&common::media().mp4).unwrap();
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8, "a plain 32-bit box size");
        boxes.push((&file[at + 4..at + 8], &file[at..at + size]));
        at += size;
    }
    let find = |kind: &[u8]| boxes.iter().find(|(k, _)| *k == kind).expect("box").1;
    let media_size = 12_000_000usize;
    let mut out = find(b"ftyp").to_vec();
    out.extend_from_slice(&((media_size + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out.resize(out.len() + media_size, 0);
    out.extend_from_slice(find(b"moov"));
    out
}

#[test]
fn a_file_over_http_plays_to_the_end() {
    assert_private_network();
    let server = Server::start(vec![(
        "/short.webm",
        std::fs::read(&common::media().short).unwrap(),
    )]);
    let out = run(
        ["play", "--headless", server.url("/short.webm").as_str()],
        DEADLINE,
    );
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("end of stream"), "{out}");
}

#[test]
fn a_missing_file_says_what_the_server_said() {
    assert_private_network();
    let server = Server::start(Vec::<(&str, Vec<u8>)>::new());
    let url = server.url("/holiday.webm");
    let out = run(["play", "--headless", url.as_str()], DEADLINE);
    let line = out.assert_failed_once(&url, "the server says 404 Not Found");
    assert!(!line.contains("no such file"), "{line}");
}

#[test]
fn a_closed_port_says_connection_refused() {
    assert_private_network();
    // Bound, then closed: nothing listens on that port now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/clip.webm");
    let out = run(["play", "--headless", url.as_str()], DEADLINE);
    let line = out.assert_failed_once(&url, "connection refused");
    assert!(!line.contains("not a video or audio file"), "{line}");
}

#[test]
fn a_name_that_does_not_resolve_says_host_not_found() {
    assert_private_network();
    let url = "http://nosuchhost.invalid/clip.webm";
    let out = run(["play", "--headless", url], DEADLINE);
    let line = out.assert_failed_once(url, "host not found");
    assert!(line.contains("nosuchhost.invalid"), "{line}");
}

#[test]
fn an_index_at_the_end_from_a_server_without_ranges_says_the_server_cannot_seek() {
    assert_private_network();
    let server = Server::start(vec![("/index-at-end.mp4", mp4_with_index_at_the_end())]);
    let url = server.url("/index-at-end.mp4");
    let out = run(["play", "--headless", url.as_str()], DEADLINE);
    let line = out.assert_failed_once(&url, "the server cannot seek");
    assert!(line.contains("index at the end"), "{line}");
}

#[test]
fn the_last_of_a_queue_failing_over_the_network_ends_the_run() {
    assert_private_network();
    let server = Server::start(vec![(
        "/short.webm",
        std::fs::read(&common::media().short).unwrap(),
    )]);
    let missing = server.url("/missing.webm");
    let out = run(
        [
            "play",
            "--headless",
            server.url("/short.webm").as_str(),
            missing.as_str(),
        ],
        DEADLINE,
    );
    out.assert_failed_once(&missing, "the server says 404 Not Found");
    assert!(out.stdout.contains("streams: video"), "{out}");
}

/// The JSON lines of a run's standard output.
fn json_events(out: &run_reelcast::Run) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("JSON: {l}\n{out}")))
        .collect()
}

/// `play --headless --json URL` ends at the end of the stream, with exit 0.
fn assert_plays_to_the_end(url: &str) -> Vec<serde_json::Value> {
    let out = run(["play", "--headless", "--json", url], DEADLINE);
    assert_eq!(out.code, Some(0), "{url}\n{out}");
    let events = json_events(&out);
    assert!(events.iter().any(|e| e["event"] == "streams"), "{out}");
    assert_eq!(events.last().unwrap()["event"], "end-of-stream", "{out}");
    // Nothing only repeats the line before it (progress moves on; the rest is a change).
    let repeated: Vec<_> = events
        .windows(2)
        .filter(|pair| pair[0] == pair[1] && pair[0]["event"] != "progress")
        .map(|pair| &pair[0])
        .collect();
    assert!(repeated.is_empty(), "repeated lines {repeated:?}\n{out}");
    events
}

#[test]
fn an_mp4_over_http_plays_to_the_end_and_reports_its_buffering() {
    assert_private_network();
    let server = Server::start(vec![(
        "/clip.mp4",
        std::fs::read(&common::media().mp4).unwrap(),
    )]);
    let events = assert_plays_to_the_end(&server.url("/clip.mp4"));
    let buffering: Vec<u64> = events
        .iter()
        .filter(|e| e["event"] == "buffering")
        .map(|e| e["percent"].as_u64().expect("a percent"))
        .collect();
    assert!(!buffering.is_empty(), "buffering is reported: {events:?}");
    assert!(buffering.iter().all(|p| *p <= 100), "{buffering:?}");
    // Played only once the buffer was full: the last buffering report before playing is 100 %.
    let playing = events
        .iter()
        .position(|e| e["event"] == "state" && e["state"] == "playing")
        .expect("it played");
    let last_before = events[..playing]
        .iter()
        .rev()
        .find(|e| e["event"] == "buffering");
    assert_eq!(
        last_before.map(|e| e["percent"].clone()),
        Some(100.into()),
        "{events:?}"
    );
}

/// Two 1 s MPEG-TS segments of H.264 (and AAC with `audio`), segment00000.ts and
/// segment00001.ts, and their HLS playlist, playlist.m3u8, in `dir`. Each segment is a
/// mpegtsmux file of its own, the second one's timestamps following the first's (hlssink2
/// made them too, but its splitmuxsink at times never ends on a loaded machine).
fn hls_segments(dir: &Path, audio: bool) {
    for n in 0..2u64 {
        let offset = n * 1_000_000_000;
        let sound = if audio {
            format!(
                "audiotestsrc num-buffers=50 samplesperbuffer=960 timestamp-offset={offset} \
                 ! audio/x-raw,rate=48000 ! avenc_aac ! aacparse ! mux."
            )
        } else {
            String::new()
        };
        common::gst_launch(&format!(
            "videotestsrc num-buffers=30 pattern=ball timestamp-offset={offset} \
             ! video/x-raw,width=320,height=240,framerate=30/1 \
             ! x264enc speed-preset=ultrafast key-int-max=30 ! h264parse \
             ! mpegtsmux name=mux ! filesink location={}/segment{n:05}.ts {sound}",
            dir.display()
        ));
    }
    let playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n\
                    #EXTINF:1.0,\nsegment00000.ts\n#EXTINF:1.0,\nsegment00001.ts\n#EXT-X-ENDLIST\n";
    std::fs::write(dir.join("playlist.m3u8"), playlist).unwrap();
}

#[test]
fn an_hls_playlist_plays_to_the_end() {
    assert_private_network();
    let dir = tempfile::tempdir().unwrap();
    hls_segments(dir.path(), true);
    let server = Server::serve_dir(dir.path());
    let events = assert_plays_to_the_end(&server.url("/playlist.m3u8"));
    let streams = events.iter().find(|e| e["event"] == "streams").unwrap();
    let kinds: Vec<&str> = streams["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"video") && kinds.contains(&"audio"),
        "{streams}"
    );
}

/// A static DASH manifest listing the segments of [`hls_segments`] (dashsink would make one,
/// over the same splitmuxsink that at times never ends).
const DASH_MANIFEST: &str = r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-main:2011"
     type="static" mediaPresentationDuration="PT2S" minBufferTime="PT1S">
  <Period id="p0" duration="PT2S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp2t">
      <Representation id="video" bandwidth="400000" width="320" height="240" codecs="avc1">
        <SegmentList duration="1">
          <SegmentURL media="segment00000.ts"/>
          <SegmentURL media="segment00001.ts"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;

#[test]
fn a_dash_manifest_plays_to_the_end() {
    assert_private_network();
    let dir = tempfile::tempdir().unwrap();
    hls_segments(dir.path(), false);
    std::fs::write(dir.path().join("clip.mpd"), DASH_MANIFEST).unwrap();
    let server = Server::serve_dir(dir.path());
    assert_plays_to_the_end(&server.url("/clip.mpd"));
}

/// An HTTPS server on 127.0.0.1 with a self-signed certificate (rcgen, rustls): it shakes
/// hands with every connection, each on a thread, and serves nothing.
struct TlsServer {
    port: u16,
}

impl TlsServer {
    fn start() -> Self {
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(stream) = stream else { continue };
                let config = config.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    // Reading drives the handshake, which the client breaks off.
                    let _ = tls.read(&mut [0u8; 1024]);
                });
            }
        });
        TlsServer { port }
    }
}

#[test]
fn a_self_signed_certificate_says_tls_certificate_not_trusted() {
    assert_private_network();
    let server = TlsServer::start();
    let url = format!("https://127.0.0.1:{}/clip.webm", server.port);
    let out = run(["play", "--headless", url.as_str()], DEADLINE);
    let line = out.assert_failed_once(&url, "TLS: the server's certificate is not trusted");
    assert!(line.contains("self-signed"), "{line}");
}
