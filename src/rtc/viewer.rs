//! One remote viewer's connection: its webrtcbin, transceivers and offers. Everything here
//! runs on the actor's thread or only sends the actor messages; nothing waits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use gst::prelude::*;

use super::answer::{codecs_in, parse_sdp, takes_video_fec, takes_video_rtx, AnswerError};
use super::aux_sender::add_estimator;
use super::build_error::BuildError;
use super::candidate;
use super::certificate;
use super::codec::{make, Codec, Ssrcs};
use super::command::{Command, ViewerKey};
use super::config::ShareConfig;
use super::control::Control;
use super::controller::{cost, Action, Bitrate, Input, Limits, RetransmissionLimit};
use super::encoder::ViewerLink;
use super::events::{ConnectionState, SdpKind, ShareEvent, ViewerId};
use super::link_probe::LinkProbe;
use super::pacer::Pacer;
use super::playout_delay::SharedDelay;
use super::retransmissions::RetransmissionGate;
use super::simulcast::{self, SimulcastPath};
use super::stats::request_stats;
use super::video_path::{Continuity, VideoPath};
use crate::media::MediaKind;
use crate::util::Broadcast;

/// One remote viewer: a webrtcbin in the sending pipeline, with one send-only transceiver per
/// kind, fed from the shared encoders once its answer says which codec it takes. Its state
/// is the actor's alone: webrtcbin's threads report changes as [`Command`]s.
pub(crate) struct Viewer {
    pub key: ViewerKey,
    pub webrtcbin: gst::Element,
    pub media: Vec<ViewerMedia>,
    /// When the viewer last sent RTCP: proof that it is still there.
    pub last_heard: Instant,
    /// When it was added: its connection must be up within the share's connect timeout.
    pub joined: Instant,
    pub connection: ConnectionState,
    /// Bytes sent and when, at the previous stats reply.
    pub previous_bytes: Option<(u64, Instant)>,
    pub previous_frames: Option<(u64, Instant)>,
    /// Each stream's last receiver report, by its highest sequence number
    /// ([`super::stats::fresh_loss`]).
    pub report_seqs: HashMap<u32, u32>,
    /// A stats request is out since then (webrtcbin answers on its own thread).
    pub stats_asked: Option<Instant>,
    /// The answer webrtcbin is applying: the codecs it takes, and who waits for the outcome.
    pub pending_answer: Option<PendingAnswer>,
    /// This viewer's congestion controller and pacer (rtpgccbwe), when there is one.
    pub estimator: Option<gst::Element>,
    /// Sends packets again to find out whether the link has room for a bigger rung.
    pub link_probe: Arc<LinkProbe>,
    /// Paces its video at the rate its controller sets, where it has an estimator.
    pub pacer: Option<Arc<Pacer>>,
    /// Holds its retransmissions to the limit its controller sets.
    pub retransmissions: Arc<RetransmissionGate>,
    /// The least delay it is told to play at, written into its video ([`super::playout_delay`]).
    pub playout_delay: SharedDelay,
    /// How much of the picture its link carries: every decision of its adaptation, which
    /// the actor applies ([`super::controller`]).
    pub control: Control,
    /// Where its video's RTP stream starts, or stood when its video was switched off.
    pub video_continuity: Continuity,
    /// The codecs of an applied answer, not linked to the encoders until the viewer's media
    /// is up (ICE and DTLS connected): a join that never connects costs no encoding.
    pub awaiting_media: Option<Vec<Option<Codec>>>,
    /// Candidates the viewer sent, refused ones included ([`super::MAX_CANDIDATES`]).
    pub candidates: u32,
    /// Our offer is out and its answer not applied yet.
    negotiating: bool,
    ssrcs: Ssrcs,
    /// A publication to an SFU, offered simulcast; `simulcast_taken` once its answer took it.
    pub simulcast_offered: bool,
    pub simulcast_taken: bool,
}

pub(crate) struct PendingAnswer {
    pub codecs: Vec<Option<Codec>>,
    pub reply: flume::Sender<Result<(), super::error::ShareError>>,
}

