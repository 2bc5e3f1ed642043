//! Simulcast to an SFU or media server (RFC 8853): the ladder's rungs, each the encoder output
//! the ladder makes anyway, sent as one video m-line with one RTP stream per rung, told apart
//! by their `rid`. The SFU forwards each of its subscribers the rung that subscriber takes.
//!
//! `rung tee (each rung) → payloader (its own SSRC, rid) → rtpfunnel → queue → webrtcbin`.
//! rtpfunnel writes one transport-wide sequence across the rungs, and sends a keyframe request
//! (PLI or FIR for one SSRC) to that rung's pad only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gst::prelude::*;
use gst_rtp::prelude::*;

use super::build_error::BuildError;
use super::codec::{make, Codec};
use super::command::{Command, ViewerKey};
use super::encoder::{add_chain_into, leaky_queue, ViewerLink};
use super::ladder::Rung;

/// Each published layer's `rid`, full size first. Janus VideoRoom takes the first rid of
/// `a=simulcast` as the best one (its default `rid_order` is "hml"), so its substream 2 is
/// the full size and its substream 0 the smallest.
pub(crate) const RIDS: [&str; 3] = ["h", "m", "l"];

/// The rung each layer is, by layer: full size, two thirds and a third. An SFU picks among
/// three layers for its subscribers; the ladder's rungs between them are for one viewer's
/// own link.
pub(crate) const LAYER_RUNGS: [usize; 3] = [0, 2, 5];

/// The layer rung `index` is published as, if it is one.
pub(crate) fn layer_of(index: usize) -> Option<usize> {
    LAYER_RUNGS.iter().position(|r| *r == index)
}

const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
const RID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
const RRID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
/// Beside the transport-wide sequence number's ([`super::codec::TWCC_EXTENSION_ID`]).
const MID_EXTENSION_ID: u32 = 4;
const RID_EXTENSION_ID: u32 = 5;
const RRID_EXTENSION_ID: u32 = 6;

/// Whether a publication offers simulcast: `--simulcast on|off` and Preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Simulcast {
    /// Every rung to an SFU or media server that takes it.
    #[default]
    On,
    /// One rung, chosen by the connection's congestion control, as to any viewer.
    Off,
}

impl std::str::FromStr for Simulcast {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "on" => Ok(Simulcast::On),
            "off" => Ok(Simulcast::Off),
            other => Err(format!("simulcast is on or off, not {other:?}")),
        }
    }
}

impl std::fmt::Display for Simulcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Simulcast::On => "on",
            Simulcast::Off => "off",
        })
    }
}

/// A video transceiver's codec preferences offering `rungs` rids on every codec, with the
/// header extensions SFUs read to tell the streams apart (mid, rid, repaired rid).
pub(crate) fn offer_caps(mut caps: gst::Caps, rungs: usize) -> gst::Caps {
    let rids = &RIDS[..rungs.clamp(1, RIDS.len())];
    for s in caps.make_mut().iter_mut() {
        for rid in rids {
            s.set(format!("rid-{rid}").as_str(), "send");
        }
        s.set("a-simulcast", format!("send {}", rids.join(";")));
        s.set(format!("extmap-{MID_EXTENSION_ID}").as_str(), MID_URI);
        s.set(format!("extmap-{RID_EXTENSION_ID}").as_str(), RID_URI);
        s.set(format!("extmap-{RRID_EXTENSION_ID}").as_str(), RRID_URI);
    }
    caps
}

/// Whether an answer takes the offered simulcast: its video section says `a=simulcast:recv`
/// and takes the rid header extension (without it the streams cannot be told apart).
pub(crate) fn answer_takes_simulcast(answer: &str) -> bool {
    answer
        .split("\nm=")
        .filter(|section| section.starts_with("video"))
        .any(|section| {
            let recv = section.lines().any(|l| l.starts_with("a=simulcast:recv"));
            let rid = section
                .lines()
                .any(|l| l.starts_with("a=extmap:") && l.trim_end().ends_with(RID_URI));
            recv && rid
        })
}

