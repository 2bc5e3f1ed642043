//! A file playing into a share, and WebRTC receivers for it in a child process (one that runs
//! [`crate::serve_receivers`]), so that only the sender is measured.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use reelcast::capture::MediaStream;
use reelcast::media::{Player, PlayerOptions};
use reelcast::rtc::{ConnectionState, SdpKind, Share, ShareConfig, ShareEvent};

/// When each viewer was asked for, and when the share offered it a session.
#[derive(Default)]
struct Joins {
    requested: HashMap<String, Instant>,
    offered: HashMap<String, Instant>,
    /// The receivers' answers, and candidates from each, to tell where a join stands.
    answered: HashMap<String, Instant>,
    candidates: HashMap<String, usize>,
}

pub struct Harness {
    pub share: Arc<Share>,
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    reports: flume::Receiver<HashMap<String, u64>>,
    /// Each viewer's last connection state as the share reported it, to tell where a join
    /// that delivers nothing stands.
    states: Arc<Mutex<HashMap<String, ConnectionState>>>,
    joins: Arc<Mutex<Joins>>,
    _stream: MediaStream,
    _player: Player,
}

impl Harness {
    /// Plays `file` (looping) into a share; `receivers` starts a process that runs
    /// [`crate::serve_receivers`] (its standard input and output are piped here).
    pub fn start(file: &str, mut receivers: Command) -> Result<Self, String> {
        let player = Player::new(PlayerOptions::headless()).map_err(|e| e.to_string())?;
        player.set_looping(true);
        let stream = player.capture_stream();
        let share = Arc::new(Share::new(ShareConfig::default()).map_err(|e| e.to_string())?);
        share.attach(&stream);
        let tracks = stream.subscribe();
        player.open(file).map_err(|e| e.to_string())?;
        player.play().map_err(|e| e.to_string())?;
        // Viewers join once both tracks are captured: one joining in between is offered the
        // first kind alone and renegotiates (which a busy machine can make slow).
        let deadline = Instant::now() + Duration::from_secs(30);
        while stream.tracks().len() < 2 && tracks.recv_deadline(deadline).is_ok() {}
        if stream.tracks().len() < 2 {
            return Err(format!(
                "{file}: {} of its 2 tracks captured within 30 s",
                stream.tracks().len()
            ));
        }
        let mut child = receivers
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the receivers: {e}"))?;
        let stdin = Arc::new(Mutex::new(child.stdin.take().ok_or("no stdin")?));
        let states = Arc::default();
        let joins = Arc::default();
        let reports = relay(&mut child, &share, &stdin, &states, &joins)?;
        Ok(Self {
            share,
            child,
            stdin,
            reports,
            states,
            joins,
            _stream: stream,
            _player: player,
        })
    }

    /// Asks the share for a viewer, as signalling does when one starts a session.
    pub fn add_viewer(&self, name: &str) -> Result<(), String> {
        self.joins
            .lock()
            .unwrap()
            .requested
            .insert(name.to_owned(), Instant::now());
        self.share.add_viewer(name).map_err(|e| e.to_string())
    }

    /// From [`Self::add_viewer`] to the share's first offer to that viewer; None before the
    /// offer.
    pub fn join_to_offer(&self, name: &str) -> Option<Duration> {
        let joins = self.joins.lock().unwrap();
        Some(
            joins
                .offered
                .get(name)?
                .duration_since(*joins.requested.get(name)?),
        )
    }

