//! What a person reads on the terminal: one live status line redrawn in place, with plain
//! sentences printed above it; plain lines only (no escapes, no redraws) when the output is a
//! file or a pipe; errors only with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::clock;

/// How much is shown, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Standard output is a terminal: a status line redrawn in place.
    Live,
    /// A file or a pipe: one plain line per event.
    Plain,
    /// Errors only.
    Quiet,
}

impl Mode {
    /// The mode for this process's standard output.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Quiet
        } else if std::io::stdout().is_terminal() {
            Mode::Live
        } else {
            Mode::Plain
        }
    }
}

/// The terminal of one `play --headless` or `share --headless` run.
pub struct Terminal {
    mode: Mode,
    /// Only in [`Mode::Live`].
    bar: Option<ProgressBar>,
}

impl Terminal {
    pub fn new(mode: Mode) -> Self {
        let bar = (mode == Mode::Live).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            // No colours, no bar: just the sentence, so it reads like the events above it.
            if let Ok(style) = ProgressStyle::with_template("{msg}") {
                bar.set_style(style);
            }
            bar
        });
        Terminal { mode, bar }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// An event, as a plain sentence (above the status line on a terminal).
    pub fn say(&self, sentence: &str) {
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.println(sentence),
            (None, Mode::Quiet) => {}
            (None, _) => println!("{sentence}"),
        }
    }

    /// A failure, once, on standard error, in every mode.
    pub fn error(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| error_line(message)),
            None => error_line(message),
        }
    }

    /// Redraws the status line; nothing off a terminal.
    pub fn status(&self, status: &Status) {
        if let Some(bar) = &self.bar {
            bar.set_message(status.line());
        }
    }

    /// Takes the status line away, leaving the events.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.finish();
    }
}

/// "reelcast: MESSAGE" on standard error in one write: standard error is unbuffered, so
/// `eprintln!` writes its pieces apart and a line printed on standard output at that moment
/// (`2>&1`, or a test reading both) landed in the middle of it.
fn error_line(message: &str) {
    use std::io::Write;
    let line = format!("reelcast: {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// What the status line says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub position: Option<Duration>,
    pub duration: Option<Duration>,
    /// "playing", "sharing", "reconnecting"...
    pub state: String,
    /// Viewers, when sharing.
    pub viewers: Option<usize>,
    /// Bits per second sent to all viewers.
    pub bitrate: u64,
}

impl Status {
    /// "1:05 / 3:20 · sharing · 2 viewers · 1.8 Mbit/s".
    pub fn line(&self) -> String {
        let at = clock(self.position.unwrap_or_default());
        let of = self.duration.map(clock).unwrap_or_else(|| "live".into());
        let mut line = format!("{at} / {of} · {}", self.state);
        if let Some(n) = self.viewers {
            let word = if n == 1 { "viewer" } else { "viewers" };
            line += &format!(" · {n} {word} · {}", bitrate(self.bitrate));
        }
        line
    }
}

/// "850 kbit/s", "1.8 Mbit/s".
pub fn bitrate(bits_per_second: u64) -> String {
    if bits_per_second >= 1_000_000 {
        format!("{:.1} Mbit/s", bits_per_second as f64 / 1e6)
    } else {
        format!("{} kbit/s", bits_per_second / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_says_position_state_viewers_and_bitrate() {
        let status = Status {
            position: Some(Duration::from_secs(65)),
            duration: Some(Duration::from_secs(200)),
            state: "sharing".into(),
            viewers: Some(2),
            bitrate: 1_800_000,
        };
        assert_eq!(
            status.line(),
            "1:05 / 3:20 · sharing · 2 viewers · 1.8 Mbit/s"
        );
        let playing = Status {
            state: "playing".into(),
            ..Status::default()
        };
        assert_eq!(playing.line(), "0:00 / live · playing");
    }
}