/// The SFU's keyframe requests for one rung: RTCP PLI and FIR naming the rung's SSRC, read
/// from the RTP session as they arrive (webrtcbin 1.22 drops the force-key-unit events they
/// become on the way up, since its bundle funnel knows one SSRC per sink pad). They go to the
/// actor as [`Command::RungKeyframeWanted`], throttled there per rung.
fn watch_keyframe_requests(
    sink_pad: &gst::Pad,
    by_ssrc: Vec<(u32, usize)>,
    (viewer, commands): (&ViewerKey, &flume::Sender<Command>),
    counter: &Arc<AtomicU64>,
) -> Option<(gst::Element, gst::glib::SignalHandlerId)> {
    let webrtcbin = sink_pad.parent_element()?;
    let rtpbin = webrtcbin.downcast_ref::<gst::Bin>()?.by_name("rtpbin")?;
    let session =
        rtpbin.emit_by_name::<Option<gst::glib::Object>>("get-internal-session", &[&0u32])?;
    let (counter, key, sender) = (counter.clone(), viewer.clone(), commands.clone());
    let handler = session.connect("on-feedback-rtcp", false, move |args| {
        let kind = args.get(1).and_then(|v| v.get::<u32>().ok());
        let format = args.get(2).and_then(|v| v.get::<u32>().ok());
        let media_ssrc = args.get(4).and_then(|v| v.get::<u32>().ok());
        let fci = args
            .get(5)
            .and_then(|v| v.get::<Option<gst::Buffer>>().ok())
            .flatten();
        let ssrcs = match (kind, format) {
            (Some(PSFB), Some(PLI)) => media_ssrc.into_iter().collect(),
            (Some(PSFB), Some(FIR)) => fci.map(|b| fir_ssrcs(&b)).unwrap_or_default(),
            _ => Vec::new(),
        };
        for ssrc in ssrcs {
            if let Some((_, rung)) = by_ssrc.iter().find(|(s, _)| *s == ssrc) {
                counter.fetch_add(1, Ordering::Relaxed);
                let _ = sender.send(Command::RungKeyframeWanted {
                    viewer: key.clone(),
                    rung: *rung,
                });
            }
        }
        None
    });
    Some((rtpbin, handler))
}

/// RTCP payload-specific feedback (RFC 4585), and its PLI and FIR formats (RFC 5104).
const PSFB: u32 = 206;
const PLI: u32 = 1;
const FIR: u32 = 4;

/// The SSRCs a FIR's entries name: 8 bytes each, the SSRC first.
fn fir_ssrcs(fci: &gst::Buffer) -> Vec<u32> {
    let Ok(map) = fci.map_readable() else {
        return Vec::new();
    };
    map.chunks_exact(8)
        .map(|entry| u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]))
        .collect()
}

/// Retransmissions of a simulcast rung name their stream with the repaired-rid extension
/// (RFC 8852), not the rid: `rtprtxsend` copies the original packet's extensions, and an SFU
/// that learns SSRCs by rid (Janus) would take a retransmission stream for the rung itself.
/// The rid element's id becomes the repaired rid's; its value (the rid) stays.
///
/// A retransmission is any packet naming a rid under an SSRC that is not one of the rungs'
/// (`rung_ssrcs`), whatever its own SSRC: webrtcbin sets `rtprtxsend`'s map of RTX SSRCs on
/// its own as well, and a rung whose retransmissions started under webrtcbin's SSRC kept its
/// rid: Janus then took that stream for the rung, and its subscribers froze or never got
/// the full size (the lossy-link test, 2 runs in 7).
pub(crate) fn mark_retransmissions_repaired(rtxsend: &gst::Element, rung_ssrcs: Vec<u32>) {
    let Some(pad) = rtxsend.static_pad("src") else {
        return;
    };
    pad.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        move |_, info| {
            match &mut info.data {
                // Read first: the packets rtprtxsend keeps for retransmission are shared, and
                // making one writable copies it. Only retransmissions are written.
                Some(gst::PadProbeData::Buffer(buffer)) if needs_repair(buffer, &rung_ssrcs) => {
                    repair_buffer(buffer.make_mut());
                }
                Some(gst::PadProbeData::BufferList(list))
                    if list.iter().any(|b| needs_repair(b, &rung_ssrcs)) =>
                {
                    list.make_mut().foreach_mut(|mut buffer, _| {
                        if needs_repair(&buffer, &rung_ssrcs) {
                            repair_buffer(buffer.make_mut());
                        }
                        std::ops::ControlFlow::Continue(Some(buffer))
                    });
                }
                _ => {}
            }
            gst::PadProbeReturn::Ok
        },
    );
}

