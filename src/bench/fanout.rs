//! `reelcast bench fanout FILE`: the CPU cost of sharing to 1, 2, 4, 8 viewers, against the
//! floor of decoding and encoding the file once with a bare gst-launch-1.0 pipeline.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cpu_seconds;
use crate::media::{Player, PlayerOptions};
use crate::rtc::{SdpKind, Share, ShareConfig, ShareEvent};

pub struct FanoutOptions {
    pub file: String,
    pub seconds: u64,
    pub viewer_counts: Vec<usize>,
}

struct Row {
    viewers: usize,
    cpu: f64,
    frames_min: u64,
    frames_avg: f64,
}

/// Runs the benchmark and prints its table; returns the exit code.
pub fn run_fanout(options: &FanoutOptions) -> i32 {
    if !super::in_private_network() {
        eprintln!(
            "reelcast: the fan-out benchmark opens WebRTC connections and runs only in a private \
             network namespace: use scripts/bench.sh"
        );
        return 2;
    }
    if let Err(e) = crate::init() {
        eprintln!("reelcast: {e}");
        return 3;
    }
    let seconds = options.seconds.max(1);
    println!("Fan-out of {} for {seconds} s per step", options.file);
    println!(
        "{:>7} {:>10} {:>10} {:>14} {:>14}",
        "viewers", "cpu s", "cpu %", "frames/viewer", "min frames"
    );
    let mut rows = Vec::new();
    for &n in &options.viewer_counts {
        match measure(&options.file, n, seconds) {
            Ok(row) => {
                println!(
                    "{:>7} {:>10.2} {:>10.1} {:>14.1} {:>14}",
                    row.viewers,
                    row.cpu,
                    row.cpu / seconds as f64 * 100.0,
                    row.frames_avg,
                    row.frames_min
                );
                rows.push(row);
            }
            Err(e) => {
                eprintln!("reelcast: {n} viewers: {e}");
                return 1;
            }
        }
    }
    let cpu = |n: usize| rows.iter().find(|r| r.viewers == n).map(|r| r.cpu);
    if let (Some(one), Some(max_row)) = (cpu(1), rows.last()) {
        println!("CPU({})/CPU(1) = {:.2}", max_row.viewers, max_row.cpu / one);
    }
    match floor(&options.file, seconds) {
        Ok((floor_cpu, wall)) => {
            let floor_rate = floor_cpu / wall;
            println!(
                "floor (gst-launch-1.0 decode + VP8/Opus encode): {floor_cpu:.2} cpu s over {wall:.1} s = {:.1} %",
                floor_rate * 100.0
            );
            if let Some(one) = cpu(1) {
                println!(
                    "Reelcast(1 viewer)/floor = {:.2}",
                    (one / seconds as f64) / floor_rate
                );
            }
        }
        Err(e) => eprintln!("reelcast: floor: {e}"),
    }
    0
}

fn measure(file: &str, viewers: usize, seconds: u64) -> Result<Row, String> {
    let player = Player::new(PlayerOptions::headless()).map_err(|e| e.to_string())?;
    player.set_looping(true);
    let stream = player.capture_stream();
    let share = Arc::new(Share::new(ShareConfig::default()).map_err(|e| e.to_string())?);
    share.attach(&stream);
    player.open(file).map_err(|e| e.to_string())?;
    player.play().map_err(|e| e.to_string())?;

    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["bench", "receivers"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the receivers: {e}"))?;
    let stdin = Arc::new(Mutex::new(child.stdin.take().ok_or("no stdin")?));
    let reports = relay(&mut child, &share, &stdin)?;

    for i in 0..viewers {
        share
            .add_viewer(&format!("v{i}"))
            .map_err(|e| e.to_string())?;
    }
    // Everyone decodes before the clock starts.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let frames = report(&stdin, &reports)?;
        if frames.len() == viewers && frames.values().all(|f| *f > 0) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {viewers} viewers receive",
                frames.values().filter(|f| **f > 0).count()
            ));
        }
    }
    let before = report(&stdin, &reports)?;
    let (cpu0, _) = cpu_seconds();
    // The measurement window itself: a fixed time, nothing to synchronise with.
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu1, _) = cpu_seconds();
    let after = report(&stdin, &reports)?;
    let delivered: Vec<u64> = after
        .iter()
        .map(|(id, f)| f.saturating_sub(*before.get(id).unwrap_or(&0)))
        .collect();
    // The relay thread holds stdin too: end the receivers outright.
    let _ = child.kill();
    let _ = child.wait();
    drop(share);
    drop(stream);
    drop(player);
    Ok(Row {
        viewers,
        cpu: cpu1 - cpu0,
        frames_min: delivered.iter().copied().min().unwrap_or(0),
        frames_avg: delivered.iter().sum::<u64>() as f64 / delivered.len().max(1) as f64,
    })
}

