//! Publishing to a WHIP endpoint (RFC 9725): the offer goes out in one HTTP POST, the answer
//! comes back in the reply, and a DELETE of the resource ends the session. Chosen by a URL of
//! the form `whip+http://HOST[:PORT]/PATH` or `whip+https://…`. A bearer token, when the
//! endpoint wants one, comes from the environment (`REELCAST_WHIP_TOKEN`), not the command
//! line, where every user of the computer could read it.

use std::time::Duration;

use tokio::sync::mpsc;

use super::publisher::{PublishRequest, PublisherSignaller};
use super::{
    runtime, wait_to_retry, SignallerEvents, SignallingError, SignallingEvent, SignallingState,
    MAX_MESSAGE_SIZE,
};
use crate::rtc::SdpKind;
use crate::util::Broadcast;

/// Where a bearer token for the endpoint is read from.
pub const WHIP_TOKEN_VARIABLE: &str = "REELCAST_WHIP_TOKEN";

#[derive(Debug, Clone)]
pub struct WhipOptions {
    /// `whip+http://…` or `whip+https://…`.
    pub url: String,
    pub token: Option<String>,
    /// An extra CA certificate (PEM) to trust for `whip+https://`.
    pub ca_file: Option<String>,
}

/// Whether `url` names a WHIP endpoint (`whip+http://`, `whip+https://`).
pub fn is_whip_url(url: &str) -> bool {
    url.starts_with("whip+http://") || url.starts_with("whip+https://")
}

