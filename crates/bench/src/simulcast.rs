//! `reelcast-bench simulcast FILE`: the sender's CPU publishing FILE into a real Janus
//! VideoRoom with every rung (simulcast) and with one, in the same run, and what each sends.

use std::time::{Duration, Instant};

use reelcast::media::{Player, PlayerOptions};
use reelcast::rtc::{RungStats, ShareConfig, Simulcast};
use reelcast::sharing::{Sharing, SharingEvent, SharingOptions};
use reelcast_testkit::{free_port, Janus};

use crate::process::cpu_seconds;

/// How long a publication may take to be up and sending what its mode says. One rung climbs
/// to the full size by its congestion control: against Janus, by trials once two probes
/// have made its feedback collapse (see rtc's rung choice), about 40 s.
const READY_WITHIN: Duration = Duration::from_secs(90);

struct Row {
    mode: Simulcast,
    cpu: f64,
    /// The rungs sent: every one published, or the one rung.
    rungs: Vec<RungStats>,
    /// Bits per second sent to Janus over the window, all media.
    bitrate: f64,
    /// Keyframe requests (PLI, FIR) Janus sent per second over the window.
    keyframe_requests: f64,
    nacks: f64,
}

/// Runs the benchmark and prints its table; returns the exit code.
pub fn run_simulcast(file: &str, seconds: u64) -> i32 {
    if !reelcast_testkit::in_private_network() {
        eprintln!(
            "reelcast-bench: the simulcast benchmark publishes into Janus on the private test \
             network: run it in scripts/private-net.sh"
        );
        return 2;
    }
    if let Err(e) = reelcast::init() {
        eprintln!("reelcast-bench: {e}");
        return 3;
    }
    match measure_both(file, seconds.max(1)) {
        Ok(rows) => {
            print(file, seconds, &rows);
            0
        }
        Err(e) => {
            eprintln!("reelcast-bench: simulcast: {e}");
            1
        }
    }
}

fn measure_both(file: &str, seconds: u64) -> Result<Vec<Row>, String> {
    let port = free_port("127.0.0.1".parse().unwrap()).map_err(|e| e.to_string())?;
    let janus = Janus::start(port).map_err(|e| e.to_string())?;
    let player = Player::new(PlayerOptions::headless()).map_err(|e| e.to_string())?;
    player.set_looping(true);
    player.open(file).map_err(|e| e.to_string())?;
    player.play().map_err(|e| e.to_string())?;
    [Simulcast::On, Simulcast::Off]
        .into_iter()
        .map(|mode| measure(&player, &janus, mode, seconds))
        .collect()
}

fn measure(player: &Player, janus: &Janus, mode: Simulcast, seconds: u64) -> Result<Row, String> {
    let sharing = Sharing::start(
        player,
        SharingOptions {
            signalling: Some(janus.publish_url(1234, None)),
            name: format!("Reelcast bench, simulcast {mode}"),
            ca_file: None,
            embedded: Default::default(),
            config: ShareConfig {
                simulcast: mode,
                ..ShareConfig::default()
            },
            secrets: Default::default(),
        },
    )
    .map_err(|e| e.to_string())?;
    let events = sharing.subscribe();
    // Up, and sending as its mode says: every rung, or (one rung) the full size its link
    // carries on loopback once it has climbed there.
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        let event = events
            .recv_deadline(deadline)
            .map_err(|_| format!("simulcast {mode}: not sending within {READY_WITHIN:?}"))?;
        match event {
            SharingEvent::Stats { stats } => {
                let ready = match mode {
                    Simulcast::On => stats.published.len() > 1,
                    Simulcast::Off => stats.rung.is_some_and(|r| r.index == 0),
                };
                if ready {
                    break;
                }
            }
            SharingEvent::Refused { message } => return Err(message),
            _ => {}
        }
    }
    let (cpu0, _) = cpu_seconds();
    let start = Instant::now();
    let mut first = None;
    let mut last = None;
    let mut rates = Vec::new();
    // The measurement window itself: a fixed time; the stats it sees are what was sent.
    let end = start + Duration::from_secs(seconds);
    while let Ok(event) = events.recv_deadline(end) {
        if let SharingEvent::Stats { stats } = event {
            rates.push(stats.bitrate as f64);
            first.get_or_insert((stats.keyframe_requests, stats.nack_count));
            last = Some(stats);
        }
    }
    let (cpu1, _) = cpu_seconds();
    let wall = start.elapsed().as_secs_f64();
    sharing.stop();
    let stats = last.ok_or_else(|| format!("simulcast {mode}: no stats in {seconds} s"))?;
    let (keyframes0, nacks0) = first.unwrap_or_default();
    Ok(Row {
        keyframe_requests: stats.keyframe_requests.saturating_sub(keyframes0) as f64 / wall,
        nacks: stats.nack_count.saturating_sub(nacks0) as f64 / wall,
        mode,
        cpu: (cpu1 - cpu0) / wall,
        rungs: if stats.published.is_empty() {
            stats.rung.into_iter().collect()
        } else {
            stats.published
        },
        bitrate: rates.iter().sum::<f64>() / rates.len().max(1) as f64,
    })
}

fn print(file: &str, seconds: u64, rows: &[Row]) {
    println!("Publishing {file} into Janus VideoRoom for {seconds} s each");
    println!(
        "{:>10} {:>12} {:>11} {:>11} {:>8}  rungs sent (height kbit/s)",
        "simulcast", "sender cpu %", "sent kbit/s", "key reqs/s", "NACKs/s"
    );
    for row in rows {
        let rungs: Vec<String> = row
            .rungs
            .iter()
            .map(|r| format!("{}p {}", r.height, r.bitrate / 1000))
            .collect();
        println!(
            "{:>10} {:>12.1} {:>11.0} {:>11.1} {:>8.1}  {}",
            row.mode.to_string(),
            row.cpu * 100.0,
            row.bitrate / 1000.0,
            row.keyframe_requests,
            row.nacks,
            rungs.join(" + ")
        );
    }
    if let [on, off] = rows {
        println!(
            "CPU(simulcast, {} rungs)/CPU(one rung) = {:.2}",
            on.rungs.len(),
            on.cpu / off.cpu.max(f64::EPSILON)
        );
    }
}
