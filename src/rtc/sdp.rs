//! Rewriting an SDP's text section by section: lines dropped, lines added at the end of each
//! media section. Shared by the viewer's offers and WHIP's offer with its candidates.

/// One media section as [`rewrite_sections`] walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSection<'a> {
    /// Its place among the media sections, from 0 (the `sdpMLineIndex`).
    pub index: u32,
    /// Its media type, the first word of its `m=` line (`video`, `audio`, …).
    pub media: &'a str,
}

/// Copies `sdp` without the lines `keep` refuses, calling `close` at the end of each media
/// section to add lines there (each ending in `\r\n`). Lines before the first `m=` belong to
/// the session and are only filtered.
pub fn rewrite_sections(
    sdp: &str,
    mut keep: impl FnMut(&str) -> bool,
    mut close: impl FnMut(MediaSection<'_>, &mut String),
) -> String {
    let mut out = String::with_capacity(sdp.len() + 256);
    let mut section: Option<MediaSection<'_>> = None;
    for line in sdp.split_inclusive('\n') {
        if let Some(m) = line.strip_prefix("m=") {
            if let Some(ended) = section {
                close(ended, &mut out);
            }
            section = Some(MediaSection {
                index: section.map_or(0, |s| s.index + 1),
                media: m.split(' ').next().unwrap_or("").trim_end(),
            });
        } else if !keep(line) {
            continue;
        }
        out.push_str(line);
    }
    if let Some(ended) = section {
        close(ended, &mut out);
    }
    out
}

/// The offer with its gathered candidates (`(sdpMLineIndex, candidate)`) written into their
/// media sections, each section closed by `a=end-of-candidates`: the whole of it in one
/// message, for a peer that takes no trickled candidates.
pub fn with_candidates(offer: &str, candidates: &[(u32, String)]) -> String {
    rewrite_sections(
        offer,
        |_| true,
        |section, out| {
            for (_, candidate) in candidates.iter().filter(|(m, _)| *m == section.index) {
                let candidate = candidate.strip_prefix("a=").unwrap_or(candidate);
                out.push_str(&format!("a={candidate}\r\n"));
            }
            out.push_str("a=end-of-candidates\r\n");
        },
    )
}

/// The SDP with its SSRC lines (`a=ssrc:`, `a=ssrc-group:`) replaced by one
/// `a=ssrc:N cname:CNAME` line in each media section `ssrc_of` gives an SSRC for (by its
/// media type), and where it also gives a retransmission SSRC and the section offers `rtx`,
/// that one too with its `a=ssrc-group:FID` (a peer that demuxes by SSRC alone, Firefox,
/// drops RTX packets of an SSRC nobody named).
pub fn with_ssrcs(
    sdp: &str,
    cname: &str,
    ssrc_of: impl Fn(&str) -> Option<(u32, Option<u32>)>,
) -> String {
    let has_rtx = std::cell::Cell::new(false);
    rewrite_sections(
        sdp,
        |line| {
            if line.starts_with("a=rtpmap:") && line.contains(" rtx/") {
                has_rtx.set(true);
            }
            !line.starts_with("a=ssrc:") && !line.starts_with("a=ssrc-group:")
        },
        |section, out| {
            if let Some((ssrc, rtx)) = ssrc_of(section.media) {
                match rtx.filter(|_| has_rtx.get()) {
                    Some(rtx) => out.push_str(&format!(
                        "a=ssrc-group:FID {ssrc} {rtx}\r\na=ssrc:{ssrc} cname:{cname}\r\n\
                         a=ssrc:{rtx} cname:{cname}\r\n"
                    )),
                    None => out.push_str(&format!("a=ssrc:{ssrc} cname:{cname}\r\n")),
                }
            }
            has_rtx.set(false);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_go_into_their_sections() {
        let offer = "v=0\r\nm=video 9 X 96\r\na=mid:video0\r\nm=audio 0 X 111\r\na=mid:audio1\r\n";
        let candidates = [
            (0, "candidate:1 1 UDP 1 10.99.0.1 5000 typ host".to_owned()),
            (
                1,
                "a=candidate:2 1 UDP 1 10.99.0.1 5002 typ host".to_owned(),
            ),
        ];
        assert_eq!(
            with_candidates(offer, &candidates),
            "v=0\r\nm=video 9 X 96\r\na=mid:video0\r\n\
             a=candidate:1 1 UDP 1 10.99.0.1 5000 typ host\r\na=end-of-candidates\r\n\
             m=audio 0 X 111\r\na=mid:audio1\r\n\
             a=candidate:2 1 UDP 1 10.99.0.1 5002 typ host\r\na=end-of-candidates\r\n"
        );
        assert_eq!(with_candidates("v=0\r\n", &candidates), "v=0\r\n");
    }

    #[test]
    fn offers_name_one_ssrc_a_kind() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\n\
                   m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=ssrc-group:FID 1 2\r\n\
                   a=ssrc:1 cname:x\r\na=ssrc:2 cname:x\r\na=mid:audio1\r\n\
                   m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        let ssrc_of = |media: &str| match media {
            "video" => Some((7, Some(9))),
            "audio" => Some((8, None)),
            _ => None,
        };
        // No rtx offered in the video section: no retransmission SSRC named.
        assert_eq!(
            with_ssrcs(sdp, "reelcast", ssrc_of),
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video0\r\na=ssrc:7 cname:reelcast\r\n\
             m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio1\r\na=ssrc:8 cname:reelcast\r\n\
             m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        );
    }

    #[test]
    fn a_section_that_offers_rtx_names_its_retransmission_ssrc() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n\
                   a=rtpmap:97 rtx/90000\r\na=ssrc-group:FID 1 2\r\na=ssrc:1 cname:x\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n";
        let ssrc_of = |media: &str| match media {
            "video" => Some((7, Some(9))),
            "audio" => Some((8, Some(10))),
            _ => None,
        };
        assert_eq!(
            with_ssrcs(sdp, "r", ssrc_of),
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n\
             a=rtpmap:97 rtx/90000\r\na=ssrc-group:FID 7 9\r\na=ssrc:7 cname:r\r\n\
             a=ssrc:9 cname:r\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
             a=rtpmap:111 OPUS/48000/2\r\na=ssrc:8 cname:r\r\n"
        );
    }
}
