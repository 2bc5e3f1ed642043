//! `reelcast share --record FILE`: one file for a whole play queue, in sync, that plays and
//! seeks in GStreamer and in Chromium; a killed recording keeps what was written; a file that
//! cannot be written is said and the share goes on.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gst::prelude::*;
use serde_json::Value;

use common::peers::Peer;

/// A file of 3 s, black but for one white frame at each whole second, with silence but for a
/// 1 kHz beep of 50 ms at the same moments: how far apart a flash and its beep are in a
/// recording is how far out of sync it is.
fn flash_and_beep(path: &Path, size: (u32, u32), video_codec: &[&str], audio_codec: &str) {
    flashes_and_beeps(path, size, video_codec, audio_codec, (3, 0.03));
}

/// [`flash_and_beep`] lasting `seconds`, each flash `length` seconds long (and each beep as
/// long, 50 ms at least).
fn flashes_and_beeps(
    path: &Path,
    size: (u32, u32),
    video_codec: &[&str],
    audio_codec: &str,
    (seconds, length): (u32, f64),
) {
    let video = format!(
        "color=black:s={}x{}:r=30:d={seconds},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:\
         enable='lt(mod(t\\,1)\\,{length})'",
        size.0, size.1
    );
    let beep = length.max(0.05);
    let audio = format!(
        "sine=f=1000:r=48000:d={seconds},volume=volume=0:enable='gte(mod(t\\,1)\\,{beep})'"
    );
    let status = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio,
        ])
        .args(video_codec)
        .args(["-pix_fmt", "yuv420p", "-c:a", audio_codec, "-shortest"])
        .arg(path)
        .status()
        .expect("ffmpeg (scripts/setup.sh --tests installs it)");
    assert!(status.success(), "ffmpeg made no {}", path.display());
}

/// `reelcast share --json --headless` of `sources`, with `args`, on ports of its own.
fn share(sources: &[&Path], args: &[&str]) -> Peer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .arg("share")
        .args(sources)
        .args([
            "--json",
            "--headless",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
        ])
        .args(args)
        .env("REELCAST_LOG", "reelcast=info");
    Peer::spawn("reelcast", command)
}

/// Waits for the share to end by itself; its exit code and its JSON lines from then on.
fn ended(peer: &mut Peer, within: Duration) -> (i32, Vec<Value>) {
    let (status, _, lines) = peer.wait_exit(within).expect("the share ended by itself");
    let json = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    (status.code().unwrap_or(-1), json)
}

/// What GStreamer makes of a recording, decoded to its end.
#[derive(Debug, Default)]
struct Decoded {
    /// Running times of the flashes (a white frame after a dark one) and beep onsets.
    flashes: Vec<Duration>,
    beeps: Vec<Duration>,
    sizes: Vec<(i32, i32)>,
    last_video: Duration,
    frames: usize,
}