pub(crate) struct ViewerMedia {
    pub kind: MediaKind,
    pub sink_pad: gst::Pad,
    pub codec: Option<Codec>,
    pub feed: Option<Feed>,
    /// Sending. A kind the source no longer has is switched off (direction inactive), as
    /// the web's removeTrack() does: transceivers are never removed from a connection.
    pub active: bool,
}

/// What feeds one of a viewer's media: the shared audio encoder's tee, a video path fed
/// from the ladder's rungs, or every rung at once to an SFU.
pub(crate) enum Feed {
    Shared(ViewerLink),
    Ladder(VideoPath),
    Simulcast(SimulcastPath),
}

impl Feed {
    pub(crate) fn into_links(self) -> Vec<ViewerLink> {
        match self {
            Feed::Shared(link) => vec![link],
            Feed::Ladder(path) => path.into_links(),
            Feed::Simulcast(path) => path.into_links(),
        }
    }

    pub(crate) fn video_path(&self) -> Option<&VideoPath> {
        match self {
            Feed::Ladder(path) => Some(path),
            Feed::Shared(_) | Feed::Simulcast(_) => None,
        }
    }

    pub(crate) fn simulcast_path(&self) -> Option<&SimulcastPath> {
        match self {
            Feed::Simulcast(path) => Some(path),
            Feed::Shared(_) | Feed::Ladder(_) => None,
        }
    }
}

/// Codec preferences for a transceiver: every codec of `kind` we can encode, `preferred` first.
fn codec_preferences(kind: MediaKind, preferred: Codec) -> gst::Caps {
    let mut codecs: Vec<Codec> = Codec::of_kind(kind).collect();
    codecs.sort_by_key(|c| *c != preferred);
    let mut caps = gst::Caps::new_empty();
    {
        let caps = caps.get_mut().unwrap();
        for codec in codecs {
            if gst::ElementFactory::find(codec.encoder_factory()).is_some() {
                caps.append_structure(codec.rtp_caps_structure());
            }
        }
    }
    caps
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
    simulcast: bool,
) -> Result<ViewerMedia, BuildError> {
    let sink_pad = webrtcbin
        .request_pad_simple("sink_%u")
        .ok_or_else(|| BuildError::gst("webrtcbin gave no sink pad"))?;
    let transceiver = sink_pad.property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver");
    transceiver.set_property(
        "direction",
        gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly,
    );
    let preferred = match kind {
        MediaKind::Video => config.video_codec,
        MediaKind::Audio => Codec::Opus,
    };
    let mut caps = codec_preferences(kind, preferred);
    if simulcast && kind == MediaKind::Video {
        caps = simulcast::offer_caps(caps, simulcast::RIDS.len());
    }
    transceiver.set_property("codec-preferences", caps);
    transceiver.set_property("do-nack", true);
    if kind == MediaKind::Video && !simulcast {
        offer_fec(&transceiver);
    }
    Ok(ViewerMedia {
        kind,
        sink_pad,
        codec: None,
        feed: None,
        active: true,
    })
}

/// RED + ULPFEC offered for a viewer's video (webrtcbin's `fec-type`, set before the offer:
/// the offer then carries `red` and `ulpfec`, and RTX protects `red`). It starts at 0 %: RED
/// carries the video, no FEC packets, until the controller turns FEC on
/// ([`set_fec_percentage`]). A peer whose answer leaves them out gets plain video. Not for a
/// simulcast publication: an SFU forwards each layer on its own and its FEC is its own.
///
/// Offered only with `REELCAST_FEC=on` for now: Chromium 156 takes red/ulpfec and decodes
/// the RED, and rtpulpfecenc protects its packets, but its `fecPacketsReceived` stays 0 and
/// its losses and retransmissions are the same with FEC on (`reelcast-bench network`, see
/// the README): until FEC is seen to repair, it would only cost the viewer's link.
fn offer_fec(transceiver: &gst_webrtc::WebRTCRTPTransceiver) {
    if !std::env::var("REELCAST_FEC").is_ok_and(|v| v == "on") {
        return;
    }
    if transceiver.has_property("fec-type") {
        transceiver.set_property("fec-type", gst_webrtc::WebRTCFECType::UlpRed);
        transceiver.set_property("fec-percentage", 0u32);
    }
}

