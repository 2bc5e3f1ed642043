//! Where to publish with WHIP: the `whip+http(s)://` URL read into the endpoint's own URL,
//! and where its bearer token comes from.

use crate::signalling::error::SignallingError;
use crate::signalling::secret::ShownUrl;

/// Where a bearer token for the endpoint is read from.
pub const WHIP_TOKEN_VARIABLE: &str = "REELCAST_WHIP_TOKEN";

/// Whether `url` names a WHIP endpoint (`whip+http://`, `whip+https://`).
pub fn is_whip_url(url: &str) -> bool {
    url.starts_with("whip+http://") || url.starts_with("whip+https://")
}

/// The endpoint's own `http(s)://` URL, from a `whip+http(s)://` one.
pub fn parse_whip_url(url: &str) -> Result<url::Url, SignallingError> {
    let bad = |cause: &str| SignallingError::BadUrl {
        url: ShownUrl::new(url),
        cause: cause.to_owned(),
    };
    let rest = url
        .strip_prefix("whip+")
        .ok_or_else(|| bad("a WHIP URL starts with whip+http:// or whip+https://"))?;
    let endpoint = url::Url::parse(rest).map_err(|e| bad(&e.to_string()))?;
    if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host().is_none() {
        return Err(bad("a WHIP URL starts with whip+http:// or whip+https://"));
    }
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whip_urls_name_an_http_endpoint() {
        let e = parse_whip_url("whip+https://sfu.example.org/whip/endpoint?x=1").unwrap();
        assert_eq!(e.as_str(), "https://sfu.example.org/whip/endpoint?x=1");
        for bad in [
            "whip+ftp://h/x",
            "https://h/x",
            "whip+http://",
            "whip+nonsense",
        ] {
            let e = parse_whip_url(bad).unwrap_err().to_string();
            assert!(e.starts_with(bad), "{e}");
        }
    }
}
