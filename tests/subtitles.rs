//! Subtitles, checked by pixels: in what the capture gets (what viewers are sent) and at a
//! Chromium viewer. The test media is a dark picture with white text in the lower third.

mod common;

use std::time::Duration;

use common::{bright_in_lower_third, subtitled, wait_for};
use gst::prelude::*;
use reelcast::capture::{CaptureEvent, CapturedSample};
use reelcast::media::{
    AudioOutput, MediaKind, Player, PlayerEvent, PlayerOptions, SubtitleState, VideoOutput,
};

const DEADLINE: Duration = Duration::from_secs(10);
/// "MMMMMMMM" lights more points than this; "I" fewer.
const TEXT: usize = 40;

fn wait_subtitles(events: &flume::Receiver<PlayerEvent>, what: &str) -> SubtitleState {
    wait_for(events, DEADLINE, what, |e| match e {
        PlayerEvent::Subtitles(state) => Some(state.clone()),
        PlayerEvent::Error(e) => panic!("unexpected error: {e}"),
        _ => None,
    })
}

/// Waits for a captured frame whose lower third has a bright count that `ok` accepts.
fn frame_until(samples: &flume::Receiver<CapturedSample>, what: &str, ok: impl Fn(usize) -> bool) {
    let mut last = None;
    let found = common::wait_for_opt(samples, DEADLINE, |s| {
        let bright = bright_in_lower_third(&s.buffer, &s.caps);
        last = Some(bright);
        ok(bright).then_some(())
    });
    assert!(
        found.is_some(),
        "no captured frame with {what}; last had {last:?} bright points"
    );
}

fn captured_video(
    player: &Player,
) -> (
    reelcast::capture::MediaStream,
    flume::Receiver<CapturedSample>,
) {
    let stream = player.capture_stream();
    let capture_events = stream.subscribe();
    let live = stream
        .tracks()
        .into_iter()
        .find(|t| t.kind() == MediaKind::Video);
    let track = live.unwrap_or_else(|| {
        wait_for(&capture_events, DEADLINE, "a video track", |e| match e {
            CaptureEvent::TrackAdded(t) if t.kind() == MediaKind::Video => Some(t.clone()),
            _ => None,
        })
    });
    let samples = track.samples(64);
    (stream, samples)
}

/// A player whose local display is an appsink standing for the window, and that display's
/// frames.
fn player_with_display() -> (Player, flume::Receiver<CapturedSample>) {
    reelcast::init().unwrap();
    let display = gst_app::AppSink::builder().name("test-display").build();
    display.set_sync(true);
    let (tx, rx) = flume::bounded(64);
    display.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let (Some(buffer), Some(caps)) = (sample.buffer_owned(), sample.caps_owned())
                else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let _ = tx.try_send(CapturedSample {
                    buffer,
                    caps,
                    timestamp: gst::ClockTime::ZERO,
                    duration: None,
                    position: None,
                });
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    let player = Player::new(PlayerOptions {
        video: VideoOutput::Sink(display.upcast()),
        audio: AudioOutput::Discard,
    })
    .unwrap();
    (player, rx)
}