fn set_direction(sink_pad: &gst::Pad, direction: gst_webrtc::WebRTCRTPTransceiverDirection) {
    sink_pad
        .property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver")
        .set_property("direction", direction);
}

/// The offer as sent: each media section names the one SSRC of its kind ([`Ssrcs`]).
/// webrtcbin names SSRCs only once an encoder feeds it, so its first offer (made before the
/// answer chose a codec) names none and later ones add retransmission SSRCs; its own lines
/// are replaced so that every offer says the same. A simulcast video section names none:
/// its streams are told apart by their rid, as browsers send them.
fn with_our_ssrcs(sdp: &str, ssrcs: Ssrcs, simulcast: bool) -> String {
    super::sdp::with_ssrcs(sdp, "reelcast", |media| match media {
        "video" if simulcast => None,
        "video" => Some((ssrcs.video, Some(ssrcs.video_rtx))),
        "audio" => Some((ssrcs.audio, None)),
        _ => None,
    })
}

/// The viewer's controller, and its estimator told what to assume before any feedback.
fn start_control(
    config: &ShareConfig,
    key: &ViewerKey,
    estimator: Option<&gst::Element>,
    now: Instant,
) -> Control {
    let limits = Limits {
        start: Bitrate::bps(config.start_video_bitrate),
        min: Bitrate::bps(config.min_video_bitrate),
        max: cost(
            Bitrate::bps(config.max_video_bitrate),
            Bitrate::bps(config.audio_bitrate),
        ),
        estimator: estimator.is_some(),
    };
    let name = format!("{}-{}", key.id, key.serial);
    let mut control = Control::new(limits, &name, config.controller_trace.as_deref(), now);
    for action in control.actions() {
        if let (Action::SetEstimate { bitrate, .. }, Some(estimator)) = (action, estimator) {
            estimator.set_property("estimated-bitrate", bitrate.as_bps());
        }
    }
    control
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
    /// Offer simulcast: the far side is an SFU and the share allows it.
    pub simulcast: bool,
}

impl Viewer {
    /// Adds the viewer's webrtcbin to `pipeline` and starts making its offer; the offer and
    /// the local candidates arrive as events.
    pub(crate) fn create(
        pipeline: &gst::Pipeline,
        key: ViewerKey,
        plan: ViewerPlan,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
    ) -> Result<Self, BuildError> {
        let ViewerPlan {
            config,
            ice_servers,
            ssrcs,
            kinds,
            simulcast,
        } = plan;
        let webrtcbin = make("webrtcbin")?;
        webrtcbin.set_property("name", element_name(&key.id));
        certificate::apply(&webrtcbin);
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
        for server in ice_servers.iter().filter(|s| candidate::is_plain(s)) {
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
        pipeline.add(&webrtcbin).map_err(BuildError::gst)?;

        let mut media = Vec::new();
        for &kind in kinds {
            media.push(add_media(&webrtcbin, kind, config, simulcast)?);
        }

        let link_probe = Arc::new(LinkProbe::default());
        let start = Bitrate::bps(config.start_video_bitrate);
        let retransmissions = Arc::new(RetransmissionGate::new(RetransmissionLimit::for_link(
            start, None,
        )));
        let estimator = add_estimator(
            &webrtcbin,
            &key,
            config,
            commands,
            (ssrcs, simulcast, &link_probe, &retransmissions),
        );
        let now = Instant::now();
        let control = start_control(config, &key, estimator.as_ref(), now);
        let pacer = estimator.as_ref().and_then(|_| Pacer::for_viewer());
        connect_signals(&webrtcbin, &key, events, commands);
        webrtcbin
            .sync_state_with_parent()
            .map_err(BuildError::gst)?;
        create_offer(&webrtcbin, &key, (ssrcs, simulcast), events, commands);
        Ok(Self {
            key,
            ssrcs,
            webrtcbin,
            media,
            last_heard: now,
            joined: now,
            connection: ConnectionState::New,
            previous_bytes: None,
            report_seqs: HashMap::new(),
            previous_frames: None,
            stats_asked: None,
            pending_answer: None,
            estimator,
            link_probe,
            pacer,
            retransmissions,
            playout_delay: SharedDelay::default(),
            control,
            video_continuity: Continuity::random(),
            awaiting_media: None,
            candidates: 0,
            negotiating: true,
            simulcast_offered: simulcast,
            simulcast_taken: false,
        })
    }

    pub(crate) fn id(&self) -> &ViewerId {
        &self.key.id
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
    pub(crate) fn switch_off_except(&mut self, kinds: &[MediaKind]) -> Vec<ViewerLink> {
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
            if let Some(path) = media.feed.as_ref().and_then(Feed::video_path) {
                self.video_continuity = path.continuity();
            }
            links.extend(media.feed.take().into_iter().flat_map(Feed::into_links));
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
    ) -> Result<(), BuildError> {
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
                None => self.media.push(add_media(
                    &self.webrtcbin,
                    kind,
                    config,
                    self.simulcast_offered,
                )?),
            }
        }
        self.negotiating = true;
        let ssrcs = (self.ssrcs, self.simulcast_offered);
        create_offer(&self.webrtcbin, &self.key, ssrcs, events, commands);
        Ok(())
    }

