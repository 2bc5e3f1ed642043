//! [`ViewerIceServers`]: the STUN and TURN servers the embedded server hands each viewer page,
//! with each session it starts. A TURN server is handed out only with credentials minted for
//! that viewer from a shared secret (the TURN REST API that coturn's `use-auth-secret`
//! serves): the person's own TURN password never reaches a viewer. No I/O here: the time is
//! an argument.

use base64::Engine;
use serde::Serialize;

use super::secret::Secret;

/// The environment variable that may hold the TURN server's shared secret (coturn's
/// `static-auth-secret`), as `--turn-secret-file` does.
pub const TURN_SECRET_VARIABLE: &str = "REELCAST_TURN_SECRET";

/// How long minted TURN credentials last. A viewer watching longer through the relay loses
/// it then, and the page joins again (with new credentials).
pub const TURN_CREDENTIAL_LIFETIME_SECS: u64 = 3600;

/// Longest viewer id put in a TURN username (the embedded server's ids are 32 characters).
const MAX_VIEWER_ID: usize = 64;

/// A username and password for the TURN REST API: `username` is `EXPIRY:VIEWER` (the Unix
/// time the credentials stop working, then who they are for) and `credential` is
/// base64(HMAC-SHA1(secret, username)), which the TURN server recomputes from the same secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnCredentials {
    pub username: String,
    pub credential: Secret,
}

impl std::fmt::Debug for TurnCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnCredentials")
            .field("username", &self.username)
            .field("credential", &self.credential)
            .finish()
    }
}

/// Mints credentials for `viewer` that expire at `expires_at` (Unix seconds).
pub fn turn_credentials(secret: &Secret, viewer: &str, expires_at: u64) -> TurnCredentials {
    let viewer: String = viewer
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(MAX_VIEWER_ID)
        .collect();
    let username = format!("{expires_at}:{viewer}");
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        secret.expose().as_bytes(),
    );
    let tag = ring::hmac::sign(&key, username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    TurnCredentials {
        username,
        credential: Secret::new(credential),
    }
}

/// One entry of a page's `RTCPeerConnection` configuration (`RTCIceServer`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Minted for this viewer, never the person's own password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl std::fmt::Debug for IceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What viewer pages are given: the share's STUN server, and the TURN servers that take
/// credentials from the shared secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerIceServers {
    /// `stun:host:port`, as browsers write it.
    stun: Option<String>,
    /// `turn:host:port[?transport=…]` or `turns:…`, without any user or password.
    turn: Vec<String>,
    secret: Option<Secret>,
}

impl ViewerIceServers {
    /// From the share's servers, in webrtcbin's form (`stun://host:port`,
    /// `turn://[user[:password]@]host:port`). With `secret`, the TURN servers written without a
    /// password are handed out with minted credentials; one with a password is the person's
    /// own and stays with the share. Without a secret, no TURN server is handed out.
    pub fn new(stun: Option<&str>, turn: &[String], secret: Option<Secret>) -> Self {
        let stun = stun.and_then(|s| browser_url(s, &["stun"]));
        let turn = match &secret {
            None => Vec::new(),
            Some(_) => turn
                .iter()
                .filter(|t| !has_password(t))
                .filter_map(|t| browser_url(t, &["turn", "turns"]))
                .collect(),
        };
        Self { stun, turn, secret }
    }

    /// Whether there is anything to hand out.
    pub fn is_empty(&self) -> bool {
        self.stun.is_none() && self.turn.is_empty()
    }

    /// The servers for `viewer`'s session, with TURN credentials valid from `now` (Unix
    /// seconds) for [`TURN_CREDENTIAL_LIFETIME_SECS`].
    pub fn for_viewer(&self, viewer: &str, now: u64) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if let Some(stun) = &self.stun {
            servers.push(IceServer {
                urls: vec![stun.clone()],
                username: None,
                credential: None,
            });
        }
        if let (Some(secret), false) = (&self.secret, self.turn.is_empty()) {
            let minted = turn_credentials(
                secret,
                viewer,
                now.saturating_add(TURN_CREDENTIAL_LIFETIME_SECS),
            );
            servers.push(IceServer {
                urls: self.turn.clone(),
                username: Some(minted.username),
                credential: Some(minted.credential.expose().to_owned()),
            });
        }
        servers
    }
}

