//! A viewer's aux sender and retransmissions: the estimator and pacer webrtcbin puts
//! between the viewer's RTP session and its transport, and what is done to the
//! `rtprtxsend` webrtcbin makes (our RTX SSRCs, a budget, the headroom probe).

use std::sync::Arc;

use gst::prelude::*;

use super::codec::Ssrcs;
use super::command::{Command, ViewerKey};
use super::config::ShareConfig;
use super::controller::{cost, Bitrate};
use super::link_probe::LinkProbe;
use super::retransmissions::RetransmissionGate;
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
    (ssrcs, simulcast, probe, gate): (Ssrcs, bool, &Arc<LinkProbe>, &Arc<RetransmissionGate>),
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
    watch_rtxsend(webrtcbin, (ssrcs, simulcast), probe, gate);
    let (viewer, commands) = (key.clone(), commands.clone());
    estimator.connect_notify(Some("estimated-bitrate"), move |bwe, _| {
        let bitrate = bwe.property::<u32>("estimated-bitrate");
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
/// budget its controller sets from then on, and the headroom probe sends through it.
fn watch_rtxsend(
    webrtcbin: &gst::Element,
    (ssrcs, simulcast): (Ssrcs, bool),
    probe: &Arc<LinkProbe>,
    gate: &Arc<RetransmissionGate>,
) {
    let Some(bin) = webrtcbin.downcast_ref::<gst::Bin>() else {
        return;
    };
    let (probe, gate) = (probe.clone(), gate.clone());
    bin.connect_deep_element_added(move |_, _, element| {
        if element.factory().is_some_and(|f| f.name() == "rtprtxsend") {
            keep_our_rtx_ssrcs(element, ssrcs);
            if simulcast {
                simulcast::mark_retransmissions_repaired(
                    element,
                    ssrcs.layers.iter().map(|(rung, _)| *rung).collect(),
                );
            }
            super::link_probe::install(element, ssrcs.video, probe.clone());
            gate.install(element);
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
