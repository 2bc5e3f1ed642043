use clap::Parser;

use reelcast::cli::{exit, has_display, Cli, Command, PlayArgs};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REELCAST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
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
    reelcast::ui::run(reelcast::ui::Start::Play(args))
}

/// With a display, the window shares and shows the link; without one, the command line does.
fn share(args: reelcast::cli::ShareArgs) -> i32 {
    if args.headless || !has_display() {
        return reelcast::share_cli::share(&args);
    }
    reelcast::ui::run(reelcast::ui::Start::Share(args))
}
