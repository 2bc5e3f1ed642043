//! The `reelcast` binary: parses the command line and hands over to the headless front-end or
//! the window, which never import each other.

use std::io::IsTerminal;

use clap::Parser;

use reelcast::cli::{exit, has_display, Cli, Command, PlayArgs};
use reelcast::ui::{Outcome, Start};

/// Without `REELCAST_LOG`: warnings, but not the embedded upstream server's (it warns about
/// every websocket ping) nor the player's (its failures reach the person once, as events).
const DEFAULT_LOG: &str = "warn,gst_plugin_webrtc_signalling=error,reelcast::media::player=error";

fn main() {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REELCAST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Play(args)) => play(args),
        Some(Command::Share(args)) => share(args),
        None => play(PlayArgs {
            sources: Vec::new(),
            headless: false,
            looping: false,
            json: false,
            mute: false,
            speed: 1.0,
            quiet: false,
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
    })
}

/// With a display, the window shares and shows the link; without one, the command line does.
fn share(args: reelcast::cli::ShareArgs) -> i32 {
    if args.headless || !has_display() {
        return reelcast::share_cli::share(&args);
    }
    window(Start {
        share: Some(args.choices()),
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