/// A pipeline from gst-launch text, for reading a recording back.
fn launch(description: &str) -> gst::Pipeline {
    gst::init().unwrap();
    gst::parse::launch(description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap()
}

/// The appsink called `name` in `pipeline`.
fn appsink(pipeline: &gst::Pipeline, name: &str) -> gst_app::AppSink {
    pipeline
        .by_name(name)
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap()
}

fn decode(path: &Path) -> Decoded {
    let pipeline = launch(&format!(
        "filesrc location=\"{}\" ! decodebin name=d \
         d. ! queue ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=32,height=18 \
            ! appsink name=v sync=false \
         d. ! queue ! audioconvert ! audioresample \
            ! audio/x-raw,format=S16LE,channels=1,rate=48000,layout=interleaved \
            ! appsink name=a sync=false",
        path.display()
    ));
    let (video, audio) = (appsink(&pipeline, "v"), appsink(&pipeline, "a"));
    // The size each frame had before scaling: caps before videoscale.
    let sizes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let convert = pipeline
        .iterate_elements()
        .into_iter()
        .flatten()
        .find(|e| e.factory().is_some_and(|f| f.name() == "videoconvert"))
        .unwrap();
    convert.static_pad("sink").unwrap().add_probe(
        gst::PadProbeType::EVENT_DOWNSTREAM,
        move |_, info| {
            if let Some(gst::EventView::Caps(c)) = info.event().map(|e| e.view()) {
                let s = c.caps().structure(0).unwrap();
                let size = (
                    s.get::<i32>("width").unwrap(),
                    s.get::<i32>("height").unwrap(),
                );
                seen.lock().unwrap().push(size);
            }
            gst::PadProbeReturn::Ok
        },
    );
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut out = Decoded::default();
    let mut bright_before = false;
    // The loud stretch being heard: (its start, its last loud sample), in ns. A beep is a
    // stretch of at least 30 ms; a click (as AAC leaves at a file's end) is shorter.
    let mut stretch: Option<(u64, u64)> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    let timeout = gst::ClockTime::from_mseconds(100);
    let (mut video_done, mut audio_done) = (false, false);
    while !(video_done && audio_done) {
        assert!(
            Instant::now() < deadline,
            "{} did not decode to its end",
            path.display()
        );
        if let Some(error) = pipeline
            .bus()
            .unwrap()
            .pop_filtered(&[gst::MessageType::Error])
        {
            panic!("{} does not play: {error:?}", path.display());
        }
        if !video_done {
            match video.try_pull_sample(timeout) {
                Some(sample) => {
                    let buffer = sample.buffer().unwrap();
                    let pts = Duration::from_nanos(buffer.pts().unwrap().nseconds());
                    let map = buffer.map_readable().unwrap();
                    let mean = map.iter().map(|&b| b as u32).sum::<u32>() / map.len() as u32;
                    let bright = mean > 128;
                    if bright && !bright_before {
                        out.flashes.push(pts);
                    }
                    bright_before = bright;
                    out.last_video = pts;
                    out.frames += 1;
                }
                None => video_done = video.is_eos(),
            }
        }
        if !audio_done {
            match audio.try_pull_sample(timeout) {
                Some(sample) => {
                    let buffer = sample.buffer().unwrap();
                    let pts = buffer.pts().unwrap().nseconds();
                    let map = buffer.map_readable().unwrap();
                    for (i, s) in map.chunks_exact(2).enumerate() {
                        if i16::from_le_bytes([s[0], s[1]]).unsigned_abs() <= 4000 {
                            continue;
                        }
                        // Time, not samples: a gap in the sound counts as quiet. A tone's
                        // zero crossings are well under 2 ms.
                        let at = pts + i as u64 * 1_000_000_000 / 48_000;
                        let start = match stretch {
                            Some((start, last)) if at.saturating_sub(last) <= 2_000_000 => start,
                            _ => at,
                        };
                        // Decoded sound may step back a little (where a seek joined it).
                        let long_enough = at.saturating_sub(start) >= 30_000_000;
                        let told = out.beeps.last() == Some(&Duration::from_nanos(start));
                        if long_enough && !told {
                            out.beeps.push(Duration::from_nanos(start));
                        }
                        stretch = Some((start, at));
                    }
                }
                None => audio_done = audio.is_eos(),
            }
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    out.sizes = sizes.lock().unwrap().clone();
    out
}

/// Seeks a paused GStreamer player to `to` and returns the time of the frame it shows.
fn seek_in_gstreamer(path: &Path, to: Duration) -> Duration {
    let pipeline = launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! appsink name=v",
        path.display()
    ));
    let sink = appsink(&pipeline, "v");
    pipeline.set_state(gst::State::Paused).unwrap();
    let (result, _, _) = pipeline.state(gst::ClockTime::from_seconds(20));
    result.expect("the recording prerolls");
    pipeline
        .seek_simple(
            gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE,
            gst::ClockTime::from_nseconds(to.as_nanos() as u64),
        )
        .expect("the recording seeks");
    let sample = sink
        .try_pull_preroll(gst::ClockTime::from_seconds(20))
        .expect("a frame after the seek");
    pipeline.set_state(gst::State::Null).unwrap();
    Duration::from_nanos(sample.buffer().unwrap().pts().unwrap().nseconds())
}

/// Chromium plays `path` to its end and seeks to its middle: its JSON report.
fn play_in_chromium(path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/play_file.mjs");
    let mut node = Command::new("node");
    node.arg(script).arg(path);
    let mut peer = Peer::spawn("chromium", node);
    let (_, _, lines) = peer
        .wait_exit(Duration::from_secs(90))
        .expect("Chromium played the recording to its end");
    lines
        .iter()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .expect("Chromium's report")
}

/// Every flash of `decoded` has its beep within 40 ms (100 ms near each of `edges`, where a
/// file begins), and at least `pairs` flashes were found.
fn assert_in_sync(name: &str, decoded: &Decoded, edges: &[Duration], pairs: usize) {
    let found: Vec<(Duration, i64)> = decoded
        .flashes
        .iter()
        .filter_map(|flash| {
            let beep = decoded.beeps.iter().min_by_key(|b| b.abs_diff(*flash))?;
            (beep.abs_diff(*flash) < Duration::from_millis(300))
                .then(|| (*flash, flash.as_millis() as i64 - beep.as_millis() as i64))
        })
        .collect();
    assert!(
        found.len() >= pairs,
        "{name}: flashes and beeps paired: {found:?}"
    );
    for (flash, offset) in &found {
        let near_edge = edges
            .iter()
            .any(|e| flash.abs_diff(*e) < Duration::from_millis(100));
        let bound = if near_edge { 100 } else { 40 };
        assert!(
            offset.abs() <= bound,
            "{name}: video minus audio at each flash (ms): {found:?}"
        );
    }
}

fn stopped_event(lines: &[Value]) -> &Value {
    lines
        .iter()
        .find(|v| v["event"] == "recording-stopped")
        .unwrap_or_else(|| panic!("no recording-stopped in {lines:?}"))
}

/// Both formats in sync: the MP4's sound was 40-65 ms before its picture while the sound that
/// came before the file's first keyframe (H.264's encoder is the slower) was dropped, and the
/// muxer moved the sound after it to the start.
#[test]
fn a_two_file_queue_is_one_recording_in_sync_that_plays_and_seeks() {
    two_file_queue(&[("queue.webm", "vp8"), ("queue.mp4", "h264")]);
}

/// Records the flash-and-beep queue into each of `formats` (file name, codec), then plays,
/// seeks and measures each recording.
fn two_file_queue(formats: &[(&str, &str)]) {
    let _one = common::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first-720p-h264.mp4");
    let second = dir.path().join("second-360p-vp9.webm");
    flash_and_beep(&first, (1280, 720), &["-c:v", "libx264"], "aac");
    flash_and_beep(
        &second,
        (640, 360),
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
        "libopus",
    );
    let played = Duration::from_secs(6);
    for &(name, codec) in formats {
        let recording: PathBuf = dir.path().join(name);
        let recording_arg = recording.to_str().unwrap();
        let mut peer = share(
            &[&first, &second],
            &["--codec", codec, "--record", recording_arg],
        );
        peer.wait_line("recording-started", Duration::from_secs(30));
        let (code, lines) = ended(&mut peer, Duration::from_secs(60));
        assert_eq!(code, 0, "{lines:?}");
        let stopped = stopped_event(&lines);
        assert!(stopped.get("error").is_none(), "{stopped}");
        let told = Duration::from_millis(stopped["duration_ms"].as_u64().unwrap());
        assert!(
            told.abs_diff(played) <= Duration::from_millis(500),
            "{name}: the recording says {told:?}, {played:?} were played"
        );

        let decoded = decode(&recording);
        eprintln!("{name}: {decoded:?}");
        assert!(
            decoded.last_video.abs_diff(played) <= Duration::from_millis(500),
            "{name}: the last frame is at {:?}, {played:?} were played",
            decoded.last_video
        );
        assert!(
            decoded.sizes.contains(&(1280, 720)),
            "{name}: {:?}",
            decoded.sizes
        );
        assert!(
            decoded.sizes.contains(&(640, 360)),
            "{name}: {:?}",
            decoded.sizes
        );
        // Each flash has its beep within 40 ms, in both files of the queue, the first frame
        // of the second one too.
        assert_in_sync(name, &decoded, &[], 4);

        let target = Duration::from_millis(4200);
        let shown = seek_in_gstreamer(&recording, target);
        assert!(
            shown.abs_diff(target) <= Duration::from_millis(100),
            "{name}: a seek to {target:?} shows {shown:?}"
        );

        let chromium = play_in_chromium(&recording);
        eprintln!("{name} in Chromium: {chromium}");
        assert_eq!(chromium["error"], Value::Null, "{name}: {chromium}");
        assert_eq!(chromium["ended"], true, "{name}: {chromium}");
        let duration = chromium["duration"].as_f64().unwrap_or(0.0);
        assert!(
            (duration - played.as_secs_f64()).abs() <= 0.5,
            "{name}: Chromium says it lasts {duration} s"
        );
        let sizes = chromium["sizes"].as_array().unwrap();
        assert!(sizes.len() >= 2, "{name}: Chromium showed {sizes:?}");
        let (asked, got) = (
            chromium["seekTarget"].as_f64(),
            chromium["seekedTo"].as_f64(),
        );
        assert!(
            asked.zip(got).is_some_and(|(a, g)| (a - g).abs() < 0.1),
            "{name}: Chromium's seek: {chromium}"
        );
    }
}

#[test]
fn a_recording_killed_with_sigkill_keeps_all_but_its_last_two_seconds() {
    let _one = common::one_at_a_time();
    let media = common::media();
    let dir = tempfile::tempdir().unwrap();
    for name in ["killed.webm", "killed.mp4"] {
        let recording = dir.path().join(name);
        let codec = if name.ends_with(".mp4") {
            "h264"
        } else {
            "vp8"
        };
        let mut peer = share(
            &[&media.long],
            &["--codec", codec, "--record", recording.to_str().unwrap()],
        );
        peer.wait_line("recording-started", Duration::from_secs(30));
        let started = Instant::now();
        // The file grows as the share plays: wait until it holds a few seconds' worth.
        let deadline = started + Duration::from_secs(30);
        while std::fs::metadata(&recording).map_or(0, |m| m.len()) < 150_000 {
            assert!(Instant::now() < deadline, "{name} does not grow");
            std::thread::park_timeout(Duration::from_millis(100));
        }
        let recorded = started.elapsed();
        assert!(recorded >= Duration::from_secs(2), "{recorded:?}");
        peer.signal(libc::SIGKILL);
        peer.wait_exit(Duration::from_secs(10)).expect("killed");
        let decoded = decode(&recording);
        eprintln!(
            "{name}: {recorded:?} recorded, the file plays to {:?}",
            decoded.last_video
        );
        assert!(
            decoded.last_video + Duration::from_secs(2) >= recorded,
            "{name}: {recorded:?} recorded, the file plays to {:?}",
            decoded.last_video
        );
    }
}

#[test]
fn a_recording_that_cannot_be_written_is_said_and_the_share_goes_on() {
    let media = common::media();
    let dir = tempfile::tempdir().unwrap();
    let unwritable = dir.path().join("no-such-folder/film.webm");
    let existing = dir.path().join("precious.webm");
    std::fs::write(&existing, b"the person's own file").unwrap();
    let wrong = dir.path().join("film.mp4");
    for (path, cause) in [
        (&unwritable, "No such file or directory"),
        (&existing, "already exists"),
        (&wrong, "MP4 holds H.264"),
    ] {
        let mut peer = share(&[&media.short], &["--record", path.to_str().unwrap()]);
        let said = peer.wait_json(Duration::from_secs(20), "the error", |v| {
            (v["event"] == "error").then(|| v["message"].as_str().unwrap_or("").to_owned())
        });
        assert!(said.contains(&path.display().to_string()), "{said}");
        assert!(said.contains(cause), "{said}");
        // The share goes on: registered, and the file played to its end.
        let (code, lines) = ended(&mut peer, Duration::from_secs(30));
        assert_eq!(code, 0, "{lines:?}");
        assert!(
            lines.iter().any(|v| v["event"] == "share-ended"),
            "{lines:?}"
        );
        assert!(!lines.iter().any(|v| v["event"] == "recording-started"));
    }
    assert_eq!(
        std::fs::read(&existing).unwrap(),
        b"the person's own file",
        "an existing file is never written over"
    );
    assert!(!wrong.exists(), "a refused recording leaves no file");
}

/// A person seeks, pauses and plays faster while a share records: the file is one timeline
/// of what the viewers saw, as long as the recording ran, in sync after each of them.
#[test]
fn seeks_pauses_and_speed_changes_are_recorded_as_played_and_in_sync() {
    use reelcast::media::{Player, PlayerEvent, PlayerOptions, SeekMode};
    use reelcast::sharing::SharingEvent;

    let _one = common::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("flashes.webm");
    // Flashes of three frames, so that playing faster, which drops frames, keeps them.
    flashes_and_beeps(
        &source,
        (320, 240),
        &["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"],
        "libopus",
        (12, 0.1),
    );
    let player = Player::new(PlayerOptions::headless()).unwrap();
    let player_events = player.subscribe();
    player.open(source.to_str().unwrap()).unwrap();
    let sharing = common::share(&player, "recorded", None);
    let events = sharing.subscribe();
    let recording = dir.path().join("played.mkv");
    sharing.start_recording(&recording).unwrap();
    player.play().unwrap();
    common::wait_for(&events, Duration::from_secs(20), "recording-started", |e| {
        matches!(e, SharingEvent::RecordingStarted { .. }).then_some(())
    });
    let began = Instant::now();
    let reach = |at: Duration| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while player.position().is_none_or(|p| p < at) {
            assert!(Instant::now() < deadline, "the player never reached {at:?}");
            std::thread::park_timeout(Duration::from_millis(20));
        }
    };
    reach(Duration::from_millis(2300));
    player
        .seek(Duration::from_millis(6500), SeekMode::Accurate)
        .unwrap();
    common::wait_for(&player_events, Duration::from_secs(10), "the seek", |e| {
        matches!(e, PlayerEvent::SeekDone(_)).then_some(())
    });
    reach(Duration::from_millis(8300));
    player.pause().unwrap();
    // The person looks away for a second: the pause's length is what is recorded.
    std::thread::park_timeout(Duration::from_secs(1));
    player.play().unwrap();
    player.set_speed(1.5).unwrap();
    common::wait_for(&player_events, Duration::from_secs(20), "the end", |e| {
        matches!(e, PlayerEvent::EndOfStream).then_some(())
    });
    let ran = began.elapsed();
    sharing.stop_and_wait(Duration::from_secs(2));
    let stopped =
        common::wait_for(
            &events,
            Duration::from_secs(10),
            "recording-stopped",
            |e| match e {
                SharingEvent::RecordingStopped {
                    duration_ms, error, ..
                } => Some((*duration_ms, error.clone())),
                _ => None,
            },
        );
    assert_eq!(stopped.1, None);
    let decoded = decode(&recording);
    eprintln!("{decoded:?}, ran {ran:?}");
    // As long as the recording ran: 2.3 s, the seek, 1.8 s, a 1 s pause, 3.7 s at 1.5x.
    assert!(
        decoded.last_video.abs_diff(ran) <= Duration::from_millis(700),
        "the file plays to {:?}; the recording ran {ran:?}",
        decoded.last_video
    );
    // Flashes at 0, 1, 2 (before the seek), 7, 8 (after it), then 9, 10, 11 at 1.5x. The
    // one at the file's start is held to 100 ms: the file starts at a keyframe and the sound
    // before it is dropped, so a beep under way then is cut and its onset is not its start.
    assert_in_sync("played.mkv", &decoded, &[Duration::ZERO], 6);
}

