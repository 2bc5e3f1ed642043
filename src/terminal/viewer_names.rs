//! Viewers named for people: the display name a viewer gave, cleaned, or "Viewer N".

use std::collections::HashMap;

/// A viewer's name for people, as the window's share panel gives it: the display name the
/// viewer gave, or "Viewer N" with the smallest number no viewer present has.
#[derive(Debug, Default)]
pub struct ViewerNames {
    present: HashMap<String, Named>,
}

#[derive(Debug)]
struct Named {
    number: u32,
    name: String,
    bitrate: u64,
}

impl ViewerNames {
    /// Names a viewer that joined (again the same name if it is already known).
    pub fn join(&mut self, id: &str, display_name: Option<&str>) -> String {
        if let Some(known) = self.present.get(id) {
            return known.name.clone();
        }
        let number = (1..)
            .find(|n| self.present.values().all(|v| v.number != *n))
            .unwrap_or(1);
        let name = display_name
            .map(clean_display_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("Viewer {number}"));
        self.present.insert(
            id.to_owned(),
            Named {
                number,
                name: name.clone(),
                bitrate: 0,
            },
        );
        name
    }

    pub fn name(&self, id: &str) -> Option<String> {
        self.present.get(id).map(|v| v.name.clone())
    }

    /// Forgets a viewer that left, returning its name.
    pub fn leave(&mut self, id: &str) -> Option<String> {
        self.present.remove(id).map(|v| v.name)
    }

    pub fn set_bitrate(&mut self, id: &str, bits_per_second: u64) {
        if let Some(v) = self.present.get_mut(id) {
            v.bitrate = bits_per_second;
        }
    }

    pub fn count(&self) -> usize {
        self.present.len()
    }

    pub fn total_bitrate(&self) -> u64 {
        self.present.values().map(|v| v.bitrate).sum()
    }
}

/// Most characters of a display name shown.
pub const MAX_DISPLAY_NAME: usize = 40;

/// A display name from a viewer's browser is remote input: no control characters (they could
/// move the cursor or clear the terminal), single spaces, bounded length.
pub fn clean_display_name(raw: &str) -> String {
    let words: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DISPLAY_NAME)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_get_the_smallest_free_number() {
        let mut names = ViewerNames::default();
        assert_eq!(names.join("a", None), "Viewer 1");
        assert_eq!(names.join("b", None), "Viewer 2");
        assert_eq!(names.join("a", None), "Viewer 1");
        assert_eq!(names.leave("a").as_deref(), Some("Viewer 1"));
        assert_eq!(names.join("c", None), "Viewer 1");
        assert_eq!(names.join("d", Some("Ana")), "Ana");
        assert_eq!(names.count(), 3);
        names.set_bitrate("b", 500_000);
        names.set_bitrate("d", 700_000);
        assert_eq!(names.total_bitrate(), 1_200_000);
    }

    #[test]
    fn display_names_lose_control_characters_and_length() {
        assert_eq!(clean_display_name("  Ana\u{1b}[2J  Lee\n"), "Ana [2J Lee");
        assert_eq!(clean_display_name("\u{7}\u{8}"), "");
        assert_eq!(clean_display_name(&"x".repeat(500)).len(), MAX_DISPLAY_NAME);
        let mut names = ViewerNames::default();
        assert_eq!(names.join("a", Some("\u{1b}\u{7}")), "Viewer 1");
    }
}
