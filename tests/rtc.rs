//! The WebRTC fan-out against real in-process receivers (webrtcbin, real decoders), inside the
//! private network namespace of scripts/test.sh.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::net::{assert_private_network, wire, Receivers};
use common::{media, wait_for};
use gst::prelude::*;
use reelcast::capture::MediaStream;
use reelcast::media::{Player, PlayerOptions};
use reelcast::rtc::{Codec, Share, ShareConfig, ShareEvent, ShareSnapshot};
use reelcast_testkit::{Receiver, VideoHandling};

/// The encoders of a share with sound and a VP8 ladder: Opus and one VP8 encoder per rung.
const SOUND_AND_VP8: [&str; 7] = [
    "opusenc", "vp8enc", "vp8enc", "vp8enc", "vp8enc", "vp8enc", "vp8enc",
];

const DEADLINE: Duration = Duration::from_secs(20);

/// Calls run one at a time: each runs real encoders and decoders in real time, and on a
/// two-core machine parallel calls would measure the machine, not Reelcast.
struct Call {
    _serial: std::sync::MutexGuard<'static, ()>,
    _player: Player,
    _stream: MediaStream,
    share: Arc<Share>,
    receivers: Receivers,
    events: flume::Receiver<ShareEvent>,
    /// Each viewer's controller inputs, shown when a viewer does not reach its size.
    traces: tempfile::TempDir,
}

impl Call {
    fn start(mut config: ShareConfig) -> Self {
        assert_private_network();
        let serial = common::one_at_a_time();
        let traces = tempfile::tempdir().unwrap();
        config.controller_trace = Some(traces.path().to_owned());
        let player = Player::new(PlayerOptions::headless()).unwrap();
        player.set_looping(true);
        let stream = player.capture_stream();
        let share = Arc::new(Share::new(config).unwrap());
        let events = share.subscribe();
        share.attach(&stream);
        let receivers: Receivers = Arc::new(Mutex::new(HashMap::new()));
        wire(&share, receivers.clone());
        player.open(media().long.to_str().unwrap()).unwrap();
        player.play().unwrap();
        Self {
            _serial: serial,
            _player: player,
            _stream: stream,
            share,
            receivers,
            events,
            traces,
        }
    }

