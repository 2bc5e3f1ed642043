//! `reelcast-bench first-join FILE`: how long the first viewer of a fresh share waits for its
//! first frame, against the 10th viewer of one share. Each share is `reelcast share --headless`
//! started afresh (a new process: nothing warm but what the share warms itself); the viewer is
//! one headless Chromium (tests/browser/joins.mjs) that decodes and shows the frame. A viewer
//! asks `--after` ms after the share registered (or after the previous viewer's first frame):
//! a person opening the link once the share is up.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command};
use std::time::Duration;

use reelcast_testkit::{PeerProcess, ShareProcess, SignallingServer};
use serde_json::Value;

/// A first frame must come within this.
const FIRST_FRAME_WITHIN: Duration = Duration::from_secs(20);

pub struct FirstJoinOptions {
    pub file: PathBuf,
    /// Fresh shares, one first viewer each.
    pub shares: usize,
    /// Viewers of the one share, one after another; the last is the one compared.
    pub viewers: usize,
    /// Pause before each viewer asks (see the module's doc).
    pub after: Duration,
    pub reelcast: PathBuf,
}

/// Runs the benchmark and prints its lines; returns the exit code.
pub fn run_first_join(options: &FirstJoinOptions) -> i32 {
    if !reelcast_testkit::in_private_network() {
        eprintln!(
            "reelcast-bench: the first-join benchmark opens WebRTC connections and runs only in \
             a private network namespace: use scripts/private-net.sh"
        );
        return 2;
    }
    if !options.file.is_file() || !options.reelcast.is_file() {
        eprintln!(
            "reelcast-bench: {} or {} is missing",
            options.file.display(),
            options.reelcast.display()
        );
        return 2;
    }
    match run(options) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("reelcast-bench: first-join: {e}");
            1
        }
    }
}

fn run(options: &FirstJoinOptions) -> Result<(), String> {
    let server = SignallingServer::start(IpAddr::V4(Ipv4Addr::LOCALHOST)).map_err(err)?;
    let mut page = JoinsPage::start(server.url())?;
    println!(
        "First join: {}, each viewer asks {} ms after the share is up (or the previous viewer's \
         first frame); request → first frame shown in Chromium, ms",
        options.file.display(),
        options.after.as_millis()
    );
    // Chromium's own first session (its decoder, its first DTLS) is not counted.
    let share = page.fresh_share(options)?;
    page.join()?;
    page.close_all()?;
    page.end_share(share)?;
    let mut firsts = Vec::new();
    for run in 0..options.shares {
        let share = page.fresh_share(options)?;
        std::thread::sleep(options.after);
        let ms = page
            .join()
            .inspect_err(|_| keep_share_output(&share, "failed"))?;
        eprintln!("reelcast-bench: fresh share {}: {ms:.0} ms", run + 1);
        firsts.push(ms);
        page.close_all()?;
        keep_share_output(&share, &format!("fresh-{}", run + 1));
        page.end_share(share)?;
    }
    let share = page.fresh_share(options)?;
    let mut one_share = Vec::new();
    for n in 1..=options.viewers {
        std::thread::sleep(options.after);
        match page.join() {
            Ok(ms) => one_share.push(ms),
            Err(e) => {
                keep_share_output(&share, "one-share");
                return Err(format!("viewer {n} of one share: {e}"));
            }
        }
    }
    keep_share_output(&share, "one-share");
    page.close_all()?;
    page.end_share(share)?;

    let mut sorted = firsts.clone();
    sorted.sort_by(f64::total_cmp);
    if let (Some(min), Some(max)) = (sorted.first(), sorted.last()) {
        println!(
            "first viewer of a fresh share ({} shares): p50 {:.0}, min {min:.0}, max {max:.0}  [{}]",
            sorted.len(),
            sorted[(sorted.len() - 1) / 2],
            list(&firsts)
        );
    }
    if let Some(last) = one_share.last() {
        println!(
            "viewer {} of one share: {last:.0}  [viewers 1-{}: {}]",
            one_share.len(),
            one_share.len(),
            list(&one_share)
        );
    }
    Ok(())
}

fn list(ms: &[f64]) -> String {
    ms.iter()
        .map(|m| format!("{m:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// tests/browser/joins.mjs in one Chromium, for every share of the run.
struct JoinsPage {
    url: String,
    stdin: ChildStdin,
    process: PeerProcess,
}

impl JoinsPage {
    fn start(url: &str) -> Result<Self, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/joins.mjs");
        let mut command = Command::new("node");
        command.arg(script).arg(url);
        let mut process =
            PeerProcess::spawn_with_stdin("chromium (joins.mjs)", command).map_err(err)?;
        let stdin = process.take_stdin().ok_or("no stdin to the page")?;
        let page = Self {
            url: url.to_owned(),
            stdin,
            process,
        };
        page.wait_producers(0)?;
        Ok(page)
    }

    /// A new share, once the page lists it.
    fn fresh_share(&mut self, options: &FirstJoinOptions) -> Result<ShareProcess, String> {
        let share =
            ShareProcess::start(&options.reelcast, &options.file, &self.url, &[]).map_err(err)?;
        self.wait_producers(1)?;
        Ok(share)
    }

    fn end_share(&mut self, share: ShareProcess) -> Result<(), String> {
        drop(share);
        self.wait_producers(0)
    }

    fn wait_producers(&self, n: u64) -> Result<(), String> {
        self.process
            .wait_line(
                Duration::from_secs(60),
                &format!("{n} producers listed"),
                |l| {
                    let v: Value = serde_json::from_str(l).ok()?;
                    (v["producers"].as_u64() == Some(n)).then_some(())
                },
            )
            .map_err(err)
    }

    fn send(&mut self, op: &str) -> Result<(), String> {
        writeln!(self.stdin, "{op}").map_err(|e| format!("the page: {e}"))
    }

    /// A new session to the newest share; its request → first frame in ms.
    fn join(&mut self) -> Result<f64, String> {
        self.send("join")?;
        self.process
            .wait_line(FIRST_FRAME_WITHIN, "a first frame", |l| {
                let v: Value = serde_json::from_str(l).ok()?;
                if let Some(e) = v["error"].as_str() {
                    eprintln!("reelcast-bench: the page: {e}");
                }
                let (join, first) = (v["joinAt"].as_f64()?, v["firstFrameAt"].as_f64()?);
                if std::env::var_os("REELCAST_BENCH_OUTPUT").is_some() {
                    eprintln!(
                        "reelcast-bench: asked at {join:.1}, first frame at {first:.1} (Unix ms)"
                    );
                }
                Some(first - join)
            })
            .map_err(err)
    }

    fn close_all(&mut self) -> Result<(), String> {
        self.send("close")
    }
}

/// With REELCAST_BENCH_OUTPUT=DIR, the share's lines (its JSON events and REELCAST_LOG logs)
/// go to DIR/first-join-NAME.log.
fn keep_share_output(share: &ShareProcess, name: &str) {
    let Some(dir) = std::env::var_os("REELCAST_BENCH_OUTPUT") else {
        return;
    };
    let path = Path::new(&dir).join(format!("first-join-{name}.log"));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, share.lines().join("\n")));
    if let Err(e) = written {
        eprintln!("reelcast-bench: cannot write {}: {e}", path.display());
    }
}
