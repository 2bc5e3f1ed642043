//! A WHIP endpoint in front of a real Janus VideoRoom, as meetecho's simple-whip-server puts
//! one (not a copy of it): each POSTed offer joins the room as a publisher, Janus's answer
//! goes back as the 201's body, a DELETE of the resource leaves. Janus takes simulcast, so
//! this is the WHIP endpoint that receives every rung; its subscribers pick one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use serde_json::{json, Value};

use super::ws::{join_with, next_json, send, Ws};

pub struct WhipToJanus {
    pub url: String,
    /// When each DELETE arrived (before it is answered).
    pub deletes: flume::Receiver<std::time::Instant>,
    /// With `hold_deletes`, a DELETE is answered only once this is dropped.
    _release: flume::Sender<()>,
}

impl WhipToJanus {
    /// Listens on `port` (loopback) and publishes into `room` of the Janus at `janus_ws`.
    pub fn start(port: u16, janus_ws: &str, room: u64) -> WhipToJanus {
        Self::start_with(port, janus_ws, room, false)
    }

    /// As [`WhipToJanus::start`]; with `hold_deletes`, an endpoint slow to end a session:
    /// each DELETE waits for this front to be dropped before it is answered.
    pub fn start_with(port: u16, janus_ws: &str, room: u64, hold_deletes: bool) -> WhipToJanus {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the WHIP port is free");
        let janus_ws = janus_ws.to_owned();
        let (deleted, deletes) = flume::unbounded();
        let (release, released) = flume::bounded::<()>(0);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            // One publisher at a time: its Janus session stays open until its DELETE.
            let mut publisher: Option<Ws> = None;
            for stream in listener.incoming().flatten() {
                let Some((method, body)) = read_request(&stream) else {
                    continue;
                };
                let reply = match method.as_str() {
                    "POST" => match runtime.block_on(publish(&janus_ws, room, &body)) {
                        Ok((ws, answer)) => {
                            publisher = Some(ws);
                            format!(
                                "HTTP/1.1 201 Created\r\nLocation: /whip/resource/1\r\n\
                                 Content-Type: application/sdp\r\nContent-Length: {}\r\n\
                                 Connection: close\r\n\r\n{answer}",
                                answer.len()
                            )
                        }
                        Err(e) => {
                            eprintln!("whip→janus: {e}");
                            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                .to_owned()
                        }
                    },
                    "DELETE" => {
                        let _ = deleted.send(std::time::Instant::now());
                        if hold_deletes {
                            let _ = released.recv();
                        }
                        // Closing the websocket ends the Janus session: the publisher leaves.
                        if let Some(mut ws) = publisher.take() {
                            runtime.block_on(async {
                                let _ = futures_util::SinkExt::close(&mut ws).await;
                            });
                        }
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_owned()
                    }
                    _ => "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_owned(),
                };
                let mut stream = stream;
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        WhipToJanus {
            url: format!("whip+http://127.0.0.1:{port}/whip/endpoint"),
            deletes,
            _release: release,
        }
    }
}

/// The request's method and body (by its Content-Length).
fn read_request(stream: &TcpStream) -> Option<(String, String)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let method = line.split(' ').next()?.to_owned();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, String::from_utf8(body).ok()?))
}

/// Joins `room` as a publisher with `offer`: the websocket (kept open) and Janus's answer.
async fn publish(janus_ws: &str, room: u64, offer: &str) -> Result<(Ws, String), String> {
    let mut ws = join_with(janus_ws, &[("Sec-WebSocket-Protocol", "janus-protocol")])
        .await
        .map_err(|status| format!("Janus refused the websocket ({status})"))?;
    let session = ask(&mut ws, json!({"janus": "create"})).await?["data"]["id"].clone();
    let handle = ask(
        &mut ws,
        json!({"janus": "attach", "session_id": session, "plugin": "janus.plugin.videoroom"}),
    )
    .await?["data"]["id"]
        .clone();
    send(
        &mut ws,
        json!({
            "janus": "message", "session_id": session, "handle_id": handle, "transaction": "publish",
            "body": {"request": "joinandconfigure", "room": room, "ptype": "publisher"},
            "jsep": {"type": "offer", "sdp": offer},
        }),
    )
    .await;
    loop {
        let message = next_json(&mut ws, Duration::from_secs(10))
            .await
            .ok_or("Janus closed the websocket")?;
        if let Some(sdp) = message["jsep"]["sdp"].as_str() {
            return Ok((ws, sdp.to_owned()));
        }
        if message["janus"] == "error" || message["plugindata"]["data"]["error"].is_string() {
            return Err(format!("Janus refused the publisher: {message}"));
        }
    }
}

/// Sends `request` with a transaction and returns Janus's reply to it.
async fn ask(ws: &mut Ws, mut request: Value) -> Result<Value, String> {
    request["transaction"] = json!("ask");
    send(ws, request).await;
    loop {
        let reply = next_json(ws, Duration::from_secs(10))
            .await
            .ok_or("Janus closed the websocket")?;
        if reply["transaction"] == "ask" && reply["janus"] != "ack" {
            return match reply["janus"].as_str() {
                Some("success") => Ok(reply),
                _ => Err(format!("Janus: {reply}")),
            };
        }
    }
}
