//! Time from a viewer's `startSession` to its first decoded frame on screen, over 10 joins of
//! Reelcast's own viewer page in headless Chromium, against the embedded default. Prints each
//! join's steps, then p50 and max. Run through scripts/bench.sh (a private network namespace).
//!
//!     cargo bench --bench join -- [FILE] [--count N]     (default: a generated 640x360 clip)

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::peers::{reelcast_share, Peer};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: usize = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    if !reelcast_testkit::in_private_network() {
        eprintln!("join benchmark: run it in a private network namespace (scripts/bench.sh)");
        std::process::exit(2);
    }
    let file = match args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
    {
        Some(f) => PathBuf::from(f),
        None => {
            let path = common::media().dir.join("join-640x360.webm");
            common::make_webm(&path, Some((640, 360)), true, 10);
            path
        }
    };

    let share = reelcast_share(
        &file,
        &["--loop", "--signalling-port", "0", "--http-port", "0"],
    );
    let url = share.wait_json(Duration::from_secs(30), "viewer-url", |v| {
        (v["event"] == "viewer-url").then(|| v["url"].as_str().unwrap_or_default().to_owned())
    });
    share.wait_json(Duration::from_secs(30), "registered", |v| {
        (v["event"] == "registered").then_some(())
    });

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/viewer.mjs");
    let mut command = Command::new("node");
    command.args([script, "joins", &url, "--count", &count.to_string()]);
    let browser = Peer::spawn("chromium", command);
    let mut joins = Vec::new();
    for _ in 0..count {
        let (ms, timeline) = browser.wait_json(Duration::from_secs(60), "a join", |v| {
            Some((v["joinMs"].as_f64()?, v["timeline"].to_string()))
        });
        println!("join {}: {ms:.0} ms {timeline}", joins.len() + 1);
        joins.push(ms);
    }
    joins.sort_by(f64::total_cmp);
    let p50 = joins[(joins.len() - 1) / 2];
    let max = joins[joins.len() - 1];
    println!(
        "startSession to first frame on Reelcast's page, {} joins: p50 {p50:.0} ms, max {max:.0} ms (goal p50 <= 250 ms)",
        joins.len()
    );
}
