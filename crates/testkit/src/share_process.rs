//! `reelcast share --headless --json` as a child process, registered with a signalling server:
//! its events and its CPU time, read from /proc.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::peer_process::{PeerError, PeerProcess};

pub struct ShareProcess {
    process: PeerProcess,
}

impl ShareProcess {
    /// `reelcast share FILE --headless --json --loop --signalling URL EXTRA...`, once it has
    /// registered with the server.
    pub fn start(
        reelcast: &Path,
        file: &Path,
        signalling: &str,
        extra: &[&str],
    ) -> Result<Self, PeerError> {
        let mut command = Command::new(reelcast);
        command
            .arg("share")
            .arg(file)
            .args(["--headless", "--json", "--loop", "--signalling", signalling])
            .args(extra);
        if std::env::var_os("REELCAST_LOG").is_none() {
            // Its rung moves, a line each, for a run that went wrong to tell why.
            command.env("REELCAST_LOG", "warn,reelcast::rtc::rung_moves=info");
        }
        let process = PeerProcess::spawn("reelcast share", command)?;
        process.wait_line(Duration::from_secs(30), "registration", |l| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["event"] == "registered").then_some(())
        })?;
        Ok(Self { process })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// User + system CPU seconds the share has used so far (all its threads).
    pub fn cpu_seconds(&self) -> Option<f64> {
        process_cpu_seconds(self.pid())
    }

    /// The share's output lines (JSON events and logs) since the last call.
    pub fn lines(&self) -> Vec<String> {
        self.process.lines.try_iter().collect()
    }

    /// The share's JSON events since the last call (the others are skipped).
    pub fn events(&self) -> Vec<Value> {
        self.process
            .lines
            .try_iter()
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect()
    }
}

/// User + system CPU seconds of process `pid`, from /proc/PID/stat.
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces: utime
    // and stime are the 14th and 15th of the line, the 12th and 13th after the name.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // USER_HZ is 100 for /proc on Linux.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}
