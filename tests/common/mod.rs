//! Test media, made at test time with gst-launch-1.0, and waiting helpers.
#![allow(dead_code)]

pub mod gst_viewer;
pub mod janus;
pub mod net;
pub mod peers;
pub mod whip_janus;
pub mod ws;
pub mod xvfb;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reelcast::media::Player;
use reelcast::rtc::ShareConfig;
use reelcast::sharing::{Sharing, SharingOptions};
use reelcast::signalling::EmbeddedServerOptions;

pub struct Media {
    _dir: tempfile::TempDir,
    pub av: PathBuf,
    pub av_small: PathBuf,
    pub audio_only: PathBuf,
    pub video_only: PathBuf,
    pub short: PathBuf,
    pub long: PathBuf,
    pub mp4: PathBuf,
    pub dir: PathBuf,
}

/// Generates the test files once per test binary.
pub fn media() -> &'static Media {
    static MEDIA: OnceLock<Media> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = |name: &str| dir.path().join(name);
        let media = Media {
            av: p("av.webm"),
            av_small: p("av-small.webm"),
            audio_only: p("audio-only.webm"),
            video_only: p("video-only.webm"),
            short: p("short.webm"),
            long: p("long.webm"),
            mp4: p("clip.mp4"),
            dir: dir.path().to_path_buf(),
            _dir: dir,
        };
        make_webm(&media.av, Some((320, 240)), true, 6);
        make_webm(&media.av_small, Some((160, 120)), true, 6);
        make_webm(&media.audio_only, None, true, 6);
        make_webm(&media.video_only, Some((320, 240)), false, 6);
        make_webm(&media.short, Some((320, 240)), true, 1);
        make_webm(&media.long, Some((320, 240)), true, 20);
        gst_launch(&format!(
            "videotestsrc num-buffers=60 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 \
             ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink location={}",
            media.mp4.display()
        ));
        media
    })
}

/// A WebM file of `seconds` seconds: a moving ball (VP8) and a 440 Hz sine (Opus).
pub fn make_webm(path: &Path, video: Option<(u32, u32)>, audio: bool, seconds: u32) {
    let mut desc = format!("webmmux name=mux ! filesink location={} ", path.display());
    if let Some((w, h)) = video {
        desc += &format!(
            "videotestsrc num-buffers={} pattern=ball ! video/x-raw,width={w},height={h},framerate=30/1 \
             ! vp8enc deadline=1 ! queue ! mux. ",
            seconds * 30
        );
    }
    if audio {
        desc += &format!(
            "audiotestsrc num-buffers={} samplesperbuffer=960 wave=sine freq=440 volume=0.5 \
             ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! queue ! mux. ",
            seconds * 50
        );
    }
    gst_launch(&desc);
}

/// A headless player playing a new clip `name` (video of `size` and audio, `seconds` long),
/// from the start or, with `looping`, for ever.
pub fn play_clip(name: &str, size: (u32, u32), seconds: u32, looping: bool) -> Player {
    let clip = media().dir.join(name);
    make_webm(&clip, Some(size), true, seconds);
    let player = Player::new(reelcast::media::PlayerOptions::headless()).unwrap();
    player.set_looping(looping);
    player.open(clip.to_str().unwrap()).unwrap();
    player.play().unwrap();
    player
}

pub fn gst_launch(desc: &str) {
    let status = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(desc.split_whitespace())
        .status()
        .expect("gst-launch-1.0 runs (install gstreamer1.0-tools)");
    assert!(status.success(), "gst-launch-1.0 failed: {desc}");
}

/// Test media for subtitles: a dark picture (plain colour) with subtitle text that is white.
pub struct Subtitled {
    pub _dir: tempfile::TempDir,
    /// Two embedded SRT tracks: 0 "Dot" (en) shows "I", 1 "Ems" (fr) shows "MMMMMMMM".
    pub two_tracks: PathBuf,
    /// No subtitles of its own, and `movie.srt` next to it: one cue of "MMMMMMMM" for the
    /// whole video, under 60 bytes (shorter than GStreamer's SRT typefinder reads).
    pub with_sidecar: PathBuf,
    pub sidecar: PathBuf,
}

/// An SRT file showing `text` for the whole of `seconds`, in cues of a second.
pub fn srt(text: &str, seconds: u32) -> String {
    (0..seconds)
        .map(|i| {
            format!(
                "{}\n00:{:02}:{:02},000 --> 00:{:02}:{:02},000\n{text}\n\n",
                i + 1,
                i / 60,
                i % 60,
                (i + 1) / 60,
                (i + 1) % 60
            )
        })
        .collect()
}

/// Makes the subtitle media in a new folder: `seconds` long, `size` pixels.
pub fn subtitled(seconds: u32, size: (u32, u32)) -> Subtitled {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name);
    let (dot, ems) = (p("dot.srt"), p("ems.srt"));
    std::fs::write(&dot, srt("I", seconds)).unwrap();
    std::fs::write(&ems, srt("MMMMMMMM", seconds)).unwrap();
    let video = |mux: &str| {
        format!(
            "videotestsrc num-buffers={} pattern=solid-color foreground-color=0xff101010 \
             ! video/x-raw,width={},height={},framerate=10/1 ! vp8enc deadline=1 ! queue ! {mux}",
            seconds * 10,
            size.0,
            size.1
        )
    };
    let track = |file: &Path, tags: &str| {
        format!(
            "filesrc location={} ! subparse ! capssetter caps=text/x-raw,format=utf8 \
             ! taginject tags={tags} ! queue ! mux. ",
            file.display()
        )
    };
    let media = Subtitled {
        two_tracks: p("two-tracks.mkv"),
        with_sidecar: p("movie.mkv"),
        sidecar: p("movie.srt"),
        _dir: dir,
    };
    gst_launch(&format!(
        "matroskamux name=mux ! filesink location={} {} {} {}",
        media.two_tracks.display(),
        video("mux."),
        track(&dot, "language-code=en,title=Dot"),
        track(&ems, "language-code=fr,title=Ems"),
    ));
    gst_launch(&format!(
        "{} ! matroskamux ! filesink location={}",
        video("queue"),
        media.with_sidecar.display()
    ));
    let one_cue = format!(
        "1\n00:00:00,000 --> 00:{:02}:{:02},000\nMMMMMMMM\n",
        seconds / 60,
        seconds % 60
    );
    assert!(one_cue.len() < 60, "a short sidecar: {one_cue:?}");
    std::fs::write(&media.sidecar, one_cue).unwrap();
    media
}