/// A disk that fills up while recording: the recording ends with the cause and the path,
/// and the share goes on to the end of its file.
#[test]
fn a_full_disk_ends_the_recording_and_not_the_share() {
    let media = common::media();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small-disk");
    std::fs::create_dir_all(&small).unwrap();
    let recording = small.join("full.webm");
    // A 200 KiB file system of the test's own, in a mount namespace of its own: the
    // machine's mounts are never touched.
    let script = format!(
        "mount -t tmpfs -o size=200k reelcast-test \"{}\" && exec \"$@\"",
        small.display()
    );
    let mut command = Command::new("unshare");
    command
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ])
        .arg(env!("CARGO_BIN_EXE_reelcast"))
        .arg("share")
        .arg(&media.long)
        .args([
            "--json",
            "--headless",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
        ])
        .args(["--record", recording.to_str().unwrap()])
        .env("REELCAST_LOG", "reelcast=info");
    let mut peer = Peer::spawn("reelcast", command);
    let stopped = peer.wait_json(Duration::from_secs(60), "recording-stopped", |v| {
        (v["event"] == "recording-stopped").then(|| v.clone())
    });
    let error = stopped["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains(recording.to_str().unwrap()), "{stopped}");
    // GStreamer's words for ENOSPC: "No space left on the resource."
    assert!(error.contains("No space left"), "{stopped}");
    // What was written plays: read through the share's own view of its file systems.
    let written = dir.path().join("written.webm");
    let inside = format!("/proc/{}/root{}", peer.pid(), recording.display());
    std::fs::copy(&inside, &written).expect("the recording, seen from the share");
    let decoded = decode(&written);
    assert!(
        decoded.last_video >= Duration::from_secs(2),
        "the full disk's recording plays to {:?}",
        decoded.last_video
    );
    // The share goes on: its 20 s file plays to the end.
    let (code, lines) = ended(&mut peer, Duration::from_secs(60));
    assert_eq!(code, 0, "{lines:?}");
    assert!(
        lines.iter().any(|v| v["event"] == "share-ended"),
        "{lines:?}"
    );
}