fn needs_repair(buffer: &gst::BufferRef, rung_ssrcs: &[u32]) -> bool {
    buffer
        .map_readable()
        .is_ok_and(|map| is_retransmission(&map, rung_ssrcs))
}

/// Whether `packet` names a rid under an SSRC that is none of the rungs'.
fn is_retransmission(packet: &[u8], rung_ssrcs: &[u32]) -> bool {
    packet.len() >= 12
        && !rung_ssrcs.contains(&u32::from_be_bytes([
            packet[8], packet[9], packet[10], packet[11],
        ]))
        && rid_element(packet).is_some()
}

fn repair_buffer(buffer: &mut gst::BufferRef) {
    if let Ok(mut map) = buffer.map_writable() {
        rid_to_repaired_rid(map.as_mut_slice());
    }
}

/// Where, in an RTP packet's one-byte header extensions, the rid element's header byte is.
fn rid_element(packet: &[u8]) -> Option<usize> {
    if packet.len() < 12 || packet[0] >> 6 != 2 || packet[0] & 0x10 == 0 {
        return None;
    }
    let at = 12 + 4 * (packet[0] & 0x0f) as usize;
    if packet.len() < at + 4 || packet[at..at + 2] != [0xbe, 0xde] {
        return None;
    }
    let words = u16::from_be_bytes([packet[at + 2], packet[at + 3]]) as usize;
    let end = (at + 4 + 4 * words).min(packet.len());
    let mut i = at + 4;
    while i < end {
        let byte = packet[i];
        if byte == 0 {
            i += 1; // padding
            continue;
        }
        let id = (byte >> 4) as u32;
        if id == 15 {
            return None;
        }
        if id == RID_EXTENSION_ID {
            return Some(i);
        }
        i += 2 + (byte & 0x0f) as usize;
    }
    None
}

/// Rewrites, in an RTP packet's one-byte header extensions, the rid element's id to the
/// repaired rid's.
fn rid_to_repaired_rid(packet: &mut [u8]) {
    if let Some(i) = rid_element(packet) {
        packet[i] = ((RRID_EXTENSION_ID as u8) << 4) | (packet[i] & 0x0f);
    }
}

/// One rung as published: its rid's RTP stream.
struct Layer {
    rung: usize,
    payloader: gst::Element,
    link: ViewerLink,
}

/// A publication's video: every rung at once, each on its own SSRC.
pub(crate) struct SimulcastPath {
    codec: Codec,
    funnel: gst::Element,
    queue: gst::Element,
    layers: Vec<Layer>,
    keyframe_requests: Arc<AtomicU64>,
    /// The RTP session's feedback signal (on rtpbin's session 0), disconnected when the
    /// path goes.
    feedback: Option<(gst::Element, gst::glib::SignalHandlerId)>,
}

