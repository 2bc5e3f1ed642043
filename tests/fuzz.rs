//! Fuzzing everything that reads remote input: signalling frames, the SDP answers viewers
//! send, the ICE candidates they send, and requests to the embedded page server; and the
//! redaction of secrets in URLs. A seeded mutation fuzzer (the same cases on
//! every run, so a failure reproduces) runs a bounded number of cases per target; the
//! property is "no panic, and a sane result". `REELCAST_FUZZ_CASES` raises the count.

use reelcast::media::MediaKind;
use reelcast::rtc::{answer_codecs, check_candidate, MAX_CANDIDATE_LEN};
use reelcast::signalling::{
    admit_websocket, decode, decode_janus, host_is_served, ice_servers_in_links, origin_is_page,
    parse_janus_url, parse_whip_url, redact_url, route_request, Access, Capabilities, Incoming,
    JanusIncoming, Refusal, Route, SignallingEvent,
};

/// xorshift64*: small, fast, and deterministic from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the formats under test, so mutations reach deep into the parsers.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"\\",
    b"\\u0000",
    b"null",
    b"true",
    b"-1",
    b"1e999",
    b"18446744073709551616",
    b"\"type\"",
    b"\"peer\"",
    b"\"sdp\"",
    b"\"ice\"",
    b"\"sessionId\"",
    b"\"startSession\"",
    b"\"offer\"",
    b"\"janus\"",
    b"\"plugindata\"",
    b"\"jsep\"",
    b"\"error_code\"",
    b"room=",
    b"&pin=",
    b"<",
    b">",
    b";",
    b"rel=\"ice-server\"",
    b"turn:",
    b"\r\n",
    b"m=",
    b"a=rtpmap:",
    b"96",
    b"VP8/90000",
    b"H264",
    b"opus/48000/2",
    b" ",
    b"\0",
    b"\xff",
    b"\xc3",
    b"GET ",
    b"/../",
    b"%2e%2e",
    b"?",
    b"\r\n\r\n",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + 1 + rng.below(32)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(64)).min(data.len());
                let piece = data[start..end].to_vec();
                data.splice(at..at, piece);
            }
            4 => data.truncate(at),
            5 => {
                let byte = rng.next() as u8;
                data.insert(at, byte);
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let end = (at + token.len()).min(data.len());
                data.splice(at..end, token.iter().copied());
            }
        }
    }
    data
}

