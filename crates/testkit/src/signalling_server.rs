//! The upstream `gst-webrtc-signalling-server` (installed by scripts/setup.sh) as a child
//! process, listening on an address of the run's own network.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::peer_process::{free_port, PeerError, PeerProcess};

pub struct SignallingServer {
    url: String,
    _process: PeerProcess,
}

impl SignallingServer {
    /// Starts the server on `host` (a port the system picks) and waits until it listens.
    pub fn start(host: IpAddr) -> Result<Self, PeerError> {
        let port = free_port(host)?;
        let mut command = Command::new(binary());
        command.args(["--host", &host.to_string(), "--port", &port.to_string()]);
        let process = PeerProcess::spawn("gst-webrtc-signalling-server", command)?;
        process.wait_line(Duration::from_secs(20), "\"Listening on\"", |l| {
            l.contains("Listening on").then_some(())
        })?;
        Ok(Self {
            url: format!("ws://{host}:{port}"),
            _process: process,
        })
    }

    /// ws://HOST:PORT
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Where `cargo install` put the server, or the one on PATH.
fn binary() -> PathBuf {
    let name = "gst-webrtc-signalling-server";
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    cargo_home
        .map(|home| home.join("bin").join(name))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}