impl SimulcastPath {
    /// Builds the path into `sink_pad`, one layer per rung in `rungs` (each one of
    /// [`LAYER_RUNGS`]) with the SSRC beside it in `ssrcs`; `mid` is the video transceiver's. Keyframe requests for one layer go
    /// to the actor as [`Command::RungKeyframeWanted`], throttled there per rung.
    pub(crate) fn new(
        pipeline: &gst::Pipeline,
        sink_pad: &gst::Pad,
        (codec, mid): (Codec, Option<String>),
        (rungs, ssrcs): (&[&Rung], &[u32]),
        viewer: &ViewerKey,
        commands: &flume::Sender<Command>,
    ) -> Result<Self, BuildError> {
        let funnel = make("rtpfunnel")?;
        // A slow SFU drops its oldest packets: it never stalls the encoders.
        let queue = leaky_queue(192)?;
        add_chain_into(
            pipeline,
            &[&funnel, &queue],
            sink_pad,
            &format!("{codec} simulcast to the publication"),
        )?;
        let keyframe_requests = Arc::new(AtomicU64::new(0));
        let mut layers = Vec::new();
        for (rung, &ssrc) in rungs.iter().zip(ssrcs) {
            let payloader = codec.make_payloader(ssrc)?;
            let rid = layer_of(rung.index).map(|layer| RIDS[layer]);
            for (uri, id, value) in [
                (RID_URI, RID_EXTENSION_ID, rid),
                (MID_URI, MID_EXTENSION_ID, mid.as_deref()),
            ] {
                let Some(value) = value else { continue };
                let ext = gst_rtp::RTPHeaderExtension::create_from_uri(uri)
                    .ok_or_else(|| BuildError::MissingElement(format!("extension {uri}")))?;
                ext.set_id(id);
                ext.set_property(if uri == RID_URI { "rid" } else { "mid" }, value);
                payloader.emit_by_name::<()>("add-extension", &[&ext]);
            }
            pipeline.add(&payloader).map_err(BuildError::gst)?;
            let funnel_pad = funnel
                .request_pad_simple("sink_%u")
                .ok_or_else(|| BuildError::gst("rtpfunnel gave no pad"))?;
            payloader
                .static_pad("src")
                .unwrap()
                .link(&funnel_pad)
                .map_err(|e| BuildError::Link {
                    what: format!("rung {} to the simulcast", rung.index),
                    cause: e.to_string(),
                })?;
            payloader
                .sync_state_with_parent()
                .map_err(BuildError::gst)?;
            let tee_pad = rung
                .tee()
                .request_pad_simple("src_%u")
                .ok_or_else(|| BuildError::gst("the rung's tee gave no pad"))?;
            tee_pad
                .link(&payloader.static_pad("sink").unwrap())
                .map_err(|e| BuildError::Link {
                    what: format!("rung {} to the simulcast", rung.index),
                    cause: e.to_string(),
                })?;
            let link = ViewerLink::branch(rung.tee().clone(), tee_pad, funnel.clone(), funnel_pad);
            layers.push(Layer {
                rung: rung.index,
                payloader,
                link,
            });
        }
        let by_ssrc = layers
            .iter()
            .zip(ssrcs)
            .map(|(layer, ssrc)| (*ssrc, layer.rung))
            .collect();
        let feedback =
            watch_keyframe_requests(sink_pad, by_ssrc, (viewer, commands), &keyframe_requests);
        if feedback.is_none() {
            tracing::warn!("the RTP session is not there: keyframe requests go unheard");
        }
        // What does come up as force-key-unit events stops here: upstream of the payloaders
        // are the rungs' encoders, shared with everyone, and unthrottled.
        queue
            .static_pad("src")
            .unwrap()
            .add_probe(gst::PadProbeType::EVENT_UPSTREAM, |_, info| {
                match info.event() {
                    Some(e) if gst_video::UpstreamForceKeyUnitEvent::parse(e).is_ok() => {
                        gst::PadProbeReturn::Handled
                    }
                    _ => gst::PadProbeReturn::Ok,
                }
            });
        Ok(Self {
            codec,
            funnel,
            queue,
            layers,
            keyframe_requests,
            feedback,
        })
    }

    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// The rungs published, by index.
    pub(crate) fn rungs(&self) -> Vec<usize> {
        self.layers.iter().map(|l| l.rung).collect()
    }

    pub(crate) fn keyframe_requests(&self) -> u64 {
        self.keyframe_requests.load(Ordering::Relaxed)
    }