/// Bright points (subtitle text) in the lower third of a raw video frame, counted on the luma
/// plane (I420 or another YUV format whose first plane is luma) or on RGB.
pub fn bright_in_lower_third(buffer: &gst::Buffer, caps: &gst::Caps) -> usize {
    let info = gst_video::VideoInfo::from_caps(caps).expect("raw video caps");
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info).unwrap();
    let (width, height) = (info.width() as usize, info.height() as usize);
    let data = frame.plane_data(0).unwrap();
    let stride = info.stride()[0] as usize;
    let step = info.format_info().pixel_stride()[0] as usize;
    (height * 2 / 3..height)
        .flat_map(|y| (0..width).map(move |x| y * stride + x * step))
        .filter(|&i| data[i] > 160)
        .count()
}

/// Holds this test binary's one lock: tests that run media heavy enough to starve each other
/// on a 2-core machine (encoders, Chromium, SFUs) take it, so they run one at a time. A test
/// that failed holding it does not block the others.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Receives until `want` accepts an item, or fails the test at the deadline, showing how many
/// items came and the last few (a timeout alone said nothing of what the peer did meanwhile).
pub fn wait_for<T: std::fmt::Debug, R>(
    rx: &flume::Receiver<T>,
    within: Duration,
    what: &str,
    mut want: impl FnMut(&T) -> Option<R>,
) -> R {
    const SHOWN: usize = 5;
    let deadline = Instant::now() + within;
    let mut seen = 0usize;
    let mut last = std::collections::VecDeque::with_capacity(SHOWN);
    loop {
        match rx.recv_deadline(deadline) {
            Ok(item) => {
                if let Some(r) = want(&item) {
                    return r;
                }
                seen += 1;
                if last.len() == SHOWN {
                    last.pop_front();
                }
                // Kept as it came: formatted only if the wait times out.
                last.push_back(item);
            }
            Err(_) => panic!(
                "timed out after {within:?} waiting for {what}; {seen} other items came, the last: {last:#?}"
            ),
        }
    }
}

/// Receives until `want` accepts an item; `None` at the deadline.
pub fn wait_for_opt<T, R>(
    rx: &flume::Receiver<T>,
    within: Duration,
    mut want: impl FnMut(&T) -> Option<R>,
) -> Option<R> {
    let deadline = Instant::now() + within;
    while let Ok(item) = rx.recv_deadline(deadline) {
        if let Some(r) = want(&item) {
            return Some(r);
        }
    }
    None
}

/// Everything that arrives within `window` (for checks that something does NOT happen).
pub fn collect_for<T>(rx: &flume::Receiver<T>, window: Duration) -> Vec<T> {
    let deadline = Instant::now() + window;
    let mut items = Vec::new();
    while let Ok(item) = rx.recv_deadline(deadline) {
        items.push(item);
    }
    items
}

/// Shares what `player` plays under `name`: on `signalling`, or on the embedded default with
/// ports of its own (0: any free one).
pub fn share(player: &Player, name: &str, signalling: Option<&str>) -> TestShare {
    share_with(player, name, signalling, ShareConfig::default())
}

/// A share started in the test process. Dropped, it stops the share and waits (5 s at most)
/// for the process's warm-up thread, as `reelcast` does before it exits: a test process that
/// ended under that thread died by SIGSEGV (OpenSSL, cleaned up at exit, while the thread
/// made the DTLS certificate).
pub struct TestShare(Option<Sharing>);

impl std::ops::Deref for TestShare {
    type Target = Sharing;

    fn deref(&self) -> &Sharing {
        self.0.as_ref().expect("dropped only once")
    }
}

impl Drop for TestShare {
    fn drop(&mut self) {
        drop(self.0.take());
        reelcast::rtc::settle_warm_up(Duration::from_secs(5));
    }
}

/// [`share`] with a share configuration of the test's own.
pub fn share_with(
    player: &Player,
    name: &str,
    signalling: Option<&str>,
    config: ShareConfig,
) -> TestShare {
    let sharing = Sharing::start(
        player,
        SharingOptions {
            signalling: signalling.map(str::to_owned),
            name: name.into(),
            ca_file: None,
            embedded: EmbeddedServerOptions {
                signalling_port: 0,
                http_port: 0,
                ..EmbeddedServerOptions::default()
            },
            config,
            secrets: Default::default(),
        },
    )
    .unwrap();
    TestShare(Some(sharing))
}

/// `len` bytes of the same pseudo-random noise every run (xorshift): a file no demuxer reads.
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545F4914F6CDD1Du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// `reelcast share --headless` on the embedded default, with ports the system picks: tests run
/// side by side.
pub const HEADLESS_SHARE: &[&str] = &[
    "share",
    "--headless",
    "--signalling-port",
    "0",
    "--http-port",
    "0",
];
