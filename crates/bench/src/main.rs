//! `reelcast-bench`: Reelcast's benchmarks, which print numbers (see scripts/bench.sh), and
//! the receivers process they measure against.

mod churn;
mod fanout;
mod process;

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
    /// CPU of sharing FILE to 1, 2, 4 and 8 viewers, against a bare decode + encode, and the
    /// time from each join to its offer.
    Fanout {
        file: String,
        /// Seconds measured per viewer count.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Viewer counts to measure.
        #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8])]
        viewers: Vec<usize>,
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
        Command::Churn {
            file,
            cycles,
            resident,
        } => churn::run_churn(&file, cycles, resident),
        Command::Receivers => reelcast_testkit::serve_receivers(),
    };
    std::process::exit(code);
}
