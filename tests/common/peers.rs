//! Real peers as child processes: the upstream signalling server, `reelcast share`, and
//! headless Chromium viewers (tests/browser/viewer.mjs). Each reports by lines on stdout that
//! the tests wait on with deadlines.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A child process killed when dropped, with its output lines on a channel.
pub struct Peer {
    pub name: String,
    child: std::process::Child,
    pub lines: flume::Receiver<String>,
}

impl Peer {
    pub fn spawn(name: &str, mut command: Command) -> Peer {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        let (tx, lines) = flume::unbounded();
        forward(child.stdout.take().unwrap(), tx.clone(), None);
        // Stderr goes to the test's output (shown on failure) and to the channel.
        forward(child.stderr.take().unwrap(), tx, Some(name.to_owned()));
        Peer {
            name: name.to_owned(),
            child,
            lines,
        }
    }

    /// Waits for a line containing `needle`.
    pub fn wait_line(&self, needle: &str, within: Duration) -> String {
        super::wait_for(
            &self.lines,
            within,
            &format!("{}: {needle:?}", self.name),
            |l| l.contains(needle).then(|| l.clone()),
        )
    }

    /// Waits for a JSON line that `want` accepts.
    pub fn wait_json<R>(
        &self,
        within: Duration,
        what: &str,
        mut want: impl FnMut(&Value) -> Option<R>,
    ) -> R {
        super::wait_for(
            &self.lines,
            within,
            &format!("{}: {what}", self.name),
            |l| serde_json::from_str::<Value>(l).ok().and_then(|v| want(&v)),
        )
    }

    /// Kills the process and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (libc's number) to the process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child, which is not reaped before `wait_exit`.
        unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
    }

    /// Waits, at most `within`, for the process to end: its output closes (the lines not
    /// read yet are returned, in order) and its exit status is taken. `None` if it is still
    /// running then.
    pub fn wait_exit(
        &mut self,
        within: Duration,
    ) -> Option<(std::process::ExitStatus, std::time::Instant, Vec<String>)> {
        let deadline = std::time::Instant::now() + within;
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_deadline(deadline) {
                Ok(line) => rest.push(line),
                Err(flume::RecvTimeoutError::Disconnected) => break,
                Err(flume::RecvTimeoutError::Timeout) => return None,
            }
        }
        let closed = std::time::Instant::now();
        let status = self.child.wait().ok()?;
        Some((status, closed, rest))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Viewers close Chromium on SIGTERM; anything else is killed.
        terminate(self.child.id());
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
        self.kill();
    }
}

fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn forward(stream: impl Read + Send + 'static, tx: flume::Sender<String>, echo: Option<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(name) = &echo {
                eprintln!("[{name}] {line}");
            }
            let _ = tx.send(line);
        }
    });
}

/// The upstream `gst-webrtc-signalling-server`, listening on 127.0.0.1:`port`.
pub fn signalling_server(port: u16) -> Peer {
    let mut command = Command::new(signalling_server_binary());
    command.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
    let server = Peer::spawn("signalling-server", command);
    server.wait_line("Listening on", Duration::from_secs(20));
    server
}

/// The same server with TLS (`wss://`).
pub fn signalling_server_tls(port: u16, cert: &str, key: &str) -> Peer {
    let mut command = Command::new(signalling_server_binary());
    command.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--cert",
        cert,
        "--key",
        key,
    ]);
    let server = Peer::spawn("signalling-server", command);
    server.wait_line("Listening on", Duration::from_secs(20));
    server
}

fn signalling_server_binary() -> PathBuf {
    let name = "gst-webrtc-signalling-server";
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        let p = Path::new(&home).join("bin").join(name);
        if p.exists() {
            return p;
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join(".cargo/bin").join(name);
        if p.exists() {
            return p;
        }
    }
    PathBuf::from(name)
}

/// `reelcast share FILE --json ARGS...`
pub fn reelcast_share(file: &Path, args: &[&str]) -> Peer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .arg("share")
        .arg(file)
        .args(["--json", "--headless"])
        .args(args)
        .env("REELCAST_LOG", "reelcast=info");
    Peer::spawn("reelcast", command)
}

/// Which client the browser runs.
#[derive(Clone, Copy)]
pub enum ViewerKind {
    /// The upstream gstwebrtc-api library (npm), given the signalling URL.
    GstWebrtcApi,
    /// Reelcast's own viewer page, given its http:// URL or a signalling ws:// URL.
    Page,
    /// A subscriber to a Janus VideoRoom, given `ws://HOST:PORT/?room=ROOM`.
    Janus,
}

