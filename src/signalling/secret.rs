//! Secrets that signalling carries (Janus pins, WHIP tokens, TURN passwords, secrets in
//! URLs), typed so that no message can show them: a [`Secret`] prints as `[redacted]`, and a
//! [`ShownUrl`] is a URL as errors and logs show it, its secrets taken out.

use std::fmt;

/// What stands for a secret in anything shown.
pub const REDACTED: &str = "***";

/// A secret value: used only through [`Secret::expose`]; `Debug` and `Display` hide it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The secrets a share may need for its far side, kept apart from URLs and arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignallingSecrets {
    /// A Janus room's pin.
    pub janus_pin: Option<Secret>,
    /// A WHIP endpoint's bearer token.
    pub whip_token: Option<Secret>,
    /// The shared secret of the TURN servers given without a password (coturn's
    /// `static-auth-secret`): each viewer page gets credentials minted from it.
    pub turn_secret: Option<Secret>,
    /// Send them over plain `ws://` or `http://` to another computer
    /// (`--allow-insecure-signalling`).
    pub allow_insecure: bool,
}

/// Query parameters whose values are secrets, whatever the service.
const SECRET_PARAMETERS: &[&str] = &[
    "pin",
    "token",
    "access_token",
    "auth",
    "authorization",
    "secret",
    "password",
    "passwd",
    "pass",
    "key",
    "apikey",
    "api_key",
    "credential",
    "sig",
    "signature",
];

/// Whether a query parameter's value is a secret.
pub fn is_secret_parameter(name: &str) -> bool {
    SECRET_PARAMETERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name.trim()))
}

/// A URL as messages show it: a password in it (`user:password@`) and the values of secret
/// query parameters (`pin`, `token`, …) replaced by `***`, the rest as the person wrote it.
#[derive(Clone, PartialEq, Eq)]
pub struct ShownUrl(String);

impl ShownUrl {
    pub fn new(url: &str) -> Self {
        Self(redact_url(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShownUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShownUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// `url` with its secrets replaced by `***` (see [`ShownUrl`]). Works on text, not on a
/// parsed URL, so that a URL too broken to parse is redacted too and others keep their form.
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    let mut shown = redact_userinfo(base);
    if let Some(query) = query {
        shown.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_parameter(name) => format!("{name}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect();
        shown.push_str(&pairs.join("&"));
    }
    // A fragment can carry a secret too (a capability in a link): never shown.
    if !fragment.is_empty() {
        shown.push('#');
        shown.push_str(REDACTED);
    }
    shown
}

fn redact_userinfo(base: &str) -> String {
    let Some(start) = base.find("://").map(|i| i + 3) else {
        return base.to_owned();
    };
    let authority_end = base[start..].find('/').map_or(base.len(), |i| start + i);
    let authority = &base[start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return base.to_owned();
    };
    let userinfo = &authority[..at];
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    format!("{}{user}:{REDACTED}{}", &base[..start], &base[start + at..])
}

/// The secrets a URL carries: its password and the values of its secret parameters.
pub(crate) fn secrets_in_url(url: &url::Url) -> Vec<String> {
    let mut secrets: Vec<String> = url
        .query_pairs()
        .filter(|(name, value)| is_secret_parameter(name) && !value.is_empty())
        .map(|(_, value)| value.into_owned())
        .collect();
    secrets.extend(url.password().map(str::to_owned));
    // As written in the URL too (percent-encoded).
    if let Some(query) = url.query() {
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=') {
                if is_secret_parameter(name) && !value.is_empty() {
                    secrets.push(value.to_owned());
                }
            }
        }
    }
    secrets
}

/// `text` (a server's reply, an error) with every given secret replaced by `***`.
pub fn redact_text(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, REDACTED)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_secrets() {
        assert_eq!(
            redact_url("janus+ws://10.0.0.1:8188/?room=1234&pin=s3cret&display=Movie"),
            "janus+ws://10.0.0.1:8188/?room=1234&pin=***&display=Movie"
        );
        assert_eq!(
            redact_url("turn://alice:hunter2@turn.example.org:3478"),
            "turn://alice:***@turn.example.org:3478"
        );
        assert_eq!(
            redact_url("whip+https://sfu.example/whip?Token=abc&x=1#cap"),
            "whip+https://sfu.example/whip?Token=***&x=1#***"
        );
        for plain in [
            "ws://127.0.0.1:8443",
            "janus+ws://host/?room=1&colour=red",
            "nonsense",
        ] {
            assert_eq!(redact_url(plain), plain);
        }
        assert_eq!(format!("{:?}", Secret::new("s3cret")), "[redacted]");
        assert_eq!(
            redact_text("bad token s3cret!", &["s3cret", ""]),
            "bad token ***!"
        );
    }
}
