//! Subtitled videos as people make them (ffmpeg, sidecars with a language in their name, a
//! sidecar of one short cue), played and shared headless to their end: no false "damaged"
//! error at the end, exit 0, the subtitle track shown, and the position right when a cue
//! outlasts the video. Runs `reelcast` as a script would.

mod common;
mod run_reelcast;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use run_reelcast::{run, Run};
use serde_json::Value;

/// A run of a few seconds' file, with room for a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);
/// How long each video is; the cue of `outlast.mkv` goes on twice as long.
const SECONDS: u32 = 4;
/// Runs at once: enough to keep two cores busy, few enough for each to keep up with its clock.
const AT_ONCE: usize = 4;

/// Runs ffmpeg as a person would, failing the test with its words if it fails.
fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs (scripts/setup.sh --tests installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An SRT file of `cues` (from, to, text), in seconds, as people write them.
fn srt(cues: &[(f64, f64, &str)]) -> String {
    let at = |t: f64| {
        let ms = (t * 1000.0).round() as u64;
        format!(
            "{:02}:{:02}:{:02},{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    cues.iter()
        .enumerate()
        .map(|(i, (from, to, text))| {
            format!("{}\n{} --> {}\n{text}\n\n", i + 1, at(*from), at(*to))
        })
        .collect()
}

/// A Blu-ray subtitle stream (PGS, as a `.sup` file a ripping tool writes): a white box at
/// `from` seconds, cleared at `to`. ffmpeg has no PGS encoder, but muxes a `.sup` as it is.
fn pgs_sup(from: f64, to: f64) -> Vec<u8> {
    let segment = |kind: u8, pts: f64, data: &[u8]| {
        let mut s = b"PG".to_vec();
        s.extend(((pts * 90_000.0) as u32).to_be_bytes());
        s.extend(0u32.to_be_bytes());
        s.push(kind);
        s.extend((data.len() as u16).to_be_bytes());
        s.extend(data);
        s
    };
    let be16 = |v: u16| v.to_be_bytes();
    let (width, height, x, y) = (120u16, 20u16, 100u16, 200u16);
    // Presentation composition: 320x240, 10 fps code, composition number, state, palette.
    let composition = |number: u16, state: u8, objects: &[u8]| {
        let mut d = [be16(320), be16(240)].concat();
        d.push(0x10);
        d.extend(be16(number));
        d.extend([state, 0, 0, u8::from(!objects.is_empty())]);
        d.extend(objects);
        d
    };
    let window = [
        vec![1, 0],
        [be16(x), be16(y), be16(width), be16(height)].concat(),
    ]
    .concat();
    let object_at = [
        be16(0).to_vec(),
        vec![0, 0],
        be16(x).to_vec(),
        be16(y).to_vec(),
    ]
    .concat();
    let palette = [0, 0, 1, 235, 128, 128, 255];
    // Run-length lines: `width` pixels of colour 1, then the end of the line.
    let line = [
        0x00,
        0xC0 | (width >> 8) as u8,
        (width & 0xff) as u8,
        1,
        0x00,
        0x00,
    ];
    let mut object = [be16(width), be16(height)].concat();
    for _ in 0..height {
        object.extend(line);
    }
    let length = (object.len() as u32).to_be_bytes();
    let ods = [vec![0, 0, 0, 0xC0], length[1..].to_vec(), object].concat();
    [
        segment(0x16, from, &composition(1, 0x80, &object_at)),
        segment(0x17, from, &window),
        segment(0x14, from, &palette),
        segment(0x15, from, &ods),
        segment(0x80, from, &[]),
        segment(0x16, to, &composition(2, 0x00, &[])),
        segment(0x17, to, &window),
        segment(0x80, to, &[]),
    ]
    .concat()
}

/// The files: (what a person calls it, the video to open).
struct Files {
    _dir: tempfile::TempDir,
    cases: Vec<(&'static str, PathBuf)>,
    /// The video whose only cue outlasts it.
    outlast: PathBuf,
    /// An MKV with a WebVTT track, which GStreamer 1.22's Matroska demuxer cannot read.
    webvtt_track: PathBuf,
}

fn make_files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let s = |path: &Path| path.to_str().unwrap().to_owned();
    let picture = format!("testsrc=size=320x240:rate=10:duration={SECONDS}");
    let h264 = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ];
    let with_subtitles = |subs: &Path, codec: &str, out: &Path| {
        let mut args = vec!["-f", "lavfi", "-i", &picture];
        let subs = s(subs);
        let out = s(out);
        args.extend(["-i", &subs, "-map", "0:v", "-map", "1"]);
        args.extend(h264);
        args.extend(["-c:s", codec, &out]);
        ffmpeg(&args);
    };
    let plain = |out: &Path| {
        let out = s(out);
        let mut args = vec!["-f", "lavfi", "-i", &picture];
        args.extend(h264);
        args.push(&out);
        ffmpeg(&args);
    };

    // Forty short cues, one after another, the last one ending with the video.
    let each = f64::from(SECONDS) / 40.0;
    let forty: Vec<(f64, f64, &str)> = (0..40)
        .map(|i| (f64::from(i) * each, f64::from(i + 1) * each, "Forty cues"))
        .collect();
    let forty_srt = p("forty.srt");
    std::fs::write(&forty_srt, srt(&forty)).unwrap();
    let long_srt = p("long.srt");
    let outlasting = [(0.5, 2.0 * f64::from(SECONDS), "Longer than the video")];
    std::fs::write(&long_srt, srt(&outlasting)).unwrap();

    let cases = vec![
        ("an MKV with an SRT track of forty cues", p("srt.mkv")),
        ("an MKV with an ASS track", p("ass.mkv")),
        ("an MP4 with a mov_text track", p("mov_text.mp4")),
        ("an MKV whose cue outlasts the video", p("outlast.mkv")),
        ("an MP4 with a WebVTT sidecar (film.fr.vtt)", p("film.mp4")),
        ("an MKV with a one-cue .srt sidecar", p("movie.mkv")),
        ("an MKV with an .ass sidecar", p("show.mkv")),
        ("an MKV with a PGS (Blu-ray) track", p("pgs.mkv")),
    ];
    with_subtitles(&forty_srt, "srt", &cases[0].1);
    with_subtitles(&forty_srt, "ass", &cases[1].1);
    with_subtitles(&forty_srt, "mov_text", &cases[2].1);
    with_subtitles(&long_srt, "srt", &cases[3].1);
    // Sidecars: cues that end before the video does, one short cue (well under the 129
    // bytes GStreamer's SRT typefinder needs), and ASS as ffmpeg writes it.
    plain(&cases[4].1);
    std::fs::write(
        p("film.fr.vtt"),
        "WEBVTT\n\n00:00.200 --> 00:01.000\nBonjour\n",
    )
    .unwrap();
    plain(&cases[5].1);
    let short = srt(&[(0.0, f64::from(SECONDS), "One cue, sixty bytes")]);
    assert!(short.len() <= 64, "{} bytes", short.len());
    std::fs::write(p("movie.srt"), short).unwrap();
    plain(&cases[6].1);
    ffmpeg(&["-i", &s(&forty_srt), &s(&p("show.ass"))]);
    let sup = p("blu-ray.sup");
    std::fs::write(&sup, pgs_sup(0.5, f64::from(SECONDS) - 1.0)).unwrap();
    with_subtitles(&sup, "copy", &cases[7].1);
    let webvtt_track = p("webvtt.mkv");
    with_subtitles(&forty_srt, "webvtt", &webvtt_track);
    let outlast = cases[3].1.clone();
    Files {
        _dir: dir,
        cases,
        outlast,
        webvtt_track,
    }
}

fn events(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Exit 0, no error of any kind, a subtitle track shown, and `last` as the last event.
fn assert_clean(what: &str, run: &Run, last: &str) {
    assert_ends(what, run, last, 0);
    assert!(
        events(run)
            .iter()
            .any(|e| e["event"] == "subtitles" && e["shown"].is_u64()),
        "{what}: no subtitle track shown\n{run}"
    );
}

/// Exit 0, no error, `subtitle_failures` times `subtitles-failed`, `last` as the last event.
fn assert_ends(what: &str, run: &Run, last: &str, subtitle_failures: usize) {
    assert_eq!(run.code, Some(0), "{what}\n{run}");
    let events = events(run);
    let kind = |e: &&Value, k: &str| e["event"] == k;
    let errors: Vec<&Value> = events.iter().filter(|e| kind(e, "error")).collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{run}");
    let failed = events
        .iter()
        .filter(|e| kind(e, "subtitles-failed"))
        .count();
    assert_eq!(failed, subtitle_failures, "{what}\n{run}");
    assert_eq!(
        events.last().map(|e| e["event"].clone()),
        Some(Value::from(last)),
        "{what}\n{run}"
    );
}

/// How a file is run: its command's words, and whether a track is shown.
const MODES: [(&[&str], bool); 4] = [
    (&["play"], true),
    (&["share"], true),
    // Drawn on the window's side of the capture only: the other overlay passes the picture.
    (&["share", "--share-subtitles", "off"], true),
    (&["play", "--subtitles", "off"], false),
];

/// Every kind plays to its end and is shared to its end, with subtitles shown, kept local or
/// off, a few runs at a time (each is a small picture), with exit 0 and no error.
#[test]
fn every_subtitled_file_plays_and_is_shared_to_its_end_without_error() {
    common::net::assert_private_network();
    let files = make_files();
    let runs: Vec<(&str, &[&str], bool, String)> = files
        .cases
        .iter()
        .flat_map(|(what, video)| {
            let video = video.to_str().unwrap().to_owned();
            MODES.map(|(mode, shown)| (*what, mode, shown, video.clone()))
        })
        .collect();
    let results: Vec<_> = runs
        .chunks(AT_ONCE)
        .flat_map(|chunk| {
            let handles: Vec<_> = chunk
                .iter()
                .cloned()
                .map(|(what, mode, shown, video)| {
                    std::thread::spawn(move || {
                        let mut args = mode.to_vec();
                        args.extend(["--headless", "--json", video.as_str()]);
                        (what, mode, shown, run(args, DEADLINE))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap())
        })
        .collect();
    for (what, mode, shown, result) in results {
        let last = if mode[0] == "play" {
            "end-of-stream"
        } else {
            "share-ended"
        };
        let what = format!("{} {what}", mode.join(" "));
        if shown {
            assert_clean(&what, &result, last);
        } else {
            assert_ends(&what, &result, last, 0);
        }
    }
}

/// A cue that lasts longer than the video does not put the position at the end.
#[test]
fn a_cue_that_outlasts_the_video_leaves_the_position_where_the_picture_is() {
    let files = make_files();
    let out = run(
        [
            "play",
            "--headless",
            "--json",
            files.outlast.to_str().unwrap(),
        ],
        DEADLINE,
    );
    assert_clean("outlast.mkv", &out, "end-of-stream");
    let positions: Vec<f64> = events(&out)
        .iter()
        .filter(|e| e["event"] == "progress")
        .filter_map(|e| e["position"].as_f64())
        .collect();
    let first = *positions.first().expect("a progress event");
    // The first progress line comes a second after playing starts.
    assert!(
        first < 2.0,
        "position {first} s after a second: {positions:?}"
    );
}

/// A file named `.srt` that is not subtitles is named with the cause, and the video plays on
/// to its end.
#[test]
fn a_short_file_named_srt_that_is_not_subtitles_is_named() {
    let files = make_files();
    let video = &files.cases[5].1;
    let wrong = video.with_file_name("wrong.srt");
    std::fs::write(&wrong, "this is a note, not subtitles\n").unwrap();
    let out = run(
        [
            "play",
            "--headless",
            "--json",
            "--subtitles",
            wrong.to_str().unwrap(),
            video.to_str().unwrap(),
        ],
        DEADLINE,
    );
    assert_eq!(out.code, Some(0), "{out}");
    let said = format!(
        "{}: the subtitles cannot be shown (it is not in a subtitle format",
        wrong.display()
    );
    assert!(out.stdout.contains(&said), "{out}");
    assert_eq!(
        out.stdout.matches("subtitles-failed").count(),
        1,
        "said once\n{out}"
    );
    let last_state = events(&out)
        .into_iter()
        .rev()
        .find(|e| e["event"] == "subtitles")
        .expect("a subtitles event");
    assert!(last_state["shown"].is_null(), "nothing shown: {last_state}");
    assert!(out.stdout.contains("end-of-stream"), "{out}");
}

/// A subtitle track that nothing installed can read (WebVTT in Matroska, before GStreamer
/// 1.24) is named with its format, once, and the video plays to its end.
#[test]
fn a_subtitle_track_this_gstreamer_cannot_read_is_said_and_the_video_plays_on() {
    let files = make_files();
    let video = files.webvtt_track.to_str().unwrap();
    let out = run(["play", "--headless", "--json", video], DEADLINE);
    assert_ends("webvtt.mkv", &out, "end-of-stream", 1);
    let said = format!("{video}: a subtitle track cannot be shown");
    assert!(out.stdout.contains(&said), "{out}");
}
