use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::prelude::*;

use super::codec::{make, Codec, Ssrcs};
use super::encoder::ViewerLink;
use super::events::{ConnectionState, SdpKind, ShareEvent, ViewerId};
use super::share::{Command, ShareConfig};
use crate::media::MediaKind;
use crate::util::Broadcast;

/// One remote viewer: a webrtcbin in the sending pipeline, with one send-only transceiver per
/// kind, fed from the shared encoders once its answer says which codec it takes.
pub(crate) struct Viewer {
    pub id: ViewerId,
    pub webrtcbin: gst::Element,
    pub media: Vec<ViewerMedia>,
    /// When the viewer last sent RTCP: proof that it is still there.
    pub last_heard: Arc<Mutex<Instant>>,
    /// When it was added: its connection must be up within the share's connect timeout.
    pub joined: Instant,
    pub connection: Arc<Mutex<ConnectionState>>,
    /// What this viewer's feedback says the video encoder may send.
    pub target_bitrate: u32,
    /// Bytes sent and when, at the previous stats tick.
    pub previous_bytes: Option<(u64, Instant)>,
    pub previous_frames: Option<(u64, Instant)>,
    /// Our offer is out and its answer not in yet.
    negotiating: bool,
    ssrcs: Ssrcs,
}

pub(crate) struct ViewerMedia {
    pub kind: MediaKind,
    pub sink_pad: gst::Pad,
    pub codec: Option<Codec>,
    pub link: Option<ViewerLink>,
    /// Sending. A kind the source no longer has is switched off (direction inactive), as
    /// the web's removeTrack() does: transceivers are never removed from a connection.
    pub active: bool,
}

/// Codec preferences for a transceiver: every codec of `kind` we can encode, `preferred` first.
fn codec_preferences(kind: MediaKind, preferred: Codec) -> gst::Caps {
    let mut codecs: Vec<Codec> = match kind {
        MediaKind::Video => Codec::VIDEO.to_vec(),
        MediaKind::Audio => vec![Codec::Opus],
    };
    codecs.sort_by_key(|c| *c != preferred);
    let mut caps = gst::Caps::new_empty();
    {
        let caps = caps.get_mut().unwrap();
        for codec in codecs {
            if gst::ElementFactory::find(encoder_factory(codec)).is_some() {
                caps.append_structure(codec.rtp_caps_structure());
            }
        }
    }
    caps
}

fn encoder_factory(codec: Codec) -> &'static str {
    match codec {
        Codec::Vp8 => "vp8enc",
        Codec::Vp9 => "vp9enc",
        Codec::H264 => "x264enc",
        Codec::Opus => "opusenc",
    }
}

fn map_state(state: gst_webrtc::WebRTCPeerConnectionState) -> ConnectionState {
    use gst_webrtc::WebRTCPeerConnectionState as S;
    match state {
        S::New => ConnectionState::New,
        S::Connecting => ConnectionState::Connecting,
        S::Connected => ConnectionState::Connected,
        S::Disconnected => ConnectionState::Disconnected,
        S::Failed => ConnectionState::Failed,
        _ => ConnectionState::Closed,
    }
}

/// Quicker connections. ICE over TCP only helps where UDP is blocked, and there a TURN server
/// is the answer; its candidates only add checks. libnice paces its checks 20 ms apart by
/// default; 5 ms is RFC 8445's minimum and takes a join's checks from tens of ms to a few.
fn tune_ice(webrtcbin: &gst::Element) {
    crate::util::disable_upnp(webrtcbin);
    let Some(ice) = webrtcbin.property::<Option<gst::glib::Object>>("ice-agent") else {
        return;
    };
    if ice.has_property("ice-tcp") {
        ice.set_property("ice-tcp", false);
    }
    let agent = ice
        .has_property("agent")
        .then(|| ice.property::<Option<gst::glib::Object>>("agent"))
        .flatten();
    if let Some(agent) = agent {
        if agent.has_property("stun-pacing-timer") {
            agent.set_property("stun-pacing-timer", 5u32);
        }
    }
}

