//! `reelcast bench churn FILE`: viewers join and leave again and again; afterwards the share
//! must be back where it started (elements, threads, file descriptors) and its memory must
//! not have grown. Also the memory with 8 viewers at once. Receivers run in a child process
//! (`reelcast bench receivers`), so only the sender is measured.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;
use serde_json::json;
use std::io::Write;

use super::fanout::{relay, report};
use crate::media::{Player, PlayerOptions};
use crate::rtc::{Share, ShareConfig, ShareEvent};

/// What the process holds at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub rss_kib: u64,
    pub elements: usize,
    pub threads: usize,
    pub fds: usize,
}

#[derive(Debug, Clone)]
pub struct ChurnReport {
    pub cycles: usize,
    pub before: Footprint,
    pub after: Footprint,
    /// With `viewers` watching at once, after the churn.
    pub loaded: Footprint,
    pub viewers: usize,
    /// Time for a join to deliver its first frame, per cycle.
    pub join_times: Vec<Duration>,
}

fn footprint(share: &Share) -> Footprint {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let count = |dir: &str| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    Footprint {
        rss_kib,
        elements: share.pipeline().iterate_recurse().into_iter().count(),
        threads: count("/proc/self/task"),
        fds: count("/proc/self/fd"),
    }
}

/// Runs `cycles` join/leave cycles on a share of `file`, then `viewers` viewers at once.
/// `receivers_exe` is a `reelcast` binary (it hosts the receivers).
pub fn churn(
    file: &str,
    cycles: usize,
    viewers: usize,
    resident: bool,
    receivers_exe: &Path,
) -> Result<ChurnReport, String> {
    let player = Player::new(PlayerOptions::headless()).map_err(|e| e.to_string())?;
    player.set_looping(true);
    let stream = player.capture_stream();
    let share = Arc::new(Share::new(ShareConfig::default()).map_err(|e| e.to_string())?);
    share.attach(&stream);
    player.open(file).map_err(|e| e.to_string())?;
    player.play().map_err(|e| e.to_string())?;
    let mut child = Command::new(receivers_exe)
        .args(["bench", "receivers"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the receivers: {e}"))?;
    let stdin = Arc::new(Mutex::new(child.stdin.take().ok_or("no stdin")?));
    let reports = relay(&mut child, &share, &stdin)?;
    let events = share.subscribe();

    let cycle = |name: &str| -> Result<Duration, String> {
        let started = Instant::now();
        share.add_viewer(name).map_err(|e| e.to_string())?;
        let deadline = started + Duration::from_secs(20);
        loop {
            let frames = report(&stdin, &reports)?;
            if frames.get(name).copied().unwrap_or(0) > 0 {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("viewer {name} got no frame within 20 s"));
            }
        }
        let joined = started.elapsed();
        share.remove_viewer(name, "churn");
        writeln!(
            stdin.lock().unwrap(),
            "{}",
            json!({"op": "close", "viewer": name})
        )
        .map_err(|e| e.to_string())?;
        // Gone once the share says so: its elements are out of the pipeline by then.
        let gone = Instant::now() + Duration::from_secs(10);
        loop {
            match events.recv_deadline(gone) {
                Ok(ShareEvent::ViewerRemoved { viewer, .. }) if viewer == name => break,
                Ok(_) => {}
                Err(_) => return Err(format!("viewer {name} was not removed within 10 s")),
            }
        }
        Ok(joined)
    };
    if resident {
        // One viewer stays throughout, so the encoders live on and only viewers come and go.
        share.add_viewer("resident").map_err(|e| e.to_string())?;
    }
    // One cycle first: encoders, thread pools and caches that stay for the process's life
    // are made here, not counted as growth.
    cycle("warm-up")?;
    let before = footprint(&share);
    let mut join_times = Vec::with_capacity(cycles);
    for i in 0..cycles {
        join_times.push(cycle(&format!("churn-{i}"))?);
    }
    let after = footprint(&share);
    for i in 0..viewers {
        share
            .add_viewer(&format!("many-{i}"))
            .map_err(|e| e.to_string())?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let frames = report(&stdin, &reports)?;
        let watching = (0..viewers)
            .filter(|i| frames.get(&format!("many-{i}")).copied().unwrap_or(0) > 0)
            .count();
        if watching == viewers {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {watching} of {viewers} viewers receive"));
        }
    }
    let loaded = footprint(&share);
    let _ = child.kill();
    let _ = child.wait();
    Ok(ChurnReport {
        cycles,
        before,
        after,
        loaded,
        viewers,
        join_times,
    })
}

/// `reelcast bench churn`: prints the numbers; returns the exit code.
pub fn run_churn(file: &str, cycles: usize, resident: bool) -> i32 {
    if let Err(e) = crate::init() {
        eprintln!("reelcast: {e}");
        return 3;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("reelcast: {e}");
            return 3;
        }
    };
    match churn(file, cycles, 8, resident, &exe) {
        Ok(r) => {
            let mb = |kib: u64| kib as f64 / 1024.0;
            let mut joins = r.join_times.clone();
            joins.sort();
            let p50 = joins.get(joins.len() / 2).copied().unwrap_or_default();
            println!(
                "Churn of {file}: {} join/leave cycles{}",
                r.cycles,
                if resident {
                    ", one viewer staying throughout"
                } else {
                    ", nobody else watching"
                }
            );
            println!(
                "             RSS MB  elements  threads  fds\n\
                 before     {:>8.1}  {:>8}  {:>7}  {:>3}\n\
                 after      {:>8.1}  {:>8}  {:>7}  {:>3}\n\
                 {} viewers  {:>8.1}  {:>8}  {:>7}  {:>3}",
                mb(r.before.rss_kib),
                r.before.elements,
                r.before.threads,
                r.before.fds,
                mb(r.after.rss_kib),
                r.after.elements,
                r.after.threads,
                r.after.fds,
                r.viewers,
                mb(r.loaded.rss_kib),
                r.loaded.elements,
                r.loaded.threads,
                r.loaded.fds,
            );
            println!(
                "RSS growth over {} cycles: {:+.1} MB (goal <= 5 MB); join to first frame p50 {} ms",
                r.cycles,
                mb(r.after.rss_kib) - mb(r.before.rss_kib),
                p50.as_millis()
            );
            0
        }
        Err(e) => {
            eprintln!("reelcast: churn: {e}");
            1
        }
    }
}
