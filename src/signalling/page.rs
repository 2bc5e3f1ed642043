//! The viewer page's server: a minimal HTTP/1.1 server for two fixed files, under the link's
//! secret (`/SECRET/`), for a `Host` that is the address served. Anything else gets a bare
//! status and no page data.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::admission::Ticket;
use super::capability::{host_is_served, origin_is_page, Access, Capabilities};
use super::page_strings::{gettext, localize_page};

const VIEWER_HTML: &str = include_str!("../../resources/viewer/index.html");
const VIEWER_JS: &str = include_str!("../../resources/viewer/viewer.js");

/// The page in the sharer's language, looked up once (the locale does not change).
fn viewer_html() -> &'static str {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| localize_page(VIEWER_HTML, VIEWER_JS, gettext))
}

/// Largest HTTP request head we read.
const MAX_REQUEST: usize = 8 * 1024;
/// The whole request head must arrive within this (one slow byte at a time holds nothing).
pub(crate) const HEAD_WITHIN: Duration = Duration::from_secs(4);
/// A reader that takes longer than this over the response is dropped.
const WRITE_WITHIN: Duration = Duration::from_secs(10);

/// What a request asks of the page server. Only two fixed files exist: no path from the
/// request ever reaches the file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Page,
    Script,
    /// The link without its last `/`: sent on to it, so `viewer.js` resolves under the secret.
    AddSlash,
    /// No such file, or no (or a stale) secret: the same answer for both.
    NotFound,
    NotAllowed,
    /// The `Host` header is not the address served (DNS rebinding) or is missing.
    Misdirected,
    /// A request from another site's page.
    ForeignOrigin,
    TooLarge,
    /// The request head has not ended yet.
    Incomplete,
}

/// Reads a request head (as received so far) made to `served` (the socket's local address),
/// with `secret` the viewers' secret now. Never panics on any input.
pub fn route_request(head: &[u8], secret: &str, served: SocketAddr) -> Route {
    if head.len() > MAX_REQUEST {
        return Route::TooLarge;
    }
    let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Route::Incomplete;
    };
    let text = String::from_utf8_lossy(&head[..end]);
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (mut host, mut origin) = (None, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return Route::Misdirected;
            }
            host = Some(value);
        } else if name.eq_ignore_ascii_case("origin") {
            origin = Some(value);
        }
    }
    if !host.is_some_and(|h| host_is_served(h, served)) {
        return Route::Misdirected;
    }
    if origin.is_some_and(|o| !origin_is_page(o, served.ip(), served.port())) {
        return Route::ForeignOrigin;
    }
    if method != "GET" {
        return Route::NotAllowed;
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    let Some(rest) = path.strip_prefix('/') else {
        return Route::NotFound;
    };
    let (given, file) = rest.split_once('/').unwrap_or((rest, ""));
    if given.is_empty() || !same(given, secret) {
        return Route::NotFound;
    }
    match (rest.contains('/'), file) {
        (false, _) => Route::AddSlash,
        (true, "" | "index.html") => Route::Page,
        (true, "viewer.js") => Route::Script,
        _ => Route::NotFound,
    }
}

fn same(a: &str, b: &str) -> bool {
    // Constant time, as for the websocket: the comparison itself says nothing of the secret.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Serves one connection: one request, one response.
pub(crate) async fn serve_page(
    mut stream: TcpStream,
    keys: Arc<Capabilities>,
    signalling_port: u16,
    _ticket: Ticket,
) {
    if let Err(e) = answer(&mut stream, &keys, signalling_port).await {
        tracing::debug!("viewer page request failed: {e}");
    }
}

async fn answer(
    stream: &mut TcpStream,
    keys: &Capabilities,
    signalling_port: u16,
) -> std::io::Result<()> {
    let served = stream.local_addr()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + HEAD_WITHIN;
    let (generation, secret) = keys.viewer_secret();
    let route = loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::other("request head not complete in time"))??;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        match route_request(&head, &secret, served) {
            Route::Incomplete => continue,
            route => break route,
        }
    };
    // A "New Link" while the request came in: the old secret opens nothing.
    let route = match route {
        Route::Page | Route::Script | Route::AddSlash
            if !keys.is_current(Access::Viewer { generation }) =>
        {
            Route::NotFound
        }
        route => route,
    };
    let (status, content_type, body, location): (_, _, Vec<u8>, _) = match route {
        Route::Page => (
            "200 OK",
            "text/html; charset=utf-8",
            viewer_html()
                .replace("{{SIGNALLING_PORT}}", &signalling_port.to_string())
                .into_bytes(),
            None,
        ),
        Route::Script => (
            "200 OK",
            "text/javascript; charset=utf-8",
            VIEWER_JS.as_bytes().to_vec(),
            None,
        ),
        Route::AddSlash => (
            "308 Permanent Redirect",
            "text/plain",
            Vec::new(),
            Some(format!("/{secret}/")),
        ),
        Route::NotAllowed => ("405 Method Not Allowed", "text/plain", Vec::new(), None),
        Route::Misdirected => ("421 Misdirected Request", "text/plain", Vec::new(), None),
        Route::ForeignOrigin => ("403 Forbidden", "text/plain", Vec::new(), None),
        Route::TooLarge => (
            "431 Request Header Fields Too Large",
            "text/plain",
            Vec::new(),
            None,
        ),
        Route::NotFound | Route::Incomplete => ("404 Not Found", "text/plain", Vec::new(), None),
    };
    let reply = respond(stream, status, content_type, &body, location.as_deref());
    tokio::time::timeout(WRITE_WITHIN, reply)
        .await
        .map_err(|_| std::io::Error::other("the response was not read in time"))?
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    location: Option<&str>,
) -> std::io::Result<()> {
    let location = location.map_or(String::new(), |to| format!("Location: {to}\r\n"));
    // no-referrer: the link's secret never leaves in a Referer header.
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{location}\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123abcd";

    fn route(request: &str) -> Route {
        route_request(
            request.as_bytes(),
            SECRET,
            "127.0.0.1:8080".parse().unwrap(),
        )
    }

    #[test]
    fn only_the_secret_path_on_the_served_host_gets_the_page() {
        let get = |path: &str| {
            route(&format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
            ))
        };
        assert_eq!(get("/0123abcd/"), Route::Page);
        assert_eq!(get("/0123abcd/index.html?producer=x"), Route::Page);
        assert_eq!(get("/0123abcd/viewer.js"), Route::Script);
        assert_eq!(get("/0123abcd"), Route::AddSlash);
        for path in [
            "/",
            "/index.html",
            "/viewer.js",
            "/0123abcX/",
            "/0123abc/",
            "/0123abcd/../x",
        ] {
            assert_eq!(get(path), Route::NotFound, "{path}");
        }
        assert_eq!(
            route("GET /0123abcd/ HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n"),
            Route::Misdirected
        );
        assert_eq!(route("GET /0123abcd/ HTTP/1.1\r\n\r\n"), Route::Misdirected);
        assert_eq!(
            route("GET /0123abcd/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: https://evil.example\r\n\r\n"),
            Route::ForeignOrigin
        );
    }
}
