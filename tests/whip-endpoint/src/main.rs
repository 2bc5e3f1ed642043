//! `whip-endpoint PORT`: a WHIP endpoint (RFC 9725) at http://127.0.0.1:PORT/whip/endpoint,
//! gst-plugins-rs' `whipserversrc`, for Reelcast's tests. It decodes the video it receives and
//! prints JSON lines: `{"listening": PORT}` once it accepts connections, then every 250 ms
//! `{"frames": N, "sessions": S, "ended": E}` (video frames decoded, sessions started, sessions
//! ended). Runs until killed.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gst::prelude::*;

fn make(factory: &str) -> gst::Element {
    gst::ElementFactory::make(factory)
        .build()
        .unwrap_or_else(|e| panic!("cannot create {factory}: {e}"))
}

#[derive(Default)]
struct Counts {
    frames: AtomicU64,
    sessions: AtomicU64,
    ended: AtomicU64,
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: whip-endpoint PORT");
    gst::init().unwrap();
    gstrswebrtc::plugin_register_static().expect("the rswebrtc plugin registers");

    let pipeline = gst::Pipeline::new();
    let counts = Arc::new(Counts::default());
    let src = make("whipserversrc");
    // No STUN (its default is a public server): on the element, and on the signaller, whose
    // value also goes into the replies' Link headers.
    src.set_property("stun-server", None::<String>);
    let proxy = src.dynamic_cast_ref::<gst::ChildProxy>().unwrap();
    proxy.set_child_property("signaller::stun-server", None::<String>);
    proxy.set_child_property("signaller::host-addr", format!("http://127.0.0.1:{port}"));
    let on_added = counts.clone();
    src.connect_pad_added(move |src, pad| {
        let bin = src.parent().and_downcast::<gst::Bin>().unwrap();
        let sink = make("fakesink");
        sink.set_property("sync", false);
        sink.set_property("async", false);
        if pad.name().starts_with("video_") {
            on_added.sessions.fetch_add(1, Ordering::Relaxed);
            // Asking for raw video makes whipserversrc decode it.
            let filter = make("capsfilter");
            filter.set_property("caps", gst::Caps::new_empty_simple("video/x-raw"));
            bin.add_many([&filter, &sink]).unwrap();
            filter.link(&sink).unwrap();
            let counts = on_added.clone();
            sink.static_pad("sink")
                .unwrap()
                .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                    counts.frames.fetch_add(1, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                });
            sink.sync_state_with_parent().unwrap();
            filter.sync_state_with_parent().unwrap();
            pad.link(&filter.static_pad("sink").unwrap()).unwrap();
        } else {
            bin.add(&sink).unwrap();
            sink.sync_state_with_parent().unwrap();
            pad.link(&sink.static_pad("sink").unwrap()).unwrap();
        }
    });
    let on_removed = counts.clone();
    src.connect_pad_removed(move |_, pad| {
        if pad.name().starts_with("video_") {
            on_removed.ended.fetch_add(1, Ordering::Relaxed);
        }
    });
    pipeline.add(&src).unwrap();
    pipeline
        .set_state(gst::State::Playing)
        .expect("the pipeline plays");

    // The HTTP server binds in the background and says nothing when it is up: connect to it
    // until it answers (bounded), so that the test waits on this line, not on a guess.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the WHIP endpoint never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("{{\"listening\": {port}}}");

    let bus = pipeline.bus().unwrap();
    loop {
        // Errors end the run; otherwise a stats line every 250 ms.
        if let Some(msg) = bus.timed_pop_filtered(
            gst::ClockTime::from_mseconds(250),
            &[gst::MessageType::Error],
        ) {
            if let gst::MessageView::Error(e) = msg.view() {
                eprintln!("whip-endpoint: {} ({:?})", e.error(), e.debug());
                std::process::exit(1);
            }
        }
        println!(
            "{{\"frames\": {}, \"sessions\": {}, \"ended\": {}}}",
            counts.frames.load(Ordering::Relaxed),
            counts.sessions.load(Ordering::Relaxed),
            counts.ended.load(Ordering::Relaxed)
        );
    }
}
