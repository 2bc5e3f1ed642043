//! The codecs we send, and how each is encoded and packetised.

use std::str::FromStr;

use gst::prelude::*;
use gst_rtp::prelude::*;

use super::build_error::BuildError;
use super::playout_delay::{PLAYOUT_DELAY_EXTENSION_ID, PLAYOUT_DELAY_URI};
use crate::media::MediaKind;

/// The transport-wide congestion control header extension, with the id our offers give it.
pub(crate) const TWCC_URI: &str =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
pub(crate) const TWCC_EXTENSION_ID: u8 = 3;

/// A codec Reelcast sends. Each has a fixed RTP payload type in our offers, so the payloader
/// can be set up before any viewer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Vp8,
    Vp9,
    H264,
    Opus,
}

impl Codec {
    pub const VIDEO: [Codec; 3] = [Codec::Vp8, Codec::Vp9, Codec::H264];
    pub const ALL: [Codec; 4] = [Codec::Vp8, Codec::Vp9, Codec::H264, Codec::Opus];

    /// Every codec of `kind` we can send, in our order of preference.
    pub fn of_kind(kind: MediaKind) -> impl Iterator<Item = Codec> {
        Self::ALL.into_iter().filter(move |c| c.kind() == kind)
    }

    /// The GStreamer element that encodes this codec.
    pub(crate) fn encoder_factory(self) -> &'static str {
        match self {
            Codec::Vp8 => "vp8enc",
            Codec::Vp9 => "vp9enc",
            Codec::H264 => "x264enc",
            Codec::Opus => "opusenc",
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            Codec::Opus => MediaKind::Audio,
            _ => MediaKind::Video,
        }
    }

    /// The encoding name as SDP writes it.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Vp8 => "VP8",
            Codec::Vp9 => "VP9",
            Codec::H264 => "H264",
            Codec::Opus => "OPUS",
        }
    }

    pub fn payload_type(self) -> i32 {
        match self {
            Codec::Vp8 => 96,
            Codec::Vp9 => 98,
            Codec::H264 => 102,
            Codec::Opus => 111,
        }
    }

    fn clock_rate(self) -> i32 {
        match self {
            Codec::Opus => 48000,
            _ => 90000,
        }
    }

    /// Finds a codec by its SDP encoding name (case-insensitive).
    pub fn from_encoding_name(name: &str) -> Option<Codec> {
        Self::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name))
    }

    /// What we put in an offer for this codec: one structure of a transceiver's
    /// codec-preferences, with the feedback we support (NACK, PLI, FIR, REMB).
    pub(crate) fn rtp_caps_structure(self) -> gst::Structure {
        let mut s = gst::Structure::builder("application/x-rtp")
            .field("media", self.kind().as_str())
            .field("encoding-name", self.encoding_name())
            .field("payload", self.payload_type())
            .field("clock-rate", self.clock_rate())
            .build();
        match self {
            Codec::Opus => {
                s.set("encoding-params", "2");
                s.set("minptime", "10");
                s.set("useinbandfec", "1");
            }
            _ => {
                s.set("rtcp-fb-nack", true);
                s.set("rtcp-fb-nack-pli", true);
                s.set("rtcp-fb-ccm-fir", true);
                s.set("rtcp-fb-goog-remb", true);
                // Transport-wide congestion control: per-packet arrival feedback, which the
                // viewer's estimator (rtpgccbwe) turns into the rate its link carries.
                s.set("rtcp-fb-transport-cc", true);
                s.set(format!("extmap-{TWCC_EXTENSION_ID}").as_str(), TWCC_URI);
                // How late to play, where the controller says so (`rtc::playout_delay`).
                s.set(
                    format!("extmap-{PLAYOUT_DELAY_EXTENSION_ID}").as_str(),
                    PLAYOUT_DELAY_URI,
                );
            }
        }
        if self == Codec::H264 {
            s.set("packetization-mode", "1");
            s.set("profile-level-id", "42e01f");
            s.set("level-asymmetry-allowed", "1");
        }
        s
    }

    /// `encoder ! [capsfilter] ! payloader`, ready to link; the first element takes raw media.
    /// The payloader sends as `ssrc`.
    pub(crate) fn make_chain(
        self,
        bitrate: u32,
        ssrc: u32,
    ) -> Result<Vec<gst::Element>, BuildError> {
        let mut chain = self.make_encoder(bitrate)?;
        chain.push(self.make_payloader(ssrc)?);
        Ok(chain)
    }

    /// `encoder ! [capsfilter]`, ready to link; the first element takes raw media.
    pub(crate) fn make_encoder(self, bitrate: u32) -> Result<Vec<gst::Element>, BuildError> {
        let mut chain = Vec::new();
        match self {
            Codec::Vp8 | Codec::Vp9 => {
                let enc = make(self.encoder_factory())?;
                // Real time: encode each frame as fast as possible, no look-ahead; keyframes
                // come on demand (viewer joins, PLI), with a long interval as a safety net.
                enc.set_property("deadline", 1i64);
                enc.set_property("cpu-used", 8i32);
                enc.set_property("lag-in-frames", 0i32);
                // One thread until the picture's size says more pay (see set_size).
                enc.set_property("threads", 1i32);
                enc.set_property_from_str("end-usage", "cbr");
                enc.set_property("target-bitrate", bitrate as i32);
                enc.set_property("keyframe-max-dist", 300i32);
                enc.set_property_from_str("error-resilient", "default");
                if self == Codec::Vp9 {
                    enc.set_property("row-mt", true);
                }
                chain.push(enc);
            }
            Codec::H264 => {
                let enc = make(self.encoder_factory())?;
                enc.set_property_from_str("tune", "zerolatency");
                enc.set_property_from_str("speed-preset", "ultrafast");
                enc.set_property("bitrate", (bitrate / 1000).max(1));
                enc.set_property("key-int-max", 300u32);
                chain.push(enc);
                // Browsers all decode constrained baseline.
                let filter = make("capsfilter")?;
                filter.set_property(
                    "caps",
                    gst::Caps::from_str(
                        "video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au",
                    )
                    .unwrap(),
                );
                chain.push(filter);
            }
            Codec::Opus => {
                chain.push(make("audioconvert")?);
                chain.push(make("audioresample")?);
                let enc = make(self.encoder_factory())?;
                enc.set_property("bitrate", bitrate as i32);
                // As browsers send: quiet passages and silence cost a fraction of the upload.
                enc.set_property_from_str("bitrate-type", "vbr");
                enc.set_property("inband-fec", true);
                chain.push(enc);
            }
        }
        Ok(chain)
    }

    /// The payloader, sending as `ssrc`. Video payloaders write the transport-wide sequence
    /// number extension that congestion control needs.
    pub(crate) fn make_payloader(self, ssrc: u32) -> Result<gst::Element, BuildError> {
        let pay = match self {
            Codec::Vp8 => make("rtpvp8pay")?,
            Codec::Vp9 => make("rtpvp9pay")?,
            Codec::H264 => {
                let pay = make("rtph264pay")?;
                pay.set_property("config-interval", -1i32);
                // Each NAL unit in its own packet: aggregated ("zero-latency"), the SPS and
                // PPS before each IDR reached Chromium as a 40-byte frame of their own, which
                // its decoder refused; it asked for a keyframe at once, and got the same again
                // (a keyframe every ~530 ms for everyone on the rung).
                pay.set_property_from_str("aggregate-mode", "none");
                pay
            }
            Codec::Opus => make("rtpopuspay")?,
        };
        if matches!(self, Codec::Vp8 | Codec::Vp9) {
            pay.set_property_from_str("picture-id-mode", "15-bit");
        }
        pay.set_property("pt", self.payload_type() as u32);
        pay.set_property("ssrc", ssrc);
        pay.set_property("mtu", 1200u32);
        if self.kind() == MediaKind::Video {
            let twcc = gst_rtp::RTPHeaderExtension::create_from_uri(TWCC_URI)
                .ok_or_else(|| BuildError::MissingElement("rtphdrexttwcc".into()))?;
            twcc.set_id(TWCC_EXTENSION_ID as u32);
            pay.emit_by_name::<()>("add-extension", &[&twcc]);
        }
        Ok(pay)
    }

    /// Tunes the encoder for pictures of `width` x `height`. libvpx's second thread only
    /// pays above 720p: at 720p30 on two cores it took one VP8 encode from 36 % to 58 % of a
    /// core, and three rungs at once from 66 % to 195 % (its threads wait by spinning).
    pub(crate) fn set_size(self, encoder: &gst::Element, width: u32, height: u32) {
        if matches!(self, Codec::Vp8 | Codec::Vp9) {
            let threads = if width * height > 1280 * 720 { 2i32 } else { 1 };
            encoder.set_property("threads", threads);
        }
    }

    /// Sets the target bitrate of this codec's encoder, in bits per second.
    pub(crate) fn set_bitrate(self, encoder: &gst::Element, bitrate: u32) {
        match self {
            Codec::Vp8 | Codec::Vp9 => encoder.set_property("target-bitrate", bitrate as i32),
            Codec::H264 => encoder.set_property("bitrate", (bitrate / 1000).max(1)),
            Codec::Opus => encoder.set_property("bitrate", bitrate as i32),
        }
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Codec::Vp8 => "vp8",
            Codec::Vp9 => "vp9",
            Codec::H264 => "h264",
            Codec::Opus => "opus",
        })
    }
}

