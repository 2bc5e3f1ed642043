//! A viewer's aux sender and retransmissions: the estimator and pacer webrtcbin puts
//! between the viewer's RTP session and its transport, and what is done to the
//! `rtprtxsend` webrtcbin makes (our RTX SSRCs, a budget, the headroom probe).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use gst::prelude::*;

use super::codec::Ssrcs;
use super::command::{Command, ViewerKey};
use super::config::ShareConfig;
use super::controller::{cost, Bitrate};
use super::link_probe::LinkProbe;
use super::retransmissions::{limit_retransmissions, RetransmissionBudget};
use super::simulcast;

/// The field's estimator and pacer for this viewer's link: rtpgccbwe (Google Congestion
/// Control, from gst-plugins-rs), which webrtcbin puts between its RTP session and the
/// transport. It reads the viewer's transport-wide feedback; its estimate comes to the actor
/// as [`Command::Estimate`]. `None` where the element is missing: loss-based control then.
pub(crate) fn add_estimator(
    webrtcbin: &gst::Element,
    key: &ViewerKey,
    config: &ShareConfig,
    commands: &flume::Sender<Command>,
    (ssrcs, simulcast, probe): (Ssrcs, bool, &Arc<LinkProbe>),
) -> Option<gst::Element> {
    super::plugins::register();
    let estimator = gst::ElementFactory::make("rtpgccbwe").build().ok()?;
    let max = cost(
        Bitrate::bps(config.max_video_bitrate),
        Bitrate::bps(config.audio_bitrate),
    )
    .as_bps();
    estimator.set_property("min-bitrate", config.min_video_bitrate / 2);
    estimator.set_property("max-bitrate", max + max / 2);
    // Its estimates are the controller's to set (`rtc::control`), the first one included.
    let estimate = Arc::new(AtomicU32::new(config.start_video_bitrate));
    watch_rtxsend(webrtcbin, &estimate, (ssrcs, simulcast), probe);
    let (viewer, commands) = (key.clone(), commands.clone());
    estimator.connect_notify(Some("estimated-bitrate"), move |bwe, _| {
        let bitrate = bwe.property::<u32>("estimated-bitrate");
        estimate.store(bitrate, Ordering::Relaxed);
        let _ = commands.send(Command::Estimate {
            viewer: viewer.clone(),
            bitrate,
        });
    });
    let given = std::sync::Mutex::new(Some(estimator.clone()));
    webrtcbin.connect("request-aux-sender", false, move |_| {
        // One transport (max-bundle), so one estimator; a second transport gets none.
        given.lock().unwrap().take().map(|e| e.to_value())
    });
    Some(estimator)
}

/// webrtcbin makes its `rtprtxsend` once the answer is in: its retransmissions are held to a
/// budget of the link's estimate from then on, and the headroom probe sends through it.
fn watch_rtxsend(
    webrtcbin: &gst::Element,
    estimate: &Arc<AtomicU32>,
    (ssrcs, simulcast): (Ssrcs, bool),
    probe: &Arc<LinkProbe>,
) {
    let Some(bin) = webrtcbin.downcast_ref::<gst::Bin>() else {
        return;
    };
    let (estimate, probe) = (estimate.clone(), probe.clone());
    bin.connect_deep_element_added(move |_, _, element| {
        if element.factory().is_some_and(|f| f.name() == "rtprtxsend") {
            keep_our_rtx_ssrcs(element, ssrcs);
            if simulcast {
                simulcast::mark_retransmissions_repaired(
                    element,
                    ssrcs.layers.iter().map(|(_, rtx)| *rtx).collect(),
                );
            }
            super::link_probe::install(element, ssrcs.video, probe.clone());
            let budget = RetransmissionBudget::new(Instant::now());
            limit_retransmissions(
                element,
                estimate.clone(),
                Arc::new(std::sync::Mutex::new(budget)),
            );
        }
    });
}

/// The video's retransmissions go out under the SSRCs our offers name, each simulcast rung
/// with its own. webrtcbin gives rtprtxsend a map of RTX SSRCs of its own choosing, which no
/// offer of ours names, and a viewer drops retransmissions it cannot place: none ever
/// reached Chromium, so every lost packet froze the picture until the next keyframe. The
/// map is write-only and read once per stream, at the caps that name its SSRC: ours is put
/// back just before, whatever was set since.
fn keep_our_rtx_ssrcs(rtxsend: &gst::Element, ssrcs: Ssrcs) {
    let mut map = gst::Structure::builder("application/x-rtp-ssrc-map")
        .field(ssrcs.video.to_string(), ssrcs.video_rtx)
        .build();
    for (ssrc, rtx) in ssrcs.layers {
        map.set(ssrc.to_string().as_str(), rtx);
    }
    rtxsend.set_property("ssrc-map", &map);
    let Some(sink) = rtxsend.static_pad("sink") else {
        return;
    };
    let element = rtxsend.downgrade();
    sink.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        let caps = matches!(&info.data, Some(gst::PadProbeData::Event(e)) if e.type_() == gst::EventType::Caps);
        if let (true, Some(element)) = (caps, element.upgrade()) {
            element.set_property("ssrc-map", &map);
        }
        gst::PadProbeReturn::Ok
    });
}
