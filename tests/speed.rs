//! Playback speed reaches the viewers, as the capture spec asks (the capture carries what is
//! rendered, in real time): at 1.5x a real WebRTC receiver gets 1.5 s of the file's media per
//! second, and the sound goes on. Each frame of the file carries its media time as its
//! brightness, so the receiver reads it off the decoded pixels. Inside scripts/private-net.sh.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::net::{assert_private_network, wire, Receivers};
use common::wait_for;
use gst::prelude::*;
use reelcast::media::{Player, PlayerEvent, PlayerOptions};
use reelcast::rtc::{Share, ShareConfig};
use reelcast_testkit::{Receiver, VideoHandling};

const FPS: u32 = 30;
/// Frame n is flat grey of luma `FIRST_LUMA + n`: VP8 keeps a flat picture within a level or
/// two, so a frame's luma tells its media time within a frame or two.
const FIRST_LUMA: u32 = 16;
const FRAMES: u32 = 240;
const SIZE: (usize, usize) = (160, 120);

/// An 8 s WebM: the luma ramp above (VP8) and a 440 Hz sine (Opus).
fn make_clip(path: &Path) {
    reelcast::init().unwrap();
    let (w, h) = SIZE;
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=frames format=time caps=video/x-raw,format=I420,width={w},height={h},framerate={FPS}/1 \
         ! vp8enc deadline=1 ! queue ! webmmux name=mux ! filesink location={} \
         audiotestsrc num-buffers={} samplesperbuffer=960 wave=sine freq=440 \
         ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! queue ! mux.",
        path.display(),
        FRAMES * 50 / FPS,
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let src = pipeline
        .by_name("frames")
        .unwrap()
        .downcast::<gst_app::AppSrc>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let frame = gst::ClockTime::SECOND / u64::from(FPS);
    for n in 0..FRAMES {
        let mut data = vec![(FIRST_LUMA + n) as u8; w * h];
        data.resize(w * h * 3 / 2, 128);
        let mut buffer = gst::Buffer::from_mut_slice(data);
        let b = buffer.get_mut().unwrap();
        b.set_pts(frame * u64::from(n));
        b.set_duration(frame);
        src.push_buffer(buffer).unwrap();
    }
    src.end_of_stream().unwrap();
    let bus = pipeline.bus().unwrap();
    let done = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(30),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(
        matches!(
            done.as_ref().map(|m| m.view()),
            Some(gst::MessageView::Eos(_))
        ),
        "the clip was written: {done:?}"
    );
}

/// The media time a decoded frame shows, from the mean luma of its middle.
fn media_time(sample: &gst::Sample) -> Option<f64> {
    let info = gst_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer()?, &info).ok()?;
    let (w, h, stride) = (
        info.width() as usize,
        info.height() as usize,
        info.stride()[0] as usize,
    );
    let luma = frame.plane_data(0).ok()?;
    let (mut sum, mut n) = (0u64, 0u64);
    for y in h / 2 - 8..h / 2 + 8 {
        for x in w / 2 - 8..w / 2 + 8 {
            sum += u64::from(luma[y * stride + x]);
            n += 1;
        }
    }
    let level = sum as f64 / n as f64;
    Some((level - f64::from(FIRST_LUMA)) / f64::from(FPS))
}

/// Seconds of media per second of wall time over `frames` (a least-squares slope).
fn media_rate(frames: &[(Instant, f64)]) -> f64 {
    let t0 = frames[0].0;
    let points: Vec<(f64, f64)> = frames
        .iter()
        .map(|(at, media)| (at.duration_since(t0).as_secs_f64(), *media))
        .collect();
    let n = points.len() as f64;
    let (mt, mm) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = points.iter().map(|(t, m)| (t - mt) * (m - mm)).sum();
    let var: f64 = points.iter().map(|(t, _)| (t - mt).powi(2)).sum();
    cov / var
}

/// The frames that arrive from now for `span` of wall time.
fn frames_for(frames: &flume::Receiver<(Instant, f64)>, span: Duration) -> Vec<(Instant, f64)> {
    let end = Instant::now() + span;
    let mut got = Vec::new();
    while let Ok(frame) = frames.recv_deadline(end) {
        got.push(frame);
    }
    assert!(
        got.len() as f64 > span.as_secs_f64() * 10.0,
        "frames kept coming: {} in {span:?}",
        got.len()
    );
    got
}

#[test]
fn speed_1_5x_reaches_a_viewer_at_1_5x_media_rate() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let clip = common::media().dir.join("luma-ramp.webm");
    make_clip(&clip);

    let player = Player::new(PlayerOptions::headless()).unwrap();
    let player_events = player.subscribe();
    let stream = player.capture_stream();
    let share = Arc::new(Share::new(ShareConfig::default()).unwrap());
    share.attach(&stream);
    let receivers: Receivers = Arc::new(Mutex::new(HashMap::new()));
    wire(&share, receivers.clone());
    player.open(clip.to_str().unwrap()).unwrap();
    player.play().unwrap();

    let viewer = {
        let share = Arc::downgrade(&share);
        Receiver::new("viewer", VideoHandling::Decode, None, move |mline, c| {
            if let Some(share) = share.upgrade() {
                share.add_remote_candidate("viewer", mline, &c);
            }
        })
        .unwrap()
    };
    let (tx, frames) = flume::unbounded();
    viewer.watch_frames(move |sample| {
        if let Some(media) = media_time(sample) {
            let _ = tx.send((Instant::now(), media));
        }
    });
    receivers
        .lock()
        .unwrap()
        .insert("viewer".into(), viewer.clone());
    share.add_viewer("viewer").unwrap();
    wait_for(&frames, Duration::from_secs(20), "the first frame", |_| {
        Some(())
    });

    // At normal speed first: the measure itself is right (once the join's first burst passed).
    frames_for(&frames, Duration::from_millis(400));
    let normal = media_rate(&frames_for(&frames, Duration::from_millis(1200)));
    assert!((0.85..1.15).contains(&normal), "at 1x: {normal:.2}x");

    player.set_speed(1.5).unwrap();
    wait_for(
        &player_events,
        Duration::from_secs(5),
        "the speed event",
        |e| matches!(e, PlayerEvent::SpeedChanged(s) if *s == 1.5).then_some(()),
    );
    // The rate seek flushes: what was on its way drains first.
    frames_for(&frames, Duration::from_millis(500));
    let audio_before = viewer
        .audio_packets
        .load(std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let fast = frames_for(&frames, Duration::from_secs(2));
    let audio = viewer
        .audio_packets
        .load(std::sync::atomic::Ordering::Relaxed)
        - audio_before;
    let packets_per_second = audio as f64 / started.elapsed().as_secs_f64();
    let rate = media_rate(&fast);
    println!(
        "media rate at the viewer: {normal:.3}x at 1x, {rate:.3}x at 1.5x; audio {packets_per_second:.0} packets/s"
    );
    assert!((1.35..1.65).contains(&rate), "at 1.5x: {rate:.2}x");
    // Opus sends a packet per 20 ms of sound: the sound flows in real time at any speed.
    assert!(
        packets_per_second > 35.0,
        "audio still flows: {packets_per_second:.0} packets/s"
    );
}
