//! The rule for sending a secret (a Janus pin, a WHIP token): over plain `ws://`/`http://`
//! only to this computer, unless the person allows it (`--allow-insecure-signalling`).

use std::net::IpAddr;

use super::error::SignallingError;
use super::secret::ShownUrl;

/// Whether `host` is this computer (a loopback address or `localhost`).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A secret (`what`: "the Janus pin", "the WHIP token") goes in clear text only to this
/// computer, unless the person allowed it (`--allow-insecure-signalling`).
pub(crate) fn check_secret_transport(
    url: &str,
    endpoint: &url::Url,
    what: &str,
    allow_insecure: bool,
) -> Result<(), SignallingError> {
    let plain = matches!(endpoint.scheme(), "ws" | "http");
    let local = endpoint.host_str().is_some_and(is_loopback_host);
    if !plain || local || allow_insecure {
        return Ok(());
    }
    let secure = if endpoint.scheme() == "ws" {
        "wss"
    } else {
        "https"
    };
    Err(SignallingError::InsecureSecret {
        url: ShownUrl::new(url),
        what: what.to_owned(),
        cause: format!(
            "{}:// is not encrypted, so anyone on the network between could read it; use \
             {secure}://, or pass --allow-insecure-signalling on a network you trust",
            endpoint.scheme()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_cross_the_network_only_encrypted_unless_allowed() {
        let check = |url: &str, allow| {
            let endpoint = url::Url::parse(url).unwrap();
            check_secret_transport(url, &endpoint, "the pin", allow)
        };
        assert!(check("ws://127.0.0.1:8188/", false).is_ok());
        assert!(check("http://localhost:8889/whip", false).is_ok());
        assert!(check("ws://[::1]:8188/", false).is_ok());
        assert!(check("wss://sfu.example/", false).is_ok());
        assert!(check("ws://10.99.0.1:8188/", true).is_ok());
        let e = check("ws://10.99.0.1:8188/", false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--allow-insecure-signalling") && e.contains("wss://"),
            "{e}"
        );
    }
}
