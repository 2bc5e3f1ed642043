//! The `reelcast` binary: parses the command line and hands over to the headless front-end or
//! the window, which never import each other.

use std::io::IsTerminal;

use clap::Parser;

use reelcast::cli::{exit, has_display, Cli, Command, PlayArgs};
use reelcast::ui::{Outcome, Start};

/// Without `REELCAST_LOG`: warnings, but not the embedded server's protocol handler's (it warns
/// about every stray message) nor the player's (its failures reach the person once, as events).
const DEFAULT_LOG: &str = "warn,gst_plugin_webrtc_signalling=error,reelcast::media::player=error";
/// Log lines that would carry a secret, silenced whatever `REELCAST_LOG` says.
const SECRET_FREE: &str = "tungstenite::handshake::client=debug";

/// Libraries whose trace output shows what goes over the wire (frames, headers), where a pin
/// or a token travels: held at debug unless `REELCAST_LOG` names them.
const WIRE_LOGGERS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
];

fn log_filter() -> tracing_subscriber::EnvFilter {
    let asked = std::env::var("REELCAST_LOG").unwrap_or_default();
    let mut directives = if asked.trim().is_empty() {
        DEFAULT_LOG.to_owned()
    } else {
        asked
    };
    for logger in WIRE_LOGGERS {
        if !directives.split(',').any(|d| d.trim().starts_with(logger)) {
            directives.push_str(&format!(",{logger}=debug"));
        }
    }
    tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG))
}

fn main() {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(
            // tungstenite's trace of each request it sends would show the embedded
            // server's secret (in the path): never at any level.
            log_filter().add_directive(SECRET_FREE.parse().expect("a valid directive")),
        )
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Play(args)) => play(args),
        Some(Command::Share(args)) => share(*args),
        None => play(PlayArgs {
            sources: Vec::new(),
            headless: false,
            looping: false,
            json: false,
            mute: false,
            speed: 1.0,
            quiet: false,
            subtitles: Default::default(),
        }),
    };
    std::process::exit(code);
}

fn play(args: PlayArgs) -> i32 {
    if args.headless || !has_display() {
        if !args.headless {
            eprintln!("reelcast: no display found; playing headless");
        }
        if let Err(e) = reelcast::init() {
            eprintln!("reelcast: {e}");
            return exit::SETUP_FAILED;
        }
        return reelcast::headless::play(&args);
    }
    window(Start {
        sources: args.sources,
        looping: args.looping,
        mute: args.mute,
        speed: args.speed,
        json: args.json,
        share: None,
        subtitles: args.subtitles.preferences(),
        share_subtitles: args.subtitles.share_subtitles,
    })
}

/// With a display, the window shares and shows the link; without one, the command line does.
fn share(args: reelcast::cli::ShareArgs) -> i32 {
    if args.headless || !has_display() {
        return reelcast::share_cli::share(&args);
    }
    let choices = match args.choices() {
        Ok(choices) => choices,
        Err(e) => {
            eprintln!("reelcast: {e}");
            return exit::USAGE;
        }
    };
    window(Start {
        share: Some(choices),
        subtitles: args.subtitles.preferences(),
        share_subtitles: args.subtitles.share_subtitles,
        sources: args.sources,
        looping: args.looping,
        mute: false,
        speed: args.speed,
        json: args.json,
    })
}

/// The window's run, as an exit code for scripts.
fn window(start: Start) -> i32 {
    match reelcast::ui::run(start) {
        Outcome::Closed => exit::OK,
        Outcome::SetupFailed(message) => {
            eprintln!("reelcast: {message}");
            exit::SETUP_FAILED
        }
    }
}