/// `user:password@` in a URL's authority.
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// `scheme://[userinfo@]host:port[?query]` as a browser's `scheme:host:port[?query]`; `None`
/// for another scheme or no host. The user, if any, is left out.
fn browser_url(url: &str, schemes: &[&str]) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").or_else(|| url.split_once(':'))?;
    let scheme = scheme.to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let query = tail
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .filter(|q| !q.is_empty());
    let clean = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:[]=&%".contains(c))
    };
    if !clean(host) || query.is_some_and(|q| !clean(q)) {
        return None;
    }
    Some(match query {
        Some(q) => format!("{scheme}:{host}?{q}"),
        None => format!("{scheme}:{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_match_an_independent_computation() {
        // python3 -c "import hmac, hashlib, base64;
        //   print(base64.b64encode(hmac.new(b'north-wind-secret', b'1767229200:3f2a9c1d',
        //   hashlib.sha1).digest()).decode())"
        // prints WJghN0C5AiwpMOEkNhzqYaRoOUI=
        let minted = turn_credentials(&Secret::new("north-wind-secret"), "3f2a9c1d", 1767229200);
        assert_eq!(minted.username, "1767229200:3f2a9c1d");
        assert_eq!(minted.credential.expose(), "WJghN0C5AiwpMOEkNhzqYaRoOUI=");
        assert!(!format!("{minted:?}").contains("WJghN0C5"));
    }

    #[test]
    fn viewers_get_stun_and_minted_turn_never_the_password() {
        let turn = [
            "turn://alice:hunter2@10.0.0.2:3478".to_owned(),
            "turn://10.0.0.3:3478?transport=tcp".to_owned(),
            "turns://turn.example.org:5349".to_owned(),
        ];
        let ice = ViewerIceServers::new(
            Some("stun://10.0.0.1:3478"),
            &turn,
            Some(Secret::new("north-wind-secret")),
        );
        let servers = ice.for_viewer("3f2a9c1d", 1767225600);
        let json = serde_json::to_string(&servers).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("alice"),
            "{json}"
        );
        assert!(!json.contains("10.0.0.2"), "{json}");
        assert_eq!(servers[0].urls, ["stun:10.0.0.1:3478"]);
        assert_eq!(
            servers[1].urls,
            [
                "turn:10.0.0.3:3478?transport=tcp",
                "turns:turn.example.org:5349"
            ]
        );
        assert_eq!(servers[1].username.as_deref(), Some("1767229200:3f2a9c1d"));
        assert_eq!(
            servers[1].credential.as_deref(),
            Some("WJghN0C5AiwpMOEkNhzqYaRoOUI=")
        );
        assert!(!format!("{servers:?}").contains("WJghN0C5"));
        // Without a secret: STUN only.
        let ice = ViewerIceServers::new(Some("stun://10.0.0.1:3478"), &turn, None);
        assert_eq!(ice.for_viewer("x", 0).len(), 1);
        assert!(ViewerIceServers::default().is_empty());
    }

    #[test]
    fn odd_urls_and_ids_are_left_out_or_cleaned() {
        assert_eq!(browser_url("stun://h:1", &["turn"]), None);
        assert_eq!(browser_url("stun://", &["stun"]), None);
        assert_eq!(
            browser_url("stun://h:1/\"><x", &["stun"]).unwrap(),
            "stun:h:1"
        );
        assert_eq!(browser_url("stun://h\"x:1", &["stun"]), None);
        assert_eq!(browser_url("stun:h:1", &["stun"]).unwrap(), "stun:h:1");
        let minted = turn_credentials(&Secret::new("s"), "a:b\n<c>", 5);
        assert_eq!(minted.username, "5:abc");
    }
}