    /// Waits until `receiver` decodes pictures of `size`: a viewer joins on a smaller rung
    /// of the ladder and climbs as its link allows (this one, without transport-wide
    /// feedback, by plain trials one step per 3 s hold: about 11 s from two thirds to the
    /// full size on a quiet machine). On failure its controller's inputs are shown.
    fn wait_size(&self, receiver: &Receiver, size: (i32, i32)) {
        let deadline = Instant::now() + Duration::from_secs(25);
        loop {
            let now = *receiver.size.lock().unwrap();
            if now == Some(size) {
                return;
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "{}'s controller inputs:\n{}",
                    receiver.id,
                    self.trace(&receiver.id)
                );
                panic!("{} still decodes {now:?}, not {size:?}", receiver.id);
            }
            wait_frames(receiver, receiver.frames() + 1);
        }
    }

    /// The trace of viewer `id`'s controller (see `ShareConfig::controller_trace`).
    fn trace(&self, id: &str) -> String {
        let prefix = format!("{}-{id}-", std::process::id());
        std::fs::read_dir(self.traces.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }

    /// Waits for `id`'s removal, which must be a failure and the only removal; its reason.
    fn wait_failed(&self, id: &str, within: Duration) -> String {
        wait_for(&self.events, within, "the viewer removed", |e| match e {
            ShareEvent::ViewerRemoved {
                viewer,
                reason,
                failed,
            } if viewer == id => {
                assert!(failed, "{id} removed as a failure: {reason}");
                Some(reason.clone())
            }
            ShareEvent::ViewerRemoved { viewer, reason, .. } => {
                panic!("{viewer} removed: {reason}")
            }
            _ => None,
        })
    }

    /// `receiver` (named `id`) is the one viewer left, and it keeps receiving.
    fn assert_only(&self, receiver: &Receiver, id: &str) {
        assert_eq!(self.share.snapshot().viewers, [id]);
        assert_eq!(self.webrtcbins(), 1);
        let before = receiver.frames();
        wait_frames(receiver, before + 30);
    }

    fn join(&self, id: &str, accept_only: Option<&str>) -> Arc<Receiver> {
        let share = Arc::downgrade(&self.share);
        let viewer = id.to_owned();
        let receiver = Receiver::new(id, VideoHandling::Decode, accept_only, move |mline, c| {
            if let Some(share) = share.upgrade() {
                share.add_remote_candidate(&viewer, mline, &c);
            }
        })
        .unwrap();
        self.receivers
            .lock()
            .unwrap()
            .insert(id.to_owned(), receiver.clone());
        self.share.add_viewer(id).unwrap();
        receiver
    }

    /// Elements of the sending pipeline whose factory is an encoder.
    fn encoders(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .share
            .pipeline()
            .iterate_recurse()
            .into_iter()
            .filter_map(Result::ok)
            .filter_map(|e| e.factory())
            .filter(|f| {
                f.metadata(gst::ELEMENT_METADATA_KLASS)
                    .is_some_and(|k| k.contains("Codec/Encoder"))
            })
            .map(|f| f.name().to_string())
            .collect();
        names.sort();
        names
    }

    fn webrtcbins(&self) -> usize {
        self.share
            .pipeline()
            .iterate_elements()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.factory().is_some_and(|f| f.name() == "webrtcbin"))
            .count()
    }
}

fn wait_frames(receiver: &Receiver, n: u64) {
    let deadline = Instant::now() + DEADLINE;
    let (tx, rx) = flume::bounded::<()>(1);
    // Frames arrive on streaming threads; poll the counter against the deadline.
    while receiver.frames() < n {
        assert!(
            Instant::now() < deadline,
            "{}: {} frames of {n} within {DEADLINE:?}",
            receiver.id,
            receiver.frames()
        );
        let _ = rx.recv_timeout(Duration::from_millis(20));
    }
    drop(tx);
}

/// Frames each receiver decodes over `window`, as a share of the 30 fps the file plays.
fn delivery_ratios(receivers: &[&Arc<Receiver>], window: Duration) -> Vec<f64> {
    let start: Vec<(u64, Instant)> = receivers
        .iter()
        .map(|r| (r.frames(), Instant::now()))
        .collect();
    let (_tx, rx) = flume::bounded::<()>(1);
    let _ = rx.recv_timeout(window);
    receivers
        .iter()
        .zip(start)
        .map(|(r, (frames, at))| (r.frames() - frames) as f64 / (at.elapsed().as_secs_f64() * 30.0))
        .collect()
}

#[test]
fn one_then_three_viewers_get_the_frames_from_one_shared_encoder() {
    let call = Call::start(ShareConfig::default());
    let a = call.join("a", None);
    wait_frames(&a, 30);
    call.wait_size(&a, (320, 240));
    assert_eq!(a.codec.lock().unwrap().as_deref(), Some("VP8"));
    assert!(a.audio_packets.load(std::sync::atomic::Ordering::Relaxed) > 0);
    // Behaviour, not speed (`reelcast-bench fanout` measures that): each viewer gets the
    // frames as they come; a busy test machine can make a debug build lose a few.
    let ratio = delivery_ratios(&[&a], Duration::from_secs(2));
    assert!(ratio[0] >= 0.5, "one viewer got {ratio:?} of the frames");
    let encoders_for_one = call.encoders();
    // One ladder of six rungs (a third of 240 lines is too small to be a rung, yet it is
    // built).
    assert_eq!(encoders_for_one, SOUND_AND_VP8);

    let b = call.join("b", None);
    let c = call.join("c", None);
    wait_frames(&b, 30);
    wait_frames(&c, 30);
    assert_eq!(
        call.encoders(),
        encoders_for_one,
        "the third viewer made no new encoder"
    );
    assert_eq!(call.webrtcbins(), 3);
    let snapshot = call.share.snapshot();
    assert_eq!(snapshot.encoders, vec![(Codec::Opus, 3), (Codec::Vp8, 3)]);
    let ratios = delivery_ratios(&[&a, &b, &c], Duration::from_secs(3));
    for (r, ratio) in [&a, &b, &c].iter().zip(&ratios) {
        assert!(*ratio >= 0.5, "{} got {ratio:.2} of the frames", r.id);
        call.wait_size(r, (320, 240));
    }
}

