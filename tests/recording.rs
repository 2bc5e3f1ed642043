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

/// A file of `seconds` seconds, black but for one white frame at each whole second, with
/// silence but for a 1 kHz beep of 50 ms at the same moments: how far apart a flash and its
/// beep are in a recording is how far out of sync it is.
fn flash_and_beep(path: &Path, size: (u32, u32), video_codec: &[&str], audio_codec: &str) {
    let seconds = 3;
    let video = format!(
        "color=black:s={}x{}:r=30:d={seconds},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:\
         enable='lt(mod(t\\,1)\\,0.03)'",
        size.0, size.1
    );
    let audio =
        format!("sine=f=1000:r=48000:d={seconds},volume=volume=0:enable='gte(mod(t\\,1)\\,0.05)'");
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

fn decode(path: &Path) -> Decoded {
    gst::init().unwrap();
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin name=d \
         d. ! queue ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=32,height=18 \
            ! appsink name=v sync=false \
         d. ! queue ! audioconvert ! audioresample \
            ! audio/x-raw,format=S16LE,channels=1,rate=48000,layout=interleaved \
            ! appsink name=a sync=false",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = |name: &str| {
        pipeline
            .by_name(name)
            .unwrap()
            .downcast::<gst_app::AppSink>()
            .unwrap()
    };
    let (video, audio) = (sink("v"), sink("a"));
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
    let mut quiet_samples = 48_000usize;
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
                        let loud = i16::from_le_bytes([s[0], s[1]]).unsigned_abs() > 4000;
                        // A beep begins after at least 200 ms of quiet.
                        if loud && quiet_samples > 9_600 {
                            let at = pts + i as u64 * 1_000_000_000 / 48_000;
                            out.beeps.push(Duration::from_nanos(at));
                        }
                        quiet_samples = if loud { 0 } else { quiet_samples + 1 };
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
    let pipeline = gst::parse::launch(&format!(
        "filesrc location=\"{}\" ! decodebin ! videoconvert ! appsink name=v",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = pipeline
        .by_name("v")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
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

fn stopped_event(lines: &[Value]) -> &Value {
    lines
        .iter()
        .find(|v| v["event"] == "recording-stopped")
        .unwrap_or_else(|| panic!("no recording-stopped in {lines:?}"))
}

#[test]
fn a_two_file_queue_is_one_recording_in_sync_that_plays_and_seeks() {
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
    for (name, codec) in [("queue.webm", "vp8"), ("queue.mp4", "h264")] {
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
        // Each flash has its beep within 40 ms, in both files of the queue. The one at the
        // switch from the first file to the second is held to 100 ms: the player's gapless
        // switch starts the next file's audio up to ~50 ms before its first frame (seen here;
        // the viewers get the same, and the stream is back in sync at the next flash).
        let switch = Duration::from_secs(3);
        let pairs: Vec<(Duration, i64)> = decoded
            .flashes
            .iter()
            .filter_map(|flash| {
                let beep = decoded.beeps.iter().min_by_key(|b| b.abs_diff(*flash))?;
                (beep.abs_diff(*flash) < Duration::from_millis(300))
                    .then(|| (*flash, flash.as_millis() as i64 - beep.as_millis() as i64))
            })
            .collect();
        assert!(
            pairs.len() >= 4,
            "{name}: flashes and beeps paired: {pairs:?}"
        );
        for (flash, offset) in &pairs {
            let bound = if flash.abs_diff(switch) < Duration::from_millis(100) {
                100
            } else {
                40
            };
            assert!(
                offset.abs() <= bound,
                "{name}: video minus audio at each flash (ms): {pairs:?}"
            );
        }

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
