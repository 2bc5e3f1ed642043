//! Reading a viewer's numbers from webrtcbin's `get-stats`, without waiting for them.

use gst::prelude::*;

/// The numbers we read from a webrtcbin's `get-stats`, summed over its streams.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StatsSample {
    pub bytes_sent: u64,
    pub nack_count: u64,
    /// Worst fraction lost over the streams' last receiver reports.
    pub fraction_lost: Option<f64>,
    pub rtt: Option<f64>,
}

/// Asks `webrtcbin` for its stats; `done` gets them on webrtcbin's thread when they come
/// (`None` if the promise gave nothing).
pub(crate) fn request_stats(
    webrtcbin: &gst::Element,
    done: impl FnOnce(Option<StatsSample>) + Send + 'static,
) {
    let promise = gst::Promise::with_change_func(move |reply| {
        done(reply.ok().flatten().map(parse_stats));
    });
    webrtcbin.emit_by_name::<()>("get-stats", &[&None::<gst::Pad>, &promise]);
}

pub(crate) fn parse_stats(report: &gst::StructureRef) -> StatsSample {
    let mut sample = StatsSample::default();
    for (_, value) in report.iter() {
        let Ok(stat) = value.get::<gst::Structure>() else {
            continue;
        };
        let Ok(kind) = stat.get::<gst_webrtc::WebRTCStatsType>("type") else {
            continue;
        };
        match kind {
            gst_webrtc::WebRTCStatsType::OutboundRtp => {
                sample.bytes_sent += stat.get::<u64>("bytes-sent").unwrap_or(0);
                sample.nack_count += stat.get::<u32>("nack-count").unwrap_or(0) as u64;
            }
            gst_webrtc::WebRTCStatsType::RemoteInboundRtp => {
                if let Ok(loss) = stat.get::<f64>("fraction-lost") {
                    sample.fraction_lost = Some(sample.fraction_lost.unwrap_or(0.0).max(loss));
                }
                if let Ok(rtt) = stat.get::<f64>("round-trip-time") {
                    sample.rtt = Some(sample.rtt.unwrap_or(0.0).max(rtt));
                }
            }
            _ => {}
        }
    }
    sample
}
