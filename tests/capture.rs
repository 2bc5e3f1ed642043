//! The player and its captureStream(), against real files and real GStreamer pipelines.

mod common;

use std::time::Duration;

use common::{collect_for, media, wait_for};
use reelcast::capture::{CaptureEvent, CaptureTrack, CapturedSample, MediaStream, TrackState};
use reelcast::media::{
    AudioOutput, MediaKind, PlaybackState, Player, PlayerError, PlayerEvent, PlayerOptions,
    SeekMode, VideoOutput,
};

const DEADLINE: Duration = Duration::from_secs(10);

fn player() -> (Player, flume::Receiver<PlayerEvent>) {
    let player = Player::new(PlayerOptions::headless()).expect("player");
    let events = player.subscribe();
    (player, events)
}

fn wait_streams_known(events: &flume::Receiver<PlayerEvent>) -> Vec<reelcast::media::StreamInfo> {
    wait_for(events, DEADLINE, "streams known", |e| match e {
        PlayerEvent::StreamsKnown(s) => Some(s.clone()),
        PlayerEvent::Error(e) => panic!("unexpected error: {e}"),
        _ => None,
    })
}

fn wait_added(events: &flume::Receiver<CaptureEvent>, kind: MediaKind) -> CaptureTrack {
    wait_for(events, DEADLINE, &format!("a {kind} track"), |e| match e {
        CaptureEvent::TrackAdded(t) if t.kind() == kind => Some(t.clone()),
        _ => None,
    })
}

/// Waits until tracks of both kinds were added, in whatever order they come.
fn wait_av(events: &flume::Receiver<CaptureEvent>) -> (CaptureTrack, CaptureTrack) {
    let (mut video, mut audio) = (None, None);
    wait_for(events, DEADLINE, "video and audio tracks", |e| {
        if let CaptureEvent::TrackAdded(t) = e {
            match t.kind() {
                MediaKind::Video => video = Some(t.clone()),
                MediaKind::Audio => audio = Some(t.clone()),
            }
        }
        (video.is_some() && audio.is_some()).then_some(())
    });
    (video.unwrap(), audio.unwrap())
}

fn wait_samples(rx: &flume::Receiver<CapturedSample>, n: usize, what: &str) -> Vec<CapturedSample> {
    let mut got = Vec::new();
    while got.len() < n {
        got.push(wait_for(rx, DEADLINE, what, |s| Some(s.clone())));
    }
    got
}

fn video_size(sample: &CapturedSample) -> (i32, i32) {
    let s = sample.caps.structure(0).unwrap();
    (s.get("width").unwrap(), s.get("height").unwrap())
}

/// Opens and plays `path` with a capture started before, and returns its tracks.
fn play_captured(path: &std::path::Path) -> (Player, MediaStream, flume::Receiver<CaptureEvent>) {
    let (player, events) = player();
    let stream = player.capture_stream();
    let capture_events = stream.subscribe();
    player.open(path.to_str().unwrap()).unwrap();
    wait_streams_known(&events);
    player.play().unwrap();
    (player, stream, capture_events)
}

#[test]
fn an_av_file_gives_exactly_one_video_and_one_audio_track_with_frames() {
    let (player, stream, events) = play_captured(&media().av);
    let (video, audio) = wait_av(&events);
    let frames = video.samples(64);
    let sound = audio.samples(256);
    let got = wait_samples(&frames, 15, "video frames");
    assert_eq!(video_size(&got[0]), (320, 240));
    wait_samples(&sound, 15, "audio samples");
    assert_eq!(stream.tracks().len(), 2);
    assert!(
        video.label().contains("av.webm"),
        "label: {}",
        video.label()
    );
    assert_eq!(video.state(), TrackState::Live);
    assert!(!video.is_muted());
    assert!(
        !events
            .try_iter()
            .any(|e| matches!(e, CaptureEvent::TrackAdded(_))),
        "no further tracks"
    );
    drop(player);
}

#[test]
fn audio_only_and_video_only_files_give_only_their_kind() {
    for (path, kind) in [
        (&media().audio_only, MediaKind::Audio),
        (&media().video_only, MediaKind::Video),
    ] {
        let (player, events) = player();
        player.open(path.to_str().unwrap()).unwrap();
        let streams = wait_streams_known(&events);
        assert!(streams.iter().all(|s| s.kind == kind), "{streams:?}");
        let stream = player.capture_stream();
        let tracks = stream.tracks();
        assert_eq!(tracks.len(), 1, "{path:?}: {tracks:?}");
        assert_eq!(tracks[0].kind(), kind);
        assert!(tracks[0].is_muted(), "paused: muted");
    }
}