/// Passes offers and candidates to the receivers process and its answers back; returns the
/// channel of its frame reports.
pub(crate) fn relay(
    child: &mut Child,
    share: &Arc<Share>,
    stdin: &Arc<Mutex<ChildStdin>>,
) -> Result<flume::Receiver<HashMap<String, u64>>, String> {
    let events = share.subscribe();
    let to_child = stdin.clone();
    std::thread::spawn(move || {
        while let Ok(event) = events.recv() {
            let msg = match event {
                ShareEvent::LocalDescription { viewer, sdp, .. } => {
                    json!({"op": "offer", "viewer": viewer, "sdp": sdp})
                }
                ShareEvent::LocalCandidate {
                    viewer,
                    mline,
                    candidate,
                } => {
                    json!({"op": "candidate", "viewer": viewer, "mline": mline, "candidate": candidate})
                }
                _ => continue,
            };
            if writeln!(to_child.lock().unwrap(), "{msg}").is_err() {
                return;
            }
        }
    });
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = flume::unbounded();
    let share = Arc::downgrade(share);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let Some(share) = share.upgrade() else { return };
            let viewer = msg["viewer"].as_str().unwrap_or_default();
            match msg["op"].as_str() {
                Some("answer") => {
                    if let Err(e) = share.set_remote_description(
                        viewer,
                        SdpKind::Answer,
                        msg["sdp"].as_str().unwrap_or_default(),
                    ) {
                        eprintln!("reelcast: {e}");
                    }
                }
                Some("candidate") => share.add_remote_candidate(
                    viewer,
                    msg["mline"].as_u64().unwrap_or(0) as u32,
                    msg["candidate"].as_str().unwrap_or_default(),
                ),
                Some("report") => {
                    let frames = msg["frames"]
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                                .collect()
                        })
                        .unwrap_or_default();
                    let _ = tx.send(frames);
                }
                _ => {}
            }
        }
    });
    Ok(rx)
}

pub(crate) fn report(
    stdin: &Arc<Mutex<ChildStdin>>,
    reports: &flume::Receiver<HashMap<String, u64>>,
) -> Result<HashMap<String, u64>, String> {
    writeln!(stdin.lock().unwrap(), "{}", json!({"op": "report"})).map_err(|e| e.to_string())?;
    reports
        .recv_timeout(Duration::from_secs(5))
        .map_err(|_| "the receivers did not report".to_owned())
}

/// CPU seconds and wall seconds of decoding and encoding `file` in real time with a bare
/// gst-launch-1.0 pipeline (the same encoder settings), for at most `seconds`.
fn floor(file: &str, seconds: u64) -> Result<(f64, f64), String> {
    let location = format!("location={file}");
    let args: Vec<&str> = vec![
        "-q",
        "filesrc",
        &location,
        "!",
        "decodebin",
        "name=d",
        "d.",
        "!",
        "queue",
        "!",
        "videoconvert",
        "!",
        "video/x-raw,format=I420",
        "!",
        "clocksync",
        "!",
        "vp8enc",
        "deadline=1",
        "cpu-used=8",
        "lag-in-frames=0",
        "threads=2",
        "end-usage=cbr",
        "target-bitrate=1500000",
        "!",
        "fakesink",
        "d.",
        "!",
        "queue",
        "!",
        "audioconvert",
        "!",
        "audioresample",
        "!",
        "clocksync",
        "!",
        "opusenc",
        "bitrate=64000",
        "!",
        "fakesink",
    ];
    let (_, children0) = cpu_seconds();
    let start = Instant::now();
    let mut child = Command::new("gst-launch-1.0")
        .args(&args)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run gst-launch-1.0: {e}"))?;
    // Stop it after `seconds` if the file is longer; its own end otherwise.
    let limit = Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() >= limit {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            break child.wait().map_err(|e| e.to_string())?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let wall = start.elapsed().as_secs_f64();
    let (_, children1) = cpu_seconds();
    if !status.success() && wall < seconds as f64 {
        return Err(format!("gst-launch-1.0 failed: {status}"));
    }
    Ok((children1 - children0, wall))
}
