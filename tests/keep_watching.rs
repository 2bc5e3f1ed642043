//! Viewers keep watching whatever the person does with the player: pause, seek, another file
//! of the same kinds or of other kinds, another audio stream, loop, a play queue, the end.
//! One headless Chromium viewer on Reelcast's page watches one share through all of it; each
//! step checks the frames it shows, the time from the step to the first new frame, and that
//! there is no new session, and no new offer unless the kinds changed. Runs in
//! scripts/test.sh's private network namespace.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::net::assert_private_network;
use common::peers::{browser_viewers, reelcast_share, viewer_stats, Peer, ViewerKind, ViewerStats};
use reelcast::capture::CaptureEvent;
use reelcast::media::{MediaKind, Player, PlayerEvent, PlayerOptions, SeekMode};
use reelcast::sharing::SharingEvent;

const STEP: Duration = Duration::from_secs(20);
/// A picture still this long (ms) counts as frozen (at 30 fps frames are 33 ms apart; a loaded
/// machine delays some by a few hundred).
const FROZEN: u64 = 1_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Reads the viewer's stats lines, keeping every frame it reports having shown.
struct Viewer<'a> {
    browser: &'a Peer,
    last: ViewerStats,
    shown: BTreeSet<(u64, u64, u64)>,
}

impl<'a> Viewer<'a> {
    fn new(browser: &'a Peer) -> Self {
        Self {
            browser,
            last: ViewerStats::default(),
            shown: BTreeSet::new(),
        }
    }

    /// Reads stats until `want` accepts them, or fails the test after `within`.
    fn until(
        &mut self,
        within: Duration,
        what: &str,
        mut want: impl FnMut(&ViewerStats, &BTreeSet<(u64, u64, u64)>) -> bool,
    ) -> ViewerStats {
        let deadline = std::time::Instant::now() + within;
        loop {
            let line = match self.browser.lines.recv_deadline(deadline) {
                Ok(line) => line,
                Err(_) => panic!(
                    "timed out after {within:?} waiting for {what}; last: {:?}",
                    {
                        let mut l = self.last.clone();
                        l.shown.clear();
                        l
                    }
                ),
            };
            let Some(stats) = serde_json::from_str(&line)
                .ok()
                .and_then(|v| viewer_stats(&v))
            else {
                continue;
            };
            self.shown.extend(stats.shown.iter().copied());
            self.last = stats;
            if want(&self.last, &self.shown) {
                return self.last.clone();
            }
        }
    }

    /// The first frame shown after `since` (wall clock ms) whose size `size_ok` accepts: how
    /// long after `since` it came.
    fn first_frame_after(
        &mut self,
        since: u64,
        what: &str,
        size_ok: impl Fn(u64, u64) -> bool,
    ) -> u64 {
        self.until(STEP, what, |_, shown| {
            shown.range((since, 0, 0)..).any(|&(_, w, h)| size_ok(w, h))
        });
        let at = self
            .shown
            .range((since, 0, 0)..)
            .find(|&&(_, w, h)| size_ok(w, h))
            .map(|f| f.0)
            .unwrap();
        at - since
    }

    /// The longest time between two frames shown from `from` to `to` (wall clock ms).
    fn longest_gap(&self, from: u64, to: u64) -> u64 {
        let times: Vec<u64> = self
            .shown
            .range((from, 0, 0)..(to, 0, 0))
            .map(|f| f.0)
            .collect();
        times
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(u64::MAX)
    }

    /// Audio payload bytes received per second, over a second from now.
    fn audio_rate(&mut self, what: &str) -> f64 {
        let first = self.until(STEP, what, |_, _| true);
        let started = std::time::Instant::now();
        let last = self.until(STEP, what, |_, _| {
            started.elapsed() >= Duration::from_secs(1)
        });
        last.audio_bytes.saturating_sub(first.audio_bytes) as f64 / started.elapsed().as_secs_f64()
    }

    /// Waits until frames shown reach `to` (wall clock ms).
    fn frames_until(&mut self, to: u64) {
        self.until(STEP, "frames shown", |_, shown| {
            shown.iter().next_back().is_some_and(|f| f.0 >= to)
        });
    }
}

