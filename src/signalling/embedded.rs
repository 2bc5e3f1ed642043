//! The zero-configuration default: the upstream GStreamer signalling server (from the
//! gst-plugin-webrtc-signalling crate, run in-process) and Reelcast's viewer page over HTTP,
//! both on loopback unless asked otherwise.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use gst_plugin_webrtc_signalling::handlers::Handler;
use gst_plugin_webrtc_signalling::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::error::SignallingError;
use super::runtime::runtime;

const VIEWER_HTML: &str = include_str!("../../resources/viewer/index.html");
const VIEWER_JS: &str = include_str!("../../resources/viewer/viewer.js");

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
    pub fn start(options: &EmbeddedServerOptions) -> Result<Self, SignallingError> {
        runtime().block_on(async {
            let signalling = bind(options.host, options.signalling_port).await?;
            let http = bind(options.host, options.http_port).await?;
            let signalling_addr = signalling.local_addr().map_err(|e| SignallingError::Bind {
                address: options.host.to_string(),
                cause: e.to_string(),
            })?;
            let http_addr = http.local_addr().map_err(|e| SignallingError::Bind {
                address: options.host.to_string(),
                cause: e.to_string(),
            })?;
            let server = Server::spawn(Handler::new);
            let signalling_task = tokio::spawn(async move {
                while let Ok((stream, peer)) = signalling.accept().await {
                    let mut server = server.clone();
                    tokio::spawn(async move {
                        if let Err(e) = server.accept_async(stream).await {
                            tracing::debug!(%peer, "signalling handshake failed: {e}");
                        }
                    });
                }
            });
            let signalling_port = signalling_addr.port();
            let http_task = tokio::spawn(async move {
                while let Ok((stream, _)) = http.accept().await {
                    tokio::spawn(async move {
                        if let Err(e) = serve_http(stream, signalling_port).await {
                            tracing::debug!("viewer page request failed: {e}");
                        }
                    });
                }
            });
            tracing::info!(%signalling_addr, %http_addr, "embedded signalling server and viewer page up");
            Ok(Self {
                signalling: signalling_addr,
                http: http_addr,
                tasks: vec![signalling_task, http_task],
            })
        })
    }

    /// The websocket URL producers and viewers connect to.
    pub fn signalling_url(&self) -> String {
        let mut address = self.signalling;
        if address.ip().is_unspecified() {
            // Listening everywhere: the share itself connects over loopback.
            address.set_ip(match address.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        format!("ws://{address}")
    }

    /// The page a person opens in a browser to watch. Listening on every address (say
    /// `--host 0.0.0.0`), the link names this machine's network address, which others can
    /// open; `0.0.0.0` in a link opens nothing.
    pub fn viewer_url(&self) -> String {
        let mut address = self.http;
        if address.ip().is_unspecified() {
            let v6 = address.is_ipv6();
            let reachable = crate::util::network_addresses()
                .into_iter()
                // An IPv6 socket bound to :: takes IPv4 too; an IPv4 one takes only IPv4.
                .find(|a| v6 || a.is_ipv4())
                .unwrap_or(if v6 {
                    IpAddr::V6(Ipv6Addr::LOCALHOST)
                } else {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                });
            address.set_ip(reachable);
        }
        format!("http://{address}/")
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Largest HTTP request head we read.
const MAX_REQUEST: usize = 8 * 1024;

/// A minimal HTTP/1.1 server for two static files; the page learns the signalling port from a
/// meta tag filled in here (the host is the one the browser used for the page).
async fn serve_http(mut stream: TcpStream, signalling_port: u16) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let route = loop {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::other("request timed out"))??;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        match route_request(&head) {
            Route::Incomplete => continue,
            route => break route,
        }
    };
    match route {
        Route::Page => {
            let page = VIEWER_HTML.replace("{{SIGNALLING_PORT}}", &signalling_port.to_string());
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                page.as_bytes(),
            )
            .await
        }
        Route::Script => {
            respond(
                &mut stream,
                "200 OK",
                "text/javascript; charset=utf-8",
                VIEWER_JS.as_bytes(),
            )
            .await
        }
        Route::NotAllowed => {
            respond(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                b"GET only",
            )
            .await
        }
        Route::TooLarge => {
            respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"too large",
            )
            .await
        }
        Route::NotFound | Route::Incomplete => {
            respond(&mut stream, "404 Not Found", "text/plain", b"not found").await
        }
    }
}

/// What a request asks of the page server. Only two fixed files exist: no path from the
/// request ever reaches the file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Page,
    Script,
    NotFound,
    NotAllowed,
    TooLarge,
    /// The request head has not ended yet.
    Incomplete,
}

/// Reads a request head (as received so far). Never panics on any input.
pub fn route_request(head: &[u8]) -> Route {
    if head.len() > MAX_REQUEST {
        return Route::TooLarge;
    }
    if !head.windows(4).any(|w| w == b"\r\n\r\n") {
        return Route::Incomplete;
    }
    let line = String::from_utf8_lossy(head);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return Route::NotAllowed;
    }
    match path.split('?').next().unwrap_or("") {
        "/" | "/index.html" => Route::Page,
        "/viewer.js" => Route::Script,
        _ => Route::NotFound,
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}
