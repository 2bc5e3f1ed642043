//! Secrets stay secret: a Janus pin and a WHIP token never show in errors, JSON events or a
//! `REELCAST_LOG=trace` log; they go in clear text only to this computer unless the person
//! allows it; and they are refused on the command line, read from files or the environment.
//! `reelcast share` runs as a process, against real Janus and a WHIP endpoint that echoes
//! what it is sent. Runs in scripts/test.sh's private network.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::net::assert_private_network;
use common::peers::Peer;
use serde_json::Value;

const STEP: Duration = Duration::from_secs(30);

fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("secrets-320x240.webm");
        common::make_webm(&path, Some((320, 240)), true, 10);
        path
    })
}

/// `reelcast share --json --headless CLIP ARGS` with `env`, logging as asked.
fn share_command(args: &[&str], env: &[(&str, &str)], log: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .arg("share")
        .arg(clip())
        .args(["--json", "--headless", "--loop"])
        .args(args)
        .env("REELCAST_LOG", log)
        .env_remove("REELCAST_WHIP_TOKEN")
        .env_remove("REELCAST_JANUS_PIN")
        .env_remove("REELCAST_TURN")
        .envs(env.iter().copied());
    command
}

/// Runs a share that must stop at once: its exit code and everything it printed.
fn refused(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = share_command(args, env, "warn");
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    let pid = child.id();
    let (done, outcome) = flume::bounded(1);
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let Ok(output) = outcome.recv_timeout(STEP) else {
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("reelcast share {args:?} did not stop");
    };
    let output = output.unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

/// Every line `peer` printed until `until` accepts one, then until it is killed.
fn lines_until(mut peer: Peer, what: &str, until: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    common::wait_for(&peer.lines, STEP, what, |line| {
        seen.push(line.clone());
        until(line).then_some(())
    });
    peer.kill();
    while let Ok(line) = peer.lines.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
    }
    seen
}

/// `secret` in any form a log could show it: as is, or as the hex of a frame's payload.
fn assert_nowhere(lines: &[String], secret: &str) {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    for line in lines {
        assert!(
            !line.contains(secret) && !line.contains(&hex),
            "{secret:?} shown: {line}"
        );
    }
}

fn is_event(line: &str, name: &str) -> bool {
    serde_json::from_str::<Value>(line).is_ok_and(|v| v["event"] == name)
}

#[test]
fn a_janus_pin_from_the_environment_is_used_and_never_shown_even_in_a_trace_log() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18288);
    // Room 4321's pin is "secret" (tests/common/janus.rs).
    let url = janus.publish_url(4321, None);
    let command = share_command(
        &["--signalling", &url],
        &[("REELCAST_JANUS_PIN", "secret")],
        "trace",
    );
    let lines = lines_until(
        Peer::spawn("reelcast", command),
        "joined the pinned room",
        |l| {
            assert!(!is_event(l, "refused"), "{l}");
            is_event(l, "registered")
        },
    );
    assert!(
        lines.iter().any(|l| l.contains("joined the Janus room")),
        "the log shows the conversation: {lines:?}"
    );
    assert_nowhere(&lines, "\"pin\":\"secret\"");
    assert_nowhere(&lines, "pin=secret");
}

/// A WHIP endpoint that refuses every offer, repeating the token and the URL it was sent:
/// what a broken or hostile server may do.
fn echoing_endpoint() -> (u16, flume::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (posted, posts) = flume::unbounded();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let body = format!("refused: {head}");
            let _ = write!(
                stream,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            if head.starts_with("POST") {
                let _ = posted.send(());
            }
        }
    });
    (port, posts)
}

#[test]
fn a_whip_token_and_url_secrets_are_never_shown_in_errors_json_or_a_trace_log() {
    assert_private_network();
    let (port, posts) = echoing_endpoint();
    let url = format!("whip+http://127.0.0.1:{port}/whip?key=url-s3cret");
    let command = share_command(
        &["--signalling", &url],
        &[("REELCAST_WHIP_TOKEN", "tok-s3cret")],
        "trace",
    );
    let share = Peer::spawn("reelcast", command);
    // The first POST is refused, reported, and tried again after the backoff.
    common::wait_for(&posts, STEP, "the first offer", |_| Some(()));
    let lines = lines_until(share, "the refusal reported", |l| is_event(l, "error"));
    let error = lines.iter().find(|l| is_event(l, "error")).unwrap();
    assert!(error.contains("HTTP 500"), "{error}");
    assert!(
        error.contains("key=***"),
        "names the URL, without the secret: {error}"
    );
    assert_nowhere(&lines, "tok-s3cret");
    assert_nowhere(&lines, "url-s3cret");
}

#[test]
fn a_pin_or_token_goes_in_clear_text_only_to_this_computer_unless_allowed() {
    assert_private_network();
    for (url, env) in [
        (
            "janus+ws://10.99.0.1:18299/?room=1",
            ("REELCAST_JANUS_PIN", "p1n"),
        ),
        (
            "whip+http://10.99.0.1:18299/whip",
            ("REELCAST_WHIP_TOKEN", "t0k"),
        ),
    ] {
        let (code, said) = refused(&["--signalling", url], &[env]);
        assert_eq!(code, Some(2), "refused as a usage error: {said}");
        assert!(said.contains("clear text"), "says why: {said}");
        assert!(
            said.contains("--allow-insecure-signalling"),
            "says how: {said}"
        );
        assert!(!said.contains(env.1), "{said}");
    }
    // Allowed: it connects (here to nothing) and tries again, as with any server.
    let command = share_command(
        &[
            "--signalling",
            "janus+ws://10.99.0.1:18299/?room=1",
            "--allow-insecure-signalling",
        ],
        &[("REELCAST_JANUS_PIN", "p1n")],
        "warn",
    );
    let share = Peer::spawn("reelcast", command);
    share.wait_json(STEP, "connecting", |v| {
        (v["event"] == "reconnecting").then_some(())
    });
}

#[test]
fn secrets_are_refused_as_arguments_and_read_from_files_or_the_environment() {
    assert_private_network();
    let (code, said) = refused(&["--turn", "turn://u:pw-s3cret@10.99.0.1:3478"], &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("--turn-file") && said.contains("REELCAST_TURN"),
        "{said}"
    );
    assert!(said.contains("ps"), "says why: {said}");
    assert!(!said.contains("pw-s3cret"), "{said}");
    let pinned = "janus+ws://127.0.0.1:18299/?room=1&pin=pin-s3cret";
    let (code, said) = refused(&["--signalling", pinned], &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("--janus-pin-file"), "{said}");
    assert!(!said.contains("pin-s3cret"), "{said}");

    // From a file and from the environment, a share with TURN credentials starts.
    let dir = tempfile::tempdir().unwrap();
    let turn_file = dir.path().join("turn");
    std::fs::write(&turn_file, "turn://u:pw-s3cret@10.99.0.1:3478\n").unwrap();
    let command = share_command(
        &[
            "--signalling-port",
            "0",
            "--http-port",
            "0",
            "--turn-file",
            turn_file.to_str().unwrap(),
        ],
        &[("REELCAST_TURN", "turns://v:pw2-s3cret@10.99.0.1:5349")],
        "info",
    );
    let lines = lines_until(Peer::spawn("reelcast", command), "registered", |l| {
        is_event(l, "registered")
    });
    assert_nowhere(&lines, "pw-s3cret");
    assert_nowhere(&lines, "pw2-s3cret");
    let (code, said) = refused(&["--janus-pin-file", "/nonexistent/pin"], &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("/nonexistent/pin: cannot read the Janus pin"),
        "{said}"
    );
}
