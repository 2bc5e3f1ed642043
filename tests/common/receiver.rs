//! A real WebRTC receiver for tests: a webrtcbin in its own pipeline that decodes what it gets
//! and counts frames, keyframes and audio packets. Together with `wire` it is the in-process
//! signalling double: offers, answers and candidates pass straight between the two ends.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::prelude::*;
use reelcast::rtc::{SdpKind, Share, ShareEvent};

pub struct Receiver {
    pub id: String,
    pub pipeline: gst::Pipeline,
    webrtcbin: gst::Element,
    pub frames: Arc<AtomicU64>,
    pub keyframes: Arc<AtomicU64>,
    pub audio_packets: Arc<AtomicU64>,
    pub size: Arc<Mutex<Option<(i32, i32)>>>,
    pub codec: Arc<Mutex<Option<String>>>,
    video_pad: Arc<Mutex<Option<gst::Pad>>>,
    /// Only this video codec is kept in the offer before answering (e.g. "H264").
    accept_only: Option<String>,
}

impl Receiver {
    pub fn new(id: &str, accept_only: Option<&str>, share: Arc<Share>) -> Arc<Self> {
        let pipeline = gst::Pipeline::with_name(&format!("receiver-{id}"));
        let webrtcbin = gst::ElementFactory::make("webrtcbin").build().unwrap();
        webrtcbin.set_property_from_str("bundle-policy", "max-bundle");
        pipeline.add(&webrtcbin).unwrap();
        let receiver = Arc::new(Self {
            id: id.to_owned(),
            pipeline: pipeline.clone(),
            webrtcbin: webrtcbin.clone(),
            frames: Default::default(),
            keyframes: Default::default(),
            audio_packets: Default::default(),
            size: Default::default(),
            codec: Default::default(),
            video_pad: Default::default(),
            accept_only: accept_only.map(str::to_owned),
        });
        let viewer = id.to_owned();
        let share = Arc::downgrade(&share);
        webrtcbin.connect("on-ice-candidate", false, move |args| {
            let mline = args[1].get::<u32>().unwrap();
            let candidate = args[2].get::<String>().unwrap();
            if let Some(share) = share.upgrade() {
                share.add_remote_candidate(&viewer, mline, &candidate);
            }
            None
        });
        let weak = Arc::downgrade(&receiver);
        webrtcbin.connect_pad_added(move |_, pad| {
            if let Some(receiver) = weak.upgrade() {
                receiver.on_pad(pad);
            }
        });
        pipeline.set_state(gst::State::Playing).unwrap();
        receiver
    }

