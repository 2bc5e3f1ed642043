//! `reelcast-bench`: Reelcast's benchmarks, which print numbers (see scripts/bench.sh), and
//! the receivers process they measure against.

mod churn;
mod fanout;
mod first_join;
mod network;
mod network_metrics;
mod network_table;
mod process;
mod record;
mod simulcast;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "reelcast-bench",
    version,
    about = "Measure Reelcast (prints numbers; see scripts/bench.sh)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// CPU of sharing FILE to 1, 2, 4, 8 and 16 viewers, against a bare decode + encode, and the
    /// time from each join to its offer.
    Fanout {
        file: String,
        /// Seconds measured per viewer count.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Viewer counts to measure.
        #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8, 16])]
        viewers: Vec<usize>,
    },
    /// The first viewer of a fresh share of FILE (a new `reelcast share` each time), request to
    /// first frame shown in Chromium, over SHARES shares, beside the last of VIEWERS viewers
    /// joining one share in turn. Runs in scripts/private-net.sh.
    FirstJoin {
        file: PathBuf,
        /// Fresh shares measured.
        #[arg(long, default_value_t = 10)]
        shares: usize,
        /// Viewers joining the one share in turn.
        #[arg(long, default_value_t = 10)]
        viewers: usize,
        /// Milliseconds each viewer waits before asking, after the share is up or the
        /// previous viewer's first frame.
        #[arg(long, default_value_t = 1000)]
        after: u64,
        /// The reelcast binary (default: the one beside this one).
        #[arg(long)]
        reelcast: Option<PathBuf>,
    },
    /// Viewers join and leave FILE's share again and again: memory, elements, threads and
    /// file descriptors before and after, and with 8 viewers.
    Churn {
        file: String,
        /// Join/leave cycles.
        #[arg(long, default_value_t = 100)]
        cycles: usize,
        /// Keep one viewer watching throughout (the encoders then live on).
        #[arg(long)]
        resident: bool,
    },
    /// Two Chromium viewers of `reelcast share --headless` sharing FILE (480p30), B behind a
    /// shaped link in a child namespace at each rate, then a step down and back up; the
    /// sender's CPU against A alone; glass-to-glass delay on loopback (and with CPU_FILE, a
    /// 720p30, the same with A alone). Runs in scripts/private-net.sh.
    Network {
        file: PathBuf,
        /// A 720p30 file for the sender's CPU and glass-to-glass with one viewer.
        #[arg(long)]
        cpu_file: Option<PathBuf>,
        /// Seconds measured per rate, from each viewer's 3rd second on.
        #[arg(long, default_value_t = 25)]
        seconds: u64,
        /// B's link per run, in kbit/s, or "unshaped".
        #[arg(long, value_delimiter = ',', default_values = ["600", "1200", "2500", "unshaped"], value_parser = rate)]
        rates: Vec<Rate>,
        /// Skip the run with a step down and back up.
        #[arg(long)]
        no_step: bool,
        /// Skip the runs at fixed rates (--rates).
        #[arg(long)]
        no_rates: bool,
        /// Runs with B behind a round trip of 150 ms losing 2 % of its media: "random",
        /// "bursty" (Gilbert-Elliott, bursts of 4), both, or "none".
        #[arg(long, default_value = "random,bursty", value_parser = network::loss_kinds)]
        lossy: std::vec::Vec<network::LossKind>,
        /// B in the runs at fixed rates and the step: "chromium" or "firefox".
        #[arg(long, default_value = "chromium", value_parser = network::browser)]
        shaped_viewer: network::Browser,
        /// B in the lossy runs: "chromium", "firefox" or both.
        #[arg(long, default_value = "chromium,firefox", value_parser = network::browsers)]
        lossy_viewers: std::vec::Vec<network::Browser>,
        /// The reelcast binary (default: the one beside this one).
        #[arg(long)]
        reelcast: Option<PathBuf>,
        /// The file's frame rate (frames played per second).
        #[arg(long, default_value_t = 30.0)]
        fps: f64,
        /// One JSON document on standard output instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// The sender's CPU publishing FILE into a real Janus VideoRoom with every rung
    /// (simulcast) and with one, in the same run. Runs in scripts/private-net.sh.
    Simulcast {
        file: String,
        /// Seconds measured per mode.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// The CPU of sharing FILE to one viewer while recording the share and while not, turn
    /// about in the same run. Runs in scripts/private-net.sh.
    Record {
        file: String,
        /// Seconds measured per step.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Rounds of not recording, then recording.
        #[arg(long, default_value_t = 4)]
        rounds: usize,
    },
    /// (Used by fanout and churn) WebRTC receivers driven by JSON lines on stdin.
    #[command(hide = true)]
    Receivers,
}

fn main() {
    // Logs as the product's: REELCAST_LOG, warnings by default, on stderr (stdout is the
    // table, or the receivers' JSON lines).
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::WARN.into())
        .with_env_var("REELCAST_LOG")
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let code = match Cli::parse().command {
        Command::Fanout {
            file,
            seconds,
            viewers,
        } => fanout::run_fanout(&fanout::FanoutOptions {
            file,
            seconds,
            viewer_counts: viewers,
        }),
        Command::FirstJoin {
            file,
            shares,
            viewers,
            after,
            reelcast,
        } => first_join::run_first_join(&first_join::FirstJoinOptions {
            file,
            shares: shares.max(1),
            viewers: viewers.max(1),
            after: std::time::Duration::from_millis(after),
            reelcast: reelcast.unwrap_or_else(beside_this),
        }),
        Command::Churn {
            file,
            cycles,
            resident,
        } => churn::run_churn(&file, cycles, resident),
        Command::Network {
            file,
            cpu_file,
            seconds,
            rates,
            no_step,
            no_rates,
            shaped_viewer,
            lossy,
            lossy_viewers,
            reelcast,
            fps,
            json,
        } => network::run_network(&network::NetworkOptions {
            file,
            cpu_file,
            seconds: seconds.max(1),
            rates: rates
                .into_iter()
                .filter(|_| !no_rates)
                .map(|r| r.0)
                .collect(),
            step: !no_step,
            shaped_viewer,
            lossy,
            lossy_viewers,
            reelcast: reelcast.unwrap_or_else(beside_this),
            fps,
            json,
        }),
        Command::Simulcast { file, seconds } => simulcast::run_simulcast(&file, seconds),
        Command::Record {
            file,
            seconds,
            rounds,
        } => record::run_record(&file, seconds, rounds),
        Command::Receivers => reelcast_testkit::serve_receivers(),
    };
    std::process::exit(code);
}

/// A link rate: kbit/s, or None for unshaped.
#[derive(Debug, Clone, Copy)]
struct Rate(Option<u32>);

fn rate(s: &str) -> Result<Rate, String> {
    if s == "unshaped" {
        return Ok(Rate(None));
    }
    match s.parse::<u32>() {
        Ok(k) if k > 0 => Ok(Rate(Some(k))),
        _ => Err(format!(
            "{s:?}: a rate is kbit/s (a positive number) or \"unshaped\""
        )),
    }
}

/// `reelcast` in the folder of this executable (target/release with a release build).
fn beside_this() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("reelcast")))
        .unwrap_or_else(|| PathBuf::from("reelcast"))
}