/// A send-only transceiver for `kind` on a new sink pad of `webrtcbin`.
fn add_media(
    webrtcbin: &gst::Element,
    kind: MediaKind,
    config: &ShareConfig,
) -> Result<ViewerMedia, String> {
    let sink_pad = webrtcbin
        .request_pad_simple("sink_%u")
        .ok_or("webrtcbin gave no sink pad")?;
    let transceiver = sink_pad.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
    transceiver.set_property(
        "direction",
        gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly,
    );
    let preferred = match kind {
        MediaKind::Video => config.video_codec,
        MediaKind::Audio => Codec::Opus,
    };
    transceiver.set_property("codec-preferences", codec_preferences(kind, preferred));
    transceiver.set_property("do-nack", true);
    Ok(ViewerMedia {
        kind,
        sink_pad,
        codec: None,
        link: None,
        active: true,
    })
}

fn set_direction(sink_pad: &gst::Pad, direction: gst_webrtc::WebRTCRTPTransceiverDirection) {
    sink_pad
        .property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver")
        .set_property("direction", direction);
}

/// The offer as sent: each media section names the one SSRC of its kind ([`Ssrcs`]).
/// webrtcbin names SSRCs only once an encoder feeds it, so its first offer (made before the
/// answer chose a codec) names none and later ones add retransmission SSRCs; its own lines
/// are replaced so that every offer says the same.
fn with_our_ssrcs(sdp: &str, ssrcs: Ssrcs) -> String {
    let mut out = String::with_capacity(sdp.len() + 128);
    let mut section: Option<MediaKind> = None;
    let close = |out: &mut String, section: Option<MediaKind>| {
        if let Some(kind) = section {
            out.push_str(&format!("a=ssrc:{} cname:reelcast\r\n", ssrcs.of(kind)));
        }
    };
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("a=ssrc:") || line.starts_with("a=ssrc-group:") {
            continue;
        }
        if let Some(media) = line.strip_prefix("m=") {
            close(&mut out, section);
            section = if media.starts_with("video ") {
                Some(MediaKind::Video)
            } else if media.starts_with("audio ") {
                Some(MediaKind::Audio)
            } else {
                None
            };
        }
        out.push_str(line);
    }
    close(&mut out, section);
    out
}

/// Element names allow only some characters; session ids are not ours to trust.
fn element_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(64)
        .collect();
    format!("viewer-{safe}")
}

/// What a new viewer's connection is made of.
pub(crate) struct ViewerPlan<'a> {
    pub config: &'a ShareConfig,
    /// STUN and TURN servers named for this viewer, besides the configured ones.
    pub ice_servers: &'a [String],
    pub ssrcs: Ssrcs,
    pub kinds: &'a [MediaKind],
}

