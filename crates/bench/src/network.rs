//! `reelcast-bench network FILE`: two Chromium viewers of `reelcast share --headless`, A on the
//! clean network and B behind a shaped link in a child namespace (600, 1200, 2500 kbit/s,
//! unshaped, and a step down to 1200 kbit/s and back up in the middle of a run), then B (Chromium,
//! then Firefox) behind a lossy link with a round trip of 150 ms losing 2 % of the media at
//! random or in bursts; against the same share with one unshaped viewer; and glass-to-glass
//! delay on loopback, with a 720p30 file for the CPU.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reelcast_testkit::{
    BrowserViewer, FirefoxViewer, LinkConfig, LossyLink, ShapedLink, ShareProcess,
    SignallingServer, Timeline,
};
use serde_json::{json, Value};

use crate::network_metrics::{measure, measure_firefox, Percentiles, ViewerResult, Window};
use crate::network_table::{print_table, LinkResult, RunResult};

/// The step run: unshaped for this long, then down, then back up for the rest.
const STEP_BEFORE: Duration = Duration::from_secs(10);
const STEP_DOWN_FOR: Duration = Duration::from_secs(15);
const STEP_AFTER: Duration = Duration::from_secs(10);
const STEP_RATE_KBIT: u32 = 1200;
/// Runs with one viewer only (the CPU reference, glass-to-glass).
const SOLO_SECONDS: u64 = 15;
/// A viewer's page asks for a session within this (Chromium's start on a busy machine).
const JOIN_WITHIN: Duration = Duration::from_secs(45);
/// The lossy runs' link: 75 ms ± 5 ms each way (a round trip of 150 ms), 2 % of the media
/// towards B lost, at random or in bursts of 4 packets on average (Gilbert's model).
const LOSSY_DELAY: Duration = Duration::from_millis(75);
const LOSSY_JITTER: Duration = Duration::from_millis(5);
const LOSSY_PERCENT: f64 = 2.0;
const LOSSY_BURST: f64 = 4.0;

pub struct NetworkOptions {
    /// The 480p30 file shared to both viewers.
    pub file: PathBuf,
    /// A 720p30 file for the sender's CPU and glass-to-glass with one viewer.
    pub cpu_file: Option<PathBuf>,
    /// Seconds measured per step, from each viewer's 3rd second on.
    pub seconds: u64,
    /// B's link per step, kbit/s; None is unshaped.
    pub rates: Vec<Option<u32>>,
    pub step: bool,
    /// B in the runs at fixed rates and the step.
    pub shaped_viewer: Browser,
    /// The lossy runs (RTT 150 ms, 2 % loss), each with every browser of `lossy_viewers` as B.
    pub lossy: Vec<LossKind>,
    pub lossy_viewers: Vec<Browser>,
    /// The `reelcast` binary (release build).
    pub reelcast: PathBuf,
    pub fps: f64,
    pub json: bool,
}

/// What a run does with viewer B's link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Viewer A alone.
    Solo,
    /// A and B (this browser), B's link at a fixed rate (None: unshaped).
    Fixed(Option<u32>, Browser),
    /// A and B (this browser), B's link unshaped, then at the step rate, then unshaped again.
    Step(Browser),
    /// A and B, B (this browser) behind a round trip of 150 ms losing 2 % of its media.
    Lossy(LossKind, Browser),
}

/// How the lossy runs lose packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossKind {
    Random,
    Bursty,
}

/// The browser viewer B is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Browser {
    Chromium,
    Firefox,
}

impl Plan {
    pub fn label(&self) -> String {
        match self {
            Plan::Solo => "A alone".into(),
            Plan::Fixed(Some(k), b) => format!("{}at {k} kbit/s", b.prefix()),
            Plan::Fixed(None, b) => format!("{}unshaped", b.prefix()),
            Plan::Step(b) => format!("{}step {STEP_RATE_KBIT}", b.prefix()),
            Plan::Lossy(kind, browser) => format!(
                "{}150ms {LOSSY_PERCENT:.0}% {}",
                browser.prefix(),
                match kind {
                    LossKind::Random => "rand",
                    LossKind::Bursty => "burst",
                }
            ),
        }
    }

    /// The lossy run's link.
    fn link_config(kind: LossKind) -> LinkConfig {
        let config = LinkConfig::new().delay(LOSSY_DELAY).jitter(LOSSY_JITTER);
        match kind {
            LossKind::Random => config.random_loss(LOSSY_PERCENT),
            LossKind::Bursty => config.bursty_loss(LOSSY_PERCENT, LOSSY_BURST),
        }
    }
}

