//! The network benchmark's readable table.

use std::path::PathBuf;

use crate::network::{NetworkOptions, Plan};
use crate::network_metrics::{
    Percentiles, ViewerResult, FIREFOX_STALL_MS, FREEZE_GAP_MS, SMOOTH_SHARE,
};

/// One run: its viewers' numbers and the sender's CPU share (1.0 = one core).
pub struct RunResult {
    pub plan: Plan,
    pub file: PathBuf,
    pub viewers: Vec<(char, ViewerResult)>,
    pub sender_cpu: Option<f64>,
    /// The keys of the first frame's requestVideoFrameCallback metadata.
    pub metadata_keys: Vec<String>,
    /// B's queue at the end of the run (`tc -s`: sent, dropped, overlimits).
    pub queue: Option<String>,
    /// B's lossy link over the window, in the lossy runs.
    pub link: Option<LinkResult>,
}

/// What B's lossy link did over a run's window.
#[derive(Debug, Clone, Copy)]
pub struct LinkResult {
    /// SRTP packets towards B, and of them those the link lost.
    pub media_packets: u64,
    pub dropped: u64,
    /// SRTP delivered to B (audio, retransmissions and IP headers included), kbit/s.
    pub kbps: f64,
}

pub fn print_table(options: &NetworkOptions, results: &[RunResult]) {
    println!(
        "Network benchmark of {} ({} fps): viewer B behind tbf (burst 16kbit, latency 200ms) in a \
         child namespace, or behind a lossy link (see below); each viewer measured from its 3rd \
         second, {} s a run",
        options.file.display(),
        options.fps,
        options.seconds
    );
    println!(
        "{:<16} {:>1} {:>8} {:>7} {:>6} {:>8} {:>7} {:>6} {:>15} {:>8} {:>6} {:>5} {:>13} {:>13}",
        "run",
        "",
        "decoded",
        "freezes",
        "gaps",
        "longest",
        "kbit/s",
        "link",
        "height (min-max)",
        "1st frame",
        "lost",
        "PLIs",
        "recover ↓/↑ s",
        "sender CPU"
    );
    // The reference: the same file with A alone.
    let reference = results
        .iter()
        .find(|r| r.plan == Plan::Solo && r.file == options.file)
        .and_then(|r| r.sender_cpu);
    for r in results.iter().filter(|r| r.file == options.file) {
        for (i, (name, v)) in r.viewers.iter().enumerate() {
            let cpu = if i == 0 {
                cpu_cell(r.sender_cpu, reference)
            } else {
                String::new()
            };
            println!(
                "{:<16} {:>1} {:>8} {:>7} {:>6} {:>8} {:>7} {:>6} {:>16} {:>9} {:>6} {:>5} {:>13} {:>13}",
                if i == 0 {
                    r.plan.label()
                } else {
                    String::new()
                },
                name,
                v.decoded_share
                    .map_or("-".into(), |s| format!("{:.1} %", s * 100.0)),
                v.freezes,
                v.gaps,
                format!("{:.0} ms", v.longest_gap_ms),
                v.kbps.map_or("-".into(), |k| format!("{k:.0}")),
                link_share(r.plan, *name, v),
                heights(v),
                v.first_frame_ms
                    .map_or("-".into(), |ms| format!("{ms:.0} ms")),
                v.packets_lost,
                v.plis,
                recovery(r.plan, v),
                cpu,
            );
        }
    }
    // A's bitrate against the run where B's link is clean (or, without one, A alone).
    let a_kbps = |plan: Plan| {
        results
            .iter()
            .find(|r| r.plan == plan && r.file == options.file)
            .and_then(|r| r.viewers.first())
            .and_then(|(_, v)| v.kbps)
    };
    let reference = a_kbps(Plan::Fixed(None, options.shaped_viewer))
        .map(|k| (k, "B unshaped"))
        .or_else(|| a_kbps(Plan::Solo).map(|k| (k, "A alone")));
    if let Some((clean, against)) = reference {
        let others: Vec<String> = results
            .iter()
            .filter(|r| {
                r.file == options.file
                    && matches!(
                        r.plan,
                        Plan::Fixed(Some(_), _) | Plan::Step(_) | Plan::Lossy(..)
                    )
            })
            .filter_map(|r| {
                let a = a_kbps(r.plan)?;
                Some(format!("{}: {:.0} %", r.plan.label(), a / clean * 100.0))
            })
            .collect();
        println!(
            "Viewer A's bitrate against {against} ({clean:.0} kbit/s): {}",
            others.join(", ")
        );
    }
    // B's repairs in the lossy runs (Chromium's inbound-rtp; Firefox gives no FEC counts).
    for r in results
        .iter()
        .filter(|r| r.file == options.file && matches!(r.plan, Plan::Lossy(..)))
    {
        if let Some((_, v)) = r.viewers.get(1) {
            println!(
                "{}: B's FEC packets received {}, discarded {}; retransmissions received {}",
                r.plan.label(),
                v.fec_received,
                v.fec_discarded,
                v.retransmitted
            );
        }
    }
    for r in results.iter().filter(|r| r.file != options.file) {
        println!(
            "{} with {}: sender CPU {}; viewer A {} kbit/s, height {}, first frame {}",
            r.plan.label(),
            r.file.display(),
            cpu_cell(r.sender_cpu, None),
            r.viewers
                .first()
                .and_then(|(_, v)| v.kbps)
                .map_or("-".into(), |k| format!("{k:.0}")),
            r.viewers.first().map_or(0, |(_, v)| v.height),
            r.viewers
                .first()
                .and_then(|(_, v)| v.first_frame_ms)
                .map_or("-".into(), |ms| format!("{ms:.0} ms")),
        );
    }
    println!("Glass-to-glass on loopback (viewer A alone, over its window):");
    for r in results.iter().filter(|r| r.plan == Plan::Solo) {
        let Some((_, v)) = r.viewers.first() else {
            continue;
        };
        println!(
            "  {}: capture→display {}; with rVFC captureTime {}; receive→display {}",
            r.file.display(),
            percentiles(&v.glass_to_glass, "frames"),
            percentiles(&v.capture_to_display, "frames"),
            percentiles(&v.receive_to_display, "frames")
        );
    }
    if let Some(keys) = results
        .iter()
        .map(|r| &r.metadata_keys)
        .find(|k| !k.is_empty())
    {
        println!(
            "  requestVideoFrameCallback metadata Chromium gave: {}",
            keys.join(", ")
        );
    }
    println!(
        "  Method: Chromium gives no captureTime for this sender (it needs the abs-capture-time \
         header extension) and no estimatedPlayoutTimestamp for video. The sender stamps each \
         frame's RTP timestamp from its capture clock (90 kHz), so capture times are known up \
         to one constant: it is set so that the fastest frame's capture→receiveTime is 0, and \
         capture→display = expectedDisplayTime − capture time is a lower bound, short by that \
         frame's encode and transit (a few ms on loopback). receive→display = \
         expectedDisplayTime − receiveTime (jitter buffer, decode, render)."
    );
    println!(
        "Columns: decoded = frames decoded (inbound-rtp) per frame played at {} fps; freezes = \
         Chromium's freezeCount; gaps = our gaps > {FREEZE_GAP_MS:.0} ms between frames shown \
         (requestVideoFrameCallback); recover = from the step to the first 2 s with ≥ {:.0} % \
         of the frames shown and no such gap; sender CPU = reelcast's user+system time per \
         second (100 % = one core), against A alone on the same file.",
        options.fps,
        SMOOTH_SHARE * 100.0
    );
    if results.iter().any(|r| r.link.is_some()) {
        println!(
            "Lossy runs: B behind a TUN link in a child namespace, 75 ± 5 ms each way (RTT \
             150 ms, jitter without reordering), 2 % of the SRTP towards B lost at random \
             (rand) or in bursts of 4 packets on average (burst, Gilbert-Elliott); B is \
             Chromium, or Firefox ESR (FF). link = kbit/s against the link's rate (rate runs). \
             Firefox gives no freezeCount, bytes or frame times: its freezes and gaps are \
             stalls of mozPaintedFrames over {FIREFOX_STALL_MS:.0} ms between its 250 ms stats \
             lines, its longest gap is to ±250 ms, its kbit/s is the SRTP the link delivered \
             (audio and retransmissions included), and it gives no PLI count."
        );
    }
    for r in results.iter() {
        let Some(l) = &r.link else { continue };
        println!(
            "  lossy link of B, {}: {} of {} SRTP packets lost ({:.2} %), {:.0} kbit/s of SRTP \
             delivered",
            r.plan.label(),
            l.dropped,
            l.media_packets,
            l.dropped as f64 / l.media_packets.max(1) as f64 * 100.0,
            l.kbps
        );
    }
    for r in results.iter().filter(|r| r.queue.is_some()) {
        println!(
            "  queue of B's link, {}: {}",
            r.plan.label(),
            r.queue.as_deref().unwrap_or_default()
        );
    }
}