/// The most subtitle-bright points any frame of `path` has in its lower third.
fn brightest_lower_third(path: &Path) -> usize {
    let pipeline = launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! video/x-raw,format=I420 \
         ! appsink name=v sync=false",
        path.display()
    ));
    let sink = appsink(&pipeline, "v");
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut most = 0;
    while let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(10)) {
        let (buffer, caps) = (sample.buffer().unwrap(), sample.caps().unwrap());
        most = most.max(common::bright_in_lower_third(
            &buffer.to_owned(),
            &caps.to_owned(),
        ));
    }
    assert!(
        sink.is_eos(),
        "{} did not decode to its end",
        path.display()
    );
    pipeline.set_state(gst::State::Null).unwrap();
    most
}

/// Subtitles shared with the viewers are drawn into the picture they get, so the recording
/// has them; kept on this computer (`--share-subtitles off`), it does not.
#[test]
fn shared_subtitles_are_in_the_recording_as_the_viewers_saw_them() {
    let _one = common::one_at_a_time();
    let media = common::subtitled(4, (320, 240));
    let dir = tempfile::tempdir().unwrap();
    let mut most = Vec::new();
    for shared in ["on", "off"] {
        let recording = dir.path().join(format!("subtitles-{shared}.webm"));
        let mut peer = share(
            &[&media.with_sidecar],
            &[
                "--share-subtitles",
                shared,
                "--record",
                recording.to_str().unwrap(),
            ],
        );
        let (code, lines) = ended(&mut peer, Duration::from_secs(60));
        assert_eq!(code, 0, "{lines:?}");
        assert!(stopped_event(&lines).get("error").is_none(), "{lines:?}");
        most.push(brightest_lower_third(&recording));
    }
    assert!(most[0] > 30, "no subtitle in the recording: {most:?}");
    assert!(
        most[1] < 10,
        "subtitles kept here are not recorded: {most:?}"
    );
}

