//! The command line: what a person or a script can ask for.

mod secrets;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::media::SubtitlePreferences;
use secrets::{read_secrets, SecretSources};
pub use secrets::{SecretArgsError, TURN_VARIABLE};

use crate::rtc::{Codec, Simulcast};
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
    Share(Box<ShareArgs>),
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
    #[command(flatten)]
    pub subtitles: SubtitleArgs,
}

/// Subtitles, for `play` and `share`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SubtitleArgs {
    /// A subtitle file (.srt, .vtt, .ass, .ssa) for the first source, or "off" for none.
    /// Without it, a file next to the video with the same name (movie.srt, movie.en.srt)
    /// is shown, else the file's own subtitles.
    #[arg(long, value_name = "FILE|off")]
    pub subtitles: Option<String>,
    /// The subtitle language to pick first, as an ISO 639 code (en, fr, deu...).
    #[arg(long, value_name = "LANG")]
    pub subtitle_language: Option<String>,
    /// Whether the viewers get the subtitles shown here (drawn into the picture) or they
    /// stay on this computer. Default: on, or as in the window's preferences.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub share_subtitles: Option<bool>,
}

impl SubtitleArgs {
    /// The player's subtitle preferences these arguments ask for.
    pub fn preferences(&self) -> SubtitlePreferences {
        let off = self.subtitles.as_deref() == Some("off");
        SubtitlePreferences {
            enabled: !off,
            language: self.subtitle_language.clone(),
            file: self.subtitles.clone().filter(|_| !off),
        }
    }
}

fn on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("use on or off".into()),
    }
}

#[derive(Debug, clap::Args)]
pub struct ShareArgs {
    /// File paths or URIs, shared one after another without a break for the viewers.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Where to share: a GStreamer signalling server (ws:// or wss://), a Janus VideoRoom
    /// (janus+ws://HOST:8188/?room=1234[&display=NAME], or janus+wss://; a pin from
    /// --janus-pin-file or REELCAST_JANUS_PIN), or a WHIP endpoint (whip+https://HOST/PATH or
    /// whip+http://; a bearer token from --whip-token-file or REELCAST_WHIP_TOKEN). Without it,
    /// Reelcast runs its own server on this computer and prints the link viewers open.
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
    /// A TURN server without credentials, turn://host:port (repeatable). One with a password
    /// goes in --turn-file or REELCAST_TURN: every user of the computer can read arguments.
    #[arg(long)]
    pub turn: Vec<String>,
    /// A file of TURN servers, turn://user:password@host:port, one a line.
    #[arg(long, value_name = "FILE")]
    pub turn_file: Option<PathBuf>,
    /// A file whose first line is the Janus room's pin.
    #[arg(long, value_name = "FILE")]
    pub janus_pin_file: Option<PathBuf>,
    /// A file whose first line is the WHIP endpoint's bearer token.
    #[arg(long, value_name = "FILE")]
    pub whip_token_file: Option<PathBuf>,
    /// A file whose first line is the shared secret of the TURN servers given without a
    /// password (coturn's static-auth-secret; or REELCAST_TURN_SECRET): each viewer page of the
    /// embedded server gets credentials for them minted from it, valid for an hour.
    #[arg(long, value_name = "FILE")]
    pub turn_secret_file: Option<PathBuf>,
    /// Send a pin or token over plain ws:// or http:// to another computer (by default only
    /// to this one: anyone on the network between could read it).
    #[arg(long)]
    pub allow_insecure_signalling: bool,
    /// Record what the viewers get to this new file (.webm, .mkv or .mp4), with no second
    /// encode; it is finished when the share ends.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Highest video bitrate, in kbit/s.
    #[arg(long, default_value_t = ShareChoices::default().max_bitrate_kbps)]
    pub max_bitrate: u32,
    /// Simulcast to an SFU or media server (Janus, WHIP): on sends every size and each of its
    /// viewers gets the one its link carries; off sends one, chosen by the connection.
    #[arg(long, default_value_t = ShareChoices::default().simulcast)]
    pub simulcast: Simulcast,
    /// Most viewers at once; more are politely refused.
    #[arg(long, default_value_t = ShareChoices::default().max_viewers)]
    pub max_viewers: usize,
    /// Largest video sent, in lines (bigger is scaled down once for all viewers); 0: as the file.
    #[arg(long, default_value_t = ShareChoices::default().max_height)]
    pub max_height: u32,
    /// Highest frame rate sent (faster video has frames dropped); 0: as the file.
    #[arg(long, visible_alias = "max-fps", default_value_t = ShareChoices::default().max_frame_rate)]
    pub max_frame_rate: u32,
    #[command(flatten)]
    pub subtitles: SubtitleArgs,
}

impl ShareArgs {
    /// The arguments as a person's choices for the sharing layer, which applies the rules;
    /// secrets are read from their files and the environment, and refused in arguments.
    pub fn choices(&self) -> Result<ShareChoices, SecretArgsError> {
        let (turn, secrets) = read_secrets(&SecretSources {
            signalling: self.signalling.as_deref(),
            turn: &self.turn,
            turn_file: self.turn_file.as_deref(),
            janus_pin_file: self.janus_pin_file.as_deref(),
            whip_token_file: self.whip_token_file.as_deref(),
            turn_secret_file: self.turn_secret_file.as_deref(),
            allow_insecure: self.allow_insecure_signalling,
        })?;
        Ok(ShareChoices {
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
            simulcast: self.simulcast,
            max_height: self.max_height,
            max_frame_rate: self.max_frame_rate,
            stun: self.stun.clone(),
            turn,
            secrets,
        })
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};
    use crate::rtc::Simulcast;

    fn simulcast_of(args: &[&str]) -> Result<Simulcast, clap::Error> {
        let cli = Cli::try_parse_from(["reelcast", "share", "movie.mkv"].iter().chain(args))?;
        match cli.command {
            Some(Command::Share(share)) => Ok(share.choices().unwrap().simulcast),
            other => panic!("not a share: {other:?}"),
        }
    }

    #[test]
    fn simulcast_is_on_unless_turned_off() {
        assert_eq!(simulcast_of(&[]).unwrap(), Simulcast::On);
        assert_eq!(
            simulcast_of(&["--simulcast", "off"]).unwrap(),
            Simulcast::Off
        );
        assert_eq!(simulcast_of(&["--simulcast", "on"]).unwrap(), Simulcast::On);
        let wrong = simulcast_of(&["--simulcast", "sometimes"]).unwrap_err();
        assert!(wrong.to_string().contains("on or off"), "{wrong}");
    }
}
