//! Slow links for a viewer (crates/testkit ShapedLink, ShapedShare): a veth into a child
//! namespace with a tbf queue, the tooling adaptation tests stand on. Runs inside
//! scripts/private-net.sh's namespace.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::net::assert_private_network;
use reelcast_testkit::{ShapedLink, ShapedShare};

/// An 854x480 30 fps A/V file, long enough that no test spans a loop.
fn clip() -> &'static PathBuf {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = common::media().dir.join("shaped-854x480.webm");
        common::make_webm(&path, Some((854, 480)), true, 30);
        path
    })
}

fn reelcast() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_reelcast"))
}

/// The child reaches a server on the link's near address; the queue follows set_rate and
/// lift; nothing of the link is left after the drop.
#[test]
fn a_shaped_link_is_made_changed_lifted_and_torn_down() {
    assert_private_network();
    let mut link = ShapedLink::create(Some(600)).unwrap();
    let device = link.device().to_owned();
    assert!(
        link.queue_stats().unwrap().contains("rate 600Kbit"),
        "{:?}",
        link.queue_stats()
    );
    let listener = TcpListener::bind((link.near_address(), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = link.command("bash");
    child.args([
        "-c",
        &format!("echo hello > /dev/tcp/{}/{port}", link.near_address()),
    ]);
    let status = child.status().unwrap();
    assert!(status.success(), "{status}");
    let (mut stream, peer) = listener.accept().unwrap();
    assert_eq!(peer.ip(), link.far_address());
    let mut got = String::new();
    stream.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello\n");
    link.set_rate(1200).unwrap();
    assert!(link.queue_stats().unwrap().contains("rate 1200Kbit"));
    link.lift().unwrap();
    assert!(!link.queue_stats().unwrap().contains("tbf"));
    // The guard still holds with the link's near end in this namespace.
    assert_private_network();
    drop(link);
    let devices = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    assert!(!devices.contains(&device), "{devices}");
}

/// A Chromium viewer behind the link watches `reelcast share`, and once the link is shaped
/// to 600 kbit/s it receives no more than that.
#[test]
fn a_viewer_behind_a_shaped_link_receives_at_most_its_rate() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let mut run = ShapedShare::start(reelcast(), clip(), None, Duration::from_secs(45)).unwrap();
    run.wait_height(Duration::from_secs(10), "480-line frames", |h| h == 480)
        .unwrap();
    run.set_rate(600).unwrap();
    let shaped = run
        .viewer
        .wait(Duration::from_secs(15), "at most 600 kbit/s", |t| {
            let Some(end) = t.last().map(|s| s.t_ms) else {
                return false;
            };
            // Two seconds that start after the change took hold (its queue drained).
            t.samples.first().is_some_and(|s| end - s.t_ms > 4000.0)
                && t.bitrate_kbps(end - 2000.0, end)
                    .is_some_and(|k| k <= 620.0)
        });
    let t = shaped.unwrap();
    let end = t.last().unwrap().t_ms;
    eprintln!(
        "shaped link: viewer at {:.0} kbit/s behind 600 kbit/s",
        t.bitrate_kbps(end - 2000.0, end).unwrap_or_default()
    );
}

/// The encoder ladder: down a rung behind a link too slow for the full size and back to full
/// size once it is lifted, on one connection (one join, no new offer). With this clip the
/// rungs make about 590, 300 and 150 kbit/s with audio: a 250 kbit/s link carries only the
/// smallest (at 100 kbit/s none fits, and its first keyframe may never arrive).
#[test]
fn a_viewer_behind_a_slow_link_moves_down_a_rung_and_back_up() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let mut run = ShapedShare::start(reelcast(), clip(), None, Duration::from_secs(45)).unwrap();
    let mut story = Vec::new();
    let mut wait = |run: &ShapedShare, within: u64, what: &str, want: &dyn Fn(u32) -> bool| {
        let waited = run.wait_height(Duration::from_secs(within), what, want);
        story.extend(run.share.lines());
        waited
            .unwrap_or_else(|e| panic!("{e}\nthe share's rung moves and stats:\n{}", moves(&story)))
    };
    wait(&run, 10, "full size", &|h| h == 480);
    run.set_rate(250).unwrap();
    let lower = wait(&run, 15, "a lower rung", &|h| h < 480);
    eprintln!(
        "rung: {lower} lines at {:?} kbit/s",
        run.bitrate_kbps(Duration::from_secs(2))
    );
    run.lift().unwrap();
    // GCC climbs back from its floor (about 100 kbit/s after the burst into the queue) by
    // plain increase until a probe has room: 13–15 s here, so 30 s with room for a slow run.
    wait(&run, 30, "full size again", &|h| h == 480);
    let joins = story
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "viewer-joined")
        .count();
    assert_eq!(joins, 1, "the viewer joined again");
}

/// The share's rung moves (logged) and the viewer's stats (its estimate, rung and loss), as
/// they came, for a failure to explain itself.
fn moves(lines: &[String]) -> String {
    lines
        .iter()
        .filter_map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(v) if v["event"] == "stats" => {
                let s = &v["stats"];
                Some(format!(
                    "stats: estimate {} sent {} rung {} loss {} rtt {} nacks {}",
                    s["target_bitrate"],
                    s["bitrate"],
                    s["rung"]["height"],
                    s["packet_loss"],
                    s["rtt"],
                    s["nack_count"]
                ))
            }
            Ok(_) => None,
            Err(_) => (l.contains("rung") || l.contains("retransmissions")).then(|| l.clone()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
