//! A real WebRTC receiver, the far end for tests and benchmarks: a webrtcbin in its own
//! pipeline that counts the frames, keyframes and audio packets it gets, decoding the video
//! or only depayloading it (cheap, when many receivers share a machine with the sender).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

/// What the receiver does with its video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoHandling {
    /// Decode every frame (frame counts and sizes are what a viewer sees).
    Decode,
    /// Only depayload: counts whole frames at a fraction of the cost.
    Depayload,
}

/// Called with each decoded video frame, on the receiver's streaming thread.
type FrameWatch = Box<dyn Fn(&gst::Sample) + Send + Sync>;

pub struct Receiver {
    pub id: String,
    handling: VideoHandling,
    pub pipeline: gst::Pipeline,
    webrtcbin: gst::Element,
    pub frames: Arc<AtomicU64>,
    pub keyframes: Arc<AtomicU64>,
    pub audio_packets: Arc<AtomicU64>,
    pub size: Arc<Mutex<Option<(i32, i32)>>>,
    pub codec: Arc<Mutex<Option<String>>>,
    video_pad: Arc<Mutex<Option<gst::Pad>>>,
    frame_watch: Arc<Mutex<Option<FrameWatch>>>,
    /// Only this video codec is kept in the offer before answering (e.g. "H264").
    accept_only: Option<String>,
}