#[test]
fn an_h264_only_viewer_gets_h264_while_others_keep_vp8() {
    let call = Call::start(ShareConfig::default());
    let a = call.join("vp8-viewer", None);
    let b = call.join("h264-viewer", Some("H264"));
    wait_frames(&a, 20);
    wait_frames(&b, 20);
    assert_eq!(a.codec.lock().unwrap().as_deref(), Some("VP8"));
    assert_eq!(b.codec.lock().unwrap().as_deref(), Some("H264"));
    call.wait_size(&b, (320, 240));
    let ladders: Vec<&str> = SOUND_AND_VP8.into_iter().chain(["x264enc"; 6]).collect();
    assert_eq!(call.encoders(), ladders);

    call.share.remove_viewer("h264-viewer", "test");
    wait_for(&call.events, DEADLINE, "the H.264 viewer removed", |e| {
        matches!(e, ShareEvent::ViewerRemoved { viewer, .. } if viewer == "h264-viewer")
            .then_some(())
    });
    // The unused encoder stays built for the next H.264 viewer but encodes nothing. Frames
    // already queued before its encoders when it was parked (a few) are let through first:
    // the count is taken once the other viewer has had some frames since.
    wait_frames(&a, a.frames() + 10);
    let parked = call.share.snapshot();
    assert_eq!(parked.encoders, vec![(Codec::Opus, 1), (Codec::Vp8, 1)]);
    assert_eq!(parked.parked.len(), 1, "{parked:?}");
    assert_eq!(parked.parked[0].0, Codec::H264);
    let seen = a.frames();
    wait_frames(&a, seen + 30);
    assert_eq!(
        call.share.snapshot().parked,
        parked.parked,
        "a parked encoder encodes nothing while the others go on"
    );

    // The next H.264 viewer gets the same encoder, encoding again.
    let c = call.join("next-h264-viewer", Some("H264"));
    wait_frames(&c, 20);
    assert_eq!(call.encoders(), ladders);
    assert!(call.share.snapshot().parked.is_empty());
}

#[test]
fn removing_a_viewer_frees_its_elements_and_the_others_keep_receiving() {
    let call = Call::start(ShareConfig::default());
    let a = call.join("stays", None);
    let b = call.join("leaves", None);
    wait_frames(&a, 20);
    wait_frames(&b, 20);
    let with_two = call.share.pipeline().children().len();
    call.share.remove_viewer("leaves", "said goodbye");
    wait_for(&call.events, DEADLINE, "viewer removed", |e| {
        matches!(e, ShareEvent::ViewerRemoved { viewer, reason, failed: false } if viewer == "leaves" && reason == "said goodbye")
            .then_some(())
    });
    assert_eq!(call.webrtcbins(), 1);
    assert!(call.share.pipeline().by_name("viewer-leaves").is_none());
    // Its webrtcbin, its audio queue and its video path (funnel, queue, payloader, pacer) are
    // gone.
    assert_eq!(call.share.pipeline().children().len(), with_two - 6);
    let before = a.frames();
    wait_frames(&a, before + 30);
}