fn cases(default: usize) -> usize {
    std::env::var("REELCAST_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

const SIGNALLING_SEEDS: &[&str] = &[
    r#"{"type":"welcome","peerId":"0b8f-4c"}"#,
    r#"{"type":"startSession","peerId":"viewer-1","sessionId":"s-1"}"#,
    r#"{"type":"startSession","peerId":"viewer-1","sessionId":"s-1","offer":"v=0\r\n"}"#,
    r#"{"type":"peer","sessionId":"s-1","sdp":{"type":"answer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}}"#,
    r#"{"type":"peer","sessionId":"s-1","ice":{"candidate":"candidate:1 1 UDP 2122 10.99.0.1 5000 typ host","sdpMLineIndex":0}}"#,
    r#"{"type":"endSession","sessionId":"s-1"}"#,
    r#"{"type":"error","details":"no such peer"}"#,
    r#"{"type":"peerStatusChanged","peerId":"p","roles":["producer"],"meta":{"name":"x"}}"#,
    r#"{"type":"peerStatusChanged","peerId":"c","roles":["listener"],"meta":{"name":"Ana\u001b[2J\u0007 Lee"}}"#,
    r#"{"type":"list","producers":[{"id":"p","meta":{"name":"x"}}]}"#,
    r#"{"type":"sessionStarted","peerId":"p","sessionId":"s"}"#,
];

#[test]
fn signalling_frames_never_panic() {
    let mut rng = Rng(0x5EED_0001);
    let n = cases(120_000);
    let mut decoded = 0;
    for i in 0..n {
        let seed = SIGNALLING_SEEDS[i % SIGNALLING_SEEDS.len()].as_bytes();
        let data = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&data);
        match decode(&text) {
            Ok(Incoming::Event(SignallingEvent::RemoteIce { candidate, .. })) => {
                // Passed on as text to webrtcbin, never interpreted here.
                assert!(candidate.len() <= text.len());
                decoded += 1;
            }
            Ok(Incoming::PeerStatus {
                name: Some(name), ..
            }) => {
                // A viewer's display name is shown to people: bounded, no control characters.
                assert!(name.chars().count() <= reelcast::signalling::MAX_DISPLAY_NAME);
                assert!(!name.chars().any(char::is_control), "{name:?}");
                decoded += 1;
            }
            Ok(_) => decoded += 1,
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    // Some cases must still parse (about 3 % do), or the fuzzer only tests the JSON
    // tokenizer's first byte.
    assert!(decoded > n / 100, "only {decoded} of {n} cases parsed");
    eprintln!("signalling: {n} cases, {decoded} still valid messages");
}

const JANUS_SEEDS: &[&str] = &[
    r#"{"janus":"success","transaction":"reelcast-1","data":{"id":4988827764424490}}"#,
    r#"{"janus":"ack","session_id":1,"transaction":"reelcast-3"}"#,
    r#"{"janus":"event","session_id":1,"transaction":"reelcast-3","sender":2,"plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"description":"Room","id":8131225562440543,"private_id":1,"publishers":[]}}}"#,
    r#"{"janus":"event","session_id":1,"sender":2,"transaction":"reelcast-3","plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","error_code":426,"error":"No such room (999)"}}}"#,
    r#"{"janus":"event","session_id":1,"sender":2,"transaction":"reelcast-4","plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","room":1234,"configured":"ok"}},"jsep":{"type":"answer","sdp":"v=0\r\no=- 1 1 IN IP4 10.99.0.1\r\n"}}"#,
    r#"{"janus":"error","transaction":"reelcast-9","error":{"code":458,"reason":"No such session 1"}}"#,
    r#"{"janus":"trickle","session_id":1,"sender":2,"candidate":{"sdpMLineIndex":0,"candidate":"candidate:1 1 udp 2015363327 10.99.0.1 20004 typ host"}}"#,
    r#"{"janus":"hangup","session_id":1,"sender":2,"reason":"DTLS alert"}"#,
    r#"{"janus":"webrtcup","session_id":1,"sender":2}"#,
    r#"{"janus":"timeout","session_id":1}"#,
];

/// Janus's replies reach [`decode_janus`] from a server that may not be ours; the URL comes
/// from the person, and may be pasted from anywhere.
#[test]
fn janus_replies_and_urls_never_panic() {
    let mut rng = Rng(0x5EED_0004);
    let n = cases(100_000);
    let mut decoded = 0;
    for i in 0..n {
        let seed = JANUS_SEEDS[i % JANUS_SEEDS.len()].as_bytes();
        let data = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&data);
        match decode_janus(&text) {
            Ok(JanusIncoming::Trickle { candidate, .. }) => {
                assert!(candidate.len() <= text.len());
                decoded += 1;
            }
            Ok(JanusIncoming::Answer { sdp, .. }) => {
                assert!(sdp.len() <= text.len());
                decoded += 1;
            }
            Ok(_) => decoded += 1,
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert!(decoded > n / 100, "only {decoded} of {n} cases parsed");
    let mut urls = 0;
    let url = b"janus+ws://127.0.0.1:8188/janus?room=1234&pin=s3cret&display=Movie%20night";
    for _ in 0..n / 10 {
        let data = mutate(&mut rng, url);
        let text = String::from_utf8_lossy(&data);
        match parse_janus_url(&text) {
            Ok(target) => {
                assert!(target.websocket.starts_with("ws"), "{text}");
                urls += 1;
            }
            // The error names what was given, its secrets taken out.
            Err(e) => assert!(e.to_string().contains(&redact_url(&text)), "{e}"),
        }
    }
    eprintln!(
        "janus: {n} replies, {decoded} still valid; {} URLs, {urls} valid",
        n / 10
    );
}

/// A WHIP endpoint's reply: its `Link` headers are read for ICE servers (the answer itself is
/// an SDP answer, fuzzed above; the Location is resolved by the `url` crate). And the URL the
/// person gives.
#[test]
fn whip_links_and_urls_never_panic() {
    let mut rng = Rng(0x5EED_0005);
    let n = cases(100_000);
    let seed: &[u8] = b"<stun:stun.example.net:3478>; rel=\"ice-server\", \
        <turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; \
        credential=\"p\"; credential-type=\"password\"";
    let mut found = 0;
    for _ in 0..n {
        let data = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&data);
        for server in ice_servers_in_links(&[&text]) {
            // Only STUN and TURN URLs in webrtcbin's form, with nothing that could reach
            // past the address (no path, no space, no second userinfo).
            assert!(
                ["stun://", "turn://", "turns://"]
                    .iter()
                    .any(|s| server.starts_with(s)),
                "{server}"
            );
            assert!(!server.contains(char::is_whitespace), "{server}");
            assert!(
                !server.contains('/') || server.matches('/').count() == 2,
                "{server}"
            );
            assert!(server.matches('@').count() <= 1, "{server}");
            found += 1;
        }
    }
    assert!(found > n / 10, "only {found} servers in {n} cases");
    let mut urls = 0;
    for _ in 0..n / 10 {
        let data = mutate(
            &mut rng,
            b"whip+https://sfu.example.org:8443/whip/endpoint?room=1",
        );
        let text = String::from_utf8_lossy(&data);
        match parse_whip_url(&text) {
            Ok(url) => {
                assert!(matches!(url.scheme(), "http" | "https"), "{text}");
                urls += 1;
            }
            Err(e) => assert!(e.to_string().contains(&redact_url(&text)), "{e}"),
        }
    }
    eprintln!(
        "whip: {n} Link headers, {found} servers read; {} URLs, {urls} valid",
        n / 10
    );
}

/// A real answer from Chromium to Reelcast's offer, shortened.
const ANSWER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE video0 audio1\r\na=msid-semantic: WMS\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 \
AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n\
a=setup:active\r\na=mid:video0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n\
a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:audio1\r\na=recvonly\r\n\
a=rtcp-mux\r\na=rtpmap:111 OPUS/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";

#[test]
fn sdp_answers_never_panic() {
    gst::init().unwrap();
    // A GLib critical (a failed assertion in GStreamer's parser) fails the test.
    gst::glib::log_set_always_fatal(gst::glib::LogLevels::LEVEL_CRITICAL);
    assert!(answer_codecs("", &[MediaKind::Video]).is_err());
    let kinds = [MediaKind::Video, MediaKind::Audio];
    // The seed itself reads as VP8 + Opus.
    let codecs = answer_codecs(ANSWER, &kinds).unwrap();
    assert_eq!(
        codecs
            .iter()
            .map(|c| c.map(|c| c.to_string()))
            .collect::<Vec<_>>(),
        vec![Some("vp8".to_owned()), Some("opus".to_owned())]
    );
    let mut rng = Rng(0x5EED_0002);
    let n = cases(60_000);
    let mut parsed = 0;
    for _ in 0..n {
        let data = mutate(&mut rng, ANSWER.as_bytes());
        let text = String::from_utf8_lossy(&data);
        if let Ok(codecs) = answer_codecs(&text, &kinds) {
            assert_eq!(codecs.len(), kinds.len());
            // A codec is only ever chosen for an m-line of its own kind.
            for (codec, kind) in codecs.iter().zip(kinds) {
                if let Some(codec) = codec {
                    assert_eq!(codec.kind(), kind, "{text:?}");
                }
            }
            parsed += 1;
        }
    }
    assert!(parsed > n / 20, "only {parsed} of {n} cases parsed");
    eprintln!("sdp: {n} cases, {parsed} parsed");
}

/// The secret in the fuzzed requests' paths (a real one is 64 hex digits).
const SECRET: &str = "5ecre7";

const REQUEST_SEEDS: &[&str] = &[
    "GET /5ecre7/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: x\r\n\r\n",
    "GET /5ecre7/viewer.js?v=1 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
    "GET /5ecre7/index.html HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:8080\r\n\r\n",
    "GET /5ecre7 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
];

#[test]
fn page_server_requests_never_panic_or_reach_other_files() {
    let served: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let mut rng = Rng(0x5EED_0003);
    let n = cases(120_000);
    let mut served_pages = 0;
    for i in 0..n {
        let seed = REQUEST_SEEDS[i % REQUEST_SEEDS.len()].as_bytes();
        let data = mutate(&mut rng, seed);
        let route = route_request(&data, SECRET, served);
        if matches!(route, Route::Page | Route::Script) {
            // Only a GET of exactly the two names under the secret (and a query) is served,
            // for the served host.
            let text = String::from_utf8_lossy(&data);
            let mut parts = text.split_whitespace();
            assert_eq!(parts.next(), Some("GET"), "{text:?}");
            let path = parts.next().unwrap().split(['?', '#']).next().unwrap();
            assert!(
                ["/5ecre7/", "/5ecre7/index.html", "/5ecre7/viewer.js"].contains(&path),
                "{text:?}"
            );
            let host = text
                .split("\r\n")
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
                })
                .map(|(_, v)| v.trim())
                .expect("a host header");
            assert!(host_is_served(host, served), "{text:?}");
            served_pages += 1;
        }
    }
    assert!(served_pages > 0, "no mutation kept a good request");
    let huge = vec![b'a'; 9000];
    assert_eq!(route_request(&huge, SECRET, served), Route::TooLarge);
    eprintln!("requests: {n} cases, {served_pages} served");
}

/// The embedded websocket handshake's checks: the path's secret, `Host` and `Origin`, from
/// mutated values. Only the exact secrets open anything, only for the served address.
#[test]
fn websocket_handshakes_never_panic_or_open_without_the_secret() {
    let keys = Capabilities::new();
    let viewer = keys.viewer_secret().1;
    let producer = keys.producer_secret().to_owned();
    let served: std::net::SocketAddr = "127.0.0.1:8443".parse().unwrap();
    let mut rng = Rng(0x5EED_0004);
    let n = cases(60_000);
    let mut opened = 0;
    for i in 0..n {
        let secret = if i % 2 == 0 { &viewer } else { &producer };
        // One of the three mutated in each case, the others as a browser sends them.
        let mut field = |which: usize, seed: &str| {
            if i % 3 == which {
                String::from_utf8_lossy(&mutate(&mut rng, seed.as_bytes())).into_owned()
            } else {
                seed.to_owned()
            }
        };
        let path = field(0, &format!("/{secret}"));
        let host = field(1, "127.0.0.1:8443");
        let origin = field(2, "http://127.0.0.1:8080");
        let origin = (i % 5 != 0).then_some(origin.as_str());
        if let Ok(access) = admit_websocket(&path, Some(&host), origin, served, 8080, &keys) {
            let given = path.split(['?', '#']).next().unwrap().trim_matches('/');
            let expected = match access {
                Access::Producer => &producer,
                Access::Viewer { .. } => &viewer,
            };
            assert_eq!(given, expected.as_str(), "{path:?}");
            assert!(host_is_served(&host, served), "{host:?}");
            assert!(
                origin.is_none_or(|o| origin_is_page(o, served.ip(), 8080)),
                "{origin:?}"
            );
            opened += 1;
        }
    }
    assert_eq!(
        admit_websocket("/", Some("127.0.0.1:8443"), None, served, 8080, &keys),
        Err(Refusal::NoSecret)
    );
    assert!(opened > 0, "no mutation kept a good handshake");
    eprintln!("websocket handshakes: {n} cases, {opened} opened");
}

/// What reaches webrtcbin's add-ice-candidate: a candidate the check lets through is short
/// and plain text (GLib's string conversion panics on a NUL in a debug build).
#[test]
fn ice_candidates_are_checked_without_panics() {
    let mut rng = Rng(0x5EED_0007);
    let n = cases(100_000);
    let seeds: &[&[u8]] = &[
        b"candidate:842163049 1 udp 1677729535 10.99.0.2 46154 typ srflx raddr 0.0.0.0 rport 0 \
          generation 0 ufrag sXHz network-cost 999",
        b"candidate:1 1 TCP 2105524479 10.99.0.1 9 typ host tcptype active",
        b"",
    ];
    let mut passed = 0;
    for i in 0..n {
        let data = mutate(&mut rng, seeds[i % seeds.len()]);
        let text = String::from_utf8_lossy(&data);
        if check_candidate(&text).is_ok() {
            assert!(text.len() <= MAX_CANDIDATE_LEN);
            assert!(!text.bytes().any(|b| b.is_ascii_control()), "{text:?}");
            passed += 1;
        }
    }
    assert!(passed > n / 10, "only {passed} of {n} candidates passed");
    assert!(check_candidate(&"a".repeat(MAX_CANDIDATE_LEN + 1)).is_err());
}

/// Whatever a URL looks like, redacting never panics and is stable; and whatever a pin or a
/// password is, it is not shown.
#[test]
fn redacted_urls_never_show_the_secret() {
    let mut rng = Rng(0x5EED_0008);
    let n = cases(50_000);
    let seed: &[u8] = b"janus+ws://user:S3CR3T@10.0.0.1:8188/?room=1&pin=S3CR3T&display=x#k";
    let mut checked = 0;
    for _ in 0..n {
        let data = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&data);
        let shown = redact_url(&text);
        assert_eq!(redact_url(&shown), shown, "{text:?}");
        // The mutated bytes as a secret, where a secret goes.
        let secret: String = text.chars().filter(|c| !"&#?/@:".contains(*c)).collect();
        let template = "janus+ws://u:@h/?room=1&pin=";
        if secret.len() >= 6 && !template.contains(&secret) && !"***".contains(&secret) {
            let pinned = redact_url(&format!("janus+ws://h/?room=1&pin={secret}"));
            assert!(!pinned.contains(&secret), "{pinned:?}");
            let password = redact_url(&format!("turn://u:{secret}@h:3478"));
            assert!(!password.contains(&secret), "{password:?}");
            checked += 1;
        }
    }
    assert!(checked > n / 2, "only {checked} secrets checked");
}