impl Browser {
    /// The run label's start: who B is.
    fn prefix(self) -> &'static str {
        match self {
            Browser::Chromium => "B ",
            Browser::Firefox => "FF ",
        }
    }
}

/// `--lossy`: "random", "bursty", or "none" (no lossy runs).
pub fn loss_kinds(s: &str) -> Result<Vec<LossKind>, String> {
    s.split(',')
        .filter(|k| !k.is_empty() && *k != "none")
        .map(|k| match k {
            "random" => Ok(LossKind::Random),
            "bursty" => Ok(LossKind::Bursty),
            _ => Err(format!("{k:?}: a loss is random, bursty or none")),
        })
        .collect()
}

/// `--lossy-viewers`: "chromium", "firefox".
pub fn browsers(s: &str) -> Result<Vec<Browser>, String> {
    s.split(',')
        .filter(|b| !b.is_empty())
        .map(browser)
        .collect()
}

/// `--shaped-viewer`: "chromium" or "firefox".
pub fn browser(s: &str) -> Result<Browser, String> {
    match s {
        "chromium" => Ok(Browser::Chromium),
        "firefox" => Ok(Browser::Firefox),
        _ => Err(format!("{s:?}: a viewer is chromium or firefox")),
    }
}

/// What the lossy link looked like over a run's window.
fn link_result(link: &LossyLink, at_start: (u64, u64, u64), seconds: f64) -> LinkResult {
    let (media, dropped, bytes) = at_start;
    LinkResult {
        media_packets: link.media_packets() - media,
        dropped: link.dropped() - dropped,
        kbps: (link.media_bytes_delivered() - bytes) as f64 * 8.0 / 1000.0 / seconds,
    }
}

fn link_counters(link: Option<&LossyLink>) -> (u64, u64, u64) {
    link.map_or((0, 0, 0), |l| {
        (l.media_packets(), l.dropped(), l.media_bytes_delivered())
    })
}

/// Runs the benchmark and prints its table; returns the exit code.
pub fn run_network(options: &NetworkOptions) -> i32 {
    if !reelcast_testkit::in_private_network() {
        eprintln!(
            "reelcast-bench: the network benchmark shapes links with tc and runs only in a \
             private network namespace: use scripts/bench.sh network"
        );
        return 2;
    }
    for file in std::iter::once(&options.file).chain(&options.cpu_file) {
        if !file.is_file() {
            eprintln!("reelcast-bench: {}: no such file", file.display());
            return 2;
        }
    }
    if !options.reelcast.is_file() {
        eprintln!(
            "reelcast-bench: {}: no reelcast binary there (cargo build --release --bin reelcast, \
             or --reelcast PATH)",
            options.reelcast.display()
        );
        return 2;
    }
    match run_all(options) {
        Ok(results) => {
            if options.json {
                println!("{}", results_json(options, &results));
            } else {
                print_table(options, &results);
            }
            0
        }
        Err(e) => {
            eprintln!("reelcast-bench: network: {e}");
            1
        }
    }
}

fn run_all(options: &NetworkOptions) -> Result<Vec<RunResult>, String> {
    let mut link = ShapedLink::create(None).map_err(|e| e.to_string())?;
    // On the near end of B's link: A reaches it as a local address, B through the link.
    let server =
        SignallingServer::start(IpAddr::V4(link.near_address())).map_err(|e| e.to_string())?;
    let mut plans: Vec<(Plan, &Path)> = vec![(Plan::Solo, options.file.as_path())];
    plans.extend(options.rates.iter().map(|r| {
        (
            Plan::Fixed(*r, options.shaped_viewer),
            options.file.as_path(),
        )
    }));
    if options.step {
        plans.push((Plan::Step(options.shaped_viewer), options.file.as_path()));
    }
    for kind in &options.lossy {
        for browser in &options.lossy_viewers {
            plans.push((Plan::Lossy(*kind, *browser), options.file.as_path()));
        }
    }
    if let Some(cpu_file) = &options.cpu_file {
        plans.push((Plan::Solo, cpu_file.as_path()));
    }
    let mut results = Vec::new();
    for (plan, file) in plans {
        eprintln!("reelcast-bench: {} with {}", plan.label(), file.display());
        let result = run_one(options, &mut link, server.url(), plan, file)
            .map_err(|e| format!("{}: {e}", plan.label()))?;
        results.push(result);
    }
    Ok(results)
}

