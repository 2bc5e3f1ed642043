//! `reelcast share`: play a file and share it, without a window.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::{exit, ShareArgs};
use crate::media::{Player, PlayerEvent, PlayerOptions};
use crate::report::event_json;
use crate::rtc::ShareConfig;
use crate::sharing::{Sharing, SharingError, SharingEvent, SharingOptions};
use crate::signalling::{EmbeddedServerOptions, SignallingError};

pub fn share(args: &ShareArgs) -> i32 {
    if let Err(e) = crate::init() {
        eprintln!("reelcast: {e}");
        return exit::SETUP_FAILED;
    }
    let out = Output { json: args.json };
    let player = match Player::new(PlayerOptions::headless()) {
        Ok(p) => p,
        Err(e) => return out.fatal(&e.to_string(), exit::SETUP_FAILED),
    };
    player.set_looping(args.looping);
    let sharing = match Sharing::start(&player, sharing_options(args)) {
        Ok(s) => s,
        Err(e @ SharingError::Signalling(SignallingError::BadUrl { .. }))
        | Err(e @ SharingError::Signalling(SignallingError::BadCaFile { .. })) => {
            return out.fatal(&e.to_string(), exit::USAGE)
        }
        Err(e) => return out.fatal(&e.to_string(), exit::SETUP_FAILED),
    };
    let sharing_events = sharing.subscribe();
    let player_events = player.subscribe();
    if let Err(e) = player.open_queue(&args.sources).and_then(|_| player.play()) {
        return out.fatal(&e.to_string(), exit::PLAYBACK_FAILED);
    }
    let mut last_stats_line = Instant::now();
    loop {
        let step = flume::Selector::new()
            .recv(&player_events, |e| e.map(Step::Player))
            .recv(&sharing_events, |e| e.map(Step::Sharing))
            .wait_timeout(Duration::from_secs(1));
        let Ok(Ok(step)) = step else { continue };
        match step {
            Step::Player(event) => {
                if out.json {
                    println!("{}", event_json(&event));
                }
                match event {
                    PlayerEvent::Advanced { location, .. } if !out.json => {
                        println!("Now sharing {location}.")
                    }
                    PlayerEvent::EndOfStream => {
                        out.line(
                            "The file ended; the share is over.",
                            json!({"event": "share-ended"}),
                        );
                        break;
                    }
                    // A broken file does not end the call while the queue goes on.
                    PlayerEvent::Error(e) => out.error(&e.to_string()),
                    PlayerEvent::NothingToPlay => {
                        out.line(
                            "Nothing is left to play; the share is over.",
                            json!({"event": "share-ended", "reason": "nothing-to-play"}),
                        );
                        sharing.stop();
                        return exit::PLAYBACK_FAILED;
                    }
                    _ => {}
                }
            }
            Step::Sharing(event) => {
                if let SharingEvent::Refused { message } = &event {
                    sharing.stop();
                    return out.fatal(message, exit::REFUSED);
                }
                if out.json {
                    if let Ok(line) = serde_json::to_string(&event) {
                        println!("{line}");
                    }
                    continue;
                }
                match event {
                    SharingEvent::ViewerUrl { url, .. } => {
                        println!("Open {url} in a browser to watch.")
                    }
                    SharingEvent::Registered { peer_id } => {
                        println!("Registered with the signalling server as {peer_id}.")
                    }
                    SharingEvent::Reconnecting {
                        attempt,
                        retry_in_ms,
                    } => println!(
                        "Signalling lost; retry {attempt} in {:.1} s.",
                        retry_in_ms as f64 / 1000.0
                    ),
                    SharingEvent::ViewerJoined { viewer } => println!("viewer {viewer} joined"),
                    SharingEvent::ViewerState { viewer, state } => {
                        println!("{}", format!("viewer {viewer}: {state:?}").to_lowercase())
                    }
                    SharingEvent::ViewerLeft { viewer, reason } => {
                        println!("viewer {viewer} left: {reason}")
                    }
                    SharingEvent::Stats { stats } => {
                        if last_stats_line.elapsed() >= Duration::from_secs(5) {
                            last_stats_line = Instant::now();
                            println!(
                                "viewer {}: {} kbit/s {:.0} fps{}",
                                stats.viewer,
                                stats.bitrate / 1000,
                                stats.frame_rate,
                                stats
                                    .rtt
                                    .map(|r| format!(" rtt {:.0} ms", r * 1000.0))
                                    .unwrap_or_default()
                            );
                        }
                    }
                    SharingEvent::Error { message } => out.error(&message),
                    SharingEvent::Connecting | SharingEvent::Refused { .. } => {}
                }
            }
        }
    }
    sharing.stop();
    exit::OK
}

/// The command line's choices as sharing options.
pub fn sharing_options(args: &ShareArgs) -> SharingOptions {
    SharingOptions {
        signalling: args.signalling.clone(),
        name: args
            .name
            .clone()
            .unwrap_or_else(|| share_name(&args.sources[0])),
        ca_file: args.ca_file.clone(),
        embedded: EmbeddedServerOptions {
            host: args.host,
            signalling_port: args.signalling_port,
            http_port: args.http_port,
        },
        config: ShareConfig {
            video_codec: args.codec.parse().unwrap_or(crate::rtc::Codec::Vp8),
            max_video_bitrate: args.max_bitrate.saturating_mul(1000),
            start_video_bitrate: args.max_bitrate.saturating_mul(1000).min(1_500_000),
            stun_server: args.stun.clone(),
            turn_servers: args.turn.clone(),
            max_viewers: args.max_viewers,
            limits: crate::rtc::VideoLimits {
                max_height: (args.max_height > 0).then_some(args.max_height),
                max_frame_rate: (args.max_fps > 0).then_some(args.max_fps),
            },
            ..ShareConfig::default()
        },
    }
}

/// What viewers see by default: the file's name, without folders or URI parts.
pub fn share_name(source: &str) -> String {
    let name = if source.contains("://") {
        let path = source.split(['?', '#']).next().unwrap_or(source);
        percent_decode(
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(path),
        )
    } else {
        let path = std::path::Path::new(source);
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if name.is_empty() {
        "Reelcast".to_owned()
    } else {
        name
    }
}

/// `%20` and the like back to their bytes; anything else, as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

enum Step {
    Player(PlayerEvent),
    Sharing(SharingEvent),
}

struct Output {
    json: bool,
}

impl Output {
    fn line(&self, text: &str, json: serde_json::Value) {
        if self.json {
            println!("{json}");
        } else {
            println!("{text}");
        }
    }

    fn error(&self, message: &str) {
        if self.json {
            println!("{}", json!({"event": "error", "message": message}));
        } else {
            eprintln!("reelcast: {message}");
        }
    }

    fn fatal(&self, message: &str, code: i32) -> i32 {
        self.error(message);
        code
    }
}

#[cfg(test)]
mod tests {
    use super::share_name;

    #[test]
    fn the_default_name_is_the_file_name() {
        assert_eq!(share_name("/home/me/Videos/holiday.webm"), "holiday.webm");
        assert_eq!(share_name("holiday.webm"), "holiday.webm");
        assert_eq!(share_name("file:///tmp/My%20Film.mkv"), "My Film.mkv");
        assert_eq!(
            share_name("https://example.org/v/clip.mp4?token=1"),
            "clip.mp4"
        );
        assert_eq!(share_name("what?#100%25.webm"), "what?#100%25.webm");
        assert_eq!(share_name("file:///a+b&c%zz.webm"), "a+b&c%zz.webm");
        assert_eq!(share_name(""), "Reelcast");
    }
}