/// The endpoint's own `http(s)://` URL, from a `whip+http(s)://` one.
pub fn parse_whip_url(url: &str) -> Result<url::Url, SignallingError> {
    let bad = |cause: &str| SignallingError::BadUrl {
        url: url.to_owned(),
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

/// How long one HTTP request may take.
const REQUEST_WITHIN: Duration = Duration::from_secs(10);
/// How long candidates are gathered before the offer goes out without the rest.
const GATHERING_WITHIN: Duration = Duration::from_secs(10);

impl PublisherSignaller {
    /// Checks the URL and starts publishing to a WHIP endpoint in the background.
    pub fn whip(options: WhipOptions) -> Result<Self, SignallingError> {
        let endpoint = parse_whip_url(&options.url)?;
        // The same certificate checks as for wss:// (the web's roots and --ca-file).
        let tls = super::tls::client_config(options.ca_file.as_deref())?;
        let client = reqwest::Client::builder()
            .timeout(REQUEST_WITHIN)
            // A redirect would send the token and the offer somewhere the person did not name.
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls((*tls).clone())
            .build()
            .map_err(|e| SignallingError::BadUrl {
                url: options.url.clone(),
                cause: e.to_string(),
            })?;
        let events = SignallerEvents::new();
        let (requests, rx) = mpsc::unbounded_channel();
        let publisher = Publisher {
            url: options.url,
            endpoint,
            token: options.token,
            client,
            events: events.sender(),
        };
        runtime().spawn(publisher.run(rx));
        Ok(Self::new("WHIP", requests, events))
    }
}

/// How a publishing attempt ended.
enum Ended {
    Stopped,
    /// The share ended the session (the video ended): nothing to publish until the media
    /// resumes.
    Finished,
    /// The share lost the session's media connection: worth another session after a pause.
    MediaFailed,
    /// Worth another try: the endpoint could not be reached or failed.
    Lost(String),
    /// The endpoint said no (4xx): another try would get the same answer.
    Refused(String),
}

struct Publisher {
    url: String,
    endpoint: url::Url,
    token: Option<String>,
    client: reqwest::Client,
    events: std::sync::Arc<Broadcast<SignallingEvent>>,
}

impl Publisher {
    async fn run(self, mut requests: mpsc::UnboundedReceiver<PublishRequest>) {
        let mut attempt = 0u32;
        let mut sessions = 0u32;
        // ICE servers the endpoint names: asked for before the first offer (OPTIONS), and
        // updated from each POST's reply for the sessions after it.
        let mut ice_servers = self.options().await;
        loop {
            sessions += 1;
            let session = format!("whip-{sessions}");
            self.events
                .send(SignallingEvent::State(SignallingState::Connecting));
            self.events.send(SignallingEvent::SessionRequested {
                session: session.clone(),
                peer: "whip".into(),
                offer: None,
                ice_servers: ice_servers.clone(),
            });
            let ended = self
                .publish(&session, &mut requests, &mut attempt, &mut ice_servers)
                .await;
            // The share knows of the sessions it ended itself.
            if matches!(ended, Ended::Lost(_) | Ended::Refused(_)) {
                self.events.send(SignallingEvent::SessionEnded { session });
            }
            match ended {
                Ended::Stopped => break,
                Ended::Finished => {
                    if wait_for_resume(&mut requests).await {
                        continue;
                    }
                    break;
                }
                Ended::MediaFailed => {
                    tracing::warn!(
                        "the media connection to {} failed; publishing again",
                        self.url
                    );
                }
                Ended::Refused(why) => {
                    let reason = format!("{}: {why}", self.url);
                    self.events
                        .send(SignallingEvent::State(SignallingState::Refused { reason }));
                    return;
                }
                Ended::Lost(why) => {
                    self.events
                        .send(SignallingEvent::Error(format!("{}: {why}", self.url)));
                }
            }
            let is_stop = PublishRequest::is_stop;
            if !wait_to_retry(&self.events, &mut attempt, &mut requests, is_stop).await {
                break;
            }
        }
        self.events
            .send(SignallingEvent::State(SignallingState::Stopped));
    }

    /// One session: the offer with its candidates (the endpoint may not take trickled ones),
    /// the POST, then waiting for the end.
    async fn publish(
        &self,
        session: &str,
        requests: &mut mpsc::UnboundedReceiver<PublishRequest>,
        attempt: &mut u32,
        ice_servers: &mut Vec<String>,
    ) -> Ended {
        let mut offer = None;
        let mut candidates = Vec::new();
        let gathering = tokio::time::sleep(GATHERING_WITHIN);
        tokio::pin!(gathering);
        loop {
            tokio::select! {
                request = requests.recv() => match request {
                    Some(PublishRequest::Offer { session: s, sdp }) if s == session => offer = Some(sdp),
                    Some(PublishRequest::Candidate { session: s, mline, candidate }) if s == session => {
                        candidates.push((mline, candidate));
                    }
                    Some(PublishRequest::Gathered { session: s }) if s == session && offer.is_some() => break,
                    Some(PublishRequest::End { session: s, failed }) if s == session => {
                        return if failed { Ended::MediaFailed } else { Ended::Finished };
                    }
                    Some(PublishRequest::Stop) | None => return Ended::Stopped,
                    Some(_) => {}
                },
                _ = &mut gathering, if offer.is_some() => {
                    tracing::warn!("ICE gathering not done after {GATHERING_WITHIN:?}; offering what there is");
                    break;
                }
            }
        }
        let offer = with_candidates(&offer.unwrap_or_default(), &candidates);
        let resource = match self.post(&offer).await {
            Ok((resource, answer, named)) => {
                if !named.is_empty() {
                    // For the sessions after this one: this one has gathered already.
                    *ice_servers = named;
                }
                *attempt = 0;
                self.events
                    .send(SignallingEvent::State(SignallingState::Registered {
                        peer_id: resource.to_string(),
                    }));
                self.events.send(SignallingEvent::RemoteSdp {
                    session: session.to_owned(),
                    kind: SdpKind::Answer,
                    sdp: answer,
                });
                resource
            }
            Err(ended) => return ended,
        };
        // No trickle after the POST: the offer carried the candidates.
        loop {
            match requests.recv().await {
                Some(PublishRequest::End { session: s, failed }) if s == session => {
                    self.delete(&resource).await;
                    return if failed {
                        Ended::MediaFailed
                    } else {
                        Ended::Finished
                    };
                }
                Some(PublishRequest::Stop) | None => {
                    self.delete(&resource).await;
                    return Ended::Stopped;
                }
                Some(_) => {}
            }
        }
    }

    /// POSTs the offer; returns the session's resource URL, the answer and the ICE servers
    /// the endpoint names.
    async fn post(&self, offer: &str) -> Result<(url::Url, String, Vec<String>), Ended> {
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/sdp")
            .body(offer.to_owned());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Ended::Lost(describe_request_error(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_body(response).await.map_err(Ended::Lost)?;
        if status != 201 {
            return Err(describe_status(status, &body, self.token.is_some()));
        }
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Ended::Refused("the endpoint's reply has no Location".into()))?;
        let resource = self
            .endpoint
            .join(location)
            .map_err(|e| Ended::Refused(format!("the endpoint's Location is not a URL ({e})")))?;
        let links: Vec<&str> = headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok((resource, body, ice_servers_in_links(&links)))
    }

    /// The ICE servers the endpoint names before any offer (an OPTIONS request, RFC 9725's
    /// way to learn them in time for the first one); none if it names none or will not say.
    async fn options(&self) -> Vec<String> {
        let mut request = self
            .client
            .request(reqwest::Method::OPTIONS, self.endpoint.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let Ok(response) = request.send().await else {
            return Vec::new();
        };
        let links: Vec<&str> = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let servers = ice_servers_in_links(&links);
        if !servers.is_empty() {
            tracing::info!(count = servers.len(), "the WHIP endpoint names ICE servers");
        }
        servers
    }

    /// Ends the session at the endpoint; a failure is only logged (the endpoint times it out).
    async fn delete(&self, resource: &url::Url) {
        let mut request = self.client.delete(resource.clone());
        // The token goes only where the person sent it: the endpoint's own origin.
        if let Some(token) = self
            .token
            .as_ref()
            .filter(|_| resource.origin() == self.endpoint.origin())
        {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => tracing::info!(%resource, "WHIP session ended"),
            Ok(r) => tracing::warn!(%resource, status = %r.status(), "WHIP DELETE refused"),
            Err(e) => tracing::warn!(%resource, "WHIP DELETE failed: {e}"),
        }
    }
}

/// After the video ended: waits until it plays again (true) or the share stops (false).
async fn wait_for_resume(requests: &mut mpsc::UnboundedReceiver<PublishRequest>) -> bool {
    while let Some(request) = requests.recv().await {
        match request {
            PublishRequest::Resume => return true,
            PublishRequest::Stop => return false,
            _ => {}
        }
    }
    false
}

/// Reads a reply's body, refusing one larger than any answer should be.
async fn read_body(mut response: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_MESSAGE_SIZE {
            return Err(format!(
                "the endpoint's reply is over {} KiB",
                MAX_MESSAGE_SIZE / 1024
            ));
        }
    }
    String::from_utf8(body).map_err(|_| "the endpoint's reply is not text".into())
}

fn describe_request_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", REQUEST_WITHIN.as_secs());
    }
    if e.is_connect() {
        return "cannot connect (is the endpoint running?)".into();
    }
    e.to_string()
}

/// A reply other than 201 Created, in plain words.
fn describe_status(status: u16, body: &str, had_token: bool) -> Ended {
    let detail: String = body.chars().take(200).collect();
    let detail = detail.trim();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    match status {
        401 | 403 if !had_token => Ended::Refused(format!(
            "the endpoint wants a token (HTTP {status}); set {WHIP_TOKEN_VARIABLE}"
        )),
        401 | 403 => Ended::Refused(format!("the endpoint refused the token (HTTP {status})")),
        404 => Ended::Refused(format!("no WHIP endpoint at this URL (HTTP 404){detail}")),
        400..=499 => Ended::Refused(format!(
            "the endpoint refused the offer (HTTP {status}){detail}"
        )),
        _ => Ended::Lost(format!("the endpoint failed (HTTP {status}){detail}")),
    }
}

/// The ICE servers in `Link` headers (RFC 9725:
/// `<turn:host:3478?transport=udp>; rel="ice-server"; username="u"; credential="p"`), in
/// webrtcbin's form: `stun://host:port`, `turn://u:p@host:port?transport=udp`. A TURN server
/// without credentials is no use and is left out, as is anything that is not a plain
/// `host[:port][?query]`.
pub fn ice_servers_in_links(links: &[&str]) -> Vec<String> {
    let mut servers = Vec::new();
    for link in links.iter().flat_map(|header| header.split(',')) {
        let mut parts = link.split(';').map(str::trim);
        let Some(target) = parts
            .next()
            .and_then(|t| t.strip_prefix('<'))
            .and_then(|t| t.strip_suffix('>'))
        else {
            continue;
        };
        let (mut rel, mut username, mut credential) = (None, None, None);
        for part in parts {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "rel" => rel = Some(value),
                "username" => username = Some(value),
                "credential" => credential = Some(value),
                _ => {}
            }
        }
        let Some((scheme, address)) = target.split_once(':') else {
            continue;
        };
        let plain = !address.is_empty()
            && address
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:?=&[]".contains(c));
        if rel != Some("ice-server") || !plain {
            continue;
        }
        match (scheme, username, credential) {
            ("stun", _, _) => servers.push(format!("stun://{address}")),
            ("turn" | "turns", Some(user), Some(password)) => servers.push(format!(
                "{scheme}://{}:{}@{address}",
                userinfo(user),
                userinfo(password)
            )),
            _ => {}
        }
    }
    servers
}