    /// Frames received so far, per receiver.
    pub fn frames(&self) -> Result<HashMap<String, u64>, String> {
        writeln!(self.stdin.lock().unwrap(), "{}", json!({"op": "report"}))
            .map_err(|e| e.to_string())?;
        self.reports
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| "the receivers did not report".to_owned())
    }

    /// Waits until every one of `names` has received a frame.
    pub fn wait_receiving(&self, names: &[String], within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            let frames = self.frames()?;
            let receiving = names
                .iter()
                .filter(|n| frames.get(*n).copied().unwrap_or(0) > 0)
                .count();
            if receiving == names.len() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let states = self.states.lock().unwrap();
                let joins = self.joins.lock().unwrap();
                let stuck: Vec<String> = names
                    .iter()
                    .filter(|n| frames.get(*n).copied().unwrap_or(0) == 0)
                    .map(|n| {
                        format!(
                            "{n}: {:?}, offered {}, answered {}, {} candidates from it",
                            states.get(n),
                            joins.offered.contains_key(n),
                            joins.answered.contains_key(n),
                            joins.candidates.get(n).copied().unwrap_or(0)
                        )
                    })
                    .collect();
                return Err(format!(
                    "only {receiving} of {} viewers receive after {within:?} ({}); {}",
                    names.len(),
                    stuck.join(", "),
                    self.webrtc_states()
                ));
            }
        }
    }

    /// Where each of the share's connections stands, as webrtcbin says.
    fn webrtc_states(&self) -> String {
        use gst::prelude::*;
        let pipeline = self.share.pipeline();
        let bins: Vec<String> = pipeline
            .iterate_recurse()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.factory().is_some_and(|f| f.name() == "webrtcbin"))
            .map(|bin| {
                let state = |name: &str| {
                    let v = bin.property_value(name);
                    gst::glib::EnumValue::from_value(&v)
                        .map(|(_, e)| e.nick().to_owned())
                        .unwrap_or_default()
                };
                format!(
                    "{}: signaling {}, ice {}, gathering {}, connection {}",
                    bin.name(),
                    state("signaling-state"),
                    state("ice-connection-state"),
                    state("ice-gathering-state"),
                    state("connection-state")
                )
            })
            .collect();
        bins.join("; ")
    }

    /// Ends a receiver in the child process.
    pub fn close(&self, name: &str) -> Result<(), String> {
        writeln!(
            self.stdin.lock().unwrap(),
            "{}",
            json!({"op": "close", "viewer": name})
        )
        .map_err(|e| e.to_string())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // The relay thread holds stdin too: end the receivers outright.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Passes offers and candidates to the receivers process and its answers back; returns the
/// channel of its frame reports.
fn relay(
    child: &mut Child,
    share: &Arc<Share>,
    stdin: &Arc<Mutex<ChildStdin>>,
    states: &Arc<Mutex<HashMap<String, ConnectionState>>>,
    joins: &Arc<Mutex<Joins>>,
) -> Result<flume::Receiver<HashMap<String, u64>>, String> {
    let events = share.subscribe();
    let to_child = stdin.clone();
    let states = states.clone();
    let offers = joins.clone();
    std::thread::spawn(move || {
        while let Ok(event) = events.recv() {
            let msg = match event {
                ShareEvent::ViewerState { viewer, state } => {
                    states.lock().unwrap().insert(viewer, state);
                    continue;
                }
                ShareEvent::ViewerRemoved { viewer, .. } => {
                    states.lock().unwrap().remove(&viewer);
                    continue;
                }
                ShareEvent::LocalDescription { viewer, kind, sdp } => {
                    if kind == SdpKind::Offer {
                        let now = Instant::now();
                        offers
                            .lock()
                            .unwrap()
                            .offered
                            .entry(viewer.clone())
                            .or_insert(now);
                    }
                    json!({"op": "offer", "viewer": viewer, "sdp": sdp})
                }
                ShareEvent::LocalCandidate {
                    viewer,
                    mline,
                    candidate,
                } => {
                    json!({"op": "candidate", "viewer": viewer, "mline": mline, "candidate": candidate})
                }
                _ => continue,
            };
            if writeln!(to_child.lock().unwrap(), "{msg}").is_err() {
                return;
            }
        }
    });
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = flume::unbounded();
    let share = Arc::downgrade(share);
    let joins = joins.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let Some(share) = share.upgrade() else { return };
            let viewer = msg["viewer"].as_str().unwrap_or_default();
            match msg["op"].as_str() {
                Some("answer") => {
                    let now = Instant::now();
                    joins
                        .lock()
                        .unwrap()
                        .answered
                        .insert(viewer.to_owned(), now);
                    if let Err(e) = share.set_remote_description(
                        viewer,
                        SdpKind::Answer,
                        msg["sdp"].as_str().unwrap_or_default(),
                    ) {
                        eprintln!("receivers: {e}");
                    }
                }
                Some("candidate") => {
                    *joins
                        .lock()
                        .unwrap()
                        .candidates
                        .entry(viewer.to_owned())
                        .or_default() += 1;
                    share.add_remote_candidate(
                        viewer,
                        msg["mline"].as_u64().unwrap_or(0) as u32,
                        msg["candidate"].as_str().unwrap_or_default(),
                    )
                }
                Some("report") => {
                    let frames = msg["frames"]
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                                .collect()
                        })
                        .unwrap_or_default();
                    let _ = tx.send(frames);
                }
                _ => {}
            }
        }
    });
    Ok(rx)
}
