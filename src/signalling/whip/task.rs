//! Publishing to a WHIP endpoint (RFC 9725): the offer goes out in one HTTP POST, the answer
//! comes back in the reply, and a DELETE of the resource ends the session. Chosen by a URL of
//! the form `whip+http://HOST[:PORT]/PATH` or `whip+https://…`. A bearer token, when the
//! endpoint wants one, comes from the environment (`REELCAST_WHIP_TOKEN`), not the command
//! line, where every user of the computer could read it. This file runs the task that does
//! the HTTP for [`WhipMachine`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::endpoint::{WhipEndpoint, REQUEST_WITHIN};
use super::machine::{Action, WhipMachine};
use super::target::parse_whip_url;
use crate::signalling::ended::StopRequest;
use crate::signalling::error::SignallingError;
use crate::signalling::events::{SignallerEvents, SignallingEvent};
use crate::signalling::publisher::{PublishRequest, PublisherSignaller};
use crate::signalling::runtime::runtime;
use crate::signalling::secret::{is_secret_parameter, Secret, ShownUrl};
use crate::signalling::tls;
use crate::signalling::transport::check_secret_transport;
use crate::util::Broadcast;

#[derive(Debug, Clone)]
pub struct WhipOptions {
    /// `whip+http://…` or `whip+https://…`.
    pub url: String,
    pub token: Option<Secret>,
    /// An extra CA certificate (PEM) to trust for `whip+https://`.
    pub ca_file: Option<String>,
    /// Send the token (or the URL's secrets) over plain `http://` to another computer.
    pub allow_insecure: bool,
}

impl PublisherSignaller {
    /// Checks the URL and starts publishing to a WHIP endpoint in the background.
    pub fn whip(options: WhipOptions) -> Result<Self, SignallingError> {
        let url = parse_whip_url(&options.url)?;
        let url_has_secret = url
            .query_pairs()
            .any(|(name, _)| is_secret_parameter(&name));
        if options.token.is_some() || url_has_secret {
            check_secret_transport(&options.url, &url, "the WHIP token", options.allow_insecure)?;
        }
        // The same certificate checks as for wss:// (the web's roots and --ca-file).
        let tls = tls::client_config(options.ca_file.as_deref())?;
        let client = reqwest::Client::builder()
            .timeout(REQUEST_WITHIN)
            // A redirect would send the token and the offer somewhere the person did not name.
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls((*tls).clone())
            .build()
            .map_err(|e| SignallingError::BadUrl {
                url: ShownUrl::new(&options.url),
                cause: e.to_string(),
            })?;
        let events = SignallerEvents::new();
        let (requests, rx) = mpsc::unbounded_channel();
        let endpoint = WhipEndpoint {
            url,
            token: options.token,
            client,
        };
        let shown = ShownUrl::new(&options.url).to_string();
        runtime().spawn(run(endpoint, shown, events.sender(), rx));
        Ok(Self::new("WHIP", requests, events))
    }
}

/// Does what the machine says, feeding it the share's requests, the HTTP outcomes and its
/// timers.
async fn run(
    endpoint: WhipEndpoint,
    url: String,
    events: Arc<Broadcast<SignallingEvent>>,
    mut requests: mpsc::UnboundedReceiver<PublishRequest>,
) {
    let ice_servers = endpoint.options().await;
    let mut machine = WhipMachine::new(url, ice_servers);
    let mut actions: VecDeque<Action> = machine.start(Instant::now()).into();
    loop {
        while let Some(action) = actions.pop_front() {
            match action {
                Action::Emit(event) => events.send(event),
                Action::Post { offer } => {
                    let posted = endpoint.post(&offer).await;
                    actions.extend(machine.on_posted(posted, Instant::now()));
                }
                Action::Delete { resource } => endpoint.delete(&resource).await,
                Action::End => return,
            }
        }
        let deadline = machine.deadline();
        let wake = deadline.map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std);
        actions = tokio::select! {
            request = requests.recv() => {
                let request = request.unwrap_or_else(PublishRequest::stop);
                machine.on_request(request, Instant::now())
            }
            _ = tokio::time::sleep_until(wake), if deadline.is_some() => machine.on_tick(Instant::now()),
        }
        .into();
    }
}