    /// Starts applying the viewer's answer; returns the codec it takes for each m-line.
    /// webrtcbin's verdict comes back as [`Command::AnswerApplied`].
    pub(crate) fn apply_answer(
        &mut self,
        sdp: &str,
        commands: &flume::Sender<Command>,
    ) -> Result<Vec<Option<Codec>>, AnswerError> {
        let message = parse_sdp(sdp)?;
        let transport_cc = sdp
            .lines()
            .any(|l| l.starts_with("a=extmap:") && l.contains(super::codec::TWCC_URI));
        let feedback = Input::Answer {
            transport_cc,
            rtx: takes_video_rtx(sdp),
        };
        for action in self.control.input(Instant::now(), feedback) {
            tracing::debug!(viewer = %self.key.id, ?action, "the answer's feedback");
        }
        if takes_video_fec(sdp) {
            tracing::info!(viewer = %self.key.id, "its answer takes RED + ULPFEC");
            let _ = self.control.input(Instant::now(), Input::FecTaken);
        }
        self.simulcast_taken = self.simulcast_offered && simulcast::answer_takes_simulcast(sdp);
        let kinds: Vec<MediaKind> = self.media.iter().map(|m| m.kind).collect();
        let chosen = codecs_in(&message, &kinds);
        let answer =
            gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Answer, message);
        let (viewer, commands) = (self.key.clone(), commands.clone());
        let promise = gst::Promise::with_change_func(move |reply| {
            let error = match reply {
                Ok(Some(reply)) => reply
                    .get::<gst::glib::Error>("error")
                    .ok()
                    .map(|e| e.to_string())
                    .filter(|e| !is_unsupported_direction_change(e)),
                Ok(None) => None,
                Err(e) => Some(format!("webrtcbin gave no verdict on the answer ({e:?})")),
            };
            let _ = commands.send(Command::AnswerApplied { viewer, error });
        });
        self.webrtcbin
            .emit_by_name::<()>("set-remote-description", &[&answer, &promise]);
        Ok(chosen)
    }

    /// webrtcbin took the answer whose codecs are `codecs`.
    pub(crate) fn answer_applied(&mut self, codecs: &[Option<Codec>]) {
        for (m, codec) in self.media.iter_mut().zip(codecs) {
            m.codec = *codec;
        }
        self.negotiating = false;
    }

    pub(crate) fn add_candidate(&self, mline: u32, candidate: &str) {
        self.webrtcbin
            .emit_by_name::<()>("add-ice-candidate", &[&mline, &candidate]);
    }

    /// Asks webrtcbin for this viewer's numbers; they come back as [`Command::Stats`].
    pub(crate) fn request_stats(&mut self, commands: &flume::Sender<Command>, now: Instant) {
        // One request at a time; one that got no reply in a while is given up.
        if self
            .stats_asked
            .is_some_and(|at| now.duration_since(at) < STATS_GIVE_UP)
        {
            return;
        }
        self.stats_asked = Some(now);
        let (viewer, commands) = (self.key.clone(), commands.clone());
        request_stats(&self.webrtcbin, move |sample| {
            let _ = commands.send(Command::Stats { viewer, sample });
        });
    }

    pub(crate) fn video_codec(&self) -> Option<Codec> {
        self.media
            .iter()
            .find(|m| m.kind == MediaKind::Video)
            .and_then(|m| m.codec)
    }

    pub(crate) fn keyframe_requests(&self) -> u64 {
        self.video_path().map_or(0, VideoPath::keyframe_requests)
            + self
                .simulcast_path()
                .map_or(0, SimulcastPath::keyframe_requests)
    }

    pub(crate) fn simulcast_path(&self) -> Option<&SimulcastPath> {
        self.media
            .iter()
            .filter(|m| m.kind == MediaKind::Video)
            .find_map(|m| m.feed.as_ref().and_then(Feed::simulcast_path))
    }

    pub(crate) fn video_path(&self) -> Option<&VideoPath> {
        self.media
            .iter()
            .filter(|m| m.kind == MediaKind::Video)
            .find_map(|m| m.feed.as_ref().and_then(Feed::video_path))
    }

    pub(crate) fn video_path_mut(&mut self) -> Option<&mut VideoPath> {
        self.media
            .iter_mut()
            .filter(|m| m.kind == MediaKind::Video)
            .find_map(|m| match m.feed.as_mut() {
                Some(Feed::Ladder(path)) => Some(path),
                _ => None,
            })
    }

    /// Tells the viewer's estimator (and its pacer) what its link carries.
    /// Sets the FEC percentage of the viewer's video: its transceiver's `fec-percentage`
    /// (webrtcbin 1.22 binds its rtpulpfecenc's `percentage` to it and reads it again on each
    /// negotiation) and the encoder itself. Gives how many encoders it set; none where the
    /// viewer was not offered FEC.
    pub(crate) fn set_fec_percentage(&self, percentage: u32) -> usize {
        let with_fec: Vec<gst_webrtc::WebRTCRTPTransceiver> = self
            .media
            .iter()
            .map(|m| {
                m.sink_pad
                    .property::<gst_webrtc::WebRTCRTPTransceiver>("transceiver")
            })
            .filter(|t| {
                t.has_property("fec-type")
                    && t.property::<gst_webrtc::WebRTCFECType>("fec-type")
                        == gst_webrtc::WebRTCFECType::UlpRed
            })
            .collect();
        if with_fec.is_empty() {
            return 0;
        }
        for transceiver in &with_fec {
            transceiver.set_property("fec-percentage", percentage);
        }
        let Some(bin) = self.webrtcbin.dynamic_cast_ref::<gst::Bin>() else {
            return 0;
        };
        let mut set = 0;
        for element in bin.iterate_recurse().into_iter().flatten() {
            let factory = element.factory().map(|f| f.name().to_string());
            // pt 255: a transceiver without FEC (audio), whose encoder passes packets through.
            if factory.as_deref() == Some("rtpulpfecenc") && element.property::<u32>("pt") != 255 {
                element.set_property("percentage", percentage);
                set += 1;
            }
        }
        set
    }

    pub(crate) fn set_estimate(&self, bitrate: Bitrate) {
        if let Some(estimator) = &self.estimator {
            estimator.set_property("estimated-bitrate", bitrate.as_bps());
        }
    }

    /// Takes the viewer apart for the reaper: its webrtcbin and its links to the encoders.
    pub(crate) fn into_parts(mut self) -> (gst::Element, Vec<ViewerLink>) {
        let links = self
            .media
            .iter_mut()
            .filter_map(|m| m.feed.take())
            .flat_map(Feed::into_links)
            .collect();
        (self.webrtcbin, links)
    }
}