impl Viewer {
    /// Adds the viewer's webrtcbin to `pipeline` and starts making its offer; the offer and
    /// the local candidates arrive as events.
    pub(crate) fn create(
        pipeline: &gst::Pipeline,
        id: &ViewerId,
        plan: ViewerPlan,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
    ) -> Result<Self, String> {
        let ViewerPlan {
            config,
            ice_servers,
            ssrcs,
            kinds,
        } = plan;
        let webrtcbin = make("webrtcbin")?;
        webrtcbin.set_property("name", element_name(id));
        super::certificate::apply(&webrtcbin);
        webrtcbin.set_property_from_str("bundle-policy", "max-bundle");
        tune_ice(&webrtcbin);
        if let Some(stun) = &config.stun_server {
            webrtcbin.set_property("stun-server", stun);
        }
        for turn in &config.turn_servers {
            let _ = webrtcbin.emit_by_name::<bool>("add-turn-server", &[turn]);
        }
        // Servers the far side named: webrtcbin takes one STUN server (the configured one
        // first) and any number of TURN servers.
        for server in ice_servers {
            if server.starts_with("stun://") {
                if webrtcbin
                    .property::<Option<String>>("stun-server")
                    .is_none()
                {
                    webrtcbin.set_property("stun-server", server);
                }
            } else if server.starts_with("turn://") || server.starts_with("turns://") {
                let _ = webrtcbin.emit_by_name::<bool>("add-turn-server", &[server]);
            }
        }
        pipeline.add(&webrtcbin).map_err(|e| e.to_string())?;

        let mut media = Vec::new();
        for &kind in kinds {
            media.push(add_media(&webrtcbin, kind, config)?);
        }

        let last_heard = Arc::new(Mutex::new(Instant::now()));
        let connection = Arc::new(Mutex::new(ConnectionState::New));
        Self::connect_signals(&webrtcbin, id, events, commands, &last_heard, &connection);
        webrtcbin
            .sync_state_with_parent()
            .map_err(|e| e.to_string())?;
        Self::create_offer(&webrtcbin, id, ssrcs, events, commands);
        Ok(Self {
            id: id.clone(),
            ssrcs,
            webrtcbin,
            media,
            last_heard,
            joined: Instant::now(),
            connection,
            target_bitrate: config.start_video_bitrate,
            previous_bytes: None,
            previous_frames: None,
            negotiating: true,
        })
    }

    pub(crate) fn is_negotiating(&self) -> bool {
        self.negotiating
    }

    /// The kinds this viewer is sent now, video first.
    pub(crate) fn active_kinds(&self) -> Vec<MediaKind> {
        MediaKind::ALL
            .into_iter()
            .filter(|k| self.media.iter().any(|m| m.active && m.kind == *k))
            .collect()
    }

    /// Switches off the media of kinds not in `kinds`; returns their links to the encoders,
    /// for the caller to undo.
    pub(crate) fn switch_off_except(&mut self, kinds: &[MediaKind]) -> Vec<(Codec, ViewerLink)> {
        let mut links = Vec::new();
        for media in self.media.iter_mut().filter(|m| m.active) {
            if kinds.contains(&media.kind) {
                continue;
            }
            media.active = false;
            set_direction(
                &media.sink_pad,
                gst_webrtc::WebRTCRTPTransceiverDirection::Inactive,
            );
            if let (Some(codec), Some(link)) = (media.codec, media.link.take()) {
                links.push((codec, link));
            }
        }
        links
    }

    /// Sends `kinds` from now on: a kind switched off before is switched on again, a kind
    /// never sent gets a new transceiver; then a new offer goes out on the same connection.
    pub(crate) fn renegotiate(
        &mut self,
        kinds: &[MediaKind],
        config: &ShareConfig,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
    ) -> Result<(), String> {
        for &kind in kinds {
            match self.media.iter_mut().find(|m| m.kind == kind) {
                Some(media) if !media.active => {
                    media.active = true;
                    set_direction(
                        &media.sink_pad,
                        gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly,
                    );
                }
                Some(_) => {}
                None => self.media.push(add_media(&self.webrtcbin, kind, config)?),
            }
        }
        self.negotiating = true;
        Self::create_offer(&self.webrtcbin, &self.id, self.ssrcs, events, commands);
        Ok(())
    }

