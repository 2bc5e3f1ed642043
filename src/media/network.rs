//! Network sources: the true cause of a failure (no such host, connection refused, a
//! certificate not trusted, an HTTP status, a server that cannot seek) in plain words, where
//! GStreamer only says that its data stream stopped.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gio::prelude::*;

use super::error::PlayerError;

/// How long the check of a server may wait for its connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What a failure of a network source says by itself.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The error names its cause.
    Known(PlayerError),
    /// GStreamer only says that the stream stopped (souphttpsrc keeps libsoup's reason, such
    /// as "Connection refused", to its debug log): [`probe`] the server to find out.
    Probe,
}

/// True for sources fetched over the network, whose failures [`classify`] explains.
pub(crate) fn is_network(uri: &str) -> bool {
    let scheme = uri.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    matches!(scheme.as_deref(), Some("http" | "https"))
}

fn is_https(uri: &str) -> bool {
    uri.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// The HTTP status of a response, from the `http-headers` message that souphttpsrc posts for
/// each one (0 when no response came at all).
pub(crate) fn http_status(msg: &gst::Message) -> Option<u32> {
    let gst::MessageView::Element(element) = msg.view() else {
        return None;
    };
    let s = element.structure()?;
    if s.name() != "http-headers" {
        return None;
    }
    s.get::<u32>("http-status-code").ok()
}

/// Explains an error posted while fetching `location`. `http_status` is the last status the
/// server answered, if it answered. `None`: the error is not about the network, and the usual
/// reading ([`PlayerError::from_bus`]) applies.
pub(crate) fn classify(
    location: &str,
    err: &gst::glib::Error,
    http_status: Option<u32>,
) -> Option<Verdict> {
    let location = location.to_owned();
    if let Some(code) = http_status.filter(|c| *c >= 400) {
        return Some(Verdict::Known(PlayerError::HttpStatus {
            location,
            code,
            reason: reason_phrase(code).to_owned(),
        }));
    }
    if let Some(e) = err.kind::<gst::ResourceError>() {
        return match e {
            // qtdemux asks to skip the media data to reach an index at the end of the file,
            // and a server that ignores Range requests cannot go there.
            gst::ResourceError::Seek => {
                Some(Verdict::Known(PlayerError::ServerCannotSeek { location }))
            }
            gst::ResourceError::NotFound
            | gst::ResourceError::OpenRead
            | gst::ResourceError::Read
            | gst::ResourceError::Failed => Some(Verdict::Probe),
            _ => None,
        };
    }
    match err.kind::<gst::StreamError>() {
        Some(gst::StreamError::Failed) => Some(Verdict::Probe),
        // A refused TLS handshake leaves typefind with no data at all.
        Some(gst::StreamError::TypeNotFound) if is_https(&location) => Some(Verdict::Probe),
        _ => None,
    }
}

/// Connects to the server of `uri` to find why fetching it failed: no address for its name,
/// nothing listening, no answer, a certificate not trusted. `None` when the server can be
/// reached (the cause is elsewhere, and GStreamer's own words are the best there are).
pub(crate) fn probe(uri: &str, location: &str) -> Option<PlayerError> {
    let (host, port) = host_and_port(uri)?;
    let location = location.to_owned();
    let addresses: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(_) => Vec::new(),
    };
    if addresses.is_empty() {
        return Some(PlayerError::HostNotFound { location, host });
    }
    let mut last = None;
    for address in &addresses {
        match TcpStream::connect_timeout(address, CONNECT_TIMEOUT) {
            Ok(_) if is_https(uri) => return tls_problem(&host, port, &location),
            Ok(_) => return None,
            Err(e) => last = Some(e),
        }
    }
    let e = last.expect("at least one address was tried");
    Some(match e.kind() {
        std::io::ErrorKind::ConnectionRefused => PlayerError::ConnectionRefused {
            location,
            host,
            port,
        },
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => PlayerError::Network {
            location,
            cause: format!("{host}:{port} did not answer"),
        },
        std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable => {
            PlayerError::Network {
                location,
                cause: format!("no route to {host}"),
            }
        }
        _ => PlayerError::Network {
            location,
            cause: format!("{host}:{port}: {e}"),
        },
    })
}

/// Shakes hands with `host` over TLS as souphttpsrc does (GLib's TLS, the system's trust
/// store), to tell why it refused the server: what is wrong with its certificate.
fn tls_problem(host: &str, port: u16, location: &str) -> Option<PlayerError> {
    let client = gio::SocketClient::new();
    client.set_tls(true);
    client.set_timeout(CONNECT_TIMEOUT.as_secs() as u32);
    let refused = Arc::new(Mutex::new(gio::TlsCertificateFlags::empty()));
    let seen = refused.clone();
    client.connect_event(move |_, event, _, connection| {
        if event != gio::SocketClientEvent::TlsHandshaking {
            return;
        }
        let Some(tls) = connection.and_then(|c| c.downcast_ref::<gio::TlsClientConnection>())
        else {
            return;
        };
        let seen = seen.clone();
        tls.connect_accept_certificate(move |_, _, errors| {
            *seen.lock().unwrap() = errors;
            false
        });
    });
    let address = gio::NetworkAddress::new(host, port);
    let result = SocketClientExt::connect(&client, &address, gio::Cancellable::NONE);
    tracing::debug!(location, ?result, "the TLS check");
    let error = result.err()?;
    let cause = match error.kind::<gio::TlsError>() {
        Some(gio::TlsError::BadCertificate) => certificate_words(*refused.lock().unwrap()),
        Some(_) => error.message().to_owned(),
        None => return None,
    };
    Some(PlayerError::Tls {
        location: location.to_owned(),
        cause,
    })
}