/// A queue whose middle file has no sound, then one whose middle file has no picture: the
/// track that falls silent is written on as a gap, the file covers the whole queue, and the
/// sound is in sync again after it.
#[test]
fn a_file_without_sound_or_picture_in_the_queue_leaves_a_gap_not_a_stall() {
    let _one = common::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"];
    let av = dir.path().join("av.webm");
    flashes_and_beeps(&av, (320, 240), &vp8, "libopus", (2, 0.03));
    let silent = dir.path().join("no-sound.webm");
    let dark = dir.path().join("no-picture.webm");
    for (path, drop) in [(&silent, "-an"), (&dark, "-vn")] {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&av)
            .args([drop, "-c", "copy"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }
    for (name, middle) in [("silent.mkv", &silent), ("dark.mkv", &dark)] {
        let recording = dir.path().join(name);
        let mut peer = share(
            &[&av, middle, &av],
            &["--record", recording.to_str().unwrap()],
        );
        let (code, lines) = ended(&mut peer, Duration::from_secs(60));
        assert_eq!(code, 0, "{lines:?}");
        let stopped = stopped_event(&lines);
        assert!(stopped.get("error").is_none(), "{stopped}");
        let told = stopped["duration_ms"].as_u64().unwrap();
        assert!(told.abs_diff(6000) <= 500, "{name}: {stopped}");
        let decoded = decode(&recording);
        eprintln!("{name}: {decoded:?}");
        assert!(
            decoded.last_video.abs_diff(Duration::from_secs(6)) <= Duration::from_millis(500),
            "{name}: the last frame is at {:?}",
            decoded.last_video
        );
        // Flashes with beeps in the first and the last file; each file's start is an edge.
        // The beep that opens the last file may not be found: the first encoded packet of
        // its sound comes with an earlier time (seen: 1.948 s, where the first file's sound
        // ended, for a file that begins at 4 s), which the file already covers, so it is
        // dropped and the beep's start with it. The next second's beep is in sync.
        let edges = [0, 2, 4].map(Duration::from_secs);
        assert_in_sync(name, &decoded, &edges, 2);
        assert!(
            decoded
                .beeps
                .iter()
                .any(|b| *b > Duration::from_millis(3900)),
            "{name}: the sound came back after the middle file: {:?}",
            decoded.beeps
        );
    }
}
