//! Follows a capture stream's tracks into the share's inputs (the web's `replaceTrack()`).

use std::sync::Weak;

use super::command::Command;
use super::input::Inputs;
use crate::capture::CaptureEvent;
use crate::media::MediaKind;

/// Runs on its own thread for as long as the stream and the share live.
pub(crate) fn follow_tracks(
    events: flume::Receiver<CaptureEvent>,
    inputs: Weak<Inputs>,
    pipeline: gst::glib::WeakRef<gst::Pipeline>,
    commands: flume::Sender<Command>,
) {
    while let Ok(event) = events.recv() {
        let (Some(inputs), Some(pipeline)) = (inputs.upgrade(), pipeline.upgrade()) else {
            return;
        };
        let kind = event.track().kind();
        let input = inputs.of(kind);
        let video = kind == MediaKind::Video;
        // Sending fails only once the share stopped, and then there is nothing to do.
        match event {
            CaptureEvent::TrackAdded(track) => {
                // replaceTrack(): the viewers' senders stay; a new picture starts whole.
                input.feed(&track, &pipeline);
                let _ = commands.send(Command::TracksChanged);
                if video {
                    let _ = commands.send(Command::RequestKeyframes);
                }
            }
            CaptureEvent::Ended(track) => {
                input.unfeed(&track);
                let _ = commands.send(Command::TracksChanged);
            }
            // Resumed after a pause: the viewers' decoders restart from a keyframe.
            CaptureEvent::Unmuted(_) if video => {
                let _ = commands.send(Command::RequestKeyframes);
            }
            _ => {}
        }
    }
}