#[test]
fn no_source_means_no_tracks() {
    let (player, _events) = player();
    let stream = player.capture_stream();
    let events = stream.subscribe();
    assert!(stream.tracks().is_empty());
    assert!(collect_for(&events, Duration::from_millis(300)).is_empty());
}

#[test]
fn pause_mutes_and_stops_frames_and_resume_brings_them_back() {
    let (player, stream, events) = play_captured(&media().av);
    let (video, _audio) = wait_av(&events);
    let frames = video.samples(64);
    wait_for(&events, DEADLINE, "unmute on play", |e| {
        matches!(e, CaptureEvent::Unmuted(t) if t.kind() == MediaKind::Video).then_some(())
    });
    wait_samples(&frames, 5, "frames before pause");

    player.pause().unwrap();
    let mut muted = 0;
    wait_for(&events, DEADLINE, "both tracks muted", |e| {
        if let CaptureEvent::Muted(_) = e {
            muted += 1;
        }
        (muted == 2).then_some(())
    });
    assert!(stream.tracks().iter().all(|t| t.is_muted()));
    frames.drain();
    let while_paused = collect_for(&frames, Duration::from_millis(600));
    assert!(
        while_paused.is_empty(),
        "{} frames while paused",
        while_paused.len()
    );

    player.play().unwrap();
    wait_for(&events, DEADLINE, "unmute on resume", |e| {
        matches!(e, CaptureEvent::Unmuted(_)).then_some(())
    });
    wait_samples(&frames, 5, "frames after resume");
}

#[test]
fn seeking_keeps_the_tracks_and_timestamps_monotonic() {
    let (player, stream, events) = play_captured(&media().av);
    let (video, audio) = wait_av(&events);
    let frames = video.samples(512);
    let all_frames = video.samples(4096);
    let all_sound = audio.samples(8192);
    wait_samples(&frames, 10, "frames before seek");
    let player_events = player.subscribe();
    events.drain();

    player
        .seek(Duration::from_secs(4), SeekMode::Accurate)
        .unwrap();
    wait_for(&player_events, DEADLINE, "seek done", |e| {
        matches!(e, PlayerEvent::SeekDone(_)).then_some(())
    });
    let after = wait_samples(&frames, 10, "frames after seek");
    assert!(
        after.iter().any(|s| s.position.unwrap().seconds() >= 4),
        "frames come from after the seek target"
    );
    player.seek(Duration::from_secs(1), SeekMode::Fast).unwrap();
    wait_for(&player_events, DEADLINE, "second seek done", |e| {
        matches!(e, PlayerEvent::SeekDone(_)).then_some(())
    });
    wait_samples(&frames, 10, "frames after backward seek");

    let capture_events: Vec<_> = events.drain().collect();
    assert!(capture_events.is_empty(), "seek fired {capture_events:?}");
    assert_eq!(stream.tracks(), vec![video.clone(), audio.clone()]);
    for (what, rx) in [("video", &all_frames), ("audio", &all_sound)] {
        let stamps: Vec<_> = rx.drain().map(|s| s.timestamp).collect();
        assert!(stamps.len() > 5, "{what}: {} samples", stamps.len());
        assert!(
            stamps.windows(2).all(|w| w[0] < w[1]),
            "{what} timestamps go back: {stamps:?}"
        );
    }
}

#[test]
fn local_mute_and_zero_volume_do_not_silence_the_capture() {
    let (player, _stream, events) = play_captured(&media().av);
    let (_video, audio) = wait_av(&events);
    player.set_volume(0.0);
    player.set_muted(true);
    assert!(player.is_muted());
    assert_eq!(player.volume(), 0.0);
    let sound = audio.samples(256);
    let samples = wait_samples(&sound, 20, "audio while muted");
    let mut sum = 0.0f64;
    let mut count = 0usize;
    for s in &samples {
        let map = s.buffer.map_readable().unwrap();
        for chunk in map.as_slice().chunks_exact(4) {
            let v = f32::from_le_bytes(chunk.try_into().unwrap()) as f64;
            sum += v * v;
            count += 1;
        }
    }
    let rms = (sum / count as f64).sqrt();
    assert!(rms > 0.1, "captured audio is silent (rms {rms})");
}

