//! An X server of the test's own under Xvfb, its screen read back as RGB bytes, and input
//! through xdotool; stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

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
