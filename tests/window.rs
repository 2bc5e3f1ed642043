//! The real window under Xvfb: `reelcast play FILE` shows moving video.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: usize = 1024;
const HEIGHT: usize = 700;

/// An X server of our own, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Self {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{WIDTH}x{HEIGHT}x24"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (install xvfb)");
        // Xvfb writes the display number once it accepts connections.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not start");
        Self {
            child,
            display: format!(":{number}"),
        }
    }

    /// The whole screen as RGB bytes.
    fn screenshot(&self) -> Vec<u8> {
        let out = Command::new("/usr/bin/import")
            .args([
                "-display",
                &self.display,
                "-window",
                "root",
                "-depth",
                "8",
                "rgb:-",
            ])
            .output()
            .expect("ImageMagick's import runs (install imagemagick)");
        assert!(out.status.success(), "import failed");
        assert_eq!(out.stdout.len(), WIDTH * HEIGHT * 3);
        out.stdout
    }

    fn save_png(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("/usr/bin/import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Distinct colours in the middle of the screen, where the video is (coarsely quantised).
fn colours_in_middle(rgb: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for y in (HEIGHT / 4..HEIGHT * 3 / 4).step_by(4) {
        for x in (WIDTH / 4..WIDTH * 3 / 4).step_by(4) {
            let i = (y * WIDTH + x) * 3;
            seen.insert((rgb[i] >> 4, rgb[i + 1] >> 4, rgb[i + 2] >> 4));
        }
    }
    seen.len()
}

fn middle_differs(a: &[u8], b: &[u8]) -> bool {
    (HEIGHT / 4..HEIGHT * 3 / 4).any(|y| {
        let row = y * WIDTH * 3;
        a[row + WIDTH * 3 / 4..row + WIDTH * 9 / 4] != b[row + WIDTH * 3 / 4..row + WIDTH * 9 / 4]
    })
}

/// Polls the screen until `ok` holds, or fails at the deadline.
fn screen_until(x: &Xvfb, within: Duration, what: &str, ok: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + within;
    loop {
        let shot = x.screenshot();
        if ok(&shot) {
            return shot;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

#[test]
fn play_shows_a_window_with_moving_video() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("bars.webm");
    common::gst_launch(&format!(
        "webmmux name=mux ! filesink location={} \
         videotestsrc num-buffers=600 pattern=smpte horizontal-speed=8 \
         ! video/x-raw,width=640,height=360,framerate=30/1 ! vp8enc deadline=1 ! queue ! mux.",
        video.display()
    ));
    let x = Xvfb::start();
    let mut app = Command::new(env!("CARGO_BIN_EXE_reelcast"))
        .args(["play", "--json"])
        .arg(&video)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = flume::unbounded();
    let stdout = app.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    common::wait_for(
        &rx,
        Duration::from_secs(20),
        "the window to play",
        |line: &String| {
            assert!(!line.contains("\"error\""), "{line}");
            line.contains("\"state\":\"playing\"").then_some(())
        },
    );

    let first = screen_until(&x, Duration::from_secs(10), "video on screen", |s| {
        colours_in_middle(s) >= 6
    });
    screen_until(&x, Duration::from_secs(10), "the video to move", |s| {
        middle_differs(&first, s)
    });
    x.save_png(&screenshots_dir().join("window-playing.png"));

    let _ = app.kill();
    let _ = app.wait();
}
