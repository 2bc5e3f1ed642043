//! Viewers join and leave a share again and again; afterwards it must be back where it
//! started (elements, threads, file descriptors) and its memory must not have grown. Also the
//! footprint with many viewers at once. Receivers run in a child process, so only the sender
//! is measured.

use std::process::Command;
use std::time::{Duration, Instant};

use gst::prelude::*;
use reelcast::rtc::{Share, ShareEvent};

use crate::harness::Harness;

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

/// The footprint once teardown has finished. A removed viewer's ICE agent, sockets and
/// threads are released on other threads shortly after the share reports it gone, and idle
/// pool threads come and go, so one reading right after a removal can be off by a few
/// either way. This waits until threads and fds hold still for a second (within 15 s).
fn settled_footprint(share: &Share) -> Footprint {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = footprint(share);
    let mut still_since = Instant::now();
    while Instant::now() < deadline {
        if still_since.elapsed() >= Duration::from_secs(1) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        let now = footprint(share);
        if (now.threads, now.fds, now.elements) != (last.threads, last.fds, last.elements) {
            still_since = Instant::now();
        }
        last = now;
    }
    last
}

/// Runs `cycles` join/leave cycles on a share of `file`, then `viewers` viewers at once.
/// `receivers` starts the process that hosts the receivers (see [`Harness::start`]).
pub fn churn(
    file: &str,
    cycles: usize,
    viewers: usize,
    resident: bool,
    receivers: Command,
) -> Result<ChurnReport, String> {
    let harness = Harness::start(file, receivers)?;
    let share = &harness.share;
    let events = share.subscribe();

    let cycle = |name: &str| -> Result<Duration, String> {
        let started = Instant::now();
        harness.add_viewer(name)?;
        harness.wait_receiving(&[name.to_owned()], Duration::from_secs(20))?;
        let joined = started.elapsed();
        share.remove_viewer(name, "churn");
        harness.close(name)?;
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
        harness.add_viewer("resident")?;
    }
    // One cycle first: encoders, thread pools and caches that stay for the process's life
    // are made here, not counted as growth.
    cycle("warm-up")?;
    let before = settled_footprint(share);
    let mut join_times = Vec::with_capacity(cycles);
    for i in 0..cycles {
        join_times.push(cycle(&format!("churn-{i}"))?);
    }
    let after = settled_footprint(share);
    let names: Vec<String> = (0..viewers).map(|i| format!("many-{i}")).collect();
    for name in &names {
        harness.add_viewer(name)?;
    }
    harness.wait_receiving(&names, Duration::from_secs(30))?;
    let loaded = footprint(share);
    Ok(ChurnReport {
        cycles,
        before,
        after,
        loaded,
        viewers,
        join_times,
    })
}
