//! The command line: what a person or a script can ask for.

use clap::{Parser, Subcommand};

use crate::rtc::Codec;
use crate::sharing::ShareChoices;

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
    /// Share a file or URI: viewers watch it over WebRTC.
    Share(ShareArgs),
}

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// File paths or URIs (file://, http://, ...), played one after another. Headless, the
    /// first error ends the run.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
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
    /// Playback speed, 0.5 to 2 (1: normal), with the pitch kept.
    #[arg(long, default_value_t = 1.0, value_parser = speed)]
    pub speed: f64,
    /// Print errors only.
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShareArgs {
    /// File paths or URIs, shared one after another without a break for the viewers.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Where to share: a GStreamer signalling server (ws:// or wss://), a Janus VideoRoom
    /// (janus+ws://HOST:8188/?room=1234[&pin=PIN][&display=NAME], or janus+wss://), or a WHIP
    /// endpoint (whip+https://HOST/PATH or whip+http://; a bearer token from the environment
    /// variable REELCAST_WHIP_TOKEN). Without it, Reelcast runs its own server on this
    /// computer and prints the link viewers open.
    #[arg(long)]
    pub signalling: Option<String>,
    /// The name viewers see in the list of shares (default: the file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The video codec offered first (viewers may pick another we support).
    #[arg(long, default_value_t = ShareChoices::default().video_codec, value_parser = video_codec)]
    pub codec: Codec,
    /// Start again from the beginning at the end (of the last source, with several).
    #[arg(long = "loop")]
    pub looping: bool,
    /// Playback speed, 0.5 to 2 (1: normal), with the pitch kept; viewers get the same speed.
    #[arg(long, default_value_t = 1.0, value_parser = speed)]
    pub speed: f64,
    /// No window, even with a display: print the link and events instead.
    #[arg(long)]
    pub headless: bool,
    /// Print one JSON event a line on standard output, for scripts.
    #[arg(long)]
    pub json: bool,
    /// Print errors only.
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
    /// An extra CA certificate (PEM) to trust for wss://.
    #[arg(long)]
    pub ca_file: Option<String>,
    /// Embedded server: the address to listen on. Loopback unless you ask otherwise.
    #[arg(long, default_value_t = ShareChoices::default().host)]
    pub host: std::net::IpAddr,
    /// Embedded server: signalling port (the next free one is used when taken).
    #[arg(long, default_value_t = ShareChoices::default().signalling_port)]
    pub signalling_port: u16,
    /// Embedded server: viewer page port (the next free one is used when taken).
    #[arg(long, default_value_t = ShareChoices::default().http_port)]
    pub http_port: u16,
    /// A STUN server, stun://host:port (none by default).
    #[arg(long)]
    pub stun: Option<String>,
    /// A TURN server, turn://user:password@host:port (repeatable).
    #[arg(long)]
    pub turn: Vec<String>,
    /// Highest video bitrate, in kbit/s.
    #[arg(long, default_value_t = ShareChoices::default().max_bitrate_kbps)]
    pub max_bitrate: u32,
    /// Most viewers at once; more are politely refused.
    #[arg(long, default_value_t = ShareChoices::default().max_viewers)]
    pub max_viewers: usize,
    /// Largest video sent, in lines (bigger is scaled down once for all viewers); 0: as the file.
    #[arg(long, default_value_t = ShareChoices::default().max_height)]
    pub max_height: u32,
    /// Highest frame rate sent (faster video has frames dropped); 0: as the file.
    #[arg(long, default_value_t = ShareChoices::default().max_fps)]
    pub max_fps: u32,
}

impl ShareArgs {
    /// The arguments as a person's choices for the sharing layer, which applies the rules.
    pub fn choices(&self) -> ShareChoices {
        ShareChoices {
            signalling: self.signalling.clone(),
            name: self.name.clone(),
            source: self.sources.first().cloned(),
            ca_file: self.ca_file.clone(),
            host: self.host,
            signalling_port: self.signalling_port,
            http_port: self.http_port,
            video_codec: self.codec,
            max_bitrate_kbps: self.max_bitrate,
            max_viewers: self.max_viewers,
            max_height: self.max_height,
            max_fps: self.max_fps,
            stun: self.stun.clone(),
            turn: self.turn.clone(),
        }
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
    /// The signalling server or SFU refused the share (no such room, wrong pin).
    pub const REFUSED: i32 = 4;
}

/// True when a window can be shown.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// `--speed`: a number from 0.5 to 2, as `1.5` or `1.5x`.
fn speed(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches(['x', 'X']);
    let speed = number
        .parse::<f64>()
        .map_err(|_| format!("{text:?} is not a number; use 0.5 to 2, as 1.5"))?;
    crate::media::check_speed(speed).map_err(|e| e.to_string())
}

/// `--codec`: one of the video codecs the call layer sends (its list, not a copy of it).
fn video_codec(name: &str) -> Result<Codec, String> {
    let names: Vec<String> = Codec::VIDEO.iter().map(Codec::to_string).collect();
    match name.parse::<Codec>() {
        Ok(codec) if Codec::VIDEO.contains(&codec) => Ok(codec),
        _ => Err(format!("use one of {}", names.join(", "))),
    }
}