impl Receiver {
    /// A receiver whose local ICE candidates go to `on_candidate(mline, candidate)`.
    pub fn new(
        id: &str,
        handling: VideoHandling,
        accept_only: Option<&str>,
        on_candidate: impl Fn(u32, String) + Send + Sync + 'static,
    ) -> Result<Arc<Self>, String> {
        let pipeline = gst::Pipeline::with_name(&format!("receiver-{id}"));
        // Nobody reads this bus: drop messages as they come, or each would keep its element
        // alive (errors show in the frame counts the tests and benchmarks check).
        if let Some(bus) = pipeline.bus() {
            bus.set_sync_handler(|_, _| gst::BusSyncReply::Drop);
        }
        let webrtcbin = gst::ElementFactory::make("webrtcbin")
            .build()
            .map_err(|_| "the GStreamer element 'webrtcbin' is missing".to_owned())?;
        webrtcbin.set_property_from_str("bundle-policy", "max-bundle");
        disable_upnp(&webrtcbin);
        pipeline.add(&webrtcbin).map_err(|e| e.to_string())?;
        let receiver = Arc::new(Self {
            id: id.to_owned(),
            handling,
            pipeline: pipeline.clone(),
            webrtcbin: webrtcbin.clone(),
            frames: Default::default(),
            keyframes: Default::default(),
            audio_packets: Default::default(),
            size: Default::default(),
            codec: Default::default(),
            video_pad: Default::default(),
            frame_watch: Default::default(),
            accept_only: accept_only.map(str::to_owned),
        });
        webrtcbin.connect("on-ice-candidate", false, move |args| {
            let mline = args[1].get::<u32>().unwrap_or(0);
            let candidate = args[2].get::<String>().unwrap_or_default();
            on_candidate(mline, candidate);
            None
        });
        let weak = Arc::downgrade(&receiver);
        webrtcbin.connect_pad_added(move |_, pad| {
            if let Some(receiver) = weak.upgrade() {
                receiver.on_pad(pad);
            }
        });
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| e.to_string())?;
        Ok(receiver)
    }

    fn on_pad(&self, pad: &gst::Pad) {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        if let Err(e) = self.receive(pad) {
            tracing::error!(receiver = %self.id, "cannot receive: {e}");
        }
    }

    fn receive(&self, pad: &gst::Pad) -> Result<(), String> {
        let caps = pad.current_caps().ok_or("a pad without caps")?;
        let s = caps.structure(0).ok_or("empty caps")?;
        let media = s.get::<&str>("media").map_err(|e| e.to_string())?;
        let encoding = s
            .get::<&str>("encoding-name")
            .map_err(|e| e.to_string())?
            .to_owned();
        let make = |name: &str| {
            gst::ElementFactory::make(name)
                .build()
                .map_err(|_| format!("the GStreamer element '{name}' is missing"))
        };
        let err = |e: gst::glib::BoolError| e.to_string();
        if media == "audio" {
            let sink = make("fakesink")?;
            sink.set_property("sync", false);
            self.pipeline.add(&sink).map_err(err)?;
            sink.sync_state_with_parent().map_err(|e| e.to_string())?;
            pad.link(&sink.static_pad("sink").ok_or("no sink pad")?)
                .map_err(|e| e.to_string())?;
            let packets = self.audio_packets.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                packets.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
            return Ok(());
        }
        let (depay, dec) = match encoding.as_str() {
            "VP8" => ("rtpvp8depay", "vp8dec"),
            "VP9" => ("rtpvp9depay", "vp9dec"),
            "H264" => ("rtph264depay", "avdec_h264"),
            other => return Err(format!("unexpected codec {other}")),
        };
        *self.codec.lock().unwrap() = Some(encoding);
        let depay = make(depay)?;
        let sink = gst_app::AppSink::builder().sync(false).build();
        let frames = self.frames.clone();
        let size = self.size.clone();
        let watch = self.frame_watch.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(s) = sample.caps().and_then(|c| c.structure(0)) {
                        if let (Ok(w), Ok(h)) = (s.get("width"), s.get("height")) {
                            *size.lock().unwrap() = Some((w, h));
                        }
                    }
                    frames.fetch_add(1, Ordering::Relaxed);
                    if let Some(watch) = watch.lock().unwrap().as_ref() {
                        watch(&sample);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let keyframes = self.keyframes.clone();
        let depay_src = depay.static_pad("src").ok_or("no src pad")?;
        depay_src.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            if let Some(buffer) = info.buffer() {
                if !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT) {
                    keyframes.fetch_add(1, Ordering::Relaxed);
                }
            }
            gst::PadProbeReturn::Ok
        });
        let mut chain = vec![depay.clone()];
        if self.handling == VideoHandling::Decode {
            chain.push(make(dec)?);
            chain.push(make("videoconvert")?);
        }
        chain.push(sink.upcast());
        self.pipeline.add_many(&chain).map_err(err)?;
        gst::Element::link_many(&chain).map_err(err)?;
        for e in &chain {
            e.sync_state_with_parent().map_err(|e| e.to_string())?;
        }
        let depay_sink = depay.static_pad("sink").ok_or("no sink pad")?;
        pad.link(&depay_sink).map_err(|e| e.to_string())?;
        *self.video_pad.lock().unwrap() = Some(depay_sink);
        Ok(())
    }

    /// Answers an offer as a browser would, keeping only `accept_only` if set.
    pub fn answer(&self, offer: &str) -> Result<String, String> {
        let mut message = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes())
            .map_err(|_| "the offer is not valid SDP".to_owned())?;
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
            .and_then(|r| r.get::<gst_webrtc::WebRTCSessionDescription>("answer").ok())
            .ok_or("webrtcbin made no answer")?;
        self.webrtcbin
            .emit_by_name::<()>("set-local-description", &[&answer, &None::<gst::Promise>]);
        answer.sdp().as_text().map_err(|e| e.to_string())
    }

    pub fn add_candidate(&self, mline: u32, candidate: &str) {
        self.webrtcbin
            .emit_by_name::<()>("add-ice-candidate", &[&mline, &candidate]);
    }

    /// Asks the sender for a keyframe the way a decoder does: an upstream force-key-unit
    /// event, which the RTP session turns into an RTCP PLI.
    /// False when no video flows yet or nobody handled the request.
    pub fn request_keyframe(&self) -> bool {
        let Some(peer) = self
            .video_pad
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|p| p.peer())
        else {
            return false;
        };
        let event = gst_video::UpstreamForceKeyUnitEvent::builder()
            .all_headers(true)
            .build();
        peer.send_event(event)
    }

    /// Calls `watch` with every video frame from now on: decoded (raw, I420 as VP8 and H.264
    /// decode) with [`VideoHandling::Decode`], else as it arrives.
    pub fn watch_frames(&self, watch: impl Fn(&gst::Sample) + Send + Sync + 'static) {
        *self.frame_watch.lock().unwrap() = Some(Box::new(watch));
    }

    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    pub fn keyframes(&self) -> u64 {
        self.keyframes.load(Ordering::Relaxed)
    }

    /// Vanishes without a goodbye: no more RTCP, no ICE, nothing.
    pub fn vanish(&self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // The last reference may go on one of the pipeline's own streaming threads (a
        // pad-added handler holds one while it runs), and a pipeline cannot be stopped from
        // its own thread: stop it from a thread of its own.
        let pipeline = self.pipeline.clone();
        let _ = std::thread::Builder::new()
            .name("receiver-stop".into())
            .spawn(move || stop(&pipeline));
    }
}

/// Turns off libnice's UPnP port mapping (on by default): it would ask the router for a port
/// and keep a thread per ICE agent. Call before the agent gathers.
fn disable_upnp(webrtcbin: &gst::Element) {
    let agent = webrtcbin
        .property::<Option<gst::glib::Object>>("ice-agent")
        .filter(|ice| ice.has_property("agent"))
        .and_then(|ice| ice.property::<Option<gst::glib::Object>>("agent"));
    if let Some(agent) = agent.filter(|a| a.has_property("upnp")) {
        agent.set_property("upnp", false);
    }
}

/// Stops the pipeline and every element in it: webrtcbin keeps its jitterbuffers in a locked
/// state that the pipeline's own state change skips.
fn stop(pipeline: &gst::Pipeline) {
    let _ = pipeline.set_state(gst::State::Null);
    for child in pipeline.iterate_recurse().into_iter().flatten() {
        if child.current_state() != gst::State::Null {
            let _ = child.set_state(gst::State::Null);
        }
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
        while media.formats_len() > 0 && media.remove_format(0).is_ok() {}
        for pt in &keep {
            media.add_format(pt);
        }
    }
}
