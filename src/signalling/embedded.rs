//! The zero-configuration default: a signalling endpoint speaking the GStreamer protocol
//! (the upstream server's handler, in-process, behind Reelcast's own relay: [`Hub`]) and
//! Reelcast's viewer page over HTTP, both on loopback unless asked otherwise, both opened only
//! by the link's secret.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;

use super::admission::{accept_forever, Admission, MAX_CONNECTIONS, MAX_PER_ADDRESS};
use super::capability::Capabilities;
use super::error::SignallingError;
use super::hub::Hub;
use super::page::serve_page;
use super::runtime::runtime;
use super::viewer_ice::ViewerIceServers;

#[derive(Debug, Clone)]
pub struct EmbeddedServerOptions {
    /// Where to listen: loopback by default; another address only on explicit request.
    pub host: IpAddr,
    pub signalling_port: u16,
    pub http_port: u16,
}

impl Default for EmbeddedServerOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            signalling_port: 8443,
            http_port: 8080,
        }
    }
}

/// Running servers; they stop when this is dropped.
pub struct EmbeddedServer {
    signalling: SocketAddr,
    http: SocketAddr,
    keys: Arc<Capabilities>,
    hub: Arc<Hub>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// A port taken by something else moves us to the next ones, then to any free port.
const PORT_TRIES: u16 = 10;

async fn bind(host: IpAddr, port: u16) -> Result<TcpListener, SignallingError> {
    let mut last = String::new();
    for p in (0..PORT_TRIES).map(|i| port.saturating_add(i)).chain([0]) {
        match TcpListener::bind((host, p)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e.to_string(),
        }
    }
    Err(SignallingError::Bind {
        address: format!("{host}:{port}"),
        cause: last,
    })
}

impl EmbeddedServer {
    /// Starts the servers; viewer pages are given no ICE servers.
    pub fn start(options: &EmbeddedServerOptions) -> Result<Self, SignallingError> {
        Self::start_with_ice(options, ViewerIceServers::default())
    }

    /// Starts the servers; each viewer page is given `ice` (the share's STUN server, TURN
    /// credentials minted for it) with each session it starts.
    pub fn start_with_ice(
        options: &EmbeddedServerOptions,
        ice: ViewerIceServers,
    ) -> Result<Self, SignallingError> {
        runtime().block_on(async {
            let signalling = bind(options.host, options.signalling_port).await?;
            let http = bind(options.host, options.http_port).await?;
            let address = |listener: &TcpListener| {
                listener.local_addr().map_err(|e| SignallingError::Bind {
                    address: options.host.to_string(),
                    cause: e.to_string(),
                })
            };
            let (signalling_addr, http_addr) = (address(&signalling)?, address(&http)?);
            let keys = Arc::new(Capabilities::new());
            let hub = Hub::start(keys.clone(), http_addr.port(), ice);
            let signalling_task = tokio::spawn({
                let hub = hub.clone();
                accept_forever(
                    signalling,
                    Admission::new(MAX_CONNECTIONS, MAX_PER_ADDRESS),
                    "signalling server",
                    move |stream, from, ticket| hub.clone().serve(stream, from, ticket),
                )
            });
            let signalling_port = signalling_addr.port();
            let http_task = tokio::spawn({
                let keys = keys.clone();
                accept_forever(
                    http,
                    Admission::new(MAX_CONNECTIONS, MAX_PER_ADDRESS),
                    "viewer page server",
                    move |stream, _, ticket| serve_page(stream, keys.clone(), signalling_port, ticket),
                )
            });
            tracing::info!(%signalling_addr, %http_addr, "embedded signalling server and viewer page up");
            Ok(Self {
                signalling: signalling_addr,
                http: http_addr,
                keys,
                hub,
                tasks: vec![signalling_task, http_task],
            })
        })
    }

    /// The websocket URL the share itself registers on, with its own secret: never shown.
    pub fn signalling_url(&self) -> String {
        format!(
            "ws://{}/{}",
            loopback_if_unspecified(self.signalling),
            self.keys.producer_secret()
        )
    }

    /// The same without the secret, for messages.
    pub fn signalling_url_shown(&self) -> String {
        format!("ws://{}/", loopback_if_unspecified(self.signalling))
    }

    /// The websocket URL a viewer of the GStreamer protocol (gstwebrtc-api, webrtcsrc) joins
    /// with: the link's secret in its path, at the address the link names.
    pub fn viewer_signalling_url(&self) -> String {
        let mut address = self.signalling;
        address.set_ip(self.reachable_ip());
        format!("ws://{address}/{}", self.keys.viewer_secret().1)
    }

    /// The page a person opens in a browser to watch, with the link's secret in its path.
    /// Listening on every address (say `--host 0.0.0.0`), the link names this machine's
    /// network address, which others can open; `0.0.0.0` in a link opens nothing.
    pub fn viewer_url(&self) -> String {
        let mut address = self.http;
        address.set_ip(self.reachable_ip());
        format!("http://{address}/{}/", self.keys.viewer_secret().1)
    }

    /// "New Link": a new secret; the viewers who came with the old one are dropped, which
    /// ends their sessions. Returns the new page link.
    pub fn new_link(&self) -> String {
        self.keys.renew();
        self.hub.drop_stale_viewers();
        self.viewer_url()
    }

    fn reachable_ip(&self) -> IpAddr {
        let ip = self.http.ip();
        if !ip.is_unspecified() {
            return ip;
        }
        let v6 = ip.is_ipv6();
        crate::util::network_addresses()
            .into_iter()
            // An IPv6 socket bound to :: takes IPv4 too; an IPv4 one takes only IPv4.
            .find(|a| v6 || a.is_ipv4())
            .unwrap_or(if v6 {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            })
    }
}

/// Listening everywhere: the share itself connects over loopback.
fn loopback_if_unspecified(mut address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    address
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.hub.drop_everyone();
    }
}
