//! `reelcast-bench fanout FILE`: the CPU cost of sharing to 1, 2, 4, 8, 16 viewers, against the
//! floor of decoding and encoding the file once with a bare gst-launch-1.0 pipeline, and how
//! long each join waits for its offer.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reelcast_testkit::Harness;

use crate::process::{cpu_seconds, receivers_command};

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
    /// From each viewer's join request to the share's offer, sorted.
    join_to_offer: Vec<Duration>,
}

impl Row {
    /// "p50/max" of the join-to-offer times, in milliseconds.
    fn join_to_offer(&self) -> String {
        let times = &self.join_to_offer;
        let (Some(p50), Some(max)) = (times.get(times.len().saturating_sub(1) / 2), times.last())
        else {
            return "-".to_owned();
        };
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        format!("{:.1}/{:.1}", ms(p50), ms(max))
    }
}

/// Runs the benchmark and prints its table; returns the exit code.
pub fn run_fanout(options: &FanoutOptions) -> i32 {
    if !reelcast_testkit::in_private_network() {
        eprintln!(
            "reelcast-bench: the fan-out benchmark opens WebRTC connections and runs only in a \
             private network namespace: use scripts/bench.sh"
        );
        return 2;
    }
    if let Err(e) = reelcast::init() {
        eprintln!("reelcast-bench: {e}");
        return 3;
    }
    let seconds = options.seconds.max(1);
    println!("Fan-out of {} for {seconds} s per step", options.file);
    println!(
        "{:>7} {:>10} {:>10} {:>14} {:>14} {:>22}",
        "viewers", "cpu s", "cpu %", "frames/viewer", "min frames", "join→offer p50/max ms"
    );
    let mut rows = Vec::new();
    for &n in &options.viewer_counts {
        match measure(&options.file, n, seconds) {
            Ok(row) => {
                println!(
                    "{:>7} {:>10.2} {:>10.1} {:>14.1} {:>14} {:>22}",
                    row.viewers,
                    row.cpu,
                    row.cpu / seconds as f64 * 100.0,
                    row.frames_avg,
                    row.frames_min,
                    row.join_to_offer()
                );
                rows.push(row);
            }
            Err(e) => {
                eprintln!("reelcast-bench: {n} viewers: {e}");
                return 1;
            }
        }
    }
    let cpu = |n: usize| rows.iter().find(|r| r.viewers == n).map(|r| r.cpu);
    if let Some(one) = rows.iter().find(|r| r.viewers == 1) {
        // Each step against one viewer: what it costs, and what its worst-served viewer got
        // of what the lone viewer got.
        for row in rows.iter().filter(|r| r.viewers > 1) {
            println!(
                "CPU({n})/CPU(1) = {:.2}, least-served of {n} got {:.0} % of one viewer's frames",
                row.cpu / one.cpu,
                row.frames_min as f64 / (one.frames_min.max(1)) as f64 * 100.0,
                n = row.viewers,
            );
        }
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
        Err(e) => eprintln!("reelcast-bench: floor: {e}"),
    }
    0
}

fn measure(file: &str, viewers: usize, seconds: u64) -> Result<Row, String> {
    let harness = Harness::start(file, receivers_command()?)?;
    let names: Vec<String> = (0..viewers).map(|i| format!("v{i}")).collect();
    // All at once, as when several people open the link together: a join that waited behind
    // the others would show in its time to the offer.
    for name in &names {
        harness.add_viewer(name)?;
    }
    // Everyone decodes before the clock starts.
    harness.wait_receiving(&names, Duration::from_secs(30))?;
    let mut join_to_offer = names
        .iter()
        .map(|n| {
            harness
                .join_to_offer(n)
                .ok_or_else(|| format!("viewer {n} receives without an offer"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    join_to_offer.sort();
    let before = harness.frames()?;
    let (cpu0, _) = cpu_seconds();
    // The measurement window itself: a fixed time, nothing to synchronise with.
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu1, _) = cpu_seconds();
    let after = harness.frames()?;
    let delivered: Vec<u64> = after
        .iter()
        .map(|(id, f)| f.saturating_sub(*before.get(id).unwrap_or(&0)))
        .collect();
    drop(harness);
    Ok(Row {
        viewers,
        cpu: cpu1 - cpu0,
        frames_min: delivered.iter().copied().min().unwrap_or(0),
        frames_avg: delivered.iter().sum::<u64>() as f64 / delivered.len().max(1) as f64,
        join_to_offer,
    })
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
        "threads=1",
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