/// webrtcbin 1.22 refuses to record a transceiver switched back on (inactive, then sendonly:
/// a video source after an audio-only one), yet goes on sending on it, and the viewer
/// decodes: the answer is as good as taken.
fn is_unsupported_direction_change(error: &str) -> bool {
    let unsupported = error.contains("transceiver direction changes are not implemented");
    if unsupported {
        tracing::debug!(error, "webrtcbin kept the old direction; sending goes on");
    }
    unsupported
}

const STATS_GIVE_UP: std::time::Duration = std::time::Duration::from_secs(5);

/// Wires webrtcbin's signals to messages. These run on webrtcbin's threads: they only send
/// events and commands, never touch the actor's state.
fn connect_signals(
    webrtcbin: &gst::Element,
    key: &ViewerKey,
    events: &Arc<Broadcast<ShareEvent>>,
    commands: &flume::Sender<Command>,
) {
    let (viewer, events_c) = (key.id.clone(), events.clone());
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
    let (viewer, events_c) = (key.id.clone(), events.clone());
    webrtcbin.connect_notify(Some("ice-gathering-state"), move |bin, _| {
        let state = bin.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state");
        if state == gst_webrtc::WebRTCICEGatheringState::Complete {
            events_c.send(ShareEvent::LocalCandidatesDone {
                viewer: viewer.clone(),
            });
        }
    });
    let (viewer, commands_c) = (key.clone(), commands.clone());
    webrtcbin.connect_notify(Some("connection-state"), move |bin, _| {
        let state = map_state(bin.property("connection-state"));
        let _ = commands_c.send(Command::ConnectionChanged {
            viewer: viewer.clone(),
            state,
        });
    });
    if let Some(rtpbin) = webrtcbin
        .downcast_ref::<gst::Bin>()
        .and_then(|b| b.by_name("rtpbin"))
    {
        let (viewer, commands) = (key.clone(), commands.clone());
        // Every RTCP packet the viewer sends (receiver reports, PLI, NACK) passes these; the
        // actor hears of it at most a few times a second.
        rtpbin.connect_pad_added(move |_, pad| {
            if !pad.name().starts_with("recv_rtcp_sink") {
                return;
            }
            let (viewer, commands) = (viewer.clone(), commands.clone());
            let last_told = std::sync::Mutex::new(None::<Instant>);
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                move |_, _| {
                    let now = Instant::now();
                    let mut last = last_told.lock().unwrap();
                    if last.is_none_or(|at| now.duration_since(at) >= HEARD_EVERY) {
                        *last = Some(now);
                        let _ = commands.send(Command::Heard(viewer.clone()));
                    }
                    gst::PadProbeReturn::Ok
                },
            );
        });
    }
}