/// B's video bitrate as a share of its link's rate, in the runs at a fixed rate.
fn link_share(plan: Plan, name: char, v: &ViewerResult) -> String {
    match (plan, name, v.kbps) {
        (Plan::Fixed(Some(rate), _), 'B', Some(k)) => {
            format!("{:.0} %", k / f64::from(rate) * 100.0)
        }
        _ => String::new(),
    }
}

fn heights(v: &ViewerResult) -> String {
    match v.heights {
        Some((lo, hi)) => format!("{} ({lo}-{hi})", v.height),
        None => format!("{} (-)", v.height),
    }
}

fn recovery(plan: Plan, v: &ViewerResult) -> String {
    if !matches!(plan, Plan::Step(_)) {
        return String::new();
    }
    let s = |d: Option<f64>| d.map_or("never".into(), |ms| format!("{:.1}", ms / 1000.0));
    format!("{}/{}", s(v.recover_down_ms), s(v.recover_up_ms))
}

fn cpu_cell(cpu: Option<f64>, reference: Option<f64>) -> String {
    match (cpu, reference) {
        (Some(c), Some(r)) if r > 0.0 => format!("{:.0} % ({:.2}x)", c * 100.0, c / r),
        (Some(c), _) => format!("{:.0} %", c * 100.0),
        _ => "-".into(),
    }
}

fn percentiles(p: &Option<Percentiles>, of: &str) -> String {
    p.map_or("n/a (not given)".into(), |p| {
        format!(
            "p50 {:.0} ms, p95 {:.0} ms ({} {of})",
            p.p50, p.p95, p.count
        )
    })
}
