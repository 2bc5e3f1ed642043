//! Reports of what the player and the share do, as text lines for people or JSON lines for
//! scripts; both front-ends print `--json` through [`JsonLines`].

use std::sync::Mutex;
use std::time::Duration;

mod json_line;
mod repeats;

pub use json_line::JsonLine;
use repeats::Repeats;

/// `--json` on standard output: every line through [`JsonLine::encode`], and none that only
/// repeats the last of its kind (see [`Repeats`]). Shared by the threads of a front-end.
#[derive(Debug, Default)]
pub struct JsonLines {
    repeats: Mutex<Repeats>,
}

impl JsonLines {
    pub fn write<'a>(&self, line: impl Into<JsonLine<'a>>) {
        let line = line.into();
        let text = line.encode();
        // Held while printing, so lines from two threads keep the filter's order.
        let mut repeats = self.repeats.lock().unwrap_or_else(|e| e.into_inner());
        if repeats.admit(&line, &text) {
            println!("{text}");
        }
    }
}

/// "1:05" or "1:02:03".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Duration::from_secs(65)), "1:05");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(clock(Duration::ZERO), "0:00");
    }
}