fn run_one(
    options: &NetworkOptions,
    link: &mut ShapedLink,
    url: &str,
    plan: Plan,
    file: &Path,
) -> Result<RunResult, String> {
    // A queue of its own per run, so that its counters are this run's.
    link.lift().map_err(|e| e.to_string())?;
    if let Plan::Fixed(Some(kbit), _) = plan {
        link.set_rate(kbit).map_err(|e| e.to_string())?;
    }
    // B's lossy link, a new one per run (its counters, its seeded losses from the start).
    let lossy = match plan {
        Plan::Lossy(kind, _) => {
            Some(LossyLink::with_config(Plan::link_config(kind)).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    let share =
        ShareProcess::start(&options.reelcast, file, url, &[]).map_err(|e| e.to_string())?;
    // Both viewers start together, as two people opening the link at once.
    let a = BrowserViewer::start("viewer A", url, None).map_err(|e| e.to_string())?;
    let (b, firefox) = match (plan, &lossy) {
        (Plan::Solo, _) => (None, None),
        (Plan::Lossy(_, Browser::Firefox), Some(lossy)) => (
            None,
            Some(FirefoxViewer::start_behind("viewer B", url, lossy).map_err(|e| e.to_string())?),
        ),
        (Plan::Lossy(_, Browser::Chromium), Some(lossy)) => (
            Some(BrowserViewer::start_behind("viewer B", url, lossy).map_err(|e| e.to_string())?),
            None,
        ),
        (Plan::Fixed(_, Browser::Firefox) | Plan::Step(Browser::Firefox), _) => (
            None,
            Some(FirefoxViewer::start_shaped("viewer B", url, link).map_err(|e| e.to_string())?),
        ),
        _ => (
            Some(BrowserViewer::start("viewer B", url, Some(&*link)).map_err(|e| e.to_string())?),
            None,
        ),
    };
    let mut joined = a.wait_joined(JOIN_WITHIN).map_err(|e| e.to_string())?;
    if let Some(b) = &b {
        joined = joined.max(b.wait_joined(JOIN_WITHIN).map_err(|e| e.to_string())?);
    }
    if let Some(b) = &firefox {
        joined = joined.max(b.wait_joined(JOIN_WITHIN).map_err(|e| e.to_string())?);
    }
    // The window opens at the later viewer's 3rd second.
    sleep_until(joined + 2000.0);
    let window_start = now_ms();
    let cpu0 = share.cpu_seconds();
    let link0 = link_counters(lossy.as_ref());
    let shaped0 = link.sent_bytes();
    let (mut step_down_ms, mut step_up_ms) = (None, None);
    let mut queue = String::new();
    if let Plan::Step(_) = plan {
        std::thread::sleep(STEP_BEFORE);
        link.set_rate(STEP_RATE_KBIT).map_err(|e| e.to_string())?;
        step_down_ms = Some(now_ms());
        std::thread::sleep(STEP_DOWN_FOR);
        queue = link.queue_stats().unwrap_or_default();
        link.lift().map_err(|e| e.to_string())?;
        step_up_ms = Some(now_ms());
        std::thread::sleep(STEP_AFTER);
    } else {
        let seconds = if plan == Plan::Solo {
            SOLO_SECONDS.min(options.seconds)
        } else {
            options.seconds
        };
        std::thread::sleep(Duration::from_secs(seconds));
    }
    let cpu1 = share.cpu_seconds();
    let end_ms = now_ms();
    let seconds = (end_ms - window_start) / 1000.0;
    let link_window = lossy.as_ref().map(|l| link_result(l, link0, seconds));
    // What the shaped link carried towards B: Firefox's bitrate, as the lossy link's is.
    let shaped_kbps = shaped0
        .zip(link.sent_bytes())
        .map(|(a, b)| b.saturating_sub(a) as f64 * 8.0 / 1000.0 / seconds);
    if link.rate_kbit().is_some() {
        queue = link.queue_stats().unwrap_or_default();
    }
    let window = Window {
        end_ms,
        step_down_ms,
        step_up_ms,
        fps: options.fps,
    };
    let timelines: Vec<(char, Timeline)> = std::iter::once(('A', a.timeline()))
        .chain(b.iter().map(|b| ('B', b.timeline())))
        .collect();
    let firefox_samples = firefox.as_ref().map(FirefoxViewer::samples);
    drop(firefox);
    drop(b);
    drop(a);
    keep_share_output(&share, plan);
    drop(share);
    drop(lossy);
    let mut viewers: Vec<(char, ViewerResult)> = timelines
        .iter()
        .map(|(name, t)| (*name, measure(t, &window)))
        .collect();
    if let Some(samples) = &firefox_samples {
        let mut b = measure_firefox(samples, &window);
        // Firefox's stats line has no bytes: what the link delivered stands in (all SRTP
        // behind the lossy link, every packet behind the shaped one).
        b.kbps = link_window.as_ref().map(|l| l.kbps).or(shaped_kbps);
        viewers.push(('B', b));
    }
    let metadata_keys = timelines
        .iter()
        .find(|(_, t)| !t.metadata_keys.is_empty())
        .map(|(_, t)| t.metadata_keys.clone())
        .unwrap_or_default();
    Ok(RunResult {
        plan,
        file: file.to_path_buf(),
        viewers,
        sender_cpu: cpu0
            .zip(cpu1)
            .map(|(c0, c1)| (c1 - c0) / ((end_ms - window_start) / 1000.0)),
        metadata_keys,
        queue: (!queue.is_empty()).then(|| summary_of_queue(&queue)),
        link: link_window,
    })
}

/// With REELCAST_BENCH_OUTPUT=DIR, the share's lines of each run (its JSON events and
/// REELCAST_LOG logs) go to DIR/<run>.log, to see why a run went as it did.
fn keep_share_output(share: &ShareProcess, plan: Plan) {
    let Some(dir) = std::env::var_os("REELCAST_BENCH_OUTPUT") else {
        return;
    };
    let name: String = plan
        .label()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = std::path::Path::new(&dir).join(format!("{name}.log"));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, share.lines().join("\n")));
    if let Err(e) = written {
        eprintln!("reelcast-bench: cannot write {}: {e}", path.display());
    }
}

/// The tbf line's "Sent ... (dropped N, overlimits M ...)" of `tc -s qdisc show`.
fn summary_of_queue(stats: &str) -> String {
    stats
        .lines()
        .find(|l| l.trim_start().starts_with("Sent"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default()
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Sleeps until wall-clock `t_ms` (the benchmark's fixed windows, nothing to wait on).
fn sleep_until(t_ms: f64) {
    let wait = t_ms - now_ms();
    if wait > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(wait / 1000.0));
    }
}

fn viewer_json(v: &ViewerResult) -> Value {
    json!({
        "decoded_per_played": v.decoded_share,
        "freezes_chromium": v.freezes,
        "gaps_over_300ms": v.gaps,
        "longest_gap_ms": v.longest_gap_ms,
        "kbps": v.kbps,
        "height": v.height,
        "heights_shown": v.heights.map(|(lo, hi)| json!([lo, hi])),
        "first_frame_ms": v.first_frame_ms,
        "packets_lost": v.packets_lost,
        "plis": v.plis,
        "fec_packets_received": v.fec_received,
        "fec_packets_discarded": v.fec_discarded,
        "retransmitted_packets_received": v.retransmitted,
        "recover_after_step_down_ms": v.recover_down_ms,
        "recover_after_step_up_ms": v.recover_up_ms,
        "glass_to_glass": Percentiles::json(&v.glass_to_glass),
        "capture_to_display": Percentiles::json(&v.capture_to_display),
        "receive_to_display": Percentiles::json(&v.receive_to_display),
    })
}

fn results_json(options: &NetworkOptions, results: &[RunResult]) -> Value {
    json!({
        "file": options.file,
        "seconds": options.seconds,
        "fps": options.fps,
        "runs": results.iter().map(|r| json!({
            "run": r.plan.label(),
            "viewer_b": match r.plan {
                Plan::Solo => Value::Null,
                Plan::Lossy(_, Browser::Firefox)
                | Plan::Fixed(_, Browser::Firefox)
                | Plan::Step(Browser::Firefox) => json!("firefox"),
                _ => json!("chromium"),
            },
            "file": r.file,
            "sender_cpu": r.sender_cpu,
            "queue": r.queue,
            "lossy_link": r.link.as_ref().map(|l| json!({
                "media_packets": l.media_packets,
                "dropped": l.dropped,
                "srtp_kbps_delivered": l.kbps,
            })),
            "metadata_keys": r.metadata_keys,
            "viewers": r.viewers.iter().map(|(n, v)| (n.to_string(), viewer_json(v)))
                .collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    })
}
