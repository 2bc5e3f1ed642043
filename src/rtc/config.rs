//! What a share is asked to do: codecs, bitrates, ICE servers, limits and timeouts.

use std::path::PathBuf;
use std::time::Duration;

use super::codec::Codec;
use super::input::VideoLimits;
use super::simulcast::Simulcast;

/// How a [`super::Share`] sends: the choices a person (or a test) makes before it starts.
#[derive(Debug, Clone)]
pub struct ShareConfig {
    /// The video codec offered first; viewers may answer with another we support.
    pub video_codec: Codec,
    /// Video bitrate bounds and start, in bits per second.
    pub max_video_bitrate: u32,
    pub min_video_bitrate: u32,
    pub start_video_bitrate: u32,
    pub audio_bitrate: u32,
    /// `stun://host:port`; none by default, so nothing leaves the network unasked.
    pub stun_server: Option<String>,
    /// `turn(s)://user:password@host:port` each.
    pub turn_servers: Vec<String>,
    /// A viewer that sends no RTCP for this long is gone. Receivers send a report every few
    /// seconds (RFC 3550 allows up to 7.5 s between them), so this must be well above that.
    pub viewer_timeout: Duration,
    /// A viewer whose connection is not up this long after it joined is removed (a failure):
    /// ICE found no path, or DTLS never finished. Without it such a viewer would hold its
    /// place, its webrtcbin and its ports for ever.
    pub connect_timeout: Duration,
    pub max_viewers: usize,
    /// Video size and frame rate sent at most (scaled and dropped once for all encoders).
    pub limits: VideoLimits,
    /// Whether a publication to an SFU or media server offers every rung (simulcast).
    pub simulcast: Simulcast,
    /// How long the video rung a joiner starts on runs with nobody watching, from when the
    /// share's media is first captured, so that the first viewers get a keyframe from a
    /// running encoder; zero leaves it parked. The encoders are built then either way.
    pub first_viewers_grace: Duration,
    /// A folder each viewer's controller writes its inputs to (see `rtc::control`); by
    /// default the one `REELCAST_CONTROLLER_TRACE` names, if any.
    pub controller_trace: Option<PathBuf>,
}

impl Default for ShareConfig {
    fn default() -> Self {
        Self {
            video_codec: Codec::Vp8,
            max_video_bitrate: 2_500_000,
            min_video_bitrate: 200_000,
            start_video_bitrate: 1_500_000,
            audio_bitrate: 64_000,
            stun_server: None,
            turn_servers: Vec::new(),
            viewer_timeout: Duration::from_secs(15),
            // A join takes well under a second on a LAN and a few through TURN; a connection
            // not up by then is said and (for an SFU or WHIP endpoint) tried again.
            connect_timeout: Duration::from_secs(15),
            max_viewers: 16,
            // Real-time encoding above 1080p30 is beyond most desktops, and beyond most
            // viewers' downlinks.
            limits: VideoLimits {
                max_height: Some(1080),
                max_frame_rate: Some(30),
            },
            simulcast: Simulcast::On,
            // The moments when people open a link just sent to them; it costs one small
            // encoder's CPU for that long (see rtc::warm).
            first_viewers_grace: Duration::from_secs(20),
            controller_trace: std::env::var_os(super::control::TRACE_VAR).map(PathBuf::from),
        }
    }
}
