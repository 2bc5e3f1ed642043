//! `reelcast-bench record FILE`: the CPU of sharing FILE to one viewer while recording the
//! share and while not, in the same run, turn about (so a drift of the machine falls on
//! both), and what the recording wrote.

use std::time::Duration;

use reelcast::record::RecordingEvent;
use reelcast::rtc::ShareEvent;
use reelcast_testkit::Harness;

use crate::process::{cpu_seconds, receivers_command};

/// Runs the benchmark and prints its numbers; returns the exit code.
pub fn run_record(file: &str, seconds: u64, rounds: usize) -> i32 {
    if !reelcast_testkit::in_private_network() {
        eprintln!(
            "reelcast-bench: the recording benchmark opens a WebRTC connection and runs only in \
             a private network namespace: use scripts/bench.sh"
        );
        return 2;
    }
    if let Err(e) = reelcast::init() {
        eprintln!("reelcast-bench: {e}");
        return 3;
    }
    match measure(file, seconds.max(1), rounds.max(1)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("reelcast-bench: {e}");
            1
        }
    }
}

fn measure(file: &str, seconds: u64, rounds: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let harness = Harness::start(file, receivers_command()?)?;
    let viewer = vec!["v0".to_owned()];
    harness.add_viewer(&viewer[0])?;
    harness.wait_receiving(&viewer, Duration::from_secs(30))?;
    let events = harness.share.subscribe();
    // A first recording, not counted: what only the first one pays (loading the muxer's
    // plugin, its first keyframe) is not what recording costs.
    let warm_up = dir.path().join("warm-up.webm");
    harness
        .share
        .start_recording(&warm_up)
        .map_err(|e| e.to_string())?;
    wait_recording(&events, |e| matches!(e, RecordingEvent::Started { .. }))?;
    harness.share.stop_recording();
    wait_recording(&events, |e| matches!(e, RecordingEvent::Stopped { .. }))?;
    println!("Recording {file} while one viewer watches, {seconds} s per step");
    println!(
        "{:>6} {:>10} {:>8} {:>8} {:>10}",
        "round", "recording", "cpu s", "cpu %", "MB"
    );
    let (mut off, mut on) = (0.0, 0.0);
    for round in 1..=rounds {
        let cpu = window(seconds);
        off += cpu;
        println!(
            "{round:>6} {:>10} {cpu:>8.2} {:>8.1} {:>10}",
            "no",
            cpu / seconds as f64 * 100.0,
            "-"
        );
        let path = dir.path().join(format!("round-{round}.webm"));
        harness
            .share
            .start_recording(&path)
            .map_err(|e| e.to_string())?;
        wait_recording(&events, |e| matches!(e, RecordingEvent::Started { .. }))?;
        let cpu = window(seconds);
        on += cpu;
        harness.share.stop_recording();
        let stopped = wait_recording(&events, |e| matches!(e, RecordingEvent::Stopped { .. }))?;
        let RecordingEvent::Stopped { bytes, error, .. } = stopped else {
            unreachable!("matched above");
        };
        if let Some(error) = error {
            return Err(format!("the recording failed: {error}"));
        }
        println!(
            "{round:>6} {:>10} {cpu:>8.2} {:>8.1} {:>10.1}",
            "yes",
            cpu / seconds as f64 * 100.0,
            bytes as f64 / 1e6
        );
    }
    println!("CPU(recording)/CPU(not recording) = {:.3}", on / off);
    Ok(())
}

/// CPU seconds this process spends in a window of `seconds`.
fn window(seconds: u64) -> f64 {
    let (before, _) = cpu_seconds();
    // The measurement window itself: a fixed time, nothing to synchronise with.
    std::thread::sleep(Duration::from_secs(seconds));
    let (after, _) = cpu_seconds();
    after - before
}

fn wait_recording(
    events: &flume::Receiver<ShareEvent>,
    want: impl Fn(&RecordingEvent) -> bool,
) -> Result<RecordingEvent, String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match events.recv_deadline(deadline) {
            Ok(ShareEvent::Recording(event)) if want(&event) => return Ok(event),
            Ok(_) => {}
            Err(_) => return Err("the recording did not start or stop within 20 s".into()),
        }
    }
}
