//! `reelcast share`: play a file and share it, without a window.

use std::time::Duration;

use crate::cli::{exit, ShareArgs};
use crate::media::{Player, PlayerEvent, PlayerOptions};
use crate::report::{JsonLine, JsonLines};
use crate::sharing::{Sharing, SharingError, SharingEvent, SharingOptions, GOODBYE_WITHIN};
use crate::signalling::SignallingError;
use crate::stop_signals::{self, StopSignal};
use crate::terminal::{Mode, Shown, Terminal};

pub fn share(args: &ShareArgs) -> i32 {
    // Before anything starts: from here on a signal stops the share instead of killing it.
    let signals = stop_signals::watch();
    if let Err(e) = crate::init() {
        eprintln!("reelcast: {e}");
        return exit::SETUP_FAILED;
    }
    let out = Output {
        json: args.json.then(JsonLines::default),
        terminal: Terminal::new(if args.json {
            Mode::Quiet
        } else {
            Mode::detect(args.quiet)
        }),
    };
    let player = match Player::new(PlayerOptions::headless()) {
        Ok(p) => p,
        Err(e) => return out.fatal(&e.to_string(), exit::SETUP_FAILED),
    };
    player.set_looping(args.looping);
    player.set_share_subtitles(args.subtitles.share_subtitles.unwrap_or(true));
    if let Err(e) = player.set_subtitle_preferences(args.subtitles.preferences()) {
        return out.fatal(&e.to_string(), exit::PLAYBACK_FAILED);
    }
    let choices = match args.choices() {
        Ok(choices) => choices,
        Err(e) => return out.fatal(&e.to_string(), exit::USAGE),
    };
    let sharing = match Sharing::start(&player, SharingOptions::from(&choices)) {
        Ok(s) => s,
        Err(e @ SharingError::Signalling(SignallingError::BadUrl { .. }))
        | Err(e @ SharingError::Signalling(SignallingError::InsecureSecret { .. }))
        | Err(e @ SharingError::Signalling(SignallingError::BadCaFile { .. })) => {
            return out.fatal(&e.to_string(), exit::USAGE)
        }
        Err(e) => return out.fatal(&e.to_string(), exit::SETUP_FAILED),
    };
    let sharing_events = sharing.subscribe();
    let player_events = player.subscribe();
    if let Some(path) = &args.record {
        // A file that cannot be written is said; the share goes on without it.
        if let Err(e) = sharing.start_recording(path) {
            out.error(&e.to_string());
        }
    }
    if args.speed != 1.0 {
        if let Err(e) = player.set_speed(args.speed) {
            return out.fatal(&e.to_string(), exit::USAGE);
        }
    }
    if let Err(e) = player.open_queue(&args.sources).and_then(|_| player.play()) {
        return out.fatal(&e.to_string(), exit::PLAYBACK_FAILED);
    }
    let mut shown = Shown::default();
    loop {
        let step = flume::Selector::new()
            .recv(&player_events, |e| e.map(Step::Player))
            .recv(&sharing_events, |e| e.map(Step::Sharing))
            .recv(&signals, |e| e.map(Step::Signal))
            .wait_timeout(Duration::from_secs(1));
        if out.json.is_none() {
            shown.redraw(&out.terminal, &player);
        }
        let Ok(Ok(step)) = step else { continue };
        match step {
            Step::Player(event) => {
                if let Some(json) = &out.json {
                    json.write(&event);
                }
                match event {
                    PlayerEvent::Advanced { location, .. } if out.json.is_none() => {
                        out.terminal.say(&format!("Now sharing {location}."))
                    }
                    PlayerEvent::EndOfStream => {
                        sharing.stop_and_wait(GOODBYE_WITHIN);
                        out.recording_ends(&sharing_events);
                        out.line(
                            "The file ended; the share is over.",
                            JsonLine::ShareEnded { reason: None },
                        );
                        return exit::OK;
                    }
                    // A broken file does not end the call while the queue goes on.
                    PlayerEvent::Error(e) => out.error(&e.to_string()),
                    PlayerEvent::SubtitlesFailed(e) if out.json.is_none() => {
                        out.terminal.error(&e.to_string())
                    }
                    PlayerEvent::NothingToPlay => {
                        out.line(
                            "Nothing is left to play; the share is over.",
                            JsonLine::ShareEnded {
                                reason: Some("nothing-to-play"),
                            },
                        );
                        sharing.stop_and_wait(GOODBYE_WITHIN);
                        out.recording_ends(&sharing_events);
                        return exit::PLAYBACK_FAILED;
                    }
                    _ => {}
                }
            }
            Step::Signal(signal) => {
                if out.json.is_none() {
                    out.terminal.say(&format!(
                        "{}: stopping the share (Ctrl+C again to quit at once).",
                        signal.name()
                    ));
                }
                if !sharing.stop_and_wait(GOODBYE_WITHIN) {
                    out.error("the server was not told in time that the share ended");
                }
                out.recording_ends(&sharing_events);
                player.stop();
                out.line(
                    "The share is over.",
                    JsonLine::ShareEnded {
                        reason: Some(signal.reason()),
                    },
                );
                return exit::OK;
            }
            Step::Sharing(event) => {
                if let SharingEvent::Refused { message } = &event {
                    sharing.stop();
                    return out.fatal(message, exit::REFUSED);
                }
                if let Some(json) = &out.json {
                    json.write(&event);
                    continue;
                }
                if let SharingEvent::Error { .. } = &event {
                    out.error(&shown.problem(&event));
                } else if let Some(sentence) = shown.apply(&event) {
                    out.terminal.say(&sentence);
                }
                shown.redraw(&out.terminal, &player);
            }
        }
    }
}

enum Step {
    Player(PlayerEvent),
    Sharing(SharingEvent),
    Signal(StopSignal),
}

struct Output {
    /// `--json`: every line goes through it.
    json: Option<JsonLines>,
    terminal: Terminal,
}

impl Output {
    fn line(&self, text: &str, line: JsonLine) {
        if let Some(json) = &self.json {
            json.write(line);
        } else {
            self.terminal.say(text);
        }
    }

    /// The end of a recording a stop has just waited for, which the loop will not see.
    fn recording_ends(&self, events: &flume::Receiver<SharingEvent>) {
        for event in events.try_iter() {
            if let SharingEvent::RecordingStopped { .. } = &event {
                if let Some(json) = &self.json {
                    json.write(&event);
                } else if let Some(sentence) = Shown::default().apply(&event) {
                    self.terminal.say(&sentence);
                }
            }
        }
    }

    fn error(&self, message: &str) {
        if let Some(json) = &self.json {
            json.write(JsonLine::Error {
                message: message.to_owned(),
            });
        } else {
            self.terminal.error(message);
        }
    }

    fn fatal(&self, message: &str, code: i32) -> i32 {
        self.error(message);
        code
    }
}