#[test]
fn viewers_keep_watching_through_everything_the_person_does() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let dir = &common::media().dir;
    let big = dir.join("keep-640x360.webm");
    common::make_webm(&big, Some((640, 360)), true, 12);
    let small = dir.join("keep-320x240.webm");
    common::make_webm(&small, Some((320, 240)), true, 12);
    let audio_only = dir.join("keep-audio-only.webm");
    common::make_webm(&audio_only, None, true, 12);
    let short = dir.join("keep-short-320x240.webm");
    common::make_webm(&short, Some((320, 240)), true, 3);
    let languages = dir.join("keep-two-languages.mkv");
    common::gst_launch(&format!(
        "matroskamux name=mux ! filesink location={} \
         videotestsrc num-buffers=900 pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 \
           ! vp8enc deadline=1 ! queue ! mux. \
         audiotestsrc num-buffers=1500 samplesperbuffer=960 wave=white-noise volume=0.5 \
           ! audio/x-raw,rate=48000,channels=2 ! opusenc \
           ! taginject tags=language-code=en ! queue ! mux. \
         audiotestsrc num-buffers=1500 samplesperbuffer=960 wave=silence \
           ! audio/x-raw,rate=48000,channels=2 ! opusenc \
           ! taginject tags=language-code=fr ! queue ! mux.",
        languages.display()
    ));

    let player = Player::new(PlayerOptions::headless()).unwrap();
    let player_events = player.subscribe();
    let sharing = common::share(&player, "keep-watching", None);
    let events = sharing.subscribe();
    player.open(big.to_str().unwrap()).unwrap();
    player.play().unwrap();
    common::wait_for(&events, STEP, "registered", |e| {
        matches!(e, SharingEvent::Registered { .. }).then_some(())
    });
    let browser = browser_viewers(ViewerKind::Page, &sharing.viewer_url().unwrap(), 1);
    let mut viewer = Viewer::new(&browser);
    let start = viewer.until(Duration::from_secs(60), "30 frames of 640x360", |s, _| {
        s.frames >= 30 && (s.width, s.height) == (640, 360) && s.audio_packets > 0
    });
    assert_eq!(
        (start.sessions, start.offers, start.peer_connections),
        (1, 1, 1)
    );
    let mut timings: Vec<(String, u64)> = Vec::new();
    let wait_player = |what: &str, want: &dyn Fn(&PlayerEvent) -> bool| {
        common::wait_for(&player_events, STEP, what, |e| want(e).then_some(()))
    };

    // Pause: no frame shown once the last ones in flight are out; resume: a keyframe, and
    // frames again within half a second.
    let paused_at = now_ms();
    player.pause().unwrap();
    let keyframes_before = viewer.last.keyframes;
    // Frames already on their way (encoder, network, jitter buffer) may still show in the
    // first moments; after that, nothing.
    let settled = viewer.until(STEP, "the pause settling", |_, _| {
        now_ms() >= paused_at + 1_000
    });
    viewer.until(STEP, "a second of pause", |_, _| {
        now_ms() >= paused_at + 2_000
    });
    let during_pause = viewer.shown.range((paused_at + 1_000, 0, 0)..).count();
    assert_eq!(during_pause, 0, "frames shown while paused");
    assert_eq!(
        viewer.last.audio_packets, settled.audio_packets,
        "audio sent while paused"
    );
    let resumed_at = now_ms();
    player.play().unwrap();
    let resume_ms = viewer.first_frame_after(resumed_at, "a frame after resuming", |_, _| true);
    timings.push(("resume -> first frame".into(), resume_ms));
    assert!(
        resume_ms <= 500,
        "frames came back {resume_ms} ms after resuming"
    );
    viewer.until(STEP, "a keyframe after resuming", |s, _| {
        s.keyframes > keyframes_before
    });

    // Seek: the picture never stands still, and a keyframe follows.
    let keyframes_before = viewer.last.keyframes;
    let seeked_at = now_ms();
    player
        .seek(Duration::from_secs(6), SeekMode::Accurate)
        .unwrap();
    wait_player("the seek", &|e| matches!(e, PlayerEvent::SeekDone(_)));
    viewer.frames_until(seeked_at + 2_000);
    let seek_gap = viewer.longest_gap(seeked_at - 500, seeked_at + 2_000);
    timings.push(("seek: longest time between frames".into(), seek_gap));
    assert!(seek_gap <= FROZEN, "the picture stood still {seek_gap} ms");
    viewer.until(STEP, "a keyframe after the seek", |s, _| {
        s.keyframes > keyframes_before
    });

    // Another file of the same kinds, another size: frames of the new size within a
    // second, same transceivers (no offer).
    let offers = 1;
    let switched_at = now_ms();
    player.open(small.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let switch_ms =
        viewer.first_frame_after(switched_at, "320x240 frames", |w, h| (w, h) == (320, 240));
    timings.push(("same kinds, new size -> first frame".into(), switch_ms));
    assert!(
        switch_ms <= 1_000,
        "the new file showed after {switch_ms} ms"
    );
    let so_far = &viewer.last;
    assert_eq!(
        (so_far.sessions, so_far.offers, so_far.peer_connections),
        (1, 1, 1),
        "pause, seek and a file of the same kinds need no new session or offer"
    );

    // Audio only: the video transceiver is switched off by a renegotiation on the same
    // connection.
    player.open(audio_only.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let packets = viewer.last.audio_packets;
    let audio = viewer.until(STEP, "a renegotiation to audio only", |s, _| {
        s.offers == offers + 1 && s.kinds == ["audio"] && s.audio_packets > packets + 50
    });
    assert_eq!((audio.sessions, audio.peer_connections), (1, 1));

    // Video again: another renegotiation, video frames again.
    let back_at = now_ms();
    player.open(big.to_str().unwrap()).unwrap();
    player.play().unwrap();
    let back_ms =
        viewer.first_frame_after(back_at, "640x360 frames again", |w, h| (w, h) == (640, 360));
    timings.push(("audio only -> audio+video: first frame".into(), back_ms));
    let both = viewer.until(STEP, "video and audio received", |s, _| {
        s.kinds.len() == 2 && s.offers == offers + 2
    });
    assert_eq!((both.sessions, both.peer_connections), (1, 1));

    // Another audio stream of a two-language file: the old audio track ends, a new one
    // feeds the same sender.
    let capture = player.capture_stream();
    let captured = capture.subscribe();
    player.open(languages.to_str().unwrap()).unwrap();
    player.play().unwrap();
    wait_player(
        "the two-language file's streams",
        &|e| matches!(e, PlayerEvent::StreamsKnown(s) if s.iter().filter(|s| s.kind == MediaKind::Audio).count() == 2),
    );
    viewer.first_frame_after(now_ms(), "the two-language file", |w, h| {
        (w, h) == (320, 240)
    });
    // The first language is noise, the second silence: Opus (VBR) sends far fewer bytes for
    // silence, which the viewer sees without playing the sound out (headless Chromium has no
    // audio output, so no audio level).
    let noise = viewer.audio_rate("audio of the first language");
    assert!(noise > 3_000.0, "the first language came at {noise:.0} B/s");
    player.select_audio(1).unwrap();
    common::wait_for(&captured, STEP, "the old audio track ended", |e| {
        matches!(e, CaptureEvent::Ended(t) if t.kind() == MediaKind::Audio).then_some(())
    });
    common::wait_for(&captured, STEP, "a new audio track", |e| {
        matches!(e, CaptureEvent::TrackAdded(t) if t.kind() == MediaKind::Audio).then_some(())
    });
    let deadline = std::time::Instant::now() + STEP;
    let silence = loop {
        let rate = viewer.audio_rate("audio of the second language");
        if rate < noise / 2.0 || std::time::Instant::now() > deadline {
            break rate;
        }
    };
    assert!(
        silence < noise / 2.0,
        "the second language never reached the viewer: {silence:.0} B/s, was {noise:.0} B/s"
    );
    eprintln!("keep watching: audio stream switch: {noise:.0} B/s -> {silence:.0} B/s");
    let after = viewer.last.clone();
    assert_eq!(
        after.offers,
        offers + 2,
        "no renegotiation for a new audio track"
    );
    drop(capture);

    // Loop: the end of a short file starts it again with no pause in the picture.
    player.set_looping(true);
    player.open(short.to_str().unwrap()).unwrap();
    player.play().unwrap();
    wait_player("the loop", &|e| matches!(e, PlayerEvent::Looped));
    let looped_at = now_ms();
    viewer.frames_until(looped_at + 1_500);
    let loop_gap = viewer.longest_gap(looped_at - 1_000, looped_at + 1_500);
    timings.push(("loop: longest time between frames".into(), loop_gap));
    assert!(
        loop_gap <= FROZEN,
        "the picture stood still {loop_gap} ms at the loop"
    );
    player.set_looping(false);

    // A queue: the next file follows the first with no new session; at the end of the last,
    // the viewer is told the share ended.
    player
        .open_queue(&[short.to_str().unwrap(), big.to_str().unwrap()])
        .unwrap();
    player.play().unwrap();
    wait_player("the queue's next file", &|e| {
        matches!(e, PlayerEvent::Advanced { index: 1, .. })
    });
    let advanced_at = now_ms();
    let next_ms = viewer.first_frame_after(advanced_at, "the queue's second file", |w, h| {
        (w, h) == (640, 360)
    });
    timings.push(("queue: next file -> first frame".into(), next_ms));
    let queued = viewer.last.clone();
    assert_eq!((queued.sessions, queued.peer_connections), (1, 1));
    assert_eq!(queued.offers, offers + 2);
    player
        .seek(Duration::from_secs(10), SeekMode::Fast)
        .unwrap();
    wait_player("the end", &|e| matches!(e, PlayerEvent::EndOfStream));
    common::wait_for(&events, STEP, "the viewer told the video ended", |e| {
        matches!(e, SharingEvent::ViewerLeft { reason, .. } if reason.contains("ended"))
            .then_some(())
    });
    browser.wait_json(STEP, "the page showing the end", |v| {
        (v.get("status")?.as_str()? == "ended").then_some(())
    });

    for (what, ms) in &timings {
        eprintln!("keep watching: {what}: {ms} ms");
    }
}

/// `reelcast share A B`: the second file follows the first for the same viewer session, and
/// the end of the last ends the share.
#[test]
fn share_on_the_command_line_plays_a_queue() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let dir = &common::media().dir;
    let first = dir.join("queue-first-320x240.webm");
    common::make_webm(&first, Some((320, 240)), true, 8);
    let second = dir.join("queue-second-640x360.webm");
    common::make_webm(&second, Some((640, 360)), true, 4);
    let share = reelcast_share(
        &first,
        &[
            second.to_str().unwrap(),
            "--signalling-port",
            "0",
            "--http-port",
            "0",
        ],
    );
    let url = share.wait_json(STEP, "the viewer link", |v| {
        (v["event"] == "viewer-url").then(|| v["url"].as_str().unwrap().to_owned())
    });
    let browser = browser_viewers(ViewerKind::Page, &url, 1);
    let mut viewer = Viewer::new(&browser);
    let shows = |w: u64, h: u64| {
        move |_: &ViewerStats, shown: &BTreeSet<(u64, u64, u64)>| {
            shown.iter().any(|&(_, fw, fh)| (fw, fh) == (w, h))
        }
    };
    viewer.until(Duration::from_secs(60), "the first file", shows(320, 240));
    share.wait_json(STEP, "the second file", |v| {
        (v["event"] == "next" && v["index"] == 1).then_some(())
    });
    let after = viewer.until(STEP, "the second file", shows(640, 360));
    assert_eq!(
        (after.sessions, after.peer_connections),
        (1, 1),
        "the same session"
    );
    share.wait_json(STEP, "the end of the queue", |v| {
        (v["event"] == "share-ended").then_some(())
    });
}