#[test]
fn a_new_source_ends_the_old_tracks_and_adds_new_ones() {
    let (player, stream, events) = play_captured(&media().av);
    let (old_video, old_audio) = wait_av(&events);

    player.open(media().av_small.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let mut ended = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    wait_for(&events, DEADLINE, "old tracks ended, new ones added", |e| {
        match e {
            CaptureEvent::Ended(t) => ended.push(t.clone()),
            CaptureEvent::TrackRemoved(t) => removed.push(t.clone()),
            CaptureEvent::TrackAdded(t) => added.push(t.clone()),
            _ => {}
        }
        (added.len() == 2).then_some(())
    });
    for old in [&old_video, &old_audio] {
        assert!(ended.contains(old) && removed.contains(old));
        assert_eq!(old.state(), TrackState::Ended);
        assert!(old.appsink().is_none());
    }
    let new_video = stream.track(MediaKind::Video).unwrap();
    assert_ne!(new_video, old_video);
    let frames = new_video.samples(64);
    let got = wait_samples(&frames, 5, "frames from the new file");
    assert_eq!(video_size(&got[0]), (160, 120));
}

#[test]
fn end_of_stream_ends_the_tracks_and_loop_replaces_them() {
    let (player, stream, events) = play_captured(&media().short);
    let player_events = player.subscribe();
    let video = wait_added(&events, MediaKind::Video);
    wait_for(&player_events, DEADLINE, "end of stream", |e| {
        matches!(e, PlayerEvent::EndOfStream).then_some(())
    });
    wait_for(&events, DEADLINE, "video track ended", |e| {
        matches!(e, CaptureEvent::Ended(t) if *t == video).then_some(())
    });
    assert!(stream.tracks().is_empty());
    // Paused at the end, as a media element; playing again starts from the beginning.
    assert_eq!(player.state(), PlaybackState::Paused);

    player.set_looping(true);
    player.play().unwrap();
    let from = wait_for(&player_events, DEADLINE, "back at the start", |e| match e {
        PlayerEvent::SeekDone(position) => Some(*position),
        _ => None,
    });
    assert!(from < Duration::from_millis(100), "replayed from {from:?}");
    let replay = wait_added(&events, MediaKind::Video);
    assert_ne!(replay, video, "replaying creates new tracks");
    wait_for(&player_events, DEADLINE, "looped", |e| {
        matches!(e, PlayerEvent::Looped).then_some(())
    });
    let looped = wait_added(&events, MediaKind::Video);
    assert_ne!(looped, replay);
    wait_samples(&looped.samples(16), 3, "frames after the loop");
}

#[test]
fn stopping_one_track_removes_its_branch_and_nothing_else() {
    let (player, first, events) = play_captured(&media().av);
    let (video, audio) = wait_av(&events);
    let second = player.capture_stream();
    let other_video = second
        .track(MediaKind::Video)
        .expect("second capture has video");
    let other_frames = other_video.samples(64);
    let sound = audio.samples(256);
    let sink_name = video.appsink().unwrap().name();
    let bin = player.output(MediaKind::Video).bin().clone();
    use gst::prelude::*;
    assert!(bin.by_name(&sink_name).is_some());

    video.stop();
    assert_eq!(video.state(), TrackState::Ended);
    assert!(bin.by_name(&sink_name).is_none(), "branch removed");
    assert!(first.track(MediaKind::Video).is_none());
    let position = player.position().unwrap();
    other_frames.drain();
    wait_samples(&other_frames, 10, "the other capture's frames");
    sound.drain();
    wait_samples(&sound, 10, "this capture's audio");
    assert!(player.position().unwrap() > position, "playback goes on");
    let later = collect_for(&events, Duration::from_millis(300));
    assert!(
        !later
            .iter()
            .any(|e| matches!(e, CaptureEvent::TrackAdded(_))),
        "a stopped track does not come back for the same source"
    );
}

#[test]
fn bad_input_gives_a_clear_error_and_the_player_still_plays_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(
        &text,
        "these are not the frames you are looking for\n".repeat(50),
    )
    .unwrap();
    let random = dir.path().join("noise.webm");
    let noise = common::noise(200_000);
    std::fs::write(&random, noise).unwrap();
    let truncated = dir.path().join("truncated.mp4");
    let whole = std::fs::read(&media().mp4).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let missing = dir.path().join("missing.webm");

    let (player, events) = player();
    let stream = player.capture_stream();

    let err = player.open(missing.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PlayerError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.webm"), "{err}");
    let err = player.open(dir.path().to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PlayerError::IsDirectory { .. }), "{err:?}");

    for bad in [&text, &random, &truncated] {
        player.open(bad.to_str().unwrap()).unwrap();
        // A source that never prerolls is reported after 8 s (decodebin can swallow the
        // demuxer's own error on a loaded machine), hence the longer wait.
        let err = wait_for(
            &events,
            Duration::from_secs(20),
            &format!("an error for {bad:?}"),
            |e| match e {
                PlayerEvent::Error(err) => Some(err.clone()),
                _ => None,
            },
        );
        let message = err.to_string();
        assert!(
            message.contains(bad.to_str().unwrap()),
            "names the file: {message}"
        );
        assert!(
            matches!(
                err,
                PlayerError::UnknownFormat { .. } | PlayerError::Damaged { .. }
            ),
            "{bad:?}: {err:?}"
        );
    }
    assert!(stream.tracks().is_empty());

    let capture = stream.subscribe();
    player.open(media().av.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let video = wait_added(&capture, MediaKind::Video);
    wait_samples(
        &video.samples(16),
        5,
        "frames from a good file after errors",
    );
}

/// A player whose display sink holds its streaming thread on a frame, until the returned
/// sender is used (or 30 s): stopping, which waits for that thread, is stuck until then, as
/// it is behind a slow sink or a tee pad that does not go idle.
fn player_with_a_held_display() -> (Player, flume::Receiver<PlayerEvent>, flume::Sender<()>) {
    use gst::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    gst::init().unwrap();
    let file = &media().av;
    let display = gst_app::AppSink::builder().name("held-display").build();
    display.set_sync(true);
    let armed = Arc::new(AtomicBool::new(false));
    let (held_tx, held_rx) = flume::bounded(1);
    let (release_tx, release_rx) = flume::bounded::<()>(1);
    let hold = armed.clone();
    display.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let _ = sink.pull_sample();
                if hold.swap(false, Ordering::AcqRel) {
                    let _ = held_tx.send(());
                    let _ = release_rx.recv_timeout(Duration::from_secs(30));
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    let player = Player::new(PlayerOptions {
        video: VideoOutput::Sink(display.upcast()),
        audio: AudioOutput::Discard,
    })
    .unwrap();
    let events = player.subscribe();
    player.open(file.to_str().unwrap()).unwrap();
    wait_streams_known(&events);
    player.play().unwrap();
    wait_for(&events, DEADLINE, "playing", |e| {
        matches!(e, PlayerEvent::StateChanged(PlaybackState::Playing)).then_some(())
    });
    armed.store(true, Ordering::Release);
    held_rx
        .recv_timeout(DEADLINE)
        .expect("the display holds a frame");
    (player, events, release_tx)
}

#[test]
fn the_player_answers_at_once_while_its_control_thread_is_stuck_in_gstreamer() {
    use std::time::Instant;

    let (player, events, release_tx) = player_with_a_held_display();
    // What the window does on its main thread, while the control thread waits in
    // set_state(NULL) for the held streaming thread.
    let started = Instant::now();
    player.stop();
    let state = player.state();
    let _ = (
        player.position(),
        player.duration(),
        player.uri(),
        player.queue(),
    );
    let _ = (player.current_audio(), player.is_looping());
    player.set_volume(0.5);
    assert_eq!(player.volume(), 0.5);
    player.set_muted(true);
    assert!(player.is_muted());
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "the calls took {took:?} while the control thread was stuck"
    );
    assert_eq!(state, PlaybackState::Playing, "not stopped yet");
    assert!(
        !events
            .drain()
            .any(|e| matches!(e, PlayerEvent::StateChanged(PlaybackState::Stopped))),
        "the control thread was stuck all along"
    );

    release_tx.send(()).unwrap();
    wait_for(&events, DEADLINE, "stopped once released", |e| {
        matches!(e, PlayerEvent::StateChanged(PlaybackState::Stopped)).then_some(())
    });
    assert_eq!(player.state(), PlaybackState::Stopped);
}

#[test]
fn no_source_means_commands_are_refused_by_name() {
    let (player, _events) = player();
    assert!(matches!(player.play(), Err(PlayerError::NoSource)));
    assert!(matches!(
        player.seek(Duration::from_secs(1), SeekMode::Fast),
        Err(PlayerError::NoSource)
    ));
    assert!(matches!(player.select_audio(0), Err(PlayerError::NoSource)));
    assert!(matches!(
        player.open_queue::<&str>(&[]),
        Err(PlayerError::NothingToOpen)
    ));
}

/// Closing the window (dropping the player) while GStreamer never lets its control thread
/// go: the drop gives up on that thread after its deadline instead of hanging the app.
#[test]
fn a_player_stuck_in_gstreamer_is_dropped_after_a_deadline() {
    let (player, events, release_tx) = player_with_a_held_display();
    let (dropped_tx, dropped_rx) = flume::bounded(1);
    std::thread::spawn(move || {
        drop(player);
        let _ = dropped_tx.send(());
    });
    let dropped = dropped_rx.recv_timeout(Duration::from_secs(20));
    release_tx.send(()).unwrap();
    dropped.expect("the drop returned while the control thread was stuck");
    // Released, the control thread left behind ends (its events with it): waited for, or the
    // test process could exit under its teardown (SIGABRT in a clean-clone CI run).
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        match events.recv_deadline(deadline) {
            Ok(_) => continue,
            Err(flume::RecvTimeoutError::Disconnected) => break,
            Err(flume::RecvTimeoutError::Timeout) => panic!("the control thread never ended"),
        }
    }
}
