//! WebRTC receivers in a process of their own (`reelcast-bench receivers`, or a test binary
//! run again), so that a benchmark measures the sender alone. Speaks JSON lines on standard
//! input and output with [`crate::Harness`].

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::receiver::{Receiver, VideoHandling};

/// Longest line accepted on standard input (an SDP offer is a few kB).
const MAX_LINE: usize = 256 * 1024;

/// Serves until standard input ends; returns the exit code.
pub fn serve_receivers() -> i32 {
    if let Err(e) = reelcast::init() {
        eprintln!("receivers: {e}");
        return 3;
    }
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let say = {
        let out = out.clone();
        move |v: Value| {
            let mut out = out.lock().unwrap();
            let _ = writeln!(out, "{v}");
            let _ = out.flush();
        }
    };
    let mut receivers: HashMap<String, Arc<Receiver>> = HashMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.len() > MAX_LINE {
            eprintln!("receivers: line of {} bytes dropped", line.len());
            continue;
        }
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            eprintln!("receivers: not JSON, dropped: {line:.80}");
            continue;
        };
        let viewer = msg["viewer"].as_str().unwrap_or_default().to_owned();
        match msg["op"].as_str() {
            Some("offer") if receivers.contains_key(&viewer) => {
                // A new offer on the same connection (the share renegotiates when a track
                // comes or goes): answered by the receiver that has it.
                match receivers[&viewer].answer(msg["sdp"].as_str().unwrap_or_default()) {
                    Ok(sdp) => say(json!({"op": "answer", "viewer": viewer, "sdp": sdp})),
                    Err(e) => eprintln!("receivers: viewer {viewer}: {e}"),
                }
            }
            Some("offer") => {
                let say_c = say.clone();
                let id = viewer.clone();
                let receiver = match Receiver::new(
                    &viewer,
                    VideoHandling::Depayload,
                    None,
                    move |mline, candidate| {
                        say_c(
                            json!({"op": "candidate", "viewer": id, "mline": mline, "candidate": candidate}),
                        );
                    },
                ) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("receivers: {e}");
                        continue;
                    }
                };
                match receiver.answer(msg["sdp"].as_str().unwrap_or_default()) {
                    Ok(sdp) => say(json!({"op": "answer", "viewer": viewer, "sdp": sdp})),
                    Err(e) => eprintln!("receivers: viewer {viewer}: {e}"),
                }
                receivers.insert(viewer, receiver);
            }
            Some("candidate") => {
                if let Some(r) = receivers.get(&viewer) {
                    let mline = msg["mline"].as_u64().unwrap_or(0) as u32;
                    r.add_candidate(mline, msg["candidate"].as_str().unwrap_or_default());
                }
            }
            Some("report") => {
                let frames: HashMap<&String, u64> =
                    receivers.iter().map(|(id, r)| (id, r.frames())).collect();
                say(json!({"op": "report", "frames": frames}));
            }
            Some("close") => {
                receivers.remove(&viewer);
            }
            _ => eprintln!("receivers: unknown message dropped: {line:.80}"),
        }
    }
    0
}
