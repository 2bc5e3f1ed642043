//! What the current source's streams are, read from playbin's properties, tags and the
//! decoded caps once it prerolled.

use std::sync::Arc;

use gst::prelude::*;

use super::events::{MediaKind, StreamInfo};
use super::output::OutputBranch;

/// The streams playbin renders: the video stream, then every audio stream.
pub(crate) fn stream_infos(
    playbin: &gst::Pipeline,
    outputs: &[Arc<OutputBranch>; 2],
) -> Vec<StreamInfo> {
    let mut infos = Vec::new();
    let n_video = playbin.property::<i32>("n-video");
    let n_audio = playbin.property::<i32>("n-audio");
    if n_video > 0 {
        let tags = tags(
            playbin,
            "get-video-tags",
            playbin.property::<i32>("current-video"),
        );
        let caps = outputs[0].decoded_caps();
        let s = caps
            .as_ref()
            .and_then(|c| c.structure(0).map(|s| s.to_owned()));
        infos.push(StreamInfo {
            kind: MediaKind::Video,
            codec: tag_string::<gst::tags::VideoCodec>(&tags),
            language: tag_string::<gst::tags::LanguageCode>(&tags),
            size: s
                .as_ref()
                .and_then(|s| Some((s.get::<i32>("width").ok()?, s.get::<i32>("height").ok()?))),
            frame_rate: s
                .as_ref()
                .and_then(|s| s.get::<gst::Fraction>("framerate").ok())
                .map(|f| f.numer() as f64 / f.denom().max(1) as f64),
            rate: None,
            channels: None,
        });
    }
    let current_audio = playbin.property::<i32>("current-audio");
    for index in 0..n_audio {
        let tags = tags(playbin, "get-audio-tags", index);
        // Only the stream playing now has decoded caps.
        let s = if index == current_audio {
            outputs[1]
                .decoded_caps()
                .and_then(|c| c.structure(0).map(|s| s.to_owned()))
        } else {
            None
        };
        infos.push(StreamInfo {
            kind: MediaKind::Audio,
            codec: tag_string::<gst::tags::AudioCodec>(&tags),
            language: tag_string::<gst::tags::LanguageCode>(&tags),
            size: None,
            frame_rate: None,
            rate: s.as_ref().and_then(|s| s.get::<i32>("rate").ok()),
            channels: s.as_ref().and_then(|s| s.get::<i32>("channels").ok()),
        });
    }
    infos
}

fn tags(playbin: &gst::Pipeline, signal: &str, index: i32) -> Option<gst::TagList> {
    playbin.emit_by_name::<Option<gst::TagList>>(signal, &[&index])
}

fn tag_string<'a, T: gst::tags::Tag<'a, TagType = &'a str>>(
    tags: &'a Option<gst::TagList>,
) -> Option<String> {
    tags.as_ref()?.get::<T>().map(|v| v.get().to_owned())
}