    fn connect_signals(
        webrtcbin: &gst::Element,
        id: &ViewerId,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
        last_heard: &Arc<Mutex<Instant>>,
        connection: &Arc<Mutex<ConnectionState>>,
    ) {
        // These run on webrtcbin's threads: they only send messages, never touch share state.
        let (viewer, events_c) = (id.clone(), events.clone());
        webrtcbin.connect("on-ice-candidate", false, move |args| {
            let mline = args[1].get::<u32>().unwrap_or(0);
            let candidate = args[2].get::<String>().unwrap_or_default();
            events_c.send(ShareEvent::LocalCandidate {
                viewer: viewer.clone(),
                mline,
                candidate,
            });
            None
        });
        let (viewer, events_c) = (id.clone(), events.clone());
        webrtcbin.connect_notify(Some("ice-gathering-state"), move |bin, _| {
            let state = bin.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state");
            if state == gst_webrtc::WebRTCICEGatheringState::Complete {
                events_c.send(ShareEvent::LocalCandidatesDone {
                    viewer: viewer.clone(),
                });
            }
        });
        let (viewer, events_c, commands_c, connection_c) = (
            id.clone(),
            events.clone(),
            commands.clone(),
            connection.clone(),
        );
        webrtcbin.connect_notify(Some("connection-state"), move |bin, _| {
            let state = map_state(bin.property("connection-state"));
            *connection_c.lock().unwrap() = state;
            events_c.send(ShareEvent::ViewerState {
                viewer: viewer.clone(),
                state,
            });
            match state {
                ConnectionState::Connected => {
                    let _ = commands_c.send(Command::ViewerConnected(viewer.clone()));
                }
                ConnectionState::Failed => {
                    let _ = commands_c.send(Command::RemoveViewer {
                        id: viewer.clone(),
                        reason: "the connection failed (ICE or DTLS)".into(),
                        failed: true,
                    });
                }
                _ => {}
            }
        });
        if let Some(rtpbin) = webrtcbin
            .downcast_ref::<gst::Bin>()
            .and_then(|b| b.by_name("rtpbin"))
        {
            let last_heard = last_heard.clone();
            // Every RTCP packet the viewer sends (receiver reports, PLI, NACK) passes these.
            rtpbin.connect_pad_added(move |_, pad| {
                if !pad.name().starts_with("recv_rtcp_sink") {
                    return;
                }
                let last_heard = last_heard.clone();
                pad.add_probe(
                    gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                    move |_, _| {
                        *last_heard.lock().unwrap() = Instant::now();
                        gst::PadProbeReturn::Ok
                    },
                );
            });
        }
    }

    fn create_offer(
        webrtcbin: &gst::Element,
        id: &ViewerId,
        ssrcs: Ssrcs,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
    ) {
        let (viewer, events, commands) = (id.clone(), events.clone(), commands.clone());
        let bin = webrtcbin.downgrade();
        let promise = gst::Promise::with_change_func(move |reply| {
            let offer = reply
                .ok()
                .flatten()
                .and_then(|r| r.get::<gst_webrtc::WebRTCSessionDescription>("offer").ok());
            let (Some(offer), Some(bin)) = (offer, bin.upgrade()) else {
                // Seen in the wild: an empty reply. The viewer cannot go on without an offer.
                let _ = commands.send(Command::RemoveViewer {
                    id: viewer.clone(),
                    reason: "could not create an offer".into(),
                    failed: true,
                });
                return;
            };
            bin.emit_by_name::<()>("set-local-description", &[&offer, &None::<gst::Promise>]);
            let sdp = with_our_ssrcs(&offer.sdp().as_text().unwrap_or_default(), ssrcs);
            let sdp = super::certificate::with_our_fingerprint(&sdp);
            events.send(ShareEvent::LocalDescription {
                viewer: viewer.clone(),
                kind: SdpKind::Offer,
                sdp,
            });
        });
        webrtcbin.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
    }

