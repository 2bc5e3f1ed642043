//! Headroom probes of one viewer's link. The estimator never believes in much more than
//! what arrives, and the ladder's rungs are shared, so a viewer cannot climb by sending a
//! little more of its own picture: a step up used to be a trial of the bigger rung itself,
//! and where the link could not carry it the bigger rung's keyframe was lost and the viewer
//! froze. Instead, as SFUs do before they forward a bigger simulcast layer, packets the
//! viewer already has are sent again through `rtprtxsend` (RTX, which the viewer discards
//! and transport-wide feedback counts) so that its link carries what the bigger rung would
//! cost; the estimator then says whether it can, and no picture depends on the answer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use gst::prelude::*;

/// The field that marks a request as a probe's: the retransmission budget lets it through.
pub(crate) const PROBE_FIELD: &str = "reelcast-probe";
/// Recent video packets a probe may send again: well inside rtprtxsend's history.
const REMEMBERED: usize = 48;
/// Unused probe budget kept, in seconds: packets leave about as they would at the rate.
const BURST_SECONDS: f64 = 0.03;
/// Packets smaller than this are not worth sending again (a probe wants bytes).
const MIN_PACKET: usize = 200;

/// One viewer's probe: off, or on at an extra rate, fed by the packets it sees.
#[derive(Debug, Default)]
pub(crate) struct LinkProbe {
    /// Extra bits per second to send while on; 0: off.
    extra: AtomicU32,
    /// Packets sent again as probes, in all.
    sent: AtomicU64,
    state: Mutex<ProbeState>,
}

#[derive(Debug, Default)]
struct ProbeState {
    /// (seqnum, size in bytes) of the latest video packets, oldest first.
    recent: VecDeque<(u16, usize)>,
    /// Bits the probe may still send.
    tokens: f64,
    last: Option<Instant>,
    /// The next of `recent` to send again.
    next: usize,
}

impl LinkProbe {
    /// Sends `extra` bits/s more than the media until [`LinkProbe::stop`].
    pub(crate) fn start(&self, extra: u32) {
        self.extra.store(extra.max(1), Ordering::Relaxed);
    }

    pub(crate) fn stop(&self) {
        self.extra.store(0, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// A video packet went by: remembered, and the seqnums to send again now, if any.
    fn packet(&self, seqnum: u16, size: usize, now: Instant) -> Vec<u16> {
        let extra = f64::from(self.extra.load(Ordering::Relaxed));
        let mut state = self.state.lock().unwrap();
        if size >= MIN_PACKET {
            if state.recent.len() == REMEMBERED {
                state.recent.pop_front();
                state.next = state.next.saturating_sub(1);
            }
            state.recent.push_back((seqnum, size));
        }
        let elapsed = state.last.map_or(0.0, |last| {
            now.saturating_duration_since(last).as_secs_f64()
        });
        state.last = Some(now);
        if extra == 0.0 || state.recent.is_empty() {
            state.tokens = 0.0;
            return Vec::new();
        }
        let biggest = state.recent.iter().map(|(_, s)| *s).max().unwrap_or(0) as f64 * 8.0;
        state.tokens = (state.tokens + elapsed * extra).min(extra * BURST_SECONDS + biggest);
        let mut again = Vec::new();
        while again.len() < REMEMBERED {
            if state.next >= state.recent.len() {
                state.next = 0;
            }
            let (seqnum, size) = state.recent[state.next];
            let bits = size as f64 * 8.0;
            if state.tokens < bits {
                break;
            }
            state.tokens -= bits;
            state.next += 1;
            again.push(seqnum);
        }
        again
    }
}

/// Feeds `probe` the video packets (of `video_ssrc`) going into `rtxsend`, and has
/// `rtxsend` send them again while the probe is on.
pub(crate) fn install(rtxsend: &gst::Element, video_ssrc: u32, probe: std::sync::Arc<LinkProbe>) {
    let (Some(sink), Some(src)) = (rtxsend.static_pad("sink"), rtxsend.static_pad("src")) else {
        return;
    };
    sink.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        move |_, info| {
            let now = Instant::now();
            let mut again = Vec::new();
            let mut look = |buffer: &gst::BufferRef| {
                let Ok(rtp) = gst_rtp::RTPBuffer::from_buffer_readable(buffer) else {
                    return;
                };
                if rtp.ssrc() == video_ssrc {
                    again.extend(probe.packet(rtp.seq(), buffer.size(), now));
                }
            };
            match &info.data {
                Some(gst::PadProbeData::Buffer(buffer)) => look(buffer),
                Some(gst::PadProbeData::BufferList(list)) => {
                    for buffer in list.iter() {
                        look(buffer);
                    }
                }
                _ => {}
            }
            // Ours go ahead of the packet that let them out; rtprtxsend queues them.
            for seqnum in again {
                let request = gst::event::CustomUpstream::new(
                    gst::Structure::builder("GstRTPRetransmissionRequest")
                        .field("seqnum", u32::from(seqnum))
                        .field("ssrc", video_ssrc)
                        .field(PROBE_FIELD, true)
                        .build(),
                );
                if src.send_event(request) {
                    probe.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_idle_probe_sends_nothing_and_remembers_a_bounded_few() {
        let probe = LinkProbe::default();
        let t0 = Instant::now();
        for i in 0..1000u16 {
            assert!(probe
                .packet(i, 1200, t0 + Duration::from_millis(u64::from(i)))
                .is_empty());
        }
        assert_eq!(probe.state.lock().unwrap().recent.len(), REMEMBERED);
    }

    #[test]
    fn a_probe_sends_about_its_extra_rate_of_recent_packets() {
        let probe = LinkProbe::default();
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // 100 packets of 1000 bytes a second: 800 kbit/s of media.
        for i in 0..50u16 {
            probe.packet(i, 1000, at(u64::from(i) * 10));
        }
        probe.start(400_000);
        let mut again = 0;
        for i in 50..150u16 {
            let sent = probe.packet(i, 1000, at(u64::from(i) * 10));
            // Only packets the viewer has had lately.
            let recent = i + 1 - REMEMBERED as u16..=i;
            assert!(sent.iter().all(|s| recent.contains(s)), "{i}: {sent:?}");
            again += sent.len();
        }
        // One second at 400 kbit/s: about 50 packets of 8000 bits.
        assert!((45..=55).contains(&again), "{again}");
        probe.stop();
        assert!(probe.packet(150, 1000, at(1500)).is_empty());
    }

    #[test]
    fn small_packets_are_not_sent_again() {
        let probe = LinkProbe::default();
        let t0 = Instant::now();
        probe.start(1_000_000);
        for i in 0..100u16 {
            let sent = probe.packet(i, 100, t0 + Duration::from_millis(u64::from(i) * 10));
            assert!(sent.is_empty());
        }
    }
}
