//! The real Janus of reelcast-testkit, for tests: a failure to start it fails the test.
#![allow(dead_code)]

pub use reelcast_testkit::Janus;

pub fn start(port: u16) -> Janus {
    Janus::start(port).unwrap_or_else(|e| panic!("{e}"))
}

/// The participants of `room` that Janus lists as publishing now (its `listparticipants`
/// request, on a session of its own).
pub fn publishers(janus_ws: &str, room: u64) -> Vec<serde_json::Value> {
    use serde_json::json;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut ws =
            super::ws::join_with(janus_ws, &[("Sec-WebSocket-Protocol", "janus-protocol")])
                .await
                .expect("Janus takes the websocket");
        let session = ask(&mut ws, json!({"janus": "create"})).await["data"]["id"].clone();
        let attach =
            json!({"janus": "attach", "session_id": session, "plugin": "janus.plugin.videoroom"});
        let handle = ask(&mut ws, attach).await["data"]["id"].clone();
        let list = ask(
            &mut ws,
            json!({
                "janus": "message", "session_id": session, "handle_id": handle,
                "body": {"request": "listparticipants", "room": room},
            }),
        )
        .await;
        let participants = list["plugindata"]["data"]["participants"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no participants list: {list}"));
        participants
            .into_iter()
            .filter(|p| p["publisher"] == true)
            .collect()
    })
}

/// Sends `request` and returns Janus's success for it (a test fails on anything else).
async fn ask(ws: &mut super::ws::Ws, mut request: serde_json::Value) -> serde_json::Value {
    request["transaction"] = serde_json::json!("list");
    super::ws::send(ws, request).await;
    loop {
        let reply = super::ws::next_json(ws, std::time::Duration::from_secs(10))
            .await
            .expect("Janus answers");
        if reply["transaction"] == "list" && reply["janus"] != "ack" {
            assert_eq!(reply["janus"], "success", "{reply}");
            return reply;
        }
    }
}
