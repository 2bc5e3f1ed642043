//! A websocket client for tests of signalling servers: handshakes with chosen headers, and
//! JSON messages awaited with a deadline.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// The deadline of each step (a handshake, a message awaited).
pub const STEP: Duration = Duration::from_secs(5);

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
pub type RawWs = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A websocket handshake with extra headers; the refusal's status if refused.
pub async fn join_with(url: &str, headers: &[(&str, &str)]) -> Result<Ws, u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    match tokio::time::timeout(STEP, tokio_tungstenite::connect_async(request)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(response))) => Err(response.status().as_u16()),
        Ok(Err(e)) => panic!("{url}: {e}"),
        Err(_) => panic!("{url}: no handshake within {STEP:?}"),
    }
}

pub async fn join(url: &str) -> Ws {
    join_with(url, &[]).await.expect("a websocket")
}

/// The next text message as JSON, within `within`; `None` if the connection ends first.
pub async fn next_json<S>(ws: &mut S, within: Duration) -> Option<Value>
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return Some(serde_json::from_str(t.as_str()).unwrap())
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("no message within {within:?}"),
        }
    }
}

/// Waits for a message of type `kind`, skipping others.
pub async fn expect<S>(ws: &mut S, kind: &str) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        let v = next_json(ws, STEP)
            .await
            .unwrap_or_else(|| panic!("closed while waiting for {kind}"));
        if v["type"] == kind {
            return v;
        }
    }
}

pub async fn send<S>(ws: &mut S, message: Value)
where
    S: futures_util::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// A websocket, or why not (a refusal, or the connection failing).
pub async fn try_join(url: &str) -> Result<Ws, String> {
    match tokio::time::timeout(STEP, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no handshake in time".into()),
    }
}
