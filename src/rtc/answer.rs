//! Reading a viewer's answer: which of our codecs it takes for each m-line, and whether it
//! takes RTX and FEC for its video.

use super::codec::Codec;
use crate::media::MediaKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is not valid SDP")]
    NotSdp,
}

pub(crate) fn parse_sdp(sdp: &str) -> Result<gst_sdp::SDPMessage, AnswerError> {
    // GStreamer's parser asserts (a g_critical) on an empty buffer: refuse it first.
    if sdp.trim().is_empty() {
        return Err(AnswerError::Empty);
    }
    gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes()).map_err(|_| AnswerError::NotSdp)
}

/// For each of our m-lines (of these kinds, in order), the codec the answer accepts.
pub(crate) fn codecs_in(
    message: &gst_sdp::SDPMessageRef,
    kinds: &[MediaKind],
) -> Vec<Option<Codec>> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            message
                .media(i as u32)
                .and_then(|sdp_media| pick_codec(sdp_media, *kind))
        })
        .collect()
}

/// What a viewer's answer accepts, read the way the share reads it: for each of our m-lines
/// (of these kinds), the codec to send, or `None`. Never panics on any input.
#[cfg(feature = "fuzzing")]
pub fn answer_codecs(sdp: &str, kinds: &[MediaKind]) -> Result<Vec<Option<Codec>>, AnswerError> {
    let message = parse_sdp(sdp)?;
    Ok(codecs_in(&message, kinds))
}

/// The first format of an answered m-line that we can send, if the m-line is still active.
fn pick_codec(media: &gst_sdp::SDPMediaRef, kind: MediaKind) -> Option<Codec> {
    if media.port() == 0 {
        return None;
    }
    (0..media.formats_len()).find_map(|i| {
        let pt: i32 = media.format(i)?.parse().ok()?;
        let by_name = media.attributes().find_map(|a| {
            if a.key() != "rtpmap" {
                return None;
            }
            let value = a.value()?;
            let (num, rest) = value.split_once(' ')?;
            (num.parse::<i32>().ok()? == pt)
                .then(|| Codec::from_encoding_name(rest.split('/').next()?))
                .flatten()
        });
        by_name.filter(|c| c.kind() == kind && c.payload_type() == pt)
    })
}

/// Whether an answer takes ULPFEC (in RED) for its video.
pub(crate) fn takes_video_fec(answer: &str) -> bool {
    answer
        .split("\nm=")
        .filter(|section| section.starts_with("video"))
        .any(|section| {
            let has = |name: &str| {
                section
                    .lines()
                    .any(|l| l.starts_with("a=rtpmap:") && l.contains(name))
            };
            has(" ulpfec/") && has(" red/")
        })
}

/// Whether an answer takes RTX for its video, which probes are sent as. Whether the peer's
/// feedback can take them is the controller's to find out, whoever the peer is.
pub(crate) fn takes_video_rtx(answer: &str) -> bool {
    answer
        .split("\nm=")
        .filter(|section| section.starts_with("video"))
        .any(|section| {
            section
                .lines()
                .any(|l| l.starts_with("a=rtpmap:") && l.contains(" rtx/"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_takes_rtx_when_its_video_section_does_whoever_it_is() {
        let video = "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n";
        let rtx = "a=rtpmap:97 rtx/90000\r\n";
        let audio_rtx = "m=audio 9 UDP/TLS/RTP/SAVPF 111 98\r\na=rtpmap:98 rtx/48000\r\n";
        let chromium = format!("v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n{video}{rtx}");
        assert!(takes_video_rtx(&chromium));
        let firefox =
            format!("v=0\r\no=mozilla...THIS_IS_SDPARTA-153 1 0 IN IP4 0.0.0.0\r\n{video}{rtx}");
        assert!(takes_video_rtx(&firefox));
        let without_rtx = format!("v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n{video}{audio_rtx}");
        assert!(!takes_video_rtx(&without_rtx));
    }

    #[test]
    fn a_peer_takes_fec_when_its_video_section_keeps_red_and_ulpfec() {
        let head = "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n";
        let video = "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\na=rtpmap:96 VP8/90000\r\n";
        let fec = "a=rtpmap:97 red/90000\r\na=rtpmap:98 ulpfec/90000\r\n";
        assert!(takes_video_fec(&format!("{head}{video}{fec}")));
        assert!(!takes_video_fec(&format!("{head}{video}")));
        let red_only = "a=rtpmap:97 red/90000\r\n";
        assert!(!takes_video_fec(&format!("{head}{video}{red_only}")));
        let audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111 97 98\r\na=rtpmap:111 opus/48000/2\r\n";
        assert!(!takes_video_fec(&format!("{head}{video}{audio}{fec}")));
    }
}