/// STUN and TURN servers the far side names for a session (a WHIP endpoint's `Link` headers)
/// go to that viewer's connection only.
#[test]
fn ice_servers_named_for_one_viewer_reach_its_connection_only() {
    let call = Call::start(ShareConfig::default());
    let named = [
        "stun://10.99.0.1:3478".to_owned(),
        "turn://u:p@10.99.0.1:3478".to_owned(),
    ];
    call.share.add_viewer_with("named", &named).unwrap();
    call.share.add_viewer("plain").unwrap();
    let stun = |id: &str| {
        call.share
            .pipeline()
            .by_name(&format!("viewer-{id}"))
            .unwrap()
            .property::<Option<String>>("stun-server")
    };
    assert_eq!(stun("named").as_deref(), Some("stun://10.99.0.1:3478"));
    assert_eq!(stun("plain"), None);
}

#[test]
fn a_pli_from_a_viewer_produces_a_keyframe() {
    let call = Call::start(ShareConfig::default());
    let a = call.join("asks", None);
    wait_frames(&a, 30);
    let keyframes = a.keyframes();
    assert!(a.request_keyframe(), "the keyframe request was handled");
    let deadline = Instant::now() + Duration::from_secs(2);
    let (_tx, rx) = flume::bounded::<()>(1);
    while a.keyframes() == keyframes {
        assert!(
            Instant::now() < deadline,
            "no keyframe within 2 s of the PLI"
        );
        let _ = rx.recv_timeout(Duration::from_millis(10));
    }
    wait_for(
        &call.events,
        DEADLINE,
        "stats counting the request",
        |e| match e {
            ShareEvent::ViewerStats(s) if s.viewer == "asks" && s.keyframe_requests > 0 => Some(()),
            _ => None,
        },
    );
}