    fn on_pad(&self, pad: &gst::Pad) {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        let caps = pad.current_caps().unwrap();
        let s = caps.structure(0).unwrap();
        let media = s.get::<&str>("media").unwrap();
        let encoding = s.get::<&str>("encoding-name").unwrap().to_owned();
        let make = |name: &str| gst::ElementFactory::make(name).build().unwrap();
        if media == "audio" {
            let sink = make("fakesink");
            sink.set_property("sync", false);
            self.pipeline.add(&sink).unwrap();
            sink.sync_state_with_parent().unwrap();
            pad.link(&sink.static_pad("sink").unwrap()).unwrap();
            let packets = self.audio_packets.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                packets.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
            return;
        }
        let (depay, dec) = match encoding.as_str() {
            "VP8" => ("rtpvp8depay", "vp8dec"),
            "VP9" => ("rtpvp9depay", "vp9dec"),
            "H264" => ("rtph264depay", "avdec_h264"),
            other => panic!("unexpected codec {other}"),
        };
        *self.codec.lock().unwrap() = Some(encoding);
        let depay = make(depay);
        let dec = make(dec);
        let convert = make("videoconvert");
        let sink = gst_app::AppSink::builder().sync(false).build();
        let frames = self.frames.clone();
        let size = self.size.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(s) = sample.caps().and_then(|c| c.structure(0)) {
                        *size.lock().unwrap() =
                            Some((s.get("width").unwrap_or(0), s.get("height").unwrap_or(0)));
                    }
                    frames.fetch_add(1, Ordering::Relaxed);
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let keyframes = self.keyframes.clone();
        depay
            .static_pad("src")
            .unwrap()
            .add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                if let Some(buffer) = info.buffer() {
                    if !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT) {
                        keyframes.fetch_add(1, Ordering::Relaxed);
                    }
                }
                gst::PadProbeReturn::Ok
            });
        let chain = [&depay, &dec, &convert, sink.upcast_ref()];
        self.pipeline.add_many(chain).unwrap();
        gst::Element::link_many(chain).unwrap();
        for e in chain {
            e.sync_state_with_parent().unwrap();
        }
        pad.link(&depay.static_pad("sink").unwrap()).unwrap();
        *self.video_pad.lock().unwrap() = Some(depay.static_pad("sink").unwrap());
    }

    /// Answers an offer as a browser would, keeping only `accept_only` if set.
    pub fn answer(&self, offer: &str) -> String {
        let mut message = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes()).unwrap();
        if let Some(only) = &self.accept_only {
            keep_only_codec(&mut message, only);
        }
        let offer =
            gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Offer, message);
        let promise = gst::Promise::new();
        self.webrtcbin
            .emit_by_name::<()>("set-remote-description", &[&offer, &promise]);
        promise.wait();
        let promise = gst::Promise::new();
        self.webrtcbin
            .emit_by_name::<()>("create-answer", &[&None::<gst::Structure>, &promise]);
        promise.wait();
        let answer = promise
            .get_reply()
            .unwrap()
            .get::<gst_webrtc::WebRTCSessionDescription>("answer")
            .expect("an answer");
        self.webrtcbin
            .emit_by_name::<()>("set-local-description", &[&answer, &None::<gst::Promise>]);
        answer.sdp().as_text().unwrap()
    }

    pub fn add_candidate(&self, mline: u32, candidate: &str) {
        self.webrtcbin
            .emit_by_name::<()>("add-ice-candidate", &[&mline, &candidate]);
    }

    /// Asks the sender for a keyframe the way a decoder does: an upstream force-key-unit
    /// event, which the RTP session turns into an RTCP PLI.
    pub fn request_keyframe(&self) {
        let pad = self
            .video_pad
            .lock()
            .unwrap()
            .clone()
            .expect("video is flowing");
        let peer = pad.peer().unwrap();
        let event = gst_video::UpstreamForceKeyUnitEvent::builder()
            .all_headers(true)
            .build();
        assert!(peer.send_event(event), "the PLI request was not handled");
    }

    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    pub fn keyframes(&self) -> u64 {
        self.keyframes.load(Ordering::Relaxed)
    }

    /// Vanishes without a goodbye: no more RTCP, no ICE, nothing.
    pub fn vanish(&self) {
        self.pipeline.set_state(gst::State::Null).unwrap();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Drops every video format but `codec` from the offer.
fn keep_only_codec(message: &mut gst_sdp::SDPMessage, codec: &str) {
    for i in 0..message.medias_len() {
        let media = message.media_mut(i).unwrap();
        if media.media() != Some("video") {
            continue;
        }
        let keep: Vec<String> = media
            .attributes()
            .filter(|a| a.key() == "rtpmap")
            .filter_map(|a| {
                let (pt, name) = a.value()?.split_once(' ')?;
                name.to_ascii_uppercase()
                    .starts_with(&codec.to_ascii_uppercase())
                    .then(|| pt.to_owned())
            })
            .collect();
        while media.formats_len() > 0 {
            media.remove_format(0).unwrap();
        }
        for pt in &keep {
            media.add_format(pt);
        }
    }
}

pub type Receivers = Arc<Mutex<HashMap<String, Arc<Receiver>>>>;

/// Passes the share's offers and candidates to the receivers and their answers back.
pub fn wire(share: &Arc<Share>, receivers: Receivers) {
    let events = share.subscribe();
    let share = Arc::downgrade(share);
    std::thread::spawn(move || {
        while let Ok(event) = events.recv() {
            let Some(share) = share.upgrade() else {
                return;
            };
            match event {
                ShareEvent::LocalDescription { viewer, sdp, .. } => {
                    let receiver = receivers.lock().unwrap().get(&viewer).cloned();
                    if let Some(receiver) = receiver {
                        let answer = receiver.answer(&sdp);
                        let _ = share.set_remote_description(&viewer, SdpKind::Answer, &answer);
                    }
                }
                ShareEvent::LocalCandidate {
                    viewer,
                    mline,
                    candidate,
                } => {
                    let receiver = receivers.lock().unwrap().get(&viewer).cloned();
                    if let Some(receiver) = receiver {
                        receiver.add_candidate(mline, &candidate);
                    }
                }
                _ => {}
            }
        }
    });
}

/// Fails unless the test runs in the private network namespace of scripts/test.sh, so that
/// WebRTC traffic cannot reach any other machine or interface.
pub fn assert_private_network() {
    // /proc/self/net follows this process's network namespace (/sys/class/net does not).
    let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    let interfaces: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert!(
        interfaces.iter().all(|i| *i == "lo" || *i == "rc0"),
        "network tests run only in a private network namespace: use scripts/test.sh (found {interfaces:?})"
    );
}

pub fn since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}
