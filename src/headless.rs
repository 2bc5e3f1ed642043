//! Playing without a window: for servers, CI and scripts.

use std::time::Duration;

use crate::cli::{exit, PlayArgs};
use crate::media::{PlaybackState, Player, PlayerEvent, PlayerOptions};
use crate::report::{clock, JsonLine, JsonLines};
use crate::stop_signals;
use crate::terminal::{Mode, Status, Terminal};

/// Plays `args.sources` to the end of the last (or forever with loop), printing progress. A
/// source that fails is reported and skipped; the run ends when nothing is left to play.
/// Returns the exit code: 1 if any source failed.
pub fn play(args: &PlayArgs) -> i32 {
    if args.sources.is_empty() {
        eprintln!("reelcast: play --headless needs a file or URI");
        return exit::USAGE;
    }
    // A signal stops playing and says so; a second Ctrl+C quits at once.
    let signals = stop_signals::watch();
    let player = match Player::new(PlayerOptions::headless()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("reelcast: {e}");
            return exit::SETUP_FAILED;
        }
    };
    player.set_looping(args.looping);
    player.set_muted(args.mute);
    player.set_share_subtitles(args.subtitles.share_subtitles.unwrap_or(true));
    if let Err(e) = player.set_subtitle_preferences(args.subtitles.preferences()) {
        eprintln!("reelcast: {e}");
        return exit::PLAYBACK_FAILED;
    }
    let json = args.json.then(JsonLines::default);
    let terminal = Terminal::new(if args.json {
        Mode::Quiet
    } else {
        Mode::detect(args.quiet)
    });
    let events = player.subscribe();
    if args.speed != 1.0 {
        if let Err(e) = player.set_speed(args.speed) {
            report_error(json.as_ref(), &terminal, &e.to_string());
            return exit::USAGE;
        }
    }
    if let Err(e) = player.open_queue(&args.sources).and_then(|_| player.play()) {
        report_error(json.as_ref(), &terminal, &e.to_string());
        return exit::PLAYBACK_FAILED;
    }
    let mut failures = 0;
    // Progress once a second; events as they come.
    let tick = Duration::from_secs(1);
    loop {
        let next = flume::Selector::new()
            .recv(&events, |e| e.map_or(Next::Closed, Next::Event))
            .recv(&signals, |s| s.map_or(Next::Closed, Next::Signal))
            .wait_timeout(tick)
            .unwrap_or(Next::Tick);
        match next {
            Next::Signal(signal) => {
                player.stop();
                if let Some(json) = &json {
                    json.write(JsonLine::Stopped {
                        reason: signal.reason(),
                    });
                } else {
                    terminal.say(&format!("{}: stopped.", signal.name()));
                }
                return if failures > 0 {
                    exit::PLAYBACK_FAILED
                } else {
                    exit::OK
                };
            }
            Next::Event(event) => {
                if let Some(json) = &json {
                    json.write(&event);
                } else if let Some(line) = describe(&event) {
                    terminal.say(&line);
                }
                match event {
                    PlayerEvent::EndOfStream if failures > 0 => return exit::PLAYBACK_FAILED,
                    PlayerEvent::EndOfStream => return exit::OK,
                    // The last source failed: nothing is left to play.
                    PlayerEvent::NothingToPlay => return exit::PLAYBACK_FAILED,
                    PlayerEvent::SubtitlesFailed(e) if !args.json => terminal.error(&e.to_string()),
                    PlayerEvent::Error(e) => {
                        if !args.json {
                            terminal.error(&e.to_string());
                        }
                        // A broken file in a queue does not stop the show (the player moves
                        // on), but the exit code still says that something failed.
                        failures += 1;
                    }
                    _ => {}
                }
            }
            Next::Tick => {
                if player.state() != PlaybackState::Playing {
                    continue;
                }
                if let Some(json) = &json {
                    json.write(JsonLine::Progress {
                        position: player.position().map(|d| d.as_secs_f64()),
                        duration: player.duration().map(|d| d.as_secs_f64()),
                    });
                } else if terminal.mode() == Mode::Live {
                    terminal.status(&Status {
                        position: player.position(),
                        duration: player.duration(),
                        state: "playing".into(),
                        viewers: None,
                        bitrate: 0,
                    });
                } else if terminal.mode() == Mode::Plain {
                    let at = player.position().map(clock).unwrap_or_default();
                    let of = player
                        .duration()
                        .map(clock)
                        .unwrap_or_else(|| "live".into());
                    println!("{at} / {of}");
                }
            }
            Next::Closed => return exit::PLAYBACK_FAILED,
        }
    }
}

/// What the loop of [`play`] goes on with.
enum Next {
    Event(PlayerEvent),
    Signal(stop_signals::StopSignal),
    Tick,
    Closed,
}

fn report_error(json: Option<&JsonLines>, terminal: &Terminal, message: &str) {
    if let Some(json) = json {
        json.write(JsonLine::Error {
            message: message.to_owned(),
        });
    } else {
        terminal.error(message);
    }
}

fn describe(event: &PlayerEvent) -> Option<String> {
    Some(match event {
        PlayerEvent::StateChanged(s) => format!("{s:?}").to_lowercase(),
        PlayerEvent::StreamsKnown(streams) => {
            let parts: Vec<String> = streams
                .iter()
                .map(|s| {
                    let mut p = format!("{}", s.kind);
                    if let Some(c) = &s.codec {
                        p += &format!(" {c}");
                    }
                    if let Some((w, h)) = s.size {
                        p += &format!(" {w}x{h}");
                    }
                    p
                })
                .collect();
            format!("streams: {}", parts.join(", "))
        }
        PlayerEvent::EndOfStream => "end of stream".into(),
        PlayerEvent::Looped => "looped".into(),
        PlayerEvent::SpeedChanged(speed) => format!("speed {speed}x"),
        PlayerEvent::Advanced { location, .. } => format!("next: {location}"),
        PlayerEvent::Buffering(p) if *p < 100 => format!("buffering {p}%"),
        PlayerEvent::Subtitles(state) if !state.tracks.is_empty() => {
            let shown = state.shown.and_then(|i| state.tracks.get(i));
            let name = shown.map(|t| {
                let name = t
                    .title
                    .as_deref()
                    .or(t.file.as_deref())
                    .unwrap_or("untitled");
                match &t.language {
                    Some(language) => format!("{name} ({language})"),
                    None => name.to_owned(),
                }
            });
            format!(
                "subtitles: {} track(s), {}",
                state.tracks.len(),
                name.map_or("off".to_owned(), |n| format!("showing {n}"))
            )
        }
        _ => return None,
    })
}