/// Percent-encodes a user name or password for a URL's userinfo.
fn userinfo(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The offer with its gathered candidates written into their media sections, each section
/// closed by `a=end-of-candidates`: the whole of it in one message.
fn with_candidates(offer: &str, candidates: &[(u32, String)]) -> String {
    let mut out = String::with_capacity(offer.len() + candidates.len() * 100);
    let mut section: Option<u32> = None;
    let close = |out: &mut String, section: Option<u32>| {
        if let Some(index) = section {
            for (_, candidate) in candidates.iter().filter(|(m, _)| *m == index) {
                let candidate = candidate.strip_prefix("a=").unwrap_or(candidate);
                out.push_str(&format!("a={candidate}\r\n"));
            }
            out.push_str("a=end-of-candidates\r\n");
        }
    };
    for line in offer.split_inclusive('\n') {
        if line.starts_with("m=") {
            close(&mut out, section);
            section = Some(section.map_or(0, |i| i + 1));
        }
        out.push_str(line);
    }
    close(&mut out, section);
    out
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

    #[test]
    fn candidates_go_into_their_sections() {
        let offer = "v=0\r\nm=video 9 X 96\r\na=mid:video0\r\nm=audio 0 X 111\r\na=mid:audio1\r\n";
        let candidates = [
            (0, "candidate:1 1 UDP 1 10.99.0.1 5000 typ host".to_owned()),
            (1, "candidate:2 1 UDP 1 10.99.0.1 5002 typ host".to_owned()),
        ];
        assert_eq!(
            with_candidates(offer, &candidates),
            "v=0\r\nm=video 9 X 96\r\na=mid:video0\r\n\
             a=candidate:1 1 UDP 1 10.99.0.1 5000 typ host\r\na=end-of-candidates\r\n\
             m=audio 0 X 111\r\na=mid:audio1\r\n\
             a=candidate:2 1 UDP 1 10.99.0.1 5002 typ host\r\na=end-of-candidates\r\n"
        );
    }

    #[test]
    fn ice_servers_come_from_link_headers() {
        let links = [
            "<stun:stun.example.net>; rel=\"ice-server\"",
            "<turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; \
             credential=\"p@ss\"; credential-type=\"password\", <https://x/y>; rel=\"next\"",
            // No credentials, no rel, not a plain address: left out.
            "<turn:t.example.net>; rel=\"ice-server\", <stun:s.example.net>",
            "<stun:evil.example.net/../x>; rel=\"ice-server\", garbage, <>; rel=ice-server",
        ];
        assert_eq!(
            ice_servers_in_links(&links),
            [
                "stun://stun.example.net",
                "turn://u:p%40ss@turn.example.net:3478?transport=udp"
            ]
        );
    }

    #[test]
    fn statuses_are_said_in_plain_words() {
        let said = |status, token| match describe_status(status, "", token) {
            Ended::Refused(s) | Ended::Lost(s) => s,
            _ => unreachable!(),
        };
        assert!(said(401, false).contains(WHIP_TOKEN_VARIABLE));
        assert!(said(403, true).contains("refused the token"));
        assert!(said(404, false).contains("no WHIP endpoint"));
        assert!(matches!(describe_status(503, "", false), Ended::Lost(_)));
    }
}