#[test]
fn subtitles_reach_the_capture_as_chosen_and_stay_local_when_asked() {
    let media = subtitled(20, (320, 240));
    let (player, display) = player_with_display();
    let events = player.subscribe();

    // The .srt next to the video shows by itself.
    player.open(media.with_sidecar.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let state = wait_subtitles(&events, "the sidecar's track");
    assert_eq!(state.tracks.len(), 1, "{state:?}");
    assert_eq!(state.shown, Some(0));
    assert!(state.tracks[0]
        .file
        .as_deref()
        .unwrap()
        .ends_with("movie.srt"));
    let (_stream, samples) = captured_video(&player);
    frame_until(&samples, "the sidecar's text", |n| n > TEXT);
    frame_until(&display, "the sidecar's text on the display", |n| n > TEXT);
    // Kept local: the window's overlay draws them, the capture has none.
    player.set_share_subtitles(false);
    // The source starts again where it is, so that the other overlay sets itself up.
    wait_subtitles(&events, "the subtitles moved");
    frame_until(&samples, "no text while kept local", |n| n == 0);
    while display.try_recv().is_ok() {}
    frame_until(&display, "the text on the display, kept local", |n| {
        n > TEXT
    });
    player.set_share_subtitles(true);
    // The source starts again where it is, so that the other overlay sets itself up.
    wait_subtitles(&events, "the subtitles moved");
    frame_until(&samples, "the text shared again", |n| n > TEXT);

    // Embedded tracks: the first plays; the one chosen replaces it; off shows none.
    player.open(media.two_tracks.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let state = wait_subtitles(&events, "the embedded tracks");
    let described: Vec<_> = state
        .tracks
        .iter()
        .map(|t| (t.language.as_deref(), t.title.as_deref()))
        .collect();
    assert_eq!(
        described,
        [(Some("en"), Some("Dot")), (Some("fr"), Some("Ems"))]
    );
    assert_eq!(state.shown, Some(0));
    let (_stream, samples) = captured_video(&player);
    frame_until(&samples, "the first track's I", |n| n > 0 && n < TEXT);
    player.select_subtitles(Some(1)).unwrap();
    assert_eq!(wait_subtitles(&events, "track 1 chosen").shown, Some(1));
    frame_until(&samples, "the chosen track's text", |n| n > TEXT);

    player.select_subtitles(None).unwrap();
    assert_eq!(wait_subtitles(&events, "subtitles off").shown, None);
    frame_until(&samples, "no text with subtitles off", |n| n == 0);

    // A file loaded while it plays becomes its subtitles, where it was.
    player
        .load_subtitles(media.sidecar.to_str().unwrap())
        .unwrap();
    let state = wait_subtitles(&events, "the loaded file");
    assert_eq!(state.tracks.len(), 3, "{state:?}");
    assert!(
        state.tracks[state.shown.unwrap()].file.is_some(),
        "{state:?}"
    );
    let (_stream, samples) = captured_video(&player);
    frame_until(&samples, "the loaded file's text", |n| n > TEXT);
}

#[test]
fn a_missing_or_wrong_subtitle_file_is_refused_by_name() {
    let media = subtitled(2, (160, 120));
    let player = Player::new(PlayerOptions::headless()).unwrap();
    player.open(media.two_tracks.to_str().unwrap()).unwrap();
    let missing = media.sidecar.with_file_name("absent.srt");
    let e = player
        .load_subtitles(missing.to_str().unwrap())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: no such file", missing.display())
    );
    let e = player
        .load_subtitles(media.two_tracks.to_str().unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("not a subtitle file"), "{e}");
}

/// Waits for a stats line of the Chromium viewer whose lower third has a bright count that
/// `ok` accepts.
fn viewer_until(browser: &common::peers::Peer, what: &str, ok: impl Fn(u64) -> bool) {
    let mut last = None;
    let found = common::wait_for_opt(&browser.lines, Duration::from_secs(30), |line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let bright = v.get("brightLower")?.as_u64()?;
        last = Some(bright);
        ok(bright).then_some(())
    });
    assert!(
        found.is_some(),
        "the viewer never showed {what}; last frame had {last:?} bright points"
    );
}

#[test]
fn a_chromium_viewer_sees_the_subtitles_the_person_sees() {
    common::net::assert_private_network();
    let _serial = common::one_at_a_time();
    let media = subtitled(40, (640, 360));
    let player = Player::new(PlayerOptions::headless()).unwrap();
    let events = player.subscribe();
    let sharing = common::share(&player, "subtitles", None);
    let sharing_events = sharing.subscribe();
    player.open(media.with_sidecar.to_str().unwrap()).unwrap();
    player.play().unwrap();
    wait_subtitles(&events, "the sidecar's track");
    wait_for(
        &sharing_events,
        Duration::from_secs(30),
        "registered",
        |e| matches!(e, reelcast::sharing::SharingEvent::Registered { .. }).then_some(()),
    );
    let url = sharing.viewer_url().unwrap().to_owned();
    let browser = common::peers::browser_viewers_with(
        common::peers::ViewerKind::Page,
        &url,
        1,
        &["--bright-lower"],
    );

    // The sidecar .srt, burned into what the viewer gets; then off.
    viewer_until(&browser, "the sidecar's text", |n| n > 4 * TEXT as u64);
    player.select_subtitles(None).unwrap();
    assert_eq!(wait_subtitles(&events, "subtitles off").shown, None);
    viewer_until(&browser, "no text with subtitles off", |n| n < 5);

    // A file with tracks of its own: off stays off; the first shows a thin "I", the one
    // chosen then its text.
    player.open(media.two_tracks.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let state = wait_subtitles(&events, "the embedded tracks");
    assert_eq!((state.tracks.len(), state.shown), (2, None), "{state:?}");
    player.select_subtitles(Some(0)).unwrap();
    viewer_until(&browser, "the first track's I", |n| {
        n > 0 && n < 2 * TEXT as u64
    });
    player.select_subtitles(Some(1)).unwrap();
    viewer_until(&browser, "the chosen track's text", |n| n > 4 * TEXT as u64);
}
