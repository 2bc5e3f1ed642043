//! "Viewer 1", "Viewer 2"…: the one numbering of a share's viewers, which the window's share
//! panel and the terminal of `reelcast share` both show.

use std::collections::HashMap;

use crate::rtc::ViewerId;
use crate::signalling::clean_display_name;

/// The numbers of the viewers present. A viewer keeps its number while it stays; a new one
/// gets the smallest number no viewer present has, so no number shows twice at once (with
/// "count + 1", the next viewer after Viewer 1 left was a second "Viewer 3") and numbers
/// stay small.
#[derive(Debug, Default)]
pub struct ViewerNumbers {
    present: HashMap<ViewerId, u32>,
}

impl ViewerNumbers {
    /// The viewer's number, given now if it has none yet.
    pub fn number(&mut self, viewer: &str) -> u32 {
        if let Some(number) = self.present.get(viewer) {
            return *number;
        }
        let number = (1..)
            .find(|n| self.present.values().all(|taken| taken != n))
            .unwrap_or(1);
        self.present.insert(viewer.to_owned(), number);
        number
    }

    /// The number of a viewer present, without giving one.
    pub fn get(&self, viewer: &str) -> Option<u32> {
        self.present.get(viewer).copied()
    }

    /// The viewer left: its number is free for the next one.
    pub fn release(&mut self, viewer: &str) -> Option<u32> {
        self.present.remove(viewer)
    }

    /// The share ended: the next one counts from 1.
    pub fn clear(&mut self) {
        self.present.clear();
    }
}

/// What people call a viewer: the display name it gave, cleaned again (a front-end never
/// shows raw remote input), or `numbered` ("Viewer {number}", in the front-end's language)
/// with its number.
pub fn viewer_label(display_name: Option<&str>, number: u32, numbered: &str) -> String {
    display_name
        .map(clean_display_name)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| numbered.replace("{number}", &number.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_viewer_gets_the_smallest_free_number() {
        let mut numbers = ViewerNumbers::default();
        assert_eq!(numbers.number("a"), 1);
        assert_eq!(numbers.number("b"), 2);
        assert_eq!(numbers.number("c"), 3);
        assert_eq!(numbers.number("a"), 1, "a viewer keeps its number");
        assert_eq!(numbers.release("a"), Some(1));
        assert_eq!(numbers.get("a"), None);
        assert_eq!(numbers.number("d"), 1);
        assert_eq!(numbers.number("e"), 4);
        numbers.clear();
        assert_eq!(numbers.number("f"), 1);
    }

    #[test]
    fn a_viewer_is_called_by_its_name_or_its_number() {
        assert_eq!(viewer_label(Some("Ana"), 1, "Viewer {number}"), "Ana");
        assert_eq!(
            viewer_label(Some(" \u{1b}\u{7} "), 2, "Viewer {number}"),
            "Viewer 2"
        );
        assert_eq!(viewer_label(None, 3, "Spectateur {number}"), "Spectateur 3");
    }
}
