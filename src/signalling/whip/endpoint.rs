//! [`WhipEndpoint`]: the HTTP side of WHIP. OPTIONS for the ICE servers, POST of the offer
//! for the answer and the session's resource, DELETE of the resource; replies bounded by
//! [`MAX_MESSAGE_SIZE`], failures typed ([`WhipError`]) and shown without the token or the
//! URL's secrets.

use std::fmt;
use std::time::Duration;

use super::links::ice_servers_in_links;
use super::target::WHIP_TOKEN_VARIABLE;
use crate::signalling::secret::{redact_text, secrets_in_url, Secret, ShownUrl};
use crate::signalling::signaller::MAX_MESSAGE_SIZE;

/// How long one HTTP request may take.
pub(crate) const REQUEST_WITHIN: Duration = Duration::from_secs(10);

/// What the endpoint gave for an offer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Posted {
    /// The session's resource, to DELETE at the end.
    pub(crate) resource: url::Url,
    pub(crate) answer: String,
    /// The ICE servers its `Link` headers name (for the sessions after this one).
    pub(crate) ice_servers: Vec<String>,
}

/// Why a POST did not give a session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WhipError {
    #[error("no answer within {} s", REQUEST_WITHIN.as_secs())]
    Timeout,
    #[error("cannot connect (is the endpoint running?)")]
    Connect,
    #[error("{0}")]
    Request(reqwest::Error),
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error(transparent)]
    Status(#[from] StatusError),
    #[error("the endpoint's reply has no Location")]
    NoLocation,
    #[error("the endpoint's Location is not a URL ({0})")]
    BadLocation(url::ParseError),
}

impl WhipError {
    fn from_request(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            WhipError::Timeout
        } else if e.is_connect() {
            WhipError::Connect
        } else {
            // reqwest names the URL, which may carry a secret: we name it ourselves.
            WhipError::Request(e.without_url())
        }
    }

    /// Whether another try would get the same answer.
    pub(crate) fn is_refusal(&self) -> bool {
        match self {
            WhipError::Status(status) => status.is_refusal(),
            WhipError::NoLocation | WhipError::BadLocation(_) => true,
            _ => false,
        }
    }
}

/// A reply's body that could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the endpoint's reply is over {} KiB", MAX_MESSAGE_SIZE / 1024)]
    TooLarge,
    #[error("the endpoint's reply is not text")]
    NotText,
    #[error("{0}")]
    Read(reqwest::Error),
}

/// A reply other than 201 Created.
#[derive(Debug)]
pub(crate) struct StatusError {
    pub(crate) status: u16,
    /// The start of the reply's body, which may say why.
    pub(crate) detail: String,
    pub(crate) had_token: bool,
}

impl StatusError {
    pub(crate) fn new(status: u16, body: &str, had_token: bool) -> Self {
        let detail: String = body.chars().take(200).collect();
        Self {
            status,
            detail: detail.trim().to_owned(),
            had_token,
        }
    }

    /// 4xx: the endpoint said no.
    pub(crate) fn is_refusal(&self) -> bool {
        (400..500).contains(&self.status)
    }
}

impl std::error::Error for StatusError {}

/// In plain words.
impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status;
        let detail = if self.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", self.detail)
        };
        match status {
            401 | 403 if !self.had_token => write!(
                f,
                "the endpoint wants a token (HTTP {status}); set {WHIP_TOKEN_VARIABLE} or \
                 use --whip-token-file"
            ),
            401 | 403 => write!(f, "the endpoint refused the token (HTTP {status})"),
            404 => write!(f, "no WHIP endpoint at this URL (HTTP 404){detail}"),
            400..=499 => write!(f, "the endpoint refused the offer (HTTP {status}){detail}"),
            _ => write!(f, "the endpoint failed (HTTP {status}){detail}"),
        }
    }
}

/// A WHIP endpoint and how to reach it.
pub(crate) struct WhipEndpoint {
    pub(crate) url: url::Url,
    pub(crate) token: Option<Secret>,
    pub(crate) client: reqwest::Client,
}

impl WhipEndpoint {
    /// The ICE servers the endpoint names before any offer (an OPTIONS request, RFC 9725's
    /// way to learn them in time for the first one); none if it names none or will not say.
    pub(crate) async fn options(&self) -> Vec<String> {
        let mut request = self
            .client
            .request(reqwest::Method::OPTIONS, self.url.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let Ok(response) = request.send().await else {
            return Vec::new();
        };
        let servers = ice_servers_in_links(&links(response.headers()));
        if !servers.is_empty() {
            tracing::info!(count = servers.len(), "the WHIP endpoint names ICE servers");
        }
        servers
    }

    /// POSTs the offer.
    pub(crate) async fn post(&self, offer: &str) -> Result<Posted, WhipError> {
        let mut request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/sdp")
            .body(offer.to_owned());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(WhipError::from_request)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_body(response).await?;
        if status != 201 {
            // An endpoint may echo what it was sent: the token, the URL.
            let mut secrets = secrets_in_url(&self.url);
            secrets.extend(self.token.as_ref().map(|t| t.expose().to_owned()));
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let body = redact_text(&body, &secrets);
            return Err(StatusError::new(status, &body, self.token.is_some()).into());
        }
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(WhipError::NoLocation)?;
        let resource = self.url.join(location).map_err(WhipError::BadLocation)?;
        Ok(Posted {
            resource,
            answer: body,
            ice_servers: ice_servers_in_links(&links(&headers)),
        })
    }

    /// Ends the session at the endpoint; a failure is only logged (the endpoint times it out).
    pub(crate) async fn delete(&self, resource: &url::Url) {
        let mut request = self.client.delete(resource.clone());
        // The token goes only where the person sent it: the endpoint's own origin.
        if let Some(token) = self
            .token
            .as_ref()
            .filter(|_| resource.origin() == self.url.origin())
        {
            request = request.bearer_auth(token.expose());
        }
        let resource = ShownUrl::new(resource.as_str());
        match request.send().await {
            Ok(r) if r.status().is_success() => tracing::info!(%resource, "WHIP session ended"),
            Ok(r) => tracing::warn!(%resource, status = %r.status(), "WHIP DELETE refused"),
            Err(e) => tracing::warn!(%resource, "WHIP DELETE failed: {}", e.without_url()),
        }
    }
}

fn links(headers: &reqwest::header::HeaderMap) -> Vec<&str> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// Reads a reply's body, refusing one larger than any answer should be.
async fn read_body(mut response: reqwest::Response) -> Result<String, BodyError> {
    let mut body = Vec::new();
    let read = |e: reqwest::Error| BodyError::Read(e.without_url());
    while let Some(chunk) = response.chunk().await.map_err(read)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_MESSAGE_SIZE {
            return Err(BodyError::TooLarge);
        }
    }
    String::from_utf8(body).map_err(|_| BodyError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_said_in_plain_words() {
        let said = |status, token| StatusError::new(status, "", token).to_string();
        assert!(said(401, false).contains(WHIP_TOKEN_VARIABLE));
        assert!(said(403, true).contains("refused the token"));
        assert!(said(404, false).contains("no WHIP endpoint"));
        assert!(StatusError::new(400, "", false).is_refusal());
        assert!(!StatusError::new(503, "", false).is_refusal());
        let detail = StatusError::new(500, "  busy, try later \n", false).to_string();
        assert_eq!(detail, "the endpoint failed (HTTP 500): busy, try later");
        assert!(!WhipError::Timeout.is_refusal());
        assert!(WhipError::NoLocation.is_refusal());
    }
}