impl FromStr for Codec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "vp8" => Ok(Codec::Vp8),
            "vp9" => Ok(Codec::Vp9),
            "h264" | "h.264" | "avc" => Ok(Codec::H264),
            "opus" => Ok(Codec::Opus),
            _ => Err(format!("unknown codec '{s}': use vp8, vp9, h264 or opus")),
        }
    }
}

pub(crate) fn make(factory: &str) -> Result<gst::Element, BuildError> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| BuildError::MissingElement(factory.to_owned()))
}

/// The SSRC each kind is sent with: the same for every viewer and every codec of the kind,
/// so that every offer can name it, even the first, made before any encoder runs. Janus drops
/// packets of an SSRC the offer did not name; Chromium refuses a later offer naming an SSRC it
/// already receives unnamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ssrcs {
    pub video: u32,
    pub audio: u32,
    /// The video's retransmissions (RTX), named in offers and given to `rtprtxsend`.
    pub video_rtx: u32,
    /// Each simulcast layer's SSRC and its retransmissions', by layer
    /// (`simulcast::LAYER_RUNGS`).
    pub layers: [(u32, u32); 3],
}

impl Ssrcs {
    pub(crate) fn random() -> Self {
        use std::hash::BuildHasher;
        // SSRCs need to be unlikely to collide, not secret.
        let state = std::collections::hash_map::RandomState::new();
        let value = |salt: &str| (state.hash_one(salt) as u32).max(1);
        Self {
            video: value("video"),
            audio: value("audio"),
            video_rtx: value("video-rtx"),
            layers: [0, 1, 2].map(|i| {
                (
                    value(&format!("layer-{i}")),
                    value(&format!("layer-{i}-rtx")),
                )
            }),
        }
    }

    pub(crate) fn of(self, kind: MediaKind) -> u32 {
        match kind {
            MediaKind::Video => self.video,
            MediaKind::Audio => self.audio,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_builds_its_chain_and_names_round_trip() {
        gst::init().unwrap();
        for codec in Codec::ALL {
            let chain = codec.make_chain(500_000, 1234).unwrap();
            assert!(chain.len() >= 2, "{codec}");
            assert_eq!(
                Codec::from_encoding_name(codec.encoding_name()),
                Some(codec)
            );
            assert_eq!(codec.to_string().parse::<Codec>().unwrap(), codec);
        }
    }
}