/// Headless Chromium with `count` viewers, each printing its stats as a JSON line every 250 ms.
pub fn browser_viewers(kind: ViewerKind, url: &str, count: usize) -> Peer {
    browser_viewers_with(kind, url, count, &[])
}

/// The same, with more arguments for viewer.mjs (e.g. `--screenshot PATH`).
pub fn browser_viewers_with(kind: ViewerKind, url: &str, count: usize, extra: &[&str]) -> Peer {
    browser_viewers_run_by(Command::new("node"), kind, url, count, extra)
}

/// The same, run by `node`: a `node` to be run elsewhere (e.g. in a link's child namespace).
pub fn browser_viewers_run_by(
    mut node: Command,
    kind: ViewerKind,
    url: &str,
    count: usize,
    extra: &[&str],
) -> Peer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/viewer.mjs");
    assert!(
        script.with_file_name("node_modules").exists(),
        "tests/browser/node_modules is missing: run scripts/setup.sh"
    );
    let mode = match kind {
        ViewerKind::GstWebrtcApi => "gstwebrtc-api",
        ViewerKind::Page => "page",
        ViewerKind::Janus => "janus",
    };
    node.arg(script)
        .args([mode, url, "--viewers", &count.to_string()])
        .args(extra);
    Peer::spawn("chromium", node)
}

/// A viewer's stats line.
#[derive(Debug, Clone, Default)]
pub struct ViewerStats {
    pub viewer: u64,
    pub frames: u64,
    pub width: u64,
    pub height: u64,
    pub audio_packets: u64,
    pub join_ms: Option<f64>,
    /// Janus subscriber only: from asking for another substream to its first frame.
    pub switch_ms: Option<f64>,
    /// Chromium's freezeCount, NACKs sent and packets lost (inbound-rtp, video).
    pub freezes: u64,
    pub nacks: u64,
    pub packets_lost: i64,
    /// What the page says it is doing ("watching", "ended", …).
    pub status: String,
    /// Our page only: keyframes decoded, audio payload bytes received, the kinds received now, and the
    /// counts of sessions asked for, offers received and peer connections made.
    pub keyframes: u64,
    pub audio_bytes: u64,
    pub kinds: Vec<String>,
    pub sessions: u64,
    pub offers: u64,
    pub peer_connections: u64,
    /// Our page only: the last frames shown, (wall clock ms, width, height).
    pub shown: Vec<(u64, u64, u64)>,
}

pub fn viewer_stats(v: &Value) -> Option<ViewerStats> {
    let count = |name: &str| {
        v.get("counts")
            .and_then(|c| c.get(name))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Some(ViewerStats {
        viewer: v.get("viewer")?.as_u64()?,
        frames: v.get("framesDecoded")?.as_u64()?,
        width: v.get("frameWidth")?.as_u64()?,
        height: v.get("frameHeight")?.as_u64()?,
        audio_packets: v.get("audioPackets")?.as_u64()?,
        join_ms: v.get("joinMs").and_then(Value::as_f64),
        switch_ms: v.get("switchMs").and_then(Value::as_f64),
        freezes: v.get("freezes").and_then(Value::as_u64).unwrap_or(0),
        nacks: v.get("nacks").and_then(Value::as_u64).unwrap_or(0),
        packets_lost: v.get("packetsLost").and_then(Value::as_i64).unwrap_or(0),
        status: v
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        keyframes: v.get("keyFrames").and_then(Value::as_u64).unwrap_or(0),
        audio_bytes: v.get("audioBytes").and_then(Value::as_u64).unwrap_or(0),
        kinds: v
            .get("kinds")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        sessions: count("sessions"),
        offers: count("offers"),
        peer_connections: count("peerConnections"),
        shown: v
            .get("frames")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        let f = f.as_array()?;
                        Some((
                            f.first()?.as_u64()?,
                            f.get(1)?.as_u64()?,
                            f.get(2)?.as_u64()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Waits until viewer `index` of `browser` has decoded `frames` frames of `size` and received
/// audio; returns its stats then.
pub fn wait_decoding(
    browser: &Peer,
    index: u64,
    frames: u64,
    size: (u64, u64),
    within: Duration,
) -> ViewerStats {
    let mut last = None;
    let what = format!("viewer {index} decoding {frames} frames of {size:?} with audio");
    let found = super::wait_for_opt(&browser.lines, within, |l| {
        let s = serde_json::from_str::<Value>(l)
            .ok()
            .and_then(|v| viewer_stats(&v))?;
        if s.viewer != index {
            return None;
        }
        last = Some(s.clone());
        (s.frames >= frames && (s.width, s.height) == size && s.audio_packets > 0).then_some(s)
    });
    found.unwrap_or_else(|| {
        panic!("timed out after {within:?} waiting for {what}; last stats: {last:?}")
    })
}