const HEARD_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

fn create_offer(
    webrtcbin: &gst::Element,
    key: &ViewerKey,
    (ssrcs, simulcast): (Ssrcs, bool),
    events: &Arc<Broadcast<ShareEvent>>,
    commands: &flume::Sender<Command>,
) {
    let (viewer, events, commands) = (key.clone(), events.clone(), commands.clone());
    let bin = webrtcbin.downgrade();
    let promise = gst::Promise::with_change_func(move |reply| {
        let offer = reply
            .ok()
            .flatten()
            .and_then(|r| r.get::<gst_webrtc::WebRTCSessionDescription>("offer").ok());
        let (Some(offer), Some(bin)) = (offer, bin.upgrade()) else {
            // Seen in the wild: an empty reply. The viewer cannot go on without an offer.
            let _ = commands.send(Command::OfferFailed(viewer));
            return;
        };
        let sdp = with_our_ssrcs(&offer.sdp().as_text().unwrap_or_default(), ssrcs, simulcast);
        let sdp = certificate::with_our_fingerprint(&sdp);
        // The offer goes out once it is set, before any of our candidates: webrtcbin replies
        // at the end of setting it, and gathers candidates in tasks queued after that. Sent
        // later, a loaded machine's candidates overtook it and a viewer dropped them all.
        let set = gst::Promise::with_change_func(move |reply| match reply {
            Ok(reply) if !reply.is_some_and(|r| r.has_field("error")) => {
                events.send(ShareEvent::LocalDescription {
                    viewer: viewer.id,
                    kind: SdpKind::Offer,
                    sdp,
                })
            }
            _ => {
                let _ = commands.send(Command::OfferFailed(viewer));
            }
        });
        bin.emit_by_name::<()>("set-local-description", &[&offer, &set]);
    });
    webrtcbin.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
}
