//! What a share is asked to be: the plain choices a front-end collects (the command line
//! from its arguments, the window from its settings) and the one builder that turns them
//! into sharing options, so defaults, limits and servers follow the same rules everywhere.

use std::net::IpAddr;

use crate::media::share_name;
use crate::rtc::{Codec, ShareConfig, Simulcast, VideoLimits};
use crate::signalling::{EmbeddedServerOptions, SignallingSecrets};

/// A person's choices for a share, as typed values and before any rule is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareChoices {
    /// A signalling server, SFU or WHIP endpoint; `None` runs the embedded default.
    pub signalling: Option<String>,
    /// The name viewers see; `None` or empty: the source's file name.
    pub name: Option<String>,
    /// What plays, for the default name.
    pub source: Option<String>,
    /// An extra CA certificate (PEM) for `wss://`.
    pub ca_file: Option<String>,
    /// Embedded server: address and ports (the next free port is used when one is taken).
    pub host: IpAddr,
    pub signalling_port: u16,
    pub http_port: u16,
    /// Offered first; viewers may pick another one Reelcast sends.
    pub video_codec: Codec,
    pub max_bitrate_kbps: u32,
    pub max_viewers: usize,
    /// 0: as the file.
    pub max_height: u32,
    /// 0: as the file.
    pub max_frame_rate: u32,
    /// `stun://host:port`; `None` or empty: none.
    pub stun: Option<String>,
    /// `turn://user:password@host:port` each; empty entries are skipped.
    pub turn: Vec<String>,
    /// Every rung to an SFU or media server that takes it, or one.
    pub simulcast: Simulcast,
    /// A Janus pin or WHIP token, from the environment or a file, never from arguments.
    pub secrets: SignallingSecrets,
}

/// The defaults are the lower layers' own: the embedded server's address and ports, the
/// share's codec, bitrate, viewer and size limits. The command line shows them in its help.
impl Default for ShareChoices {
    fn default() -> Self {
        let embedded = EmbeddedServerOptions::default();
        let config = ShareConfig::default();
        Self {
            signalling: None,
            name: None,
            source: None,
            ca_file: None,
            host: embedded.host,
            signalling_port: embedded.signalling_port,
            http_port: embedded.http_port,
            video_codec: config.video_codec,
            max_bitrate_kbps: config.max_video_bitrate / 1000,
            max_viewers: config.max_viewers,
            max_height: config.limits.max_height.unwrap_or(0),
            max_frame_rate: config.limits.max_frame_rate.unwrap_or(0),
            stun: config.stun_server,
            turn: config.turn_servers,
            simulcast: config.simulcast,
            secrets: SignallingSecrets::default(),
        }
    }
}

/// Everything [`super::Sharing::start`] needs.
#[derive(Debug, Clone)]
pub struct SharingOptions {
    /// A signalling server to join; `None` runs the embedded default.
    pub signalling: Option<String>,
    /// What viewers see in the list of shares.
    pub name: String,
    /// An extra CA certificate (PEM) for `wss://`.
    pub ca_file: Option<String>,
    pub embedded: EmbeddedServerOptions,
    pub config: ShareConfig,
    /// Unset ones are read from the environment ([`crate::signalling::WHIP_TOKEN_VARIABLE`],
    /// [`crate::signalling::JANUS_PIN_VARIABLE`]).
    pub secrets: SignallingSecrets,
}

impl From<&ShareChoices> for SharingOptions {
    fn from(choices: &ShareChoices) -> Self {
        let name = choices
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| share_name(choices.source.as_deref().unwrap_or("")));
        let positive = |v: u32| (v > 0).then_some(v);
        let max_bitrate = choices.max_bitrate_kbps.saturating_mul(1000);
        // Only a video codec can be offered first.
        let video_codec = if Codec::VIDEO.contains(&choices.video_codec) {
            choices.video_codec
        } else {
            Codec::Vp8
        };
        Self {
            signalling: choices.signalling.clone(),
            name,
            ca_file: choices.ca_file.clone(),
            embedded: EmbeddedServerOptions {
                host: choices.host,
                signalling_port: choices.signalling_port,
                http_port: choices.http_port,
            },
            config: ShareConfig {
                video_codec,
                max_video_bitrate: max_bitrate,
                // The start is the share's default, below a lower maximum.
                start_video_bitrate: max_bitrate.min(ShareConfig::default().start_video_bitrate),
                stun_server: choices
                    .stun
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                turn_servers: choices
                    .turn
                    .iter()
                    .map(|t| t.trim())
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                max_viewers: choices.max_viewers,
                simulcast: choices.simulcast,
                limits: VideoLimits {
                    max_height: positive(choices.max_height),
                    max_frame_rate: positive(choices.max_frame_rate),
                },
                ..ShareConfig::default()
            },
            secrets: choices.secrets.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_share_on_this_computer_within_1080p30() {
        let options = SharingOptions::from(&ShareChoices {
            source: Some("/videos/holiday.webm".into()),
            ..ShareChoices::default()
        });
        assert_eq!(options.signalling, None);
        assert_eq!(options.name, "holiday.webm");
        assert_eq!(options.embedded.host.to_string(), "127.0.0.1");
        assert_eq!(options.embedded.signalling_port, 8443);
        assert_eq!(options.config.video_codec, Codec::Vp8);
        assert_eq!(options.config.max_video_bitrate, 2_500_000);
        assert_eq!(options.config.start_video_bitrate, 1_500_000);
        assert_eq!(options.config.max_viewers, 16);
        assert_eq!(options.config.limits.max_height, Some(1080));
        assert_eq!(options.config.limits.max_frame_rate, Some(30));
        assert_eq!(options.config.stun_server, None);
        assert!(options.config.turn_servers.is_empty());
    }

    #[test]
    fn zero_limits_mean_as_the_file_and_blank_servers_mean_none() {
        let options = SharingOptions::from(&ShareChoices {
            name: Some("  ".into()),
            max_height: 0,
            max_frame_rate: 0,
            max_bitrate_kbps: 800,
            stun: Some(" ".into()),
            turn: vec!["".into(), "turn://u:p@10.0.0.1:3478".into()],
            video_codec: Codec::Opus,
            ..ShareChoices::default()
        });
        assert_eq!(options.name, "Reelcast", "a blank name falls back");
        assert_eq!(options.config.limits, VideoLimits::default());
        assert_eq!(options.config.max_video_bitrate, 800_000);
        assert_eq!(
            options.config.start_video_bitrate, 800_000,
            "never above the top"
        );
        assert_eq!(options.config.stun_server, None);
        assert_eq!(options.config.turn_servers, ["turn://u:p@10.0.0.1:3478"]);
        assert_eq!(
            options.config.video_codec,
            Codec::Vp8,
            "audio is not offered first"
        );
    }
}
