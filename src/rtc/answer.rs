//! Reading a viewer's answer: which of our codecs it takes for each m-line.

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
