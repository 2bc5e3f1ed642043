//! The DTLS certificate of every viewer's connection: ECDSA P-256, made once per run.
//!
//! webrtcbin's own default is an RSA certificate, and some WebRTC stacks (aiortc, and what is
//! built on it) offer only ECDSA cipher suites: with RSA their handshake fails. With an ECDSA
//! certificate the DTLS server picks an ECDHE-ECDSA suite, which every browser and webrtcbin
//! offer too, so the others still connect.
//!
//! GStreamer 1.22's webrtcbin has no certificate property. Its DTLS transports are made while
//! it creates its first offer, each with a `dtlssrtpdec` whose `pem` property holds the
//! certificate and key (the matching `dtlssrtpenc` takes the connection by id when it starts):
//! [`apply`] sets it the moment the element is added to the webrtcbin, before anything starts.
//! webrtcbin then writes `a=fingerprint` from that same property, but it hashes every base64
//! line of it, the key's too, so the value it writes is not the certificate's:
//! [`with_our_fingerprint`] puts the right one in each offer sent.

use std::sync::OnceLock;

use gst::prelude::*;

/// A certificate and its private key, and the fingerprints that offers carry.
pub(crate) struct DtlsCertificate {
    /// The certificate, then its PKCS#8 private key, in PEM: what `dtlssrtpdec` takes.
    pem: String,
    /// SHA-256 of the certificate's DER, as SDP writes it (`AB:CD:...`).
    fingerprint: String,
    /// What webrtcbin 1.22 writes instead: SHA-256 of the certificate's and the key's DER.
    webrtcbin_fingerprint: String,
}

impl DtlsCertificate {
    fn generate() -> Result<Self, rcgen::Error> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Reelcast");
        let cert = params.self_signed(&key)?;
        let both: Vec<u8> = [cert.der().as_ref(), &key.serialize_der()].concat();
        Ok(Self {
            pem: format!("{}{}", cert.pem(), key.serialize_pem()),
            fingerprint: sdp_fingerprint(cert.der()),
            webrtcbin_fingerprint: sdp_fingerprint(&both),
        })
    }
}

/// `AB:CD:...`: the SHA-256 of `der`, in upper-case hex pairs joined by colons (RFC 8122).
fn sdp_fingerprint(der: &[u8]) -> String {
    let hex = gst::glib::compute_checksum_for_data(gst::glib::ChecksumType::Sha256, der)
        .map(|s| s.to_uppercase())
        .unwrap_or_default();
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// This run's certificate, made on first use; `None` if it could not be made (then webrtcbin's
/// own RSA certificate stays, as before).
pub(crate) fn certificate() -> Option<&'static DtlsCertificate> {
    static CERTIFICATE: OnceLock<Option<DtlsCertificate>> = OnceLock::new();
    CERTIFICATE
        .get_or_init(|| match DtlsCertificate::generate() {
            Ok(cert) => {
                tracing::debug!(fingerprint = cert.fingerprint, "made the DTLS certificate");
                Some(cert)
            }
            Err(e) => {
                tracing::warn!("no ECDSA DTLS certificate, webrtcbin's default is used: {e}");
                None
            }
        })
        .as_ref()
}

/// Makes `webrtcbin` use this run's certificate for every DTLS transport it makes. Call it
/// before the first offer is made, i.e. right after the element is made.
pub(crate) fn apply(webrtcbin: &gst::Element) {
    let Some(cert) = certificate() else { return };
    webrtcbin.connect("deep-element-added", false, move |args| {
        let element = args.get(2).and_then(|v| v.get::<gst::Element>().ok())?;
        let is_dtls_dec = element.factory().is_some_and(|f| f.name() == "dtlssrtpdec");
        if is_dtls_dec && element.has_property("pem") {
            element.set_property("pem", &cert.pem);
        }
        None
    });
}