    /// Takes the path apart for the reaper: the branches first, then the elements.
    pub(crate) fn into_links(self) -> Vec<ViewerLink> {
        if let Some((rtpbin, handler)) = self.feedback {
            let session =
                rtpbin.emit_by_name::<Option<gst::glib::Object>>("get-internal-session", &[&0u32]);
            if let Some(session) = session {
                session.disconnect(handler);
            }
        }
        let mut links = Vec::new();
        let mut elements = Vec::new();
        for layer in self.layers {
            links.push(layer.link);
            elements.push(layer.payloader);
        }
        elements.push(self.funnel);
        elements.push(self.queue);
        links.push(ViewerLink::elements(elements));
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offer_names_each_rung_full_size_first_with_the_extensions_sfus_read() {
        gst::init().unwrap();
        let caps = gst::Caps::builder("application/x-rtp")
            .field("encoding-name", "VP8")
            .build();
        let caps = offer_caps(caps, 3);
        let s = caps.structure(0).unwrap();
        assert_eq!(s.get::<&str>("a-simulcast").unwrap(), "send h;m;l");
        assert_eq!(s.get::<&str>("rid-l").unwrap(), "send");
        assert_eq!(s.get::<&str>("extmap-5").unwrap(), RID_URI);
        let two = offer_caps(gst::Caps::builder("application/x-rtp").build(), 2);
        assert_eq!(
            two.structure(0)
                .unwrap()
                .get::<&str>("a-simulcast")
                .unwrap(),
            "send h;m"
        );
    }

    #[test]
    fn a_retransmission_names_its_rung_as_the_repaired_rid() {
        // V=2, X=1; seq, timestamp, SSRC; one-byte extensions: TWCC (id 3, 2 bytes), a pad
        // byte, rid "h" (id 5, 1 byte), then padding to the word.
        let mut packet = vec![0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0xbe, 0xde, 0, 2];
        packet.extend([0x31, 0x00, 0x07, 0x00, 0x50, b'h', 0x00, 0x00]);
        packet.extend([1, 2, 3]);
        rid_to_repaired_rid(&mut packet);
        assert_eq!(
            &packet[16..24],
            &[0x31, 0x00, 0x07, 0x00, 0x60, b'h', 0x00, 0x00]
        );
        assert_eq!(&packet[24..], &[1, 2, 3], "the payload is untouched");
        // No extension, or another profile: nothing changes.
        let mut plain = vec![0x80, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0x50, b'h'];
        let before = plain.clone();
        rid_to_repaired_rid(&mut plain);
        assert_eq!(plain, before);
    }

    #[test]
    fn a_retransmission_is_told_by_its_ssrc_whoever_chose_it() {
        // SSRC 9 with a rid: a retransmission unless 9 is a rung's own stream.
        let mut packet = vec![0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0xbe, 0xde, 0, 1];
        packet.extend([0x50, b'h', 0x00, 0x00, 1, 2, 3]);
        assert!(is_retransmission(&packet, &[1, 2, 3]));
        assert!(!is_retransmission(&packet, &[1, 9, 3]));
        // Audio, or anything without a rid, is left alone.
        let audio = vec![0x80, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 7, 1, 2];
        assert!(!is_retransmission(&audio, &[1, 2, 3]));
        assert!(!is_retransmission(&packet[..8], &[1, 2, 3]));
    }

    #[test]
    fn only_an_answer_that_receives_the_rids_takes_simulcast() {
        let rid = format!("a=extmap:5 {RID_URI}\r\n");
        let video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
        let with = format!("v=0\r\n{video}{rid}a=simulcast:recv h;m;l\r\n");
        assert!(answer_takes_simulcast(&with));
        let without = format!("v=0\r\n{video}{rid}");
        assert!(!answer_takes_simulcast(&without));
        let no_rid = format!("v=0\r\n{video}a=simulcast:recv h;m;l\r\n");
        assert!(!answer_takes_simulcast(&no_rid));
    }
}
