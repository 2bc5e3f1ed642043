use std::time::Duration;

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

const STATS_TIMEOUT: Duration = Duration::from_millis(500);

/// Asks `webrtcbin` for its stats; `None` when it does not answer in time.
pub(crate) fn read_stats(webrtcbin: &gst::Element) -> Option<StatsSample> {
    let (tx, rx) = flume::bounded(1);
    let promise = gst::Promise::with_change_func(move |reply| {
        let _ = tx.send(reply.ok().flatten().map(|s| s.to_owned()));
    });
    webrtcbin.emit_by_name::<()>("get-stats", &[&None::<gst::Pad>, &promise]);
    let report = rx.recv_timeout(STATS_TIMEOUT).ok().flatten()?;
    Some(parse_stats(&report))
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