/// `sdp` (an offer or answer webrtcbin made) with our certificate's true fingerprint where
/// webrtcbin wrote its miscomputed one. Other fingerprints (webrtcbin's default certificate, or
/// a GStreamer that computes it right) stay as they are.
pub(crate) fn with_our_fingerprint(sdp: &str) -> String {
    let Some(cert) = certificate() else {
        return sdp.to_owned();
    };
    let wrong = format!("a=fingerprint:sha-256 {}", cert.webrtcbin_fingerprint);
    let right = format!("a=fingerprint:sha-256 {}", cert.fingerprint);
    sdp.split_inclusive('\n')
        .map(|line| {
            if line.trim_end().eq_ignore_ascii_case(&wrong) {
                line.replacen(line.trim_end(), &right, 1)
            } else {
                line.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_colon_separated_upper_case_sha256() {
        let _ = gst::init();
        // SHA-256 of the empty input.
        assert_eq!(
            sdp_fingerprint(b""),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:\
             27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }

    /// The DER of each PEM block, in order.
    fn pem_blocks(pem: &str) -> Vec<Vec<u8>> {
        let mut blocks = Vec::new();
        let mut body = String::new();
        for line in pem.lines() {
            if line.starts_with("-----BEGIN") {
                body.clear();
            } else if line.starts_with("-----END") {
                blocks.push(gst::glib::base64_decode(&body));
            } else {
                body.push_str(line.trim());
            }
        }
        blocks
    }

    #[test]
    fn the_certificate_is_ecdsa_p256_and_made_once() {
        let cert = certificate().expect("a certificate");
        assert!(std::ptr::eq(cert, certificate().unwrap()), "made once");
        assert!(cert.pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.pem.contains("-----BEGIN PRIVATE KEY-----"));
        let der = &pem_blocks(&cert.pem)[0];
        let has = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        // The id-ecPublicKey and prime256v1 OIDs, DER-encoded.
        assert!(has(&[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]));
        assert!(has(&[
            0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
        ]));
        assert_eq!(cert.fingerprint, sdp_fingerprint(der));
    }

    #[test]
    fn only_the_miscomputed_fingerprint_is_replaced() {
        let cert = certificate().unwrap();
        let other = "a=fingerprint:sha-256 00:11\r\n";
        let sdp = format!(
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-256 {}\r\n{other}",
            cert.webrtcbin_fingerprint
        );
        assert_eq!(
            with_our_fingerprint(&sdp),
            format!(
                "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-256 {}\r\n{other}",
                cert.fingerprint
            )
        );
    }

    /// A webrtcbin with the certificate applied uses it for its DTLS transport, and every
    /// offer, once corrected, carries its fingerprint on every m-line, the second offer too.
    #[test]
    fn offers_carry_the_certificates_fingerprint() {
        gst::init().unwrap();
        let cert = certificate().unwrap();
        let pipeline = gst::Pipeline::new();
        let webrtcbin = gst::ElementFactory::make("webrtcbin").build().unwrap();
        crate::util::disable_upnp(&webrtcbin);
        webrtcbin.set_property_from_str("bundle-policy", "max-bundle");
        apply(&webrtcbin);
        pipeline.add(&webrtcbin).unwrap();
        for caps in [
            "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
            "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000",
        ] {
            webrtcbin.emit_by_name::<gst_webrtc::WebRTCRTPTransceiver>(
                "add-transceiver",
                &[
                    &gst_webrtc::WebRTCRTPTransceiverDirection::Sendonly,
                    &caps.parse::<gst::Caps>().unwrap(),
                ],
            );
        }
        pipeline.set_state(gst::State::Playing).unwrap();
        let want = format!("a=fingerprint:sha-256 {}", cert.fingerprint);
        for round in 0..2 {
            let promise = gst::Promise::new();
            webrtcbin.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
            promise.wait();
            let offer = promise
                .get_reply()
                .and_then(|r| r.get::<gst_webrtc::WebRTCSessionDescription>("offer").ok())
                .expect("an offer");
            let sdp = with_our_fingerprint(&offer.sdp().as_text().unwrap());
            let fingerprints: Vec<&str> = sdp
                .lines()
                .filter(|l| l.starts_with("a=fingerprint:"))
                .collect();
            assert_eq!(fingerprints.len(), 2, "round {round}: {sdp}");
            assert!(
                fingerprints.iter().all(|l| *l == want),
                "round {round}: want {want} in {sdp}"
            );
            webrtcbin.emit_by_name::<()>("set-local-description", &[&offer, &None::<gst::Promise>]);
        }
        // The transport's certificate is ours: what the DTLS handshake presents.
        let transceiver = webrtcbin
            .emit_by_name::<Option<gst_webrtc::WebRTCRTPTransceiver>>("get-transceiver", &[&0i32])
            .unwrap();
        let transport = transceiver
            .property::<gst_webrtc::WebRTCRTPSender>("sender")
            .property::<Option<gst_webrtc::WebRTCDTLSTransport>>("transport")
            .expect("a DTLS transport");
        let pem = transport
            .property::<Option<String>>("certificate")
            .unwrap_or_default();
        assert_eq!(
            sdp_fingerprint(&pem_blocks(&pem)[0]),
            cert.fingerprint,
            "{pem}"
        );
        pipeline.set_state(gst::State::Null).unwrap();
    }
}
