//! The `reelcast` binary: parses the command line and hands over to the headless front-end or
//! the window, which never import each other.

use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use reelcast::cli::{exit, has_display, Cli, Command, PlayArgs};
use reelcast::ui::{Outcome, Start};

/// Without `REELCAST_LOG`: warnings, but not the embedded server's protocol handler's (it warns
/// about every stray message) nor the player's (its failures reach the person once, as events).
const DEFAULT_LOG: &str = "warn,gst_plugin_webrtc_signalling=error,reelcast::media::player=error";
/// Log lines that would carry a secret: tungstenite's trace of each request it sends shows
/// the embedded server's secret (in the path). Held at debug whatever `REELCAST_LOG` says.
const SECRET_FREE: &str = "tungstenite::handshake::client";

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

/// What the person asked for with `REELCAST_LOG`, or the default.
fn log_directives() -> String {
    let asked = std::env::var("REELCAST_LOG").unwrap_or_default();
    if asked.trim().is_empty() {
        DEFAULT_LOG.to_owned()
    } else {
        asked
    }
}

/// The levels above which nothing of the wire loggers is written: a cap beside the filter
/// asked for, never a level it turns on.
fn wire_caps(directives: &str) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::LevelFilter;
    let unnamed = WIRE_LOGGERS.iter().filter(|logger| {
        !directives
            .split(',')
            .any(|d| d.trim().starts_with(**logger))
    });
    tracing_subscriber::filter::Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(unnamed.map(|logger| (*logger, LevelFilter::DEBUG)))
        .with_target(SECRET_FREE, LevelFilter::DEBUG)
}

fn main() {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let directives = log_directives();
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .finish()
        .with(wire_caps(&directives))
        .init();
    let cli = Cli::parse();
    // The window's and the viewer page's strings, in the person's language.
    reelcast::i18n::init();
    // The system's CA store is read once, off every thread that must not wait.
    std::thread::spawn(reelcast::signalling::preload_tls);
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
    // A share that ended at once must not exit under its warm-up thread.
    reelcast::rtc::settle_warm_up(std::time::Duration::from_secs(5));
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
