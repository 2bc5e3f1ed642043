//! The command line: what a person or a script can ask for.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "reelcast",
    version,
    about = "Play a video and share it into a WebRTC call",
    long_about = "Reelcast plays a video file or URI and captures what it renders as live \
                  video and audio tracks, like captureStream() on the web."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a file or URI, in a window or headless.
    Play(PlayArgs),
    /// Measure Reelcast (prints numbers; see scripts/bench.sh).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// CPU of sharing FILE to 1, 2, 4 and 8 viewers, against a bare decode + encode.
    Fanout {
        file: String,
        /// Seconds measured per viewer count.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Viewer counts to measure.
        #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8])]
        viewers: Vec<usize>,
    },
    /// (Used by fanout) WebRTC receivers driven by JSON lines on stdin.
    #[command(hide = true)]
    Receivers,
}

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// A file path or a URI (file://, http://, ...).
    pub source: Option<String>,
    /// No window: local output goes to clocked fakesinks. Automatic without a display.
    #[arg(long)]
    pub headless: bool,
    /// Start again from the beginning at the end.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Print one JSON event a line on standard output, for scripts.
    #[arg(long)]
    pub json: bool,
    /// Start muted (local output only).
    #[arg(long)]
    pub mute: bool,
}

impl PlayArgs {
    /// A path given on the command line, made absolute for the window's file chooser.
    pub fn source_path(&self) -> Option<PathBuf> {
        self.source.as_ref().map(PathBuf::from)
    }
}

/// Exit codes, for scripts.
pub mod exit {
    /// Played to the end, or the window was closed.
    pub const OK: i32 = 0;
    /// The source could not be opened or played.
    pub const PLAYBACK_FAILED: i32 = 1;
    /// Wrong arguments (clap's own code).
    pub const USAGE: i32 = 2;
    /// GStreamer or a required element is missing.
    pub const SETUP_FAILED: i32 = 3;
}

/// True when a window can be shown.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}