/// What is wrong with a certificate, in words.
fn certificate_words(flags: gio::TlsCertificateFlags) -> String {
    use gio::TlsCertificateFlags as F;
    let words: Vec<&str> = [
        (
            F::UNKNOWN_CA,
            "the server's certificate is not trusted (it is self-signed, or signed by an \
             authority this computer does not know)",
        ),
        (
            F::BAD_IDENTITY,
            "the server's certificate is for another name than this host",
        ),
        (F::EXPIRED, "the server's certificate has expired"),
        (
            F::NOT_ACTIVATED,
            "the server's certificate is not valid yet (or this computer's clock is wrong)",
        ),
        (F::REVOKED, "the server's certificate was revoked"),
        (
            F::INSECURE,
            "the server's certificate uses an algorithm that is not safe",
        ),
    ]
    .into_iter()
    .filter(|(flag, _)| flags.contains(*flag))
    .map(|(_, words)| words)
    .collect();
    if words.is_empty() {
        "the server's certificate is not trusted".into()
    } else {
        words.join("; ")
    }
}

fn host_and_port(uri: &str) -> Option<(String, u16)> {
    let parsed = gst::glib::Uri::parse(uri, gst::glib::UriFlags::NONE).ok()?;
    let host = parsed.host()?.trim_matches(['[', ']']).to_owned();
    let port = match u16::try_from(parsed.port()) {
        Ok(port) if port > 0 => port,
        _ if parsed.scheme().eq_ignore_ascii_case("https") => 443,
        _ => 80,
    };
    Some((host, port))
}

/// The standard words for an HTTP status, as servers send them.
fn reason_phrase(code: u32) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        425 => "Too Early",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        c if c < 500 => "(a client error)",
        _ => "(a server error)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error<T: gst::glib::error::ErrorDomain>(kind: T) -> gst::glib::Error {
        gst::glib::Error::new(kind, "whatever GStreamer said")
    }

    #[test]
    fn an_http_status_is_named_with_its_words() {
        let verdict = classify(
            "http://h/x.mp4",
            &error(gst::ResourceError::NotFound),
            Some(404),
        );
        let Some(Verdict::Known(e)) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(
            e.to_string(),
            "http://h/x.mp4: the server says 404 Not Found"
        );
        let Some(Verdict::Known(e)) =
            classify("http://h/x", &error(gst::ResourceError::Read), Some(503))
        else {
            panic!()
        };
        assert!(e.to_string().ends_with("503 Service Unavailable"), "{e}");
    }

    #[test]
    fn a_refused_seek_says_the_server_cannot_seek() {
        let verdict = classify(
            "http://h/x.mp4",
            &error(gst::ResourceError::Seek),
            Some(200),
        );
        assert!(matches!(
            verdict,
            Some(Verdict::Known(PlayerError::ServerCannotSeek { .. }))
        ));
    }

    #[test]
    fn a_bare_stream_failure_asks_for_a_probe_and_a_format_error_does_not() {
        let failed = error(gst::StreamError::Failed);
        assert_eq!(classify("http://h/x", &failed, None), Some(Verdict::Probe));
        assert_eq!(
            classify("http://h/x", &failed, Some(0)),
            Some(Verdict::Probe)
        );
        let unknown = error(gst::StreamError::TypeNotFound);
        assert_eq!(classify("http://h/x", &unknown, Some(200)), None);
    }

    #[test]
    fn only_http_sources_are_network_ones() {
        assert!(is_network("http://example.org/a.webm"));
        assert!(is_network("HTTPS://example.org/a.webm"));
        assert!(!is_network("file:///tmp/a.webm"));
        assert!(!is_network("/tmp/a.webm"));
    }

    #[test]
    fn a_refused_certificate_says_why() {
        use gio::TlsCertificateFlags as F;
        assert!(certificate_words(F::UNKNOWN_CA).contains("self-signed"));
        let both = certificate_words(F::UNKNOWN_CA | F::EXPIRED);
        assert!(
            both.contains("not trusted") && both.contains("expired"),
            "{both}"
        );
        assert!(certificate_words(F::empty()).contains("not trusted"));
    }

    #[test]
    fn an_https_source_without_data_asks_for_a_probe() {
        let unknown = error(gst::StreamError::TypeNotFound);
        assert_eq!(
            classify("https://h/x", &unknown, None),
            Some(Verdict::Probe)
        );
    }

    #[test]
    fn ports_default_by_scheme() {
        assert_eq!(
            host_and_port("https://example.org/a"),
            Some(("example.org".into(), 443))
        );
        assert_eq!(
            host_and_port("http://example.org:8080/a"),
            Some(("example.org".into(), 8080))
        );
        assert_eq!(host_and_port("http://[::1]:81/a"), Some(("::1".into(), 81)));
    }

    #[test]
    fn a_closed_local_port_is_a_refused_connection() {
        // Bind, learn the port, close: nothing listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let uri = format!("http://127.0.0.1:{port}/clip.mp4");
        let e = probe(&uri, &uri).expect("refused");
        assert!(
            matches!(e, PlayerError::ConnectionRefused { port: p, .. } if p == port),
            "{e:?}"
        );
        assert!(e.to_string().contains("connection refused"), "{e}");
    }
}
