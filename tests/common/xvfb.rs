//! An X server of the test's own under Xvfb, its screen read back as RGB bytes, and input
//! through xdotool; stopped when dropped.

use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::peers::Peer;

pub const WIDTH: usize = 1024;
pub const HEIGHT: usize = 700;

pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Self {
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
            display: format!(":{number}"),
            child,
        }
    }

    /// The whole screen as RGB bytes, `WIDTH` x `HEIGHT`.
    pub fn screenshot(&self) -> Vec<u8> {
        let out = Command::new("/usr/bin/import")
            .args(["-display", &self.display, "-window", "root", "-depth", "8"])
            .arg("rgb:-")
            .output()
            .expect("ImageMagick's import runs (install imagemagick)");
        assert!(out.status.success(), "import failed");
        assert_eq!(out.stdout.len(), WIDTH * HEIGHT * 3);
        out.stdout
    }

    pub fn save_png(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("/usr/bin/import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Clicks the share panel's Start Sharing button where it shows (twice running, should
    /// the panel still slide in).
    pub fn click_start_sharing(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        // Where it shows twice running, should the panel slide in all the same.
        let mut last = None;
        let (bx, by) = loop {
            let at = start_button(&self.screenshot());
            if let Some(found) = at.filter(|_| at == last) {
                break found;
            }
            last = at;
            assert!(
                std::time::Instant::now() < deadline,
                "the share panel's Start Sharing button never showed"
            );
        };
        self.xdotool(&["mousemove", &bx.to_string(), &by.to_string(), "click", "1"]);
    }

    /// `command` (a `reelcast` of the test's) as `play --json --loop CLIP` in a window on this
    /// server, with GSettings' key file backend; returns once it plays.
    pub fn play(&self, mut command: Command, clip: &Path) -> Peer {
        command
            .args(["play", "--json", "--loop"])
            .arg(clip)
            .env("DISPLAY", &self.display)
            .env("GDK_BACKEND", "x11")
            .env("GSETTINGS_BACKEND", "keyfile")
            .env_remove("WAYLAND_DISPLAY");
        let app = Peer::spawn("reelcast", command);
        app.wait_json(Duration::from_secs(30), "playing", |v| {
            (v["event"] == "state" && v["state"] == "playing").then_some(())
        });
        app
    }

    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool runs (install xdotool)");
        assert!(status.success(), "xdotool {args:?}");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The window's preferences in `config` (the XDG_CONFIG_HOME it is given): `keys` in
/// GSettings' key file, and GTK without animations, so that a panel shows where it stays.
pub fn write_window_config(config: &Path, keys: &str) {
    let keyfile = config.join("glib-2.0/settings/keyfile");
    std::fs::create_dir_all(keyfile.parent().unwrap()).unwrap();
    std::fs::write(&keyfile, format!("[io/github/reelcast/Reelcast]\n{keys}")).unwrap();
    let gtk = config.join("gtk-4.0");
    std::fs::create_dir_all(&gtk).unwrap();
    std::fs::write(
        gtk.join("settings.ini"),
        "[Settings]\ngtk-enable-animations=false\n",
    )
    .unwrap();
}

/// Each row of the screen with libadwaita's accent blue (a suggested-action button, a chosen
/// radio) in `columns`, at least `min` pixels of it: (y, first x, last x).
pub fn accent_rows(rgb: &[u8], columns: Range<usize>, min: usize) -> Vec<(usize, usize, usize)> {
    let blue = |x: usize, y: usize| {
        let i = (y * WIDTH + x) * 3;
        let (r, g, b) = (rgb[i], rgb[i + 1], rgb[i + 2]);
        r < 90 && (110..160).contains(&g) && b > 200
    };
    (60..HEIGHT - 120)
        .filter_map(|y| {
            let xs: Vec<usize> = columns.clone().filter(|&x| blue(x, y)).collect();
            (xs.len() >= min).then(|| (y, xs[0], xs[xs.len() - 1]))
        })
        .collect()
}

/// The middle of the share panel's Start Sharing button: the one wide run of libadwaita's
/// accent blue (a "suggested-action" pill) on the right of the window, above the controls.
fn start_button(rgb: &[u8]) -> Option<(usize, usize)> {
    let rows = accent_rows(rgb, WIDTH * 5 / 8..WIDTH, 80);
    let (first, last) = (rows.first()?, rows.last()?);
    Some(((first.1 + first.2) / 2, (first.0 + last.0) / 2))
}