    /// Applies the viewer's answer; returns the codec it takes for each m-line.
    pub(crate) fn apply_answer(&mut self, sdp: &str) -> Result<Vec<Option<Codec>>, String> {
        let message = parse_sdp(sdp)?;
        let kinds: Vec<MediaKind> = self.media.iter().map(|m| m.kind).collect();
        let chosen = codecs_in(&message, &kinds);
        let answer =
            gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Answer, message);
        let promise = gst::Promise::new();
        self.webrtcbin
            .emit_by_name::<()>("set-remote-description", &[&answer, &promise]);
        promise.wait();
        if let Some(Err(e)) = promise
            .get_reply()
            .map(|r| r.get::<glib_error::Error>("error"))
        {
            return Err(e.to_string());
        }
        for (m, codec) in self.media.iter_mut().zip(&chosen) {
            m.codec = *codec;
        }
        self.negotiating = false;
        Ok(chosen)
    }

    pub(crate) fn add_candidate(&self, mline: u32, candidate: &str) {
        self.webrtcbin
            .emit_by_name::<()>("add-ice-candidate", &[&mline, &candidate]);
    }

    pub(crate) fn video_codec(&self) -> Option<Codec> {
        self.media
            .iter()
            .find(|m| m.kind == MediaKind::Video)
            .and_then(|m| m.codec)
    }

    pub(crate) fn keyframe_requests(&self) -> u64 {
        self.media
            .iter()
            .filter_map(|m| m.link.as_ref())
            .map(|l| l.keyframe_requests())
            .sum()
    }

    pub(crate) fn connection(&self) -> ConnectionState {
        *self.connection.lock().unwrap()
    }

    pub(crate) fn last_heard(&self) -> Instant {
        *self.last_heard.lock().unwrap()
    }
}

mod glib_error {
    pub use gst::glib::Error;
}

fn parse_sdp(sdp: &str) -> Result<gst_sdp::SDPMessage, String> {
    // GStreamer's parser asserts (a g_critical) on an empty buffer: refuse it first.
    if sdp.trim().is_empty() {
        return Err("the answer is empty".to_owned());
    }
    gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
        .map_err(|_| "the answer is not valid SDP".to_owned())
}

/// For each of our m-lines (of these kinds, in order), the codec the answer accepts.
fn codecs_in(message: &gst_sdp::SDPMessageRef, kinds: &[MediaKind]) -> Vec<Option<Codec>> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            message
                .media(i as u32)
                .and_then(|sdp_media| pick_codec(sdp_media, *kind))
        })
        .collect()
}

/// What a viewer's answer accepts, read the way the share reads it: for each of our m-lines
/// (of these kinds), the codec to send, or `None`. Never panics on any input.
pub fn answer_codecs(sdp: &str, kinds: &[MediaKind]) -> Result<Vec<Option<Codec>>, String> {
    let message = parse_sdp(sdp)?;
    Ok(codecs_in(&message, kinds))
}

/// The first format of an answered m-line that we can send, if the m-line is still active.
fn pick_codec(media: &gst_sdp::SDPMediaRef, kind: MediaKind) -> Option<Codec> {
    if media.port() == 0 {
        return None;
    }
    (0..media.formats_len()).find_map(|i| {
        let pt: i32 = media.format(i)?.parse().ok()?;
        let by_name = media.attributes().find_map(|a| {
            if a.key() != "rtpmap" {
                return None;
            }
            let value = a.value()?;
            let (num, rest) = value.split_once(' ')?;
            (num.parse::<i32>().ok()? == pt)
                .then(|| Codec::from_encoding_name(rest.split('/').next()?))
                .flatten()
        });
        by_name.filter(|c| c.kind() == kind && c.payload_type() == pt)
    })
}

#[cfg(test)]
mod tests {
    use super::{with_our_ssrcs, Ssrcs};

    #[test]
    fn offers_name_one_ssrc_a_kind() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\n\
                   m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=ssrc-group:FID 1 2\r\n\
                   a=ssrc:1 cname:x\r\na=ssrc:2 cname:x\r\na=mid:audio1\r\n";
        let ssrcs = Ssrcs { video: 7, audio: 8 };
        assert_eq!(
            with_our_ssrcs(sdp, ssrcs),
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\na=ssrc:7 cname:reelcast\r\n\
             m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio1\r\na=ssrc:8 cname:reelcast\r\n"
        );
    }
}
