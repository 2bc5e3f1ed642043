//! A real peer as a child process (the upstream signalling server, `reelcast share`, a
//! browser viewer): its output lines on a channel to wait on with deadlines, and its end when
//! dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many of a peer's last stderr lines an error quotes.
const KEPT_STDERR: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("cannot start {peer}: {source}")]
    Spawn {
        peer: String,
        source: std::io::Error,
    },
    #[error("{peer}: no {what} within {within:?}{detail}")]
    Timeout {
        peer: String,
        what: String,
        within: Duration,
        /// What was seen last, or the peer's last words.
        detail: String,
    },
    #[error("{peer} ended before {what}{detail}")]
    Ended {
        peer: String,
        what: String,
        detail: String,
    },
    #[error("{0}")]
    Setup(String),
}

/// A child process with its stdout and stderr lines on [`PeerProcess::lines`]; ended (SIGTERM,
/// then SIGKILL) when dropped.
pub struct PeerProcess {
    name: String,
    child: Child,
    pub lines: flume::Receiver<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl PeerProcess {
    pub fn spawn(name: &str, mut command: Command) -> Result<Self, PeerError> {
        command.stdin(Stdio::null());
        Self::spawn_inner(name, command)
    }

    /// [`PeerProcess::spawn`], with the child's standard input piped: [`PeerProcess::take_stdin`].
    pub fn spawn_with_stdin(name: &str, mut command: Command) -> Result<Self, PeerError> {
        command.stdin(Stdio::piped());
        Self::spawn_inner(name, command)
    }

    /// The child's standard input, once, when it was spawned with it piped.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    fn spawn_inner(name: &str, mut command: Command) -> Result<Self, PeerError> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| PeerError::Spawn {
            peer: format!("{name} ({command:?})"),
            source,
        })?;
        let (tx, lines) = flume::unbounded();
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            forward(out, tx.clone(), None);
        }
        if let Some(err) = child.stderr.take() {
            forward(err, tx, Some(stderr.clone()));
        }
        Ok(Self {
            name: name.to_owned(),
            child,
            lines,
            stderr,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line that `want` accepts.
    pub fn wait_line<R>(
        &self,
        within: Duration,
        what: &str,
        mut want: impl FnMut(&str) -> Option<R>,
    ) -> Result<R, PeerError> {
        let deadline = Instant::now() + within;
        loop {
            match self.lines.recv_deadline(deadline) {
                Ok(line) => {
                    if let Some(r) = want(&line) {
                        return Ok(r);
                    }
                }
                Err(flume::RecvTimeoutError::Timeout) => {
                    return Err(PeerError::Timeout {
                        peer: self.name.clone(),
                        what: what.to_owned(),
                        within,
                        detail: self.last_words(),
                    })
                }
                Err(flume::RecvTimeoutError::Disconnected) => {
                    return Err(PeerError::Ended {
                        peer: self.name.clone(),
                        what: what.to_owned(),
                        detail: self.last_words(),
                    })
                }
            }
        }
    }

    /// The peer's last stderr lines, for an error message ("" when it said nothing).
    pub fn last_words(&self) -> String {
        let kept = self.stderr.lock().unwrap();
        if kept.is_empty() {
            return String::new();
        }
        let lines: Vec<&str> = kept.iter().map(String::as_str).collect();
        format!("; its last words: {}", lines.join(" | "))
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        // Browser viewers close Chromium on SIGTERM; whatever is left is killed.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward(
    stream: impl Read + Send + 'static,
    tx: flume::Sender<String>,
    keep: Option<Arc<Mutex<VecDeque<String>>>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(keep) = &keep {
                let mut kept = keep.lock().unwrap();
                if kept.len() == KEPT_STDERR {
                    kept.pop_front();
                }
                kept.push_back(line.clone());
            }
            let _ = tx.send(line);
        }
    });
}

/// A port free on `address` now (the system picks it), for a server that takes a port number.
pub fn free_port(address: std::net::IpAddr) -> Result<u16, PeerError> {
    std::net::TcpListener::bind((address, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| PeerError::Setup(format!("no free port on {address}: {e}")))
}
