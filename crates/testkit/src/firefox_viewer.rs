//! Headless Firefox ESR as a viewer, for the benchmark: the tests' own driver
//! (tests/peers/firefox_viewer.py, Marionette, run by the venv `scripts/setup.sh --tests`
//! makes) in a child process, inside a [`LossyLink`]'s or a [`ShapedLink`]'s child namespace. Its stats lines, each
//! stamped with the wall-clock time it came in.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::peer_process::{PeerError, PeerProcess};
use crate::{LossyLink, ShapedLink};

/// One stats line of firefox_viewer.py.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirefoxSample {
    /// Wall-clock ms when the line came in.
    pub t_ms: f64,
    /// The page's clock (performance.now()) when it was taken.
    pub clock_ms: f64,
    pub status: String,
    pub frames_decoded: u64,
    pub frames_received: u64,
    /// Frames shown (video.mozPaintedFrames).
    pub painted: u64,
    pub width: u32,
    pub height: u32,
    pub packets_lost: i64,
    pub nacks: u64,
    /// From asking for a session to the first frame shown.
    pub join_ms: Option<f64>,
}

pub struct FirefoxViewer {
    samples: Arc<Mutex<Vec<FirefoxSample>>>,
    errors: Arc<Mutex<Vec<String>>>,
    updates: flume::Receiver<()>,
    process: PeerProcess,
}

impl FirefoxViewer {
    /// Starts Firefox inside `link`'s child namespace, watching the first producer on the
    /// signalling server at `url` through gstwebrtc-api.
    pub fn start_behind(name: &str, url: &str, link: &LossyLink) -> Result<Self, PeerError> {
        let python = venv_python()?;
        Self::spawn(name, url, link.command(&python.to_string_lossy()))
    }

    /// Starts Firefox as [`FirefoxViewer::start_behind`] does, behind a shaped link.
    pub fn start_shaped(name: &str, url: &str, link: &ShapedLink) -> Result<Self, PeerError> {
        let python = venv_python()?;
        Self::spawn(name, url, link.command(&python.to_string_lossy()))
    }

    fn spawn(name: &str, url: &str, mut command: Command) -> Result<Self, PeerError> {
        command
            .arg(script()?)
            .args(["gstwebrtc-api", url])
            .env("PYTHONUNBUFFERED", "1");
        let process = PeerProcess::spawn(name, command)?;
        let samples = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (tx, updates) = flume::unbounded();
        let lines = process.lines.clone();
        let (into, errors_into) = (samples.clone(), errors.clone());
        std::thread::spawn(move || {
            for line in lines.iter() {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                match parse(&v, now_ms()) {
                    Ok(Some(sample)) => into.lock().unwrap().push(sample),
                    Ok(None) => continue,
                    Err(e) => errors_into.lock().unwrap().push(e),
                }
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            samples,
            errors,
            updates,
            process,
        })
    }

    /// The stats lines so far.
    pub fn samples(&self) -> Vec<FirefoxSample> {
        self.samples.lock().unwrap().clone()
    }

    /// Waits until the page has asked for a session; the wall-clock ms of the first line
    /// saying so (within the 250 ms between lines).
    pub fn wait_joined(&self, within: Duration) -> Result<f64, PeerError> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(error) = self.errors.lock().unwrap().first() {
                return Err(PeerError::Ended {
                    peer: self.process.name().to_owned(),
                    what: "a session asked for".into(),
                    detail: format!(": {error}{}", self.process.last_words()),
                });
            }
            let joined = self
                .samples
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.status != "waiting")
                .map(|s| s.t_ms);
            if let Some(t) = joined {
                return Ok(t);
            }
            if let Err(e) = self.updates.recv_deadline(deadline) {
                let peer = self.process.name().to_owned();
                let what = "a session asked for".to_owned();
                let detail = self.process.last_words();
                return Err(match e {
                    flume::RecvTimeoutError::Timeout => PeerError::Timeout {
                        peer,
                        what,
                        within,
                        detail,
                    },
                    flume::RecvTimeoutError::Disconnected => {
                        PeerError::Ended { peer, what, detail }
                    }
                });
            }
        }
    }
}

/// The venv's Python: `$REELCAST_PYENV`, else the cache folder setup.sh uses (as the tests'
/// tests/common/python_peers.rs finds it).
fn venv_python() -> Result<PathBuf, PeerError> {
    let venv = std::env::var_os("REELCAST_PYENV")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
            Some(cache.join("reelcast/interop-venv"))
        })
        .ok_or_else(|| PeerError::Setup("neither HOME nor REELCAST_PYENV is set".into()))?;
    let python = venv.join("bin/python");
    if !python.exists() {
        return Err(PeerError::Setup(format!(
            "{} is missing: run scripts/setup.sh --tests",
            python.display()
        )));
    }
    Ok(python)
}

fn script() -> Result<PathBuf, PeerError> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/firefox_viewer.py");
    if !path.exists() {
        return Err(PeerError::Setup(format!("{} is missing", path.display())));
    }
    Ok(path)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// One line of firefox_viewer.py, which came in at `t_ms`: a sample, nothing (not a stats
/// line), or the error it reported.
fn parse(v: &Value, t_ms: f64) -> Result<Option<FirefoxSample>, String> {
    if let Some(error) = v.get("error") {
        return Err(error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned));
    }
    if v.get("framesDecoded").is_none() {
        return Ok(None);
    }
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    Ok(Some(FirefoxSample {
        t_ms,
        clock_ms: v.get("clockMs").and_then(Value::as_f64).unwrap_or(0.0),
        status: v
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        frames_decoded: n("framesDecoded"),
        frames_received: n("framesReceived"),
        painted: n("painted"),
        width: n("frameWidth") as u32,
        height: n("frameHeight") as u32,
        packets_lost: v
            .get("videoPacketsLost")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        nacks: n("nacks"),
        join_ms: v.get("joinMs").and_then(Value::as_f64),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stats_line_is_a_sample_and_an_error_line_an_error() {
        let line = serde_json::json!({"viewer": 0, "status": "watching", "framesDecoded": 90,
            "framesReceived": 91, "painted": 88, "clockMs": 4321.5, "frameWidth": 854,
            "frameHeight": 480, "videoPacketsLost": 3, "nacks": 2, "joinMs": 512.0,
            "browserVersion": "153.0"});
        let s = parse(&line, 1000.0).unwrap().unwrap();
        assert_eq!(
            (
                s.frames_decoded,
                s.painted,
                s.height,
                s.packets_lost,
                s.join_ms
            ),
            (90, 88, 480, 3, Some(512.0))
        );
        assert_eq!((s.t_ms, s.clock_ms), (1000.0, 4321.5));
        assert_eq!(parse(&serde_json::json!({"x": 1}), 0.0), Ok(None));
        assert!(parse(&serde_json::json!({"error": "boom"}), 0.0).is_err());
    }
}