/// A viewer flooding PLIs (one every 20 ms for 3 s) gets keyframes, but its rung gives at most
/// one each 500 ms: the other viewer on that rung sees no more than the throttle allows.
#[test]
fn a_pli_flood_from_one_viewer_gives_the_others_no_more_keyframes_than_the_throttle_allows() {
    let call = Call::start(ShareConfig::default());
    let calm = call.join("calm", None);
    let flood = call.join("flood", None);
    call.wait_size(&calm, (320, 240));
    call.wait_size(&flood, (320, 240));
    let (calm_before, flood_before) = (calm.keyframes(), flood.keyframes());
    let started = Instant::now();
    let (_tx, pace) = flume::bounded::<()>(1);
    for _ in 0..150 {
        assert!(flood.request_keyframe(), "the keyframe request was handled");
        let _ = pace.recv_timeout(Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    // Keyframes still on their way when the flood stopped.
    wait_frames(&calm, calm.frames() + 10);
    let calm_got = calm.keyframes() - calm_before;
    let flood_got = flood.keyframes() - flood_before;
    let allowed = (secs / 0.5).ceil() as u64 + 2;
    eprintln!("PLI flood of {secs:.1} s: {flood_got} keyframes to the flooder, {calm_got} to the other (at most {allowed})");
    assert!(
        flood_got >= 2,
        "the flooder still gets keyframes: {flood_got}"
    );
    assert!(
        calm_got <= allowed,
        "{calm_got} keyframes in {secs:.1} s, over {allowed}"
    );
}

/// A viewer whose connection never comes up (here: it never answers) is removed at the
/// connect timeout, as a failure, and frees its place; the viewer watching goes on.
#[test]
fn a_viewer_that_never_connects_is_removed_at_the_connect_timeout() {
    let call = Call::start(ShareConfig {
        connect_timeout: Duration::from_secs(3),
        ..ShareConfig::default()
    });
    let watching = call.join("watching", None);
    wait_frames(&watching, 10);
    call.share.add_viewer("never-answers").unwrap();
    let reason = call.wait_failed("never-answers", Duration::from_secs(20));
    assert!(reason.contains("no connection within 3 s"), "{reason}");
    call.assert_only(&watching, "watching");
}

#[test]
fn a_viewer_that_vanishes_is_torn_down_and_the_others_are_unaffected() {
    let call = Call::start(ShareConfig {
        viewer_timeout: Duration::from_secs(8),
        ..ShareConfig::default()
    });
    let a = call.join("stays", None);
    let b = call.join("vanishes", None);
    wait_frames(&a, 20);
    wait_frames(&b, 20);
    b.vanish();
    let reason = call.wait_failed("vanishes", Duration::from_secs(30));
    assert!(reason.contains("stopped responding"), "{reason}");
    call.assert_only(&a, "stays");
}

/// Capture limits: a 320x240 30 fps file shared with at most 120 lines and 15 fps reaches the
/// viewer at 160x120, and the encoders are fed 15 frames a second.
#[test]
fn capture_limits_scale_and_drop_once_before_the_encoders() {
    let call = Call::start(ShareConfig {
        limits: reelcast::rtc::VideoLimits {
            max_height: Some(120),
            max_frame_rate: Some(15),
        },
        ..ShareConfig::default()
    });
    let viewer = call.join("small", None);
    wait_frames(&viewer, 20);
    call.wait_size(&viewer, (160, 120));
    let limits = call.share.pipeline().by_name("video-limits").unwrap();
    let caps = limits.static_pad("src").unwrap().current_caps().unwrap();
    let s = caps.structure(0).unwrap();
    assert_eq!(s.get::<i32>("width").unwrap(), 160);
    assert_eq!(s.get::<i32>("height").unwrap(), 120);
    assert_eq!(
        s.get::<gst::Fraction>("framerate").unwrap(),
        gst::Fraction::new(15, 1)
    );
}

/// 100 viewers come and go: afterwards the share holds no more elements, threads or file
/// descriptors than before (memory is measured by `reelcast-bench churn`, not asserted here).
#[test]
fn viewers_coming_and_going_leave_nothing_behind() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    // The receivers run in this test binary started again, running only `receivers_process`:
    // their threads and descriptors are not counted as the share's.
    let mut receivers = std::process::Command::new(std::env::current_exe().unwrap());
    receivers
        .args(["receivers_process", "--exact", "--ignored", "--quiet"])
        .env(RECEIVERS_PROCESS, "1");
    let report =
        reelcast_testkit::churn(media().long.to_str().unwrap(), 100, 2, false, receivers).unwrap();
    let (before, after) = (report.before, report.after);
    eprintln!("churn footprint: {before:?} -> {after:?}");
    assert_eq!(after.elements, before.elements, "{before:?} -> {after:?}");
    // A thread pool may keep an idle worker or two; a leak would be one per cycle.
    assert!(
        after.threads <= before.threads + 3,
        "{before:?} -> {after:?}"
    );
    assert!(after.fds <= before.fds + 3, "{before:?} -> {after:?}");
}

/// Set in the environment of the receivers process of the test above.
const RECEIVERS_PROCESS: &str = "REELCAST_TEST_RECEIVERS_PROCESS";

/// Not a test of its own: the receivers process of `viewers_coming_and_going_leave_nothing_behind`
/// (JSON lines on standard input and output). Does nothing when run otherwise.
#[test]
#[ignore = "run by viewers_coming_and_going_leave_nothing_behind as its receivers process"]
fn receivers_process() {
    if std::env::var_os(RECEIVERS_PROCESS).is_some() {
        std::process::exit(reelcast_testkit::serve_receivers());
    }
}

/// What a join needs is ready before anyone joins: the encoders are built once the source's
/// media is captured, the rung a joiner starts on runs for the share's grace and is parked
/// after it, and the first viewer is fed from them (nothing new is built for it).
#[test]
fn the_encoders_are_ready_before_the_first_viewer_and_idle_after_the_grace() {
    let call = Call::start(ShareConfig {
        first_viewers_grace: Duration::from_millis(1500),
        ..ShareConfig::default()
    });
    let deadline = Instant::now() + DEADLINE;
    let (_tx, pace) = flume::bounded::<()>(1);
    let wait_snapshot = |what: &str, want: &dyn Fn(&ShareSnapshot) -> bool| loop {
        let snapshot = call.share.snapshot();
        if want(&snapshot) {
            return snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {DEADLINE:?}: {snapshot:?}"
        );
        let _ = pace.recv_timeout(Duration::from_millis(20));
    };
    let warm = wait_snapshot("the start rung running for nobody", &|s| {
        s.encoders == [(Codec::Vp8, 0)]
    });
    assert_eq!(
        warm.parked.len(),
        1,
        "the audio encoder built, parked: {warm:?}"
    );
    assert_eq!(warm.parked[0].0, Codec::Opus);
    assert_eq!(call.encoders(), SOUND_AND_VP8);
    wait_snapshot("every encoder parked after the grace", &|s| {
        s.encoders.is_empty() && s.parked.len() == 2
    });

    let a = call.join("first", None);
    wait_frames(&a, 20);
    assert_eq!(call.encoders(), SOUND_AND_VP8);
    assert_eq!(
        call.share.snapshot().encoders,
        vec![(Codec::Opus, 1), (Codec::Vp8, 1)]
    );
}

/// An answer does not feed the viewer from an encoder: its media must be up first (ICE and
/// DTLS connected), so a join that never connects costs no encoding of its own (the encoders
/// the share built for its first viewers feed nobody). Once candidates flow both ways it
/// connects, and the encoders feed it.
#[test]
fn encoders_start_only_once_a_viewers_media_is_up() {
    use reelcast::rtc::{ConnectionState, SdpKind};
    let call = Call::start(ShareConfig::default());
    // Kept out of `wire`: the test holds its candidates, both ways, until it lets them go.
    let (ours, our_candidates) = flume::unbounded::<(u32, String)>();
    let receiver = Receiver::new("held", VideoHandling::Decode, None, move |mline, c| {
        let _ = ours.send((mline, c));
    })
    .unwrap();
    call.share.add_viewer("held").unwrap();
    let mut theirs = Vec::new();
    let offer = wait_for(&call.events, DEADLINE, "the offer", |e| match e {
        ShareEvent::LocalCandidate {
            viewer,
            mline,
            candidate,
        } if viewer == "held" => {
            theirs.push((*mline, candidate.clone()));
            None
        }
        ShareEvent::LocalDescription { viewer, sdp, .. } if viewer == "held" => Some(sdp.clone()),
        _ => None,
    });
    let answer = receiver.answer(&offer).unwrap();
    call.share
        .set_remote_description("held", SdpKind::Answer, &answer)
        .unwrap();
    let snapshot = call.share.snapshot();
    assert!(
        snapshot.encoders.iter().all(|(_, viewers)| *viewers == 0),
        "no encoder feeds it yet: {snapshot:?}"
    );

    for (mline, candidate) in theirs {
        receiver.add_candidate(mline, &candidate);
    }
    let share = Arc::downgrade(&call.share);
    std::thread::spawn(move || {
        for (mline, candidate) in our_candidates.iter() {
            let Some(share) = share.upgrade() else { return };
            share.add_remote_candidate("held", mline, &candidate);
        }
    });
    wait_for(&call.events, DEADLINE, "the media up", |e| match e {
        ShareEvent::LocalCandidate {
            viewer,
            mline,
            candidate,
        } if viewer == "held" => {
            receiver.add_candidate(*mline, candidate);
            None
        }
        ShareEvent::ViewerState {
            viewer,
            state: ConnectionState::Connected,
        } if viewer == "held" => Some(()),
        _ => None,
    });
    wait_frames(&receiver, 10);
    assert_eq!(call.encoders(), SOUND_AND_VP8);
}
